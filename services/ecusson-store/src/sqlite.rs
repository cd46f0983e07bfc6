//! The SQLite backend (embedded default, no setup).
//!
//! SQLite allows one writer at a time. Appends take the write lock up front (`BEGIN
//! IMMEDIATE`) so that the read-then-write of an append never fails on a stale snapshot, and
//! an in-process mutex queues this process's writers fairly instead of letting them spin on
//! `SQLITE_BUSY`. Because appends are serialised, commit order is append order: each event gets
//! the next rowid, `tx_id` repeats it, and the feed follows the rowid with no horizon and no
//! index of its own.

use crate::canonical::{chain_hash, GENESIS_HASH};
use crate::prepare::{append_outcome, prepare_append, recorded_event, tenant_head};
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
    writer: Arc<Mutex<()>>,
}

impl SqliteEventStore {
    pub fn new(pool: SqlitePool) -> Self {
        Self {
            pool,
            writer: Arc::new(Mutex::new(())),
        }
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

const EVENT_COLUMNS: &str = "tenant_id, seq, tx_id, stream_version, canonical";

/// Parameters per multi-row insert: SQLite accepts at most 32,766 bound values per statement.
const ROWS_PER_INSERT: usize = 1_000;

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

impl SqliteEventStore {
    async fn append_locked(&self, request: &AppendRequest) -> Result<AppendOutcome, StoreError> {
        let prepared = prepare_append(request)?;
        let tenant = request.tenant_id.to_string();
        let stream = request.stream_id.as_str();
        let mut transaction = self.pool.begin_with("BEGIN IMMEDIATE").await?;

        if let Some(key) = &request.idempotency_key {
            let record: Option<(Vec<u8>, i64, i64, i64)> = sqlx::query_as(
                "select fingerprint, first_seq, last_seq, stream_version from idempotency_record \
                 where tenant_id = ?1 and idempotency_key = ?2",
            )
            .bind(&tenant)
            .bind(&key.key)
            .fetch_optional(&mut *transaction)
            .await?;
            if let Some((fingerprint, first_seq, last_seq, stream_version)) = record {
                let status = if fingerprint == key.fingerprint {
                    "replayed"
                } else {
                    "idempotency_conflict"
                };
                return append_outcome(
                    request.expected,
                    status,
                    Some(first_seq),
                    Some(last_seq),
                    Some(stream_version),
                );
            }
        }

        let (mut version,): (i64,) =
            sqlx::query_as("select coalesce(max(stream_version), 0) from event where tenant_id = ?1 and stream_id = ?2")
                .bind(&tenant)
                .bind(stream)
                .fetch_one(&mut *transaction)
                .await?;
        if !request.expected.accepts(version as u64) {
            return append_outcome(request.expected, "wrong_version", None, None, Some(version));
        }

        let head: Option<(i64, Vec<u8>)> =
            sqlx::query_as("select head_seq, head_hash from tenant_log where tenant_id = ?1")
                .bind(&tenant)
                .fetch_optional(&mut *transaction)
                .await?;
        let (mut seq, mut hash) = match head {
            Some((seq, hash)) => (
                seq,
                <[u8; 32]>::try_from(hash.as_slice())
                    .map_err(|_| StoreError::Corrupt(format!("tenant {tenant}: head hash")))?,
            ),
            None => (0, GENESIS_HASH),
        };
        // Events get explicit, consecutive rowids after the current largest (appends are
        // serialised, so this is commit order); tx_id repeats the rowid for the feed cursor.
        let (last_rowid,): (i64,) = sqlx::query_as("select coalesce(max(rowid), 0) from event")
            .fetch_one(&mut *transaction)
            .await?;
        let first_seq = seq + 1;
        let recorded_at = prepared
            .recorded_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);

        let mut rows = Vec::with_capacity(request.events.len());
        let mut rowid = last_rowid;
        for (event, canonical) in request.events.iter().zip(&prepared.canonical) {
            seq += 1;
            version += 1;
            rowid += 1;
            hash = chain_hash(&hash, seq as u64, version as u64, canonical);
            rows.push((rowid, seq, version, event, canonical, hash));
        }
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let mut builder = sqlx::QueryBuilder::<Sqlite>::new(
                "insert into event (rowid, tenant_id, seq, tx_id, stream_id, stream_version, event_id, event_type, \
                 schema_version, recorded_at, canonical, hash) ",
            );
            builder.push_values(
                chunk,
                |mut row, (rowid, seq, version, event, canonical, hash)| {
                    row.push_bind(*rowid)
                        .push_bind(&tenant)
                        .push_bind(*seq)
                        .push_bind(*rowid)
                        .push_bind(stream)
                        .push_bind(*version)
                        .push_bind(event.event_id.to_string())
                        .push_bind(event.event_type.as_str())
                        .push_bind(i64::from(event.schema_version))
                        .push_bind(&recorded_at)
                        .push_bind(canonical.as_slice())
                        .push_bind(hash.to_vec());
                },
            );
            builder
                .build()
                .execute(&mut *transaction)
                .await
                .map_err(crate::append_error)?;
        }

        sqlx::query(
            "insert into tenant_log (tenant_id, head_seq, head_hash) values (?1, ?2, ?3) \
             on conflict (tenant_id) do update set head_seq = excluded.head_seq, head_hash = excluded.head_hash",
        )
        .bind(&tenant)
        .bind(seq)
        .bind(hash.to_vec())
        .execute(&mut *transaction)
        .await?;

        if let Some(key) = &request.idempotency_key {
            sqlx::query(
                "insert into idempotency_record (tenant_id, idempotency_key, fingerprint, stream_id, first_seq, \
                 last_seq, stream_version, recorded_at) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .bind(&tenant)
            .bind(&key.key)
            .bind(key.fingerprint.to_vec())
            .bind(stream)
            .bind(first_seq)
            .bind(seq)
            .bind(version)
            .bind(&recorded_at)
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        append_outcome(
            request.expected,
            "appended",
            Some(first_seq),
            Some(seq),
            Some(version),
        )
    }
}

#[async_trait]
impl EventStore for SqliteEventStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    #[tracing::instrument(name = "store.append", skip_all, fields(tenant.id = %request.tenant_id, stream.id = %request.stream_id, events = request.events.len()))]
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        let _writer = self.writer.lock().await;
        self.append_locked(&request).await
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
        decode_rows(rows)
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

    async fn begin_read_model(&self) -> Result<Box<dyn ReadModelTransaction>, StoreError> {
        // Read-model writers are writers too: take the write lock up front (see module docs).
        let guard = self.writer.clone().lock_owned().await;
        let transaction = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok(Box::new(SqliteReadModelTransaction {
            transaction,
            _writer: guard,
        }))
    }
}

struct SqliteReadModelTransaction {
    transaction: sqlx::Transaction<'static, Sqlite>,
    _writer: tokio::sync::OwnedMutexGuard<()>,
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
}
