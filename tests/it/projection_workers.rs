//! Several workers on one database (API nodes, `ecusson projections run`): one at a time works
//! on a projection, none applies an event twice, and a rebuild keeps the others away.
//!
//! - Two engines on separate pools (as two processes would have) run the projections at the
//!   same time while events are appended: each event is applied once (their counters add up
//!   to the log, the tables equal a rebuild), both engines really competed (each projection's
//!   first batch waits, lock held, until the other engine has been turned away), and never
//!   were two batches of one projection inside `apply_batch` at once. On both backends. On
//!   PostgreSQL every batch runs with `synchronous_commit` off.
//! - PostgreSQL: while another session holds a projection's lock, catch-ups and runners leave
//!   that projection alone, and apply everything once it is released.
//! - PostgreSQL: a rebuild waits for a batch in flight, holds the projection against the other
//!   engines meanwhile, and replays everything itself.

use crate::helpers::*;
use crate::projections::{checksums, events_in_log, Network};
use ecusson_projections::*;
use ecusson_store::*;
use sqlx::Connection;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

crate::on_both_backends!(two_engines_on_one_database_apply_each_event_once);

/// Small batches and a short poll interval: many batches, and many chances to collide.
fn busy_settings() -> EngineSettings {
    EngineSettings {
        batch_size: 50,
        poll_interval: Duration::from_millis(20),
        ..EngineSettings::default()
    }
}

const PATIENCE: Duration = Duration::from_secs(60);

/// A second, independent connection to the test's database: its own pool (and, on SQLite, its
/// own appender and writer mutex), as another process would have.
async fn another_process(test: &TestStore) -> Arc<dyn EventStore> {
    connect_with(
        &DatabaseUrl::parse(&test.url).expect("url"),
        PoolSettings { max_connections: 8 },
    )
    .await
    .expect("connect again")
    .events
}

/// What the two engines' projections saw, across both.
struct Shared {
    backend: Backend,
    /// Each engine's activity, set once the engines exist.
    engines: [OnceLock<EngineActivity>; 2],
    /// Projections whose first batch (by either engine) has been held at the gate.
    gated: Mutex<HashSet<&'static str>>,
    /// Batches of each projection inside `apply_batch` right now, and the most ever seen.
    inside: Mutex<HashMap<&'static str, u32>>,
    most_inside: AtomicU32,
}

/// A standard projection run by engine `engine`, watched by [`Shared`]. The first batch of each
/// projection, whichever engine applies it, waits (holding the projection's lock) until the
/// other engine has been turned away from that projection: on PostgreSQL refused by the lock,
/// on SQLite begun (it then waits for the write lock, and finds the checkpoint moved).
struct Watched {
    inner: Arc<dyn Projection>,
    engine: usize,
    shared: Arc<Shared>,
}

#[ecusson_projections::async_trait]
impl Projection for Watched {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn tables(&self) -> &'static [TableSpec] {
        self.inner.tables()
    }

    async fn apply_batch(
        &self,
        transaction: &mut dyn ReadModelTransaction,
        events: &[DecodedEvent],
    ) -> Result<(), ProjectionError> {
        let name = self.name();
        {
            let mut inside = self.shared.inside.lock().unwrap();
            let count = inside.entry(name).or_default();
            *count += 1;
            self.shared.most_inside.fetch_max(*count, Ordering::SeqCst);
        }
        let first_batch = self.shared.gated.lock().unwrap().insert(name);
        if first_batch {
            let other = self.shared.engines[1 - self.engine]
                .get()
                .expect("both engines are registered before they run")
                .clone();
            let backend = self.shared.backend;
            let turned_away = other
                .wait_until(
                    |activity| {
                        activity
                            .iter()
                            .find(|entry| entry.projection == name)
                            .is_some_and(|entry| match backend {
                                Backend::Postgres => entry.batches_refused > 0,
                                Backend::Sqlite => entry.batches_attempted > 0,
                            })
                    },
                    PATIENCE,
                )
                .await;
            assert!(
                turned_away,
                "{name}: the other engine never tried while engine {} held the projection",
                self.engine
            );
        }
        if self.shared.backend == Backend::Postgres {
            // A batch does not wait for the WAL flush (see `lock_batch`).
            let setting = transaction
                .fetch_all("select current_setting('synchronous_commit')", &[])
                .await
                .expect("read a setting");
            assert_eq!(
                setting[0][0].as_text(),
                Some("off"),
                "{name}: a batch commits without waiting for the WAL flush"
            );
        }
        let outcome = self.inner.apply_batch(transaction, events).await;
        *self.shared.inside.lock().unwrap().entry(name).or_default() -= 1;
        outcome
    }
}

