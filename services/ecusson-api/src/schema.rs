//! The GraphQL schema: queries over the aggregates and read models, one mutation per domain
//! command. The tenant always comes from the token, never from an argument.

use crate::auth::Principal;
use crate::error::{coded, graphql_error};
use async_graphql::{
    Context, EmptySubscription, Enum, InputObject, Object, Schema, SimpleObject, ID,
};
use ecusson_app::{AppError, ErrorCode, Executed, Ledger, Position, RequestMeta};
use ecusson_domain::{
    Actor, Adoption, AdoptionCommand, Aggregate, BadgeClass, BadgeClassCommand, BadgeClassContent,
    BadgeClassId, CommitteeId, CriterionDefinition, DomainError, Earner, EarnerCommand, Network,
    NetworkCommand, OrganisationId, OrganisationKind, Pathway, PathwayCommand, PathwayId, PersonId,
    Role, SkillType, Staff, StaffCommand, StructureKind, TenantId, ValidationMode,
    ValidationSetting,
};
use ecusson_projections::ProjectionEngine;
use ecusson_store::{IdempotencyKey, StreamId};
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::Notify;
use uuid::Uuid;

pub type EcussonSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Query depth and complexity limits: enough for any screen of the app, not for abuse.
pub const MAX_DEPTH: usize = 12;
pub const MAX_COMPLEXITY: usize = 1_000;

/// What every resolver can reach.
#[derive(Clone)]
pub struct ApiContext {
    pub ledger: Ledger,
    /// The read models' projections: queries wait on them for read-your-writes.
    pub engine: ProjectionEngine,
    /// Wakes the projection runners after a write.
    pub wake: Arc<Notify>,
}

/// How long a query waits for the read models to reach its `atLeast` position.
const READ_YOUR_WRITES_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

pub fn build_schema(context: ApiContext) -> EcussonSchema {
    Schema::build(QueryRoot, MutationRoot, EmptySubscription)
        .data(context)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .finish()
}

/// The schema without data, for printing the SDL.
pub fn sdl() -> String {
    Schema::build(QueryRoot, MutationRoot, EmptySubscription)
        .finish()
        .sdl()
}

// ---------------------------------------------------------------------------------------------
// Shared types
// ---------------------------------------------------------------------------------------------

/// A role in a tenant.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize)]
#[graphql(name = "Role", remote = "ecusson_domain::Role")]
pub enum GqlRole {
    NetworkAdmin,
    StructureAdmin,
    /// Conseiller·ère en insertion professionnelle (ASP/CIP).
    Counsellor,
    /// Encadrant·e technique d'insertion (ETI).
    TechnicalSupervisor,
    Direction,
    CommitteeMember,
    Earner,
    Funder,
}

/// The kind of a member structure.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize)]
#[graphql(name = "StructureKind", remote = "ecusson_domain::StructureKind")]
pub enum GqlStructureKind {
    /// Atelier et chantier d'insertion.
    Aci,
    /// Entreprise d'insertion.
    Ei,
    /// Entreprise de travail temporaire d'insertion.
    Etti,
    /// Association intermédiaire.
    Ai,
    /// Other social and solidarity economy member.
    Ess,
}

/// Savoir-faire (know-how tied to work positions) or savoir-être (soft skills).
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize)]
#[graphql(name = "SkillType", remote = "ecusson_domain::SkillType")]
pub enum GqlSkillType {
    SavoirFaire,
    SavoirEtre,
}

/// Waits until the read models have applied the caller's tenant's event at `at_least` (a
/// `lastSequence` a mutation returned), so that a client never reads older data than it wrote.
async fn wait_for_own_writes(
    ctx: &Context<'_>,
    tenant: TenantId,
    at_least: Option<i64>,
) -> async_graphql::Result<()> {
    let Some(at_least) = at_least else {
        return Ok(());
    };
    let seq = u64::try_from(at_least).map_err(|_| {
        coded(
            "atLeast is a sequence number, 0 or more",
            ErrorCode::BadUserInput,
        )
    })?;
    match api(ctx)
        .engine
        .wait_until_applied(tenant, seq, READ_YOUR_WRITES_TIMEOUT)
        .await
    {
        Ok(true) => Ok(()),
        Ok(false) => Err(coded(
            "the read models have not reached this position yet; retry",
            ErrorCode::Conflict,
        )),
        Err(ecusson_projections::ProjectionError::Store {
            source: ecusson_store::StoreError::InvalidInput(message),
            ..
        }) => Err(coded(message, ErrorCode::BadUserInput)),
        Err(error) => Err(graphql_error(AppError::Internal(Box::new(error)))),
    }
}

/// Runs a read over the read models in a read-only transaction.
async fn read_models(
    ctx: &Context<'_>,
) -> async_graphql::Result<Box<dyn ecusson_store::ReadModelTransaction>> {
    api(ctx)
        .ledger
        .store()
        .begin_read_only()
        .await
        .map_err(|error| graphql_error(AppError::from(error)))
}

fn projection_error(error: ecusson_projections::ProjectionError) -> async_graphql::Error {
    graphql_error(AppError::Internal(Box::new(error)))
}

/// The network whose catalogue and committees the caller works with: its own tenant for the
/// network's staff, the network that admitted it for a structure (from the directory).
async fn network_of(ctx: &Context<'_>, principal: &Principal) -> async_graphql::Result<TenantId> {
    if principal.has_role(Role::NetworkAdmin) {
        return Ok(principal.tenant);
    }
    let mut transaction = read_models(ctx).await?;
    let entry = ecusson_projections::directory::structure(transaction.as_mut(), principal.tenant)
        .await
        .map_err(projection_error)?;
    entry.map(|entry| entry.network_id).ok_or_else(|| {
        coded(
            "this structure is not (yet) admitted to a network",
            ErrorCode::NotFound,
        )
    })
}

