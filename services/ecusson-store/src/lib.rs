//! The event store: one trait ([`EventStore`]), two backends (PostgreSQL for production,
//! SQLite as the embedded default), the tamper-evident hash chain, the read-model SQL seam
//! used by projections, and the per-person vault.
//!
//! Only this crate links sqlx. Callers never see a database error: they get a [`StoreError`]
//! whose `Internal` variant keeps the cause for the log and prints nothing of it.

pub mod access_log;
pub mod audit;
pub mod canonical;
mod coalesce;
pub mod connect;
pub mod lock;
pub mod oauth;
pub mod postgres;
mod prepare;
pub mod read_model;
pub mod sqlite;
mod sqlite_writer;
pub mod types;
pub mod vault;
pub mod verify;

use async_trait::async_trait;
use ecusson_domain::TenantId;

pub use coalesce::CoalescedReads;
pub use connect::{connect, connect_with, DatabaseUrl, PoolSettings, Stores};
pub use lock::HeldLocks;
pub use read_model::{ReadModelTransaction, SqlValue};
pub use types::*;
pub use vault::{SealedEntry, Vault, VaultKey, VaultRead};
pub use verify::{verify_log, VerifyReport, Violation};

/// What can go wrong in the store, as callers need to tell it apart.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The stream was not at the expected version. Nothing was appended.
    #[error("wrong expected version: expected {expected:?}, stream is at {actual}")]
    WrongExpectedVersion {
        expected: ExpectedVersion,
        actual: u64,
    },
    /// The idempotency key was already used for a different command. Nothing was appended.
    #[error("idempotency key already used for a different command")]
    IdempotencyKeyReused,
    /// An event id was already used in this tenant. Nothing was appended.
    #[error("duplicate event id")]
    DuplicateEvent,
    /// A vault entry of the append was sealed under a person's key that is no longer theirs
    /// (erased meanwhile). Nothing was appended.
    #[error("a vault entry was sealed under a person key that changed")]
    PersonKeyChanged,
    /// A shared stream of a tenant named in [`AppendRequest::shared_unchanged`] was appended
    /// to since: the command was decided on something that changed. Nothing was appended.
    #[error("a shared stream changed since the command's inputs were read")]
    SharedStreamsChanged,
    /// The input is malformed (empty batch, invalid stream id...). Nothing was appended.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Stored data cannot be decoded: the log was damaged or edited outside the ledger.
    #[error("stored data is corrupt at {0}")]
    Corrupt(String),
    /// The database cannot be reached.
    #[error("database unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// Anything else. The message is opaque; the cause is kept for the log.
    #[error("internal store error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    pub(crate) fn internal(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Internal(Box::new(error))
    }
}

/// An append refused because one of its vault entries was sealed under a key that is no
/// longer its person's: the vaults that sealed them forget the keys they remembered.
pub(crate) fn person_key_changed(request: &AppendRequest) -> StoreError {
    for entry in &request.vault_entries {
        entry.key_changed(request.tenant_id);
    }
    StoreError::PersonKeyChanged
}

/// The SQLSTATE `ecusson_person_key_is` raises (schema/migrations/postgres/0015).
const PERSON_KEY_CHANGED: &str = "EK001";

/// Maps an error of an append: a unique violation there can only be a reused event id (stream
/// versions and sequences are assigned under the tenant's lock). Detected by SQLSTATE, never by
/// reading the message.
pub(crate) fn append_failed(request: &AppendRequest, error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::DuplicateEvent,
        sqlx::Error::Database(db) if db.code().as_deref() == Some(PERSON_KEY_CHANGED) => {
            person_key_changed(request)
        }
        _ => StoreError::from(error),
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_) => StoreError::Unavailable(error),
            _ => StoreError::internal(error),
        }
    }
}

/// The event store. Both backends pass the same conformance suite (tests/it/store_conformance.rs).
#[async_trait]
pub trait EventStore: Send + Sync {
    fn backend(&self) -> Backend;

    /// Appends events atomically to one stream, checking the expected version and the
    /// idempotency key. Either every event is appended, or none.
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError>;

    /// Appends as [`EventStore::append`] does, with the same outcome for each call, but lets
    /// concurrent single-event appends of one tenant share one statement and one commit (group
    /// commit; PostgreSQL): while one runs, those that arrive wait, then go together. What
    /// commands use under load; `append` runs each call alone. By default, `append`.
    async fn append_grouped(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        self.append(request).await
    }