fn watched_engine(
    store: Arc<dyn EventStore>,
    engine: usize,
    shared: &Arc<Shared>,
) -> ProjectionEngine {
    let projections = standard_projections()
        .into_iter()
        .map(|inner| {
            Arc::new(Watched {
                inner,
                engine,
                shared: shared.clone(),
            }) as Arc<dyn Projection>
        })
        .collect();
    let engine_value = ProjectionEngine::with_projections(store, projections, busy_settings());
    shared.engines[engine]
        .set(engine_value.activity())
        .expect("registered once");
    engine_value
}

/// Waits until every projection of `engine` has applied the head of every tenant's log.
async fn wait_until_all_applied(engine: &ProjectionEngine, store: &dyn EventStore) {
    for tenant in store.tenants().await.expect("tenants") {
        let head = store
            .tenant_head(tenant)
            .await
            .expect("head")
            .expect("a tenant with a log has a head");
        assert!(
            engine
                .wait_until_applied(tenant, head.seq, PATIENCE)
                .await
                .expect("wait"),
            "the projections did not reach tenant {tenant}'s sequence {}: {:?}",
            head.seq,
            engine.status().await
        );
    }
}

async fn two_engines_on_one_database_apply_each_event_once(test: TestStore) {
    let store = test.store.clone();
    let network = Network::new();
    network.catalogue_and_adoptions(store.as_ref()).await;
    // About 3 events per earner, in four tenants (the network and three structures).
    network.bulk(store.as_ref(), 800).await;

    let shared = Arc::new(Shared {
        backend: test.backend,
        engines: [OnceLock::new(), OnceLock::new()],
        gated: Mutex::new(HashSet::new()),
        inside: Mutex::new(HashMap::new()),
        most_inside: AtomicU32::new(0),
    });
    let engines = [
        watched_engine(another_process(&test).await, 0, &shared),
        watched_engine(another_process(&test).await, 1, &shared),
    ];
    let wake = Arc::new(tokio::sync::Notify::new());
    let (shutdown, shutdown_signal) = tokio::sync::watch::channel(false);
    let runners: Vec<_> = engines
        .iter()
        .map(|engine| engine.spawn(wake.clone(), shutdown_signal.clone()))
        .collect();

    // More events while both engines work.
    let appender = {
        let store = store.clone();
        tokio::spawn(async move {
            network.bulk(store.as_ref(), 250).await;
        })
    };
    appender.await.expect("appends");
    wake.notify_waiters();
    wait_until_all_applied(&engines[0], store.as_ref()).await;
    shutdown.send(true).expect("runners listen");
    for runner in runners {
        let result = tokio::time::timeout(PATIENCE, runner)
            .await
            .expect("runner stops")
            .expect("runner task");
        assert!(result.is_ok(), "{result:?}");
    }

    let total = events_in_log(store.as_ref()).await;
    assert!(total > 3_000, "a log of a few thousand events: {total}");
    let [first, second] = [engines[0].activity(), engines[1].activity()];
    for name in engines[0].projection_names() {
        let (a, b) = (first.of(name), second.of(name));
        // Both engines entered the runner and competed for this projection.
        assert!(
            a.batches_attempted > 0 && b.batches_attempted > 0,
            "{name}: {a:?} {b:?}"
        );
        match test.backend {
            // Turned away by the lock, without writing.
            Backend::Postgres => assert!(
                a.batches_refused + b.batches_refused > 0,
                "{name}: {a:?} {b:?}"
            ),
            // Waited for the write lock, then found the checkpoint moved and wrote nothing.
            Backend::Sqlite => assert!(
                a.batches_superseded + b.batches_superseded > 0,
                "{name}: {a:?} {b:?}"
            ),
        }
        // Each event of the log applied once, by one engine or the other.
        assert_eq!(
            a.events_applied + b.events_applied,
            total,
            "{name}: {a:?} {b:?}"
        );
    }
    assert_eq!(
        shared.most_inside.load(Ordering::SeqCst),
        1,
        "two batches of one projection were applied at the same time"
    );

    // The tables equal what a single engine rebuilds from the log.
    let incremental = checksums(&engines[0]).await;
    let single = ProjectionEngine::new(store.clone(), busy_settings());
    single
        .rebuild(ProjectionSelection::All, &mut |_, _| {})
        .await
        .expect("rebuild");
    assert_eq!(checksums(&single).await, incremental);
}

