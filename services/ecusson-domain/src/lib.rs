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
