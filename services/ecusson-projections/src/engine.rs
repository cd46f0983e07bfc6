//! The projection engine: follows the cross-tenant feed from each projection's checkpoint,
//! applies events in batches, and moves the checkpoint in the same transaction as the rows
//! (Marten's async daemon, not cqrs-es's fire-and-forget dispatch: a crash loses nothing and
//! applies nothing twice).
//!
//! - [`ProjectionEngine::spawn`] runs each projection as its own task: it catches up, then waits
//!   for a wake-up hint (a [`Notify`], e.g. fed by the API after an append or by `LISTEN`) or
//!   its poll interval, and stops when the shutdown signal turns true.
//! - [`ProjectionEngine::catch_up`] and [`ProjectionEngine::rebuild`] run to the end of the feed
//!   once; projections that run together share the feed reads and the decoding.
//! - [`ProjectionEngine::status`] tells how far behind each projection is.
//! - [`ProjectionEngine::checksum`] hashes a projection's tables.
//!
//! Several engines may run on one database (API nodes, `ecusson projections run`): only one
//! works on a projection at a time, by a database lock taken in each batch transaction, and a
//! rebuild holds the projection for its whole run (see [`crate::lock`]). A batch that finds
//! the lock taken writes nothing and is not an error: that engine leaves the projection to the
//! worker that holds it and looks again later.

use crate::activity::{EngineActivity, Event};
use crate::checkpoint::{self, Checkpoint};
use crate::checksum::checksum_tables;
use crate::lock::{lock_and_advance, lock_batch, Advance, BatchLock, Locked, ProjectionLockKeys};
use crate::{BadgeHistoryProjection, CatalogueProjection, ProjectionError, RequestQueueProjection};
use async_trait::async_trait;
use chrono::Utc;
use ecusson_domain::DomainEvent;
use ecusson_store::{EventStore, ReadModelTransaction, RecordedEvent};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

/// A read-model table: its name, its columns in the order rows are written and read, and its
/// primary key (which starts with `tenant_id`). Rebuild empties it; checksum reads it in
/// primary-key order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableSpec {
    pub name: &'static str,
    pub columns: &'static [&'static str],
    pub primary_key: &'static [&'static str],
}

/// A feed event with its decoded payload.
#[derive(Clone, Debug)]
pub struct DecodedEvent {
    pub recorded: RecordedEvent,
    pub event: DomainEvent,
}

/// A read model maintained from the feed.
#[async_trait]
pub trait Projection: Send + Sync {
    /// A stable name: the key of the checkpoint row. Renaming a projection rebuilds it.
    fn name(&self) -> &'static str;

    /// Every table this projection owns (and nothing else writes).
    fn tables(&self) -> &'static [TableSpec];

    /// Applies a batch of events, in feed order, inside `transaction`. Implementations should
    /// load what the batch touches in one query per table, fold in memory, and write back with
    /// multi-row statements: a round trip per event would cap a rebuild at a few thousand
    /// events per second. Events the projection does not care about are simply ignored.
    async fn apply_batch(
        &self,
        transaction: &mut dyn ReadModelTransaction,
        events: &[DecodedEvent],
    ) -> Result<(), ProjectionError>;
}

/// The catalogue, the request queue, the badge history, the directory of structures, and the
/// awards with their credentials.
pub fn standard_projections() -> Vec<Arc<dyn Projection>> {
    vec![
        Arc::new(CatalogueProjection),
        Arc::new(RequestQueueProjection),
        Arc::new(BadgeHistoryProjection),
        Arc::new(crate::directory::DirectoryProjection),
        Arc::new(crate::credentials::CredentialsProjection),
        Arc::new(crate::reports::ReportsProjection),
    ]
}

#[derive(Clone, Copy, Debug)]
pub struct EngineSettings {
    /// Events read from the feed and applied per transaction.
    pub batch_size: usize,
    /// How long a caught-up runner waits before looking again when no wake-up hint comes.
    pub poll_interval: Duration,
    /// The shortest time between the starts of two batches of one runner. Under a stream of
    /// writes, each wake-up would otherwise be a batch of one event (a feed read and a
    /// transaction per projection per mutation); waiting this long gathers the events of the
    /// interval into one batch. A runner woken after a quiet spell starts at once.
    pub min_batch_interval: Duration,
}

impl Default for EngineSettings {
    fn default() -> Self {
        Self {
            batch_size: 5_000,
            poll_interval: Duration::from_secs(1),
            min_batch_interval: Duration::from_millis(5),
        }
    }
}

