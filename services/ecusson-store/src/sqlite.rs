//! The SQLite backend (embedded default, no setup).
//!
//! SQLite allows one writer at a time. Appends take the write lock up front (`BEGIN
//! IMMEDIATE`) so that the read-then-write of an append never fails on a stale snapshot, and
//! an in-process mutex queues this process's writers fairly instead of letting them spin on
//! `SQLITE_BUSY`. Because appends are serialised, commit order is append order: each event gets
//! the next rowid, `tx_id` repeats it, and the feed follows the rowid with no horizon and no
//! index of its own.
//!
//! Appends go through one dedicated writer thread that owns its own connection (rusqlite on
//! the same SQLite library as sqlx) and runs the whole append — lock, head, version check,
//! inserts, head update, commit — in one hand-off. Through sqlx each of those statements is a
//! round trip to the connection's worker thread, and on two busy cores those thread wake-ups,
//! not SQLite, were most of an append's time. Reads, read models, the vault and migrations stay
//! on the sqlx pool.

use crate::prepare::{decode_page, prepare_append, recorded_event, tenant_head};
use crate::read_model::{to_sqlite_placeholders, ReadModelTransaction, SqlValue};
use crate::types::*;
use crate::{EventStore, StoreError};
use async_trait::async_trait;
use ecusson_domain::TenantId;
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{Row, Sqlite, TypeInfo, ValueRef};
use std::sync::Arc;
use tokio::sync::Mutex;
use uuid::Uuid;

#[derive(Clone)]
pub struct SqliteEventStore {
    pool: SqlitePool,
    /// Serialises this process's writers (appends and read-model transactions) fairly instead
    /// of letting them spin on `SQLITE_BUSY`.
    writer: Arc<Mutex<()>>,
    appender: crate::sqlite_writer::Appender,
    checkpointer: Checkpointer,
}