/// Where a mutation's events went in the tenant's log.
#[derive(SimpleObject, Clone, Debug)]
pub struct EventPosition {
    pub tenant_id: ID,
    /// The tenant's sequence number of the first event appended.
    pub first_sequence: i64,
    /// The tenant's sequence number of the last event appended.
    pub last_sequence: i64,
    /// The stream's version after the append.
    pub stream_version: i64,
}

impl From<Position> for EventPosition {
    fn from(position: Position) -> Self {
        Self {
            tenant_id: ID(position.tenant_id.to_string()),
            first_sequence: position.first_seq as i64,
            last_sequence: position.last_seq as i64,
            stream_version: position.stream_version as i64,
        }
    }
}

/// What every mutation answers besides its object.
#[derive(SimpleObject, Clone, Debug)]
pub struct MutationOutcome {
    /// `null` when the command changed nothing.
    pub position: Option<EventPosition>,
    /// The types of the events appended, in order.
    pub event_types: Vec<String>,
    /// True when this answer is the first outcome of the same idempotency key.
    pub replayed: bool,
}

impl MutationOutcome {
    fn of<A>(executed: &Executed<A>) -> Self {
        Self {
            position: executed.position.map(EventPosition::from),
            event_types: executed
                .events
                .iter()
                .map(|event| event.event_type().to_owned())
                .collect(),
            replayed: executed.replayed,
        }
    }
}

fn principal<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<&'a Principal> {
    ctx.data_opt::<Principal>()
        .ok_or_else(|| coded("a bearer token is required", ErrorCode::Unauthenticated))
}

fn actor(principal: &Principal) -> Actor {
    Actor {
        tenant_id: principal.tenant,
        person_id: principal.subject,
        roles: principal.roles.clone(),
    }
}

fn api<'a>(ctx: &'a Context<'_>) -> &'a ApiContext {
    ctx.data_unchecked::<ApiContext>()
}

/// Parses an id argument; a malformed one is the client's input error.
fn parse_id(id: &ID, what: &str) -> async_graphql::Result<Uuid> {
    Uuid::parse_str(id.as_str())
        .map_err(|_| coded(format!("{what} is not a valid id"), ErrorCode::BadUserInput))
}

/// The request metadata of a mutation: its idempotency key, fingerprinted with the input.
fn request_meta(
    ctx: &Context<'_>,
    idempotency_key: Option<&str>,
    input: &impl Serialize,
) -> async_graphql::Result<RequestMeta> {
    let idempotency_key = match idempotency_key {
        None => None,
        Some(key) => {
            // The mutation's name and its input: the same key and the same input sent to
            // another mutation (appointStaff and changeStaffRoles take the same fields) is
            // another request.
            let mut fingerprint = ctx.field().name().as_bytes().to_vec();
            fingerprint.push(0);
            serde_json::to_writer(&mut fingerprint, input)
                .map_err(|error| graphql_error(AppError::Internal(Box::new(error))))?;
            Some(
                IdempotencyKey::new(key, &fingerprint)
                    .map_err(|error| graphql_error(AppError::from(error)))?,
            )
        }
    };
    Ok(RequestMeta {
        idempotency_key,
        traceparent: ctx.data_opt::<ecusson_store::Traceparent>().cloned(),
        ..RequestMeta::default()
    })
}

fn stream(name: String) -> async_graphql::Result<StreamId> {
    StreamId::parse(name).map_err(|error| graphql_error(AppError::from(error)))
}

/// Runs a command on a stream of the caller's tenant and wakes the projections.
async fn run<A: Aggregate>(
    ctx: &Context<'_>,
    stream_name: String,
    meta: RequestMeta,
    command: A::Command,
) -> async_graphql::Result<Executed<A>>
where
    A::Command: Clone,
{
    let principal = principal(ctx)?;
    let api = api(ctx);
    let executed = api
        .ledger
        .execute::<A, _>(
            &actor(principal),
            principal.tenant,
            &stream(stream_name)?,
            &meta,
            |_| Ok(command.clone()),
        )
        .await
        .map_err(graphql_error)?;
    if executed.position.is_some() {
        api.wake.notify_waiters();
    }
    Ok(executed)
}

// ---------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------

pub struct QueryRoot;

/// The caller, as the token says.
#[derive(SimpleObject)]
pub struct Viewer {
    pub person_id: ID,
    pub tenant_id: ID,
    pub roles: Vec<GqlRole>,
}

/// A member of a tenant's staff.
#[derive(SimpleObject)]
pub struct StaffMember {
    pub person_id: ID,
    pub roles: Vec<GqlRole>,
}

/// A structure admitted to the caller's network.
#[derive(SimpleObject)]
pub struct MemberStructure {
    pub structure_id: ID,
    pub kind: GqlStructureKind,
    /// `null` until the directory has the structure.
    pub name: Option<String>,
}

#[derive(SimpleObject)]
pub struct PathwayView {
    pub pathway_id: ID,
    pub rank: i32,
    pub name: String,
    pub description: String,
}

/// The current revision of a badge class.
#[derive(SimpleObject)]
pub struct BadgeClassView {
    pub badge_class_id: ID,
    pub revision: i32,
    pub name: String,
    pub pathway_id: ID,
    pub skill_type: GqlSkillType,
    /// The supporter badge: awarded at once, without evaluation.
    pub automatic_validation: bool,
    pub retired: bool,
    /// `null` for badges that do not expire.
    pub validity_months: Option<i32>,
    /// What the caller's structure requires for it; `null` if it did not adopt it (and always
    /// for the network's own staff).
    pub adoption: Option<AdoptionView>,
}

/// How a structure's requests for a badge class are decided.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize)]
#[graphql(name = "ValidationMode")]
pub enum GqlValidationMode {
    /// One of the structure's evaluators validates each request.
    Systematic,
    /// An attribution committee (possibly pooled between structures) votes.
    Committee,
}