/// Holds advisory locks from a session of its own, as another node would.
struct LockHolder(sqlx::PgConnection);

impl LockHolder {
    async fn connect(test: &TestStore) -> Self {
        Self(
            sqlx::PgConnection::connect(&test.url)
                .await
                .expect("connect"),
        )
    }

    async fn lock(&mut self, key: i64) {
        sqlx::query("select pg_advisory_lock($1)")
            .bind(key)
            .execute(&mut self.0)
            .await
            .expect("lock");
    }

    async fn unlock(&mut self, key: i64) {
        let released: bool = sqlx::query_scalar("select pg_advisory_unlock($1)")
            .bind(key)
            .fetch_one(&mut self.0)
            .await
            .expect("unlock");
        assert!(released, "the lock was held");
    }

    /// How many sessions hold (`granted`) or wait for the advisory lock `key`.
    async fn sessions_on(&mut self, key: i64, granted: bool) -> i64 {
        let key = key as u64;
        sqlx::query_scalar(
            // Advisory locks belong to a database: tests in other databases of the same server
            // take the same keys at the same time.
            "select count(*) from pg_locks where locktype = 'advisory' and objsubid = 1 \
             and database = (select oid from pg_database where datname = current_database()) \
             and classid::bigint = $1 and objid::bigint = $2 and granted = $3",
        )
        .bind((key >> 32) as i64)
        .bind((key & 0xffff_ffff) as i64)
        .bind(granted)
        .fetch_one(&mut self.0)
        .await
        .expect("pg_locks")
    }
}

fn report<'a>(reports: &'a [CatchUpReport], name: &str) -> &'a CatchUpReport {
    reports
        .iter()
        .find(|report| report.projection == name)
        .expect("a report per projection")
}

mod postgres_only {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_projection_locked_elsewhere_is_left_alone_until_released() {
        let test = postgres_store().await;
        let store = test.store.clone();
        let engine = ProjectionEngine::new(another_process(&test).await, busy_settings());
        let empty = checksums(&engine).await;
        let network = Network::new();
        network.catalogue_and_adoptions(store.as_ref()).await;
        network.bulk(store.as_ref(), 100).await;
        let total = events_in_log(store.as_ref()).await;
        let keys = ProjectionLockKeys::of("catalogue");
        let mut holder = LockHolder::connect(&test).await;

        // Another worker is applying a catalogue batch: a catch-up leaves the catalogue alone,
        // without an error, and applies the other projections.
        holder.lock(keys.batch).await;
        let reports = engine
            .catch_up(ProjectionSelection::All)
            .await
            .expect("catch-up");
        let catalogue = report(&reports, "catalogue");
        assert!(catalogue.locked_elsewhere);
        assert_eq!(catalogue.events_applied, 0);
        assert_eq!(catalogue.checkpoint.events_processed, 0);
        for other in reports
            .iter()
            .filter(|report| report.projection != "catalogue")
        {
            assert!(!other.locked_elsewhere, "{other:?}");
            assert_eq!(other.events_applied, total, "{other:?}");
        }
        let empty_catalogue = empty
            .iter()
            .find(|(name, _)| *name == "catalogue")
            .map(|(_, checksum)| checksum.clone());
        assert_eq!(
            Some(engine.checksum("catalogue").await.expect("checksum")),
            empty_catalogue,
            "nothing written"
        );
        let activity = engine.activity().of("catalogue");
        assert!(activity.batches_refused > 0 && activity.batches_applied == 0);
        // The others took the batches together, in the transactions the catalogue was refused
        // from.
        for other in engine
            .projection_names()
            .into_iter()
            .filter(|name| *name != "catalogue")
        {
            let other = engine.activity().of(other);
            assert!(
                other.batches_joint > 0 && other.batches_joint == other.batches_applied,
                "{other:?}"
            );
        }
        holder.unlock(keys.batch).await;

