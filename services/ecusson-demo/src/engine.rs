//! The simulation: a priority queue of tasks ordered by simulated time. Each task issues one
//! command (sometimes a few) to the `decide` of the aggregate that owns the stream, folds the
//! events into the aggregate's state with `evolve`, and records the append.
//!
//! The network, catalogue, structures, staff, committees and adoptions are set up first. Then
//! workers enrol; each worker pursues a few badge classes (one small state machine per class:
//! request, optional extra evidence, decision or committee votes, award, enrichment,
//! recommendations, revocation or expiry), and finally leaves the pathway. A few network-wide
//! events (endorsements, a revision of a badge class, staff turnover) happen at fixed points.

use crate::content::*;
use crate::{
    GeneratedBadgeClass, GeneratedNetwork, GeneratedStructure, NetworkShape, PlannedAppend,
    StaffMember, ValidationPolicy, VaultEntry,
};
use chrono::{DateTime, Duration, Months, Utc};
use ecusson_domain::earner::{EvidenceTarget, Verdict};
use ecusson_domain::*;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use uuid::Uuid;

/// Workers in their pathway at once in all the tenants of the scaled generator. A worker's
/// pathway yields about 35 events in about a year, so the simulated history spans about
/// `target / 35 / live` years: the more live workers, the shorter and more realistic the
/// history, but the larger the working set (and the slower the generation). A million events
/// span about seven years.
fn scaled_live_workers(target_events: usize) -> usize {
    (target_events / 250).clamp(480, 4_000)
}

// ---------------------------------------------------------------------------------------------
// Streams, sink, randomness
// ---------------------------------------------------------------------------------------------

struct Stream<A> {
    id: String,
    version: u64,
    state: A,
}

impl<A: Aggregate> Stream<A> {
    fn new(id: String) -> Self {
        Self {
            id,
            version: 0,
            state: A::default(),
        }
    }
}

struct Sink {
    out: VecDeque<PlannedAppend>,
    events: usize,
}

/// Decides `command` on `stream`, folds the events and records the append. A refusal is a bug
/// of the generator: it panics in debug builds and skips the command in release builds.
fn exec<A>(
    sink: &mut Sink,
    tenant_id: TenantId,
    actor: Actor,
    stream: &mut Stream<A>,
    now: DateTime<Utc>,
    command: &A::Command,
) -> bool
where
    A: Aggregate,
    A::Command: std::fmt::Debug,
{
    let context = CommandContext { actor, now };
    match stream.state.decide(command, &context) {
        Ok(events) => {
            let state = std::mem::take(&mut stream.state);
            stream.state = events.iter().fold(state, A::evolve);
            let expected_version = stream.version;
            stream.version += events.len() as u64;
            sink.events += events.len();
            sink.out.push_back(PlannedAppend {
                tenant_id,
                stream_id: stream.id.clone(),
                expected_version,
                actor: context.actor.person_id,
                recorded_at: now,
                events,
            });
            true
        }
        Err(error) => {
            debug_assert!(
                false,
                "the generator issued a refused command on {}: {error}\n{command:#?}",
                stream.id
            );
            false
        }
    }
}

struct Ctx {
    rng: StdRng,
    vault: Option<Vec<VaultEntry>>,
    people: u64,
}

impl Ctx {
    fn id<T: From<Uuid>>(&mut self) -> T {
        T::from(uuid::Builder::from_random_bytes(self.rng.gen()).into_uuid())
    }

    /// Stores a plaintext in `person`'s vault (when the vault is kept) and returns its reference.
    /// The text is built only when kept; the random draws do not depend on it.
    fn put(
        &mut self,
        tenant_id: TenantId,
        person_id: PersonId,
        text: impl FnOnce() -> String,
    ) -> VaultRef {
        let entry_id: VaultEntryId = self.id();
        if let Some(vault) = &mut self.vault {
            vault.push(VaultEntry {
                tenant_id,
                person_id,
                entry_id,
                plaintext: text(),
            });
        }
        VaultRef {
            person_id,
            entry_id,
        }
    }

    /// A random delay between `low` and `high` days.
    fn days(&mut self, low: i64, high: i64) -> Duration {
        Duration::seconds(self.rng.gen_range(low * 86_400..=high * 86_400))
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        *items.choose(&mut self.rng).expect("a non-empty list")
    }

    fn index(&mut self, len: usize) -> usize {
        self.rng.gen_range(0..len)
    }

    /// A new fictional person: name (and e-mail when `email`) in their vault.
    fn person(&mut self, tenant_id: TenantId, email: bool) -> (PersonId, usize, Option<String>) {
        let person_id: PersonId = self.id();
        let first = self.index(FIRST_NAMES.len());
        let last = self.index(LAST_NAMES.len());
        self.people += 1;
        let number = self.people;
        self.put(tenant_id, person_id, || {
            format!("{} {}", FIRST_NAMES[first], LAST_NAMES[last])
        });
        let address = email.then(|| {
            format!(
                "{}.{}.{number}@example.org",
                ascii_slug(FIRST_NAMES[first]),
                ascii_slug(LAST_NAMES[last])
            )
        });
        if let Some(address) = &address {
            let text = address.clone();
            self.put(tenant_id, person_id, || text);
        }
        (person_id, first, address)
    }

    fn evidence(&mut self, tenant_id: TenantId, earner: PersonId) -> Evidence {
        let evidence_id: EvidenceId = self.id();
        let (kind, text): (EvidenceKind, &'static str) = match self.index(10) {
            0..=3 => (EvidenceKind::Document, self.pick(&EVIDENCE_DOCUMENTS[..])),
            4..=5 => (EvidenceKind::Photo, self.pick(&EVIDENCE_PHOTOS[..])),
            6..=8 => (EvidenceKind::Narrative, self.pick(&EVIDENCE_NARRATIVES[..])),
            _ => (EvidenceKind::Link, self.pick(&EVIDENCE_LINKS[..])),
        };
        let content = self.put(tenant_id, earner, || {
            if kind == EvidenceKind::Link {
                format!("{text}{}", &evidence_id.to_string()[..8])
            } else {
                text.to_owned()
            }
        });
        Evidence {
            evidence_id,
            kind,
            content,
        }
    }

