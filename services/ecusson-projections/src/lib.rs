//! Checkpointed projections: the engine that follows the cross-tenant feed and the read models
//! it maintains (catalogue, request queue, badge history, directory of structures, awards and
//! their credentials).
//!
//! Each projection owns its tables and one checkpoint row. A batch of events and the checkpoint
//! that follows it are written in the same read-model transaction, so a crash between the two
//! cannot happen: a batch is applied exactly once or not at all. Projections never run inside
//! the write path, so a failing projection cannot break an append; it stops, says which event
//! it could not apply, and catches up once fixed.
//!
//! Read models are disposable: [`ProjectionEngine::rebuild`] clears one and replays the log, and
//! [`ProjectionEngine::checksum`] proves that the rebuilt tables equal the incremental ones.

pub mod activity;
pub mod badge_history;
pub mod catalogue;
pub mod credentials;
pub mod directory;
pub mod engine;
pub mod error;
pub mod lock;
pub mod reports;
pub mod request_queue;

mod bulk_statement;
mod checkpoint;
mod checksum;
mod row_codec;
mod touched_rows;

#[cfg(test)]
mod test_events;

pub use activity::{EngineActivity, ProjectionActivity};
/// Implementing [`Projection`] needs the same attribute; re-exported so that implementers
/// outside this crate do not have to pick a matching version.
pub use async_trait::async_trait;
pub use badge_history::{badge_history, BadgeHistoryEntry, BadgeHistoryProjection};
pub use catalogue::{
    catalogue, AdoptionEntry, BadgeClassEntry, Catalogue, CatalogueEntry, CatalogueProjection,
    PathwayEntry,
};
pub use checkpoint::Checkpoint;
pub use credentials::{AwardEntry, AwardStanding, CredentialsProjection, IssuedEntry};
pub use directory::{DirectoryProjection, StructureEntry};
pub use engine::{
    standard_projections, CatchUpReport, DecodedEvent, EngineSettings, Projection,
    ProjectionEngine, ProjectionSelection, ProjectionStatus, TableSpec,
};
pub use error::ProjectionError;
pub use lock::ProjectionLockKeys;
pub use request_queue::{
    awards_due_to_expire, request_by_id, request_queue_for_committee, request_queue_for_structure,
    AwardState, CommitteeQueueCursor, QueueFilter, RequestModeKind, RequestQueueEntry,
    RequestQueueProjection, RequestState, RouteKind,
};
