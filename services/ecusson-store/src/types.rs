//! The vocabulary of the event store: streams, expected versions, events to append, recorded
//! events, feed cursors and outcomes.

use crate::StoreError;
use chrono::{DateTime, Utc};
use ecusson_domain::{OrganisationId, PersonId, TenantId};
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// The name of a stream inside a tenant, e.g. `earner-0190...` or `network`.
/// Lowercase ASCII letters, digits, `-`, `_`, `:` and `.`; 1 to 200 characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StreamId(String);

impl StreamId {
    pub fn parse(text: impl Into<String>) -> Result<Self, StoreError> {
        let text = text.into();
        let valid = !text.is_empty()
            && text.len() <= 200
            && text.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'-' | b'_' | b':' | b'.')
            });
        if valid {
            Ok(Self(text))
        } else {
            Err(StoreError::InvalidInput(
                "stream id must be 1-200 characters of [a-z0-9-_:.]".into(),
            ))
        }
    }

    /// A stream of one aggregate: `<category>-<id>`.
    pub fn for_aggregate(category: &str, id: impl fmt::Display) -> Self {
        Self::parse(format!("{category}-{id}")).expect("categories are lowercase identifiers")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the first `-` (`earner` for `earner-<id>`): what a stream is, without
    /// naming whose it is (for traces).
    pub fn category(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }
}

impl TryFrom<String> for StreamId {
    type Error = StoreError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<StreamId> for String {
    fn from(value: StreamId) -> Self {
        value.0
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the writer believes the stream's version to be. Versions count events in the stream:
/// the first event of a stream has version 1, so a stream that does not exist is at version 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// Append whatever the stream's version.
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// The stream must already have at least one event.
    StreamExists,
    /// The stream must be exactly at this version (1 or more).
    Exact(u64),
}

impl ExpectedVersion {
    pub fn accepts(&self, current: u64) -> bool {
        match self {
            ExpectedVersion::Any => true,
            ExpectedVersion::NoStream => current == 0,
            ExpectedVersion::StreamExists => current > 0,
            ExpectedVersion::Exact(version) => current == *version,
        }
    }

    /// The encoding used by the PostgreSQL append function.
    pub(crate) fn to_code(self) -> i64 {
        match self {
            ExpectedVersion::Any => -1,
            ExpectedVersion::NoStream => -2,
            ExpectedVersion::StreamExists => -3,
            ExpectedVersion::Exact(version) => version as i64,
        }
    }
}

/// Who caused an event. Stored as `person:<uuid>`, `organisation:<uuid>` or `system:<name>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ActorRef {
    Person(PersonId),
    Organisation(OrganisationId),
    /// A process of the ledger itself (the automatic validator, the expiry job, a benchmark).
    System(String),
}

impl fmt::Display for ActorRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ActorRef::Person(id) => write!(f, "person:{id}"),
            ActorRef::Organisation(id) => write!(f, "organisation:{id}"),
            ActorRef::System(name) => write!(f, "system:{name}"),
        }
    }
}

impl ActorRef {
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        let invalid = || StoreError::InvalidInput(format!("invalid actor reference {text:?}"));
        let (kind, rest) = text.split_once(':').ok_or_else(invalid)?;
        match kind {
            "person" => Ok(ActorRef::Person(PersonId(
                Uuid::parse_str(rest).map_err(|_| invalid())?,
            ))),
            "organisation" => Ok(ActorRef::Organisation(OrganisationId(
                Uuid::parse_str(rest).map_err(|_| invalid())?,
            ))),
            "system" if !rest.is_empty() && rest.len() <= 64 => {
                Ok(ActorRef::System(rest.to_owned()))
            }
            _ => Err(invalid()),
        }
    }
}

