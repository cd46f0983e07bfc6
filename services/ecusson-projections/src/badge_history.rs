//! The badge history read model: for each earner, one row per event that touched one of their
//! requests or awards, in log order, with a small JSON summary of ids, codes and counts. The
//! summary never holds personal data (notes, evidence and testimonies are vault references and
//! are left out), so that erasing a person never requires rewriting this table's text.
//!
//! Later events name only the request or only the award, so the projection keeps its own
//! `badge_history_subject` table from request to earner and award: a projection reads no
//! other projection's tables, since each may be rebuilt on its own.

use crate::bulk_statement::{insert_rows, select_by_tenant_and_ids, upsert_rows};
use crate::engine::{DecodedEvent, Projection, TableSpec};
use crate::row_codec::{enum_text, optional_uuid_value, timestamp_value, uuid_value, RowReader};
use crate::touched_rows::{RowsToLoad, SubjectReference, TouchedRows};
use crate::ProjectionError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ecusson_domain::{
    AwardId, DecidedBy, DomainEvent, PersonId, RequestId, RequestMode, TenantId, ValidationRoute,
};
use ecusson_store::{ReadModelTransaction, SqlValue};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub const NAME: &str = "badge_history";

const HISTORY: TableSpec = TableSpec {
    name: "badge_history",
    columns: &[
        "tenant_id",
        "earner_id",
        "seq",
        "request_id",
        "award_id",
        "event_type",
        "recorded_at",
        "summary",
    ],
    primary_key: &["tenant_id", "earner_id", "seq"],
};

const SUBJECT: TableSpec = TableSpec {
    name: "badge_history_subject",
    columns: &["tenant_id", "request_id", "earner_id", "award_id"],
    primary_key: &["tenant_id", "request_id"],
};

const TABLES: &[TableSpec] = &[HISTORY, SUBJECT];

/// One step of an earner's badge history.
///
/// `S` is the summary's type: a `serde_json::Value` as the projection writes it; a reader may
/// read it into any type that deserializes from JSON (the API reads its answer's value type
/// directly, with no `serde_json::Value` in between).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadgeHistoryEntry<S = Value> {
    pub tenant_id: TenantId,
    pub earner_id: PersonId,
    /// The event's position in the tenant's log: the history order.
    pub seq: u64,
    pub request_id: RequestId,
    pub award_id: Option<AwardId>,
    /// The stable event type string (`earner.badge_requested`...).
    pub event_type: String,
    pub recorded_at: DateTime<Utc>,
    /// Ids, codes and counts only.
    pub summary: S,
}

/// Which earner a request belongs to, and its award once there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Subject {
    tenant_id: TenantId,
    request_id: RequestId,
    earner_id: PersonId,
    award_id: Option<AwardId>,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct BadgeHistoryProjection;

#[async_trait]
impl Projection for BadgeHistoryProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [TableSpec] {
        TABLES
    }

    async fn apply_batch(
        &self,
        transaction: &mut dyn ReadModelTransaction,
        events: &[DecodedEvent],
    ) -> Result<(), ProjectionError> {
        let mut to_load = RowsToLoad::default();
        for decoded in events {
            if let Some(reference) = subject_reference(&decoded.event) {
                to_load.note(decoded.recorded.tenant_id, reference);
            }
        }
        if to_load.is_empty() {
            return Ok(());
        }
        let mut working_set = BadgeHistoryWorkingSet::default();
        let mut rows =
            select_by_tenant_and_ids(transaction, &SUBJECT, "request_id", &to_load.request_keys)
                .await
                .map_err(ProjectionError::store(NAME))?;
        rows.extend(
            select_by_tenant_and_ids(transaction, &SUBJECT, "award_id", &to_load.award_keys)
                .await
                .map_err(ProjectionError::store(NAME))?,
        );
        for row in &rows {
            working_set.load(subject_from_row(row)?);
        }
        for decoded in events {
            working_set.apply(decoded)?;
        }
        let subjects = working_set
            .subjects
            .changed_rows()
            .map(subject_to_row)
            .collect();
        upsert_rows(transaction, &SUBJECT, subjects)
            .await
            .map_err(ProjectionError::store(NAME))?;
        let history = working_set.history.iter().map(history_to_row).collect();
        insert_rows(transaction, &HISTORY, history)
            .await
            .map_err(ProjectionError::store(NAME))
    }
}