#[derive(SimpleObject)]
pub struct ValidationView {
    pub mode: GqlValidationMode,
    /// The committee, for committee validation.
    pub committee_id: Option<ID>,
}

impl From<ValidationMode> for ValidationView {
    fn from(mode: ValidationMode) -> Self {
        match mode {
            ValidationMode::Systematic => Self {
                mode: GqlValidationMode::Systematic,
                committee_id: None,
            },
            ValidationMode::Committee { committee_id } => Self {
                mode: GqlValidationMode::Committee,
                committee_id: Some(ID(committee_id.to_string())),
            },
        }
    }
}

/// A structure's criterion for a badge class it adopted.
#[derive(SimpleObject)]
pub struct AdoptionView {
    pub criterion: String,
    pub evidence: String,
    pub evaluator_roles: Vec<GqlRole>,
    pub process: String,
    /// `null` until the structure chooses: no request can be made before.
    pub validation: Option<ValidationView>,
}

#[derive(SimpleObject)]
pub struct CatalogueView {
    pub pathways: Vec<PathwayView>,
    pub badge_classes: Vec<BadgeClassView>,
}

/// Where a request stands.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize)]
#[graphql(name = "RequestState", remote = "ecusson_projections::RequestState")]
pub enum GqlRequestState {
    Pending,
    Approved,
    Refused,
    Withdrawn,
}

/// How a request was made.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(name = "RequestMode", remote = "ecusson_projections::RequestModeKind")]
pub enum GqlRequestMode {
    /// Worker and counsellor together.
    Pair,
    /// In a collective workshop.
    CollectiveWorkshop,
    /// The worker alone.
    Individual,
}

/// Who decides a request.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(name = "DecisionRoute", remote = "ecusson_projections::RouteKind")]
pub enum GqlRoute {
    Evaluator,
    Committee,
    Automatic,
}

/// Where an award stands.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(name = "AwardState", remote = "ecusson_projections::AwardState")]
pub enum GqlAwardState {
    Active,
    Revoked,
    Expired,
}

/// A badge request as the queue shows it (no personal data: people are ids).
#[derive(SimpleObject)]
pub struct RequestView {
    pub request_id: ID,
    pub earner_id: ID,
    pub badge_class_id: ID,
    /// The badge class revision the request was made against.
    pub revision: i32,
    pub mode: GqlRequestMode,
    pub state: GqlRequestState,
    pub route: GqlRoute,
    pub committee_id: Option<ID>,
    pub votes_for: i32,
    pub votes_against: i32,
    pub requested_at: chrono::DateTime<chrono::Utc>,
    pub decided_at: Option<chrono::DateTime<chrono::Utc>>,
    pub award_id: Option<ID>,
    pub award_state: Option<GqlAwardState>,
    pub awarded_at: Option<chrono::DateTime<chrono::Utc>>,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<ecusson_projections::RequestQueueEntry> for RequestView {
    fn from(entry: ecusson_projections::RequestQueueEntry) -> Self {
        Self {
            request_id: ID(entry.request_id.to_string()),
            earner_id: ID(entry.earner_id.to_string()),
            badge_class_id: ID(entry.badge_class_id.to_string()),
            revision: entry.revision as i32,
            mode: entry.request_mode.into(),
            state: entry.state.into(),
            route: entry.route_kind.into(),
            committee_id: entry.committee_id.map(|id| ID(id.to_string())),
            votes_for: entry.votes_for as i32,
            votes_against: entry.votes_against as i32,
            requested_at: entry.requested_at,
            decided_at: entry.decided_at,
            award_id: entry.award_id.map(|id| ID(id.to_string())),
            award_state: entry.award_state.map(Into::into),
            awarded_at: entry.awarded_at,
            expires_at: entry.expires_at,
        }
    }
}

/// One committee and the requests before it.
#[derive(SimpleObject)]
pub struct CommitteeAgenda {
    pub committee: CommitteeView,
    pub requests: Vec<RequestView>,
}

/// The largest page a connection returns.
pub const MAX_PAGE_SIZE: i32 = 100;

/// Roles that see their structure's request queue.
const QUEUE_READERS: [Role; 4] = [
    Role::StructureAdmin,
    Role::Direction,
    Role::Counsellor,
    Role::TechnicalSupervisor,
];

/// Roles that see a tenant's staff roster.
const STAFF_READERS: [Role; 6] = [
    Role::NetworkAdmin,
    Role::StructureAdmin,
    Role::Counsellor,
    Role::TechnicalSupervisor,
    Role::Direction,
    Role::CommitteeMember,
];

#[Object]
impl QueryRoot {
    /// Who the token says the caller is.
    async fn viewer(&self, ctx: &Context<'_>) -> async_graphql::Result<Viewer> {
        let principal = principal(ctx)?;
        Ok(Viewer {
            person_id: ID(principal.subject.to_string()),
            tenant_id: ID(principal.tenant.to_string()),
            roles: principal.roles.iter().map(|role| (*role).into()).collect(),
        })
    }