impl EngineSettings {
    /// The settings for a backend. On PostgreSQL a batch is 20,000 events: each batch costs a
    /// transaction per projection and a lookup of the rows it touches, so a rebuild goes
    /// faster with larger ones (5,000 → 20,000: 42k → 50k events/s, BENCHMARKS.md), and a
    /// projection transaction blocks no appender there. On SQLite it is 5,000: a projection
    /// transaction holds the single write lock, and appenders wait for it.
    pub fn for_backend(backend: ecusson_store::Backend) -> Self {
        match backend {
            ecusson_store::Backend::Postgres => Self {
                batch_size: 20_000,
                ..Self::default()
            },
            ecusson_store::Backend::Sqlite => Self::default(),
        }
    }
}

/// Which projections an operation is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProjectionSelection {
    All,
    Named(String),
}

/// What one catch-up (or rebuild) did for one projection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatchUpReport {
    pub projection: &'static str,
    pub events_applied: u64,
    pub checkpoint: Checkpoint,
    /// Another worker (another node or process, a rebuild) held the projection's lock, or
    /// moved its checkpoint first while this call was following the feed: this call left the
    /// projection to it, maybe before the end of the feed. Never set by a rebuild, which waits.
    pub locked_elsewhere: bool,
}

/// How far one projection is, for health checks and the CLI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectionStatus {
    pub projection: &'static str,
    pub checkpoint: Checkpoint,
    /// Committed events in the whole log (every tenant) when the status was taken.
    pub events_in_log: u64,
    /// Events in the log that the projection has not applied yet.
    pub events_behind: u64,
}

/// The projections of one database and the settings they run with.
#[derive(Clone)]
pub struct ProjectionEngine {
    store: Arc<dyn EventStore>,
    projections: Vec<Arc<dyn Projection>>,
    settings: EngineSettings,
    activity: EngineActivity,
}

/// How long a catch-up waits for the feed's horizon to pass the events committed before it
/// began, and how often it looks again meanwhile.
const FEED_HORIZON_WAIT: Duration = Duration::from_secs(60);
const FEED_HORIZON_POLL: Duration = Duration::from_millis(5);
const READ_YOUR_WRITES_POLL: Duration = Duration::from_millis(10);

impl ProjectionEngine {
    /// The engine with the [standard projections](standard_projections).
    pub fn new(store: Arc<dyn EventStore>, settings: EngineSettings) -> Self {
        Self::with_projections(store, standard_projections(), settings)
    }

    pub fn with_projections(
        store: Arc<dyn EventStore>,
        projections: Vec<Arc<dyn Projection>>,
        settings: EngineSettings,
    ) -> Self {
        let activity = EngineActivity::new(projections.iter().map(|projection| projection.name()));
        Self {
            store,
            projections,
            settings: EngineSettings {
                batch_size: settings.batch_size.max(1),
                ..settings
            },
            activity,
        }
    }

    /// What this engine (its clones and runners included) did to each projection: batches
    /// applied, and batches left to another worker.
    pub fn activity(&self) -> EngineActivity {
        self.activity.clone()
    }

