//! Test support, shared by the Open Badges crate's tests and the end-to-end tests: 1EdTech's
//! conformance material (read from `../shared/interop` beside the checkout, or from
//! `ECUSSON_INTEROP_DIR`), validation against its JSON Schemas, and the Node harness that runs
//! Digital Bazaar's independent implementation offline (`services/ecusson-badges/interop/node`,
//! pinned by its lock file, installed with `npm ci` on first use).
//!
//! Everything here fails loudly when what it needs is missing: an interop test never skips.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The folder of the interop material; its absence fails the test.
pub fn material() -> PathBuf {
    let folder = std::env::var_os("ECUSSON_INTEROP_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/interop"));
    assert!(
        folder.join("ob3-test-vector").is_dir(),
        "the interop material is not at {} (set ECUSSON_INTEROP_DIR)",
        folder.display()
    );
    folder
}

/// A JSON file of the interop material.
pub fn read(path: &str) -> Value {
    let text = std::fs::read_to_string(material().join(path))
        .unwrap_or_else(|error| panic!("read {path}: {error}"));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{path} is not JSON: {error}"))
}

/// What 1EdTech's JSON Schema (draft 2019-09) `schema` (e.g.
/// `ob3-schemas/achievementcredential.json`) finds wrong with `document`: empty when valid.
pub fn schema_errors(schema: &str, document: &Value) -> Vec<String> {
    let schema = read(schema);
    let validator = jsonschema::draft201909::options()
        .build(&schema)
        .expect("1EdTech's schema compiles");
    validator
        .iter_errors(document)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect()
}

/// The Node harness: Digital Bazaar's verifier and canonicaliser.
pub fn node_folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ecusson-badges/interop/node")
}

/// Runs the harness's `script` on `input` (written to a temporary file named after its
/// content) and returns what it printed, as JSON. Installs the pinned packages first if
/// needed; without Node or npm it fails.
pub fn run_node(script: &str, input: &Value) -> Value {
    use sha2::{Digest, Sha256};
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
    std::fs::write(&file, serde_json::to_vec(input).expect("JSON")).expect("a temporary file");
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

/// What Digital Bazaar's verifier says of `credential`, whose key is listed by `controller`
/// (a controller document: `assertionMethod` embedded, or ids described among its
/// `verificationMethod`s): verified, and the errors it gave.
pub fn node_verify(credential: &Value, controller: &Value) -> (bool, Vec<String>) {
    let answer = run_node(
        "verify.mjs",
        &serde_json::json!({"credential": credential, "controller": controller}),
    );
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
