//! The `projection_checkpoint` table: where each projection is in the cross-tenant feed.
//!
//! A checkpoint only moves inside the transaction that applies the events it covers, and only
//! from the position the runner read: the update names the old position in its `where` clause.
//! That transaction holds the projection's lock (`crate::lock`: an advisory lock on PostgreSQL,
//! the write lock on SQLite), so it sees the last committed checkpoint; if another worker moved
//! it since the batch was read, the update finds nothing to change and the batch is dropped
//! before writing a row, so no event is ever applied twice.

use crate::row_codec::{timestamp_text, RowReader};
use crate::ProjectionError;
use chrono::{DateTime, Utc};
use ecusson_store::{FeedCursor, ReadModelTransaction, SqlValue};
use uuid::Uuid;

/// The position of one projection in the feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The feed position of the last applied event ([`FeedCursor::START`] before the first).
    pub cursor: FeedCursor,
    /// Feed events applied since the projection last started from the beginning, which is
    /// also the number of feed events at or before `cursor`.
    pub events_processed: u64,
    /// When the last applied event was recorded (none before the first event).
    pub last_event_recorded_at: Option<DateTime<Utc>>,
    /// When the checkpoint last moved (none if it never did).
    pub updated_at: Option<DateTime<Utc>>,
}

impl Checkpoint {
    /// Before the first event of the feed.
    pub fn start() -> Self {
        Self {
            cursor: FeedCursor::START,
            events_processed: 0,
            last_event_recorded_at: None,
            updated_at: None,
        }
    }

    /// The same position, whatever the bookkeeping times: what the conditional update compares.
    fn same_position(&self, other: &Checkpoint) -> bool {
        self.cursor == other.cursor && self.events_processed == other.events_processed
    }
}

const TABLE: &str = "projection_checkpoint";

/// Reads the checkpoint of `projection`, or the start if it has none yet.
pub(crate) async fn load(
    transaction: &mut dyn ReadModelTransaction,
    projection: &str,
) -> Result<Checkpoint, ProjectionError> {
    let rows = transaction
        .fetch_all(
            "select tx_id, tenant_id, seq, events_processed, last_event_recorded_at, updated_at \
             from projection_checkpoint where projection_name = $1",
            &[SqlValue::from(projection)],
        )
        .await
        .map_err(ProjectionError::store(projection))?;
    let Some(row) = rows.first() else {
        return Ok(Checkpoint::start());
    };
    let reader = RowReader::new(TABLE, row, 6)?;
    let tenant_id: Uuid = reader.uuid(1)?;
    // An empty text means "no event yet" (the column is not nullable).
    let last_event_recorded_at = match reader.text(4)? {
        "" => None,
        _ => reader.optional_timestamp(4)?,
    };
    Ok(Checkpoint {
        cursor: FeedCursor {
            tx_id: reader.int(0)?,
            tenant_id,
            seq: reader.int(2)?,
        },
        events_processed: reader.unsigned(3)?,
        last_event_recorded_at,
        updated_at: reader.optional_timestamp(5)?,
    })
}

/// Moves the checkpoint of `projection` from `from` to `to`, or fails with
/// [`ProjectionError::CheckpointMoved`] if it is no longer at `from` (the caller must then drop
/// the transaction, which rolls back whatever the batch wrote).
pub(crate) async fn advance(
    transaction: &mut dyn ReadModelTransaction,
    projection: &str,
    from: &Checkpoint,
    to: &Checkpoint,
) -> Result<(), ProjectionError> {
    let now = moved_at(to);
    if at_start(from) {
        // The first batch ever (or the first after a rebuild that found no row): make sure the
        // row exists so that the conditional update below has something to match.
        transaction
            .execute(
                "insert into projection_checkpoint \
                 (projection_name, tx_id, tenant_id, seq, events_processed, last_event_recorded_at, updated_at) \
                 values ($1, $2, $3, $4, 0, '', $5) on conflict (projection_name) do nothing",
                &[
                    SqlValue::from(projection),
                    SqlValue::Int(FeedCursor::START.tx_id),
                    SqlValue::text(FeedCursor::START.tenant_id),
                    SqlValue::Int(FeedCursor::START.seq),
                    SqlValue::Text(now.clone()),
                ],
            )
            .await
            .map_err(ProjectionError::store(projection))?;
    }
    let (sql, params) = update(projection, from, to, &now);
    let updated = transaction
        .execute(sql, &params)
        .await
        .map_err(ProjectionError::store(projection))?;
    if updated == 1 {
        Ok(())
    } else {
        Err(ProjectionError::CheckpointMoved(projection.to_owned()))
    }
}