    fn note(
        &mut self,
        probability: f64,
        tenant_id: TenantId,
        earner: PersonId,
        notes: &[&'static str],
    ) -> Option<VaultRef> {
        if self.rng.gen_bool(probability) {
            let text = self.pick(notes);
            Some(self.put(tenant_id, earner, || text.to_owned()))
        } else {
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The world
// ---------------------------------------------------------------------------------------------

struct ClassCtx {
    id: BadgeClassId,
    rank: u8,
    slug: &'static str,
    name: &'static str,
    automatic: bool,
    stream: Stream<BadgeClass>,
}

struct NetCtx {
    tenant: TenantId,
    admins: Vec<PersonId>,
    staff: Stream<Staff>,
    network: Stream<Network>,
    classes: Vec<ClassCtx>,
    endorsers: Vec<OrganisationId>,
    hosts: Vec<OrganisationId>,
    badge_endorsements: Vec<EndorsementId>,
    roster: Vec<StaffMember>,
    supporters: Vec<PersonId>,
}

impl NetCtx {
    fn admin(&self) -> Actor {
        Actor {
            tenant_id: self.tenant,
            person_id: self.admins[0],
            roles: vec![Role::NetworkAdmin],
        }
    }
}

struct Contact {
    person: PersonId,
    organisation: OrganisationId,
    email: EmailAddress,
}

struct StructCtx {
    tenant: TenantId,
    name: String,
    kind: StructureKind,
    policy: ValidationPolicy,
    staff: Stream<Staff>,
    roster: Vec<StaffMember>,
    admin: PersonId,
    direction: PersonId,
    counsellors: Vec<PersonId>,
    supervisors: Vec<PersonId>,
    /// By class index (the fourteen classes of the catalogue).
    adoptions: Vec<Option<Stream<Adoption>>>,
    modes: Vec<(BadgeClassId, ValidationMode)>,
    adopted_by_rank: [Vec<usize>; 3],
    contacts: Vec<Contact>,
    earners: Vec<PersonId>,
    /// Fates given to the first pursuits of the structure, so that a small history still
    /// shows every outcome.
    forced: VecDeque<Fate>,
    spawned: usize,
}

impl StructCtx {
    fn roles(&self, person_id: PersonId) -> Vec<Role> {
        self.staff.state.roles_of(person_id).to_vec()
    }

    fn actor(&self, person_id: PersonId) -> Actor {
        Actor {
            tenant_id: self.tenant,
            person_id,
            roles: self.roles(person_id),
        }
    }

    fn supporting_staff(&self) -> Vec<PersonId> {
        self.counsellors
            .iter()
            .chain(self.supervisors.iter())
            .copied()
            .collect()
    }

    fn appoint(
        &mut self,
        ctx: &mut Ctx,
        sink: &mut Sink,
        by: Actor,
        now: DateTime<Utc>,
        person_id: PersonId,
        roles: Vec<Role>,
    ) {
        let command = StaffCommand::Appoint {
            person_id,
            roles: roles.clone(),
        };
        if exec(sink, self.tenant, by, &mut self.staff, now, &command) {
            self.roster.push(StaffMember { person_id, roles });
            let note = ctx.pick(&STAFF_NOTES[..]);
            if ctx.rng.gen_bool(0.3) {
                ctx.put(self.tenant, person_id, || note.to_owned());
            }
        }
    }

    fn set_roster_roles(&mut self, person_id: PersonId, roles: Option<Vec<Role>>) {
        match roles {
            Some(roles) => {
                if let Some(member) = self.roster.iter_mut().find(|m| m.person_id == person_id) {
                    member.roles = roles;
                }
            }
            None => self.roster.retain(|m| m.person_id != person_id),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    Approve,
    ApproveThenRevoke,
    Refuse,
    Withdraw,
    /// Requested, never decided (still waiting for its decision).
    Pending,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    ToRequest,
    Pending,
    Awarded,
    Done,
}

#[derive(Clone, Copy, Debug)]
enum AwardAction {
    Evidence,
    Ask {
        recommendation: RecommendationId,
        contact: usize,
    },
    Give {
        recommendation: RecommendationId,
        contact: usize,
    },
    Decline {
        recommendation: RecommendationId,
        contact: usize,
    },
    Revoke,
    Expire,
}

struct Pursuit {
    class: usize,
    fate: Fate,
    stage: Stage,
    request: RequestId,
    award: AwardId,
    requester: PersonId,
    counsellor: Option<PersonId>,
    extra_evidence: bool,
    /// Planned committee votes, cast from the end.
    votes: Vec<Vote>,
    retried: bool,
    plan: Vec<(DateTime<Utc>, AwardAction)>,
    plan_position: usize,
}

struct EarnerCtx {
    structure: usize,
    tenant: TenantId,
    person: PersonId,
    first: usize,
    stream: Stream<Earner>,
    pursuits: Vec<Pursuit>,
    tasks: u32,
}

impl EarnerCtx {
    fn actor(&self) -> Actor {
        Actor {
            tenant_id: self.tenant,
            person_id: self.person,
            roles: vec![Role::Earner],
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Task {
    World(u8),
    Spawn(u32),
    Supporter,
    Pursuit(u32, u16),
    Exit(u32),
}

pub(crate) struct Engine {
    ctx: Ctx,
    sink: Sink,
    now: DateTime<Utc>,
    horizon: Option<DateTime<Utc>>,
    target: Option<usize>,
    continuous: bool,
    heap: BinaryHeap<Reverse<(i64, u64, Task)>>,
    seq: u64,
    net: NetCtx,
    structures: Vec<StructCtx>,
    earners: Vec<Option<EarnerCtx>>,
    free: Vec<u32>,
    exits: usize,
    finished: bool,
}

const EXIT_OUTCOMES: [ExitOutcome; 4] = [
    ExitOutcome::DurableEmployment,
    ExitOutcome::TransitionEmployment,
    ExitOutcome::QualifyingTraining,
    ExitOutcome::Other,
];

fn months(at: DateTime<Utc>, count: u32) -> DateTime<Utc> {
    at.checked_add_months(Months::new(count)).unwrap_or(at)
}

impl Engine {
    fn new(
        seed: u64,
        start: DateTime<Utc>,
        horizon: Option<DateTime<Utc>>,
        target: Option<usize>,
        with_vault: bool,
        structures: usize,
    ) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let network_tenant = TenantId(uuid::Builder::from_random_bytes(rng.gen()).into_uuid());
        let mut engine = Self {
            ctx: Ctx {
                rng,
                vault: with_vault.then(Vec::new),
                people: 0,
            },
            sink: Sink {
                out: VecDeque::new(),
                events: 0,
            },
            now: start,
            horizon,
            target,
            continuous: false,
            heap: BinaryHeap::new(),
            seq: 0,
            net: NetCtx {
                tenant: network_tenant,
                admins: Vec::new(),
                staff: Stream::new(Staff::stream_name()),
                network: Stream::new(Network::stream_name()),
                classes: Vec::new(),
                endorsers: Vec::new(),
                hosts: Vec::new(),
                badge_endorsements: Vec::new(),
                roster: Vec::new(),
                supporters: Vec::new(),
            },
            structures: Vec::new(),
            earners: Vec::new(),
            free: Vec::new(),
            exits: 0,
            finished: false,
        };
        engine.setup(structures);
        for (step, at) in [
            (0u8, engine.now + Duration::days(45)),
            (1, months(start, 8)),
            (2, months(start, 10)),
            (3, months(start, 14)),
        ] {
            engine.schedule(at, Task::World(step));
        }
        engine
    }

    pub(crate) fn scaled(
        seed: u64,
        start: DateTime<Utc>,
        tenants: usize,
        target_events: usize,
    ) -> Self {
        let mut engine = Self::new(seed, start, None, Some(target_events), false, tenants);
        engine.continuous = true;
        let cohort = (scaled_live_workers(target_events) / tenants).max(2);
        for structure in 0..tenants {
            for _ in 0..cohort {
                let at = engine.now + engine.ctx.days(1, 120);
                engine.schedule(at, Task::Spawn(structure as u32));
            }
        }
        let at = engine.now + engine.ctx.days(1, 5);
        engine.schedule(at, Task::Supporter);
        engine
    }

    pub(crate) fn events_emitted(&self) -> usize {
        self.sink.events
    }

    pub(crate) fn network_tenant(&self) -> TenantId {
        self.net.tenant
    }

    pub(crate) fn next_append(&mut self) -> Option<PlannedAppend> {
        loop {
            if let Some(append) = self.sink.out.pop_front() {
                return Some(append);
            }
            if self.finished {
                return None;
            }
            if !self.step() {
                self.finished = true;
            }
            if self.target.is_some_and(|target| self.sink.events >= target) {
                self.finished = true;
            }
        }
    }

    fn schedule(&mut self, at: DateTime<Utc>, task: Task) {
        self.seq += 1;
        self.heap.push(Reverse((at.timestamp(), self.seq, task)));
    }

    fn schedule_earner(&mut self, slot: u32, at: DateTime<Utc>, task: Task) {
        if let Some(earner) = self.earners[slot as usize].as_mut() {
            earner.tasks += 1;
        }
        self.schedule(at, task);
    }

    /// A few minutes later: the pace of setup work.
    fn tick(&mut self) -> DateTime<Utc> {
        self.now += Duration::seconds(self.ctx.rng.gen_range(60..=1_800));
        self.now
    }

    // -----------------------------------------------------------------------------------------
    // Setup
    // -----------------------------------------------------------------------------------------

    fn setup(&mut self, structure_count: usize) {
        let tenant = self.net.tenant;
        let (admin, _, _) = self.ctx.person(tenant, true);
        let (admin2, _, _) = self.ctx.person(tenant, true);
        self.net.admins = vec![admin, admin2];
        let now = self.tick();
        self.network_command(
            now,
            &NetworkCommand::RegisterNetwork {
                network_id: tenant,
                name: NETWORK_NAME.to_owned(),
            },
        );
        for person_id in [admin, admin2] {
            let now = self.tick();
            let roles = vec![Role::NetworkAdmin];
            let command = StaffCommand::Appoint {
                person_id,
                roles: roles.clone(),
            };
            if exec(
                &mut self.sink,
                tenant,
                self.net.admin(),
                &mut self.net.staff,
                now,
                &command,
            ) {
                self.net.roster.push(StaffMember { person_id, roles });
            }
        }

        // The catalogue: three pathways, fourteen classes and the supporter badge.
        self.now += Duration::days(1);
        let mut pathway_ids = Vec::new();
        for spec in &PATHWAYS {
            let pathway_id: PathwayId = self.ctx.id();
            let mut stream = Stream::<Pathway>::new(Pathway::stream_name(pathway_id));
            let now = self.tick();
            exec(
                &mut self.sink,
                tenant,
                self.net.admin(),
                &mut stream,
                now,
                &PathwayCommand::Define {
                    pathway_id,
                    rank: spec.rank,
                    name: spec.name.to_owned(),
                    description: spec.description.to_owned(),
                },
            );
            pathway_ids.push(pathway_id);
        }
        for spec in &BADGES {
            let content = BadgeClassContent {
                pathway_id: pathway_ids[usize::from(spec.rank - 1)],
                name: spec.name.to_owned(),
                description: spec.description.to_owned(),
                skill_type: spec.skill,
                criteria_narrative: spec.criteria.to_owned(),
                expected_evidence: spec.evidence.to_owned(),
                image_ref: format!("badges/{}.png", spec.slug),
                alignments: spec
                    .alignment
                    .iter()
                    .map(|alignment| Alignment {
                        target_name: alignment.name.to_owned(),
                        target_url: alignment.url.to_owned(),
                        target_code: alignment.code.map(str::to_owned),
                    })
                    .collect(),
                validity_months: spec.validity_months,
            };
            self.publish(spec.slug, spec.name, spec.rank, content, false);
        }
        let supporter = BadgeClassContent {
            pathway_id: pathway_ids[0],
            name: SupporterSpec::NAME.to_owned(),
            description: SupporterSpec::DESCRIPTION.to_owned(),
            skill_type: SkillType::SavoirEtre,
            criteria_narrative: SupporterSpec::CRITERIA.to_owned(),
            expected_evidence: String::new(),
            image_ref: format!("badges/{}.png", SupporterSpec::SLUG),
            alignments: Vec::new(),
            validity_months: None,
        };
        self.publish(SupporterSpec::SLUG, SupporterSpec::NAME, 1, supporter, true);

        // Organisations: endorsing organisations and host companies.
        self.now += Duration::days(1);
        for name in ENDORSERS {
            let id = self.register_organisation(OrganisationKind::EndorsingOrganisation, name);
            self.net.endorsers.push(id);
        }
        let host_count = HOST_COMPANIES.len().max(structure_count * 2);
        for index in 0..host_count {
            let name = if index < HOST_COMPANIES.len() {
                HOST_COMPANIES[index].to_owned()
            } else {
                format!(
                    "{} — site {}",
                    HOST_COMPANIES[index % HOST_COMPANIES.len()],
                    index / HOST_COMPANIES.len() + 1
                )
            };
            let id = self.register_organisation(OrganisationKind::HostCompany, &name);
            self.net.hosts.push(id);
        }
        for (index, statement) in ISSUER_STATEMENTS.iter().enumerate() {
            let endorsement_id: EndorsementId = self.ctx.id();
            let now = self.tick();
            self.network_command(
                now,
                &NetworkCommand::EndorseIssuer {
                    endorsement_id,
                    organisation_id: self.net.endorsers[index],
                    statement: (*statement).to_owned(),
                },
            );
        }

        // Structures and their staff.
        self.now += Duration::days(2);
        for index in 0..structure_count {
            self.admit_structure(index);
        }

        // Committees: each "own committee" structure has one; each "pooled" structure shares
        // one with the structure before it.
        self.now += Duration::days(2);
        for index in 0..structure_count {
            match index % 3 {
                1 => {
                    let st = &self.structures[index];
                    let members =
                        vec![st.direction, st.supervisors[0], st.counsellors[0], st.admin];
                    let committee_id = self.form_committee(vec![st.tenant], members, 3);
                    self.structures[index].policy = ValidationPolicy::OwnCommittee { committee_id };
                }
                2 => {
                    let st = &self.structures[index];
                    let previous = &self.structures[index - 1];
                    let members = vec![
                        st.direction,
                        st.counsellors[0],
                        st.supervisors[0],
                        previous.direction,
                        self.net.admins[1],
                    ];
                    let structures = vec![st.tenant, previous.tenant];
                    let shared_with = vec![previous.tenant];
                    let committee_id = self.form_committee(structures, members, 3);
                    self.structures[index].policy = ValidationPolicy::PooledCommittee {
                        committee_id,
                        shared_with,
                    };
                }
                _ => {}
            }
        }

        // Adoptions: most classes, with the structure's criterion and validation mode.
        self.now += Duration::days(3);
        for index in 0..structure_count {
            self.adopt_classes(index);
        }
    }

    fn publish(
        &mut self,
        slug: &'static str,
        name: &'static str,
        rank: u8,
        content: BadgeClassContent,
        automatic: bool,
    ) {
        let id: BadgeClassId = self.ctx.id();
        let mut stream = Stream::<BadgeClass>::new(BadgeClass::stream_name(id));
        let now = self.tick();
        exec(
            &mut self.sink,
            self.net.tenant,
            self.net.admin(),
            &mut stream,
            now,
            &BadgeClassCommand::Publish {
                badge_class_id: id,
                content,
                automatic_validation: automatic,
            },
        );
        self.net.classes.push(ClassCtx {
            id,
            rank,
            slug,
            name,
            automatic,
            stream,
        });
    }

    /// Runs one command of the network aggregate, as the network's administrator; true when
    /// the command was accepted.
    fn network_command(&mut self, now: DateTime<Utc>, command: &NetworkCommand) -> bool {
        exec(
            &mut self.sink,
            self.net.tenant,
            self.net.admin(),
            &mut self.net.network,
            now,
            command,
        )
    }

    fn register_organisation(&mut self, kind: OrganisationKind, name: &str) -> OrganisationId {
        let organisation_id: OrganisationId = self.ctx.id();
        let now = self.tick();
        self.network_command(
            now,
            &NetworkCommand::RegisterOrganisation {
                organisation_id,
                kind,
                name: name.to_owned(),
            },
        );
        organisation_id
    }

    fn form_committee(
        &mut self,
        structures: Vec<TenantId>,
        members: Vec<PersonId>,
        quorum: u16,
    ) -> CommitteeId {
        let committee_id: CommitteeId = self.ctx.id();
        let now = self.tick();
        self.network_command(
            now,
            &NetworkCommand::FormCommittee {
                committee_id,
                structures,
                members,
                quorum,
            },
        );
        committee_id
    }

    fn admit_structure(&mut self, index: usize) {
        let (base_name, kind) = STRUCTURES[index % STRUCTURES.len()];
        let name = if index < STRUCTURES.len() {
            base_name.to_owned()
        } else {
            format!("{base_name} — antenne {}", index / STRUCTURES.len() + 1)
        };
        let tenant: TenantId = self.ctx.id();
        let now = self.tick();
        self.network_command(
            now,
            &NetworkCommand::AdmitStructure {
                structure_id: tenant,
                kind,
                name: name.clone(),
            },
        );
        let committee = matches!(index % 3, 1 | 2);
        let (admin, _, _) = self.ctx.person(tenant, true);
        let (direction, _, _) = self.ctx.person(tenant, true);
        let counsellors: Vec<PersonId> = (0..2).map(|_| self.ctx.person(tenant, true).0).collect();
        let supervisor_count = if self.ctx.rng.gen_bool(0.5) { 1 } else { 2 };
        let supervisors: Vec<PersonId> = (0..supervisor_count)
            .map(|_| self.ctx.person(tenant, true).0)
            .collect();
        let mut st = StructCtx {
            tenant,
            name,
            kind,
            policy: ValidationPolicy::Systematic,
            staff: Stream::new(Staff::stream_name()),
            roster: Vec::new(),
            admin,
            direction,
            counsellors: counsellors.clone(),
            supervisors: supervisors.clone(),
            adoptions: (0..BADGES.len()).map(|_| None).collect(),
            modes: Vec::new(),
            adopted_by_rank: [Vec::new(), Vec::new(), Vec::new()],
            contacts: Vec::new(),
            earners: Vec::new(),
            forced: VecDeque::new(),
            spawned: 0,
        };
        // The network admin appoints the structure's admin, who appoints the others.
        let by_network = Actor {
            tenant_id: tenant,
            person_id: self.net.admins[0],
            roles: vec![Role::NetworkAdmin],
        };
        let now = self.tick();
        st.appoint(
            &mut self.ctx,
            &mut self.sink,
            by_network,
            now,
            admin,
            if index % 3 == 1 {
                vec![Role::StructureAdmin, Role::CommitteeMember]
            } else {
                vec![Role::StructureAdmin]
            },
        );
        let with_committee = |mut roles: Vec<Role>, member: bool| {
            if member && committee {
                roles.push(Role::CommitteeMember);
            }
            roles
        };
        let mut appointments = vec![(direction, with_committee(vec![Role::Direction], true))];
        for (n, counsellor) in counsellors.iter().enumerate() {
            appointments.push((*counsellor, with_committee(vec![Role::Counsellor], n == 0)));
        }
        for (n, supervisor) in supervisors.iter().enumerate() {
            appointments.push((
                *supervisor,
                with_committee(vec![Role::TechnicalSupervisor], n == 0),
            ));
        }
        for (person_id, roles) in appointments {
            let now = self.tick();
            let by = st.actor(admin);
            st.appoint(&mut self.ctx, &mut self.sink, by, now, person_id, roles);
        }
        // Contacts of host companies who know the structure's workers.
        for _ in 0..3 {
            let (person, _, email) = self.ctx.person(tenant, true);
            let organisation = self.ctx.pick(&self.net.hosts[..]);
            let email = EmailAddress::parse(&email.expect("contacts have an e-mail address"))
                .expect("generated addresses are valid");
            st.contacts.push(Contact {
                person,
                organisation,
                email,
            });
        }
        self.structures.push(st);
    }

    fn adopt_classes(&mut self, index: usize) {
        let pooled = self.pooled_committee_of(index);
        let st = &mut self.structures[index];
        // Every structure adopts most classes; safety and teamwork always.
        let mut skipped = Vec::new();
        for _ in 0..self.ctx.rng.gen_range(0..=2) {
            let class = self.ctx.index(BADGES.len());
            if class != SAFETY && class != TEAMWORK {
                skipped.push(class);
            }
        }
        let process = self.ctx.index(PROCESSES.len());
        for (class, spec) in BADGES.iter().enumerate() {
            if skipped.contains(&class) {
                continue;
            }
            let class_ctx = &self.net.classes[class];
            let mut stream = Stream::<Adoption>::new(Adoption::stream_name(class_ctx.id));
            let manager = if self.ctx.rng.gen_bool(0.5) {
                st.direction
            } else {
                st.admin
            };
            self.now += Duration::seconds(self.ctx.rng.gen_range(60..=900));
            let criterion = CriterionDefinition {
                criterion: spec.local_criterion.to_owned(),
                evidence: spec.local_evidence.to_owned(),
                evaluator_roles: evaluator_roles(spec.skill),
                process: PROCESSES[(process + class) % PROCESSES.len()].to_owned(),
            };
            let adopted = exec(
                &mut self.sink,
                st.tenant,
                st.actor(manager),
                &mut stream,
                self.now,
                &AdoptionCommand::Adopt {
                    badge_class: class_ctx.stream.state.snapshot().expect("published"),
                    criterion,
                },
            );
            if !adopted {
                continue;
            }
            let committee_id = match (&st.policy, spec.rank, pooled) {
                (ValidationPolicy::Systematic, _, _) => None,
                (ValidationPolicy::OwnCommittee { .. }, 3, Some(pooled)) => Some(pooled),
                (ValidationPolicy::OwnCommittee { committee_id }, _, _) => Some(*committee_id),
                (ValidationPolicy::PooledCommittee { committee_id, .. }, _, _) => {
                    Some(*committee_id)
                }
            };
            let validation = match committee_id {
                None => ValidationSetting::Systematic,
                Some(committee_id) => ValidationSetting::Committee(
                    self.net
                        .network
                        .state
                        .committee(committee_id)
                        .expect("the committee is formed"),
                ),
            };
            self.now += Duration::seconds(self.ctx.rng.gen_range(30..=300));
            if exec(
                &mut self.sink,
                st.tenant,
                st.actor(manager),
                &mut stream,
                self.now,
                &AdoptionCommand::SetValidationMode {
                    badge_class_id: class_ctx.id,
                    validation,
                },
            ) {
                let mode = stream.state.validation_mode().expect("just set");
                st.modes.push((class_ctx.id, mode));
                st.adopted_by_rank[usize::from(spec.rank - 1)].push(class);
                st.adoptions[class] = Some(stream);
            }
        }
    }

    /// The pooled committee a structure sits on without being its "pooled" structure.
    fn pooled_committee_of(&self, index: usize) -> Option<CommitteeId> {
        self.structures
            .get(index + 1)
            .and_then(|next| match &next.policy {
                ValidationPolicy::PooledCommittee { committee_id, .. } => Some(*committee_id),
                _ => None,
            })
    }

    // -----------------------------------------------------------------------------------------
    // The running history
    // -----------------------------------------------------------------------------------------

    /// Runs one task; false when nothing is left to do (or the horizon is reached).
    fn step(&mut self) -> bool {
        let Some(Reverse((timestamp, _, task))) = self.heap.pop() else {
            return false;
        };
        let at = DateTime::from_timestamp(timestamp, 0).unwrap_or(self.now);
        if self.horizon.is_some_and(|horizon| at > horizon) {
            self.heap.clear();
            return false;
        }
        if at > self.now {
            self.now = at;
        }
        match task {
            Task::World(step) => self.world(step),
            Task::Spawn(structure) => self.spawn(structure as usize),
            Task::Supporter => {
                self.supporter();
                if self.continuous {
                    let at = self.now + self.ctx.days(1, 5);
                    self.schedule(at, Task::Supporter);
                }
            }
            Task::Pursuit(slot, index) => {
                let next = self.pursuit(slot as usize, index as usize);
                if let Some(at) = next {
                    self.schedule_earner(slot, at, Task::Pursuit(slot, index));
                }
                self.task_done(slot);
            }
            Task::Exit(slot) => {
                self.exit(slot as usize);
                self.task_done(slot);
            }
        }
        true
    }

    fn task_done(&mut self, slot: u32) {
        let earner = self.earners[slot as usize]
            .as_mut()
            .expect("tasks refer to live earners");
        earner.tasks -= 1;
        if earner.tasks == 0 {
            self.earners[slot as usize] = None;
            self.free.push(slot);
        }
    }

    fn world(&mut self, step: u8) {
        let tenant = self.net.tenant;
        match step {
            // Two organisations endorse one badge class each.
            0 => {
                for (organisation, class, statement) in [
                    (1usize, 11usize, BADGE_CLASS_STATEMENTS[0]),
                    (0, TEAMWORK, BADGE_CLASS_STATEMENTS[1]),
                ] {
                    let endorsement_id: EndorsementId = self.ctx.id();
                    let now = self.tick();
                    if self.network_command(
                        now,
                        &NetworkCommand::EndorseBadgeClass {
                            endorsement_id,
                            organisation_id: self.net.endorsers[organisation],
                            badge_class: self.net.classes[class]
                                .stream
                                .state
                                .snapshot()
                                .expect("published"),
                            statement: statement.to_owned(),
                        },
                    ) {
                        self.net.badge_endorsements.push(endorsement_id);
                    }
                }
            }
            // The teamwork badge is revised: later requests are for revision 2.
            1 => {
                let now = self.tick();
                let class = &mut self.net.classes[TEAMWORK];
                let mut content = class
                    .stream
                    .state
                    .content_of(class.stream.state.current_revision())
                    .expect("published")
                    .clone();
                content.criteria_narrative = TEAMWORK_REVISED_CRITERIA.to_owned();
                content.expected_evidence = TEAMWORK_REVISED_EVIDENCE.to_owned();
                content.image_ref = format!("badges/{}-v2.png", class.slug);
                let actor = Actor {
                    tenant_id: tenant,
                    person_id: self.net.admins[1],
                    roles: vec![Role::NetworkAdmin],
                };
                exec(
                    &mut self.sink,
                    tenant,
                    actor,
                    &mut class.stream,
                    now,
                    &BadgeClassCommand::Revise {
                        badge_class_id: class.id,
                        content,
                    },
                );
            }
            // Staff turnover: a committee member leaves and is replaced; a structure revises
            // a criterion; a counsellor takes on the structure's administration.
            2 => {
                for index in 0..self.structures.len() {
                    self.turnover(index);
                }
            }
            // An endorsing organisation withdraws its badge-class endorsement.
            3 => {
                if let Some(endorsement_id) = self.net.badge_endorsements.get(1).copied() {
                    let now = self.tick();
                    self.network_command(
                        now,
                        &NetworkCommand::WithdrawEndorsement { endorsement_id },
                    );
                }
            }
            _ => {}
        }
    }

    fn turnover(&mut self, index: usize) {
        let policy = self.structures[index].policy.clone();
        match policy {
            ValidationPolicy::OwnCommittee { committee_id } => {
                let tenant = self.structures[index].tenant;
                let (newcomer, _, _) = self.ctx.person(tenant, true);
                let st = &mut self.structures[index];
                let leaving = st.supervisors[0];
                let now = self.now + Duration::seconds(self.ctx.rng.gen_range(60..=600));
                self.now = now;
                if exec(
                    &mut self.sink,
                    tenant,
                    st.actor(st.admin),
                    &mut st.staff,
                    now,
                    &StaffCommand::RecordDeparture { person_id: leaving },
                ) {
                    st.set_roster_roles(leaving, None);
                    st.supervisors.retain(|p| *p != leaving);
                }
                let now = self.tick();
                let st = &mut self.structures[index];
                let by = st.actor(st.admin);
                st.appoint(
                    &mut self.ctx,
                    &mut self.sink,
                    by,
                    now,
                    newcomer,
                    vec![Role::TechnicalSupervisor, Role::CommitteeMember],
                );
                st.supervisors.insert(0, newcomer);
                let Some(committee) = self.net.network.state.committee(committee_id) else {
                    return;
                };
                let members: Vec<PersonId> = committee
                    .members
                    .iter()
                    .map(|member| {
                        if *member == leaving {
                            newcomer
                        } else {
                            *member
                        }
                    })
                    .collect();
                let now = self.tick();
                self.network_command(
                    now,
                    &NetworkCommand::ChangeCommitteeMembership {
                        committee_id,
                        members,
                        quorum: committee.quorum,
                    },
                );
            }
            ValidationPolicy::Systematic => {
                let now = self.tick();
                let st = &mut self.structures[index];
                let director = st.actor(st.direction);
                let class_id = self.net.classes[1].id;
                if let Some(stream) = st.adoptions[1].as_mut() {
                    let mut criterion = stream.state.criterion().expect("adopted").clone();
                    criterion.criterion =
                        "Deux mois de présence sans retard non prévenu (critère révisé après un an de pratique)."
                            .to_owned();
                    exec(
                        &mut self.sink,
                        st.tenant,
                        director,
                        stream,
                        now,
                        &AdoptionCommand::ReviseCriterion {
                            badge_class_id: class_id,
                            criterion,
                        },
                    );
                }
                let counsellor = st.counsellors[1];
                let roles = vec![Role::Counsellor, Role::StructureAdmin];
                let now = self.tick();
                let st = &mut self.structures[index];
                if exec(
                    &mut self.sink,
                    st.tenant,
                    st.actor(st.admin),
                    &mut st.staff,
                    now,
                    &StaffCommand::ChangeRoles {
                        person_id: counsellor,
                        roles: roles.clone(),
                    },
                ) {
                    st.set_roster_roles(counsellor, Some(roles));
                }
            }
            ValidationPolicy::PooledCommittee { .. } => {}
        }
    }

    fn supporter(&mut self) {
        let tenant = self.net.tenant;
        let (person, _, _) = self.ctx.person(tenant, true);
        let mut stream = Stream::<Earner>::new(Earner::stream_name(person));
        let actor = Actor {
            tenant_id: tenant,
            person_id: person,
            roles: vec![Role::Earner],
        };
        let now = self.now;
        if !exec(
            &mut self.sink,
            tenant,
            actor.clone(),
            &mut stream,
            now,
            &EarnerCommand::Enrol {
                earner_id: person,
                enrolled_on: now.date_naive(),
            },
        ) {
            return;
        }
        let now = now + Duration::seconds(self.ctx.rng.gen_range(30..=600));
        self.now = now;
        let request = RequestBadge {
            request_id: self.ctx.id(),
            badge_class: self.net.classes[SUPPORTER]
                .stream
                .state
                .snapshot()
                .expect("published"),
            adoption: None,
            mode: RequestMode::Individual,
            counsellor_roles: Vec::new(),
            evidence: Vec::new(),
            award_id: self.ctx.id(),
        };
        exec(
            &mut self.sink,
            tenant,
            actor,
            &mut stream,
            now,
            &EarnerCommand::RequestBadge(request),
        );
        if !self.continuous {
            self.net.supporters.push(person);
        }
    }

    fn draw_fate(&mut self, structure: usize) -> Fate {
        if let Some(fate) = self.structures[structure].forced.pop_front() {
            return fate;
        }
        match self.ctx.rng.gen_range(0..100) {
            0..=71 => Fate::Approve,
            72..=75 => Fate::ApproveThenRevoke,
            76..=87 => Fate::Refuse,
            88..=95 => Fate::Withdraw,
            _ => Fate::Pending,
        }
    }

    fn spawn(&mut self, structure: usize) {
        let tenant = self.structures[structure].tenant;
        let (person, first, _) = {
            let email = self.ctx.rng.gen_bool(0.6);
            self.ctx.person(tenant, email)
        };
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.earners.push(None);
                (self.earners.len() - 1) as u32
            }
        };
        let mut earner = EarnerCtx {
            structure,
            tenant,
            person,
            first,
            stream: Stream::new(Earner::stream_name(person)),
            pursuits: Vec::new(),
            tasks: 0,
        };
        let st = &self.structures[structure];
        let enroller = self.ctx.pick(&st.counsellors[..]);
        let now = self.now;
        if !exec(
            &mut self.sink,
            tenant,
            st.actor(enroller),
            &mut earner.stream,
            now,
            &EarnerCommand::Enrol {
                earner_id: person,
                enrolled_on: now.date_naive(),
            },
        ) {
            self.free.push(slot);
            return;
        }
        if !self.continuous {
            self.structures[structure].earners.push(person);
        }
        let first_of_structure = self.structures[structure].spawned == 0;
        self.structures[structure].spawned += 1;
        if first_of_structure && !self.continuous {
            self.structures[structure].forced = VecDeque::from([
                Fate::Refuse,
                Fate::Withdraw,
                Fate::Pending,
                Fate::ApproveThenRevoke,
            ]);
        }

        // The pathway: 5 to 18 months, with badges of each pathway at their usual moment.
        let duration = self.ctx.days(150, 540);
        let exit_at = now + duration;
        let mut plan: Vec<(DateTime<Utc>, usize, Fate)> = Vec::new();
        if first_of_structure && !self.continuous {
            // The first worker of a structure always earns the 12-month safety badge early, so
            // that the history shows an expiry.
            plan.push((now + self.ctx.days(10, 20), SAFETY, Fate::Approve));
            // ...and the teamwork badge before its revision, so that both revisions are awarded.
            plan.push((now + self.ctx.days(15, 40), TEAMWORK, Fate::Approve));
        }
        for (rank, (probability, low, high)) in [(0.6, 7, 90), (0.45, 60, 240), (0.4, 150, 540)]
            .iter()
            .enumerate()
        {
            let adopted = self.structures[structure].adopted_by_rank[rank].clone();
            for class in adopted {
                if plan.iter().any(|(_, planned, _)| *planned == class)
                    || !self.ctx.rng.gen_bool(*probability)
                {
                    continue;
                }
                let at = now + self.ctx.days(*low, *high);
                if at + Duration::days(5) >= exit_at {
                    continue;
                }
                let fate = self.draw_fate(structure);
                plan.push((at, class, fate));
            }
        }
        plan.sort_by_key(|(at, _, _)| *at);
        for (at, class, fate) in &plan {
            let _ = at;
            earner.pursuits.push(Pursuit {
                class: *class,
                fate: *fate,
                stage: Stage::ToRequest,
                request: RequestId::default(),
                award: AwardId::default(),
                requester: PersonId::default(),
                counsellor: None,
                extra_evidence: false,
                votes: Vec::new(),
                retried: false,
                plan: Vec::new(),
                plan_position: 0,
            });
        }
        self.earners[slot as usize] = Some(earner);
        for (index, (at, _, _)) in plan.iter().enumerate() {
            self.schedule_earner(slot, *at, Task::Pursuit(slot, index as u16));
        }
        self.schedule_earner(slot, exit_at, Task::Exit(slot));
    }

    fn exit(&mut self, slot: usize) {
        let outcome = if !self.continuous && self.exits < EXIT_OUTCOMES.len() {
            EXIT_OUTCOMES[self.exits]
        } else {
            match self.ctx.rng.gen_range(0..100) {
                0..=29 => ExitOutcome::DurableEmployment,
                30..=54 => ExitOutcome::TransitionEmployment,
                55..=74 => ExitOutcome::QualifyingTraining,
                _ => ExitOutcome::Other,
            }
        };
        let back = self.ctx.rng.gen_range(0..=3);
        let Engine {
            ctx,
            sink,
            structures,
            earners,
            now,
            ..
        } = self;
        let earner = earners[slot].as_mut().expect("live earner");
        let st = &structures[earner.structure];
        let recorder = if ctx.rng.gen_bool(0.8) {
            ctx.pick(&st.counsellors[..])
        } else {
            st.direction
        };
        let enrolled_on = earner.stream.state.enrolled_on().expect("enrolled");
        let exited_on = (now.date_naive() - Duration::days(back)).max(enrolled_on);
        let structure = earner.structure;
        if exec(
            sink,
            earner.tenant,
            st.actor(recorder),
            &mut earner.stream,
            *now,
            &EarnerCommand::RecordPathwayExit { outcome, exited_on },
        ) {
            self.exits += 1;
        }
        if self.continuous {
            let at = self.now + self.ctx.days(3, 30);
            self.schedule(at, Task::Spawn(structure as u32));
        }
    }

    /// One step of one pursuit; returns when its next step is due.
    fn pursuit(&mut self, slot: usize, index: usize) -> Option<DateTime<Utc>> {
        let Engine {
            ctx,
            sink,
            net,
            structures,
            earners,
            now,
            ..
        } = self;
        let earner = earners[slot].as_mut().expect("live earner");
        let st = &structures[earner.structure];
        let stage = earner.pursuits[index].stage;
        match stage {
            Stage::ToRequest => request(ctx, sink, net, st, earner, index, *now),
            Stage::Pending => pending(ctx, sink, net, st, earner, index, *now),
            Stage::Awarded => award_action(ctx, sink, net, st, earner, index, *now),
            Stage::Done => None,
        }
    }
}

fn request(
    ctx: &mut Ctx,
    sink: &mut Sink,
    net: &NetCtx,
    st: &StructCtx,
    earner: &mut EarnerCtx,
    index: usize,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if earner.stream.state.exit().is_some() {
        earner.pursuits[index].stage = Stage::Done;
        return None;
    }
    let class = earner.pursuits[index].class;
    let Some(adoption) = st.adoptions[class].as_ref() else {
        earner.pursuits[index].stage = Stage::Done;
        return None;
    };
    let committee = match adoption.state.validation_mode() {
        Some(ValidationMode::Committee { committee_id }) => {
            net.network.state.committee(committee_id)
        }
        _ => None,
    };
    let draw: f64 = ctx.rng.gen();
    let (actor, mode, counsellor_roles, counsellor) = if draw < 0.45 {
        let counsellor = ctx.pick(&st.counsellors[..]);
        (
            st.actor(counsellor),
            RequestMode::Pair {
                counsellor_id: counsellor,
            },
            st.roles(counsellor),
            Some(counsellor),
        )
    } else if draw < 0.75 {
        let animator = ctx.pick(&st.supporting_staff()[..]);
        (
            st.actor(animator),
            RequestMode::CollectiveWorkshop,
            Vec::new(),
            None,
        )
    } else {
        (earner.actor(), RequestMode::Individual, Vec::new(), None)
    };
    let pieces = match ctx.rng.gen_range(0..4) {
        0 => 0,
        1 | 2 => 1,
        _ => 2,
    };
    let evidence: Vec<Evidence> = (0..pieces)
        .map(|_| ctx.evidence(earner.tenant, earner.person))
        .collect();
    let request_id: RequestId = ctx.id();
    let award_id: AwardId = ctx.id();
    let requester = actor.person_id;
    let command = EarnerCommand::RequestBadge(RequestBadge {
        request_id,
        badge_class: net.classes[class]
            .stream
            .state
            .snapshot()
            .expect("published"),
        adoption: adoption.state.snapshot(committee),
        mode,
        counsellor_roles,
        evidence,
        award_id,
    });
    if !exec(
        sink,
        earner.tenant,
        actor,
        &mut earner.stream,
        now,
        &command,
    ) {
        earner.pursuits[index].stage = Stage::Done;
        return None;
    }
    let route = earner
        .stream
        .state
        .request(request_id)
        .map(|request| request.route.clone());
    let pursuit = &mut earner.pursuits[index];
    pursuit.request = request_id;
    pursuit.award = award_id;
    pursuit.requester = requester;
    pursuit.counsellor = counsellor;
    pursuit.stage = Stage::Pending;
    pursuit.extra_evidence = ctx.rng.gen_bool(0.2);
    let approve = matches!(pursuit.fate, Fate::Approve | Fate::ApproveThenRevoke);
    let committee_route = if let Some(ValidationRoute::Committee { quorum, .. }) = route {
        let quorum = usize::from(quorum);
        let (yes, no) = if approve {
            (Vote::Approve, Vote::Refuse)
        } else {
            (Vote::Refuse, Vote::Approve)
        };
        let mut votes = vec![yes; quorum];
        if quorum >= 3 && ctx.rng.gen_bool(0.3) {
            votes[0] = no;
        }
        if !approve && quorum % 2 == 0 && ctx.rng.gen_bool(0.5) {
            for vote in votes.iter_mut().take(quorum / 2) {
                *vote = no;
            }
        }
        votes.shuffle(&mut ctx.rng);
        pursuit.votes = votes;
        true
    } else {
        false
    };
    let delay = match pursuit.fate {
        Fate::Pending => return None,
        _ if pursuit.extra_evidence => ctx.days(1, 7),
        Fate::Withdraw => ctx.days(3, 20),
        _ if committee_route => ctx.days(7, 35),
        _ => ctx.days(2, 21),
    };
    Some(now + delay)
}

fn pending(
    ctx: &mut Ctx,
    sink: &mut Sink,
    net: &NetCtx,
    st: &StructCtx,
    earner: &mut EarnerCtx,
    index: usize,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let request_id = earner.pursuits[index].request;
    let fate = earner.pursuits[index].fate;
    if earner.pursuits[index].extra_evidence {
        earner.pursuits[index].extra_evidence = false;
        let actor = if ctx.rng.gen_bool(0.6) {
            earner.actor()
        } else {
            st.actor(ctx.pick(&st.counsellors[..]))
        };
        let evidence = ctx.evidence(earner.tenant, earner.person);
        exec(
            sink,
            earner.tenant,
            actor,
            &mut earner.stream,
            now,
            &EarnerCommand::AddEvidence {
                target: EvidenceTarget::Request(request_id),
                evidence,
            },
        );
        return Some(now + ctx.days(1, 14));
    }
    if fate == Fate::Withdraw {
        let actor = if ctx.rng.gen_bool(0.6) {
            earner.actor()
        } else {
            st.actor(ctx.pick(&st.counsellors[..]))
        };
        let reason = Reason {
            code: if ctx.rng.gen_bool(0.7) {
                ReasonCode::RequestedByEarner
            } else {
                ReasonCode::Other
            },
            note: ctx.note(0.6, earner.tenant, earner.person, &WITHDRAWAL_NOTES),
        };
        exec(
            sink,
            earner.tenant,
            actor,
            &mut earner.stream,
            now,
            &EarnerCommand::WithdrawRequest { request_id, reason },
        );
        earner.pursuits[index].stage = Stage::Done;
        return None;
    }
    let Some(request) = earner.stream.state.request(request_id) else {
        earner.pursuits[index].stage = Stage::Done;
        return None;
    };
    let revision = request.revision;
    let validity_months = net.classes[earner.pursuits[index].class]
        .stream
        .state
        .validity_months_of(revision);
    let pursuit = &earner.pursuits[index];
    let excluded = |person: PersonId| {
        person == pursuit.requester || Some(person) == pursuit.counsellor || person == earner.person
    };
    match request.route.clone() {
        ValidationRoute::Evaluator { evaluator_roles } => {
            let candidates: Vec<PersonId> = st
                .roster
                .iter()
                .filter(|member| {
                    !excluded(member.person_id)
                        && member
                            .roles
                            .iter()
                            .any(|role| evaluator_roles.contains(role))
                })
                .map(|member| member.person_id)
                .collect();
            if candidates.is_empty() {
                earner.pursuits[index].stage = Stage::Done;
                return None;
            }
            let evaluator = ctx.pick(&candidates[..]);
            let approve = fate != Fate::Refuse;
            let reason = if approve {
                Reason {
                    code: ReasonCode::CriteriaMet,
                    note: ctx.note(0.15, earner.tenant, earner.person, &APPROVAL_NOTES),
                }
            } else {
                Reason {
                    code: ctx.pick(&[
                        ReasonCode::CriteriaNotMet,
                        ReasonCode::CriteriaNotMet,
                        ReasonCode::EvidenceInsufficient,
                        ReasonCode::Other,
                    ]),
                    note: ctx.note(0.6, earner.tenant, earner.person, &REFUSAL_NOTES),
                }
            };
            let award_id = earner.pursuits[index].award;
            exec(
                sink,
                earner.tenant,
                st.actor(evaluator),
                &mut earner.stream,
                now,
                &EarnerCommand::DecideRequest {
                    request_id,
                    verdict: if approve {
                        Verdict::Approve
                    } else {
                        Verdict::Refuse
                    },
                    reason,
                    award_id,
                    validity_months,
                },
            );
            decided(ctx, st, earner, index, now)
        }
        ValidationRoute::Committee { committee_id, .. } => {
            let Some(committee) = net.network.state.committee(committee_id) else {
                earner.pursuits[index].stage = Stage::Done;
                return None;
            };
            let voted: Vec<PersonId> = request.votes.iter().map(|(member, _)| *member).collect();
            let candidates: Vec<PersonId> = committee
                .members
                .iter()
                .copied()
                .filter(|member| !excluded(*member) && !voted.contains(member))
                .collect();
            let Some(vote) = earner.pursuits[index].votes.pop() else {
                earner.pursuits[index].stage = Stage::Done;
                return None;
            };
            if candidates.is_empty() {
                earner.pursuits[index].stage = Stage::Done;
                return None;
            }
            let member = ctx.pick(&candidates[..]);
            let actor = Actor {
                tenant_id: earner.tenant,
                person_id: member,
                roles: vec![Role::CommitteeMember],
            };
            let award_id = earner.pursuits[index].award;
            exec(
                sink,
                earner.tenant,
                actor,
                &mut earner.stream,
                now,
                &EarnerCommand::CastCommitteeVote {
                    request_id,
                    committee,
                    vote,
                    award_id,
                    validity_months,
                },
            );
            let still_pending = earner
                .stream
                .state
                .request(request_id)
                .is_some_and(|request| request.status == earner::RequestStatus::Pending);
            if still_pending {
                // The next member votes during the same committee session.
                Some(now + Duration::seconds(ctx.rng.gen_range(120..=3_600)))
            } else {
                decided(ctx, st, earner, index, now)
            }
        }
        ValidationRoute::Automatic => {
            earner.pursuits[index].stage = Stage::Done;
            None
        }
    }
}

/// After a decision: plan the life of the award, or maybe try again after a refusal.
fn decided(
    ctx: &mut Ctx,
    st: &StructCtx,
    earner: &mut EarnerCtx,
    index: usize,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let request_id = earner.pursuits[index].request;
    let status = earner
        .stream
        .state
        .request(request_id)
        .map(|request| request.status);
    match status {
        Some(earner::RequestStatus::Approved) => {
            let award_id = earner.pursuits[index].award;
            let expires_at = earner
                .stream
                .state
                .award(award_id)
                .and_then(|award| award.expires_at);
            let mut plan: Vec<(DateTime<Utc>, AwardAction)> = Vec::new();
            if ctx.rng.gen_bool(0.35) {
                plan.push((now + ctx.days(5, 60), AwardAction::Evidence));
            }
            let contact = ctx.index(st.contacts.len());
            let recommendation: RecommendationId = ctx.id();
            let draw: f64 = ctx.rng.gen();
            if draw < 0.45 {
                let asked_at = now + ctx.days(3, 45);
                plan.push((
                    asked_at,
                    AwardAction::Ask {
                        recommendation,
                        contact,
                    },
                ));
                let answer: f64 = ctx.rng.gen();
                let answered_at = asked_at + ctx.days(2, 20);
                if answer < 0.6 {
                    plan.push((
                        answered_at,
                        AwardAction::Give {
                            recommendation,
                            contact,
                        },
                    ));
                } else if answer < 0.85 {
                    plan.push((
                        answered_at,
                        AwardAction::Decline {
                            recommendation,
                            contact,
                        },
                    ));
                }
            } else if draw < 0.6 {
                plan.push((
                    now + ctx.days(10, 120),
                    AwardAction::Give {
                        recommendation,
                        contact,
                    },
                ));
            }
            if let Some(expires_at) = expires_at {
                plan.retain(|(at, _)| *at + Duration::days(1) < expires_at);
            }
            let last = plan.iter().map(|(at, _)| *at).max().unwrap_or(now);
            if earner.pursuits[index].fate == Fate::ApproveThenRevoke {
                plan.push((last + ctx.days(20, 120), AwardAction::Revoke));
            } else if let Some(expires_at) = expires_at {
                plan.push((
                    expires_at + Duration::seconds(ctx.rng.gen_range(600..=172_800)),
                    AwardAction::Expire,
                ));
            }
            plan.sort_by_key(|(at, _)| *at);
            let pursuit = &mut earner.pursuits[index];
            pursuit.stage = Stage::Awarded;
            let next = plan.first().map(|(at, _)| *at);
            pursuit.plan = plan;
            pursuit.plan_position = 0;
            if next.is_none() {
                pursuit.stage = Stage::Done;
            }
            next
        }
        Some(earner::RequestStatus::Refused) => {
            let pursuit = &mut earner.pursuits[index];
            if !pursuit.retried && ctx.rng.gen_bool(0.5) {
                pursuit.retried = true;
                pursuit.fate = if ctx.rng.gen_bool(0.85) {
                    Fate::Approve
                } else {
                    Fate::Refuse
                };
                pursuit.stage = Stage::ToRequest;
                Some(now + ctx.days(30, 90))
            } else {
                pursuit.stage = Stage::Done;
                None
            }
        }
        _ => {
            earner.pursuits[index].stage = Stage::Done;
            None
        }
    }
}

fn award_action(
    ctx: &mut Ctx,
    sink: &mut Sink,
    net: &NetCtx,
    st: &StructCtx,
    earner: &mut EarnerCtx,
    index: usize,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let pursuit = &mut earner.pursuits[index];
    let Some((_, action)) = pursuit.plan.get(pursuit.plan_position).copied() else {
        pursuit.stage = Stage::Done;
        return None;
    };
    pursuit.plan_position += 1;
    let award_id = pursuit.award;
    let next = pursuit.plan.get(pursuit.plan_position).map(|(at, _)| *at);
    if next.is_none() {
        pursuit.stage = Stage::Done;
    }
    let tenant = earner.tenant;
    let person = earner.person;
    let (actor, command) = match action {
        AwardAction::Evidence => {
            let actor = if ctx.rng.gen_bool(0.5) {
                earner.actor()
            } else {
                st.actor(ctx.pick(&st.counsellors[..]))
            };
            let evidence = ctx.evidence(tenant, person);
            (
                actor,
                EarnerCommand::AddEvidence {
                    target: EvidenceTarget::Award(award_id),
                    evidence,
                },
            )
        }
        AwardAction::Ask {
            recommendation,
            contact,
        } => {
            let actor = if ctx.rng.gen_bool(0.7) {
                earner.actor()
            } else {
                st.actor(ctx.pick(&st.counsellors[..]))
            };
            let contact = &st.contacts[contact];
            (
                actor,
                EarnerCommand::AskRecommendation {
                    recommendation_id: recommendation,
                    award_id,
                    recommender_id: contact.person,
                    organisation_id: Some(contact.organisation),
                    recommender_email: contact.email.clone(),
                },
            )
        }
        AwardAction::Give {
            recommendation,
            contact,
        } => {
            let contact = &st.contacts[contact];
            let template = ctx.pick(&TESTIMONIES[..]);
            let first = earner.first;
            let testimony = ctx.put(tenant, person, || {
                template.replace("{}", FIRST_NAMES[first])
            });
            (
                Actor {
                    tenant_id: tenant,
                    person_id: contact.person,
                    roles: Vec::new(),
                },
                EarnerCommand::GiveRecommendation {
                    recommendation_id: recommendation,
                    award_id,
                    recommender_id: contact.person,
                    organisation_id: Some(contact.organisation),
                    testimony,
                    // The host company agreed to its testimony being shown with the badge.
                    public: true,
                },
            )
        }
        AwardAction::Decline {
            recommendation,
            contact,
        } => (
            Actor {
                tenant_id: tenant,
                person_id: st.contacts[contact].person,
                roles: Vec::new(),
            },
            EarnerCommand::DeclineRecommendation {
                recommendation_id: recommendation,
            },
        ),
        AwardAction::Revoke => {
            let actor = match ctx.rng.gen_range(0..10) {
                0 => Actor {
                    tenant_id: tenant,
                    person_id: net.admins[0],
                    roles: vec![Role::NetworkAdmin],
                },
                1..=5 => st.actor(st.direction),
                _ => st.actor(st.admin),
            };
            let choice = ctx.index(4);
            let code = [
                ReasonCode::IssuedInError,
                ReasonCode::Misconduct,
                ReasonCode::RequestedByEarner,
                ReasonCode::Other,
            ][choice];
            let note = if ctx.rng.gen_bool(0.7) {
                let text = REVOCATION_NOTES[choice];
                Some(ctx.put(tenant, person, || text.to_owned()))
            } else {
                None
            };
            (
                actor,
                EarnerCommand::RevokeBadge {
                    award_id,
                    reason: Reason { code, note },
                },
            )
        }
        AwardAction::Expire => {
            let revoked = earner
                .stream
                .state
                .award(award_id)
                .is_none_or(|award| award.revoked || award.expiry_recorded);
            if revoked {
                return next;
            }
            (st.actor(st.admin), EarnerCommand::ExpireBadge { award_id })
        }
    };
    exec(sink, tenant, actor, &mut earner.stream, now, &command);
    next.map(|at| at.max(now))
}

// ---------------------------------------------------------------------------------------------
// The whole network
// ---------------------------------------------------------------------------------------------

pub(crate) fn generate(shape: &NetworkShape) -> GeneratedNetwork {
    let horizon = months(shape.start, shape.months.max(1));
    let mut engine = Engine::new(
        shape.seed,
        shape.start,
        Some(horizon),
        None,
        shape.with_vault,
        shape.structures,
    );
    let setup_end = engine.now;
    let structure_count = shape.structures;
    let total = match shape.earners_total {
        Some(total) => total,
        None => shape.earners_per_structure * structure_count,
    };
    if structure_count > 0 {
        let window_end = (horizon - Duration::days(120)).max(setup_end + Duration::days(41));
        let window = (window_end - setup_end).num_seconds().max(1);
        for n in 0..total {
            let structure = n % structure_count;
            let at = if n < structure_count {
                setup_end + engine.ctx.days(20, 40)
            } else {
                setup_end
                    + Duration::days(20)
                    + Duration::seconds(engine.ctx.rng.gen_range(0..window))
            };
            engine.schedule(at, Task::Spawn(structure as u32));
        }
    }
    let span = (horizon - Duration::days(5) - setup_end)
        .num_seconds()
        .max(1);
    for _ in 0..shape.supporters {
        let at = setup_end + Duration::seconds(engine.ctx.rng.gen_range(0..span));
        engine.schedule(at, Task::Supporter);
    }
    let mut appends = Vec::new();
    while let Some(append) = engine.next_append() {
        appends.push(append);
    }
    let net = &engine.net;
    GeneratedNetwork {
        network_tenant: net.tenant,
        network_staff: net.roster.clone(),
        catalogue: net
            .classes
            .iter()
            .map(|class| GeneratedBadgeClass {
                badge_class_id: class.id,
                slug: class.slug.to_owned(),
                name: class.name.to_owned(),
                pathway_rank: class.rank,
                automatic_validation: class.automatic,
            })
            .collect(),
        structures: engine
            .structures
            .iter()
            .map(|st| GeneratedStructure {
                tenant_id: st.tenant,
                name: st.name.clone(),
                kind: st.kind,
                validation: st.policy.clone(),
                modes: st.modes.clone(),
                staff: st.roster.clone(),
                earners: st.earners.clone(),
            })
            .collect(),
        supporters: net.supporters.clone(),
        appends,
        vault: engine.ctx.vault.take().unwrap_or_default(),
    }
}
