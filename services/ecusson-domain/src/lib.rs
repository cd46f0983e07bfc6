//! Écusson's domain: the rules of the badge workflow as pure functions.
//!
//! Commands are decided against the state of one aggregate (`decide`), which yields events;
//! events fold into state (`evolve`). Nothing here does IO, reads a clock or draws random
//! numbers: time, identifiers and the acting person are passed in.

pub mod adoption;
pub mod catalogue;
pub mod decider;
pub mod earner;
pub mod events;
pub mod ids;
pub mod input;
pub mod issuer_keys;
pub mod model;
pub mod network;
pub mod snapshot;
pub mod staff;

#[cfg(test)]
mod golden_tests;
#[cfg(test)]
mod test_fixtures;

pub use adoption::{Adoption, AdoptionCommand};
pub use catalogue::{BadgeClass, BadgeClassCommand, Pathway, PathwayCommand};
pub use decider::Aggregate;
pub use earner::{Earner, EarnerCommand, IssueCredential, RequestBadge};
pub use events::{DecodeError, DomainEvent, EncodedEvent};
pub use ids::*;
pub use issuer_keys::{IssuerKeys, IssuerKeysCommand};
pub use model::*;
pub use network::{Network, NetworkCommand};
pub use snapshot::{AdoptionSnapshot, BadgeClassSnapshot, CommitteeSnapshot, ValidationSetting};
pub use staff::{Staff, StaffCommand};

/// Whether a stream is *shared*: an aggregate that commands on other streams read to decide
/// (a badge class, a structure's adoption of it, its staff, the network's committees), which
/// changes seldom. An append to a shared stream moves its tenant's shared sequence, so that a
/// command decided on shared aggregates held in memory can append on condition that none of
/// them changed since (`ecusson_store::AppendRequest::shared_unchanged`) instead of reading them
/// again. The store asks this of every append: it cannot be forgotten by a caller.
pub fn is_shared_stream(stream_id: &str) -> bool {
    stream_id == Staff::STREAM
        || stream_id == Network::STREAM
        || stream_id.starts_with(BadgeClass::STREAM_PREFIX)
        || stream_id.starts_with(Adoption::STREAM_PREFIX)
}

/// A rule of the domain refused a command, or input was invalid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// Malformed input (an invalid id, e-mail address, empty text...).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The actor lacks the role or relation the command needs.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The thing the command targets does not exist (in this tenant).
    #[error("not found: {0}")]
    NotFound(String),
    /// The command is valid but contradicts the current state (a rule of the workflow).
    #[error("rule violated: {0}")]
    RuleViolated(String),
}

#[cfg(test)]
mod shared_stream_tests {
    use super::*;

    #[test]
    fn the_aggregates_commands_read_are_shared_and_the_others_not() {
        let class = BadgeClassId::new();
        for shared in [
            BadgeClass::stream_name(class),
            Adoption::stream_name(class),
            Staff::stream_name(),
            Network::stream_name(),
        ] {
            assert!(is_shared_stream(&shared), "{shared}");
        }
        for own in [
            Earner::stream_name(PersonId::new()),
            Pathway::stream_name(PathwayId::new()),
            IssuerKeys::stream_name(),
            "staff-of-nobody".to_owned(),
            "networks".to_owned(),
        ] {
            assert!(!is_shared_stream(&own), "{own}");
        }
    }
}
