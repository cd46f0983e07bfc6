//! Coalesced calls on PostgreSQL: single-statement reads of the read models
//! ([`crate::EventStore::read_once`]), the reads of several streams that commands make
//! ([`crate::EventStore::read_streams`]) and commands' appends
//! ([`crate::EventStore::append_grouped`]).
//!
//! Under load, many callers run the same read-model statement with different parameters at
//! the same moment: thirty-two partners each reading one worker's history, say. Each statement
//! alone costs a round trip, a protocol exchange and a pool lease (with sqlx's ping when the
//! connection goes back) for a few index pages of work. Here, calls of one statement (the
//! same SQL text and the same kinds of parameters) that arrive while that statement is
//! already running wait for it to finish, then go together as ONE statement:
//!
//! ```sql
//! select b.ecusson_call, r.*
//! from unnest($1::text[], $2::bigint[]) with ordinality as b(p1, p2, ecusson_call)
//! cross join lateral (<the statement, with $1 and $2 read as b.p1 and b.p2>) as r
//! ```
//!
//! Each call's parameters are one row of the unnested arrays; the statement runs once per row
//! as a lateral subquery (a nested loop over the calls, in their order), so each call gets
//! exactly the rows, in the order, that its statement alone would give: `ecusson_call` says
//! whose each row is. All calls of a batch read one snapshot, taken after every one of them was
//! made, which is all that a single statement promised them.
//!
//! Who runs the batch: the callers themselves, never a background task (sqlx's connections
//! are driven by the runtime that awaits them, and actix runs one runtime per worker thread).
//! At most [`LEADERS`] callers of a statement run it at once; a caller that finds them all
//! busy queues its call, unless [`FULL_BATCH`] calls would then wait: it leads them at once.
//! A leader takes every queued call of its statement (up to [`MAX_BATCH`]) along with its own,
//! answers them all. As soon as its statement has answered (before the answers go out), it
//! hands the lead to the oldest call queued since, which runs the next batch with its own, so
//! the database works on the next statement while the server handles this one's answers.
//! Nobody leads twice, so nobody waits for strangers' batches beyond the one that answers
//! them. When the load is light, no call ever queues and each statement runs alone, exactly
//! as it is written.
//!
//! Only `select` statements without NULL parameters go this way (a NULL has no array type to
//! travel in); anything else runs alone. When a batch fails, each of its calls runs alone,
//! so one call's error never becomes another's.
//!
//! Stream reads coalesce the same way, more simply: `ecusson_read_streams` already takes
//! arrays (one element per stream, each read by its own index range scan, the rows tagged with
//! the element's ordinal), so the streams of every call of a batch go into one call of it, and
//! each caller gets back the pages of its own streams. Commands (a `requestBadge` reads the
//! badge class, the structure's adoption, its staff and the worker's record) then share one
//! round trip and one pool lease.
//!
//! Single-event appends of one tenant group the same way (group commit, [`Appends`]): while one
//! of the tenant's appends runs, the next ones queue, then go as one call of
//! `ecusson_append_each`, one transaction and one commit for all. Each is decided as it would
//! be alone, in the order they queued; a batch that fails runs each alone, as above.
//!
//! The lanes, leaders and hand-overs are one piece of code ([`Coalescer`]) for all three; what
//! a batch runs is the [`Coalesce`] implementation of each ([`SqlReads`], [`StreamReads`],
//! [`Appends`]).

use crate::postgres::{AppendRow, GroupedAppend};
use crate::read_model::SqlValue;
use crate::types::{StreamPage, StreamRead};
use crate::StoreError;
use ecusson_domain::TenantId;
use sqlx::postgres::{PgPool, PgRow, Postgres};
use sqlx::Row;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Callers of one statement that run it at the same time, [`FULL_BATCH`] aside. One makes the
/// largest batches, so the least database work per call: on the badge-history mix (BENCHMARKS.md,
/// eleventh round) 7,781–7,814 requests/s against 7,395–7,436 with two and 6,634–6,966 with
/// four, and `requestBadge`'s stream reads no slower. A crowd of waiting calls still starts
/// another statement at once (see [`FULL_BATCH`]).
pub(crate) const LEADERS: usize = 1;

/// Calls answered by one statement at most (each adds one element to each array).
pub(crate) const MAX_BATCH: usize = 64;