impl Serialize for ActorRef {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ActorRef {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ActorRef::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A W3C trace context `traceparent` header value (`00-<32 hex>-<16 hex>-<2 hex>`), validated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Traceparent(String);

impl Traceparent {
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        let parts: Vec<&str> = text.split('-').collect();
        let hex = |s: &str, len: usize| {
            s.len() == len
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        let valid = parts.len() == 4
            && hex(parts[0], 2)
            && parts[0] != "ff"
            && hex(parts[1], 32)
            && parts[1] != "0".repeat(32)
            && hex(parts[2], 16)
            && parts[2] != "0".repeat(16)
            && hex(parts[3], 2);
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(StoreError::InvalidInput("invalid traceparent".into()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Traceparent {
    type Error = StoreError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Traceparent> for String {
    fn from(value: Traceparent) -> Self {
        value.0
    }
}

/// Metadata every event carries besides its payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventMetadata {
    pub actor: ActorRef,
    /// Shared by every event caused, directly or not, by one incoming request.
    pub correlation_id: Uuid,
    /// The event or command that directly caused this one.
    pub causation_id: Option<Uuid>,
    pub traceparent: Option<Traceparent>,
}

impl EventMetadata {
    pub fn new(actor: ActorRef) -> Self {
        Self {
            actor,
            correlation_id: Uuid::now_v7(),
            causation_id: None,
            traceparent: None,
        }
    }
}

/// One event to append.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    pub event_id: Uuid,
    pub event_type: String,
    pub schema_version: u16,
    pub payload: serde_json::Value,
}

impl NewEvent {
    pub fn from_domain(event: &ecusson_domain::DomainEvent) -> Self {
        let encoded = event.encode();
        Self {
            event_id: Uuid::now_v7(),
            event_type: encoded.event_type.to_owned(),
            schema_version: encoded.schema_version,
            payload: encoded.payload,
        }
    }
}

/// What an idempotent append recorded the first time: the fingerprint of the request and
/// where its events went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub fingerprint: [u8; 32],
    pub stream_id: StreamId,
    pub first_seq: u64,
    pub last_seq: u64,
    pub stream_version: u64,
}

/// An idempotency key with the fingerprint of what it protects: a retry with the same key and
/// fingerprint returns the first outcome and appends nothing; the same key with another
/// fingerprint is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey {
    pub key: String,
    pub fingerprint: [u8; 32],
}

impl IdempotencyKey {
    /// `fingerprint_source` should be the command as the client sent it (not the events, whose
    /// ids and times differ on each attempt).
    pub fn new(key: &str, fingerprint_source: &[u8]) -> Result<Self, StoreError> {
        use sha2::{Digest, Sha256};
        if key.is_empty() || key.len() > 200 || key.chars().any(char::is_control) {
            return Err(StoreError::InvalidInput(
                "idempotency key must be 1-200 printable characters".into(),
            ));
        }
        Ok(Self {
            key: key.to_owned(),
            fingerprint: Sha256::digest(fingerprint_source).into(),
        })
    }
}

/// An atomic append of one or more events to one stream of one tenant.
#[derive(Clone, Debug)]
pub struct AppendRequest {
    pub tenant_id: TenantId,
    pub stream_id: StreamId,
    pub expected: ExpectedVersion,
    pub events: Vec<NewEvent>,
    pub metadata: EventMetadata,
    pub idempotency_key: Option<IdempotencyKey>,
    /// Personal data the events refer to, sealed ahead (see [`crate::Vault::seal_new`]) and
    /// written in the append's own transaction, only when the events are appended: a refused
    /// or replayed append leaves none behind, and the request costs one durable commit.
    pub vault_entries: Vec<crate::vault::SealedEntry>,
    /// The append happens only if no shared stream (`ecusson_domain::is_shared_stream`) of
    /// each of these tenants was appended to since the given shared sequence: what the command
    /// was decided on, held in memory, is still current. Otherwise nothing is appended
    /// ([`crate::StoreError::SharedStreamsChanged`]). Empty: no condition.
    pub shared_unchanged: Vec<SharedAt>,
}

/// A tenant's shared sequence: the sequence number of the last event appended to one of its
/// shared streams (0 before any), as [`crate::EventStore::read_streams`] saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SharedAt {
    pub tenant_id: TenantId,
    pub seq: u64,
}

/// What [`crate::EventStore::read_streams`] answers for one stream.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamPage {
    pub events: Vec<RecordedEvent>,
    /// The shared sequence of the stream's tenant, read no later than the events: when it is
    /// still the same, none of the tenant's shared streams changed since this page was read.
    pub shared_seq: u64,
}

/// One stream to read with [`crate::EventStore::read_streams`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamRead {
    pub tenant_id: TenantId,
    pub stream_id: StreamId,
    /// Only events with `stream_version > after_version` (0: from the start).
    pub after_version: u64,
}

