//! What one engine (one process) did to each projection: batches applied, and batches it left
//! to another worker because that worker held the projection's lock or got there first. The
//! checkpoints say where a projection is; these counters say who moved it, which matters once
//! several nodes run the projections on one database.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// The counters of one projection in one engine, since the engine was created.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProjectionActivity {
    pub projection: &'static str,
    /// Batch transactions this engine began (before taking the projection's lock).
    pub batches_attempted: u64,
    /// Batches this engine applied and committed.
    pub batches_applied: u64,
    /// Events those batches applied.
    pub events_applied: u64,
    /// Of the batches applied, those committed in one transaction with other projections'.
    pub batches_joint: u64,
    /// Batches given up because another worker held the projection's lock (PostgreSQL).
    pub batches_refused: u64,
    /// Batches given up because another worker had moved the checkpoint since this engine
    /// read it: they applied nothing.
    pub batches_superseded: u64,
}

#[derive(Default)]
struct Counters {
    attempted: AtomicU64,
    applied: AtomicU64,
    events: AtomicU64,
    joint: AtomicU64,
    refused: AtomicU64,
    superseded: AtomicU64,
}

/// The counters of every projection of an engine, shared by its clones and its tasks.
#[derive(Clone)]
pub struct EngineActivity {
    inner: Arc<Inner>,
}

struct Inner {
    projections: Vec<(&'static str, Counters)>,
    changed: Notify,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Event {
    Attempted,
    Applied { events: u64, joint: bool },
    Refused,
    Superseded,
}

impl EngineActivity {
    pub(crate) fn new(names: impl IntoIterator<Item = &'static str>) -> Self {
        Self {
            inner: Arc::new(Inner {
                projections: names
                    .into_iter()
                    .map(|name| (name, Counters::default()))
                    .collect(),
                changed: Notify::new(),
            }),
        }
    }

    pub(crate) fn record(&self, projection: &str, event: Event) {
        let Some((_, counters)) = self
            .inner
            .projections
            .iter()
            .find(|(name, _)| *name == projection)
        else {
            return;
        };
        match event {
            Event::Attempted => counters.attempted.fetch_add(1, Ordering::SeqCst),
            Event::Applied { events, joint } => {
                counters.events.fetch_add(events, Ordering::SeqCst);
                if joint {
                    counters.joint.fetch_add(1, Ordering::SeqCst);
                }
                counters.applied.fetch_add(1, Ordering::SeqCst)
            }
            Event::Refused => counters.refused.fetch_add(1, Ordering::SeqCst),
            Event::Superseded => counters.superseded.fetch_add(1, Ordering::SeqCst),
        };
        self.inner.changed.notify_waiters();
    }

    /// The counters now, one entry per projection of the engine.
    pub fn snapshot(&self) -> Vec<ProjectionActivity> {
        self.inner
            .projections
            .iter()
            .map(|(name, counters)| ProjectionActivity {
                projection: name,
                batches_attempted: counters.attempted.load(Ordering::SeqCst),
                batches_applied: counters.applied.load(Ordering::SeqCst),
                events_applied: counters.events.load(Ordering::SeqCst),
                batches_joint: counters.joint.load(Ordering::SeqCst),
                batches_refused: counters.refused.load(Ordering::SeqCst),
                batches_superseded: counters.superseded.load(Ordering::SeqCst),
            })
            .collect()
    }

    /// The counters of one projection (all zero for a name the engine does not run).
    pub fn of(&self, projection: &str) -> ProjectionActivity {
        self.snapshot()
            .into_iter()
            .find(|activity| activity.projection == projection)
            .unwrap_or_default()
    }

    /// Waits until `condition` holds for the counters, for at most `timeout`; returns whether
    /// it did. Woken by every change, not by polling.
    pub async fn wait_until(
        &self,
        condition: impl Fn(&[ProjectionActivity]) -> bool,
        timeout: Duration,
    ) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let changed = self.inner.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if condition(&self.snapshot()) {
                return true;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return condition(&self.snapshot());
            }
        }
    }
}

impl std::fmt::Debug for EngineActivity {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_list().entries(self.snapshot()).finish()
    }
}