    /// The staff of the caller's tenant and their roles.
    async fn staff(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<StaffMember>> {
        let principal = principal(ctx)?;
        if !STAFF_READERS.iter().any(|role| principal.has_role(*role)) {
            return Err(coded(
                "only staff may see the staff roster",
                ErrorCode::Forbidden,
            ));
        }
        let roster = api(ctx)
            .ledger
            .load::<Staff>(principal.tenant, &stream(Staff::stream_name())?)
            .await
            .map_err(graphql_error)?;
        Ok(roster
            .state
            .members()
            .map(|(person_id, roles)| StaffMember {
                person_id: ID(person_id.to_string()),
                roles: roles.iter().map(|role| (*role).into()).collect(),
            })
            .collect())
    }

    /// The request queue of the caller's structure, oldest first, as a Relay connection:
    /// `first` (at most 100, default 20) after the cursor `after`, optionally in one `state`.
    /// `atLeast`: wait until the read models include this sequence of the caller's tenant.
    async fn request_queue(
        &self,
        ctx: &Context<'_>,
        state: Option<GqlRequestState>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
        at_least: Option<i64>,
    ) -> async_graphql::Result<async_graphql::connection::Connection<String, RequestView>> {
        use async_graphql::connection::{Connection, Edge};
        let principal = principal(ctx)?;
        if !QUEUE_READERS.iter().any(|role| principal.has_role(*role)) {
            return Err(coded(
                "the request queue is read by the structure's staff",
                ErrorCode::Forbidden,
            ));
        }
        if !(1..=MAX_PAGE_SIZE).contains(&first) {
            return Err(coded(
                format!("first is between 1 and {MAX_PAGE_SIZE}"),
                ErrorCode::BadUserInput,
            ));
        }
        let after_seq = after
            .map(|cursor| {
                cursor.parse::<u64>().map_err(|_| {
                    coded(
                        "after is not a cursor of this connection",
                        ErrorCode::BadUserInput,
                    )
                })
            })
            .transpose()?;
        wait_for_own_writes(ctx, principal.tenant, at_least).await?;
        let mut transaction = read_models(ctx).await?;
        // One more than asked: tells whether there is a next page.
        let mut entries = ecusson_projections::request_queue_for_structure(
            transaction.as_mut(),
            principal.tenant,
            state.map(Into::into),
            first as usize + 1,
            after_seq,
        )
        .await
        .map_err(projection_error)?;
        let has_next = entries.len() > first as usize;
        entries.truncate(first as usize);
        let mut connection = Connection::new(after_seq.is_some(), has_next);
        connection.edges.extend(
            entries
                .into_iter()
                .map(|entry| Edge::new(entry.requested_seq.to_string(), RequestView::from(entry))),
        );
        Ok(connection)
    }

    /// The agenda of the committees the caller sits on: their requests across every structure
    /// each committee serves, oldest first (at most 100 per committee), optionally in one
    /// `state` (default: pending, what a committee has to decide).
    async fn committee_agenda(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(GqlRequestState::Pending)")] state: Option<GqlRequestState>,
        at_least: Option<i64>,
    ) -> async_graphql::Result<Vec<CommitteeAgenda>> {
        let principal = principal(ctx)?;
        if !principal.has_role(Role::CommitteeMember) {
            return Err(coded(
                "the agenda is read by committee members",
                ErrorCode::Forbidden,
            ));
        }
        wait_for_own_writes(ctx, principal.tenant, at_least).await?;
        let network = network_of(ctx, principal).await?;
        let network_state = api(ctx)
            .ledger
            .load::<Network>(network, &stream(Network::stream_name())?)
            .await
            .map_err(graphql_error)?;
        let mut transaction = read_models(ctx).await?;
        let mut agendas = Vec::new();
        for committee in network_state.state.committees_of_member(principal.subject) {
            let entries = ecusson_projections::request_queue_for_committee(
                transaction.as_mut(),
                committee.committee_id,
                &committee.structures,
                state.map(Into::into),
                MAX_PAGE_SIZE as usize,
                None,
            )
            .await
            .map_err(projection_error)?;
            agendas.push(CommitteeAgenda {
                committee: CommitteeView::from(committee),
                requests: entries.into_iter().map(RequestView::from).collect(),
            });
        }
        Ok(agendas)
    }

    /// The caller's network catalogue: pathways by rank, current badge classes by name, and
    /// for a structure's staff, what the structure requires for each class it adopted.
    /// `atLeast`: wait until the read models include this sequence of the caller's tenant.
    async fn catalogue(
        &self,
        ctx: &Context<'_>,
        at_least: Option<i64>,
    ) -> async_graphql::Result<CatalogueView> {
        let principal = principal(ctx)?;
        let reader = STAFF_READERS.iter().any(|role| principal.has_role(*role));
        if !reader && !principal.has_role(Role::Earner) {
            return Err(coded(
                "the catalogue is read by the network's and the structures' people",
                ErrorCode::Forbidden,
            ));
        }
        wait_for_own_writes(ctx, principal.tenant, at_least).await?;
        let network = network_of(ctx, principal).await?;
        let structure = (network != principal.tenant).then_some(principal.tenant);
        let mut transaction = read_models(ctx).await?;
        let catalogue = ecusson_projections::catalogue(transaction.as_mut(), network, structure)
            .await
            .map_err(projection_error)?;
        Ok(CatalogueView {
            pathways: catalogue
                .pathways
                .into_iter()
                .map(|pathway| PathwayView {
                    pathway_id: ID(pathway.pathway_id.to_string()),
                    rank: i32::from(pathway.rank),
                    name: pathway.name,
                    description: pathway.description,
                })
                .collect(),
            badge_classes: catalogue
                .badge_classes
                .into_iter()
                .map(|entry| {
                    let class = entry.badge_class;
                    BadgeClassView {
                        badge_class_id: ID(class.badge_class_id.to_string()),
                        revision: class.revision as i32,
                        name: class.name,
                        pathway_id: ID(class.pathway_id.to_string()),
                        skill_type: class.skill_type.into(),
                        automatic_validation: class.automatic_validation,
                        retired: class.retired,
                        validity_months: class.validity_months.map(|months| months as i32),
                        adoption: entry.adoption.map(|adoption| AdoptionView {
                            criterion: adoption.criterion,
                            evidence: adoption.evidence,
                            evaluator_roles: adoption
                                .evaluator_roles
                                .into_iter()
                                .map(GqlRole::from)
                                .collect(),
                            process: adoption.process,
                            validation: adoption.validation_mode.map(ValidationView::from),
                        }),
                    }
                })
                .collect(),
        })
    }

    /// The structures of the caller's network (network staff only), by name.
    /// `atLeast`: wait until the read models include this sequence of the caller's tenant.
    async fn structures(
        &self,
        ctx: &Context<'_>,
        at_least: Option<i64>,
    ) -> async_graphql::Result<Vec<MemberStructure>> {
        let principal = principal(ctx)?;
        if !principal.has_role(Role::NetworkAdmin) {
            return Err(coded(
                "only the network's administrators see its structures",
                ErrorCode::Forbidden,
            ));
        }
        wait_for_own_writes(ctx, principal.tenant, at_least).await?;
        let mut transaction = read_models(ctx).await?;
        let entries = ecusson_projections::directory::structures_of_network(
            transaction.as_mut(),
            principal.tenant,
        )
        .await
        .map_err(projection_error)?;
        Ok(entries
            .into_iter()
            .map(|entry| MemberStructure {
                structure_id: ID(entry.structure_id.to_string()),
                kind: entry.kind.into(),
                name: Some(entry.name),
            })
            .collect())
    }
}

// ---------------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------------

pub struct MutationRoot;

#[derive(InputObject, Serialize)]
pub struct AppointStaffInput {
    pub person_id: ID,
    pub roles: Vec<GqlRole>,
    /// Makes a retried request safe: the same key with the same input returns the first
    /// outcome and appends nothing.
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Serialize)]
pub struct ChangeStaffRolesInput {
    pub person_id: ID,
    pub roles: Vec<GqlRole>,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Serialize)]
