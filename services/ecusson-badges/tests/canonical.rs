//! Known answers of RDFC-1.0 for the shapes where canonicalisers part ways, each answer
//! produced by Digital Bazaar's implementation, the one other verifiers run: jsonld 9.0.0
//! (JSON-LD to RDF) and rdf-canonize 5.0.0 (RDFC-1.0), as pinned in
//! `interop/node/package-lock.json`. To produce one again: after `npm ci` in `interop/node`, put
//! the document in a JSON array in a file and run `node interop/node/canonize.mjs FILE`.
//! (`tests/node_interop.rs` compares a few hundred generated documents the same way, live.)

use ecusson_badges::canonical_nquads;
use serde_json::json;

/// Two endorsements whose embedded proofs are identical, each proof in a graph of its own (a
/// blank node), as in 1EdTech's `complete.json`. Each proof node relates its graph once per
/// statement: RDFC-1.0 lists the graph twice in Hash N-Degree Quads where oxrdf 0.3.5 keeps it
/// once, and oxrdf labels the two proofs the other way round (`_:c14n3` in `_:c14n0`).
#[test]
fn identical_embedded_proofs_are_labelled_as_rdf_canonize_labels_them() {
    let document = json!({
        "@id": "urn:example:badge",
        "urn:example:endorsement": [
            {
                "@id": "urn:example:endorsement:1",
                "urn:example:proof": {
                    "@graph": {"@type": "urn:example:Proof", "urn:example:value": "z1"},
                },
            },
            {
                "@id": "urn:example:endorsement:2",
                "urn:example:proof": {
                    "@graph": {"@type": "urn:example:Proof", "urn:example:value": "z1"},
                },
            },
        ],
    });
    assert_eq!(
        canonical_nquads(&document).unwrap(),
        r#"<urn:example:badge> <urn:example:endorsement> <urn:example:endorsement:1> .
<urn:example:badge> <urn:example:endorsement> <urn:example:endorsement:2> .
<urn:example:endorsement:1> <urn:example:proof> _:c14n1 .
<urn:example:endorsement:2> <urn:example:proof> _:c14n0 .
_:c14n2 <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <urn:example:Proof> _:c14n0 .
_:c14n2 <urn:example:value> "z1" _:c14n0 .
_:c14n3 <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <urn:example:Proof> _:c14n1 .
_:c14n3 <urn:example:value> "z1" _:c14n1 .
"#
    );
}

/// A blank node that is its own object: each of its quads counts once in its first-degree
/// hash, however often it names the node (`rdf-canon` 0.15.3 counts it twice, and swaps the
/// labels).
#[test]
fn a_blank_node_linked_to_itself_is_labelled_as_rdf_canonize_labels_it() {
    let document = json!({
        "@id": "urn:example:badge",
        "urn:example:part": [
            {"@id": "_:x", "urn:example:itself": {"@id": "_:x"}, "urn:example:n": "0"},
            {"@id": "_:y", "urn:example:n": "1"},
        ],
    });
    assert_eq!(
        canonical_nquads(&document).unwrap(),
        r#"<urn:example:badge> <urn:example:part> _:c14n0 .
<urn:example:badge> <urn:example:part> _:c14n1 .
_:c14n0 <urn:example:itself> _:c14n0 .
_:c14n0 <urn:example:n> "0" .
_:c14n1 <urn:example:n> "1" .
"#
    );
}

