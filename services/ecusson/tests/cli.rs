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

    // Tamper with the 7th event of one tenant: verify-log must fail there.
    use sqlx::Connection;
    let mut connection = sqlx::SqliteConnection::connect(&workspace.url())
        .await
        .unwrap();
    let (tenant,): (String,) =
        sqlx::query_as("select tenant_id from tenant_log order by head_seq desc limit 1")
            .fetch_one(&mut connection)
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
