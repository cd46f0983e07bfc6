//! Coalesced single-statement reads on PostgreSQL: calls of one statement that arrive while it
//! runs go together as one statement once it ends. Each call still gets exactly its own rows,
//! in its own order, and its own error; a caller that goes away, leader or not, leaves the
//! others answered.
//!
//! Reads of several streams (`read_streams`, what commands make) coalesce too: the streams of
//! every queued call go into one call of `ecusson_read_streams`, and each caller gets the pages
//! of its own streams, as reading each stream alone gives them.
//!
//! The statements read through a gate: a shared advisory lock, which a blocker connection
//! holds exclusively, so the first callers (the leaders) wait in the database while the others
//! queue behind them; the coalescer's own counters say when everyone is in place, and
//! releasing the lock lets them all go. An advisory lock, not `lock table`: an exclusive table
//! lock gives its transaction an id, which holds back the visibility horizon of the whole
//! server, and with it the feeds of every other test's projections.

use crate::helpers::{append_request, postgres_store, test_event, TestStore};
use ecusson_domain::TenantId;
use ecusson_store::postgres::PostgresEventStore;
use ecusson_store::{
    CoalescedReads, EventStore, ExpectedVersion, RecordedEvent, SqlValue, StoreError, StreamId,
    StreamRead,
};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// Rows of `coalesce_probe`: n from 1 to 2000, key `k{n % 40}` (50 rows per key).
const ROWS: i64 = 2000;
const KEYS: i64 = 40;
/// The advisory lock the blocker holds; every statement of these tests waits for it.
const GATE: i64 = 424_242;
const READ: &str = "select n, k from (select pg_advisory_xact_lock_shared(424242)) as gate, \
                    coalesce_probe where k = $1 and n >= $2 order by n desc";

type Read = JoinHandle<Result<Vec<Vec<SqlValue>>, StoreError>>;

struct Probe {
    _database: TestStore,
    store: Arc<PostgresEventStore>,
    /// Holds the advisory lock [`GATE`] until [`Probe::release`] (or until dropped).
    blocker: PgConnection,
}

impl Probe {
    async fn locked() -> Probe {
        let database = postgres_store().await;
        database
            .execute_raw("create table coalesce_probe (k text not null, n bigint not null)")
            .await;
        database
            .execute_raw(&format!(
                "insert into coalesce_probe select 'k' || (n % {KEYS}), n \
                 from generate_series(1, {ROWS}) as n"
            ))
            .await;
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .connect(&database.url)
            .await
            .expect("a pool on the test database");
        let mut blocker = PgConnection::connect(&database.url)
            .await
            .expect("the blocker's connection");
        sqlx::query("select pg_advisory_lock($1)")
            .bind(GATE)
            .execute(&mut blocker)
            .await
            .expect("take the gate's lock");
        Probe {
            _database: database,
            store: Arc::new(PostgresEventStore::new(pool)),
            blocker,
        }
    }

    fn read(&self, sql: &'static str, params: Vec<SqlValue>) -> Read {
        let store = self.store.clone();
        tokio::spawn(async move { store.read_once(sql, &params).await })
    }

    /// Waits (polling the coalescer's counters, 30 s at most) until `done` holds.
    async fn until(&self, what: &str, done: impl Fn(CoalescedReads) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let now = self.store.coalesced_reads();
            if done(now) {
                return;
            }
            assert!(Instant::now() < deadline, "waited 30 s for {what}: {now:?}");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    async fn release(&mut self) {
        sqlx::query("select pg_advisory_unlock($1)")
            .bind(GATE)
            .execute(&mut self.blocker)
            .await
            .expect("release the gate's lock");
    }
}

/// Call `i`'s parameters: keys beyond the 40 that exist (no rows), thresholds all over.
fn params_of(i: i64) -> Vec<SqlValue> {
    vec![
        SqlValue::Text(format!("k{}", i % (KEYS + 5))),
        SqlValue::Int((i * 37) % ROWS),
    ]
}

/// What `READ` gives for call `i`, computed here.
fn expected(i: i64) -> Vec<Vec<SqlValue>> {
    let key = i % (KEYS + 5);
    let from = (i * 37) % ROWS;
    (1..=ROWS)
        .rev()
        .filter(|n| n % KEYS == key && *n >= from)
        .map(|n| vec![SqlValue::Int(n), SqlValue::Text(format!("k{key}"))])
        .collect()
}

async fn answer(read: Read) -> Result<Vec<Vec<SqlValue>>, StoreError> {
    tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .expect("a read is answered within 60 s")
        .expect("the read task ends")
}

/// PostgreSQL only: SQLite runs reads in process, one after the other.
mod postgres {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn queued_calls_go_together_and_each_gets_its_own_rows() {
        let mut probe = Probe::locked().await;
        let leaders: Vec<Read> = (0..1).map(|i| probe.read(READ, params_of(i))).collect();
        probe.until("one leader", |now| now.leading == 1).await;
        // Each sixteenth caller to queue leads the fifteen before it at once (a full batch): of
        // 119, 112 go in seven such batches, which wait on the lock too, and seven wait.
        let queued: Vec<Read> = (1..120).map(|i| probe.read(READ, params_of(i))).collect();
        probe
            .until("eight leaders and seven queued calls", |now| {
                now.leading == 8 && now.waiting == 7
            })
            .await;
        probe.release().await;