/// When this many calls wait (the newcomer included), the newcomer leads them at once even if
/// [`LEADERS`] statements already run: the batch is large enough to pay for its round trip,
/// and holding it longer would leave the processor idle while everyone waits. (Measured on
/// the badge-history mix: 8 makes batches too small, 12 to 16 gain 2-3 % over never.)
pub(crate) const FULL_BATCH: usize = 16;

pub(crate) type Rows = Vec<Vec<SqlValue>>;

/// One kind of call that coalesces: what runs for one call alone, and for several together.
pub(crate) trait Coalesce: Send + Sync + 'static {
    /// Calls of the same key coalesce (the statement, say).
    type Key: Hash + Eq + Send + Sync + 'static;
    type Params: Clone + Send + 'static;
    type Output: Send + 'static;

    fn alone(
        pool: &PgPool,
        key: &Self::Key,
        params: &Self::Params,
    ) -> impl Future<Output = Result<Self::Output, StoreError>> + Send;

    /// The answers of `calls`, in their order, from one statement.
    fn together(
        pool: &PgPool,
        key: &Self::Key,
        calls: &[&Self::Params],
    ) -> impl Future<Output = Result<Vec<Self::Output>, StoreError>> + Send;
}

/// One caller's call, waiting in its lane.
struct Call<C: Coalesce> {
    params: C::Params,
    reply: oneshot::Sender<Answer<C>>,
}

enum Answer<C: Coalesce> {
    Output(Result<C::Output, StoreError>),
    /// The previous leader left: run the next batch, starting with this (your own) call. A
    /// lead that is never received (its caller went away) passes on when it is dropped.
    Lead(Leader<C>, C::Params),
}

type Lanes<C> = Arc<Mutex<HashMap<Arc<<C as Coalesce>::Key>, Lane<C>>>>;

/// The calls of one key: how many leaders run it now, and who waits.
struct Lane<C: Coalesce> {
    leaders: usize,
    queue: VecDeque<Call<C>>,
}

impl<C: Coalesce> Default for Lane<C> {
    fn default() -> Self {
        Self {
            leaders: 0,
            queue: VecDeque::new(),
        }
    }
}

/// Coalesces concurrent calls of one kind; see the module header.
pub(crate) struct Coalescer<C: Coalesce> {
    lanes: Lanes<C>,
    batches: AtomicU64,
    batched_calls: AtomicU64,
}

impl<C: Coalesce> Default for Coalescer<C> {
    fn default() -> Self {
        Self {
            lanes: Arc::default(),
            batches: AtomicU64::new(0),
            batched_calls: AtomicU64::new(0),
        }
    }
}

/// What a coalescer is doing and has done, for operators and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CoalescedReads {
    /// Callers running a statement now, for themselves and whoever they took along.
    pub leading: usize,
    /// Calls waiting for a running statement to finish.
    pub waiting: usize,
    /// Statements that answered several calls at once, since the store was opened.
    pub batches: u64,
    /// Calls answered by those statements.
    pub batched_calls: u64,
}

impl<C: Coalesce> Coalescer<C> {
    pub(crate) fn statistics(&self) -> CoalescedReads {
        let lanes = lock(&self.lanes);
        CoalescedReads {
            leading: lanes.values().map(|lane| lane.leaders).sum(),
            waiting: lanes.values().map(|lane| lane.queue.len()).sum(),
            batches: self.batches.load(Ordering::Relaxed),
            batched_calls: self.batched_calls.load(Ordering::Relaxed),
        }
    }

    /// Runs `params` under `key`: alone, or in a batch with other callers' calls.
    pub(crate) async fn run(
        &self,
        pool: &PgPool,
        key: C::Key,
        params: C::Params,
    ) -> Result<C::Output, StoreError> {
        let key = Arc::new(key);
        // A caller that leads at once takes the queue in the same critical section, so that
        // the next caller counts what is left, not what this one is about to take.
        let registered = {
            let mut lanes = lock(&self.lanes);
            let lane = lanes.entry(key.clone()).or_default();
            if lane.leaders < LEADERS || lane.queue.len() + 1 >= FULL_BATCH {
                lane.leaders += 1;
                Ok(lane.take_batch())
            } else {
                let (reply, answer) = oneshot::channel();
                lane.queue.push_back(Call {
                    params: params.clone(),
                    reply,
                });
                Err(answer)
            }
        };
        let (leader, own, batch) = match registered {
            Ok(batch) => (
                Leader {
                    lanes: self.lanes.clone(),
                    key: key.clone(),
                    armed: true,
                },
                params,
                batch,
            ),
            Err(answer) => match answer.await {
                Ok(Answer::Output(output)) => return output,
                Ok(Answer::Lead(leader, own)) => {
                    let batch = leader.take_batch();
                    (leader, own, batch)
                }
                // The leader that held this call was dropped mid-batch (its caller went away):
                // nobody will answer, so the call runs alone.
                Err(_) => return C::alone(pool, &key, &params).await,
            },
        };
        self.run_batch(pool, &key, leader, own, batch).await
    }