        // Another worker is rebuilding the catalogue: runners stand by, then take over.
        holder.lock(keys.rebuild).await;
        let wake = Arc::new(tokio::sync::Notify::new());
        let (shutdown, shutdown_signal) = tokio::sync::watch::channel(false);
        let refused_before = activity.batches_refused;
        let runner = engine.spawn(wake, shutdown_signal);
        assert!(
            engine
                .activity()
                .wait_until(
                    |activity| activity.iter().any(|entry| entry.projection == "catalogue"
                        && entry.batches_refused > refused_before),
                    PATIENCE
                )
                .await,
            "the catalogue runner tried"
        );
        let status = engine.status().await.expect("status");
        let catalogue = status
            .iter()
            .find(|status| status.projection == "catalogue")
            .expect("catalogue status");
        assert_eq!(catalogue.events_behind, total, "still nothing applied");
        assert_eq!(engine.activity().of("catalogue").batches_applied, 0);

        holder.unlock(keys.rebuild).await;
        wait_until_all_applied(&engine, store.as_ref()).await;
        shutdown.send(true).expect("runners listen");
        let result = runner.await.expect("runner task");
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(engine.activity().of("catalogue").events_applied, total);

        let incremental = checksums(&engine).await;
        let single = ProjectionEngine::new(store.clone(), busy_settings());
        single
            .rebuild(ProjectionSelection::All, &mut |_, _| {})
            .await
            .expect("rebuild");
        assert_eq!(checksums(&single).await, incremental);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_rebuild_holds_its_projection_against_other_workers() {
        let test = postgres_store().await;
        let store = test.store.clone();
        let network = Network::new();
        network.catalogue_and_adoptions(store.as_ref()).await;
        network.bulk(store.as_ref(), 60).await;
        let rebuilder = ProjectionEngine::new(another_process(&test).await, busy_settings());
        let other = ProjectionEngine::new(another_process(&test).await, busy_settings());
        other
            .catch_up(ProjectionSelection::All)
            .await
            .expect("catch-up");
        let before = checksums(&other).await;
        // Events the other engine has not applied yet: it has work to try.
        network.bulk(store.as_ref(), 20).await;
        let total = events_in_log(store.as_ref()).await;
        let keys = ProjectionLockKeys::of("request_queue");
        let mut holder = LockHolder::connect(&test).await;

        // A batch is in flight elsewhere: the rebuild takes its own lock, then waits.
        holder.lock(keys.batch).await;
        let rebuild = {
            let rebuilder = rebuilder.clone();
            tokio::spawn(async move {
                rebuilder
                    .rebuild(
                        ProjectionSelection::Named("request_queue".into()),
                        &mut |_, _| {},
                    )
                    .await
            })
        };
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while !(holder.sessions_on(keys.rebuild, true).await == 1
            && holder.sessions_on(keys.batch, false).await == 1)
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the rebuild did not take its lock and wait for the batch lock"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(!rebuild.is_finished());
        assert_eq!(
            checksums(&other).await,
            before,
            "the rebuild has not emptied anything before the batch in flight ended"
        );

        // Meanwhile the other engine leaves the projection to the rebuild.
        let reports = other
            .catch_up(ProjectionSelection::Named("request_queue".into()))
            .await
            .expect("catch-up");
        assert!(reports[0].locked_elsewhere && reports[0].events_applied == 0);
        assert!(!rebuild.is_finished());

        // The batch in flight ends: the rebuild replays the whole log by itself.
        holder.unlock(keys.batch).await;
        let reports = rebuild.await.expect("rebuild task").expect("rebuild");
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].events_applied, total);
        assert!(!reports[0].locked_elsewhere);
        assert_eq!(
            holder.sessions_on(keys.rebuild, true).await,
            0,
            "released after the rebuild"
        );
        let reports = other
            .catch_up(ProjectionSelection::Named("request_queue".into()))
            .await
            .expect("catch-up");
        assert!(!reports[0].locked_elsewhere && reports[0].events_applied == 0);

        let rebuilt = rebuilder.checksum("request_queue").await.expect("checksum");
        other
            .catch_up(ProjectionSelection::All)
            .await
            .expect("catch-up");
        let single = ProjectionEngine::new(store.clone(), busy_settings());
        single
            .rebuild(ProjectionSelection::All, &mut |_, _| {})
            .await
            .expect("rebuild");
        assert_eq!(checksums(&single).await, checksums(&other).await);
        assert_eq!(
            single.checksum("request_queue").await.expect("checksum"),
            rebuilt
        );
    }
}