/// The conditional update that moves the checkpoint of `projection` from `from` to `to`, and its
/// parameters ([`update_parameters`]).
fn update(
    projection: &str,
    from: &Checkpoint,
    to: &Checkpoint,
    now: &str,
) -> (&'static str, Vec<SqlValue>) {
    (
        "update projection_checkpoint \
         set tx_id = $2, tenant_id = $3, seq = $4, events_processed = $5, last_event_recorded_at = $6, updated_at = $7 \
         where projection_name = $1 and tx_id = $8 and tenant_id = $9 and seq = $10 and events_processed = $11",
        update_parameters(projection, from, to, now).into(),
    )
}

/// The parameters of the move of `projection`'s checkpoint from `from` to `to`: its name; the
/// new cursor (transaction, tenant, sequence), event count, last event's time and `now`; then
/// the old cursor and event count.
pub(crate) fn update_parameters(
    projection: &str,
    from: &Checkpoint,
    to: &Checkpoint,
    now: &str,
) -> [SqlValue; 11] {
    [
        SqlValue::from(projection),
        SqlValue::Int(to.cursor.tx_id),
        SqlValue::text(to.cursor.tenant_id),
        SqlValue::Int(to.cursor.seq),
        SqlValue::Int(count_value(to.events_processed)),
        SqlValue::Text(
            to.last_event_recorded_at
                .as_ref()
                .map(timestamp_text)
                .unwrap_or_default(),
        ),
        SqlValue::Text(now.to_owned()),
        SqlValue::Int(from.cursor.tx_id),
        SqlValue::text(from.cursor.tenant_id),
        SqlValue::Int(from.cursor.seq),
        SqlValue::Int(count_value(from.events_processed)),
    ]
}

/// When the checkpoint moves to `to` (its `updated_at`, else now), as stored.
pub(crate) fn moved_at(to: &Checkpoint) -> String {
    timestamp_text(&to.updated_at.unwrap_or_else(Utc::now))
}

/// Whether a checkpoint is at the very start (its row may not exist yet).
pub(crate) fn at_start(checkpoint: &Checkpoint) -> bool {
    checkpoint.same_position(&Checkpoint::start())
}

/// Puts the checkpoint of `projection` back to the start (used by rebuild, in the transaction
/// that also empties the projection's tables).
pub(crate) async fn reset(
    transaction: &mut dyn ReadModelTransaction,
    projection: &str,
) -> Result<(), ProjectionError> {
    transaction
        .execute(
            "insert into projection_checkpoint \
             (projection_name, tx_id, tenant_id, seq, events_processed, last_event_recorded_at, updated_at) \
             values ($1, $2, $3, $4, 0, '', $5) \
             on conflict (projection_name) do update set tx_id = excluded.tx_id, tenant_id = excluded.tenant_id, \
             seq = excluded.seq, events_processed = 0, last_event_recorded_at = '', updated_at = excluded.updated_at",
            &[
                SqlValue::from(projection),
                SqlValue::Int(FeedCursor::START.tx_id),
                SqlValue::text(FeedCursor::START.tenant_id),
                SqlValue::Int(FeedCursor::START.seq),
                SqlValue::Text(timestamp_text(&Utc::now())),
            ],
        )
        .await
        .map_err(ProjectionError::store(projection))?;
    Ok(())
}

/// Counts are stored in signed 64-bit columns; no log reaches 2^63 events.
fn count_value(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}
