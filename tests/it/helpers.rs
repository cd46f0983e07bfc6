//! Test helpers: a fresh, migrated database per test on each backend, and builders for events.
//!
//! PostgreSQL tests use the server named by `ECUSSON_TEST_POSTGRES_URL` (default: the local
//! server at 127.0.0.1:5432, user postgres, trust auth). Each test gets its own database,
//! dropped when the test ends, so tests run in parallel without sharing state. If the server
//! cannot be reached the test FAILS: PostgreSQL tests never skip silently.

use ecusson_domain::TenantId;
use ecusson_store::{
    connect_with, ActorRef, AppendRequest, Backend, DatabaseUrl, EventMetadata, EventStore,
    ExpectedVersion, NewEvent, PoolSettings, StreamId,
};
use serde_json::json;
use sqlx::Connection;
use std::sync::Arc;
use uuid::Uuid;

pub const DEFAULT_POSTGRES_URL: &str =
    "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable";

pub fn postgres_admin_url() -> String {
    std::env::var("ECUSSON_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

/// A migrated database that exists for one test.
pub struct TestStore {
    pub store: Arc<dyn EventStore>,
    pub backend: Backend,
    /// The URL of this test's database, for tests that tamper with rows directly.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Postgres { admin_url: String, database: String },
    Sqlite { directory: std::path::PathBuf },
}

impl std::ops::Deref for TestStore {
    type Target = dyn EventStore;
    fn deref(&self) -> &Self::Target {
        self.store.as_ref()
    }
}

impl TestStore {
    /// Runs raw SQL against this test's database (to tamper with rows as an attacker would).
    /// Use literal values only, so the same text runs on both backends.
    pub async fn execute_raw(&self, sql: &str) -> u64 {
        match self.backend {
            Backend::Postgres => {
                let mut connection = sqlx::PgConnection::connect(&self.url)
                    .await
                    .expect("connect to the test database");
                sqlx::query(sql)
                    .execute(&mut connection)
                    .await
                    .expect("raw SQL runs")
                    .rows_affected()
            }
            Backend::Sqlite => {
                let mut connection = sqlx::SqliteConnection::connect(&self.url)
                    .await
                    .expect("open the test database");
                sqlx::query(sql)
                    .execute(&mut connection)
                    .await
                    .expect("raw SQL runs")
                    .rows_affected()
            }
        }
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Sqlite { directory } => {
                let _ = std::fs::remove_dir_all(directory);
            }
            Cleanup::Postgres {
                admin_url,
                database,
            } => {
                // Drop runs outside async context: use a thread with its own small runtime.
                let admin_url = admin_url.clone();
                let database = database.clone();
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime");
                    runtime.block_on(async move {
                        if let Ok(mut connection) = sqlx::PgConnection::connect(&admin_url).await {
                            let _ = sqlx::query(&format!(
                                "drop database if exists {database} with (force)"
                            ))
                            .execute(&mut connection)
                            .await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

pub async fn sqlite_store() -> TestStore {
    let directory = std::env::temp_dir().join(format!("ecusson-it-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&directory).expect("create a temporary directory");
    let url = format!("sqlite://{}", directory.join("test.db").display());
    let stores = connect_with(
        &DatabaseUrl::parse(&url).unwrap(),
        PoolSettings { max_connections: 8 },
    )
    .await
    .expect("open SQLite");
    TestStore {
        store: stores.events,
        backend: Backend::Sqlite,
        url,
        cleanup: Cleanup::Sqlite { directory },
    }
}

pub async fn postgres_store() -> TestStore {
    let admin_url = postgres_admin_url();
    let database = format!("ecusson_it_{}", Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap_or_else(|error| {
        panic!(
            "PostgreSQL tests need a server at {admin_url} ({error}); start it with \
             `pg_ctlcluster --skip-systemctl-redirect 15 main start` or set ECUSSON_TEST_POSTGRES_URL"
        )
    });
    sqlx::query(&format!("create database {database}"))
        .execute(&mut admin)
        .await
        .expect("create the test database");
    let url = with_database(&admin_url, &database);
    let stores = connect_with(
        &DatabaseUrl::parse(&url).unwrap(),
        PoolSettings {
            max_connections: 16,
        },
    )
    .await
    .expect("open PostgreSQL");
    TestStore {
        store: stores.events,
        backend: Backend::Postgres,
        url,
        cleanup: Cleanup::Postgres {
            admin_url,
            database,
        },
    }
}

/// Replaces the database name in a PostgreSQL URL, keeping its query string.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(base, query)| (base, Some(query)));
    let prefix = base.rsplit_once('/').map_or(base, |(prefix, _)| prefix);
    match query {
        Some(query) => format!("{prefix}/{database}?{query}"),
        None => format!("{prefix}/{database}"),
    }
}

/// A plain test event with a small payload.
pub fn test_event(n: u64) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: "test.happened".into(),
        schema_version: 1,
        payload: json!({ "n": n }),
    }
}

pub fn metadata() -> EventMetadata {
    EventMetadata::new(ActorRef::System("tests".into()))
}

pub fn append_request(
    tenant_id: TenantId,
    stream: &str,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
) -> AppendRequest {
    AppendRequest {
        tenant_id,
        stream_id: StreamId::parse(stream).unwrap(),
        expected,
        events,
        metadata: metadata(),
        idempotency_key: None,
        vault_entries: Vec::new(),
        shared_unchanged: Vec::new(),
    }
}

/// Instantiates each named async test function (taking a `TestStore`) once per backend, in
/// modules `sqlite` and `postgres`, so every test is written once.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name($crate::helpers::sqlite_store().await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name($crate::helpers::postgres_store().await).await
                }
            )*
        }
    };
}

impl TestStore {
    /// Every event id in the table, in feed order (transaction, tenant, sequence), read with
    /// plain SQL and not through the store, for comparison with what a subscriber received.
    pub async fn table_in_feed_order(&self) -> Vec<(String, i64, String)> {
        let sql = match self.backend {
            Backend::Postgres => "select tenant_id::text, seq, event_id::text from event order by tx_id, tenant_id, seq",
            Backend::Sqlite => "select tenant_id, seq, event_id from event order by tx_id, tenant_id, seq",
        };
        match self.backend {
            Backend::Postgres => {
                let mut connection = sqlx::PgConnection::connect(&self.url)
                    .await
                    .expect("connect");
                sqlx::query_as(sql)
                    .fetch_all(&mut connection)
                    .await
                    .expect("read the table")
            }
            Backend::Sqlite => {
                let mut connection = sqlx::SqliteConnection::connect(&self.url)
                    .await
                    .expect("open");
                sqlx::query_as(sql)
                    .fetch_all(&mut connection)
                    .await
                    .expect("read the table")
            }
        }
    }
}
