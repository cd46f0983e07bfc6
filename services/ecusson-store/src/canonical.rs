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
/// rename them. Fields are declared in sorted order: serialised as they are, they come out
/// the way RFC 8785 orders them (see [`canonical_bytes`]).
#[derive(Serialize)]
struct EnvelopeOut<'a> {
    actor: String,
    causation_id: Option<Uuid>,
    correlation_id: Uuid,
    event_id: Uuid,
    payload: &'a serde_json::Value,
    recorded_at: String,
    schema_version: u16,
    stream_id: &'a str,
    tenant_id: Uuid,
    traceparent: Option<&'a str>,
    #[serde(rename = "type")]
    event_type: &'a str,
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
    /// The payload's JSON text as stored, decoded only when asked for.
    pub payload: Box<serde_json::value::RawValue>,
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

/// The canonical bytes of one event: RFC 8785 (JCS) of its envelope.
///
/// For the values an envelope can hold, plain `serde_json` output already is JCS: struct fields
/// are declared in sorted order, `serde_json::Map` keeps keys sorted (the workspace never
/// enables `preserve_order`), strings are escaped as JCS escapes them, and numbers are integers
/// within ±(2^53 - 1) (checked by [`validate_new_event`]), which JCS writes as plain decimals.
/// This is several times faster than a general JCS serialiser, which must buffer and sort every
/// object; the tests compare the two byte for byte on every event shape (`serde_jcs` is the
/// reference).
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
    let mut bytes = Vec::with_capacity(
        256 + event
            .payload
            .as_object()
            .map_or(0, |object| object.len() * 64),
    );
    serde_json::to_writer(&mut bytes, &envelope).map_err(|error| {
        StoreError::InvalidInput(format!("event cannot be canonicalised: {error}"))
    })?;
    Ok(bytes)
}

/// Parses canonical bytes back into an envelope.
pub fn parse_envelope(bytes: &[u8]) -> Result<Envelope, serde_json::Error> {
    serde_json::from_slice(bytes)
}

/// One link of the chain.
pub fn chain_hash(
    previous: &[u8; 32],
    seq: u64,
    stream_version: u64,
    canonical: &[u8],
) -> [u8; 32] {
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
        && event
            .event_type
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_'));
    if !type_ok {
        return Err(StoreError::InvalidInput(
            "event type must be 1-100 characters of [a-z0-9._]".into(),
        ));
    }
    if event.schema_version == 0 {
        return Err(StoreError::InvalidInput(
            "schema version starts at 1".into(),
        ));
    }
    if !event.payload.is_object() {
        return Err(StoreError::InvalidInput(
            "event payload must be a JSON object".into(),
        ));
    }
    check_json_value(&event.payload, 0)
}

/// The largest integer JCS writes as plain digits (and JavaScript reads back exactly).
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Payloads hold integers (no floats, whose JCS form differs from serde_json's), ASCII keys,
/// and nest at most 32 levels.
fn check_json_value(value: &serde_json::Value, depth: usize) -> Result<(), StoreError> {
    use serde_json::Value;
    if depth > 32 {
        return Err(StoreError::InvalidInput(
            "event payload nests deeper than 32 levels".into(),
        ));
    }
    match value {
        Value::Number(number) => {
            let safe = number.as_u64().is_some_and(|n| n <= MAX_SAFE_INTEGER)
                || number
                    .as_i64()
                    .is_some_and(|n| n.unsigned_abs() <= MAX_SAFE_INTEGER);
            if safe {
                Ok(())
            } else {
                Err(StoreError::InvalidInput(
                    "event payload numbers must be integers within ±(2^53 - 1)".into(),
                ))
            }
        }
        Value::Array(items) => items
            .iter()
            .try_for_each(|item| check_json_value(item, depth + 1)),
        Value::Object(fields) => {
            // JCS sorts keys by UTF-16 code units, serde_json by UTF-8 bytes: the two orders
            // agree on ASCII (payload keys are field names), and may not elsewhere.
            if !fields.keys().all(|key| key.is_ascii()) {
                return Err(StoreError::InvalidInput(
                    "event payload keys must be ASCII".into(),
                ));
            }
            fields
                .values()
                .try_for_each(|item| check_json_value(item, depth + 1))
        }
        Value::Null | Value::Bool(_) | Value::String(_) => Ok(()),
    }
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
        let at = DateTime::parse_from_rfc3339("2026-11-23T10:00:00.123456Z")
            .unwrap()
            .with_timezone(&Utc);
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

    /// The fast path must produce exactly what the reference JCS implementation produces.
    #[test]
    fn canonical_bytes_equal_the_reference_jcs_implementation() {
        let (tenant, stream, mut event, mut metadata, at) = sample();
        let strings = [
            "",
            "plain",
            "é à ç ß 漢字 🎖",
            "quote \" backslash \\ slash /",
            "\u{0}\u{1}\u{8}\t\n\u{b}\u{c}\r\u{1f}\u{7f}",
            "\u{2028}\u{2029}\u{fffd}",
        ];
        for (index, text) in strings.iter().enumerate() {
            event.payload = json!({
                "text": text, "nested": {"b": [1, -2, 9007199254740991_u64, -9007199254740991_i64], "a": {"z": null, "y": true}},
                "e": 2, "E": 3, "_": 4, "~": 5, "0": 6
            });
            metadata.traceparent = Some(
                Traceparent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
                    .unwrap(),
            );
            metadata.causation_id = Some(Uuid::nil());
            let ours = canonical_bytes(tenant, &stream, &event, &metadata, at).unwrap();
            let reference: serde_json::Value = serde_json::from_slice(&ours).unwrap();
            assert_eq!(
                ours,
                serde_jcs::to_vec(&reference).unwrap(),
                "payload {index}"
            );
        }
    }

    #[test]
    fn floats_unsafe_integers_and_non_ascii_keys_are_refused() {
        let (_, _, mut event, _, _) = sample();
        for payload in [
            json!({"x": 1.5}),
            json!({"x": 9007199254740992_u64}),
            json!({"x": [-9007199254740992_i64]}),
            json!({"\u{ffff}": 1, "\u{10000}": 2}),
        ] {
            event.payload = payload;
            assert!(matches!(
                validate_new_event(&event),
                Err(StoreError::InvalidInput(_))
            ));
        }
    }

    #[test]
    fn envelope_round_trips() {
        let (tenant, stream, event, metadata, at) = sample();
        let bytes = canonical_bytes(tenant, &stream, &event, &metadata, at).unwrap();
        let envelope = parse_envelope(&bytes).unwrap();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(envelope.payload.get()).unwrap(),
            event.payload
        );
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