impl SqliteEventStore {
    /// Must be called inside a tokio runtime: it starts the WAL checkpointer task. `path` is
    /// the database file the pool is open on; the appender opens its own connection to it.
    pub fn open(pool: SqlitePool, path: &std::path::Path) -> Result<Self, StoreError> {
        Ok(Self {
            appender: crate::sqlite_writer::Appender::open(path)?,
            checkpointer: Checkpointer::start(pool.clone()),
            pool,
            writer: Arc::new(Mutex::new(())),
        })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

const EVENT_COLUMNS: &str = "tenant_id, seq, tx_id, stream_version, canonical";

/// Copies the write-ahead log back into the database file off the writers' path.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold, so one
/// append in a few hundred pays for copying (and fsyncing) everything written before it. Here
/// appends only count the bytes they wrote; past [`Checkpointer::EVERY_BYTES`] they wake a
/// task that runs a PASSIVE checkpoint on a pool connection, on the other core, while appends
/// go on (a passive checkpoint never waits for readers or writers). The automatic checkpoint
/// stays on as a backstop with a higher threshold (see `connect.rs`). The task ends when the
/// last clone of the store is dropped.
#[derive(Clone)]
struct Checkpointer {
    wake: tokio::sync::mpsc::Sender<()>,
    written: Arc<std::sync::atomic::AtomicU64>,
}

impl Checkpointer {
    const EVERY_BYTES: u64 = 16 * 1024 * 1024;

    fn start(pool: SqlitePool) -> Self {
        let (wake, mut woken) = tokio::sync::mpsc::channel::<()>(1);
        tokio::spawn(async move {
            while woken.recv().await.is_some() {
                if let Err(error) = sqlx::query("pragma wal_checkpoint(PASSIVE)")
                    .execute(&pool)
                    .await
                {
                    // Not fatal: the automatic checkpoint still bounds the log.
                    tracing::warn!(error = %error, "background WAL checkpoint failed");
                }
            }
        });
        Self {
            wake,
            written: Arc::new(std::sync::atomic::AtomicU64::new(0)),
        }
    }

    fn wrote(&self, bytes: u64) {
        use std::sync::atomic::Ordering;
        let total = self.written.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if total >= Self::EVERY_BYTES {
            self.written.store(0, Ordering::Relaxed);
            // A full channel means a checkpoint is already due: nothing to add.
            let _ = self.wake.try_send(());
        }
    }
}

fn decode_rows(rows: Vec<SqliteRow>) -> Result<Vec<RecordedEvent>, StoreError> {
    rows.into_iter()
        .map(|row| {
            let tenant_text: &str = row.try_get(0)?;
            let tenant_id = Uuid::parse_str(tenant_text)
                .map_err(|_| StoreError::Corrupt(format!("tenant id {tenant_text:?}")))?;
            let seq: i64 = row.try_get(1)?;
            let tx_id: i64 = row.try_get(2)?;
            let stream_version: i64 = row.try_get(3)?;
            let canonical: &[u8] = row.try_get(4)?;
            recorded_event(tenant_id, seq, tx_id, stream_version, canonical)
        })
        .collect()
}

fn limit(limit: usize) -> i64 {
    limit.min(100_000) as i64
}

#[async_trait]
impl EventStore for SqliteEventStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    // The stream's category only: its full name holds an aggregate id (a person's, for some).
    #[tracing::instrument(
        name = "store.append",
        skip_all,
        fields(
            store.backend = "sqlite",
            tenant.id = %request.tenant_id,
            stream.category = request.stream_id.category(),
            events = request.events.len(),
        )
    )]
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        // Validation and the canonical bytes need no lock.
        let prepared = prepare_append(&request)?;
        let bytes = prepared.canonical.iter().map(|b| b.len() as u64).sum();
        let outcome = {
            let _writer = self.writer.lock().await;
            self.appender.append(request, prepared).await?
        };
        if !outcome.replayed {
            self.checkpointer.wrote(bytes);
        }
        Ok(outcome)
    }

    async fn read_stream(
        &self,
        tenant_id: TenantId,
        stream_id: &StreamId,
        after_version: u64,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let rows = sqlx::query(&format!(
            "select {EVENT_COLUMNS} from event \
             where tenant_id = ?1 and stream_id = ?2 and stream_version > ?3 order by stream_version limit ?4"
        ))
        .bind(tenant_id.to_string())
        .bind(stream_id.as_str())
        .bind(after_version as i64)
        .bind(limit(max))
        .fetch_all(&self.pool)
        .await?;
        decode_rows(rows)
    }

    async fn read_tenant(
        &self,
        tenant_id: TenantId,
        after_seq: u64,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let rows = sqlx::query(&format!("select {EVENT_COLUMNS} from event where tenant_id = ?1 and seq > ?2 order by seq limit ?3"))
            .bind(tenant_id.to_string())
            .bind(after_seq as i64)
            .bind(limit(max))
            .fetch_all(&self.pool)
            .await?;
        decode_rows(rows)
    }

    async fn read_all(
        &self,
        after: FeedCursor,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        // tx_id is the rowid, unique and in commit order: the cursor's tx_id alone places it.
        let rows = sqlx::query(&format!(
            "select {EVENT_COLUMNS} from event where rowid > ?1 order by rowid limit ?2"
        ))
        .bind(after.tx_id)
        .bind(limit(max))
        .fetch_all(&self.pool)
        .await?;
        decode_page(rows, decode_rows).await
    }

    async fn read_raw(
        &self,
        tenant_id: TenantId,
        after_seq: i64,
        max: usize,
    ) -> Result<Vec<RawEvent>, StoreError> {
        let rows = sqlx::query(
            "select seq, stream_id, stream_version, event_id, event_type, canonical, hash \
             from event where tenant_id = ?1 and seq > ?2 order by seq limit ?3",
        )
        .bind(tenant_id.to_string())
        .bind(after_seq)
        .bind(limit(max))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                let event_id: String = row.try_get(3)?;
                Ok(RawEvent {
                    seq: row.try_get(0)?,
                    stream_id: row.try_get(1)?,
                    stream_version: row.try_get(2)?,
                    // An unparsable id is reported by verify-log as a mismatch with the bytes.
                    event_id: Uuid::parse_str(&event_id).unwrap_or_default(),
                    event_type: row.try_get(4)?,
                    canonical: row.try_get(5)?,
                    hash: row.try_get(6)?,
                })
            })
            .collect()
    }

    async fn tenant_head(&self, tenant_id: TenantId) -> Result<Option<TenantHead>, StoreError> {
        let row: Option<(i64, Vec<u8>)> =
            sqlx::query_as("select head_seq, head_hash from tenant_log where tenant_id = ?1")
                .bind(tenant_id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        row.map(|(seq, hash)| tenant_head(tenant_id, seq, hash))
            .transpose()
    }

    async fn shared_seq(&self, tenant_id: TenantId) -> Result<u64, StoreError> {
        let seq: Option<i64> =
            sqlx::query_scalar("select shared_seq from tenant_log where tenant_id = ?1")
                .bind(tenant_id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        Ok(seq.map_or(0, |seq| seq as u64))
    }

    async fn tenants(&self) -> Result<Vec<TenantId>, StoreError> {
        let rows: Vec<(String,)> =
            sqlx::query_as("select tenant_id from tenant_log order by tenant_id")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|(id,)| {
                Uuid::parse_str(&id)
                    .map(TenantId)
                    .map_err(|_| StoreError::Corrupt(format!("tenant id {id:?}")))
            })
            .collect()
    }

    async fn stream_version(
        &self,
        tenant_id: TenantId,
        stream_id: &StreamId,
    ) -> Result<u64, StoreError> {
        let (version,): (i64,) = sqlx::query_as("select coalesce(max(stream_version), 0) from event where tenant_id = ?1 and stream_id = ?2")
            .bind(tenant_id.to_string())
            .bind(stream_id.as_str())
            .fetch_one(&self.pool)
            .await?;
        Ok(version as u64)
    }

    async fn idempotency_record(
        &self,
        tenant_id: TenantId,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let row: Option<(Vec<u8>, String, i64, i64, i64)> = sqlx::query_as(
            "select fingerprint, stream_id, first_seq, last_seq, stream_version \
             from idempotency_record where tenant_id = ?1 and idempotency_key = ?2",
        )
        .bind(tenant_id.to_string())
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(fingerprint, stream_id, first, last, version)| {
            crate::prepare::idempotency_record(
                tenant_id,
                fingerprint,
                stream_id,
                (first, last, version),
            )
        })
        .transpose()
    }

    async fn begin_read_model(&self) -> Result<Box<dyn ReadModelTransaction>, StoreError> {
        // Read-model writers are writers too: take the write lock up front (see module docs).
        let guard = self.writer.clone().lock_owned().await;
        let transaction = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok(Box::new(SqliteReadModelTransaction {
            transaction,
            _writer: Some(guard),
        }))
    }

    async fn begin_read_only(&self) -> Result<Box<dyn ReadModelTransaction>, StoreError> {
        // A deferred transaction: its first read takes a WAL snapshot, and it takes no write
        // lock. (SQLite's `query_only` would outlive the transaction on the pooled connection;
        // callers only run queries here, and PostgreSQL enforces read-only.)
        let transaction = self.pool.begin().await?;
        Ok(Box::new(SqliteReadModelTransaction {
            transaction,
            _writer: None,
        }))
    }

    async fn hold_locks(&self, _keys: &[i64]) -> Result<crate::HeldLocks, StoreError> {
        // See the trait: SQLite writers are serialised per transaction, not across them.
        Ok(crate::HeldLocks::nothing())
    }

    async fn read_once(
        &self,
        sql: &str,
        params: &[SqlValue],
    ) -> Result<Vec<Vec<SqlValue>>, StoreError> {
        let sql = to_sqlite_placeholders(sql);
        let rows = bind_all(sqlx::query(&sql), params)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(row_values).collect()
    }
}

