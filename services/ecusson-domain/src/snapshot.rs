//! Facts about other aggregates that a command carries.
//!
//! An aggregate decides alone, on its own stream; when a rule needs a fact kept elsewhere (is
//! this badge class retired? which committee decides for this structure?), the application
//! layer reads the other aggregate, takes one of these snapshots from its query methods, and
//! puts it in the command. `decide` then checks the rule against the snapshot, so the rule
//! stays in the domain and stays testable without IO.

use crate::ids::*;
use crate::model::*;

/// What a request needs to know of a badge class of the catalogue
/// (see [`crate::catalogue::BadgeClass::snapshot`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadgeClassSnapshot {
    pub badge_class_id: BadgeClassId,
    pub current_revision: u32,
    pub retired: bool,
    /// The supporter badge: validated automatically, no adoption needed.
    pub automatic_validation: bool,
    /// Validity of the current revision, in months; `None` when awards do not expire.
    pub validity_months: Option<u32>,
}

/// An attribution committee as the network knows it now
/// (see [`crate::network::Network::committee`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitteeSnapshot {
    pub committee_id: CommitteeId,
    /// The structures whose requests it decides.
    pub structures: Vec<TenantId>,
    pub members: Vec<PersonId>,
    pub quorum: u16,
}

/// A validation mode with, for committees, the committee it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValidationSetting {
    Systematic,
    Committee(CommitteeSnapshot),
}

/// What a request needs to know of the structure's adoption of a badge class
/// (see [`crate::adoption::Adoption`]; the committee comes from the network).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdoptionSnapshot {
    pub badge_class_id: BadgeClassId,
    /// Who may decide when validation is systematic (the structure's criterion).
    pub evaluator_roles: Vec<Role>,
    /// `None` while the structure has not chosen: no request may be made then.
    pub validation: Option<ValidationSetting>,
}