pub struct RecordStaffDepartureInput {
    pub person_id: ID,
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct StaffPayload {
    /// The person's membership after the command (`null` after a departure).
    pub member: Option<StaffMember>,
    pub outcome: MutationOutcome,
}

#[derive(InputObject, Serialize)]
pub struct RegisterNetworkInput {
    /// The network's name (not personal data).
    pub name: String,
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct NetworkPayload {
    pub network_id: ID,
    pub outcome: MutationOutcome,
}

#[derive(InputObject, Serialize)]
pub struct AdmitStructureInput {
    /// The structure's tenant id, chosen by the network (its staff's tokens name it).
    pub structure_id: ID,
    pub kind: GqlStructureKind,
    pub name: String,
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct AdmitStructurePayload {
    pub structure: MemberStructure,
    pub outcome: MutationOutcome,
}

#[derive(InputObject, Serialize)]
pub struct DefinePathwayInput {
    /// 1: first steps, 2: autonomy, 3: access to employment.
    pub rank: i32,
    pub name: String,
    pub description: String,
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct DefinePathwayPayload {
    pub pathway_id: ID,
    pub outcome: MutationOutcome,
}

/// The "fiche description" of a badge class: what every revision carries.
#[derive(InputObject, Serialize)]
pub struct BadgeClassContentInput {
    pub pathway_id: ID,
    pub name: String,
    pub description: String,
    pub skill_type: GqlSkillType,
    pub criteria_narrative: String,
    pub expected_evidence: String,
    /// A reference to the image asset (a content hash or a path in the asset store).
    pub image_ref: String,
    /// Months an award stays valid; `null` for badges that do not expire.
    pub validity_months: Option<i32>,
}

impl BadgeClassContentInput {
    fn content(&self) -> async_graphql::Result<BadgeClassContent> {
        let validity_months = self
            .validity_months
            .map(|months| {
                u32::try_from(months).map_err(|_| {
                    coded(
                        "validityMonths is a number of months",
                        ErrorCode::BadUserInput,
                    )
                })
            })
            .transpose()?;
        Ok(BadgeClassContent {
            pathway_id: PathwayId(parse_id(&self.pathway_id, "pathwayId")?),
            name: self.name.clone(),
            description: self.description.clone(),
            skill_type: SkillType::from(self.skill_type),
            criteria_narrative: self.criteria_narrative.clone(),
            expected_evidence: self.expected_evidence.clone(),
            image_ref: self.image_ref.clone(),
            alignments: Vec::new(),
            validity_months,
        })
    }
}

#[derive(InputObject, Serialize)]
pub struct PublishBadgeClassInput {
    pub content: BadgeClassContentInput,
    /// True for the supporter badge only: its requests are validated at once.
    #[graphql(default)]
    pub automatic_validation: bool,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Serialize)]
pub struct ReviseBadgeClassInput {
    pub badge_class_id: ID,
    pub content: BadgeClassContentInput,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Serialize)]
pub struct RetireBadgeClassInput {
    pub badge_class_id: ID,
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct BadgeClassPayload {
    pub badge_class_id: ID,
    /// The current revision after the command.
    pub revision: i32,
    pub retired: bool,
    pub outcome: MutationOutcome,
}

fn badge_class_payload(
    badge_class_id: BadgeClassId,
    executed: &Executed<BadgeClass>,
) -> BadgeClassPayload {
    let snapshot = executed.state.snapshot();
    BadgeClassPayload {
        badge_class_id: ID(snapshot
            .as_ref()
            .map_or(badge_class_id, |snapshot| snapshot.badge_class_id)
            .to_string()),
        revision: snapshot
            .as_ref()
            .map_or(0, |snapshot| snapshot.current_revision as i32),
        retired: snapshot.as_ref().is_some_and(|snapshot| snapshot.retired),
        outcome: MutationOutcome::of(executed),
    }
}

/// A structure's criterion for a badge class (step 1 of the brochure).
#[derive(InputObject, Serialize)]
pub struct CriterionInput {
    /// e.g. "a passé la période d'essai".
    pub criterion: String,
    /// e.g. "copie du contrat, données personnelles masquées".
    pub evidence: String,
    /// Who may decide on a request under systematic validation.
    pub evaluator_roles: Vec<GqlRole>,
    /// e.g. "après signature du renouvellement, demande avec le ou la conseiller·ère".
    pub process: String,
}

impl CriterionInput {
    fn definition(&self) -> CriterionDefinition {
        CriterionDefinition {
            criterion: self.criterion.clone(),
            evidence: self.evidence.clone(),
            evaluator_roles: roles(&self.evaluator_roles),
            process: self.process.clone(),
        }
    }
}

#[derive(InputObject, Serialize)]
pub struct AdoptBadgeClassInput {
    pub badge_class_id: ID,
    pub criterion: CriterionInput,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Serialize)]
pub struct SetValidationModeInput {
    pub badge_class_id: ID,
    pub mode: GqlValidationMode,
    /// Required for committee validation: a committee of the network that serves the structure.
    pub committee_id: Option<ID>,
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct AdoptionPayload {
    pub badge_class_id: ID,
    pub adopted: bool,
    pub validation: Option<ValidationView>,
    pub outcome: MutationOutcome,
}

fn adoption_payload(
    badge_class_id: BadgeClassId,
    executed: &Executed<Adoption>,
) -> AdoptionPayload {
    AdoptionPayload {
        badge_class_id: ID(badge_class_id.to_string()),
        adopted: executed.state.is_adopted(),
        validation: executed.state.validation_mode().map(ValidationView::from),
        outcome: MutationOutcome::of(executed),
    }
}

/// A badge class of the caller's network as a command needs it (from the class's own stream
/// in the network's tenant: the log, not a read model).
async fn badge_class_snapshot(
    ctx: &Context<'_>,
    network: TenantId,
    badge_class_id: BadgeClassId,
) -> async_graphql::Result<ecusson_domain::BadgeClassSnapshot> {
    let class = api(ctx)
        .ledger
        .load::<BadgeClass>(network, &stream(BadgeClass::stream_name(badge_class_id))?)
        .await
        .map_err(graphql_error)?;
    class.state.snapshot().ok_or_else(|| {
        graphql_error(AppError::Domain(DomainError::NotFound(format!(
            "badge class {badge_class_id} is not in the network's catalogue"
        ))))
    })
}

/// What an organisation does for the network's badges.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize)]
#[graphql(name = "OrganisationKind", remote = "ecusson_domain::OrganisationKind")]
pub enum GqlOrganisationKind {
    /// Entreprise accueillante: gives recommendations.
    HostCompany,
    /// Réseau, collectivité, fédération, coopérative: gives endorsements.
    EndorsingOrganisation,
}

#[derive(InputObject, Serialize)]
pub struct RegisterOrganisationInput {
    pub kind: GqlOrganisationKind,
    /// The organisation's name (not personal data).
    pub name: String,
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct OrganisationPayload {
    pub organisation_id: ID,
    pub outcome: MutationOutcome,
}

#[derive(InputObject, Serialize)]
pub struct FormCommitteeInput {
    /// The structures whose requests it decides (one, or several for a pooled committee).
    pub structure_ids: Vec<ID>,
    pub member_ids: Vec<ID>,
    pub quorum: i32,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Serialize)]
pub struct ChangeCommitteeMembershipInput {
    pub committee_id: ID,
    pub member_ids: Vec<ID>,
    pub quorum: i32,
    pub idempotency_key: Option<String>,
}

/// An attribution committee of the network.
#[derive(SimpleObject)]
pub struct CommitteeView {
    pub committee_id: ID,
    pub structure_ids: Vec<ID>,
    pub member_ids: Vec<ID>,
    pub quorum: i32,
}

#[derive(SimpleObject)]
pub struct CommitteePayload {
    pub committee: Option<CommitteeView>,
    pub outcome: MutationOutcome,
}

impl From<ecusson_domain::CommitteeSnapshot> for CommitteeView {
    fn from(committee: ecusson_domain::CommitteeSnapshot) -> Self {
        Self {
            committee_id: ID(committee.committee_id.to_string()),
            structure_ids: ids(&committee.structures),
            member_ids: ids(&committee.members),
            quorum: i32::from(committee.quorum),
        }
    }
}

fn committee_payload(committee_id: CommitteeId, executed: &Executed<Network>) -> CommitteePayload {
    CommitteePayload {
        committee: executed
            .state
            .committee(committee_id)
            .map(CommitteeView::from),
        outcome: MutationOutcome::of(executed),
    }
}

fn ids(values: &[impl ToString]) -> Vec<ID> {
    values.iter().map(|value| ID(value.to_string())).collect()
}

fn parse_ids(values: &[ID], what: &str) -> async_graphql::Result<Vec<Uuid>> {
    values.iter().map(|value| parse_id(value, what)).collect()
}

fn quorum(value: i32) -> async_graphql::Result<u16> {
    u16::try_from(value)
        .map_err(|_| coded("quorum is a number of members", ErrorCode::BadUserInput))
}

#[derive(InputObject, Serialize)]
pub struct EnrolWorkerInput {
    /// The worker's person id (their personal data goes to the vault, never here).
    pub earner_id: ID,
    /// The day the pathway began (YYYY-MM-DD).
    pub enrolled_on: chrono::NaiveDate,
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct EnrolWorkerPayload {
    pub earner_id: ID,
    pub outcome: MutationOutcome,
}

fn roles(roles: &[GqlRole]) -> Vec<Role> {
    roles.iter().map(|role| (*role).into()).collect()
}

/// Runs a roster command about `person_id` and answers with their membership after it.
async fn staff_command(
    ctx: &Context<'_>,
    meta: RequestMeta,
    person_id: PersonId,
    command: StaffCommand,
) -> async_graphql::Result<StaffPayload> {
    let executed = run::<Staff>(ctx, Staff::stream_name(), meta, command).await?;
    Ok(StaffPayload {
        member: member(&executed.state, person_id),
        outcome: MutationOutcome::of(&executed),
    })
}

fn member(staff: &Staff, person_id: PersonId) -> Option<StaffMember> {
    let roles = staff.roles_of(person_id);
    (!roles.is_empty()).then(|| StaffMember {
        person_id: ID(person_id.to_string()),
        roles: roles.iter().map(|role| (*role).into()).collect(),
    })
}

#[Object]
impl MutationRoot {
    /// Appoints a person to the caller's tenant with the given staff roles.
    async fn appoint_staff(
        &self,
        ctx: &Context<'_>,
        input: AppointStaffInput,
    ) -> async_graphql::Result<StaffPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let person_id = PersonId(parse_id(&input.person_id, "personId")?);
        let command = StaffCommand::Appoint {
            person_id,
            roles: roles(&input.roles),
        };
        staff_command(ctx, meta, person_id, command).await
    }