        for (i, read) in leaders.into_iter().chain(queued).enumerate() {
            let rows = answer(read).await.expect("the read succeeds");
            assert_eq!(rows, expected(i as i64), "call {i}");
        }
        let after = probe.store.coalesced_reads();
        assert!(after.batches >= 7, "seven full batches at least: {after:?}");
        assert!(after.batched_calls >= 7 * 16, "{after:?}");
        assert_eq!(
            (after.leading, after.waiting),
            (0, 0),
            "the lane is left empty"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_call_fails_alone_in_its_batch() {
        // `100 / $3` divides by zero on every row of the failing call, and only there.
        const DIVIDE: &str =
            "select n, 100 / $3 from (select pg_advisory_xact_lock_shared(424242)) \
                              as gate, coalesce_probe where k = $1 and n >= $2 order by n desc";
        let with_divisor = |i: i64, divisor: i64| {
            let mut params = params_of(i);
            params.push(SqlValue::Int(divisor));
            params
        };
        let mut probe = Probe::locked().await;
        let leaders: Vec<Read> = (0..1)
            .map(|i| probe.read(DIVIDE, with_divisor(i, 1)))
            .collect();
        probe.until("one leader", |now| now.leading == 1).await;
        // The first call to queue fails, with a key that has rows.
        let failing_call = 45;
        assert!(!expected(failing_call).is_empty());
        let failing = probe.read(DIVIDE, with_divisor(failing_call, 0));
        probe
            .until("the failing call queued", |now| now.waiting == 1)
            .await;
        let queued: Vec<Read> = (1..40)
            .map(|i| probe.read(DIVIDE, with_divisor(i, 1)))
            .collect();
        // The sixteenth and the thirty-second to queue lead at once (full batches): the first of
        // them takes the failing call along.
        probe
            .until("all in place", |now| now.leading == 3 && now.waiting == 8)
            .await;
        probe.release().await;

        match answer(failing).await {
            Err(StoreError::Internal(_)) | Err(StoreError::InvalidInput(_)) => {}
            other => panic!("the division by zero fails its own call: {other:?}"),
        }
        for (i, read) in leaders.into_iter().chain(queued).enumerate() {
            let rows = answer(read).await.expect("the others succeed");
            let wanted: Vec<Vec<SqlValue>> = expected(i as i64)
                .into_iter()
                .map(|row| vec![row[0].clone(), SqlValue::Int(100)])
                .collect();
            assert_eq!(rows, wanted, "call {i}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn callers_that_go_away_leave_the_others_answered() {
        let mut probe = Probe::locked().await;
        let leaders: Vec<Read> = (0..1).map(|i| probe.read(READ, params_of(i))).collect();
        probe.until("one leader", |now| now.leading == 1).await;
        // The oldest queued caller goes away first: the lead must skip it.
        let gone = probe.read(READ, params_of(1));
        probe.until("one queued call", |now| now.waiting == 1).await;
        // Fourteen wait in all: fewer than a full batch, so nobody else leads them.
        let queued: Vec<Read> = (2..15).map(|i| probe.read(READ, params_of(i))).collect();
        probe.until("all queued", |now| now.waiting == 14).await;
        gone.abort();
        for leader in &leaders {
            leader.abort();
        }
        // The lead passes on, past the call whose caller left, to the oldest call still waiting,
        // which takes every call queued behind it.
        probe
            .until("new leaders holding every call", |now| {
                now.leading >= 1 && now.waiting == 0
            })
            .await;
        probe.release().await;

        for (offset, read) in queued.into_iter().enumerate() {
            let i = offset as i64 + 2;
            let rows = answer(read).await.expect("the read succeeds");
            assert_eq!(rows, expected(i), "call {i}");
        }
        for leader in leaders {
            assert!(leader.await.unwrap_err().is_cancelled());
        }
        probe
            .until("the lane left empty", |now| {
                now.leading == 0 && now.waiting == 0
            })
            .await;
    }

    /// Pages of several streams: what each call of `read_streams` gets.
    type Pages = Vec<Vec<RecordedEvent>>;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stream_reads_queued_together_each_get_their_own_pages() {
        // Streams of two tenants, of 1 to 7 events; every call reads three of them (and one
        // stream that does not exist) from various versions, at most 4 events each.
        const MAX: usize = 4;
        let database = postgres_store().await;
        let tenants = [TenantId::new(), TenantId::new()];
        let mut streams = Vec::new();
        for (index, tenant) in tenants.iter().cycle().take(10).enumerate() {
            let stream = format!("probe-{index}");
            let events = (0..=index as u64 % 7).map(test_event).collect();
            database
                .append(append_request(
                    *tenant,
                    &stream,
                    ExpectedVersion::NoStream,
                    events,
                ))
                .await
                .expect("append a probe stream");
            streams.push((*tenant, StreamId::parse(&stream).unwrap()));
        }
        let reads_of = |call: usize| -> Vec<StreamRead> {
            let mut reads: Vec<StreamRead> = (0..3)
                .map(|offset| {
                    let (tenant_id, stream_id) =
                        streams[(call * 3 + offset) % streams.len()].clone();
                    StreamRead {
                        tenant_id,
                        stream_id,
                        after_version: ((call + offset) % 4) as u64,
                    }
                })
                .collect();
            reads.insert(
                call % 4,
                StreamRead {
                    tenant_id: tenants[call % 2],
                    stream_id: StreamId::parse("probe-missing").unwrap(),
                    after_version: 0,
                },
            );
            reads
        };
        // What reading each stream alone gives (another statement: `read_stream`).
        let mut expected: Vec<Pages> = Vec::new();
        for call in 0..14 {
            let mut pages = Vec::new();
            for read in reads_of(call) {
                pages.push(
                    database
                        .read_stream(read.tenant_id, &read.stream_id, read.after_version, MAX)
                        .await
                        .expect("read one stream"),
                );
            }
            expected.push(pages);
        }
        assert!(
            expected.iter().flatten().any(|page| page.len() == MAX),
            "some pages are cut at the limit"
        );

        // A store whose one connection the test holds: the first caller leads and waits for it,
        // the thirteen others queue behind it (fewer than a full batch).
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect(&database.url)
            .await
            .expect("a pool on the test database");
        let store = Arc::new(PostgresEventStore::new(pool.clone()));
        let held = pool.acquire().await.expect("hold the pool's connection");
        let until = |what: &'static str, done: fn(CoalescedReads) -> bool| {
            let store = store.clone();
            async move {
                let deadline = Instant::now() + Duration::from_secs(30);
                loop {
                    let now = store.coalesced_stream_reads();
                    if done(now) {
                        return;
                    }
                    assert!(Instant::now() < deadline, "waited 30 s for {what}: {now:?}");
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            }
        };
        let read = |call: usize| {
            let store = store.clone();
            let reads = reads_of(call);
            tokio::spawn(async move {
                let pages = store.read_streams(&reads, MAX).await?;
                Ok::<Pages, StoreError>(pages.into_iter().map(|page| page.events).collect())
            })
        };
        let leaders: Vec<JoinHandle<Result<Pages, StoreError>>> = (0..1).map(read).collect();
        until("one leader", |now| now.leading == 1).await;
        let queued: Vec<JoinHandle<Result<Pages, StoreError>>> = (1..14).map(read).collect();
        until("thirteen queued calls", |now| {
            now.leading == 1 && now.waiting == 13
        })
        .await;
        drop(held);

        for (call, read) in leaders.into_iter().chain(queued).enumerate() {
            let pages = tokio::time::timeout(Duration::from_secs(60), read)
                .await
                .expect("a read is answered within 60 s")
                .expect("the read task ends")
                .expect("the read succeeds");
            assert_eq!(pages, expected[call], "call {call}");
        }
        // The leader, when done, hands the lead to the oldest queued call, which takes all the
        // queue along: one batch of thirteen.
        let after = store.coalesced_stream_reads();
        assert!(
            after.batches >= 1 && after.batched_calls >= 13,
            "the queued calls went together: {after:?}"
        );
        assert_eq!(
            (after.leading, after.waiting),
            (0, 0),
            "the lane is left empty"
        );
    }
}