fn subject_reference(event: &DomainEvent) -> Option<SubjectReference> {
    Some(match event {
        DomainEvent::BadgeRequested(requested) => SubjectReference::Creates(requested.request_id),
        DomainEvent::BadgeAwarded(awarded) => {
            SubjectReference::Awards(awarded.request_id, awarded.award_id)
        }
        DomainEvent::RequestWithdrawn(withdrawn) => SubjectReference::Request(withdrawn.request_id),
        DomainEvent::CommitteeVoteCast(vote) => SubjectReference::Request(vote.request_id),
        DomainEvent::RequestApproved(approved) => SubjectReference::Request(approved.request_id),
        DomainEvent::RequestRefused(refused) => SubjectReference::Request(refused.request_id),
        DomainEvent::EvidenceAdded(added) => SubjectReference::Request(added.request_id),
        DomainEvent::BadgeRevoked(revoked) => SubjectReference::Award(revoked.award_id),
        DomainEvent::BadgeExpired(expired) => SubjectReference::Award(expired.award_id),
        DomainEvent::RecommendationAsked(asked) => SubjectReference::Award(asked.award_id),
        DomainEvent::RecommendationGiven(given) => SubjectReference::Award(given.award_id),
        DomainEvent::RecommendationDeclined(declined) => SubjectReference::Award(declined.award_id),
        _ => return None,
    })
}

/// The rows one batch works on, and the pure folding of events into them.
#[derive(Debug, Default)]
pub(crate) struct BadgeHistoryWorkingSet {
    subjects: TouchedRows<(TenantId, RequestId), Subject>,
    awards: BTreeMap<(TenantId, AwardId), RequestId>,
    /// New history rows, in feed order.
    pub(crate) history: Vec<BadgeHistoryEntry>,
}

impl BadgeHistoryWorkingSet {
    pub(crate) fn load(&mut self, subject: Subject) {
        if let Some(award_id) = subject.award_id {
            self.awards
                .insert((subject.tenant_id, award_id), subject.request_id);
        }
        self.subjects
            .loaded((subject.tenant_id, subject.request_id), subject);
    }

    pub(crate) fn apply(&mut self, decoded: &DecodedEvent) -> Result<(), ProjectionError> {
        let Some(reference) = subject_reference(&decoded.event) else {
            return Ok(());
        };
        let tenant_id = decoded.recorded.tenant_id;
        let inconsistent = |detail: String| ProjectionError::Inconsistent {
            projection: NAME.to_owned(),
            tenant_id,
            seq: decoded.recorded.seq,
            detail,
        };
        let request_id = match reference {
            SubjectReference::Creates(request_id) => {
                let DomainEvent::BadgeRequested(requested) = &decoded.event else {
                    return Ok(());
                };
                let subject = Subject {
                    tenant_id,
                    request_id,
                    earner_id: requested.earner_id,
                    award_id: None,
                };
                self.subjects.put((tenant_id, request_id), subject);
                request_id
            }
            SubjectReference::Awards(request_id, award_id) => {
                let subject = self
                    .subjects
                    .get_mut(&(tenant_id, request_id))
                    .ok_or_else(|| {
                        inconsistent(format!("award for unknown request {request_id}"))
                    })?;
                subject.award_id = Some(award_id);
                self.awards.insert((tenant_id, award_id), request_id);
                request_id
            }
            SubjectReference::Request(request_id) => request_id,
            SubjectReference::Award(award_id) => *self
                .awards
                .get(&(tenant_id, award_id))
                .ok_or_else(|| inconsistent(format!("event about unknown award {award_id}")))?,
        };
        let subject = self
            .subjects
            .get(&(tenant_id, request_id))
            .ok_or_else(|| inconsistent(format!("event about unknown request {request_id}")))?;
        self.history.push(BadgeHistoryEntry {
            tenant_id,
            earner_id: subject.earner_id,
            seq: decoded.recorded.seq,
            request_id,
            award_id: subject.award_id,
            event_type: decoded.recorded.event_type.clone(),
            recorded_at: decoded.recorded.recorded_at,
            summary: summary(&decoded.event),
        });
        Ok(())
    }
}

