//! Open Badges 2.0 hosted documents read as linked data: each document is expanded with the
//! bundled OB 2.0 context and turned into RDF (the reading a JSON-LD verifier makes), and every
//! key written must come out as the property the specification means. The context has no
//! `@vocab`: a misspelt or undefined key would vanish without an error, which is exactly what
//! these tests catch.

use ecusson_badges::canonical_nquads;
use ecusson_badges::ob2::{
    identity_hash, Alignment, Assertion, BadgeClass, Criteria, Evidence, HashedIdentity, Issuer,
    RevokedAssertion, OB2_CONTEXT,
};
use serde_json::Value;

const OBI: &str = "https://w3id.org/openbadges#";
const SCHEMA: &str = "http://schema.org/";
const SEC: &str = "https://w3id.org/security#";
const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";

/// The IRI each key must expand to, as the OB 2.0 specification defines the terms.
fn property(key: &str) -> String {
    let (prefix, name) = match key {
        "name" => (SCHEMA, "name"),
        "url" => (SCHEMA, "url"),
        "email" => (SCHEMA, "email"),
        "description" => (SCHEMA, "description"),
        "image" => (SCHEMA, "image"),
        "tags" => (SCHEMA, "keywords"),
        "targetName" => (SCHEMA, "targetName"),
        "targetUrl" => (SCHEMA, "targetUrl"),
        "targetDescription" => (SCHEMA, "targetDescription"),
        "targetFramework" => (SCHEMA, "educationalFramework"),
        "publicKey" => (SEC, "publicKey"),
        "expires" => (SEC, "expiration"),
        "criteria" => (OBI, "criteria"),
        "narrative" => (OBI, "narrative"),
        "issuer" => (OBI, "issuer"),
        "alignment" => (OBI, "alignment"),
        "targetCode" => (OBI, "targetCode"),
        "recipient" => (OBI, "recipient"),
        "hashed" => (OBI, "hashed"),
        "salt" => (OBI, "salt"),
        "identity" => (OBI, "identityHash"),
        "verification" => (OBI, "verify"),
        "issuedOn" => (OBI, "issueDate"),
        "badge" => (OBI, "badge"),
        "evidence" => (OBI, "evidence"),
        "revoked" => (OBI, "revoked"),
        "revocationReason" => (OBI, "revocationReason"),
        other => panic!("no expectation for the key `{other}`: add the specification's IRI"),
    };
    format!("{prefix}{name}")
}

/// The IRI each `type` value must expand to.
fn class(value: &str) -> String {
    let (prefix, name) = match value {
        "Issuer" => (OBI, "Issuer"),
        "BadgeClass" => (OBI, "BadgeClass"),
        "Assertion" => (OBI, "Assertion"),
        // The recipient's identity type and the verification type are terms of the context.
        "email" => (SCHEMA, "email"),
        "hosted" => (OBI, "HostedBadge"),
        other => panic!("no expectation for the type `{other}`"),
    };
    format!("{prefix}{name}")
}

/// Every (key, value) the document states, nested objects included, and how many RDF triples
/// they make: one per value (each element of a list), nested objects adding their own.
fn statements(document: &Value, found: &mut Vec<(String, Value)>) -> usize {
    let Value::Object(object) = document else {
        return 0;
    };
    let mut triples = 0;
    for (key, value) in object {
        // `@context` states nothing; `id` names the node the others are about.
        if key == "@context" || key == "id" {
            continue;
        }
        let values = match value {
            Value::Array(values) => values.clone(),
            value => vec![value.clone()],
        };
        for value in values {
            found.push((key.clone(), value.clone()));
            triples += 1 + statements(&value, found);
        }
    }
    triples
}