    /// Replaces a staff member's roles.
    async fn change_staff_roles(
        &self,
        ctx: &Context<'_>,
        input: ChangeStaffRolesInput,
    ) -> async_graphql::Result<StaffPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let person_id = PersonId(parse_id(&input.person_id, "personId")?);
        let command = StaffCommand::ChangeRoles {
            person_id,
            roles: roles(&input.roles),
        };
        staff_command(ctx, meta, person_id, command).await
    }

    /// Records that a person left the caller's staff.
    async fn record_staff_departure(
        &self,
        ctx: &Context<'_>,
        input: RecordStaffDepartureInput,
    ) -> async_graphql::Result<StaffPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let person_id = PersonId(parse_id(&input.person_id, "personId")?);
        let command = StaffCommand::RecordDeparture { person_id };
        staff_command(ctx, meta, person_id, command).await
    }

    /// Registers the caller's tenant as a regional network.
    async fn register_network(
        &self,
        ctx: &Context<'_>,
        input: RegisterNetworkInput,
    ) -> async_graphql::Result<NetworkPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let network_id = principal(ctx)?.tenant;
        let command = NetworkCommand::RegisterNetwork {
            network_id,
            name: input.name,
        };
        let executed = run::<Network>(ctx, Network::stream_name(), meta, command).await?;
        Ok(NetworkPayload {
            network_id: ID(network_id.to_string()),
            outcome: MutationOutcome::of(&executed),
        })
    }