    /// Runs the leader's own call with the queued ones and answers the queued ones; returns
    /// the leader's own answer. The lead passes on as soon as the statement has answered,
    /// before the answers go out: the next statement is on its way while the callers of this
    /// one (and the leader itself) handle theirs, instead of after them.
    async fn run_batch(
        &self,
        pool: &PgPool,
        key: &C::Key,
        leader: Leader<C>,
        own: C::Params,
        queued: Vec<Call<C>>,
    ) -> Result<C::Output, StoreError> {
        if queued.is_empty() {
            let output = C::alone(pool, key, &own).await;
            drop(leader);
            return output;
        }
        let mut calls: Vec<&C::Params> = Vec::with_capacity(queued.len() + 1);
        calls.push(&own);
        calls.extend(queued.iter().map(|call| &call.params));
        let answers = C::together(pool, key, &calls).await;
        drop(leader);
        let count = calls.len();
        drop(calls);
        match answers {
            Ok(answers) if answers.len() == count => {
                self.batches.fetch_add(1, Ordering::Relaxed);
                self.batched_calls
                    .fetch_add(count as u64, Ordering::Relaxed);
                let mut answers = answers.into_iter();
                let own_output = answers.next().expect("the leader's own answer");
                for (call, output) in queued.into_iter().zip(answers) {
                    // A caller that went away no longer wants its answer.
                    let _ = call.reply.send(Answer::Output(Ok(output)));
                }
                Ok(own_output)
            }
            failed => {
                let error = match failed {
                    Ok(answers) => format!("{} answers for {count} calls", answers.len()),
                    Err(error) => error.to_string(),
                };
                tracing::debug!(%error, calls = count, "a coalesced call failed; its calls run alone");
                for call in queued {
                    let output = C::alone(pool, key, &call.params).await;
                    let _ = call.reply.send(Answer::Output(output));
                }
                C::alone(pool, key, &own).await
            }
        }
    }
}

fn lock<C: Coalesce>(lanes: &Lanes<C>) -> std::sync::MutexGuard<'_, HashMap<Arc<C::Key>, Lane<C>>> {
    // The lanes are left consistent at every step, so a panic elsewhere poisons nothing.
    lanes.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// One leader's place in its lane; leaving it, even by cancellation, hands the lead on.
struct Leader<C: Coalesce> {
    lanes: Lanes<C>,
    key: Arc<C::Key>,
    /// False for a lead refused by a caller that went away: it is already handed on.
    armed: bool,
}

impl<C: Coalesce> Leader<C> {
    /// The calls queued behind this leader, the oldest first.
    fn take_batch(&self) -> Vec<Call<C>> {
        lock(&self.lanes)
            .get_mut(&*self.key)
            .map(Lane::take_batch)
            .unwrap_or_default()
    }
}

impl<C: Coalesce> Lane<C> {
    /// The oldest queued calls, as many as a batch takes besides its leader's.
    fn take_batch(&mut self) -> Vec<Call<C>> {
        let take = self.queue.len().min(MAX_BATCH - 1);
        self.queue.drain(..take).collect()
    }
}

impl<C: Coalesce> Drop for Leader<C> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let mut lanes = lock(&self.lanes);
        let Some(lane) = lanes.get_mut(&*self.key) else {
            return;
        };
        // The lead goes to the oldest queued call whose caller still waits.
        while let Some(call) = lane.queue.pop_front() {
            let next = Leader {
                lanes: self.lanes.clone(),
                key: self.key.clone(),
                armed: true,
            };
            match call.reply.send(Answer::Lead(next, call.params)) {
                Ok(()) => return,
                // Disarmed before it drops: the lanes are locked here, and the loop goes on.
                Err(refused) => {
                    if let Answer::Lead(mut next, _) = refused {
                        next.armed = false;
                    }
                }
            }
        }
        lane.leaders -= 1;
        if lane.leaders == 0 {
            lanes.remove(&*self.key);
        }
    }
}