/// Checks that nothing written is lost in the RDF reading of `document`, and returns that
/// reading (canonical N-Quads).
fn assert_nothing_dropped(document: &Value) -> String {
    assert_eq!(document["@context"], OB2_CONTEXT);
    let nquads = canonical_nquads(document).expect("expands with the bundled context");
    let mut found = Vec::new();
    let expected = statements(document, &mut found);
    assert_eq!(
        nquads.lines().count(),
        expected,
        "every statement is one triple:\n{nquads}"
    );
    for (key, value) in found {
        if key == "type" {
            let class = class(value.as_str().expect("a type is a string"));
            assert!(
                nquads.contains(&format!("<{RDF_TYPE}> <{class}> ")),
                "type {value} is not {class}:\n{nquads}"
            );
        } else {
            let property = property(&key);
            assert!(
                // A predicate follows its subject (`<iri>` or `_:c14n0`) and a space.
                nquads.contains(&format!(" <{property}> ")),
                "`{key}` is not {property}:\n{nquads}"
            );
        }
    }
    nquads
}

fn issuer() -> Issuer {
    Issuer {
        id: "https://ecusson.example/ob2/issuers/5b0f".to_owned(),
        name: "Réseau des entreprises d'insertion « Nouvelle-Aquitaine »".to_owned(),
        url: "https://ecusson.example".to_owned(),
        email: Some("contact@ecusson.example".to_owned()),
        public_key: Some("https://ecusson.example/ob2/issuers/5b0f/key".to_owned()),
    }
}

fn badge_class() -> BadgeClass {
    BadgeClass {
        id: "https://ecusson.example/ob2/badge-classes/7c1d".to_owned(),
        name: "Respecter les horaires".to_owned(),
        description: "Savoir se présenter à l'heure, tenir un planning ; œuvrer en équipe."
            .to_owned(),
        image: "https://ecusson.example/ob2/badge-classes/7c1d/image.png".to_owned(),
        criteria: Criteria {
            id: Some("https://ecusson.example/badge-classes/7c1d#criteres".to_owned()),
            narrative: "A tenu ses horaires trois mois, d'après le relevé d'heures.".to_owned(),
        },
        issuer: "https://ecusson.example/ob2/issuers/5b0f".to_owned(),
        tags: vec![
            "Découvrir le monde du travail".to_owned(),
            "savoir-être".to_owned(),
        ],
        alignment: vec![Alignment {
            target_name: "Conduite de chariots élévateurs".to_owned(),
            target_url: "https://candidat.francetravail.fr/metierscope/fiche-metier/N1101"
                .to_owned(),
            target_description: Some("Fiche ROME « cariste »".to_owned()),
            target_framework: Some("ROME 4.0".to_owned()),
            target_code: Some("N1101".to_owned()),
        }],
    }
}

fn assertion() -> Assertion {
    Assertion {
        id: "https://ecusson.example/ob2/assertions/0193a1b2".to_owned(),
        recipient: HashedIdentity::email("alice@example.org", "sel-de-Guérande"),
        badge: "https://ecusson.example/ob2/badge-classes/7c1d".to_owned(),
        issued_on: "2026-11-23T08:00:00Z".to_owned(),
        expires: Some("2028-11-23T08:00:00Z".to_owned()),
        evidence: vec![
            Evidence {
                id: Some("https://ecusson.example/evidence/41".to_owned()),
                narrative: "Relevé d'heures : trois mois sans retard.".to_owned(),
            },
            Evidence {
                id: None,
                narrative: "Témoignage de la tutrice « très ponctuelle ».".to_owned(),
            },
        ],
    }
}

#[test]
fn the_issuer_profile_loses_nothing() {
    let document = issuer().to_json();
    assert_eq!(document["type"], "Issuer");
    let nquads = assert_nothing_dropped(&document);
    assert!(nquads.contains("« Nouvelle-Aquitaine »"), "{nquads}");
    // Without the optional keys, nothing else disappears.
    let bare = Issuer {
        email: None,
        public_key: None,
        ..issuer()
    }
    .to_json();
    assert!(bare.get("email").is_none() && bare.get("publicKey").is_none());
    assert_nothing_dropped(&bare);
}

