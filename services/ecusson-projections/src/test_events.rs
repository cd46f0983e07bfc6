//! Builders for the unit tests of the folding logic: decoded events as the feed would give
//! them, without a database.

use crate::engine::DecodedEvent;
use chrono::{DateTime, Duration, TimeZone, Utc};
use ecusson_domain::*;
use ecusson_store::{ActorRef, EventMetadata, FeedCursor, RecordedEvent, StreamId};
use uuid::Uuid;

/// Events of one tenant with consecutive sequence numbers, a minute apart.
pub(crate) struct TenantLog {
    pub(crate) tenant_id: TenantId,
    next_seq: u64,
}

impl TenantLog {
    pub(crate) fn new() -> Self {
        Self {
            tenant_id: TenantId::new(),
            next_seq: 1,
        }
    }

    pub(crate) fn event(&mut self, event: DomainEvent) -> DecodedEvent {
        let seq = self.next_seq;
        self.next_seq += 1;
        let encoded = event.encode();
        let recorded_at: DateTime<Utc> =
            Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap() + Duration::minutes(seq as i64);
        DecodedEvent {
            recorded: RecordedEvent {
                tenant_id: self.tenant_id,
                seq,
                cursor: FeedCursor {
                    tx_id: seq as i64,
                    tenant_id: self.tenant_id.as_uuid(),
                    seq: seq as i64,
                },
                stream_id: StreamId::parse("test").unwrap(),
                stream_version: seq,
                event_id: Uuid::now_v7(),
                event_type: encoded.event_type.to_owned(),
                schema_version: encoded.schema_version,
                payload_json: serde_json::value::to_raw_value(&encoded.payload)
                    .expect("a payload serialises"),
                metadata: EventMetadata::new(ActorRef::System("test".into())),
                recorded_at,
            },
            event,
        }
    }
}

pub(crate) fn reason(code: ReasonCode) -> Reason {
    Reason {
        code,
        note: Some(VaultRef {
            person_id: PersonId::new(),
            entry_id: VaultEntryId::new(),
        }),
    }
}

pub(crate) fn requested(
    request_id: RequestId,
    earner_id: PersonId,
    route: ValidationRoute,
) -> DomainEvent {
    DomainEvent::BadgeRequested(events::BadgeRequested {
        request_id,
        earner_id,
        badge_class_id: BadgeClassId::new(),
        revision: 1,
        mode: RequestMode::Pair {
            counsellor_id: PersonId::new(),
        },
        requested_by: earner_id,
        route,
        evidence: vec![],
    })
}

pub(crate) fn awarded(
    request_id: RequestId,
    earner_id: PersonId,
    award_id: AwardId,
) -> DomainEvent {
    DomainEvent::BadgeAwarded(events::BadgeAwarded {
        award_id,
        request_id,
        earner_id,
        badge_class_id: BadgeClassId::new(),
        revision: 1,
        awarded_at: Utc.with_ymd_and_hms(2026, 1, 6, 0, 0, 0).unwrap(),
        expires_at: None,
    })
}
