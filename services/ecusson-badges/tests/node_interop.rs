//! Credentials the ledger signs verify in an independent implementation: Digital Bazaar's
//! `@digitalbazaar/vc` with the `eddsa-rdfc-2022` cryptosuite, in Node, offline, with the
//! JSON-LD contexts of its own npm packages and safe mode on; and a one-character change fails
//! there too. The packages (pinned in `interop/node/package-lock.json`) are installed on first
//! use with `npm ci`; without Node or npm the test fails, it never skips.
//!
//! And our RDFC-1.0 canonical forms are Digital Bazaar's (jsonld and rdf-canonize), byte for
//! byte, on a few hundred generated documents of the shapes where canonicalisers part ways.

mod common;

use ecusson_badges::{canonical_nquads, multikey};
use serde_json::{json, Value};

use common::node_verify;

#[test]
fn our_credentials_verify_in_digital_bazaars_implementation_and_a_tamper_fails() {
    let (signed, key) = common::signed_credential();
    let issuer = signed["issuer"]["id"].as_str().unwrap().to_owned();
    let method = signed["proof"][0]["verificationMethod"]
        .as_str()
        .unwrap()
        .to_owned();
    let controller =
        common::controller_document(&issuer, &method, &multikey::encode(&key.verifying_key()));

    let (verified, errors) = node_verify(&signed, &controller);
    assert!(
        verified,
        "Digital Bazaar refuses our credential: {errors:?}"
    );

    let mut tampered = signed.clone();
    tampered["credentialSubject"]["achievement"]["criteria"]["narrative"] =
        json!("A tenu ses horaires trois mois, d'après le relevé d'heureS.");
    let (verified, errors) = node_verify(&tampered, &controller);
    assert!(!verified, "a tampered credential verified");
    assert!(!errors.is_empty());

    // 1EdTech's test vector verifies there too: the harness itself is sound.
    let vector = common::read("ob3-test-vector/signed-credential.json");
    let controller = common::read("ob3-test-vector/controller-document.json");
    let (verified, errors) = node_verify(&vector, &controller);
    assert!(
        verified,
        "the test vector does not verify in the harness: {errors:?}"
    );
}

/// Digital Bazaar's canonical N-Quads of each document (`None`: rdf-canonize refused it).
fn node_canonize(documents: &[Value]) -> Vec<Option<String>> {
    let answer = common::run_node("canonize.mjs", &Value::Array(documents.to_vec()));
    serde_json::from_value(answer).expect("canonize.mjs prints a JSON array")
}

/// xorshift64*: the same documents on every run, so that a failure reproduces.
struct Draw(u64);

impl Draw {
    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % bound
    }
}