#[test]
fn the_badge_class_loses_nothing() {
    let document = badge_class().to_json();
    assert_eq!(document["type"], "BadgeClass");
    let nquads = assert_nothing_dropped(&document);
    assert!(nquads.contains("œuvrer en équipe"), "{nquads}");
    assert!(nquads.contains("\"savoir-être\""), "{nquads}");
    // The image, the issuer and the criteria page are links, not text.
    assert!(nquads.contains(&format!(
        "<{}image> <https://ecusson.example/ob2/badge-classes/7c1d/image.png>",
        SCHEMA
    )));
    assert!(nquads.contains(&format!(
        "<{OBI}issuer> <https://ecusson.example/ob2/issuers/5b0f>"
    )));
    // A criteria without a page, no tags, no alignment.
    let bare = BadgeClass {
        criteria: Criteria {
            id: None,
            narrative: "Sur avis du comité.".to_owned(),
        },
        tags: Vec::new(),
        alignment: Vec::new(),
        ..badge_class()
    }
    .to_json();
    assert!(bare.get("tags").is_none() && bare.get("alignment").is_none());
    assert_nothing_dropped(&bare);
}

#[test]
fn the_assertion_loses_nothing() {
    let document = assertion().to_json();
    assert_eq!(document["type"], "Assertion");
    assert_eq!(document["verification"]["type"], "hosted");
    assert_eq!(document["recipient"]["type"], "email");
    assert_eq!(document["recipient"]["hashed"], true);
    let nquads = assert_nothing_dropped(&document);
    assert!(nquads.contains("« très ponctuelle »"), "{nquads}");
    assert!(nquads.contains(&format!(
        "<{OBI}issueDate> \"2026-11-23T08:00:00Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime>"
    )));
    assert!(nquads.contains(&format!(
        "<{OBI}hashed> \"true\"^^<http://www.w3.org/2001/XMLSchema#boolean>"
    )));
    // No expiry, no evidence.
    let bare = Assertion {
        expires: None,
        evidence: Vec::new(),
        ..assertion()
    }
    .to_json();
    assert!(bare.get("expires").is_none() && bare.get("evidence").is_none());
    assert_nothing_dropped(&bare);
}

#[test]
fn a_revoked_assertion_says_so_and_nothing_else() {
    let document = RevokedAssertion {
        id: "https://ecusson.example/ob2/assertions/0193a1b2".to_owned(),
        revocation_reason: Some("Attribué par erreur à la mauvaise personne.".to_owned()),
    }
    .to_json();
    let keys: Vec<&str> = document
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys.len(),
        5,
        "@context, id, type, revoked, revocationReason: {keys:?}"
    );
    assert_eq!(document["revoked"], true);
    let nquads = assert_nothing_dropped(&document);
    assert!(nquads.contains(&format!(
        "<{OBI}revoked> \"true\"^^<http://www.w3.org/2001/XMLSchema#boolean>"
    )));
    assert!(nquads.contains("à la mauvaise personne"));

    let without_reason = RevokedAssertion {
        id: "https://ecusson.example/ob2/assertions/0193a1b2".to_owned(),
        revocation_reason: None,
    }
    .to_json();
    assert!(without_reason.get("revocationReason").is_none());
    assert_nothing_dropped(&without_reason);
}

#[test]
fn the_recipient_hash_is_the_known_answer() {
    // Computed outside Rust, once:
    //   printf '%s%s' 'alice@example.org' 'sel-de-Guérande' | sha256sum
    // (the salt's "é" is hashed as its two UTF-8 bytes).
    let expected = "sha256$333464b8e3ce624d2091d9193a6942335f90096c289b03e5b29d1760fbfaeef0";
    assert_eq!(
        identity_hash("alice@example.org", "sel-de-Guérande"),
        expected
    );
    let recipient = HashedIdentity::email("alice@example.org", "sel-de-Guérande");
    assert_eq!(recipient.identity, expected);
    assert_eq!(assertion().to_json()["recipient"]["identity"], expected);
    assert_eq!(
        assertion().to_json()["recipient"]["salt"],
        "sel-de-Guérande"
    );
    // The address never appears in the document.
    assert!(!assertion().to_json().to_string().contains("alice"));
    // Another salt, another hash: the salt is really part of it.
    assert_ne!(identity_hash("alice@example.org", "autre-sel"), expected);
}
