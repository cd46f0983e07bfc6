//! The canonical form of an event and the per-tenant hash chain.
//!
//! Each event is stored as the exact bytes that were hashed: the JSON Canonicalization Scheme
//! (RFC 8785) of its envelope (see ARCHITECTURE.md, "Canonical form"). PostgreSQL's `jsonb`
//! would reorder keys and drop duplicates, so the bytes live in a `bytea`/`blob` column and the
//! payload is decoded from them on read.
//!
//! The chain: `hash(n) = SHA-256(hash(n-1) || be64(seq n) || be64(stream_version n) || bytes n)`
//! with `hash(0)` = 32 zero bytes. The positions are part of the hash because the database
//! assigns them (they are not known when the bytes are made), and an edited, deleted, inserted
//! or reordered row breaks every hash after it.

use crate::types::{ActorRef, EventMetadata, NewEvent, StreamId, Traceparent};
use crate::StoreError;
use chrono::{DateTime, SecondsFormat, Utc};
use ecusson_domain::TenantId;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The hash before the first event of every tenant.
pub const GENESIS_HASH: [u8; 32] = [0; 32];

/// The envelope that is canonicalised. Field names are part of the stored format: never
/// rename them.
#[derive(Serialize)]
struct EnvelopeOut<'a> {
    tenant_id: Uuid,
    stream_id: &'a str,
    event_id: Uuid,
    #[serde(rename = "type")]
    event_type: &'a str,
    schema_version: u16,
    payload: &'a serde_json::Value,
    actor: String,
    correlation_id: Uuid,
    causation_id: Option<Uuid>,
    traceparent: Option<&'a str>,
    recorded_at: String,
}

/// The same envelope, read back.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    pub tenant_id: Uuid,
    pub stream_id: StreamId,
    pub event_id: Uuid,
    #[serde(rename = "type")]
    pub event_type: String,
    pub schema_version: u16,
    pub payload: serde_json::Value,
    pub actor: ActorRef,
    pub correlation_id: Uuid,
    pub causation_id: Option<Uuid>,
    pub traceparent: Option<Traceparent>,
    pub recorded_at: DateTime<Utc>,
}

impl Envelope {
    pub fn metadata(&self) -> EventMetadata {
        EventMetadata {
            actor: self.actor.clone(),
            correlation_id: self.correlation_id,
            causation_id: self.causation_id,
            traceparent: self.traceparent.clone(),
        }
    }
}

/// Truncates to microseconds, the precision both backends keep, so that the time in the bytes
/// and the time in the `recorded_at` column are equal.
pub fn truncate_to_micros(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(time.timestamp_micros()).expect("a time within chrono's range")
}

/// The canonical bytes of one event.
pub fn canonical_bytes(
    tenant_id: TenantId,
    stream_id: &StreamId,
    event: &NewEvent,
    metadata: &EventMetadata,
    recorded_at: DateTime<Utc>,
) -> Result<Vec<u8>, StoreError> {
    let envelope = EnvelopeOut {
        tenant_id: tenant_id.as_uuid(),
        stream_id: stream_id.as_str(),
        event_id: event.event_id,
        event_type: &event.event_type,
        schema_version: event.schema_version,
        payload: &event.payload,
        actor: metadata.actor.to_string(),
        correlation_id: metadata.correlation_id,
        causation_id: metadata.causation_id,
        traceparent: metadata.traceparent.as_ref().map(Traceparent::as_str),
        recorded_at: recorded_at.to_rfc3339_opts(SecondsFormat::Micros, true),
    };
    serde_jcs::to_vec(&envelope).map_err(|error| StoreError::InvalidInput(format!("event cannot be canonicalised: {error}")))
}

/// Parses canonical bytes back into an envelope.
pub fn parse_envelope(bytes: &[u8]) -> Result<Envelope, serde_json::Error> {
    serde_json::from_slice(bytes)
}

