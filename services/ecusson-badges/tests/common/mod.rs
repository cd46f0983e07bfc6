//! What the tests of this crate share: the interop material and a credential as the ledger
//! builds and signs it.
#![allow(dead_code)]

use ecusson_badges::data_integrity::ProofOptions;
use ecusson_badges::{multikey, sign};
use ed25519_dalek::SigningKey;
use serde_json::Value;

#[allow(unused_imports)]
pub use ecusson_interop::{material as interop, node_verify, read, run_node};

/// A signed AchievementCredential of the kind the ledger issues, and its key.
pub fn signed_credential() -> (Value, SigningKey) {
    use ecusson_badges::credential::{AchievementAlignment, RecipientIdentity};
    use ecusson_badges::{Achievement, AchievementCredential, EvidenceItem, Profile};
    let network = Profile {
        id: "https://ecusson.example/networks/5b0f".to_owned(),
        name: "Réseau Nouvelle-Aquitaine".to_owned(),
        url: Some("https://ecusson.example".to_owned()),
    };
    let credential = AchievementCredential {
        id: "https://ecusson.example/credentials/0193a1b2".to_owned(),
        name: "Respecter les horaires".to_owned(),
        issuer: network.clone(),
        achievement: Achievement {
            id: "https://ecusson.example/badge-classes/7c1d/revisions/2".to_owned(),
            name: "Respecter les horaires".to_owned(),
            description: "Savoir se présenter à l'heure et tenir un planning.".to_owned(),
            criteria_narrative: "A tenu ses horaires trois mois, d'après le relevé d'heures."
                .to_owned(),
            image: Some("https://ecusson.example/badge-classes/7c1d/image.png".to_owned()),
            tags: vec![
                "Découvrir le monde du travail".to_owned(),
                "savoir-être".to_owned(),
            ],
            version: Some("2".to_owned()),
            creator: Some(Profile {
                id: "https://ecusson.example/networks/5b0f".to_owned(),
                name: "Réseau Nouvelle-Aquitaine".to_owned(),
                url: Some("https://ecusson.example".to_owned()),
            }),
            alignments: vec![AchievementAlignment {
                target_name: "Agent / Agente de propreté et d'hygiène".to_owned(),
                target_url: "https://candidat.francetravail.fr/metierscope/fiche-metier/K2204"
                    .to_owned(),
                target_code: Some("K2204".to_owned()),
            }],
        },
        subject_id: None,
        recipient: vec![RecipientIdentity {
            identity_type: "name",
            value: "Camille Martin".to_owned(),
            salt: Some("d5c1e0a8".to_owned()),
        }],
        source: Some(Profile {
            id: "https://ecusson.example/structures/9e2a".to_owned(),
            name: "Atelier du Fleuve".to_owned(),
            url: None,
        }),
        valid_from: "2026-11-23T08:00:00Z".to_owned(),
        valid_until: Some("2028-11-23T08:00:00Z".to_owned()),
        evidence: vec![EvidenceItem {
            id: None,
            name: Some("Relevé d'heures".to_owned()),
            narrative: "Trois mois sans retard.".to_owned(),
        }],
        // No status here, so that the verifier's tests see no status check they did not set
        // up; the ledger's own credentials, which name their revocation list, are checked
        // end to end (tests/it/credentials.rs).
        revocation_list: None,
    }
    .to_json();
    // A test-only key, fixed so that failures reproduce.
    let key = SigningKey::from_bytes(&[42u8; 32]);
    let method = format!("{}#{}", network.id, multikey::encode(&key.verifying_key()));
    let signed = sign(
        &credential,
        &key,
        &ProofOptions {
            verification_method: method,
            created: "2026-11-23T08:00:00Z".to_owned(),
            proof_purpose: "assertionMethod".to_owned(),
        },
    )
    .unwrap();

    (signed, key)
}

/// A controller document (DID-core style) that lists `method`, a Multikey, as an assertion
/// method of `issuer`.
pub fn controller_document(issuer: &str, method: &str, public_key_multibase: &str) -> Value {
    serde_json::json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": issuer,
        "assertionMethod": [{
            "id": method,
            "type": "Multikey",
            "controller": issuer,
            "publicKeyMultibase": public_key_multibase,
        }],
    })
}