/// One statement: subject, predicate, object (a JSON-LD value), graph (`None`: default).
type Statement = (String, &'static str, Value, Option<String>);

/// The statements as one JSON-LD document without context: full IRIs, blank nodes written
/// `_:…`, a graph as a node object with `@graph`.
fn as_json_ld(statements: &[Statement]) -> Value {
    use std::collections::BTreeMap;
    let mut graphs: BTreeMap<Option<&str>, BTreeMap<&str, serde_json::Map<String, Value>>> =
        BTreeMap::new();
    for (subject, predicate, object, graph) in statements {
        let properties = graphs
            .entry(graph.as_deref())
            .or_default()
            .entry(subject)
            .or_default();
        match properties.entry(*predicate).or_insert_with(|| json!([])) {
            Value::Array(values) => values.push(object.clone()),
            _ => unreachable!(),
        }
    }
    let nodes = |subjects: BTreeMap<&str, serde_json::Map<String, Value>>| -> Vec<Value> {
        subjects
            .into_iter()
            .map(|(subject, mut properties)| {
                properties.insert("@id".into(), json!(subject));
                Value::Object(properties)
            })
            .collect()
    };
    let mut top = Vec::new();
    for (graph, subjects) in graphs {
        match graph {
            None => top.extend(nodes(subjects)),
            Some(name) => top.push(json!({"@id": name, "@graph": nodes(subjects)})),
        }
    }
    json!({ "@graph": top })
}

/// Random statements about a few blank nodes: links between them (a node to itself
/// included), to IRIs and to strings, in the default graph or in graphs named by IRIs or by
/// the same blank nodes. Sometimes twice, the second copy renamed and slightly changed, so
/// that look-alikes abound and Hash N-Degree Quads runs.
fn random_statements(draw: &mut Draw) -> Vec<Statement> {
    const PREDICATES: [&str; 3] = ["urn:example:p", "urn:example:q", "urn:example:r"];
    let nodes = 2 + draw.below(6);
    let predicates = 1 + draw.below(3);
    let blank = |node: usize| format!("_:n{node}");
    let mut statements = Vec::new();
    for _ in 0..nodes + draw.below(2 * nodes) {
        let subject = if draw.below(8) == 0 {
            "urn:example:s".to_owned()
        } else {
            blank(draw.below(nodes))
        };
        let object = match draw.below(10) {
            0..=6 => json!({"@id": blank(draw.below(nodes))}),
            7 => json!({"@id": "urn:example:o"}),
            _ => {
                let text = ["x", "y"][draw.below(2)];
                json!({ "@value": text })
            }
        };
        let graph = match draw.below(10) {
            0..=5 => None,
            6 => Some("urn:example:g".to_owned()),
            _ => Some(blank(draw.below(nodes))),
        };
        statements.push((subject, PREDICATES[draw.below(predicates)], object, graph));
    }
    if draw.below(2) == 0 {
        let rename = |text: &str| text.replace("_:n", "_:m");
        let mut copy: Vec<Statement> = statements
            .iter()
            .map(|(subject, predicate, object, graph)| {
                let object = match object.get("@id").and_then(Value::as_str) {
                    Some(id) => json!({"@id": rename(id)}),
                    None => object.clone(),
                };
                (
                    rename(subject),
                    *predicate,
                    object,
                    graph.as_deref().map(rename),
                )
            })
            .collect();
        if draw.below(2) == 0 {
            let last = copy.len() - 1;
            copy[last].2 = json!({"@value": "changed"});
        }
        statements.extend(copy);
    }
    statements
}

/// Endorsements, each with its proof in a graph of its own (a blank node), the proofs identical
/// or not: a proof node relates its graph once per statement, the shape of 1EdTech's
/// `complete.json`, which oxrdf 0.3.5 labels otherwise than RDFC-1.0.
fn endorsements(draw: &mut Draw) -> Vec<Statement> {
    let mut statements = Vec::new();
    for endorsement in 0..2 + draw.below(3) {
        let subject = if draw.below(3) == 0 {
            format!("_:e{endorsement}")
        } else {
            format!("urn:example:endorsement:{endorsement}")
        };
        let graph = format!("_:g{endorsement}");
        statements.push((
            "urn:example:badge".to_owned(),
            "urn:example:endorsement",
            json!({"@id": subject}),
            None,
        ));
        statements.push((subject, "urn:example:proof", json!({"@id": graph}), None));
        let proof = format!("_:p{endorsement}");
        let value = if draw.below(3) == 0 { "z2" } else { "z1" };
        for (predicate, object) in [
            ("urn:example:type", json!({"@id": "urn:example:Proof"})),
            ("urn:example:created", json!({"@value": "2024-01-01"})),
            ("urn:example:value", json!({"@value": value})),
        ]
        .into_iter()
        .take(1 + draw.below(3))
        {
            statements.push((proof.clone(), predicate, object, Some(graph.clone())));
        }
    }
    statements
}

#[test]
fn our_canonical_forms_are_digital_bazaars() {
    let mut draw = Draw(0x00ec_0055_0000_0001);
    let documents: Vec<Value> = (0..300)
        .map(|index| {
            as_json_ld(&if index % 3 == 0 {
                endorsements(&mut draw)
            } else {
                random_statements(&mut draw)
            })
        })
        .collect();
    let theirs = node_canonize(&documents);
    assert_eq!(theirs.len(), documents.len());
    let mut compared = 0;
    for (document, theirs) in documents.iter().zip(&theirs) {
        let ours = canonical_nquads(document);
        let (Ok(ours), Some(theirs)) = (&ours, theirs) else {
            continue;
        };
        assert_eq!(
            ours,
            theirs,
            "canonical forms differ for {}",
            serde_json::to_string_pretty(document).unwrap()
        );
        compared += 1;
    }
    // Refusals (ours or rdf-canonize's, for too much work) are rare at these sizes: most
    // documents must have been compared.
    assert!(compared >= 270, "only {compared} documents compared");
}
