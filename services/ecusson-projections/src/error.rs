//! The errors of the projection layer. Store failures stay wrapped in the store's
//! [`StoreError`], whose internal variant prints nothing of the SQL cause.

use ecusson_domain::{DecodeError, TenantId};
use ecusson_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// A stored event cannot be decoded. The projection stops here rather than skip it: a
    /// skipped event would make the read model silently wrong forever.
    #[error("projection {projection} stopped: event {event_type} v{schema_version} of tenant {tenant_id} at seq {seq} cannot be decoded")]
    Decode {
        projection: String,
        tenant_id: TenantId,
        seq: u64,
        event_type: String,
        schema_version: u16,
        #[source]
        source: DecodeError,
    },
    /// An event refers to something the read model has never seen (a decision on an unknown
    /// request, a revision of an unknown badge class). The log and the deciders forbid it, so
    /// the projection stops instead of guessing.
    #[error("projection {projection} stopped: event of tenant {tenant_id} at seq {seq} does not fit the read model: {detail}")]
    Inconsistent {
        projection: String,
        tenant_id: TenantId,
        seq: u64,
        detail: String,
    },
    /// A read-model row does not have the shape its table promises (edited by hand, or a
    /// migration and the code disagree).
    #[error("read-model table {table} holds a malformed row: {detail}")]
    MalformedRow { table: String, detail: String },
    /// Another runner advanced (or a rebuild reset) the checkpoint while this batch was being
    /// prepared; the batch was rolled back. The engine handles it (the runner leaves the
    /// projection to the other worker, a catch-up reloads the checkpoint): its public methods
    /// do not return it.
    #[error("the checkpoint of projection {0} moved under this runner")]
    CheckpointMoved(String),
    /// A catch-up could not reach the events that were committed when it started: the feed's
    /// horizon stayed behind them (a long transaction elsewhere on the database cluster).
    #[error("projections {projections} could not reach the events committed when the catch-up began within {waited_seconds} s")]
    FeedHeldBack {
        projections: String,
        waited_seconds: u64,
    },
    /// The runner went on without these projections, each stopped by an error of its own
    /// (logged when it stopped); it reports them when it ends.
    #[error("projections {0} stopped while the runner went on")]
    Stopped(String),
    #[error("no projection is named {0}")]
    UnknownProjection(String),
    #[error("store error in projection {projection}")]
    Store {
        projection: String,
        #[source]
        source: StoreError,
    },
}

impl ProjectionError {
    /// Wraps a store error with the name of the projection it happened in.
    pub fn store(projection: &str) -> impl FnOnce(StoreError) -> ProjectionError + '_ {
        move |source| ProjectionError::Store {
            projection: projection.to_owned(),
            source,
        }
    }

    /// True for failures that may go away by themselves (the database is unreachable, another
    /// runner moved the checkpoint): a runner retries those after its poll interval.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ProjectionError::CheckpointMoved(_)
                | ProjectionError::Store {
                    source: StoreError::Unavailable(_),
                    ..
                }
        )
    }
}