    pub fn projection_names(&self) -> Vec<&'static str> {
        self.projections
            .iter()
            .map(|projection| projection.name())
            .collect()
    }

    fn select(
        &self,
        selection: &ProjectionSelection,
    ) -> Result<Vec<Arc<dyn Projection>>, ProjectionError> {
        match selection {
            ProjectionSelection::All => Ok(self.projections.clone()),
            ProjectionSelection::Named(name) => self
                .projections
                .iter()
                .find(|projection| projection.name() == name)
                .map(|projection| vec![projection.clone()])
                .ok_or_else(|| ProjectionError::UnknownProjection(name.clone())),
        }
    }

    /// Starts the runner of this engine's projections: one task that reads each batch of the
    /// feed once, decodes it once, and applies it to every projection at once (each in its own
    /// transaction, on its own task); then waits for `wake` or its poll interval, and returns
    /// when `shutdown` turns true (or its sender is dropped). Transient store failures are
    /// logged and retried. A projection that cannot go on (an event its read model cannot
    /// take) stops alone, logged when it stops, and the others go on; the task then ends with
    /// [`ProjectionError::Stopped`] naming it. An event that cannot be decoded stops them all
    /// (every projection reads every event): the task ends with that error.
    pub fn spawn(
        &self,
        wake: Arc<Notify>,
        shutdown: watch::Receiver<bool>,
    ) -> JoinHandle<Result<(), ProjectionError>> {
        let engine = self.clone();
        tokio::spawn(async move { engine.run_until_stopped(wake, shutdown).await })
    }

    /// Runs this engine's projections until `shutdown` turns true. See
    /// [`ProjectionEngine::spawn`].
    pub async fn run_until_stopped(
        &self,
        wake: Arc<Notify>,
        mut shutdown: watch::Receiver<bool>,
    ) -> Result<(), ProjectionError> {
        let mut running = self.projections.clone();
        let mut stopped: Vec<&'static str> = Vec::new();
        tracing::info!(
            projections = %self.projection_names().join(", "),
            "projection runner started"
        );
        let mut last_start: Option<tokio::time::Instant> = None;
        loop {
            if *shutdown.borrow() || running.is_empty() {
                break;
            }
            if let Some(last_start) = last_start {
                let next = last_start + self.settings.min_batch_interval;
                tokio::select! {
                    _ = tokio::time::sleep_until(next) => {}
                    changed = shutdown.changed() => {
                        if changed.is_err() {
                            break;
                        }
                        continue;
                    }
                }
            }
            last_start = Some(tokio::time::Instant::now());
            // Register for the wake-up before looking at the feed, so that a hint sent while
            // this runner is busy catching up is not lost.
            let notified = wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let mut left_to_another = false;
            let mut failures = Vec::new();
            match self
                .catch_up_together(
                    &running,
                    Some(Follow {
                        stop: &shutdown,
                        failures: &mut failures,
                    }),
                    BatchLock::Try,
                    &mut |_| {},
                )
                .await
            {
                Ok(reports) => {
                    left_to_another = reports.iter().all(|report| report.locked_elsewhere);
                }
                Err(error) if error.is_transient() => {
                    tracing::warn!(error = %error, "projection runner will retry");
                }
                // The feed itself (every projection): not logged here, the caller that handles
                // the stop reports it, once.
                Err(error) => return Err(error),
            }
            for (name, error) in failures {
                if error.is_transient() {
                    tracing::warn!(projection.name = name, error = %error, "projection will retry");
                } else {
                    tracing::error!(
                        projection.name = name,
                        error = %error,
                        "projection stopped; the others go on"
                    );
                    running.retain(|projection| projection.name() != name);
                    stopped.push(name);
                }
            }
            // Another worker has every projection: look again after the poll interval only,
            // not at every wake-up hint, so that a node standing by does not read the feed at
            // every append just to find the locks taken again.
            tokio::select! {
                _ = &mut notified, if !left_to_another => {}
                _ = tokio::time::sleep(self.settings.poll_interval) => {}
                changed = shutdown.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
            }
        }
        if stopped.is_empty() {
            tracing::info!("projection runner stopped on request");
            Ok(())
        } else {
            Err(ProjectionError::Stopped(stopped.join(", ")))
        }
    }

    /// Applies everything the feed holds beyond the selected projections' checkpoints. A
    /// projection whose lock another worker holds is left to that worker, without an error:
    /// its report says `locked_elsewhere`.
    pub async fn catch_up(
        &self,
        selection: ProjectionSelection,
    ) -> Result<Vec<CatchUpReport>, ProjectionError> {
        let projections = self.select(&selection)?;
        self.catch_up_together(&projections, None, BatchLock::Try, &mut |_| {})
            .await
    }

    /// Empties the selected projections' tables and resets their checkpoints in one
    /// transaction, then replays the whole feed. `progress(processed, total)` is called after
    /// every batch; `total` is the size of the log when the rebuild started (or `processed`, if
    /// more events arrived meanwhile).
    ///
    /// On PostgreSQL the rebuild holds the projections' rebuild locks from start to end: it
    /// waits for the batches other workers have in flight (and for another rebuild of the same
    /// projections), and no runner of any node works on them until it is over.
    pub async fn rebuild(
        &self,
        selection: ProjectionSelection,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> Result<Vec<CatchUpReport>, ProjectionError> {
        let projections = self.select(&selection)?;
        let label = projections
            .iter()
            .map(|projection| projection.name())
            .collect::<Vec<_>>()
            .join(", ");
        let keys: Vec<i64> = projections
            .iter()
            .map(|projection| ProjectionLockKeys::of(projection.name()).rebuild)
            .collect();
        // Dropped with this future if it is cancelled: the lock's connection closes.
        let held = self
            .store
            .hold_locks(&keys)
            .await
            .map_err(ProjectionError::store(&label))?;
        let outcome = self
            .rebuild_holding_lock(&projections, &label, progress)
            .await;
        if let Err(error) = held.release().await {
            tracing::warn!(
                projection.names = %label,
                error = %error,
                "the rebuild lock could not be released cleanly; its connection is closed, which releases it"
            );
        }
        outcome
    }

    async fn rebuild_holding_lock(
        &self,
        projections: &[Arc<dyn Projection>],
        label: &str,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> Result<Vec<CatchUpReport>, ProjectionError> {
        let mut transaction = self
            .store
            .begin_read_model()
            .await
            .map_err(ProjectionError::store(label))?;
        for projection in projections {
            lock_batch(
                transaction.as_mut(),
                self.store.backend(),
                projection.name(),
                BatchLock::Wait,
            )
            .await?;
            for table in projection.tables() {
                transaction
                    .execute(&format!("delete from {}", table.name), &[])
                    .await
                    .map_err(ProjectionError::store(projection.name()))?;
            }
            checkpoint::reset(transaction.as_mut(), projection.name()).await?;
        }
        transaction
            .commit()
            .await
            .map_err(ProjectionError::store(label))?;
        let total = self
            .events_in_log()
            .await
            .map_err(ProjectionError::store(label))?;
        progress(0, total);
        let started = Instant::now();
        let reports = self
            .catch_up_together(projections, None, BatchLock::Wait, &mut |processed| {
                progress(processed, total.max(processed))
            })
            .await?;
        tracing::info!(
            projection.names = %label,
            events = reports.iter().map(|report| report.events_applied).max().unwrap_or(0),
            duration_ms = started.elapsed().as_millis() as u64,
            "projections rebuilt"
        );
        Ok(reports)
    }

    /// The position and lag of every projection.
    pub async fn status(&self) -> Result<Vec<ProjectionStatus>, ProjectionError> {
        let events_in_log = self
            .events_in_log()
            .await
            .map_err(ProjectionError::store("status"))?;
        let checkpoints = self.load_checkpoints(&self.projections).await?;
        Ok(self
            .projections
            .iter()
            .zip(checkpoints)
            .map(|(projection, checkpoint)| ProjectionStatus {
                projection: projection.name(),
                events_behind: events_in_log.saturating_sub(checkpoint.events_processed),
                events_in_log,
                checkpoint,
            })
            .collect())
    }

    /// SHA-256 (hex) over every row of the named projection's tables, in primary-key order.
    pub async fn checksum(&self, projection: &str) -> Result<String, ProjectionError> {
        let projection = self
            .projections
            .iter()
            .find(|candidate| candidate.name() == projection)
            .ok_or_else(|| ProjectionError::UnknownProjection(projection.to_owned()))?;
        // Read-only: the transaction is dropped (rolled back) after hashing.
        let mut transaction = self
            .store
            .begin_read_model()
            .await
            .map_err(ProjectionError::store(projection.name()))?;
        checksum_tables(transaction.as_mut(), projection.name(), projection.tables()).await
    }

    /// The number of committed events in the log. Per-tenant sequences are gap-free from 1,
    /// so the heads add up to the count without scanning the log.
    async fn events_in_log(&self) -> Result<u64, ecusson_store::StoreError> {
        let mut total = 0;
        for tenant in self.store.tenants().await? {
            if let Some(head) = self.store.tenant_head(tenant).await? {
                total += head.seq;
            }
        }
        Ok(total)
    }

    /// Waits until every projection has applied every event the log held when it was called
    /// or since, as far as a runner (here or in another process) takes them, for at most
    /// `timeout`. Returns false on timeout.
    pub async fn wait_until_caught_up(&self, timeout: Duration) -> Result<bool, ProjectionError> {
        poll_until(timeout, || async {
            let statuses = self.status().await?;
            Ok(statuses.iter().all(|status| status.events_behind == 0))
        })
        .await
    }

    /// Waits until every projection has applied the event at `tenant_id`'s sequence `seq`
    /// (read-your-writes for a client that just wrote it), for at most `timeout`. Returns
    /// false on timeout, and an error if the tenant has no such event.
    pub async fn wait_until_applied(
        &self,
        tenant_id: ecusson_domain::TenantId,
        seq: u64,
        timeout: Duration,
    ) -> Result<bool, ProjectionError> {
        let label = "read-your-writes";
        if seq == 0 {
            return Ok(true);
        }
        let event = self
            .store
            .read_tenant(tenant_id, seq - 1, 1)
            .await
            .map_err(ProjectionError::store(label))?;
        let Some(event) = event.first() else {
            return Err(ProjectionError::store(label)(
                ecusson_store::StoreError::InvalidInput(format!(
                    "the tenant's log has no event at position {seq}"
                )),
            ));
        };
        let cursor = &event.cursor;
        poll_until(timeout, || async move {
            let checkpoints = self.load_checkpoints(&self.projections).await?;
            Ok(checkpoints
                .iter()
                .all(|checkpoint| checkpoint.cursor >= *cursor))
        })
        .await
    }

    async fn load_checkpoints(
        &self,
        projections: &[Arc<dyn Projection>],
    ) -> Result<Vec<Checkpoint>, ProjectionError> {
        let label = projections
            .first()
            .map_or("none", |projection| projection.name());
        // Read-only: it neither waits for nor holds up writers.
        let mut transaction = self
            .store
            .begin_read_only()
            .await
            .map_err(ProjectionError::store(label))?;
        let mut checkpoints = Vec::with_capacity(projections.len());
        for projection in projections {
            checkpoints.push(checkpoint::load(transaction.as_mut(), projection.name()).await?);
        }
        drop(transaction);
        Ok(checkpoints)
    }

    /// Brings every projection of `projections` to the end of the feed. They read the feed
    /// together from the lowest of their checkpoints, and each applies only the events beyond
    /// its own checkpoint. `on_batch` gets the number of feed events consumed so far.
    ///
    /// The next batch is read and decoded (on another task) while the current one is applied:
    /// the feed read and the read-model writes then overlap instead of adding up. If the
    /// current batch fails, the prefetched one is thrown away.
    ///
    /// With [`BatchLock::Try`], a projection whose lock another worker holds is left to that
    /// worker for the rest of the call (its report says `locked_elsewhere`); so is one whose
    /// checkpoint another worker moved, if this call follows the feed (`follow`), and so is one
    /// that fails (its error goes to `follow.failures`). A catch-up or rebuild that finds a
    /// checkpoint moved reloads it and goes on from there instead, and stops at a failure.
    async fn catch_up_together(
        &self,
        projections: &[Arc<dyn Projection>],
        mut follow: Option<Follow<'_>>,
        lock: BatchLock,
        on_batch: &mut (dyn FnMut(u64) + Send),
    ) -> Result<Vec<CatchUpReport>, ProjectionError> {
        let stop = follow.as_ref().map(|follow| follow.stop);
        let label = projections
            .iter()
            .map(|projection| projection.name())
            .collect::<Vec<_>>()
            .join(", ");
        // A catch-up (not a running follower) must reach at least every event committed
        // before it began. On PostgreSQL the feed may stop short of them for a moment while an
        // older transaction anywhere on the cluster is still open (the feed's horizon), so an
        // empty page before the target means "not yet", not "done".
        let target = match stop {
            None => Some(
                self.events_in_log()
                    .await
                    .map_err(ProjectionError::store(&label))?,
            ),
            Some(_) => None,
        };
        let deadline = Instant::now() + FEED_HORIZON_WAIT;
        let mut checkpoints = self.load_checkpoints(projections).await?;
        let mut applied = vec![0_u64; projections.len()];
        // The projections this call has left to another worker: no longer read for or applied.
        let mut left = vec![false; projections.len()];
        let mut consumed = 0_u64;
        let mut prefetch = Prefetch::start(self, &label, lowest_cursor(&checkpoints, &left));
        loop {
            if stop.is_some_and(|stop| *stop.borrow()) {
                break;
            }
            let events = prefetch.take(&label).await?;
            let Some(last) = events.last() else {
                let Some(reached) = checkpoints
                    .iter()
                    .zip(&left)
                    .filter(|(_, left)| !**left)
                    .map(|(checkpoint, _)| checkpoint.events_processed)
                    .min()
                else {
                    break;
                };
                match target {
                    Some(target) if reached < target => {
                        if Instant::now() >= deadline {
                            return Err(ProjectionError::FeedHeldBack {
                                projections: label.clone(),
                                waited_seconds: FEED_HORIZON_WAIT.as_secs(),
                            });
                        }
                        tokio::time::sleep(FEED_HORIZON_POLL).await;
                        prefetch =
                            Prefetch::start(self, &label, lowest_cursor(&checkpoints, &left));
                        continue;
                    }
                    _ => break,
                }
            };
            prefetch = Prefetch::start(self, &label, Some(last.recorded.cursor));
            let events_read = events.len() as u64;
            // On error the prefetched batch is thrown away (`Prefetch` aborts it when dropped).
            let outcomes = self
                .apply_batch(projections, &checkpoints, &left, lock, events)
                .await;
            let mut reload = false;
            let mut restart = false;
            for (index, outcome) in outcomes.into_iter().enumerate() {
                let outcome = match (outcome, follow.as_mut()) {
                    (Ok(outcome), _) => outcome,
                    // A follower leaves a failed projection and goes on with the others.
                    (Err(error), Some(follow)) => {
                        follow.failures.push((projections[index].name(), error));
                        left[index] = true;
                        restart = true;
                        continue;
                    }
                    (Err(error), None) => return Err(error),
                };
                match outcome {
                    BatchOutcome::Applied(next) => {
                        applied[index] +=
                            next.events_processed - checkpoints[index].events_processed;
                        checkpoints[index] = next;
                    }
                    BatchOutcome::Nothing => {}
                    BatchOutcome::LockedElsewhere => {
                        left[index] = true;
                        restart = true;
                    }
                    // A follower leaves the projection to the worker that moved it, and looks
                    // again later; a catch-up or rebuild must reach its target, so it goes on
                    // from wherever the checkpoint is now.
                    BatchOutcome::Superseded if stop.is_some() => {
                        left[index] = true;
                        restart = true;
                    }
                    BatchOutcome::Superseded => reload = true,
                }
            }
            if reload {
                checkpoints = self.load_checkpoints(projections).await?;
            } else {
                consumed += events_read;
                on_batch(consumed);
            }
            if reload || restart {
                prefetch.abandon();
                prefetch = Prefetch::start(self, &label, lowest_cursor(&checkpoints, &left));
            }
        }
        prefetch.abandon();
        Ok(projections
            .iter()
            .zip(checkpoints)
            .zip(applied)
            .zip(left)
            .map(
                |(((projection, checkpoint), events_applied), locked_elsewhere)| CatchUpReport {
                    projection: projection.name(),
                    events_applied,
                    checkpoint,
                    locked_elsewhere,
                },
            )
            .collect())
    }

    /// Applies one batch to every projection that has not seen it (and that this call has not
    /// left to another worker), and returns what happened to each projection, its failure
    /// included.
    ///
    /// A small batch (a runner's, following the writes) goes to every projection in one
    /// transaction: one `BEGIN`, one statement that takes every lock and moves every checkpoint,
    /// the rows, one `COMMIT`. Each batch then costs three round trips besides its rows, not
    /// three per projection. If that transaction fails, nothing of it is kept and each
    /// projection takes the batch alone, as below, so a projection that cannot take it fails
    /// alone and the others go on.
    ///
    /// A larger batch (a catch-up's or a rebuild's) goes to each projection in its own
    /// transaction, on its own task: on PostgreSQL the projections then use several connections
    /// and cores at once, so a batch costs as much as its slowest projection rather than the
    /// sum of all. Some may commit while another fails; their checkpoints say so, and the next
    /// read starts from the lowest checkpoint again.
    async fn apply_batch(
        &self,
        projections: &[Arc<dyn Projection>],
        checkpoints: &[Checkpoint],
        left: &[bool],
        lock: BatchLock,
        events: Vec<DecodedEvent>,
    ) -> Vec<Result<BatchOutcome, ProjectionError>> {
        let events = Arc::new(events);
        let parts: Vec<Part> = projections
            .iter()
            .zip(checkpoints)
            .zip(left)
            .enumerate()
            .filter(|(_, (_, left))| !**left)
            .filter_map(|(index, ((projection, checkpoint), _))| {
                Part::of(index, projection.clone(), checkpoint, &events)
            })
            .collect();
        let mut outcomes: Vec<Result<BatchOutcome, ProjectionError>> = projections
            .iter()
            .map(|_| Ok(BatchOutcome::Nothing))
            .collect();
        if lock == BatchLock::Try && parts.len() > 1 && events.len() <= JOINT_BATCH_MAX_EVENTS {
            let store = self.store.clone();
            let together = parts.clone();
            let shared_events = events.clone();
            let activity = self.activity.clone();
            // On a task of its own, as each projection alone below: a projection that panics
            // fails the batch, not the runner.
            let joint = tokio::spawn(async move {
                apply_parts(store.as_ref(), &together, &shared_events, lock, &activity).await
            })
            .await;
            let error = match joint {
                Ok(Ok(found)) => {
                    for (part, outcome) in parts.iter().zip(found) {
                        outcomes[part.index] = Ok(outcome);
                    }
                    return outcomes;
                }
                Ok(Err(error)) => error.to_string(),
                Err(join_error) => join_error.to_string(),
            };
            tracing::debug!(
                error = %error,
                "the joint batch failed; each projection takes it alone"
            );
        }
        let tasks: Vec<_> = parts
            .into_iter()
            .map(|part| {
                let store = self.store.clone();
                let events = events.clone();
                let activity = self.activity.clone();
                let index = part.index;
                let task = tokio::spawn(async move {
                    apply_parts(store.as_ref(), &[part], &events, lock, &activity)
                        .await
                        .map(|mut found| found.pop().unwrap_or(BatchOutcome::Nothing))
                });
                (index, task)
            })
            .collect();
        // Every task is awaited, even after a failure, so that none outlives this call.
        for (index, task) in tasks {
            outcomes[index] = task.await.unwrap_or_else(|join_error| {
                Err(ProjectionError::Store {
                    projection: projections[index].name().to_owned(),
                    source: ecusson_store::StoreError::Internal(Box::new(join_error)),
                })
            });
        }
        outcomes
    }
}

/// Batches of at most this many events are applied to all their projections in one transaction
/// ([`ProjectionEngine::apply_batch`]). A runner following the writes reads a few events per
/// batch; a catch-up or rebuild reads thousands, which the projections apply faster in parallel.
const JOINT_BATCH_MAX_EVENTS: usize = 1_000;

/// One projection's share of a batch: the events beyond its checkpoint, a suffix of the batch
/// (the feed is ordered by cursor), and where its checkpoint moves.
#[derive(Clone)]
struct Part {
    /// The projection's place in the call's list.
    index: usize,
    projection: Arc<dyn Projection>,
    from: Checkpoint,
    to: Checkpoint,
    /// Where the events the projection has not seen start in the batch.
    unseen_from: usize,
}

impl Part {
    /// None if the projection has seen the whole batch.
    fn of(
        index: usize,
        projection: Arc<dyn Projection>,
        from: &Checkpoint,
        events: &[DecodedEvent],
    ) -> Option<Self> {
        let unseen_from = events.partition_point(|event| event.recorded.cursor <= from.cursor);
        let unseen = &events[unseen_from..];
        let last = unseen.last()?;
        let to = Checkpoint {
            cursor: last.recorded.cursor,
            events_processed: from.events_processed + unseen.len() as u64,
            last_event_recorded_at: Some(last.recorded.recorded_at),
            updated_at: Some(Utc::now()),
        };
        Some(Self {
            index,
            projection,
            from: from.clone(),
            to,
            unseen_from,
        })
    }

    fn name(&self) -> &'static str {
        self.projection.name()
    }

    fn unseen<'a>(&self, events: &'a [DecodedEvent]) -> &'a [DecodedEvent] {
        &events[self.unseen_from..]
    }
}

