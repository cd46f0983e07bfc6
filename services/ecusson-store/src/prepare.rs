//! What both backends do before touching the database: validate an append, stamp the time and
//! compute the canonical bytes. Shared so that the bytes are identical on every backend.

use crate::canonical::{
    canonical_bytes, truncate_to_micros, validate_new_event, Envelope, MAX_EVENTS_PER_APPEND,
    MAX_EVENT_BYTES,
};
use crate::types::{
    AppendOutcome, AppendRequest, ExpectedVersion, FeedCursor, RecordedEvent, TenantHead,
};
use crate::StoreError;
use chrono::{DateTime, Utc};
use ecusson_domain::TenantId;
use std::collections::HashSet;

/// An append ready to be written.
pub(crate) struct PreparedAppend {
    pub recorded_at: DateTime<Utc>,
    pub canonical: Vec<Vec<u8>>,
}

pub(crate) fn prepare_append(request: &AppendRequest) -> Result<PreparedAppend, StoreError> {
    if request.events.is_empty() {
        return Err(StoreError::InvalidInput(
            "an append needs at least one event".into(),
        ));
    }
    if request.events.len() > MAX_EVENTS_PER_APPEND {
        return Err(StoreError::InvalidInput(format!(
            "an append carries at most {MAX_EVENTS_PER_APPEND} events"
        )));
    }
    if let ExpectedVersion::Exact(0) = request.expected {
        return Err(StoreError::InvalidInput(
            "versions start at 1: use NoStream for an empty stream".into(),
        ));
    }
    let mut seen = HashSet::with_capacity(request.events.len());
    if !request
        .events
        .iter()
        .all(|event| seen.insert(event.event_id))
    {
        return Err(StoreError::DuplicateEvent);
    }
    let recorded_at = truncate_to_micros(Utc::now());
    let canonical = request
        .events
        .iter()
        .map(|event| {
            validate_new_event(event)?;
            let bytes = canonical_bytes(
                request.tenant_id,
                &request.stream_id,
                event,
                &request.metadata,
                recorded_at,
            )?;
            if bytes.len() > MAX_EVENT_BYTES {
                return Err(StoreError::InvalidInput(format!(
                    "an event is at most {MAX_EVENT_BYTES} bytes"
                )));
            }
            Ok(bytes)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PreparedAppend {
        recorded_at,
        canonical,
    })
}

/// Interprets the status of an append as both backends report it.
pub(crate) fn append_outcome(
    expected: ExpectedVersion,
    status: &str,
    first_seq: Option<i64>,
    last_seq: Option<i64>,
    stream_version: Option<i64>,
) -> Result<AppendOutcome, StoreError> {
    let number = |value: Option<i64>| {
        value
            .and_then(|value| u64::try_from(value).ok())
            .ok_or_else(|| {
                StoreError::Corrupt(format!("append returned {status} without positions"))
            })
    };
    match status {
        "appended" | "replayed" => Ok(AppendOutcome {
            first_seq: number(first_seq)?,
            last_seq: number(last_seq)?,
            stream_version: number(stream_version)?,
            replayed: status == "replayed",
        }),
        "wrong_version" => Err(StoreError::WrongExpectedVersion {
            expected,
            actual: number(stream_version)?,
        }),
        "idempotency_conflict" => Err(StoreError::IdempotencyKeyReused),
        "shared_changed" => Err(StoreError::SharedStreamsChanged),
        other => Err(StoreError::Corrupt(format!(
            "unknown append status {other}"
        ))),
    }
}

/// Builds a recorded event from its stored positions and canonical bytes.
pub(crate) fn recorded_event(
    tenant_id: uuid::Uuid,
    seq: i64,
    tx_id: i64,
    stream_version: i64,
    canonical: &[u8],
) -> Result<RecordedEvent, StoreError> {
    let envelope: Envelope = crate::canonical::parse_envelope(canonical)
        .map_err(|error| StoreError::Corrupt(format!("tenant {tenant_id} seq {seq}: {error}")))?;
    if envelope.tenant_id != tenant_id {
        return Err(StoreError::Corrupt(format!(
            "tenant {tenant_id} seq {seq}: bytes belong to another tenant"
        )));
    }
    let metadata = envelope.metadata();
    Ok(RecordedEvent {
        tenant_id: TenantId(tenant_id),
        seq: seq as u64,
        cursor: FeedCursor {
            tx_id,
            tenant_id,
            seq,
        },
        stream_id: envelope.stream_id,
        stream_version: stream_version as u64,
        event_id: envelope.event_id,
        event_type: envelope.event_type,
        schema_version: envelope.schema_version,
        payload_json: envelope.payload,
        metadata,
        recorded_at: envelope.recorded_at,
    })
}

/// Builds a tenant's head from its stored row, refusing a hash of the wrong length.
pub(crate) fn tenant_head(
    tenant_id: TenantId,
    seq: i64,
    hash: Vec<u8>,
) -> Result<TenantHead, StoreError> {
    let hash: [u8; 32] = hash.try_into().map_err(|_| {
        StoreError::Corrupt(format!("tenant {tenant_id}: head hash is not 32 bytes"))
    })?;
    Ok(TenantHead {
        tenant_id,
        seq: seq as u64,
        hash,
    })
}

/// Pages at least this long are parsed on two threads.
const PARALLEL_PAGE_ROWS: usize = 1_000;

/// Parses a page of rows into recorded events, the second half on a blocking thread while this
/// one parses the first: a feed reader then uses both cores instead of one (parsing the
/// envelopes is most of a replay's client time, see BENCHMARKS.md).
pub(crate) async fn decode_page<R: Send + 'static>(
    mut rows: Vec<R>,
    decode: fn(Vec<R>) -> Result<Vec<RecordedEvent>, StoreError>,
) -> Result<Vec<RecordedEvent>, StoreError> {
    if rows.len() < PARALLEL_PAGE_ROWS {
        return decode(rows);
    }
    let tail = rows.split_off(rows.len() / 2);
    let tail = tokio::task::spawn_blocking(move || decode(tail));
    let head = decode(rows);
    let tail = tail.await.map_err(StoreError::internal)?;
    let mut events = head?;
    events.extend(tail?);
    Ok(events)
}

/// Builds an idempotency record from its stored columns.
pub(crate) fn idempotency_record(
    tenant_id: TenantId,
    fingerprint: Vec<u8>,
    stream_id: String,
    positions: (i64, i64, i64),
) -> Result<crate::types::IdempotencyRecord, StoreError> {
    let corrupt = || StoreError::Corrupt(format!("tenant {tenant_id}: idempotency record"));
    let (first_seq, last_seq, stream_version) = positions;
    Ok(crate::types::IdempotencyRecord {
        fingerprint: fingerprint.try_into().map_err(|_| corrupt())?,
        stream_id: crate::types::StreamId::parse(stream_id).map_err(|_| corrupt())?,
        first_seq: u64::try_from(first_seq).map_err(|_| corrupt())?,
        last_seq: u64::try_from(last_seq).map_err(|_| corrupt())?,
        stream_version: u64::try_from(stream_version).map_err(|_| corrupt())?,
    })
}
