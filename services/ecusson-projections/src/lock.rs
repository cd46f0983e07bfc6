//! One worker per projection at a time, with database locks (ARCHITECTURE.md, "Projections").
//!
//! A batch covers every tenant (it is a page of the cross-tenant feed), so a projection is
//! locked as a whole, not per tenant.
//!
//! PostgreSQL, two advisory-lock keys per projection ([`ProjectionLockKeys`]):
//! - `batch`: every batch transaction takes it first, transaction-level and exclusive, with
//!   `pg_try_advisory_xact_lock`. A runner or catch-up that finds it taken rolls back at once,
//!   having written nothing, and leaves the projection to whoever holds it. The lock goes with
//!   the transaction (commit, rollback, crash, lost connection): nothing to clean up.
//! - `rebuild`: a rebuild holds it (session-level, exclusive) for its whole run, on a
//!   connection of its own ([`EventStore::hold_locks`]); every runner batch takes it shared
//!   within its transaction, so no runner works on a projection while it is being rebuilt, and
//!   a rebuild starts only once the batches in flight are over. The rebuild's own transactions
//!   wait for `batch` instead of trying it.
//!
//! SQLite: a read-model transaction begins `IMMEDIATE`, holding the database's single write
//! lock, so batches are serialised whatever process runs them; the checkpoint is compared with
//! the runner's copy inside that transaction (`checkpoint::advance`), so a batch read before
//! another process moved the checkpoint applies nothing. The lock is never "taken" there: a
//! second writer waits for it (busy timeout) and then finds the checkpoint moved.
//!
//! [`EventStore::hold_locks`]: ecusson_store::EventStore::hold_locks

use crate::checkpoint::{self, Checkpoint};
use crate::ProjectionError;
use ecusson_store::{Backend, ReadModelTransaction, SqlValue};
use sha2::{Digest, Sha256};

/// The PostgreSQL advisory-lock keys of one projection: the first 8 bytes (big-endian) of
/// SHA-256 over `ecusson/projection/<purpose>/<name>`. They depend on nothing but the name, so
/// every node and every version computes the same ones. Holding `batch` from any session (a
/// `psql` with `select pg_advisory_lock(<batch>)`) pauses the projection on every node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProjectionLockKeys {
    /// Taken by every transaction that writes the projection's tables or checkpoint.
    pub batch: i64,
    /// Held by a rebuild for its whole run; runner batches take it shared.
    pub rebuild: i64,
}

impl ProjectionLockKeys {
    pub fn of(projection: &str) -> Self {
        Self {
            batch: key("batch", projection),
            rebuild: key("rebuild", projection),
        }
    }
}

fn key(purpose: &str, projection: &str) -> i64 {
    let digest = Sha256::new()
        .chain_update(b"ecusson/projection/")
        .chain_update(purpose.as_bytes())
        .chain_update(b"/")
        .chain_update(projection.as_bytes())
        .finalize();
    let mut bytes = [0_u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// How a batch transaction takes its projection's lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BatchLock {
    /// Runners and catch-ups: take it if free, else give up the batch (another worker has it).
    Try,
    /// A rebuild, which already holds the rebuild lock: wait for a batch still in flight.
    Wait,
}

/// Takes `projection`'s lock in `transaction`, which must not have written anything yet.
/// Returns false if another worker holds it (only with [`BatchLock::Try`] on PostgreSQL); the
/// caller then drops the transaction.
///
/// On PostgreSQL the same statement turns off `synchronous_commit` for the transaction (a
/// round trip less per projection and batch): a read model and its checkpoint commit
/// together, so losing the last commits on a power cut only moves both back to an earlier
/// consistent point, which the runner then replays, and not waiting for the WAL flush saves a
/// disk flush per projection and batch. (SQLite's equivalent is the store's
/// `synchronous = NORMAL`.)
pub(crate) async fn lock_batch(
    transaction: &mut dyn ReadModelTransaction,
    backend: Backend,
    projection: &str,
    mode: BatchLock,
) -> Result<bool, ProjectionError> {
    if backend == Backend::Sqlite {
        // The transaction began IMMEDIATE: it holds the database's write lock already.
        return Ok(true);
    }
    let keys = ProjectionLockKeys::of(projection);
    match mode {
        BatchLock::Try => {
            // `case` evaluates in order: the batch lock is only tried once the rebuild lock
            // was found free (shared), so a refused runner never holds the batch lock at all.
            let rows = transaction
                .fetch_all(
                    "select case when pg_try_advisory_xact_lock_shared($1) \
                     then pg_try_advisory_xact_lock($2)::int else 0 end, \
                     set_config('synchronous_commit', 'off', true)",
                    &[SqlValue::Int(keys.rebuild), SqlValue::Int(keys.batch)],
                )
                .await
                .map_err(ProjectionError::store(projection))?;
            Ok(rows
                .first()
                .and_then(|row| row.first())
                .and_then(SqlValue::as_int)
                == Some(1))
        }
        BatchLock::Wait => {
            transaction
                .execute(
                    "select pg_advisory_xact_lock($1), \
                     set_config('synchronous_commit', 'off', true)",
                    &[SqlValue::Int(keys.batch)],
                )
                .await
                .map_err(ProjectionError::store(projection))?;
            Ok(true)
        }
    }
}

/// What taking a projection's lock and moving its checkpoint found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Locked {
    /// Locked, and the checkpoint moved from the batch's position to its end.
    Advanced,
    /// Another worker holds the projection: nothing was written.
    Elsewhere,
    /// Locked, but the checkpoint is no longer where the batch was read: another worker applied
    /// these events already. Nothing was written.
    Superseded,
}

