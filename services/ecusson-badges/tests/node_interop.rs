//! Credentials the ledger signs verify in an independent implementation: Digital Bazaar's
//! `@digitalbazaar/vc` with the `eddsa-rdfc-2022` cryptosuite, in Node, offline, with the
//! JSON-LD contexts of its own npm packages and safe mode on; and a one-character change fails
//! there too. The packages (pinned in `interop/node/package-lock.json`) are installed on first
//! use with `npm ci`; without Node or npm the test fails, it never skips.

mod common;

use ecusson_badges::multikey;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

fn verifier_folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("interop/node")
}

/// Installs the verifier's packages once (npm ci is atomic enough for one test binary).
fn ensure_installed() {
    let folder = verifier_folder();
    if folder.join("node_modules/@digitalbazaar/vc").is_dir() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--silent"])
        .current_dir(&folder)
        .status()
        .expect("npm must be installed for the interop tests (Node 20 and npm)");
    assert!(status.success(), "npm ci failed in {}", folder.display());
}

/// What Digital Bazaar's verifier says of `credential`, the key being `controller`'s.
fn node_verify(credential: &Value, controller: &Value) -> (bool, Vec<String>) {
    let input = std::env::temp_dir().join(format!(
        "ecusson-node-verify-{}-{}.json",
        std::process::id(),
        rand_suffix(credential)
    ));
    std::fs::write(
        &input,
        serde_json::to_vec(&json!({"credential": credential, "controller": controller})).unwrap(),
    )
    .unwrap();
    let output = Command::new("node")
        .arg(verifier_folder().join("verify.mjs"))
        .arg(&input)
        .output()
        .expect("node must be installed for the interop tests");
    let _ = std::fs::remove_file(&input);
    assert!(
        output.status.success(),
        "the verifier crashed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: Value = serde_json::from_slice(&output.stdout).expect("the verifier prints JSON");
    let errors = answer["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|error| error.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    (answer["verified"] == true, errors)
}

fn rand_suffix(value: &Value) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(value.to_string().as_bytes())[..6]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[test]
fn our_credentials_verify_in_digital_bazaars_implementation_and_a_tamper_fails() {
    ensure_installed();
    let (signed, key) = common::signed_credential();
    let issuer = signed["issuer"]["id"].as_str().unwrap().to_owned();
    let method = signed["proof"][0]["verificationMethod"]
        .as_str()
        .unwrap()
        .to_owned();
    let controller = json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": issuer,
        "assertionMethod": [{
            "id": method,
            "type": "Multikey",
            "controller": issuer,
            "publicKeyMultibase": multikey::encode(&key.verifying_key()),
        }],
    });

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