/// Single-statement reads of the read models: calls of one statement (the same SQL and the
/// same kinds of parameters) go as one `unnest ... cross join lateral` statement.
pub(crate) struct SqlReads;

/// What coalesces: the statement and the kind of each parameter.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Signature {
    sql: String,
    kinds: Vec<Kind>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Kind {
    Int,
    Text,
    Bytes,
}

impl Kind {
    fn of(value: &SqlValue) -> Option<Kind> {
        match value {
            SqlValue::Null => None,
            SqlValue::Int(_) => Some(Kind::Int),
            SqlValue::Text(_) => Some(Kind::Text),
            SqlValue::Bytes(_) => Some(Kind::Bytes),
        }
    }

    fn array_type(self) -> &'static str {
        match self {
            Kind::Int => "bigint[]",
            Kind::Text => "text[]",
            Kind::Bytes => "bytea[]",
        }
    }
}

impl Coalescer<SqlReads> {
    /// A `read_once`: coalesced when the statement can be, alone otherwise.
    pub(crate) async fn read(
        &self,
        pool: &PgPool,
        sql: &str,
        params: &[SqlValue],
    ) -> Result<Rows, StoreError> {
        let Some(kinds) = coalescable(sql, params) else {
            return run_alone(pool, sql, params).await;
        };
        let signature = Signature {
            sql: sql.to_owned(),
            kinds,
        };
        self.run(pool, signature, params.to_vec()).await
    }
}

/// The kinds of the parameters, when the statement can be coalesced.
fn coalescable(sql: &str, params: &[SqlValue]) -> Option<Vec<Kind>> {
    let head = sql.trim_start().get(..7)?;
    if !head.eq_ignore_ascii_case("select ") || params.is_empty() {
        return None;
    }
    params.iter().map(Kind::of).collect()
}

impl Coalesce for SqlReads {
    type Key = Signature;
    type Params = Vec<SqlValue>;
    type Output = Rows;

    async fn alone(
        pool: &PgPool,
        signature: &Signature,
        params: &Vec<SqlValue>,
    ) -> Result<Rows, StoreError> {
        run_alone(pool, &signature.sql, params).await
    }

    /// One statement for every call (see the module header); the rows of each call, in order.
    async fn together(
        pool: &PgPool,
        signature: &Signature,
        calls: &[&Vec<SqlValue>],
    ) -> Result<Vec<Rows>, StoreError> {
        let sql = together_sql(signature);
        let mut query = sqlx::query::<Postgres>(&sql);
        for (index, kind) in signature.kinds.iter().enumerate() {
            let column = calls.iter().map(|params| &params[index]);
            query = match kind {
                Kind::Int => query.bind(
                    column
                        .map(|value| value.as_int())
                        .collect::<Option<Vec<i64>>>(),
                ),
                Kind::Text => query.bind(
                    column
                        .map(|value| value.as_text())
                        .collect::<Option<Vec<&str>>>(),
                ),
                Kind::Bytes => query.bind(
                    column
                        .map(|value| value.as_bytes())
                        .collect::<Option<Vec<&[u8]>>>(),
                ),
            };
        }
        let rows: Vec<PgRow> = query.fetch_all(pool).await?;
        let mut answers: Vec<Rows> = vec![Vec::new(); calls.len()];
        for row in &rows {
            let call: i64 = row.try_get(0)?;
            let slot = usize::try_from(call - 1)
                .ok()
                .and_then(|index| answers.get_mut(index))
                .ok_or_else(|| {
                    StoreError::Corrupt(format!("coalesced read row for call {call}"))
                })?;
            slot.push(crate::postgres::row_values(row, 1)?);
        }
        Ok(answers)
    }
}

async fn run_alone(pool: &PgPool, sql: &str, params: &[SqlValue]) -> Result<Rows, StoreError> {
    let rows = crate::postgres::bind_all(sqlx::query(sql), params)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| crate::postgres::row_values(row, 0))
        .collect()
}

