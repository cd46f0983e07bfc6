//! The gap problem: a subscriber following the cross-tenant feed while many writers append
//! concurrently must receive every committed event exactly once, in feed order, with each
//! tenant's events in sequence order. Run on both backends; PostgreSQL is where it bites
//! (positions handed out before commit).

use crate::helpers::*;
use ecusson_domain::TenantId;
use ecusson_store::*;
use rand::Rng;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

crate::on_both_backends!(subscriber_misses_nothing_under_concurrent_writers);

const WRITERS: usize = 8;
const APPENDS_PER_WRITER: usize = 60;
const TENANTS: usize = 5;

async fn subscriber_misses_nothing_under_concurrent_writers(store: TestStore) {
    let store = Arc::new(store);
    let tenants: Arc<Vec<TenantId>> = Arc::new((0..TENANTS).map(|_| TenantId::new()).collect());
    let writers_done = Arc::new(AtomicBool::new(false));

    let subscriber = {
        let store = store.clone();
        let writers_done = writers_done.clone();
        tokio::spawn(async move {
            let mut cursor = FeedCursor::START;
            let mut received: Vec<RecordedEvent> = Vec::new();
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
            loop {
                assert!(
                    std::time::Instant::now() < deadline,
                    "subscriber did not catch up"
                );
                // Read the flag before the page: an empty page read after the writers finished
                // means the subscriber has caught up with everything they committed.
                let finished = writers_done.load(Ordering::SeqCst);
                let page = store.read_all(cursor, 50).await.unwrap();
                if let Some(last) = page.last() {
                    assert!(last.cursor > cursor, "the feed went backwards");
                    cursor = last.cursor;
                    received.extend(page);
                } else if finished {
                    // On PostgreSQL an unrelated transaction can hold the horizon back for a
                    // moment: only stop once the table itself has nothing more for us.
                    if received.len() == store.table_in_feed_order().await.len() {
                        break;
                    }
                } else {
                    tokio::task::yield_now().await;
                }
            }
            received
        })
    };

    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let store = store.clone();
        let tenants = tenants.clone();
        writers.push(tokio::spawn(async move {
            for append in 0..APPENDS_PER_WRITER {
                let (tenant, stream, size) = {
                    let mut rng = rand::thread_rng();
                    (
                        tenants[rng.gen_range(0..TENANTS)],
                        format!("earner-{}", rng.gen_range(0..4)),
                        rng.gen_range(1..=3),
                    )
                };
                let events = (0..size)
                    .map(|n| test_event((writer * 1_000 + append * 10 + n) as u64))
                    .collect();
                store
                    .append(append_request(
                        tenant,
                        &stream,
                        ExpectedVersion::Any,
                        events,
                    ))
                    .await
                    .unwrap();
            }
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }
    writers_done.store(true, Ordering::SeqCst);
    let received = subscriber.await.unwrap();

    // Nothing twice.
    let unique: HashSet<_> = received.iter().map(|event| event.event_id).collect();
    assert_eq!(unique.len(), received.len(), "an event was delivered twice");

    // Nothing missed, order kept: exactly the table, in the table's feed order.
    let table = store.table_in_feed_order().await;
    let delivered: Vec<(String, i64, String)> = received
        .iter()
        .map(|event| {
            (
                event.tenant_id.to_string(),
                event.seq as i64,
                event.event_id.to_string(),
            )
        })
        .collect();
    assert_eq!(delivered.len(), table.len(), "the subscriber missed events");
    assert_eq!(delivered, table);

    // Each tenant's events arrive in sequence order, gap-free from 1.
    let mut next_seq: HashMap<TenantId, u64> = HashMap::new();
    for event in &received {
        let expected = next_seq.entry(event.tenant_id).or_insert(1);
        assert_eq!(
            event.seq, *expected,
            "tenant {} out of order",
            event.tenant_id
        );
        *expected += 1;
    }
    let total: usize = received.len();
    assert!(total >= WRITERS * APPENDS_PER_WRITER);
    for tenant in tenants.iter() {
        assert!(verify_log(store.store.as_ref(), *tenant)
            .await
            .unwrap()
            .is_intact());
    }
}

/// The horizon, shown deterministically on PostgreSQL: while an older transaction that has
/// appended is still open, a younger one's committed event is held back, so a subscriber
/// cannot move its cursor past the older event and lose it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_feed_waits_for_an_open_older_transaction() {
    use sqlx::Connection;
    let store = postgres_store().await;
    let (slow_tenant, fast_tenant) = (TenantId::new(), TenantId::new());

    // The slow writer appends inside a transaction it keeps open.
    let mut slow = sqlx::PgConnection::connect(&store.url).await.unwrap();
    let mut transaction = slow.begin().await.unwrap();
    let event = test_event(1);
    let stream = StreamId::parse("earner-slow").unwrap();
    let recorded_at = canonical::truncate_to_micros(chrono::Utc::now());
    let bytes =
        canonical::canonical_bytes(slow_tenant, &stream, &event, &metadata(), recorded_at).unwrap();
    let (status,): (String,) = sqlx::query_as(
        "select o_status from ecusson_append($1, $2, -1, null, null, $3, $4, $5, $6, $7, false, \
         array[]::uuid[], array[]::bigint[])",
    )
    .bind(slow_tenant.as_uuid())
    .bind(stream.as_str())
    .bind(vec![event.event_id])
    .bind(vec![event.event_type.clone()])
    .bind(vec![1i32])
    .bind(recorded_at)
    .bind(vec![bytes])
    .fetch_one(&mut *transaction)
    .await
    .unwrap();
    assert_eq!(status, "appended");

    // A faster writer commits after it, in another tenant.
    let fast_event = test_event(2);
    store
        .append(append_request(
            fast_tenant,
            "earner-fast",
            ExpectedVersion::Any,
            vec![fast_event.clone()],
        ))
        .await
        .unwrap();
    let committed: Vec<_> = store.table_in_feed_order().await;
    assert_eq!(
        committed.len(),
        1,
        "only the fast event is committed so far"
    );

    // The feed does not hand out the fast event yet: the slow transaction is older.
    assert!(store
        .read_all(FeedCursor::START, 100)
        .await
        .unwrap()
        .is_empty());

    transaction.commit().await.unwrap();
    let ids = crate::store_conformance::follow_feed(&store, 2).await;
    assert_eq!(ids, vec![event.event_id, fast_event.event_id]);
}