/// A catch-up that follows the feed (the runner's): it ends when `stop` turns true, and leaves
/// a projection that fails to go on with the others, its error put in `failures`.
struct Follow<'a> {
    stop: &'a watch::Receiver<bool>,
    failures: &'a mut Vec<(&'static str, ProjectionError)>,
}

/// What one batch did to one projection.
#[derive(Debug)]
enum BatchOutcome {
    /// Applied and committed: the projection's new checkpoint.
    Applied(Checkpoint),
    /// Nothing to do: the projection was past the whole batch, or this call had left it.
    Nothing,
    /// Another worker holds the projection's lock: nothing was written.
    LockedElsewhere,
    /// Another worker moved the checkpoint since it was read: nothing was written.
    Superseded,
}

/// Applies to each projection of `parts` the events of `events` it has not seen, and moves its
/// checkpoint, in one transaction that first takes the projections' locks (see [`crate::lock`]).
/// A projection whose lock another worker holds, or whose checkpoint another worker moved, is
/// left out; the others commit. Returns what happened to each, in order.
#[tracing::instrument(
    name = "projection.batch",
    skip_all,
    fields(
        projection.name = %parts.iter().map(Part::name).collect::<Vec<_>>().join(", "),
        batch.events = events.len()
    )
)]
async fn apply_parts(
    store: &dyn EventStore,
    parts: &[Part],
    events: &[DecodedEvent],
    lock: BatchLock,
    activity: &EngineActivity,
) -> Result<Vec<BatchOutcome>, ProjectionError> {
    let label = || parts.iter().map(Part::name).collect::<Vec<_>>().join(", ");
    for part in parts {
        activity.record(part.name(), Event::Attempted);
    }
    let mut transaction = store
        .begin_read_model()
        .await
        .map_err(ProjectionError::store(&label()))?;
    let outcomes = match lock_and_apply(
        transaction.as_mut(),
        store.backend(),
        parts,
        events,
        lock,
        activity,
    )
    .await
    {
        Ok(outcomes) => outcomes,
        Err(error) => {
            // Rolled back before the error goes up, not when the connection is next used:
            // a failed joint batch is taken at once by each projection alone, and the locks
            // this transaction holds must be free by then.
            roll_back_now(transaction).await;
            return Err(error);
        }
    };
    if outcomes
        .iter()
        .any(|outcome| matches!(outcome, BatchOutcome::Applied(_)))
    {
        transaction
            .commit()
            .await
            .map_err(ProjectionError::store(&label()))?;
    } else {
        // It wrote nothing. Waited for, like a failed batch's: a catch-up that found a checkpoint
        // moved reloads it and tries again at once, and must not find its own lock still held.
        roll_back_now(transaction).await;
    }
    let joint = parts.len() > 1;
    for (part, outcome) in parts.iter().zip(&outcomes) {
        if let BatchOutcome::Applied(_) = outcome {
            let events = part.unseen(events).len() as u64;
            activity.record(part.name(), Event::Applied { events, joint });
            tracing::debug!(
                projection.name = part.name(),
                events,
                joint,
                "batch applied"
            );
        }
    }
    Ok(outcomes)
}

