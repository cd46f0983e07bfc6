//! What the tests of this crate share: the interop material and a credential as the ledger
//! builds and signs it.
#![allow(dead_code)]

use ecusson_badges::data_integrity::ProofOptions;
use ecusson_badges::{multikey, sign};
use ed25519_dalek::SigningKey;
use serde_json::Value;

/// The folder of the interop material; its absence fails the test (it never skips).
pub fn interop() -> std::path::PathBuf {
    let folder = std::env::var_os("ECUSSON_INTEROP_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/interop")
        });
    assert!(
        folder.join("ob3-test-vector").is_dir(),
        "the interop material is not at {} (set ECUSSON_INTEROP_DIR)",
        folder.display()
    );
    folder
}

pub fn read(path: &str) -> Value {
    let text = std::fs::read_to_string(interop().join(path)).expect("read the fixture");
    serde_json::from_str(&text).expect("JSON")
}

/// A signed AchievementCredential of the kind the ledger issues, and its key.
pub fn signed_credential() -> (Value, SigningKey) {
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
                id: "https://ecusson.example/structures/9e2a".to_owned(),
                name: "Atelier du Fleuve".to_owned(),
                url: None,
            }),
        },
        subject_id: "urn:uuid:0193a1b2-0000-7000-8000-000000000001".to_owned(),
        valid_from: "2026-11-23T08:00:00Z".to_owned(),
        valid_until: Some("2028-11-23T08:00:00Z".to_owned()),
        evidence: vec![EvidenceItem {
            id: None,
            name: Some("Relevé d'heures".to_owned()),
            narrative: "Trois mois sans retard.".to_owned(),
        }],
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
