//! Subscriptions (served over WebSocket, graphql-transport-ws): the caller's tenant's new
//! events, filtered by role. The tenant comes from the token only.

use super::*;
use chrono::{DateTime, Utc};
use ecusson_store::{EventStore, RecordedEvent};
use futures::Stream;
use std::collections::VecDeque;
use std::time::Duration;

/// How often a subscription reads the log without being woken: the writes of other processes
/// (or nodes) do not notify this one.
pub const SUBSCRIPTION_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Events read from the log at once.
const SUBSCRIPTION_BATCH: usize = 100;

/// Roles that see every event of their tenant.
const LOG_READERS: [Role; 5] = [
    Role::NetworkAdmin,
    Role::StructureAdmin,
    Role::Direction,
    Role::Counsellor,
    Role::TechnicalSupervisor,
];

#[derive(Default)]
pub struct SubscriptionRoot;

/// One event of the caller's tenant, as a subscription delivers it: its type, what it is about
/// and ids, never its payload: no personal data (that lives in the vault), no vote, no note.
#[derive(SimpleObject, Clone, Debug)]
pub struct TenantEvent {
    /// The event's sequence number in the tenant's log: gap-free, from 1.
    pub sequence: i64,
    /// The stable event type (`earner.badge_requested`, `staff.appointed`...).
    pub event_type: String,
    /// What the event is about, without naming whose it is (`earner`, `network`, `staff`...).
    pub stream_category: String,
    /// The worker an `earner` event is about (staff may read every worker's record; a worker
    /// receives only their own events); `null` for other categories.
    pub earner_id: Option<ID>,
    pub recorded_at: DateTime<Utc>,
    /// For `earner` events, the ids of what changed (`requestId`, `awardId`,
    /// `recommendationId`); `null` otherwise.
    pub summary: Option<async_graphql::Json<serde_json::Value>>,
}

impl TenantEvent {
    fn of(event: &RecordedEvent) -> Self {
        let category = event.stream_id.category();
        let earner_stream = category == "earner";
        let earner_id = earner_stream
            .then(|| event.stream_id.as_str().strip_prefix("earner-"))
            .flatten()
            .and_then(|id| Uuid::parse_str(id).ok())
            .map(|id| ID(id.to_string()));
        let summary = earner_stream.then(|| async_graphql::Json(earner_summary(event)));
        Self {
            sequence: i64::try_from(event.seq).unwrap_or(i64::MAX),
            event_type: event.event_type.clone(),
            stream_category: category.to_owned(),
            earner_id,
            recorded_at: event.recorded_at,
            summary,
        }
    }
}

/// The ids an earner event names, from a closed list of payload fields that are ids; nothing
/// else of the payload leaves the server.
fn earner_summary(event: &RecordedEvent) -> serde_json::Value {
    const ID_FIELDS: [(&str, &str); 3] = [
        ("request_id", "requestId"),
        ("award_id", "awardId"),
        ("recommendation_id", "recommendationId"),
    ];
    let payload: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(event.payload_json.get()).unwrap_or_default();
    let mut summary = serde_json::Map::new();
    for (field, name) in ID_FIELDS {
        if let Some(id) = payload
            .get(field)
            .and_then(|value| value.as_str())
            .and_then(|text| Uuid::parse_str(text).ok())
        {
            summary.insert(name.to_owned(), serde_json::Value::String(id.to_string()));
        }
    }
    serde_json::Value::Object(summary)
}

/// Which of the tenant's events a subscriber receives.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Scope {
    /// Staff and network admins: every event of their tenant.
    Tenant,
    /// A worker: the events of their own stream.
    Stream(StreamId),
}

fn scope_of(principal: &Principal) -> async_graphql::Result<Scope> {
    if LOG_READERS.iter().any(|role| principal.has_role(*role)) {
        return Ok(Scope::Tenant);
    }
    if principal.has_role(Role::Earner) {
        return Ok(Scope::Stream(stream(Earner::stream_name(
            principal.subject,
        ))?));
    }
    Err(coded(
        "only staff and workers may follow a tenant's events",
        ErrorCode::Forbidden,
    ))
}