/// Where an append landed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendOutcome {
    /// Per-tenant sequence of the first and last event appended.
    pub first_seq: u64,
    pub last_seq: u64,
    /// The stream's version after the append.
    pub stream_version: u64,
    /// True when this was a retry answered from the idempotency record: nothing was appended.
    pub replayed: bool,
}

/// A position in the cross-tenant feed: ordered by (transaction, tenant, sequence).
/// Every event below the feed's horizon is final, so following the feed misses nothing.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct FeedCursor {
    pub tx_id: i64,
    pub tenant_id: Uuid,
    pub seq: i64,
}

impl FeedCursor {
    /// Before the first event.
    pub const START: FeedCursor = FeedCursor {
        tx_id: -1,
        tenant_id: Uuid::nil(),
        seq: 0,
    };
}

/// An event as stored, decoded from its canonical bytes.
#[derive(Clone, Debug)]
pub struct RecordedEvent {
    pub tenant_id: TenantId,
    /// Gap-free, commit-ordered position in the tenant's log, from 1.
    pub seq: u64,
    pub cursor: FeedCursor,
    pub stream_id: StreamId,
    pub stream_version: u64,
    pub event_id: Uuid,
    pub event_type: String,
    pub schema_version: u16,
    /// The payload's JSON text, exactly as in the canonical bytes.
    pub payload_json: Box<serde_json::value::RawValue>,
    pub metadata: EventMetadata,
    pub recorded_at: DateTime<Utc>,
}

impl PartialEq for RecordedEvent {
    fn eq(&self, other: &Self) -> bool {
        self.tenant_id == other.tenant_id
            && self.seq == other.seq
            && self.cursor == other.cursor
            && self.stream_id == other.stream_id
            && self.stream_version == other.stream_version
            && self.event_id == other.event_id
            && self.event_type == other.event_type
            && self.schema_version == other.schema_version
            && self.payload_json.get() == other.payload_json.get()
            && self.metadata == other.metadata
            && self.recorded_at == other.recorded_at
    }
}

impl RecordedEvent {
    /// Decodes the payload into a domain event (upcasting old versions).
    pub fn decode(&self) -> Result<ecusson_domain::DomainEvent, ecusson_domain::DecodeError> {
        ecusson_domain::DomainEvent::decode_json(
            &self.event_type,
            self.schema_version,
            self.payload_json.get(),
        )
    }

    /// The payload as a JSON value.
    pub fn payload(&self) -> serde_json::Value {
        serde_json::from_str(self.payload_json.get())
            .expect("stored payloads are JSON: they were parsed on read")
    }
}

/// A stored row as it is, for integrity checks: the exact bytes and hash, and the columns that
/// duplicate them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawEvent {
    pub seq: i64,
    pub stream_id: String,
    pub stream_version: i64,
    pub event_id: Uuid,
    pub event_type: String,
    pub canonical: Vec<u8>,
    pub hash: Vec<u8>,
}

/// The head of a tenant's log: its last sequence and hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantHead {
    pub tenant_id: TenantId,
    pub seq: u64,
    pub hash: [u8; 32],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        })
    }
}
