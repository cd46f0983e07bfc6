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

/// The Node harness of `interop/node`: Digital Bazaar's verifier and canonicaliser, pinned by
/// its lock file, installed with `npm ci` on first use (without Node or npm the tests fail,
/// they never skip).
fn node_folder() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("interop/node")
}

/// Runs the harness's `script` on `input` (written to a temporary file named after its
/// content) and returns what it printed, as JSON.
pub fn run_node(script: &str, input: &Value) -> Value {
    use sha2::{Digest, Sha256};
    use std::process::Command;
    let folder = node_folder();
    if !folder.join("node_modules/@digitalbazaar/vc").is_dir() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--silent"])
            .current_dir(&folder)
            .status()
            .expect("npm must be installed for the interop tests (Node 20 and npm)");
        assert!(status.success(), "npm ci failed in {}", folder.display());
    }
    let digest: String = Sha256::digest(input.to_string().as_bytes())[..6]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let file = std::env::temp_dir().join(format!(
        "ecusson-node-{script}-{}-{digest}.json",
        std::process::id()
    ));
    std::fs::write(&file, serde_json::to_vec(input).unwrap()).unwrap();
    let output = Command::new("node")
        .arg(folder.join(script))
        .arg(&file)
        .output()
        .expect("node must be installed for the interop tests");
    let _ = std::fs::remove_file(&file);
    assert!(
        output.status.success(),
        "{script} crashed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{script} prints JSON"))
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