/// Two identical lists of twelve items: Hash N-Degree Quads walks a whole list, naming its
/// cells `b0` to `b11`, and the canonical labels follow that order (`rdf-canon` 0.15.3 follows
/// the order of the strings, `b10` before `b2`).
#[test]
fn two_identical_long_lists_are_labelled_as_rdf_canonize_labels_them() {
    let items: Vec<String> = (0..12).map(|item| format!("item {item}")).collect();
    let document = json!({
        "@id": "urn:example:badge",
        "urn:example:list": [{"@list": items}, {"@list": items}],
    });
    assert_eq!(
        canonical_nquads(&document).unwrap(),
        r#"<urn:example:badge> <urn:example:list> _:c14n16 .
<urn:example:badge> <urn:example:list> _:c14n4 .
_:c14n0 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> "item 4" .
_:c14n0 <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> _:c14n5 .
_:c14n1 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> "item 3" .
_:c14n1 <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> _:c14n0 .
_:c14n10 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> "item 10" .
_:c14n10 <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> _:c14n11 .
_:c14n11 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> "item 11" .
_:c14n11 <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> <http://www.w3.org/1999/02/22-rdf-syntax-ns#nil> .
_:c14n12 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> "item 4" .
_:c14n12 <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> _:c14n17 .
_:c14n13 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> "item 3" .
_:c14n13 <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> _:c14n12 .
_:c14n14 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> "item 2" .
_:c14n14 <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> _:c14n13 .
_:c14n15 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> "item 1" .
_:c14n15 <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> _:c14n14 .
_:c14n16 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> "item 0" .
_:c14n16 <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> _:c14n15 .
_:c14n17 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> "item 5" .
_:c14n17 <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> _:c14n18 .
_:c14n18 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> "item 6" .
_:c14n18 <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> _:c14n19 .
_:c14n19 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> "item 7" .
_:c14n19 <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> _:c14n20 .
_:c14n2 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> "item 2" .
_:c14n2 <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> _:c14n1 .
_:c14n20 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> "item 8" .
_:c14n20 <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> _:c14n21 .
_:c14n21 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> "item 9" .
_:c14n21 <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> _:c14n22 .
_:c14n22 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> "item 10" .
_:c14n22 <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> _:c14n23 .
_:c14n23 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> "item 11" .
_:c14n23 <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> <http://www.w3.org/1999/02/22-rdf-syntax-ns#nil> .
_:c14n3 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> "item 1" .
_:c14n3 <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> _:c14n2 .
_:c14n4 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> "item 0" .
_:c14n4 <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> _:c14n3 .
_:c14n5 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> "item 5" .
_:c14n5 <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> _:c14n6 .
_:c14n6 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> "item 6" .
_:c14n6 <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> _:c14n7 .
_:c14n7 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> "item 7" .
_:c14n7 <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> _:c14n8 .
_:c14n8 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> "item 8" .
_:c14n8 <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> _:c14n9 .
_:c14n9 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> "item 9" .
_:c14n9 <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> _:c14n10 .
"#
    );
}

/// Processed JSON-LD contexts are shared between documents (the patched oxjsonld's
/// `context_cache`): a document canonicalised once a cache is warm, and after other documents
/// whose contexts differ, gives the bytes it gave cold. The fixtures use the VC 1.1 and 2.0
/// contexts, OB 3.0 and its extensions, type-scoped contexts nested several levels deep.
#[test]
fn shared_contexts_change_no_canonical_form() {
    #[path = "common/mod.rs"]
    mod common;
    let mut documents: Vec<serde_json::Value> = [
        "ob3-validator-fixtures/complete.json",
        "ob3-validator-fixtures/endorsement-valid.json",
        "ob3-validator-fixtures/simple.json",
        "ob3-validator-fixtures/credential-status-revoked.json",
        "ob3-test-vector/signed-credential.json",
    ]
    .iter()
    .map(|path| common::read(path))
    .collect();
    documents.push(common::signed_credential().0);
    // First pass, in order; second pass, reversed and interleaved: the same bytes each time.
    let first: Vec<Option<String>> = documents
        .iter()
        .map(|document| canonical_nquads(document).ok())
        .collect();
    assert!(first.iter().filter(|form| form.is_some()).count() >= 5);
    for (index, document) in documents.iter().enumerate().rev() {
        assert_eq!(
            canonical_nquads(document).ok(),
            first[index],
            "document {index}"
        );
        assert_eq!(canonical_nquads(&documents[0]).ok(), first[0]);
    }
}
