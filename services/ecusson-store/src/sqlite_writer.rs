//! The SQLite appender: one thread, one connection, one hand-off per append (see `sqlite.rs`).

use crate::canonical::{chain_hash, GENESIS_HASH};
use crate::prepare::{append_outcome, PreparedAppend};
use crate::types::{AppendOutcome, AppendRequest};
use crate::StoreError;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::path::Path;
use std::sync::mpsc;
use tokio::sync::oneshot;

/// Bound values per multi-row insert: 12 columns, and SQLite accepts at most 32,766 values per
/// statement.
const ROWS_PER_INSERT: usize = 1_000;

type Job = (
    AppendRequest,
    PreparedAppend,
    oneshot::Sender<Result<AppendOutcome, StoreError>>,
);

/// A handle to the writer thread. The thread ends when the last handle is dropped.
#[derive(Clone)]
pub(crate) struct Appender {
    jobs: mpsc::Sender<Job>,
}

impl Appender {
    /// Opens the writer's connection (the pool has created the file and run the migrations).
    pub(crate) fn open(path: &Path) -> Result<Self, StoreError> {
        let connection = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )
        .map_err(StoreError::internal)?;
        configure(&connection).map_err(StoreError::internal)?;
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("ecusson-sqlite-appender".into())
            .spawn(move || {
                let mut connection = connection;
                for (request, prepared, reply) in queue {
                    let outcome = append(&mut connection, &request, &prepared);
                    // The caller may have gone away (cancelled request): the append stands.
                    let _ = reply.send(outcome);
                }
            })
            .map_err(StoreError::internal)?;
        Ok(Self { jobs })
    }

    pub(crate) async fn append(
        &self,
        request: AppendRequest,
        prepared: PreparedAppend,
    ) -> Result<AppendOutcome, StoreError> {
        let (reply, outcome) = oneshot::channel();
        self.jobs
            .send((request, prepared, reply))
            .map_err(|_| StoreError::internal(WriterGone))?;
        outcome
            .await
            .map_err(|_| StoreError::internal(WriterGone))?
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the SQLite appender thread has stopped")]
struct WriterGone;

/// The settings of every connection of the store (the pool's are in `connect.rs`).
fn configure(connection: &Connection) -> rusqlite::Result<()> {
    connection.busy_timeout(std::time::Duration::from_secs(30))?;
    for (name, value) in crate::connect::SQLITE_PRAGMAS {
        connection.pragma_update(None, name, value)?;
    }
    connection.set_prepared_statement_cache_capacity(32);
    Ok(())
}

/// A unique violation in an append can only be a reused event id: sequences and versions are
/// assigned under the write lock. Detected by SQLite's extended result code.
fn append_error(error: rusqlite::Error) -> StoreError {
    use rusqlite::ffi;
    match &error {
        rusqlite::Error::SqliteFailure(failure, _)
            if matches!(
                failure.extended_code,
                ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            ) =>
        {
            StoreError::DuplicateEvent
        }
        _ => StoreError::internal(error),
    }
}

fn internal(error: rusqlite::Error) -> StoreError {
    StoreError::internal(error)
}

fn append(
    connection: &mut Connection,
    request: &AppendRequest,
    prepared: &PreparedAppend,
) -> Result<AppendOutcome, StoreError> {
    let tenant = request.tenant_id.to_string();
    let stream = request.stream_id.as_str();
    // IMMEDIATE: the write lock up front, so the reads below are never stale when we write.
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(internal)?;

    if let Some(key) = &request.idempotency_key {
        let record: Option<(Vec<u8>, i64, i64, i64)> = transaction
            .prepare_cached(
                "select fingerprint, first_seq, last_seq, stream_version from idempotency_record \
                 where tenant_id = ?1 and idempotency_key = ?2",
            )
            .and_then(|mut statement| {
                let mut rows = statement.query((&tenant, &key.key))?;
                rows.next()?
                    .map(|row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))
                    .transpose()
            })
            .map_err(internal)?;
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

    let (mut version, head_seq, head_hash, last_rowid): (i64, Option<i64>, Option<Vec<u8>>, i64) =
        transaction
            .prepare_cached(
                "select (select coalesce(max(stream_version), 0) from event where tenant_id = ?1 and stream_id = ?2), \
                 (select head_seq from tenant_log where tenant_id = ?1), \
                 (select head_hash from tenant_log where tenant_id = ?1), \
                 (select coalesce(max(rowid), 0) from event)",
            )
            .and_then(|mut statement| {
                statement.query_row((&tenant, stream), |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                })
            })
            .map_err(internal)?;
    if !request.expected.accepts(version as u64) {
        return append_outcome(request.expected, "wrong_version", None, None, Some(version));
    }
    // The condition on shared streams (the write lock is held: nothing moves meanwhile).
    for at in &request.shared_unchanged {
        let seq: i64 = transaction
            .prepare_cached(
                "select coalesce((select shared_seq from tenant_log where tenant_id = ?1), 0)",
            )
            .and_then(|mut statement| {
                statement.query_row([at.tenant_id.to_string()], |row| row.get(0))
            })
            .map_err(internal)?;
        if seq != at.seq as i64 {
            return append_outcome(request.expected, "shared_changed", None, None, None);
        }
    }
    let shared = ecusson_domain::is_shared_stream(stream);
    let (mut seq, mut hash) = match (head_seq, head_hash) {
        (Some(seq), Some(hash)) => (
            seq,
            <[u8; 32]>::try_from(hash.as_slice())
                .map_err(|_| StoreError::Corrupt(format!("tenant {tenant}: head hash")))?,
        ),
        _ => (0, GENESIS_HASH),
    };
    let first_seq = seq + 1;
    let recorded_at = prepared
        .recorded_at
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);

    // Events get explicit, consecutive rowids after the current largest (appends are
    // serialised, so this is commit order); tx_id repeats the rowid for the feed cursor.
    let mut rowid = last_rowid;
    let events: Vec<_> = request.events.iter().zip(&prepared.canonical).collect();
    for chunk in events.chunks(ROWS_PER_INSERT) {
        let mut sql = String::from(
            "insert into event (rowid, tenant_id, seq, tx_id, stream_id, stream_version, event_id, \
             event_type, schema_version, recorded_at, canonical, hash) values ",
        );
        for index in 0..chunk.len() {
            if index > 0 {
                sql.push(',');
            }
            sql.push_str("(?,?,?,?,?,?,?,?,?,?,?,?)");
        }
        let mut statement = transaction.prepare_cached(&sql).map_err(internal)?;
        let mut parameter = 0;
        let mut bind = |value: &dyn rusqlite::ToSql| {
            parameter += 1;
            statement.raw_bind_parameter(parameter, value)
        };
        for (event, canonical) in chunk {
            seq += 1;
            version += 1;
            rowid += 1;
            hash = chain_hash(&hash, seq as u64, version as u64, canonical);
            (|| {
                bind(&rowid)?;
                bind(&tenant)?;
                bind(&seq)?;
                bind(&rowid)?;
                bind(&stream)?;
                bind(&version)?;
                bind(&event.event_id.to_string())?;
                bind(&event.event_type)?;
                bind(&i64::from(event.schema_version))?;
                bind(&recorded_at)?;
                bind(&canonical.as_slice())?;
                bind(&hash.as_slice())
            })()
            .map_err(internal)?;
        }
        statement.raw_execute().map_err(append_error)?;
    }

    transaction
        .prepare_cached(
            "insert into tenant_log (tenant_id, head_seq, head_hash, shared_seq) \
             values (?1, ?2, ?3, case when ?4 then ?2 else 0 end) \
             on conflict (tenant_id) do update set head_seq = excluded.head_seq, head_hash = excluded.head_hash, \
             shared_seq = case when ?4 then excluded.head_seq else tenant_log.shared_seq end",
        )
        .and_then(|mut statement| statement.execute((&tenant, seq, hash.as_slice(), shared)))
        .map_err(internal)?;

    if let Some(key) = &request.idempotency_key {
        transaction
            .prepare_cached(
                "insert into idempotency_record (tenant_id, idempotency_key, fingerprint, stream_id, first_seq, \
                 last_seq, stream_version, recorded_at) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .and_then(|mut statement| {
                statement.execute((
                    &tenant,
                    &key.key,
                    key.fingerprint.as_slice(),
                    stream,
                    first_seq,
                    seq,
                    version,
                    &recorded_at,
                ))
            })
            .map_err(internal)?;
    }
    // Personal data the events refer to: written with them, never without them, and only
    // under the key its person still has (the write lock keeps it so until the commit).
    for entry in &request.vault_entries {
        let key_held = transaction
            .prepare_cached(
                "select exists (select 1 from person_key \
                 where tenant_id = ?1 and person_id = ?2 and wrapped_key = ?3)",
            )
            .and_then(|mut statement| {
                statement.query_row(
                    (
                        &tenant,
                        entry.person_id.to_string(),
                        entry.sealed_under.as_slice(),
                    ),
                    |row| row.get::<_, bool>(0),
                )
            })
            .map_err(internal)?;
        if !key_held {
            return Err(crate::person_key_changed(request));
        }
        transaction
            .prepare_cached(
                "insert into person_data (tenant_id, person_id, entry_id, version, nonce, ciphertext, created_at) \
                 values (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut statement| {
                statement.execute((
                    &tenant,
                    entry.person_id.to_string(),
                    entry.entry_id.to_string(),
                    entry.version,
                    entry.nonce.as_slice(),
                    entry.ciphertext.as_slice(),
                    &entry.created_at,
                ))
            })
            .map_err(append_error)?;
    }
    transaction.commit().map_err(internal)?;
    append_outcome(
        request.expected,
        "appended",
        Some(first_seq),
        Some(seq),
        Some(version),
    )
}
