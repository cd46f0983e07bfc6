//! The request queue read model: one row per badge request, with its state, its route to a
//! decision, the committee votes so far, and the award it led to. It answers "what is waiting
//! in this structure" and "what is waiting for this committee, across the structures it
//! serves" with one indexed query each.

use crate::bulk_statement::{placeholders, select_by_tenant_and_ids, upsert_rows};
use crate::engine::{DecodedEvent, Projection, TableSpec};
use crate::row_codec::{
    optional_timestamp_value, optional_uuid_value, timestamp_text, timestamp_value, uuid_value,
    RowReader,
};
use crate::touched_rows::{RowsToLoad, SubjectReference, TouchedRows};
use crate::ProjectionError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ecusson_domain::{
    AwardId, BadgeClassId, CommitteeId, DecidedBy, DomainEvent, PersonId, RequestId, RequestMode,
    TenantId, ValidationRoute, Vote,
};
use ecusson_store::{ReadModelTransaction, SqlValue};
use std::collections::BTreeMap;

pub const NAME: &str = "request_queue";

const REQUEST_QUEUE: TableSpec = TableSpec {
    name: "request_queue",
    columns: &[
        "tenant_id",
        "request_id",
        "earner_id",
        "badge_class_id",
        "revision",
        "request_mode",
        "state",
        "route_kind",
        "committee_id",
        "votes_for",
        "votes_against",
        "requested_seq",
        "requested_at",
        "decided_at",
        "award_id",
        "award_state",
        "awarded_at",
        "expires_at",
    ],
    primary_key: &["tenant_id", "request_id"],
};

const TABLES: &[TableSpec] = &[REQUEST_QUEUE];

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RequestState {
    Pending,
    Approved,
    Refused,
    Withdrawn,
}

/// How a request was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RequestModeKind {
    Pair,
    CollectiveWorkshop,
    Individual,
}

/// Which route a request follows to its decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RouteKind {
    Evaluator,
    Committee,
    Automatic,
}

/// Where the award of an approved request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AwardState {
    Active,
    Revoked,
    Expired,
}

/// Text forms stored in the table; the same names the GraphQL layer can expose.
macro_rules! text_forms {
    ($type:ident { $($variant:ident => $text:literal),* $(,)? }) => {
        impl $type {
            pub fn as_str(&self) -> &'static str {
                match self { $( $type::$variant => $text, )* }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $( $text => Some($type::$variant), )* _ => None }
            }
        }
    };
}

text_forms!(RequestState { Pending => "pending", Approved => "approved", Refused => "refused", Withdrawn => "withdrawn" });
text_forms!(RequestModeKind { Pair => "pair", CollectiveWorkshop => "collective_workshop", Individual => "individual" });
text_forms!(RouteKind { Evaluator => "evaluator", Committee => "committee", Automatic => "automatic" });
text_forms!(AwardState { Active => "active", Revoked => "revoked", Expired => "expired" });

/// One request of the queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestQueueEntry {
    pub tenant_id: TenantId,
    pub request_id: RequestId,
    pub earner_id: PersonId,
    pub badge_class_id: BadgeClassId,
    pub revision: u32,
    pub request_mode: RequestModeKind,
    pub state: RequestState,
    pub route_kind: RouteKind,
    pub committee_id: Option<CommitteeId>,
    pub votes_for: u32,
    pub votes_against: u32,
    /// The tenant sequence of the request event: the queue order inside a structure, and the
    /// cursor of [`request_queue_for_structure`].
    pub requested_seq: u64,
    pub requested_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub award_id: Option<AwardId>,
    pub award_state: Option<AwardState>,
    pub awarded_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The position after which [`request_queue_for_committee`] continues: the last entry of the
/// previous page, in (requested_at, tenant, request) order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitteeQueueCursor {
    pub requested_at: DateTime<Utc>,
    pub tenant_id: TenantId,
    pub request_id: RequestId,
}