    /// Admits a member structure (a tenant of its own) to the caller's network.
    async fn admit_structure(
        &self,
        ctx: &Context<'_>,
        input: AdmitStructureInput,
    ) -> async_graphql::Result<AdmitStructurePayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let structure_id = TenantId(parse_id(&input.structure_id, "structureId")?);
        let kind: StructureKind = input.kind.into();
        let name = input.name.clone();
        let command = NetworkCommand::AdmitStructure {
            structure_id,
            kind,
            name: input.name,
        };
        let executed = run::<Network>(ctx, Network::stream_name(), meta, command).await?;
        Ok(AdmitStructurePayload {
            structure: MemberStructure {
                structure_id: ID(structure_id.to_string()),
                kind: kind.into(),
                name: Some(name),
            },
            outcome: MutationOutcome::of(&executed),
        })
    }

    /// Publishes a badge class in the caller's network catalogue (revision 1).
    async fn publish_badge_class(
        &self,
        ctx: &Context<'_>,
        input: PublishBadgeClassInput,
    ) -> async_graphql::Result<BadgeClassPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let badge_class_id = BadgeClassId::new();
        let command = BadgeClassCommand::Publish {
            badge_class_id,
            content: input.content.content()?,
            automatic_validation: input.automatic_validation,
        };
        let executed =
            run::<BadgeClass>(ctx, BadgeClass::stream_name(badge_class_id), meta, command).await?;
        Ok(badge_class_payload(badge_class_id, &executed))
    }

    /// Publishes a new revision of a badge class; awards already made keep their revision.
    async fn revise_badge_class(
        &self,
        ctx: &Context<'_>,
        input: ReviseBadgeClassInput,
    ) -> async_graphql::Result<BadgeClassPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let badge_class_id = BadgeClassId(parse_id(&input.badge_class_id, "badgeClassId")?);
        let command = BadgeClassCommand::Revise {
            badge_class_id,
            content: input.content.content()?,
        };
        let executed =
            run::<BadgeClass>(ctx, BadgeClass::stream_name(badge_class_id), meta, command).await?;
        Ok(badge_class_payload(badge_class_id, &executed))
    }

    /// Retires a badge class: no new request, adoption or endorsement; awards stay valid.
    async fn retire_badge_class(
        &self,
        ctx: &Context<'_>,
        input: RetireBadgeClassInput,
    ) -> async_graphql::Result<BadgeClassPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let badge_class_id = BadgeClassId(parse_id(&input.badge_class_id, "badgeClassId")?);
        let command = BadgeClassCommand::Retire { badge_class_id };
        let executed =
            run::<BadgeClass>(ctx, BadgeClass::stream_name(badge_class_id), meta, command).await?;
        Ok(badge_class_payload(badge_class_id, &executed))
    }

    /// The caller's structure adopts a badge class of its network's catalogue, with its own
    /// criterion, evidence, evaluators and process.
    async fn adopt_badge_class(
        &self,
        ctx: &Context<'_>,
        input: AdoptBadgeClassInput,
    ) -> async_graphql::Result<AdoptionPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let principal = principal(ctx)?;
        let badge_class_id = BadgeClassId(parse_id(&input.badge_class_id, "badgeClassId")?);
        let network = network_of(ctx, principal).await?;
        let command = AdoptionCommand::Adopt {
            badge_class: badge_class_snapshot(ctx, network, badge_class_id).await?,
            criterion: input.criterion.definition(),
        };
        let executed =
            run::<Adoption>(ctx, Adoption::stream_name(badge_class_id), meta, command).await?;
        Ok(adoption_payload(badge_class_id, &executed))
    }

    /// Chooses how the caller's structure validates requests for an adopted badge class.
    async fn set_validation_mode(
        &self,
        ctx: &Context<'_>,
        input: SetValidationModeInput,
    ) -> async_graphql::Result<AdoptionPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let principal = principal(ctx)?;
        let badge_class_id = BadgeClassId(parse_id(&input.badge_class_id, "badgeClassId")?);
        let validation = match (input.mode, &input.committee_id) {
            (GqlValidationMode::Systematic, None) => ValidationSetting::Systematic,
            (GqlValidationMode::Committee, Some(committee_id)) => {
                let committee_id = CommitteeId(parse_id(committee_id, "committeeId")?);
                let network = network_of(ctx, principal).await?;
                let network_state = api(ctx)
                    .ledger
                    .load::<Network>(network, &stream(Network::stream_name())?)
                    .await
                    .map_err(graphql_error)?;
                let committee = network_state.state.committee(committee_id).ok_or_else(|| {
                    coded(
                        format!("committee {committee_id} is not a committee of the network"),
                        ErrorCode::NotFound,
                    )
                })?;
                ValidationSetting::Committee(committee)
            }
            (GqlValidationMode::Systematic, Some(_)) => {
                return Err(coded(
                    "systematic validation names no committee",
                    ErrorCode::BadUserInput,
                ))
            }
            (GqlValidationMode::Committee, None) => {
                return Err(coded(
                    "committee validation needs a committeeId",
                    ErrorCode::BadUserInput,
                ))
            }
        };
        let command = AdoptionCommand::SetValidationMode {
            badge_class_id,
            validation,
        };
        let executed =
            run::<Adoption>(ctx, Adoption::stream_name(badge_class_id), meta, command).await?;
        Ok(adoption_payload(badge_class_id, &executed))
    }

    /// Registers a host company or an endorsing organisation with the caller's network.
    async fn register_organisation(
        &self,
        ctx: &Context<'_>,
        input: RegisterOrganisationInput,
    ) -> async_graphql::Result<OrganisationPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let organisation_id = OrganisationId::new();
        let command = NetworkCommand::RegisterOrganisation {
            organisation_id,
            kind: OrganisationKind::from(input.kind),
            name: input.name,
        };
        let executed = run::<Network>(ctx, Network::stream_name(), meta, command).await?;
        // An idempotent retry answers with the organisation the first attempt registered.
        let organisation_id = executed
            .events
            .iter()
            .find_map(|event| match event {
                ecusson_domain::DomainEvent::OrganisationRegistered(registered) => {
                    Some(registered.organisation_id)
                }
                _ => None,
            })
            .unwrap_or(organisation_id);
        Ok(OrganisationPayload {
            organisation_id: ID(organisation_id.to_string()),
            outcome: MutationOutcome::of(&executed),
        })
    }

    /// Forms an attribution committee of the caller's network for one or several structures.
    async fn form_committee(
        &self,
        ctx: &Context<'_>,
        input: FormCommitteeInput,
    ) -> async_graphql::Result<CommitteePayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let committee_id = CommitteeId::new();
        let command = NetworkCommand::FormCommittee {
            committee_id,
            structures: parse_ids(&input.structure_ids, "structureIds")?
                .into_iter()
                .map(TenantId)
                .collect(),
            members: parse_ids(&input.member_ids, "memberIds")?
                .into_iter()
                .map(PersonId)
                .collect(),
            quorum: quorum(input.quorum)?,
        };
        let executed = run::<Network>(ctx, Network::stream_name(), meta, command).await?;
        let committee_id = executed
            .events
            .iter()
            .find_map(|event| match event {
                ecusson_domain::DomainEvent::CommitteeFormed(formed) => Some(formed.committee_id),
                _ => None,
            })
            .unwrap_or(committee_id);
        Ok(committee_payload(committee_id, &executed))
    }

    /// Replaces a committee's members and quorum.
    async fn change_committee_membership(
        &self,
        ctx: &Context<'_>,
        input: ChangeCommitteeMembershipInput,
    ) -> async_graphql::Result<CommitteePayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let committee_id = CommitteeId(parse_id(&input.committee_id, "committeeId")?);
        let command = NetworkCommand::ChangeCommitteeMembership {
            committee_id,
            members: parse_ids(&input.member_ids, "memberIds")?
                .into_iter()
                .map(PersonId)
                .collect(),
            quorum: quorum(input.quorum)?,
        };
        let executed = run::<Network>(ctx, Network::stream_name(), meta, command).await?;
        Ok(committee_payload(committee_id, &executed))
    }

    /// Enrols a worker in the caller's structure (the start of their pathway).
    async fn enrol_worker(
        &self,
        ctx: &Context<'_>,
        input: EnrolWorkerInput,
    ) -> async_graphql::Result<EnrolWorkerPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let earner_id = PersonId(parse_id(&input.earner_id, "earnerId")?);
        let command = EarnerCommand::Enrol {
            earner_id,
            enrolled_on: input.enrolled_on,
        };
        let executed = run::<Earner>(ctx, Earner::stream_name(earner_id), meta, command).await?;
        Ok(EnrolWorkerPayload {
            earner_id: ID(earner_id.to_string()),
            outcome: MutationOutcome::of(&executed),
        })
    }

    /// Defines a pathway of the caller's network catalogue.
    async fn define_pathway(
        &self,
        ctx: &Context<'_>,
        input: DefinePathwayInput,
    ) -> async_graphql::Result<DefinePathwayPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let rank = u8::try_from(input.rank)
            .map_err(|_| coded("a pathway rank is 1, 2 or 3", ErrorCode::BadUserInput))?;
        // The id is drawn here, not in the domain; an idempotent retry gets the first one.
        let pathway_id = PathwayId::new();
        let command = PathwayCommand::Define {
            pathway_id,
            rank,
            name: input.name,
            description: input.description,
        };
        let executed = run::<Pathway>(ctx, Pathway::stream_name(pathway_id), meta, command).await?;
        let pathway_id = executed
            .state
            .definition()
            .map_or(pathway_id, |defined| defined.pathway_id);
        Ok(DefinePathwayPayload {
            pathway_id: ID(pathway_id.to_string()),
            outcome: MutationOutcome::of(&executed),
        })
    }
}