    /// Events of one stream with `stream_version > after_version`, in order.
    async fn read_stream(
        &self,
        tenant_id: TenantId,
        stream_id: &StreamId,
        after_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Several streams at once, each with `stream_version > after_version`, at most `limit`
    /// events each, in order, with the shared sequence of each stream's tenant; the answer is
    /// in the order of `reads`. PostgreSQL reads them in one statement (one round trip for a
    /// use case that checks several aggregates, one snapshot); by default (SQLite, in process)
    /// the tenants' shared sequences first, then the streams one after the other, so that a
    /// sequence is never newer than the pages it comes with.
    async fn read_streams(
        &self,
        reads: &[StreamRead],
        limit: usize,
    ) -> Result<Vec<StreamPage>, StoreError> {
        let mut shared: Vec<SharedAt> = Vec::new();
        for read in reads {
            if !shared.iter().any(|at| at.tenant_id == read.tenant_id) {
                shared.push(SharedAt {
                    tenant_id: read.tenant_id,
                    seq: self.shared_seq(read.tenant_id).await?,
                });
            }
        }
        let mut pages = Vec::with_capacity(reads.len());
        for read in reads {
            pages.push(StreamPage {
                events: self
                    .read_stream(read.tenant_id, &read.stream_id, read.after_version, limit)
                    .await?,
                shared_seq: shared
                    .iter()
                    .find(|at| at.tenant_id == read.tenant_id)
                    .map_or(0, |at| at.seq),
            });
        }
        Ok(pages)
    }

    /// The tenant's shared sequence now (see [`SharedAt`]; 0 for a tenant without a log).
    async fn shared_seq(&self, tenant_id: TenantId) -> Result<u64, StoreError>;

    /// Events of one tenant with `seq > after_seq`, in sequence order (gap-free, commit order).
    async fn read_tenant(
        &self,
        tenant_id: TenantId,
        after_seq: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// The cross-tenant feed: committed events after `after`, in feed order. An event that a
    /// concurrent writer has not committed yet is never skipped: the feed stops below it.
    async fn read_all(
        &self,
        after: FeedCursor,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Stored rows of one tenant with `seq > after_seq`, as they are (no decoding), for checks.
    async fn read_raw(
        &self,
        tenant_id: TenantId,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<RawEvent>, StoreError>;

    /// The head of a tenant's log, if the tenant has any event.
    async fn tenant_head(&self, tenant_id: TenantId) -> Result<Option<TenantHead>, StoreError>;

    /// Every tenant that has a log.
    async fn tenants(&self) -> Result<Vec<TenantId>, StoreError>;

    /// The current stream version (0 if the stream does not exist).
    async fn stream_version(
        &self,
        tenant_id: TenantId,
        stream_id: &StreamId,
    ) -> Result<u64, StoreError>;

    /// The record an idempotent append left under `key`, if any: lets a use case answer a
    /// retried request with the first outcome before deciding anything again.
    async fn idempotency_record(
        &self,
        tenant_id: TenantId,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError>;

    /// Opens a read-only transaction for queries over read models: one consistent snapshot,
    /// and it never waits for (nor holds up) appenders or projections.
    async fn begin_read_only(&self) -> Result<Box<dyn ReadModelTransaction>, StoreError>;

    /// Runs one query over read models outside any explicit transaction: one statement is its
    /// own consistent snapshot, without the round trips of opening and closing a transaction.
    /// For reads that are a single statement; see [`read_model::SingleStatements`].
    async fn read_once(
        &self,
        sql: &str,
        params: &[SqlValue],
    ) -> Result<Vec<Vec<SqlValue>>, StoreError>;

    /// Opens a transaction for read models and checkpoints (see [`read_model`]).
    async fn begin_read_model(&self) -> Result<Box<dyn ReadModelTransaction>, StoreError>;

    /// Runs one statement that writes (an `insert ... returning`, say) in a transaction of its
    /// own and returns its rows. By default a read-model transaction around it; PostgreSQL
    /// runs the statement alone, one round trip instead of four.
    async fn write_once(
        &self,
        sql: &str,
        params: &[SqlValue],
    ) -> Result<Vec<Vec<SqlValue>>, StoreError> {
        let mut transaction = self.begin_read_model().await?;
        let rows = transaction.fetch_all(sql, params).await?;
        transaction.commit().await?;
        Ok(rows)
    }

    /// Takes exclusive, database-wide locks named by `keys` and holds them across any number of
    /// transactions, until the guard is released or dropped. Waits while another holder has
    /// one of them. Several keys are taken in ascending order, so overlapping callers cannot
    /// deadlock.
    ///
    /// PostgreSQL: session-level advisory locks (the key space of `pg_advisory_lock`, shared
    /// with the transaction-level `pg_advisory_xact_lock` that read-model transactions may take)
    /// on a connection of their own; a crash or a broken connection releases them. SQLite: a
    /// no-op guard. Its only cross-process lock is the database's single write lock, which
    /// cannot be held across transactions without stopping every appender, so SQLite callers
    /// rely on their write transactions alone.
    async fn hold_locks(&self, keys: &[i64]) -> Result<HeldLocks, StoreError>;
}