/// Asks `done` every [`READ_YOUR_WRITES_POLL`] until it answers true (then true) or `timeout`
/// has passed (then false). Projections apply a batch in milliseconds: a short poll keeps the
/// waits for them simple.
async fn poll_until<F, Done>(timeout: Duration, mut done: F) -> Result<bool, ProjectionError>
where
    F: FnMut() -> Done,
    Done: std::future::Future<Output = Result<bool, ProjectionError>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if done().await? {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(READ_YOUR_WRITES_POLL).await;
    }
}

/// Rolls a batch's transaction back and waits for it, so that its locks are free on return.
async fn roll_back_now(transaction: Box<dyn ReadModelTransaction>) {
    if let Err(error) = transaction.rollback().await {
        tracing::debug!(error = %error, "a batch's rollback failed; its connection is dropped, which ends it");
    }
}

/// Takes the locks and moves the checkpoints of `parts` in `transaction`, then writes the rows
/// of those it holds; what each found, in order ([`apply_parts`]).
async fn lock_and_apply(
    transaction: &mut dyn ReadModelTransaction,
    backend: ecusson_store::Backend,
    parts: &[Part],
    events: &[DecodedEvent],
    lock: BatchLock,
    activity: &EngineActivity,
) -> Result<Vec<BatchOutcome>, ProjectionError> {
    // The checkpoints move first, and only from the position this batch was read at: under the
    // lock, a checkpoint that moved since means another worker applied these events already.
    let advances: Vec<Advance> = parts
        .iter()
        .map(|part| Advance {
            projection: part.name(),
            from: &part.from,
            to: &part.to,
        })
        .collect();
    let found = lock_and_advance(transaction, backend, lock, &advances).await?;
    // A projection left to another worker is told at once (whatever becomes of the others'
    // rows): nothing of it will be written in this transaction.
    for (part, locked) in parts.iter().zip(&found) {
        let (event, why) = match locked {
            Locked::Advanced => continue,
            Locked::Elsewhere => (
                Event::Refused,
                "another worker holds the projection's lock; batch left to it",
            ),
            Locked::Superseded => (
                Event::Superseded,
                "checkpoint moved by another worker; batch dropped",
            ),
        };
        activity.record(part.name(), event);
        tracing::debug!(projection.name = part.name(), "{why}");
    }
    let mut outcomes = Vec::with_capacity(parts.len());
    for (part, locked) in parts.iter().zip(found) {
        outcomes.push(match locked {
            Locked::Advanced => {
                part.projection
                    .apply_batch(transaction, part.unseen(events))
                    .await?;
                BatchOutcome::Applied(part.to.clone())
            }
            Locked::Elsewhere => BatchOutcome::LockedElsewhere,
            Locked::Superseded => BatchOutcome::Superseded,
        });
    }
    Ok(outcomes)
}

