//! Choosing and opening a backend from a database URL, and running the migrations.

use crate::postgres::PostgresEventStore;
use crate::sqlite::SqliteEventStore;
use crate::{Backend, EventStore, StoreError};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// The migrations of each backend, embedded in the binary from `schema/migrations/`.
pub static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator =
    sqlx::migrate!("../../schema/migrations/postgres");
pub static SQLITE_MIGRATIONS: sqlx::migrate::Migrator =
    sqlx::migrate!("../../schema/migrations/sqlite");

/// The settings of every SQLite connection of the store, the pool's and the appender's
/// (journal mode and page size are properties of the file, set by the pool).
///
/// `synchronous=NORMAL` in WAL mode never corrupts the database; a power cut may lose the last
/// commits (an application crash loses nothing). See ARCHITECTURE.md. A 64 MiB page cache and
/// memory-mapped reads keep the indexes' hot pages in memory. The store checkpoints the WAL in
/// the background (see `sqlite.rs`); the automatic checkpoint at 16,000 pages (128 MiB of WAL)
/// is only the backstop. Statement journals stay in memory.
pub(crate) const SQLITE_PRAGMAS: [(&str, &str); 6] = [
    ("synchronous", "NORMAL"),
    ("foreign_keys", "ON"),
    ("cache_size", "-65536"),
    ("mmap_size", "268435456"),
    ("wal_autocheckpoint", "16000"),
    ("temp_store", "MEMORY"),
];

/// A validated database URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(String),
}

impl DatabaseUrl {
    /// The embedded default: a file `ecusson.db` in the working directory.
    pub const DEFAULT: &'static str = "sqlite://ecusson.db";

    pub fn parse(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DatabaseUrl::Postgres(url.to_owned()))
        } else if url.starts_with("sqlite:") {
            Ok(DatabaseUrl::Sqlite(url.to_owned()))
        } else {
            Err(StoreError::InvalidInput(
                "database URL must start with postgres:// or sqlite:".into(),
            ))
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            DatabaseUrl::Postgres(_) => Backend::Postgres,
            DatabaseUrl::Sqlite(_) => Backend::Sqlite,
        }
    }
}

/// Everything opened on one database.
#[derive(Clone)]
pub struct Stores {
    pub events: Arc<dyn EventStore>,
    pub backend: Backend,
}

/// Pool sizing; the defaults suit the API server, benchmarks raise `max_connections`.
#[derive(Clone, Copy, Debug)]
pub struct PoolSettings {
    pub max_connections: u32,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 16,
        }
    }
}

/// Opens the database, creating the SQLite file on first use, and applies pending migrations.
pub async fn connect_with(url: &DatabaseUrl, pool: PoolSettings) -> Result<Stores, StoreError> {
    match url {
        DatabaseUrl::Postgres(url) => {
            let options = PgConnectOptions::from_str(url)
                .map_err(|_| StoreError::InvalidInput("invalid PostgreSQL URL".into()))?;
            let pool = PgPoolOptions::new()
                .max_connections(pool.max_connections)
                // No ping round trip before every query: a connection that broke while idle
                // fails its next query as `Unavailable`, and the pool replaces it.
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(options)
                .await
                .map_err(StoreError::Unavailable)?;
            POSTGRES_MIGRATIONS
                .run(&pool)
                .await
                .map_err(StoreError::internal)?;
            Ok(Stores {
                events: Arc::new(PostgresEventStore::new(pool)),
                backend: Backend::Postgres,
            })
        }
        DatabaseUrl::Sqlite(url) => {
            // The appender opens its own connection to the file: an in-memory database would
            // be another, empty one.
            if url.contains(":memory:") || url.contains("mode=memory") {
                return Err(StoreError::InvalidInput(
                    "the embedded store needs a database file, not :memory:".into(),
                ));
            }
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|_| StoreError::InvalidInput("invalid SQLite URL".into()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(30))
                // Events are ~1 KB: 8 KiB pages hold several per page (set when the file is
                // created).
                .page_size(8192);
            let options = SQLITE_PRAGMAS
                .iter()
                .fold(options, |options, (name, value)| {
                    options.pragma(*name, *value)
                });
            let path = options.get_filename().to_owned();
            let pool = SqlitePoolOptions::new()
                .max_connections(pool.max_connections.clamp(2, 8))
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(options)
                .await
                .map_err(StoreError::Unavailable)?;
            SQLITE_MIGRATIONS
                .run(&pool)
                .await
                .map_err(StoreError::internal)?;
            Ok(Stores {
                events: Arc::new(SqliteEventStore::open(pool, &path)?),
                backend: Backend::Sqlite,
            })
        }
    }
}

/// Opens the database with the default pool settings.
pub async fn connect(url: &DatabaseUrl) -> Result<Stores, StoreError> {
    connect_with(url, PoolSettings::default()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_in_memory_sqlite_database_is_refused_with_a_clear_error() {
        // The appender opens its own connection to the file: an in-memory database would be
        // a different, empty one.
        let url = DatabaseUrl::parse("sqlite::memory:").unwrap();
        match connect(&url).await {
            Err(StoreError::InvalidInput(message)) => assert!(message.contains(":memory:")),
            Err(other) => panic!("expected InvalidInput, got {other:?}"),
            Ok(_) => panic!("an in-memory database was accepted"),
        }
    }
}
