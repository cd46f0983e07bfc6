//! Test support, shared by the Open Badges crate's tests and the end-to-end tests: 1EdTech's
//! conformance material (read from `../shared/interop` beside the checkout, or from
//! `ECUSSON_INTEROP_DIR`), validation against its JSON Schemas, and the Node harness that runs
//! Digital Bazaar's independent implementation offline (`services/ecusson-badges/interop/node`,
//! pinned by its lock file, installed with `npm ci` on first use, one install at a time), and the Python harness that
//! runs 1EdTech's Open Badges 2.0 validator offline (`services/ecusson-badges/interop/python`,
//! pinned by its requirements file, installed into a virtualenv under `target/` on first use).
//!
//! And `read_pdf`, which reads our PDFs back with another library.
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
    let folder = node_folder();
    node_install(&folder);
    let digest = hex_digest(input.to_string().as_bytes(), 6);
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

/// Installs the harness's pinned packages (`npm ci`) unless the lock file's digest is already
/// recorded as installed. `npm ci` first deletes `node_modules`, so two installs at once break
/// each other: the threads of one process queue on a mutex, and processes (another test binary,
/// another checkout's run) on an exclusive lock of a file under the target folder. The digest is
/// written only after a complete install, so an interrupted one is redone.
fn node_install(folder: &Path) {
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let digest = pins_digest(&folder.join("package-lock.json"), 8);
    let marker = folder.join("node_modules/.ecusson-installed");
    let installed = || std::fs::read_to_string(&marker).is_ok_and(|text| text == digest);
    if installed() {
        return;
    }
    let _threads = INSTALL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let target = target_folder();
    std::fs::create_dir_all(&target)
        .unwrap_or_else(|error| panic!("create {}: {error}", target.display()));
    let guard = std::fs::File::create(target.join("npm-install.lock"))
        .unwrap_or_else(|error| panic!("create the npm install lock: {error}"));
    guard
        .lock()
        .unwrap_or_else(|error| panic!("lock the npm install lock: {error}"));
    if installed() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--silent"])
        .current_dir(folder)
        .status()
        .expect("npm must be installed for the interop tests (Node 20 and npm)");
    assert!(status.success(), "npm ci failed in {}", folder.display());
    std::fs::write(&marker, &digest)
        .unwrap_or_else(|error| panic!("write {}: {error}", marker.display()));
}

/// The first `length` bytes of the SHA-256 of `bytes`, in hexadecimal.
fn hex_digest(bytes: &[u8], length: usize) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)[..length]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// [`hex_digest`] of a file that pins a harness's packages: a change of the pins installs
/// afresh.
fn pins_digest(file: &Path, length: usize) -> String {
    let pins =
        std::fs::read(file).unwrap_or_else(|error| panic!("read {}: {error}", file.display()));
    hex_digest(&pins, length)
}

/// The cargo target folder, where the harnesses keep what they install.
fn target_folder() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
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

/// The Python harness: 1EdTech's Open Badges 2.0 validator (`openbadges` on PyPI, a.k.a.
/// openbadges-validator-core) run offline by `validate_ob2.py`.
pub fn python_folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ecusson-badges/interop/python")
}