/// Where the next feed read starts: the lowest checkpoint among the projections still worked
/// on (none if every one was left to another worker).
fn lowest_cursor(checkpoints: &[Checkpoint], left: &[bool]) -> Option<ecusson_store::FeedCursor> {
    checkpoints
        .iter()
        .zip(left)
        .filter(|(_, left)| !**left)
        .map(|(checkpoint, _)| checkpoint.cursor)
        .min()
}

/// The read and decoding of the next batch, running on its own task. The feed is read outside
/// any read-model transaction: on SQLite such a transaction holds the writer lock, and
/// appenders should not wait for a feed read.
struct Prefetch(Option<JoinHandle<Result<Vec<DecodedEvent>, ProjectionError>>>);

impl Prefetch {
    /// Starts reading after `after`; `None` (no projection) reads nothing.
    fn start(
        engine: &ProjectionEngine,
        label: &str,
        after: Option<ecusson_store::FeedCursor>,
    ) -> Self {
        let Some(after) = after else {
            return Self(None);
        };
        let store = engine.store.clone();
        let batch_size = engine.settings.batch_size;
        let label = label.to_owned();
        Self(Some(tokio::spawn(async move {
            let recorded = store
                .read_all(after, batch_size)
                .await
                .map_err(ProjectionError::store(&label))?;
            decode_batch(&label, recorded)
        })))
    }