/// Ids, codes and counts of one event; never notes, evidence content or testimonies.
pub(crate) fn summary(event: &DomainEvent) -> Value {
    let decided_by = |decided_by: &DecidedBy| match decided_by {
        DecidedBy::Evaluator { .. } => json!({"kind": "evaluator"}),
        DecidedBy::Committee {
            committee_id,
            votes_for,
            votes_against,
        } => {
            json!({"kind": "committee", "committee_id": committee_id, "votes_for": votes_for, "votes_against": votes_against})
        }
        DecidedBy::Automatic => json!({"kind": "automatic"}),
    };
    match event {
        DomainEvent::BadgeRequested(requested) => json!({
            "badge_class_id": requested.badge_class_id,
            "revision": requested.revision,
            "mode": match requested.mode {
                RequestMode::Pair { .. } => "pair",
                RequestMode::CollectiveWorkshop => "collective_workshop",
                RequestMode::Individual => "individual",
            },
            "route": match requested.route {
                ValidationRoute::Evaluator { .. } => "evaluator",
                ValidationRoute::Committee { .. } => "committee",
                ValidationRoute::Automatic => "automatic",
            },
            "evidence_count": requested.evidence.len(),
        }),
        DomainEvent::RequestWithdrawn(withdrawn) => {
            json!({"reason_code": enum_text(&withdrawn.reason.code)})
        }
        DomainEvent::CommitteeVoteCast(vote) => {
            json!({"committee_id": vote.committee_id, "vote": enum_text(&vote.vote)})
        }
        DomainEvent::RequestApproved(approved) => {
            json!({"decided_by": decided_by(&approved.decided_by), "reason_code": enum_text(&approved.reason.code)})
        }
        DomainEvent::RequestRefused(refused) => {
            json!({"decided_by": decided_by(&refused.decided_by), "reason_code": enum_text(&refused.reason.code)})
        }
        DomainEvent::BadgeAwarded(awarded) => json!({
            "badge_class_id": awarded.badge_class_id,
            "revision": awarded.revision,
            "expires": awarded.expires_at.is_some(),
        }),
        DomainEvent::BadgeRevoked(revoked) => {
            json!({"reason_code": enum_text(&revoked.reason.code)})
        }
        DomainEvent::BadgeExpired(_) => json!({}),
        DomainEvent::EvidenceAdded(added) => {
            json!({"evidence_id": added.evidence.evidence_id, "kind": enum_text(&added.evidence.kind)})
        }
        DomainEvent::RecommendationAsked(asked) => {
            json!({"recommendation_id": asked.recommendation_id, "organisation_id": asked.organisation_id})
        }
        DomainEvent::RecommendationGiven(given) => {
            json!({"recommendation_id": given.recommendation_id, "organisation_id": given.organisation_id})
        }
        DomainEvent::RecommendationDeclined(declined) => {
            json!({"recommendation_id": declined.recommendation_id})
        }
        _ => json!({}),
    }
}

fn subject_to_row(subject: &Subject) -> Vec<SqlValue> {
    vec![
        uuid_value(subject.tenant_id),
        uuid_value(subject.request_id),
        uuid_value(subject.earner_id),
        optional_uuid_value(subject.award_id),
    ]
}

fn subject_from_row(row: &[SqlValue]) -> Result<Subject, ProjectionError> {
    let reader = RowReader::new(SUBJECT.name, row, SUBJECT.columns.len())?;
    Ok(Subject {
        tenant_id: reader.uuid(0)?,
        request_id: reader.uuid(1)?,
        earner_id: reader.uuid(2)?,
        award_id: reader.optional_uuid(3)?,
    })
}

fn history_to_row(entry: &BadgeHistoryEntry) -> Vec<SqlValue> {
    vec![
        uuid_value(entry.tenant_id),
        uuid_value(entry.earner_id),
        SqlValue::Int(i64::try_from(entry.seq).unwrap_or(i64::MAX)),
        uuid_value(entry.request_id),
        optional_uuid_value(entry.award_id),
        SqlValue::Text(entry.event_type.clone()),
        timestamp_value(&entry.recorded_at),
        // serde_json writes object keys in sorted order: the same summary, the same text.
        SqlValue::Text(entry.summary.to_string()),
    ]
}

#[cfg(test)]
fn history_from_row(row: &[SqlValue]) -> Result<BadgeHistoryEntry, ProjectionError> {
    let reader = RowReader::new(HISTORY.name, row, HISTORY.columns.len())?;
    // The other columns come in the order of a page's.
    page_entry_from_row(reader.uuid(0)?, reader.uuid(1)?, &row[2..])
}

/// The columns a page of one earner's history reads: the table's, less the two the query
/// names (`tenant_id`, `earner_id`), which the entries take from the query.
const PAGE_COLUMNS: &str = "seq, request_id, award_id, event_type, recorded_at, summary";

fn page_entry_from_row<S: DeserializeOwned>(
    tenant_id: TenantId,
    earner_id: PersonId,
    row: &[SqlValue],
) -> Result<BadgeHistoryEntry<S>, ProjectionError> {
    let reader = RowReader::new(HISTORY.name, row, 6)?;
    let summary_text = reader.text(5)?;
    Ok(BadgeHistoryEntry {
        tenant_id,
        earner_id,
        seq: reader.unsigned(0)?,
        request_id: reader.uuid(1)?,
        award_id: reader.optional_uuid(2)?,
        event_type: reader.owned_text(3)?,
        recorded_at: reader.timestamp(4)?,
        summary: serde_json::from_str(summary_text)
            .map_err(|_| reader.malformed("summary is not JSON"))?,
    })
}