struct SqliteReadModelTransaction {
    transaction: sqlx::Transaction<'static, Sqlite>,
    /// The process's writer lock, held by writing transactions only.
    _writer: Option<tokio::sync::OwnedMutexGuard<()>>,
}

fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    params: &'q [SqlValue],
) -> sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    for param in params {
        query = match param {
            SqlValue::Null => query.bind(Option::<i64>::None),
            SqlValue::Int(value) => query.bind(*value),
            SqlValue::Text(value) => query.bind(value.as_str()),
            SqlValue::Bytes(value) => query.bind(value.as_slice()),
        };
    }
    query
}

fn row_values(row: &SqliteRow) -> Result<Vec<SqlValue>, StoreError> {
    use sqlx::Row as _;
    (0..row.len())
        .map(|index| {
            let raw = row.try_get_raw(index)?;
            if raw.is_null() {
                return Ok(SqlValue::Null);
            }
            let type_name = raw.type_info().name().to_owned();
            Ok(match type_name.as_str() {
                "INTEGER" | "INT8" | "BOOLEAN" => SqlValue::Int(row.try_get::<i64, _>(index)?),
                "BLOB" => SqlValue::Bytes(row.try_get::<Vec<u8>, _>(index)?),
                _ => SqlValue::Text(row.try_get::<String, _>(index)?),
            })
        })
        .collect()
}

#[async_trait]
impl ReadModelTransaction for SqliteReadModelTransaction {
    async fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<u64, StoreError> {
        let sql = to_sqlite_placeholders(sql);
        let result = bind_all(sqlx::query(&sql), params)
            .execute(&mut *self.transaction)
            .await?;
        Ok(result.rows_affected())
    }

    async fn fetch_all(
        &mut self,
        sql: &str,
        params: &[SqlValue],
    ) -> Result<Vec<Vec<SqlValue>>, StoreError> {
        let sql = to_sqlite_placeholders(sql);
        let rows = bind_all(sqlx::query(&sql), params)
            .fetch_all(&mut *self.transaction)
            .await?;
        rows.iter().map(row_values).collect()
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.transaction.commit().await?;
        Ok(())
    }

    async fn rollback(self: Box<Self>) -> Result<(), StoreError> {
        self.transaction.rollback().await?;
        Ok(())
    }
}