    async fn take(&mut self, label: &str) -> Result<Vec<DecodedEvent>, ProjectionError> {
        match self.0.take() {
            None => Ok(Vec::new()),
            Some(task) => task.await.map_err(|join_error| ProjectionError::Store {
                projection: label.to_owned(),
                source: ecusson_store::StoreError::Internal(Box::new(join_error)),
            })?,
        }
    }

    fn abandon(&mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
        }
    }
}

impl Drop for Prefetch {
    /// A catch-up that is cancelled (its future dropped) does not leave a read running.
    fn drop(&mut self) {
        self.abandon();
    }
}

/// Decodes every event of a batch, stopping at the first one that cannot be decoded.
fn decode_batch(
    projection_label: &str,
    recorded: Vec<RecordedEvent>,
) -> Result<Vec<DecodedEvent>, ProjectionError> {
    recorded
        .into_iter()
        .map(|recorded| match recorded.decode() {
            Ok(event) => Ok(DecodedEvent { recorded, event }),
            Err(source) => Err(ProjectionError::Decode {
                projection: projection_label.to_owned(),
                tenant_id: recorded.tenant_id,
                seq: recorded.seq,
                event_type: recorded.event_type.clone(),
                schema_version: recorded.schema_version,
                source,
            }),
        })
        .collect()
}

impl std::fmt::Debug for ProjectionEngine {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ProjectionEngine")
            .field("projections", &self.projection_names())
            .field("settings", &self.settings)
            .finish()
    }
}