#[async_graphql::Subscription]
impl SubscriptionRoot {
    /// The caller's tenant's events with a sequence above `after` (default: the last event at
    /// subscription time, i.e. only new events), in order, each once: the log behind `after`
    /// first, then live. Staff and network admins receive every event of their tenant, a
    /// worker the events of their own record; other roles are FORBIDDEN. The subscription
    /// ends with UNAUTHENTICATED when the token expires.
    async fn events(
        &self,
        ctx: &Context<'_>,
        after: Option<i64>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<TenantEvent>>> {
        let principal = principal(ctx)?;
        if principal.expires_at <= Utc::now() {
            return Err(token_expired());
        }
        let scope = scope_of(principal)?;
        let api = api(ctx);
        let store = api.ledger.store();
        let head = store
            .tenant_head(principal.tenant)
            .await
            .map_err(|error| graphql_error(AppError::from(error)))?
            .map_or(0, |head| head.seq);
        let after = match after {
            None => head,
            Some(after) => {
                let after = u64::try_from(after).map_err(|_| {
                    coded(
                        "after is a sequence number, 0 or more",
                        ErrorCode::BadUserInput,
                    )
                })?;
                if after > head {
                    return Err(coded(
                        format!("after {after} is beyond the last event of the tenant ({head})"),
                        ErrorCode::BadUserInput,
                    ));
                }
                after
            }
        };
        let feed = Feed {
            store: store.clone(),
            wake: api.wake.clone(),
            tenant: principal.tenant,
            scope,
            after,
            ready: VecDeque::new(),
            expires_at: principal.expires_at,
            ended: false,
        };
        Ok(futures::stream::unfold(feed, Feed::next))
    }
}

fn token_expired() -> async_graphql::Error {
    coded("the token has expired", ErrorCode::Unauthenticated)
}

/// The state of one subscription.
struct Feed {
    store: Arc<dyn EventStore>,
    wake: Arc<Notify>,
    tenant: TenantId,
    scope: Scope,
    /// The last sequence read (delivered or filtered out).
    after: u64,
    /// Read and in scope, not yet delivered.
    ready: VecDeque<RecordedEvent>,
    expires_at: DateTime<Utc>,
    ended: bool,
}

impl Feed {
    /// The next event in scope: read from the log when nothing is ready, else wait for a
    /// write in this process, the poll interval or the token's expiry, whichever comes first.
    async fn next(mut self) -> Option<(async_graphql::Result<TenantEvent>, Self)> {
        loop {
            if self.ended {
                return None;
            }
            if let Some(event) = self.ready.pop_front() {
                return Some((Ok(TenantEvent::of(&event)), self));
            }
            let until_expiry = (self.expires_at - Utc::now()).to_std().unwrap_or_default();
            if until_expiry.is_zero() {
                self.ended = true;
                return Some((Err(token_expired()), self));
            }
            // Registered before reading, so that a write committed after the read wakes it.
            let wake = self.wake.clone();
            let notified = wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let events = match self
                .store
                .read_tenant(self.tenant, self.after, SUBSCRIPTION_BATCH)
                .await
            {
                Ok(events) => events,
                Err(error) => {
                    self.ended = true;
                    return Some((Err(graphql_error(AppError::from(error))), self));
                }
            };
            let full = events.len() == SUBSCRIPTION_BATCH;
            if let Some(last) = events.last() {
                self.after = last.seq;
            }
            self.ready
                .extend(events.into_iter().filter(|event| match &self.scope {
                    Scope::Tenant => true,
                    Scope::Stream(stream_id) => event.stream_id == *stream_id,
                }));
            if !self.ready.is_empty() || full {
                continue;
            }
            tokio::select! {
                () = &mut notified => {}
                () = tokio::time::sleep(SUBSCRIPTION_POLL_INTERVAL) => {}
                () = tokio::time::sleep(until_expiry) => {}
            }
        }
    }
}