/// What 1EdTech's Open Badges 2.0 validator is given: a hosted assertion's URL (on 127.0.0.1)
/// or a baked badge image on disk.
#[derive(Clone, Copy, Debug)]
pub enum Ob2Input<'a> {
    Url(&'a str),
    File(&'a Path),
}

/// Runs 1EdTech's Open Badges 2.0 validator on `input`, offline: the JSON-LD context it asks
/// for comes from the interop material (`ob2-context/`), only loopback URLs are fetched, and
/// with `recipient_email` it checks that the assertion was awarded to that address. Returns the
/// wrapper's JSON report (`valid`, `errors`, `warnings`, `messages`, `revoked`, `fetched`,
/// `refused`, `graph`: see `validate_ob2.py`).
///
/// The validator and its pinned dependencies are installed on first use into a virtualenv
/// under the target folder (`ob2-validator-venv/<digest of requirements.txt>`, so a change of
/// the pins installs afresh); without Python 3 and its `venv` module and pip, it fails.
pub fn run_python_validator(input: Ob2Input<'_>, recipient_email: Option<&str>) -> Value {
    let python = python_venv();
    let context = material().join("ob2-context/openbadges-v2-context.json");
    assert!(context.is_file(), "{} is missing", context.display());
    let mut command = Command::new(&python);
    command
        .arg(python_folder().join("validate_ob2.py"))
        .arg("--context")
        .arg(format!(
            "https://w3id.org/openbadges/v2={}",
            context.display()
        ));
    if let Some(email) = recipient_email {
        command.args(["--recipient-email", email]);
    }
    match input {
        Ob2Input::Url(url) => command.args(["--url", url]),
        Ob2Input::File(path) => command.arg("--file").arg(path),
    };
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("run {}: {error}", python.display()));
    assert!(
        output.status.success(),
        "validate_ob2.py crashed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "validate_ob2.py prints JSON ({error}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// The virtualenv's Python, created and filled on first use. It is built in a folder of its
/// own and renamed into place once complete, so that tests running at the same time (the two
/// backends, another test binary) never use a half-installed one; a mutex keeps the threads
/// of one process from installing it twice.
fn python_venv() -> PathBuf {
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let digest = pins_digest(&python_folder().join("requirements.txt"), 6);
    let target = target_folder();
    let venv = target.join("ob2-validator-venv").join(&digest);
    let python = venv_python(&venv);
    let _installing = INSTALL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if python.is_file() {
        return python;
    }
    let partial = target
        .join("ob2-validator-venv")
        .join(format!("{digest}.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&partial);
    let interpreter = if cfg!(windows) { "python" } else { "python3" };
    let created = Command::new(interpreter)
        .args(["-m", "venv"])
        .arg(&partial)
        .status()
        .unwrap_or_else(|error| {
            panic!("{interpreter} must be installed for the Open Badges 2.0 interop test: {error}")
        });
    assert!(
        created.success(),
        "`{interpreter} -m venv` failed: Python 3 with its venv module and pip is needed \
         (on Debian: apt-get install python3-venv)"
    );
    let pip = |arguments: &[&str]| {
        let status = Command::new(venv_python(&partial))
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--no-input",
            ])
            .args(arguments)
            .current_dir(python_folder())
            .status()
            .expect("the virtualenv's Python runs");
        assert!(
            status.success(),
            "pip install {} failed in {}",
            arguments.join(" "),
            partial.display()
        );
    };
    // The old source distributions among the pins are built with these, not with whatever
    // setuptools is newest (no build isolation: a build environment each costs seconds).
    pip(&["--quiet", "-r", "requirements-build.txt"]);
    pip(&[
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "-r",
        "requirements.txt",
    ]);
    match std::fs::rename(&partial, &venv) {
        Ok(()) => {}
        // Another process finished first: use its virtualenv.
        Err(_) if venv_python(&venv).is_file() => {
            let _ = std::fs::remove_dir_all(&partial);
        }
        Err(error) => panic!(
            "rename {} to {}: {error}",
            partial.display(),
            venv.display()
        ),
    }
    python
}

fn venv_python(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts/python.exe")
    } else {
        venv.join("bin/python")
    }
}

/// The text of every page of a PDF and every link's URI, as `lopdf` (a PDF library that is not
/// the one that wrote it) reads them: what a reader's search and clicks would find.
pub fn read_pdf(bytes: &[u8]) -> (String, Vec<String>) {
    let document = lopdf::Document::load_mem(bytes).expect("a readable PDF");
    let pages: Vec<u32> = document.get_pages().keys().copied().collect();
    let text = document.extract_text(&pages).expect("extractable text");
    let mut links = Vec::new();
    for page_id in document.get_pages().values() {
        for annotation in document.get_page_annotations(*page_id).unwrap_or_default() {
            let uri = annotation
                .get(b"A")
                .and_then(|action| document.dereference(action))
                .and_then(|(_, action)| action.as_dict())
                .and_then(|action| action.get(b"URI"))
                .and_then(|uri| uri.as_str());
            if let Ok(uri) = uri {
                links.push(String::from_utf8_lossy(uri).into_owned());
            }
        }
    }
    (text, links)
}