/// One projection's part of a batch transaction: its checkpoint moves from `from` to `to`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Advance<'a> {
    pub projection: &'a str,
    pub from: &'a Checkpoint,
    pub to: &'a Checkpoint,
}

/// Takes the lock of every projection of `advances` ([`lock_batch`]) and moves each one's
/// checkpoint from `from` to `to` (`checkpoint::advance`), in `transaction`, which must not have
/// written anything yet. Returns what each found, in order; only those [`Locked::Advanced`] may
/// then write their rows.
///
/// A runner's batch on PostgreSQL does all of it in one statement, whatever the number of
/// projections: the updates' condition reads each lock's outcome, so a checkpoint moves only once
/// its projection's lock is held, and it matches the checkpoint's latest committed version (a row
/// moved by another worker after the statement's snapshot is checked again by PostgreSQL when
/// the update reaches it). The locks are tried, never waited for, so projections locked together
/// in any order cannot deadlock. A rebuild's batches, SQLite, and a batch where some projection
/// is at its very start (its checkpoint row may not exist yet) take the two steps per projection.
pub(crate) async fn lock_and_advance(
    transaction: &mut dyn ReadModelTransaction,
    backend: Backend,
    mode: BatchLock,
    advances: &[Advance<'_>],
) -> Result<Vec<Locked>, ProjectionError> {
    if backend == Backend::Sqlite
        || mode == BatchLock::Wait
        || advances
            .iter()
            .any(|advance| checkpoint::at_start(advance.from))
    {
        let mut found = Vec::with_capacity(advances.len());
        for advance in advances {
            found.push(lock_and_advance_one(transaction, backend, mode, advance).await?);
        }
        return Ok(found);
    }
    let label = advances
        .iter()
        .map(|advance| advance.projection)
        .collect::<Vec<_>>()
        .join(", ");
    let mut rows_sql = Vec::with_capacity(advances.len());
    let mut params = Vec::with_capacity(advances.len() * 14);
    for (index, advance) in advances.iter().enumerate() {
        let keys = ProjectionLockKeys::of(advance.projection);
        let base = params.len();
        let row = WANTED_TYPES
            .iter()
            .enumerate()
            .map(|(column, sql_type)| format!("${}::{sql_type}", base + column + 1))
            .collect::<Vec<_>>()
            .join(", ");
        rows_sql.push(format!("({row})"));
        params.extend([
            SqlValue::Int(index as i64),
            SqlValue::Int(keys.rebuild),
            SqlValue::Int(keys.batch),
        ]);
        // The conditional update's parameters: the name, the new position, the old one.
        params.extend(checkpoint::update_parameters(
            advance.projection,
            advance.from,
            advance.to,
            &checkpoint::moved_at(advance.to),
        ));
    }
    let sql = format!(
        "with wanted (ord, rebuild_key, batch_key, projection_name, \
                      to_tx_id, to_tenant_id, to_seq, to_events_processed, to_last_event_recorded_at, to_updated_at, \
                      from_tx_id, from_tenant_id, from_seq, from_events_processed) as (values {}), \
         locked as materialized ( \
             select wanted.*, \
                    case when pg_try_advisory_xact_lock_shared(rebuild_key) \
                    then pg_try_advisory_xact_lock(batch_key)::int else 0 end as held, \
                    set_config('synchronous_commit', 'off', true) as synchronous_commit \
             from wanted), \
         moved as ( \
             update projection_checkpoint c \
             set tx_id = l.to_tx_id, tenant_id = l.to_tenant_id, seq = l.to_seq, \
                 events_processed = l.to_events_processed, \
                 last_event_recorded_at = l.to_last_event_recorded_at, updated_at = l.to_updated_at \
             from locked l \
             where l.held = 1 and c.projection_name = l.projection_name and c.tx_id = l.from_tx_id \
               and c.tenant_id = l.from_tenant_id and c.seq = l.from_seq \
               and c.events_processed = l.from_events_processed \
             returning c.projection_name) \
         select l.held::bigint, (select count(*) from moved m where m.projection_name = l.projection_name) \
         from locked l order by l.ord",
        rows_sql.join(", ")
    );
    let rows = transaction
        .fetch_all(&sql, &params)
        .await
        .map_err(ProjectionError::store(&label))?;
    let corrupt = |detail: String| ProjectionError::Store {
        projection: label.clone(),
        source: ecusson_store::StoreError::Corrupt(detail),
    };
    if rows.len() != advances.len() {
        return Err(corrupt(format!(
            "the lock and checkpoint statement answered {} rows for {} projections",
            rows.len(),
            advances.len()
        )));
    }
    rows.iter()
        .map(|row| {
            match (
                row.first().and_then(SqlValue::as_int),
                row.get(1).and_then(SqlValue::as_int),
            ) {
                (Some(0), _) => Ok(Locked::Elsewhere),
                (Some(1), Some(1)) => Ok(Locked::Advanced),
                (Some(1), Some(0)) => Ok(Locked::Superseded),
                _ => Err(corrupt(format!(
                    "the lock and checkpoint statement answered {row:?}"
                ))),
            }
        })
        .collect()
}

/// The types of the columns of the `wanted` rows of [`lock_and_advance`]'s statement: order and
/// lock keys, then the parameters of the checkpoint's move (`checkpoint::update_parameters`).
const WANTED_TYPES: [&str; 14] = [
    "bigint", "bigint", "bigint", "text", "bigint", "text", "bigint", "bigint", "text", "text",
    "bigint", "text", "bigint", "bigint",
];

/// [`lock_and_advance`] for one projection, in two steps: its lock, then its checkpoint.
async fn lock_and_advance_one(
    transaction: &mut dyn ReadModelTransaction,
    backend: Backend,
    mode: BatchLock,
    advance: &Advance<'_>,
) -> Result<Locked, ProjectionError> {
    if !lock_batch(transaction, backend, advance.projection, mode).await? {
        return Ok(Locked::Elsewhere);
    }
    match checkpoint::advance(transaction, advance.projection, advance.from, advance.to).await {
        Ok(()) => Ok(Locked::Advanced),
        Err(ProjectionError::CheckpointMoved(_)) => Ok(Locked::Superseded),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable_and_distinct() {
        // Pinned: nodes running different versions must agree on them.
        let catalogue = ProjectionLockKeys::of("catalogue");
        assert_eq!(catalogue, ProjectionLockKeys::of("catalogue"));
        assert_eq!(
            (catalogue.batch, catalogue.rebuild),
            (PINNED_CATALOGUE_BATCH, PINNED_CATALOGUE_REBUILD)
        );
        let names = ["catalogue", "request_queue", "badge_history", "directory"];
        let mut all: Vec<i64> = names
            .iter()
            .flat_map(|name| {
                let keys = ProjectionLockKeys::of(name);
                [keys.batch, keys.rebuild]
            })
            .collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), names.len() * 2);
    }

    const PINNED_CATALOGUE_BATCH: i64 = 9_092_559_055_904_272_470;
    const PINNED_CATALOGUE_REBUILD: i64 = -4_916_784_087_092_333_811;
}
