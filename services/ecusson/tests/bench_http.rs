//! `ecusson bench http` end to end on a temporary SQLite file, briefly and with few
//! connections: it prepares the database, serves, drives both mixes, runs the store's append
//! run and prints every figure. It checks that the benchmark works, not how fast anything is.

use std::process::{Command, Output};

struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new() -> Self {
        let directory = std::env::temp_dir().join(format!(
            "ecusson-bench-http-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&directory).unwrap();
        Self(directory)
    }

    /// `ecusson bench http` on a fresh database of its own, briefly.
    fn bench(&self, database: &str, extra: &[&str]) -> Output {
        let url = format!("sqlite://{}", self.0.join(database).display());
        Command::new(env!("CARGO_BIN_EXE_ecusson"))
            .current_dir(&self.0)
            .env_remove("DATABASE_URL")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            .args(["bench", "http", "--database-url", &url])
            .args([
                "--seconds",
                "1",
                "--connections",
                "2",
                "--tenants",
                "1",
                "--earners",
                "9",
            ])
            .args(extra)
            .output()
            .expect("the binary runs")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn succeeded(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "bench http failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn bench_http_prints_both_mixes_the_store_rate_and_the_targets_and_needs_an_empty_database() {
    let scratch = Scratch::new();
    let text = succeeded(&scratch.bench("text.db", &[]));
    for expected in [
        "http request-badge on sqlite:",
        "http badge-history on sqlite:",
        "requests/s (2 connections)",
        "p50",
        "p90",
        "p99",
        "max",
        "history entries per answer",
        "store append on sqlite:",
        "events/s (writers 2, pool 16, tenants 1, one event per append, each alone)",
        "events/s (writers 2, pool 16, tenants 1, one event per append, grouped as commands' appends)",
        "target request-badge",
        "ratio",
        "request-badge over grouped store appends: ratio",
        "target badge-history",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    for line in text.lines().filter(|line| line.starts_with("http ")) {
        assert!(line.contains("; errors 0"), "a mix had errors:\n{text}");
    }
    // Figures are only comparable on a fresh database: a used one is refused.
    let again = scratch.bench("text.db", &[]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("empty database"));

    let json = succeeded(&scratch.bench("json.db", &["--json"]));
    let lines: Vec<serde_json::Value> = json
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    assert_eq!(
        lines.len(),
        5,
        "two mixes, the store's two runs, the verdict:\n{json}"
    );
    for (line, mix) in lines.iter().zip(["request-badge", "badge-history"]) {
        assert_eq!(line["bench"], "http");
        assert_eq!(line["mix"], mix);
        assert_eq!(line["errors"], 0, "{line}");
        assert!(line["requests"].as_u64().unwrap() > 0, "{line}");
        for field in ["requests_per_sec", "p50_ms", "p90_ms", "p99_ms", "max_ms"] {
            assert!(line[field].as_f64().unwrap() > 0.0, "{field}: {line}");
        }
    }
    assert!(lines[1]["entries_per_answer"].as_f64().unwrap() > 0.0);
    assert_eq!(lines[2]["bench"], "http-store-append");
    assert!(lines[2]["events_per_sec"].as_f64().unwrap() > 0.0);
    assert_eq!(lines[3]["bench"], "http-store-append-grouped");
    assert!(lines[3]["events_per_sec"].as_f64().unwrap() > 0.0);
    assert_eq!(lines[4]["bench"], "http-targets");
    for field in [
        "request_badge_ratio",
        "store_grouped_append_events_per_sec",
        "request_badge_ratio_to_grouped",
    ] {
        assert!(lines[4][field].as_f64().unwrap() > 0.0, "{field}");
    }
    assert!(lines[4]["request_badge_target_met"].is_boolean());
    assert!(lines[4]["badge_history_target_met"].is_boolean());
}