/// The history of one earner in one tenant, oldest first, `limit` entries after `after_seq`,
/// each summary read as an `S` (see [`BadgeHistoryEntry`]).
pub async fn badge_history<S: DeserializeOwned>(
    transaction: &mut dyn ReadModelTransaction,
    tenant_id: TenantId,
    earner_id: PersonId,
    after_seq: Option<u64>,
    limit: usize,
) -> Result<Vec<BadgeHistoryEntry<S>>, ProjectionError> {
    let rows = transaction
        .fetch_all(
            &format!(
                "select {PAGE_COLUMNS} from badge_history where tenant_id = $1 and earner_id = $2 and seq > $3 order by seq limit $4"
            ),
            &[
                uuid_value(tenant_id),
                uuid_value(earner_id),
                SqlValue::Int(after_seq.map_or(0, |seq| i64::try_from(seq).unwrap_or(i64::MAX))),
                SqlValue::Int(i64::try_from(limit).unwrap_or(i64::MAX)),
            ],
        )
        .await
        .map_err(ProjectionError::store(NAME))?;
    rows.iter()
        .map(|row| page_entry_from_row(tenant_id, earner_id, row))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_events::{awarded, reason, requested, TenantLog};
    use ecusson_domain::events::*;
    use ecusson_domain::{
        Evidence, EvidenceId, EvidenceKind, ReasonCode, RecommendationId, VaultEntryId, VaultRef,
    };

    #[test]
    fn events_naming_only_the_award_reach_the_earner_across_batches() {
        let mut log = TenantLog::new();
        let (request_id, earner_id, award_id) = (RequestId::new(), PersonId::new(), AwardId::new());
        let mut first_batch = BadgeHistoryWorkingSet::default();
        for event in [
            requested(request_id, earner_id, ValidationRoute::Automatic),
            DomainEvent::RequestApproved(RequestApproved {
                request_id,
                decided_by: DecidedBy::Automatic,
                reason: reason(ReasonCode::CriteriaMet),
            }),
            awarded(request_id, earner_id, award_id),
        ] {
            first_batch.apply(&log.event(event)).unwrap();
        }
        let stored: Vec<Vec<SqlValue>> = first_batch
            .subjects
            .changed_rows()
            .map(subject_to_row)
            .collect();
        assert_eq!(stored.len(), 1);

        let mut second_batch = BadgeHistoryWorkingSet::default();
        second_batch.load(subject_from_row(&stored[0]).unwrap());
        let vault = VaultRef {
            person_id: earner_id,
            entry_id: VaultEntryId::new(),
        };
        for event in [
            DomainEvent::EvidenceAdded(EvidenceAdded {
                request_id,
                award_id: Some(award_id),
                evidence: Evidence {
                    evidence_id: EvidenceId::new(),
                    kind: EvidenceKind::Photo,
                    content: vault,
                },
            }),
            DomainEvent::RecommendationGiven(RecommendationGiven {
                recommendation_id: RecommendationId::new(),
                award_id,
                recommender_id: PersonId::new(),
                organisation_id: None,
                testimony: vault,
                public: false,
            }),
            DomainEvent::BadgeRevoked(BadgeRevoked {
                award_id,
                reason: reason(ReasonCode::Misconduct),
            }),
        ] {
            second_batch.apply(&log.event(event)).unwrap();
        }
        let seqs: Vec<u64> = second_batch.history.iter().map(|entry| entry.seq).collect();
        assert_eq!(seqs, vec![4, 5, 6]);
        assert!(second_batch
            .history
            .iter()
            .all(|entry| entry.earner_id == earner_id && entry.award_id == Some(award_id)));
        assert_eq!(
            second_batch.history[2].summary,
            json!({"reason_code": "misconduct"})
        );
        // Vault references (notes, evidence content, testimonies) never reach the summaries.
        let vault_entry = vault.entry_id.to_string();
        assert!(second_batch
            .history
            .iter()
            .all(|entry| !entry.summary.to_string().contains(&vault_entry)));
        let row = history_to_row(&second_batch.history[0]);
        assert_eq!(history_from_row(&row).unwrap(), second_batch.history[0]);
    }

    #[test]
    fn an_event_about_an_unknown_award_is_inconsistent() {
        let mut log = TenantLog::new();
        let event = log.event(DomainEvent::BadgeExpired(BadgeExpired {
            award_id: AwardId::new(),
        }));
        assert!(matches!(
            BadgeHistoryWorkingSet::default().apply(&event),
            Err(ProjectionError::Inconsistent { .. })
        ));
    }
}