impl From<&RequestQueueEntry> for CommitteeQueueCursor {
    fn from(entry: &RequestQueueEntry) -> Self {
        Self {
            requested_at: entry.requested_at,
            tenant_id: entry.tenant_id,
            request_id: entry.request_id,
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct RequestQueueProjection;

#[async_trait]
impl Projection for RequestQueueProjection {
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
        // Only rows from earlier batches are loaded (see `RowsToLoad`).
        let mut to_load = RowsToLoad::default();
        for decoded in events {
            let reference = match &decoded.event {
                DomainEvent::BadgeRequested(requested) => {
                    Some(SubjectReference::Creates(requested.request_id))
                }
                DomainEvent::BadgeAwarded(awarded) => Some(SubjectReference::Awards(
                    awarded.request_id,
                    awarded.award_id,
                )),
                DomainEvent::BadgeRevoked(revoked) => {
                    Some(SubjectReference::Award(revoked.award_id))
                }
                DomainEvent::BadgeExpired(expired) => {
                    Some(SubjectReference::Award(expired.award_id))
                }
                other => decision_request(other).map(SubjectReference::Request),
            };
            if let Some(reference) = reference {
                to_load.note(decoded.recorded.tenant_id, reference);
            }
        }
        if to_load.is_empty() {
            return Ok(());
        }
        let mut working_set = RequestQueueWorkingSet::default();
        let mut rows = select_by_tenant_and_ids(
            transaction,
            &REQUEST_QUEUE,
            "request_id",
            &to_load.request_keys,
        )
        .await
        .map_err(ProjectionError::store(NAME))?;
        rows.extend(
            select_by_tenant_and_ids(transaction, &REQUEST_QUEUE, "award_id", &to_load.award_keys)
                .await
                .map_err(ProjectionError::store(NAME))?,
        );
        for row in &rows {
            working_set.load(entry_from_row(row)?);
        }
        for decoded in events {
            working_set.apply(decoded)?;
        }
        let changed = working_set
            .requests
            .changed_rows()
            .map(entry_to_row)
            .collect();
        upsert_rows(transaction, &REQUEST_QUEUE, changed)
            .await
            .map_err(ProjectionError::store(NAME))
    }
}

/// The request an event about an existing request names (not its creation).
fn decision_request(event: &DomainEvent) -> Option<RequestId> {
    match event {
        DomainEvent::RequestWithdrawn(withdrawn) => Some(withdrawn.request_id),
        DomainEvent::CommitteeVoteCast(vote) => Some(vote.request_id),
        DomainEvent::RequestApproved(approved) => Some(approved.request_id),
        DomainEvent::RequestRefused(refused) => Some(refused.request_id),
        _ => None,
    }
}

/// The rows one batch works on, and the pure folding of events into them.
#[derive(Debug, Default)]
pub(crate) struct RequestQueueWorkingSet {
    pub(crate) requests: TouchedRows<(TenantId, RequestId), RequestQueueEntry>,
    /// Revocation and expiry name only the award.
    awards: BTreeMap<(TenantId, AwardId), RequestId>,
}

impl RequestQueueWorkingSet {
    pub(crate) fn load(&mut self, entry: RequestQueueEntry) {
        if let Some(award_id) = entry.award_id {
            self.awards
                .insert((entry.tenant_id, award_id), entry.request_id);
        }
        self.requests
            .loaded((entry.tenant_id, entry.request_id), entry);
    }

    pub(crate) fn apply(&mut self, decoded: &DecodedEvent) -> Result<(), ProjectionError> {
        let tenant_id = decoded.recorded.tenant_id;
        let at = decoded.recorded.recorded_at;
        let inconsistent = |detail: String| ProjectionError::Inconsistent {
            projection: NAME.to_owned(),
            tenant_id,
            seq: decoded.recorded.seq,
            detail,
        };
        let unknown_request = |request_id: RequestId| {
            inconsistent(format!("event about unknown request {request_id}"))
        };
        match &decoded.event {
            DomainEvent::BadgeRequested(requested) => {
                let (route_kind, committee_id) = match &requested.route {
                    ValidationRoute::Evaluator { .. } => (RouteKind::Evaluator, None),
                    ValidationRoute::Committee { committee_id, .. } => {
                        (RouteKind::Committee, Some(*committee_id))
                    }
                    ValidationRoute::Automatic => (RouteKind::Automatic, None),
                };
                let request_mode = match requested.mode {
                    RequestMode::Pair { .. } => RequestModeKind::Pair,
                    RequestMode::CollectiveWorkshop => RequestModeKind::CollectiveWorkshop,
                    RequestMode::Individual => RequestModeKind::Individual,
                };
                let entry = RequestQueueEntry {
                    tenant_id,
                    request_id: requested.request_id,
                    earner_id: requested.earner_id,
                    badge_class_id: requested.badge_class_id,
                    revision: requested.revision,
                    request_mode,
                    state: RequestState::Pending,
                    route_kind,
                    committee_id,
                    votes_for: 0,
                    votes_against: 0,
                    requested_seq: decoded.recorded.seq,
                    requested_at: at,
                    decided_at: None,
                    award_id: None,
                    award_state: None,
                    awarded_at: None,
                    expires_at: None,
                };
                self.requests.put((tenant_id, requested.request_id), entry);
            }
            DomainEvent::RequestWithdrawn(withdrawn) => {
                let entry = self
                    .requests
                    .get_mut(&(tenant_id, withdrawn.request_id))
                    .ok_or_else(|| unknown_request(withdrawn.request_id))?;
                entry.state = RequestState::Withdrawn;
                entry.decided_at = Some(at);
            }
            DomainEvent::CommitteeVoteCast(vote) => {
                let entry = self
                    .requests
                    .get_mut(&(tenant_id, vote.request_id))
                    .ok_or_else(|| unknown_request(vote.request_id))?;
                match vote.vote {
                    Vote::Approve => entry.votes_for += 1,
                    Vote::Refuse => entry.votes_against += 1,
                }
            }
            DomainEvent::RequestApproved(approved) => {
                let entry = self
                    .requests
                    .get_mut(&(tenant_id, approved.request_id))
                    .ok_or_else(|| unknown_request(approved.request_id))?;
                decide(entry, RequestState::Approved, &approved.decided_by, at);
            }
            DomainEvent::RequestRefused(refused) => {
                let entry = self
                    .requests
                    .get_mut(&(tenant_id, refused.request_id))
                    .ok_or_else(|| unknown_request(refused.request_id))?;
                decide(entry, RequestState::Refused, &refused.decided_by, at);
            }
            DomainEvent::BadgeAwarded(awarded) => {
                let entry = self
                    .requests
                    .get_mut(&(tenant_id, awarded.request_id))
                    .ok_or_else(|| unknown_request(awarded.request_id))?;
                entry.award_id = Some(awarded.award_id);
                entry.award_state = Some(AwardState::Active);
                entry.awarded_at = Some(awarded.awarded_at);
                entry.expires_at = awarded.expires_at;
                self.awards
                    .insert((tenant_id, awarded.award_id), awarded.request_id);
            }
            DomainEvent::BadgeRevoked(revoked) => self
                .end_award(tenant_id, revoked.award_id, AwardState::Revoked)
                .map_err(inconsistent)?,
            DomainEvent::BadgeExpired(expired) => self
                .end_award(tenant_id, expired.award_id, AwardState::Expired)
                .map_err(inconsistent)?,
            _ => {}
        }
        Ok(())
    }

    fn end_award(
        &mut self,
        tenant_id: TenantId,
        award_id: AwardId,
        state: AwardState,
    ) -> Result<(), String> {
        let request_id = self
            .awards
            .get(&(tenant_id, award_id))
            .copied()
            .ok_or_else(|| format!("event about unknown award {award_id}"))?;
        let entry = self
            .requests
            .get_mut(&(tenant_id, request_id))
            .ok_or_else(|| format!("award {award_id} has no request row"))?;
        entry.award_state = Some(state);
        Ok(())
    }
}

fn decide(
    entry: &mut RequestQueueEntry,
    state: RequestState,
    decided_by: &DecidedBy,
    at: DateTime<Utc>,
) {
    entry.state = state;
    entry.decided_at = Some(at);
    // A committee decision carries the final count, which wins over the votes seen so far
    // (a member may have changed their vote).
    if let DecidedBy::Committee {
        votes_for,
        votes_against,
        ..
    } = decided_by
    {
        entry.votes_for = u32::from(*votes_for);
        entry.votes_against = u32::from(*votes_against);
    }
}

fn entry_to_row(entry: &RequestQueueEntry) -> Vec<SqlValue> {
    vec![
        uuid_value(entry.tenant_id),
        uuid_value(entry.request_id),
        uuid_value(entry.earner_id),
        uuid_value(entry.badge_class_id),
        SqlValue::Int(i64::from(entry.revision)),
        SqlValue::from(entry.request_mode.as_str()),
        SqlValue::from(entry.state.as_str()),
        SqlValue::from(entry.route_kind.as_str()),
        optional_uuid_value(entry.committee_id),
        SqlValue::Int(i64::from(entry.votes_for)),
        SqlValue::Int(i64::from(entry.votes_against)),
        SqlValue::Int(i64::try_from(entry.requested_seq).unwrap_or(i64::MAX)),
        timestamp_value(&entry.requested_at),
        optional_timestamp_value(&entry.decided_at),
        optional_uuid_value(entry.award_id),
        SqlValue::opt_text(entry.award_state.map(|state| state.as_str())),
        optional_timestamp_value(&entry.awarded_at),
        optional_timestamp_value(&entry.expires_at),
    ]
}

fn entry_from_row(row: &[SqlValue]) -> Result<RequestQueueEntry, ProjectionError> {
    let reader = RowReader::new(REQUEST_QUEUE.name, row, REQUEST_QUEUE.columns.len())?;
    Ok(RequestQueueEntry {
        tenant_id: reader.uuid(0)?,
        request_id: reader.uuid(1)?,
        earner_id: reader.uuid(2)?,
        badge_class_id: reader.uuid(3)?,
        revision: reader.unsigned(4)?,
        request_mode: reader.known(5, RequestModeKind::parse(reader.text(5)?))?,
        state: reader.known(6, RequestState::parse(reader.text(6)?))?,
        route_kind: reader.known(7, RouteKind::parse(reader.text(7)?))?,
        committee_id: reader.optional_uuid(8)?,
        votes_for: reader.unsigned(9)?,
        votes_against: reader.unsigned(10)?,
        requested_seq: reader.unsigned(11)?,
        requested_at: reader.timestamp(12)?,
        decided_at: reader.optional_timestamp(13)?,
        award_id: reader.optional_uuid(14)?,
        award_state: reader
            .optional_text(15)?
            .map(|text| reader.known(15, AwardState::parse(text)))
            .transpose()?,
        awarded_at: reader.optional_timestamp(16)?,
        expires_at: reader.optional_timestamp(17)?,
    })
}

fn entries_from_rows(rows: Vec<Vec<SqlValue>>) -> Result<Vec<RequestQueueEntry>, ProjectionError> {
    rows.iter().map(|row| entry_from_row(row)).collect()
}

fn limit_value(limit: usize) -> SqlValue {
    SqlValue::Int(i64::try_from(limit).unwrap_or(i64::MAX))
}

/// Which requests of a structure's queue to read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueueFilter {
    /// Only requests in this state.
    pub state: Option<RequestState>,
    /// Only requests for these badge classes (a pathway's, say); `Some(empty)` matches none.
    pub badge_classes: Option<Vec<BadgeClassId>>,
    /// Only requests routed to this committee.
    pub committee: Option<CommitteeId>,
}

impl QueueFilter {
    pub fn state(state: Option<RequestState>) -> Self {
        Self {
            state,
            ..Self::default()
        }
    }
}

/// The requests of one structure matching `filter`, in request order, `limit` at a time,
/// after the request whose `requested_seq` is `after_requested_seq`.
pub async fn request_queue_for_structure(
    transaction: &mut dyn ReadModelTransaction,
    tenant_id: TenantId,
    filter: &QueueFilter,
    limit: usize,
    after_requested_seq: Option<u64>,
) -> Result<Vec<RequestQueueEntry>, ProjectionError> {
    let mut params = vec![
        uuid_value(tenant_id),
        SqlValue::Int(after_requested_seq.map_or(0, |seq| i64::try_from(seq).unwrap_or(i64::MAX))),
    ];
    let mut filters = "tenant_id = $1 and requested_seq > $2".to_owned();
    if let Some(state) = filter.state {
        params.push(SqlValue::from(state.as_str()));
        filters.push_str(&format!(" and state = ${}", params.len()));
    }
    if let Some(committee) = filter.committee {
        params.push(uuid_value(committee));
        filters.push_str(&format!(" and committee_id = ${}", params.len()));
    }
    if let Some(classes) = &filter.badge_classes {
        if classes.is_empty() {
            return Ok(Vec::new());
        }
        let first = params.len() + 1;
        params.extend(classes.iter().map(|class| uuid_value(*class)));
        filters.push_str(&format!(
            " and badge_class_id in ({})",
            placeholders(first, classes.len())
        ));
    }
    params.push(limit_value(limit));
    let tail = format!("order by requested_seq limit ${}", params.len());
    select_entries(transaction, &filters, &tail, &params).await
}

/// Reads queue entries: `select <every column> from request_queue where <filters> <tail>`.
async fn select_entries(
    transaction: &mut dyn ReadModelTransaction,
    filters: &str,
    tail: &str,
    params: &[SqlValue],
) -> Result<Vec<RequestQueueEntry>, ProjectionError> {
    let sql = format!(
        "select {} from request_queue where {filters} {tail}",
        REQUEST_QUEUE.columns.join(", ")
    );
    let rows = transaction
        .fetch_all(&sql, params)
        .await
        .map_err(ProjectionError::store(NAME))?;
    entries_from_rows(rows)
}

/// The requests routed to one committee, across `served_tenants` (the structures it serves,
/// as the committee's state says), optionally in one state, oldest first, `limit` at a time.
pub async fn request_queue_for_committee(
    transaction: &mut dyn ReadModelTransaction,
    committee_id: CommitteeId,
    served_tenants: &[TenantId],
    state: Option<RequestState>,
    limit: usize,
    after: Option<&CommitteeQueueCursor>,
) -> Result<Vec<RequestQueueEntry>, ProjectionError> {
    if served_tenants.is_empty() {
        return Ok(Vec::new());
    }
    let mut params = vec![uuid_value(committee_id)];
    let tenants_from = params.len() + 1;
    params.extend(served_tenants.iter().map(|tenant| uuid_value(*tenant)));
    let mut filters = format!(
        "committee_id = $1 and tenant_id in ({})",
        placeholders(tenants_from, served_tenants.len())
    );
    if let Some(state) = state {
        params.push(SqlValue::from(state.as_str()));
        filters.push_str(&format!(" and state = ${}", params.len()));
    }
    if let Some(after) = after {
        params.push(SqlValue::Text(timestamp_text(&after.requested_at)));
        params.push(uuid_value(after.tenant_id));
        params.push(uuid_value(after.request_id));
        filters.push_str(&format!(
            " and (requested_at, tenant_id, request_id) > ({})",
            placeholders(params.len() - 2, 3)
        ));
    }
    params.push(limit_value(limit));
    let tail = format!(
        "order by requested_at, tenant_id, request_id limit ${}",
        params.len()
    );
    select_entries(transaction, &filters, &tail, &params).await
}

/// Active awards whose expiry date is at or before `now`, across every tenant, soonest first,
/// `limit` at a time: what the expiry sweeper records as expired.
pub async fn awards_due_to_expire(
    transaction: &mut dyn ReadModelTransaction,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<RequestQueueEntry>, ProjectionError> {
    let params = [
        SqlValue::from(AwardState::Active.as_str()),
        SqlValue::Text(timestamp_text(&now)),
        limit_value(limit),
    ];
    select_entries(
        transaction,
        "award_state = $1 and expires_at is not null and expires_at <= $2",
        "order by expires_at, tenant_id, request_id limit $3",
        &params,
    )
    .await
}

/// One request of one structure.
pub async fn request_by_id(
    transaction: &mut dyn ReadModelTransaction,
    tenant_id: TenantId,
    request_id: RequestId,
) -> Result<Option<RequestQueueEntry>, ProjectionError> {
    let params = [uuid_value(tenant_id), uuid_value(request_id)];
    Ok(select_entries(
        transaction,
        "tenant_id = $1 and request_id = $2",
        "",
        &params,
    )
    .await?
    .pop())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_events::{awarded, reason, requested, TenantLog};
    use ecusson_domain::events::*;
    use ecusson_domain::{ReasonCode, Role};

    fn fold(events: &[DecodedEvent]) -> RequestQueueWorkingSet {
        let mut working_set = RequestQueueWorkingSet::default();
        for event in events {
            working_set.apply(event).unwrap();
        }
        working_set
    }

    #[test]
    fn a_committee_request_collects_votes_then_takes_the_decision_count() {
        let mut log = TenantLog::new();
        let (request_id, earner_id, committee_id) =
            (RequestId::new(), PersonId::new(), CommitteeId::new());
        let vote = |vote| {
            DomainEvent::CommitteeVoteCast(CommitteeVoteCast {
                request_id,
                committee_id,
                member_id: PersonId::new(),
                vote,
            })
        };
        let events = [
            log.event(requested(
                request_id,
                earner_id,
                ValidationRoute::Committee {
                    committee_id,
                    quorum: 2,
                },
            )),
            log.event(vote(Vote::Approve)),
            log.event(vote(Vote::Refuse)),
            log.event(vote(Vote::Approve)),
        ];
        let working_set = fold(&events);
        let entry = working_set
            .requests
            .get(&(log.tenant_id, request_id))
            .unwrap();
        assert_eq!(
            (entry.state, entry.votes_for, entry.votes_against),
            (RequestState::Pending, 2, 1)
        );
        assert_eq!(
            (entry.route_kind, entry.committee_id),
            (RouteKind::Committee, Some(committee_id))
        );
        assert_eq!(entry.requested_seq, 1);

        let decision = log.event(DomainEvent::RequestApproved(RequestApproved {
            request_id,
            decided_by: DecidedBy::Committee {
                committee_id,
                votes_for: 3,
                votes_against: 1,
            },
            reason: reason(ReasonCode::CriteriaMet),
        }));
        let mut working_set = working_set;
        working_set.apply(&decision).unwrap();
        let entry = working_set
            .requests
            .get(&(log.tenant_id, request_id))
            .unwrap();
        assert_eq!(
            (entry.state, entry.votes_for, entry.votes_against),
            (RequestState::Approved, 3, 1)
        );
        assert_eq!(entry.decided_at, Some(decision.recorded.recorded_at));
    }

    #[test]
    fn refusal_withdrawal_award_and_revocation_set_the_states() {
        let mut log = TenantLog::new();
        let earner_id = PersonId::new();
        let route = || ValidationRoute::Evaluator {
            evaluator_roles: vec![Role::Counsellor],
        };
        let (refused_id, withdrawn_id, awarded_id, award_id) = (
            RequestId::new(),
            RequestId::new(),
            RequestId::new(),
            AwardId::new(),
        );
        let evaluator = DecidedBy::Evaluator {
            person_id: PersonId::new(),
        };
        let events = [
            log.event(requested(refused_id, earner_id, route())),
            log.event(requested(withdrawn_id, earner_id, route())),
            log.event(requested(awarded_id, earner_id, route())),
            log.event(DomainEvent::RequestRefused(RequestRefused {
                request_id: refused_id,
                decided_by: evaluator,
                reason: reason(ReasonCode::EvidenceInsufficient),
            })),
            log.event(DomainEvent::RequestWithdrawn(RequestWithdrawn {
                request_id: withdrawn_id,
                reason: reason(ReasonCode::RequestedByEarner),
            })),
            log.event(DomainEvent::RequestApproved(RequestApproved {
                request_id: awarded_id,
                decided_by: evaluator,
                reason: reason(ReasonCode::CriteriaMet),
            })),
            log.event(awarded(awarded_id, earner_id, award_id)),
            log.event(DomainEvent::BadgeRevoked(BadgeRevoked {
                award_id,
                reason: reason(ReasonCode::IssuedInError),
            })),
        ];
        let working_set = fold(&events);
        let state = |request_id| {
            working_set
                .requests
                .get(&(log.tenant_id, request_id))
                .unwrap()
                .clone()
        };
        assert_eq!(state(refused_id).state, RequestState::Refused);
        assert_eq!(state(withdrawn_id).state, RequestState::Withdrawn);
        let awarded_entry = state(awarded_id);
        assert_eq!(awarded_entry.state, RequestState::Approved);
        assert_eq!(
            (awarded_entry.award_id, awarded_entry.award_state),
            (Some(award_id), Some(AwardState::Revoked))
        );
        assert_eq!(working_set.requests.changed_rows().count(), 3);
    }

    #[test]
    fn an_award_loaded_from_the_table_can_expire() {
        let mut log = TenantLog::new();
        let (request_id, earner_id, award_id) = (RequestId::new(), PersonId::new(), AwardId::new());
        let mut setup = fold(&[
            log.event(requested(request_id, earner_id, ValidationRoute::Automatic)),
            log.event(awarded(request_id, earner_id, award_id)),
        ]);
        let row = entry_to_row(setup.requests.get(&(log.tenant_id, request_id)).unwrap());
        // A later batch starts from the row as stored.
        setup = RequestQueueWorkingSet::default();
        setup.load(entry_from_row(&row).unwrap());
        setup
            .apply(&log.event(DomainEvent::BadgeExpired(BadgeExpired { award_id })))
            .unwrap();
        let entry = setup.requests.get(&(log.tenant_id, request_id)).unwrap();
        assert_eq!(entry.award_state, Some(AwardState::Expired));
        assert_eq!(entry_from_row(&entry_to_row(entry)).unwrap(), *entry);
    }

    #[test]
    fn a_decision_on_an_unknown_request_stops_with_the_tenant_and_seq() {
        let mut log = TenantLog::new();
        log.event(DomainEvent::EarnerEnrolled(EarnerEnrolled {
            earner_id: PersonId::new(),
            enrolled_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        }));
        let orphan = log.event(DomainEvent::RequestWithdrawn(RequestWithdrawn {
            request_id: RequestId::new(),
            reason: reason(ReasonCode::RequestedByEarner),
        }));
        let error = RequestQueueWorkingSet::default()
            .apply(&orphan)
            .unwrap_err();
        assert!(
            matches!(error, ProjectionError::Inconsistent { seq: 2, tenant_id, .. } if tenant_id == log.tenant_id),
            "{error}"
        );
    }
}
