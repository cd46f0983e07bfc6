//! A deterministic, rule-abiding history of a regional badge network.
//!
//! Every event this crate outputs comes out of the `decide` function of the aggregate that owns
//! its stream, called with an actor holding the roles a real user would hold: the history obeys
//! every rule of the domain by construction. A simulated clock moves forward through the
//! history (setup of the network, catalogue, structures and committees; then workers enrol,
//! request badges, get them decided, enrich them, leave their pathway), so that awards expire
//! only once due.
//!
//! Pure: no IO, no clock, no global randomness. The same seed gives the same history, ids
//! included (ids are drawn from a `StdRng` seeded with `seed`).
//!
//! - [`generate`] builds a whole network (with the vault plaintexts its events refer to); it
//!   serves the demo ([`demo_shape`]) and projection tests.
//! - [`generate_scaled`] streams appends for benchmarks, holding only the workers currently in
//!   their pathway in memory.

mod content;
mod engine;
#[cfg(test)]
mod tests;

use chrono::{DateTime, TimeZone, Utc};
use ecusson_domain::{
    BadgeClassId, CommitteeId, DomainEvent, PersonId, Role, StructureKind, TenantId,
    ValidationMode, VaultEntryId,
};

/// One append of the history: the events of one `decide` call on one stream.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedAppend {
    pub tenant_id: TenantId,
    /// The aggregate's stream name: "network", "staff", "pathway-<id>", "badge-class-<id>",
    /// "adoption-<badge class id>", "earner-<person id>".
    pub stream_id: String,
    /// The stream's version before this append: the number of events already in it.
    pub expected_version: u64,
    /// Who issued the command.
    pub actor: PersonId,
    /// The instant of the simulated clock the command was decided at (never decreases).
    pub recorded_at: DateTime<Utc>,
    pub events: Vec<DomainEvent>,
}

/// A plaintext of the person vault that an event refers to through a `VaultRef`: fictional
/// names, e-mail addresses on example.org, notes, evidence descriptions, testimonies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultEntry {
    pub tenant_id: TenantId,
    pub person_id: PersonId,
    pub entry_id: VaultEntryId,
    pub plaintext: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffMember {
    pub person_id: PersonId,
    pub roles: Vec<Role>,
}

/// How a structure has its requests decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValidationPolicy {
    /// Every adopted class is validated systematically by one of the structure's evaluators.
    Systematic,
    /// The structure's own attribution committee decides; for the classes of pathway 3 it
    /// may use a pooled committee it sits on (see [`GeneratedStructure::modes`]).
    OwnCommittee { committee_id: CommitteeId },
    /// A committee pooled with other structures decides every request.
    PooledCommittee {
        committee_id: CommitteeId,
        shared_with: Vec<TenantId>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedStructure {
    pub tenant_id: TenantId,
    pub name: String,
    pub kind: StructureKind,
    pub validation: ValidationPolicy,
    /// The validation mode set for each adopted badge class.
    pub modes: Vec<(BadgeClassId, ValidationMode)>,
    /// The roster at the end of the history (departed staff are not listed).
    pub staff: Vec<StaffMember>,
    /// Every worker ever enrolled in the structure.
    pub earners: Vec<PersonId>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedBadgeClass {
    pub badge_class_id: BadgeClassId,
    pub slug: String,
    pub name: String,
    /// 1, 2 or 3.
    pub pathway_rank: u8,
    pub automatic_validation: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GeneratedNetwork {
    pub network_tenant: TenantId,
    /// The network's staff (network admins).
    pub network_staff: Vec<StaffMember>,
    pub catalogue: Vec<GeneratedBadgeClass>,
    pub structures: Vec<GeneratedStructure>,
    /// People who requested the supporter badge (earners of the network tenant).
    pub supporters: Vec<PersonId>,
    /// In causal order: appending them in order reproduces the history.
    pub appends: Vec<PlannedAppend>,
    /// Empty unless [`NetworkShape::with_vault`].
    pub vault: Vec<VaultEntry>,
}

impl GeneratedNetwork {
    pub fn event_count(&self) -> usize {
        self.appends.iter().map(|append| append.events.len()).sum()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkShape {
    pub seed: u64,
    pub start: DateTime<Utc>,
    /// Member structures; their validation policies cycle: systematic, own committee, pooled
    /// committee (shared with the previous structure).
    pub structures: usize,
    pub earners_per_structure: usize,
    /// When set, overrides `earners_per_structure`: this many workers in all, spread
    /// round-robin over the structures.
    pub earners_total: Option<usize>,
    /// People requesting the supporter badge in the network tenant.
    pub supporters: usize,
    /// Length of the simulated history; nothing is decided after it (so some requests stay
    /// pending and some awards stay active).
    pub months: u32,
    pub with_vault: bool,
}

/// The demo: three structures (an ACI validating systematically, an EI with its own committee
/// that uses the pooled committee for pathway 3, an ETTI whose requests all go to the committee
/// pooled with the EI), 20 workers in all, 6 supporters, from September 2024 to June 2026 (the
/// end of the PEPITES project).
pub fn demo_shape() -> NetworkShape {
    NetworkShape {
        seed: 2024,
        start: Utc
            .with_ymd_and_hms(2024, 9, 2, 8, 30, 0)
            .single()
            .expect("a valid instant"),
        structures: 3,
        earners_per_structure: 7,
        earners_total: Some(20),
        supporters: 6,
        months: 21,
        with_vault: true,
    }
}

/// Generates a whole network history of the given shape.
pub fn generate(shape: &NetworkShape) -> GeneratedNetwork {
    engine::generate(shape)
}

/// Streams appends for benchmarks: one network tenant plus `tenants` structure tenants (at
/// least one), each keeping a cohort of workers in their pathway and replacing every worker who
/// leaves, until at least `target_events` events have been produced (the setup of the network
/// and the structures is always produced whole). Vault plaintexts are not produced.
pub fn generate_scaled(
    seed: u64,
    start: DateTime<Utc>,
    tenants: usize,
    target_events: usize,
) -> ScaledAppends {
    ScaledAppends {
        engine: engine::Engine::scaled(seed, start, tenants.max(1), target_events),
    }
}

/// The iterator of [`generate_scaled`].
pub struct ScaledAppends {
    engine: engine::Engine,
}

impl std::fmt::Debug for ScaledAppends {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScaledAppends")
            .field("events_so_far", &self.engine.events_emitted())
            .finish()
    }
}

impl ScaledAppends {
    /// The network tenant of the generated history.
    pub fn network_tenant(&self) -> TenantId {
        self.engine.network_tenant()
    }

    /// Events produced so far.
    pub fn events_so_far(&self) -> usize {
        self.engine.events_emitted()
    }
}

impl Iterator for ScaledAppends {
    type Item = PlannedAppend;

    fn next(&mut self) -> Option<PlannedAppend> {
        self.engine.next_append()
    }
}