/// One link of the chain.
pub fn chain_hash(previous: &[u8; 32], seq: u64, stream_version: u64, canonical: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(previous);
    hasher.update(seq.to_be_bytes());
    hasher.update(stream_version.to_be_bytes());
    hasher.update(canonical);
    hasher.finalize().into()
}

/// Checks an event before it is canonicalised: sizes and type names.
pub fn validate_new_event(event: &NewEvent) -> Result<(), StoreError> {
    let type_ok = !event.event_type.is_empty()
        && event.event_type.len() <= 100
        && event.event_type.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_'));
    if !type_ok {
        return Err(StoreError::InvalidInput("event type must be 1-100 characters of [a-z0-9._]".into()));
    }
    if event.schema_version == 0 {
        return Err(StoreError::InvalidInput("schema version starts at 1".into()));
    }
    if !event.payload.is_object() {
        return Err(StoreError::InvalidInput("event payload must be a JSON object".into()));
    }
    Ok(())
}

/// The largest canonical event accepted (bytes). Documents and other large personal data go
/// to the vault; events stay small.
pub const MAX_EVENT_BYTES: usize = 64 * 1024;

/// The most events one append may carry.
pub const MAX_EVENTS_PER_APPEND: usize = 10_000;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> (TenantId, StreamId, NewEvent, EventMetadata, DateTime<Utc>) {
        let tenant = TenantId(Uuid::parse_str("01900000-0000-7000-8000-000000000001").unwrap());
        let stream = StreamId::parse("earner-1").unwrap();
        let event = NewEvent {
            event_id: Uuid::parse_str("01900000-0000-7000-8000-000000000002").unwrap(),
            event_type: "earner.enrolled".into(),
            schema_version: 1,
            payload: json!({"z": 1, "a": "é\n", "m": {"y": null, "b": [2, 1]}}),
        };
        let metadata = EventMetadata {
            actor: ActorRef::System("test".into()),
            correlation_id: Uuid::parse_str("01900000-0000-7000-8000-000000000003").unwrap(),
            causation_id: None,
            traceparent: None,
        };
        let at = DateTime::parse_from_rfc3339("2026-11-23T10:00:00.123456Z").unwrap().with_timezone(&Utc);
        (tenant, stream, event, metadata, at)
    }

    #[test]
    fn canonical_bytes_sort_keys_and_have_no_whitespace() {
        let (tenant, stream, event, metadata, at) = sample();
        let bytes = canonical_bytes(tenant, &stream, &event, &metadata, at).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(
            text,
            concat!(
                r#"{"actor":"system:test","causation_id":null,"correlation_id":"01900000-0000-7000-8000-000000000003","#,
                r#""event_id":"01900000-0000-7000-8000-000000000002","payload":{"a":"é\n","m":{"b":[2,1],"y":null},"z":1},"#,
                r#""recorded_at":"2026-11-23T10:00:00.123456Z","schema_version":1,"stream_id":"earner-1","#,
                r#""tenant_id":"01900000-0000-7000-8000-000000000001","traceparent":null,"type":"earner.enrolled"}"#
            )
        );
    }

    #[test]
    fn envelope_round_trips() {
        let (tenant, stream, event, metadata, at) = sample();
        let bytes = canonical_bytes(tenant, &stream, &event, &metadata, at).unwrap();
        let envelope = parse_envelope(&bytes).unwrap();
        assert_eq!(envelope.payload, event.payload);
        assert_eq!(envelope.recorded_at, at);
        assert_eq!(envelope.metadata(), metadata);
    }

    #[test]
    fn chain_hash_depends_on_every_input() {
        let base = chain_hash(&GENESIS_HASH, 1, 1, b"x");
        assert_ne!(base, chain_hash(&[1; 32], 1, 1, b"x"));
        assert_ne!(base, chain_hash(&GENESIS_HASH, 2, 1, b"x"));
        assert_ne!(base, chain_hash(&GENESIS_HASH, 1, 2, b"x"));
        assert_ne!(base, chain_hash(&GENESIS_HASH, 1, 1, b"y"));
    }
}
