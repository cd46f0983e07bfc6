//! The `ecusson` binary end to end, on a temporary SQLite file: load the demo, verify the log,
//! tamper with one row and see `verify-log` fail at that position, rebuild the projections.
//! (This lives beside the binary because Cargo gives `CARGO_BIN_EXE_ecusson` only to the
//! binary's own package; every other integration test is in `tests/`.)

use std::process::{Command, Output};

struct Workspace {
    directory: std::path::PathBuf,
}

impl Workspace {
    fn new() -> Self {
        let directory =
            std::env::temp_dir().join(format!("ecusson-cli-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&directory).unwrap();
        Self { directory }
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.directory.join("ledger.db").display())
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_ecusson"))
            .current_dir(&self.directory)
            .env_remove("DATABASE_URL")
            .env_remove("ECUSSON_VAULT_KEY")
            .arg("--database-url")
            .arg(self.url())
            .args(args)
            .output()
            .expect("the binary runs")
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.directory);
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn demo_verify_tamper_and_rebuild() {
    let workspace = Workspace::new();
    let demo = workspace.run(&["demo"]);
    assert!(
        demo.status.success(),
        "demo failed: {}",
        String::from_utf8_lossy(&demo.stderr)
    );
    assert!(stdout(&demo).contains("hash chain intact"));
    assert!(
        workspace.directory.join("ecusson.vault-key").exists(),
        "the vault key file is created on first use"
    );

    // A second load into the same database is refused.
    assert!(!workspace.run(&["demo"]).status.success());

    let verify = workspace.run(&["verify-log"]);
    assert!(verify.status.success());
    assert!(stdout(&verify).contains("all intact"));

    // The audit trail: seal every log, export the busiest tenant's bundle and check it
    // offline against the network's published key.
    let network = stdout(&demo)
        .lines()
        .find_map(|line| line.strip_prefix("network tenant: "))
        .expect("the demo names its network")
        .trim()
        .to_owned();
    let seal = workspace.run(&["audit", "seal"]);
    assert!(seal.status.success(), "{}", stdout(&seal));
    assert!(
        stdout(&seal).contains("\"outcome\":\"sealed\""),
        "{}",
        stdout(&seal)
    );
    let key = workspace.run(&["audit", "key", "--network", &network]);
    assert!(key.status.success());
    let key = stdout(&key).trim().to_owned();
    assert!(
        key.starts_with(&format!("ecusson-audit/{network}+")),
        "{key}"
    );
    let verify = workspace.run(&["verify-log"]);
    assert!(
        stdout(&verify).contains("all intact"),
        "{}",
        stdout(&verify)
    );

    let first = workspace.run(&["projections", "rebuild"]);
    let second = workspace.run(&["projections", "rebuild", "request_queue"]);
    assert!(first.status.success() && second.status.success());
    let checksum_of = |text: &str, name: &str| {
        text.lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.rsplit(' ').next())
            .map(str::to_owned)
    };
    let first_queue = checksum_of(&stdout(&first), "request_queue").expect("a checksum line");
    assert_eq!(
        Some(first_queue),
        checksum_of(&stdout(&second), "request_queue"),
        "rebuilds are reproducible"
    );
    assert!(!workspace
        .run(&["projections", "rebuild", "no_such_projection"])
        .status
        .success());

    // The busiest tenant's log.
    use sqlx::Connection;
    let (tenant,): (String,) = {
        let mut connection = sqlx::SqliteConnection::connect(&workspace.url())
            .await
            .unwrap();
        sqlx::query_as("select tenant_id from tenant_log order by head_seq desc limit 1")
            .fetch_one(&mut connection)
            .await
            .unwrap()
    };

    let bundle = |name: &str| {
        let export = workspace.run(&["audit", "export", "--tenant", &tenant, "-o", name]);
        assert!(
            export.status.success(),
            "{}",
            String::from_utf8_lossy(&export.stderr)
        );
        workspace.directory.join(name).display().to_string()
    };
    let verify_bundle = |path: &str| workspace.run(&["audit", "verify", path, "--key", &key]);
    // Exported before the tampering below: valid.
    let intact_bundle = bundle("intact.jsonl");
    let valid = verify_bundle(&intact_bundle);
    assert!(valid.status.success(), "{}", stdout(&valid));
    assert!(stdout(&valid).contains("VALID"), "{}", stdout(&valid));
    assert!(
        stdout(&valid).contains("figures recomputed from the events"),
        "{}",
        stdout(&valid)
    );
    // A bundle checked against another network's key fails.
    let other_key = workspace.run(&[
        "audit",
        "key",
        "--network",
        &uuid::Uuid::now_v7().to_string(),
    ]);
    let wrong = workspace.run(&[
        "audit",
        "verify",
        &intact_bundle,
        "--key",
        stdout(&other_key).trim(),
    ]);
    assert_eq!(wrong.status.code(), Some(1), "{}", stdout(&wrong));

    // Tamper with the 7th event of one tenant: verify-log must fail there.
    let mut connection = sqlx::SqliteConnection::connect(&workspace.url())
        .await
        .unwrap();
    let changed = sqlx::query(r#"update event set canonical = cast(replace(canonical, '"recorded_at":"2', '"recorded_at":"1') as blob) where tenant_id = ?1 and seq = 7"#)
        .bind(&tenant)
        .execute(&mut connection)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(changed, 1);
    connection.close().await.unwrap();

    // The bundle exported now fails at the same position.
    let tampered = verify_bundle(&bundle("tampered.jsonl"));
    assert_eq!(tampered.status.code(), Some(1), "{}", stdout(&tampered));
    assert!(
        stdout(&tampered).contains("position 7"),
        "{}",
        stdout(&tampered)
    );

    let verify = workspace.run(&["verify-log", "--tenant", &tenant]);
    assert_eq!(
        verify.status.code(),
        Some(1),
        "verify-log exits 1 on tampering"
    );
    assert!(
        stdout(&verify).contains("MISMATCH at position 7"),
        "{}",
        stdout(&verify)
    );
}

/// `ecusson keys`: generate, rotate and revoke the network's issuer keys; every key stays
/// listed with its state; the rules of the domain answer with a failing exit status.
#[test]
fn keys_generate_rotate_revoke_and_list() {
    let workspace = Workspace::new();
    let network = uuid::Uuid::new_v4().to_string();
    let keys = |args: &[&str]| {
        let mut all = vec!["keys", "--network", network.as_str()];
        all.extend_from_slice(args);
        workspace.run(&all)
    };
    let listed = || -> Vec<serde_json::Value> {
        let output = keys(&["list", "--json"]);
        assert!(output.status.success());
        stdout(&output)
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    };
    // Each key as `algorithm:status`, oldest first.
    let statuses = || -> Vec<String> {
        listed()
            .iter()
            .map(|key| {
                format!(
                    "{}:{}",
                    key["algorithm"].as_str().unwrap(),
                    key["status"].as_str().unwrap()
                )
            })
            .collect()
    };
    // The lines `<key id> <algorithm> <multikey>` a generate or rotate prints.
    let printed = |output: &std::process::Output| -> Vec<(String, String, String)> {
        stdout(output)
            .lines()
            .map(|line| {
                let parts: Vec<&str> = line.split(' ').collect();
                (
                    parts[0].to_owned(),
                    parts[1].to_owned(),
                    parts[2].to_owned(),
                )
            })
            .collect()
    };

    assert!(!keys(&["rotate"]).status.success(), "nothing to rotate yet");
    let generated = keys(&["generate"]);
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let first = printed(&generated);
    assert_eq!(first.len(), 2, "one key of each algorithm");
    let (first_id, first_public) = (&first[0].0, &first[0].2);
    assert_eq!(first[0].1, "Ed25519");
    assert!(first_public.starts_with("z6Mk"));
    assert_eq!(first[1].1, "P-256");
    assert!(first[1].2.starts_with("zDna"));
    assert_eq!(statuses(), ["Ed25519:active", "P-256:active"]);
    assert!(!keys(&["generate"]).status.success(), "a second first key");

    let rotated = keys(&["rotate"]);
    assert!(rotated.status.success());
    let second = printed(&rotated);
    let second_id = &second[0].0;
    assert_ne!(first_id, second_id);
    assert_eq!(
        statuses(),
        [
            "Ed25519:retired",
            "P-256:retired",
            "Ed25519:active",
            "P-256:active"
        ]
    );
    assert_eq!(listed()[0]["publicKeyMultibase"], first_public.as_str());

    let revoked = keys(&["revoke", "--key", second_id]);
    assert!(revoked.status.success());
    assert_eq!(
        statuses(),
        [
            "Ed25519:retired",
            "P-256:retired",
            "Ed25519:revoked",
            "P-256:active"
        ]
    );
    assert!(
        !keys(&["revoke", "--key", second_id]).status.success(),
        "revoked twice"
    );
    // A compromise dated in the future is refused (the retired key stays as it was).
    assert!(!keys(&[
        "revoke",
        "--key",
        first_id,
        "--compromised-since",
        "2999-01-01T00:00:00Z"
    ])
    .status
    .success());
    assert_eq!(statuses()[0], "Ed25519:retired");
    // The network can sign again with a new Ed25519 key; its P-256 key is still active.
    let again = keys(&["generate"]);
    assert!(again.status.success());
    assert_eq!(printed(&again).len(), 1);
    assert_eq!(
        statuses(),
        [
            "Ed25519:retired",
            "P-256:retired",
            "Ed25519:revoked",
            "P-256:active",
            "Ed25519:active"
        ]
    );
}

/// `ecusson bench sign|verify` signs and verifies real credentials and reports both forms.
#[test]
fn bench_sign_and_verify_report_both_forms() {
    let workspace = Workspace::new();
    for operation in ["sign", "verify"] {
        let output = workspace.run(&["bench", operation, "--seconds", "1", "--json"]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = stdout(&output);
        let report: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        assert_eq!(report["operation"], operation);
        assert!(report["eddsaRdfc2022PerSecond"].as_f64().unwrap() > 0.0);
        assert!(report["vcJwtEs256PerSecond"].as_f64().unwrap() > 0.0);
    }
}