/// The statement of a batch: see the module header.
fn together_sql(signature: &Signature) -> String {
    let arrays: Vec<String> = signature
        .kinds
        .iter()
        .enumerate()
        .map(|(index, kind)| format!("${}::{}", index + 1, kind.array_type()))
        .collect();
    let columns: Vec<String> = (1..=signature.kinds.len())
        .map(|number| format!("p{number}"))
        .collect();
    format!(
        "select b.ecusson_call, r.* from unnest({}) with ordinality as b({}, ecusson_call) \
         cross join lateral ({}) as r",
        arrays.join(", "),
        columns.join(", "),
        outer_references(&signature.sql)
    )
}

/// `$n` placeholders become `b.pn`, the call's own parameters in the batch.
fn outer_references(sql: &str) -> String {
    crate::read_model::replace_placeholder_sign(sql, "b.p")
}

/// Reads of several streams ([`crate::EventStore::read_streams`]): the calls with the same
/// page size (the key) go as one call of `ecusson_read_streams` over all their streams.
pub(crate) struct StreamReads;

impl Coalesce for StreamReads {
    type Key = usize;
    type Params = Vec<StreamRead>;
    type Output = Vec<StreamPage>;

    async fn alone(
        pool: &PgPool,
        max: &usize,
        reads: &Vec<StreamRead>,
    ) -> Result<Vec<StreamPage>, StoreError> {
        crate::postgres::read_streams_once(pool, reads.iter(), *max).await
    }

    async fn together(
        pool: &PgPool,
        max: &usize,
        calls: &[&Vec<StreamRead>],
    ) -> Result<Vec<Vec<StreamPage>>, StoreError> {
        let mut pages = crate::postgres::read_streams_once(
            pool,
            calls.iter().flat_map(|reads| reads.iter()),
            *max,
        )
        .await?
        .into_iter();
        Ok(calls
            .iter()
            .map(|reads| pages.by_ref().take(reads.len()).collect())
            .collect())
    }
}

/// Single-event appends of one tenant (see [`crate::EventStore::append_grouped`]): those that
/// arrive while one of the tenant's appends runs wait for it, then go together as one call of
/// `ecusson_append_each`: one statement, one transaction, one commit for all of them. The
/// tenant's lock serialises its appends anyway; grouped, they wait for it once.
pub(crate) struct Appends;

impl Coalesce for Appends {
    type Key = TenantId;
    type Params = Arc<GroupedAppend>;
    type Output = AppendRow;

    async fn alone(
        pool: &PgPool,
        _tenant_id: &TenantId,
        append: &Arc<GroupedAppend>,
    ) -> Result<AppendRow, StoreError> {
        crate::postgres::append_one(pool, &append.request, &append.prepared).await
    }

    async fn together(
        pool: &PgPool,
        tenant_id: &TenantId,
        calls: &[&Arc<GroupedAppend>],
    ) -> Result<Vec<AppendRow>, StoreError> {
        let appends: Vec<&GroupedAppend> = calls.iter().map(|call| call.as_ref()).collect();
        crate::postgres::append_each(pool, *tenant_id, &appends).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_the_calls_columns() {
        let signature = Signature {
            sql: "select a from t where b = $1 and c > $2 order by c limit $10".to_owned(),
            kinds: vec![Kind::Text, Kind::Int],
        };
        assert_eq!(
            together_sql(&signature),
            "select b.ecusson_call, r.* from unnest($1::text[], $2::bigint[]) with ordinality \
             as b(p1, p2, ecusson_call) cross join lateral (select a from t where b = b.p1 \
             and c > b.p2 order by c limit b.p10) as r"
        );
    }

    #[test]
    fn only_selects_without_nulls_coalesce() {
        let key = [SqlValue::text("t"), SqlValue::Int(3)];
        assert_eq!(
            coalescable("  SELECT x from t where a = $1 and b = $2", &key),
            Some(vec![Kind::Text, Kind::Int])
        );
        assert_eq!(
            coalescable("select x from t where a = $1", &[SqlValue::Null]),
            None
        );
        assert_eq!(coalescable("select 1", &[]), None);
        assert_eq!(
            coalescable("insert into t values ($1) returning x", &[SqlValue::Int(1)]),
            None
        );
        assert_eq!(
            coalescable(
                "with x as (select 1) select * from x where $1 = 1",
                &[SqlValue::Int(1)]
            ),
            None
        );
    }
}
