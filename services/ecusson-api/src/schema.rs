//! The GraphQL schema: queries over the aggregates and read models, one mutation per domain
//! command, a subscription to the tenant's new events. The tenant always comes from the token,
//! never from an argument.

use crate::auth::Principal;
use crate::error::{coded, graphql_error};
pub(crate) mod audit;
mod catalogue;
mod credentials;
mod earner;
pub(crate) mod employability;
mod organisation;
pub(crate) mod personal_data;
mod queries;
mod relay;
pub(crate) mod reports;
mod scalars;
mod subscription;

pub use catalogue::*;
pub use credentials::*;
pub use earner::*;
pub use organisation::*;
pub use queries::*;
pub use subscription::*;

use async_graphql::{Context, Enum, InputObject, MergedObject, Object, Schema, SimpleObject, ID};
use ecusson_app::{AppError, ErrorCode, Executed, Ledger, Loaded, Position, RequestMeta};
use ecusson_domain::{
    Actor, Adoption, AdoptionCommand, Aggregate, BadgeClass, BadgeClassCommand, BadgeClassContent,
    BadgeClassId, CommitteeId, CriterionDefinition, DomainError, Earner, EarnerCommand, Network,
    NetworkCommand, OrganisationId, OrganisationKind, Pathway, PathwayCommand, PathwayId, PersonId,
    Role, SkillType, Staff, StaffCommand, StructureKind, TenantId, ValidationMode,
    ValidationSetting,
};
use ecusson_projections::ProjectionEngine;
use ecusson_store::{IdempotencyKey, SealedEntry, StreamId, Vault};
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::Notify;
use uuid::Uuid;

pub type EcussonSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

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
    /// Personal data (evidence, notes, testimonies, addresses) goes here, never into events.
    pub vault: Vault,
    /// Where the ledger is published: the URLs credentials and public pages name.
    pub site: ecusson_app::credentials::PublicSite,
}

/// How long a query waits for the read models to reach its `atLeast` position.
const READ_YOUR_WRITES_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

pub fn build_schema(context: ApiContext) -> EcussonSchema {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .data(context)
    .data(NetworkOfStructure::default())
    .data(KnownStreams::default())
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    .finish()
}

/// The schema without data, for printing the SDL.
pub fn sdl() -> String {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
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
    /// A host company's tutor or manager who recommends workers.
    Recommender,
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
    wait_until(ctx, tenant, seq).await
}

/// Waits until every projection has applied `tenant`'s event at `seq`.
async fn wait_until(ctx: &Context<'_>, tenant: TenantId, seq: u64) -> async_graphql::Result<()> {
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

/// Waits until the read models include everything appended to `tenant` so far.
async fn wait_for_head(ctx: &Context<'_>, tenant: TenantId) -> async_graphql::Result<()> {
    let head = api(ctx)
        .ledger
        .store()
        .tenant_head(tenant)
        .await
        .map_err(|error| graphql_error(AppError::from(error)))?;
    match head {
        None => Ok(()),
        Some(head) => wait_until(ctx, tenant, head.seq).await,
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

/// The network of each structure seen so far. A structure is admitted once, by one network,
/// and never moves: what the directory said stays true, so it is asked once per structure.
#[derive(Default)]
struct NetworkOfStructure(std::sync::RwLock<std::collections::HashMap<TenantId, TenantId>>);

impl NetworkOfStructure {
    fn get(&self, structure: TenantId) -> Option<TenantId> {
        self.0
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&structure)
            .copied()
    }

    fn insert(&self, structure: TenantId, network: TenantId) {
        self.0
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(structure, network);
    }
}

/// Streams seen to exist, per tenant. The log is append-only: a stream that has an event
/// keeps it (an erased worker's stream too), so "this stream exists" stays true once seen,
/// and [`require_stream`] asks the log once per stream and process instead of once per
/// request. Bounded: past [`KnownStreams::CAPACITY`] entries the set starts again empty.
#[derive(Default)]
struct KnownStreams(std::sync::RwLock<std::collections::HashSet<(TenantId, String)>>);

impl KnownStreams {
    const CAPACITY: usize = 100_000;

    fn contains(&self, tenant: TenantId, stream_name: &str) -> bool {
        self.0
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .contains(&(tenant, stream_name.to_owned()))
    }

    fn insert(&self, tenant: TenantId, stream_name: &str) {
        let mut known = self
            .0
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if known.len() >= Self::CAPACITY {
            known.clear();
        }
        known.insert((tenant, stream_name.to_owned()));
    }
}

/// The network whose catalogue and committees the caller works with: its own tenant for the
/// network's people (staff, supporters), the network that admitted it for a structure (from
/// the directory).
async fn network_of(ctx: &Context<'_>, principal: &Principal) -> async_graphql::Result<TenantId> {
    if principal.has_role(Role::NetworkAdmin) {
        return Ok(principal.tenant);
    }
    let known = ctx.data_unchecked::<NetworkOfStructure>();
    if let Some(network) = known.get(principal.tenant) {
        return Ok(network);
    }
    let mut transaction = read_models(ctx).await?;
    let entry = ecusson_projections::directory::structure(transaction.as_mut(), principal.tenant)
        .await
        .map_err(projection_error)?;
    drop(transaction);
    if let Some(entry) = entry {
        known.insert(principal.tenant, entry.network_id);
        return Ok(entry.network_id);
    }
    let own = api(ctx)
        .ledger
        .load::<Network>(principal.tenant, &stream(Network::stream_name())?)
        .await
        .map_err(graphql_error)?;
    if own.state.network_id() == Some(principal.tenant) {
        return Ok(principal.tenant);
    }
    Err(coded(
        "this structure is not (yet) admitted to a network",
        ErrorCode::NotFound,
    ))
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
    // Funders read aggregates; they never write. Refused before anything is looked up.
    if let Some(principal) = ctx.data_opt::<Principal>() {
        if principal.roles.iter().all(|role| *role == Role::Funder) {
            return Err(coded(
                "a funder's access is read-only",
                ErrorCode::Forbidden,
            ));
        }
    }
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

/// Answers NOT_FOUND unless `stream_name` exists in `tenant`. Commands about an existing
/// object check this before anything else, roles included: the object of another tenant must
/// look exactly like one that does not exist.
async fn require_stream(
    ctx: &Context<'_>,
    tenant: TenantId,
    stream_name: &str,
    what: impl std::fmt::Display + Send,
) -> async_graphql::Result<()> {
    let known = ctx.data_unchecked::<KnownStreams>();
    if known.contains(tenant, stream_name) {
        return Ok(());
    }
    let version = api(ctx)
        .ledger
        .store()
        .stream_version(tenant, &stream(stream_name.to_owned())?)
        .await
        .map_err(|error| graphql_error(AppError::from(error)))?;
    if version == 0 {
        return Err(coded(format!("{what} not found"), ErrorCode::NotFound));
    }
    known.insert(tenant, stream_name);
    Ok(())
}

/// [`run`] for a command about an existing object (see [`require_stream`]).
async fn run_existing<A: Aggregate>(
    ctx: &Context<'_>,
    stream_name: String,
    what: impl std::fmt::Display + Send,
    meta: RequestMeta,
    command: A::Command,
) -> async_graphql::Result<Executed<A>>
where
    A::Command: Clone,
{
    require_stream(ctx, principal(ctx)?.tenant, &stream_name, what).await?;
    run::<A>(ctx, stream_name, meta, command).await
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
    let tenant = principal(ctx)?.tenant;
    run_in::<A>(ctx, tenant, stream_name, meta, command).await
}

/// Runs a command on a stream of `tenant`: the caller's own tenant, or one its token gives it
/// a reach into (a structure that the caller's committee serves), and wakes the projections.
async fn run_in<A: Aggregate>(
    ctx: &Context<'_>,
    tenant: TenantId,
    stream_name: String,
    meta: RequestMeta,
    command: A::Command,
) -> async_graphql::Result<Executed<A>>
where
    A::Command: Clone,
{
    run_from::<A>(ctx, tenant, stream_name, meta, None, command).await
}

/// [`run_in`] with the aggregate already loaded for the first attempt (see
/// [`ecusson_app::Ledger::execute_from`]).
async fn run_from<A: Aggregate>(
    ctx: &Context<'_>,
    tenant: TenantId,
    stream_name: String,
    meta: RequestMeta,
    first: Option<Loaded<A>>,
    command: A::Command,
) -> async_graphql::Result<Executed<A>>
where
    A::Command: Clone,
{
    run_from_ledger(ctx, tenant, stream_name, meta, first, command)
        .await?
        .map_err(graphql_error)
}

/// [`run_from`], with the ledger's error as it is, for a caller that handles some of them
/// (deciding again when its inputs changed, say).
async fn run_from_ledger<A: Aggregate>(
    ctx: &Context<'_>,
    tenant: TenantId,
    stream_name: String,
    meta: RequestMeta,
    first: Option<Loaded<A>>,
    command: A::Command,
) -> async_graphql::Result<Result<Executed<A>, AppError>>
where
    A::Command: Clone,
{
    let principal = principal(ctx)?;
    let api = api(ctx);
    let executed = api
        .ledger
        .execute_from::<A, _>(
            &actor(principal),
            tenant,
            &stream(stream_name)?,
            &meta,
            first,
            |_| Ok(command.clone()),
        )
        .await;
    if matches!(&executed, Ok(executed) if executed.position.is_some()) {
        api.wake.notify_waiters();
    }
    Ok(executed)
}

/// How many times a command decided on shared aggregates held in memory is decided again when
/// one of them changed before its append (each later attempt reads them afresh).
const INPUT_ATTEMPTS: u32 = 3;

// ---------------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------------

/// Every query.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    CoreQueries,
    EarnerQueries,
    audit::AuditQueries,
    personal_data::PersonalDataQueries,
    personal_data::PersonalDataExportQueries,
    reports::ReportQueries,
    reports::ProgrammeQueries,
    employability::EmployabilityQueries,
);

/// Every mutation, one object per part of the domain.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    OrganisationMutations,
    CatalogueMutations,
    EarnerMutations,
    CredentialMutations,
    personal_data::PersonalDataMutations,
    employability::EmployabilityMutations,
);

/// The id a command created: the one its events name (an idempotent retry answers with the
/// first attempt's), else the one drawn for this attempt.
fn created<A, T: Copy>(
    executed: &Executed<A>,
    drawn: T,
    pick: impl Fn(&ecusson_domain::DomainEvent) -> Option<T>,
) -> T {
    executed.events.iter().find_map(pick).unwrap_or(drawn)
}

/// Parses an optional id argument.
fn parse_optional_id<T: From<Uuid>>(
    id: Option<&ID>,
    what: &str,
) -> async_graphql::Result<Option<T>> {
    id.map(|id| parse_id(id, what).map(T::from)).transpose()
}

fn ids(values: &[impl ToString]) -> Vec<ID> {
    values.iter().map(|value| ID(value.to_string())).collect()
}

fn parse_ids(values: &[ID], what: &str) -> async_graphql::Result<Vec<Uuid>> {
    values.iter().map(|value| parse_id(value, what)).collect()
}

fn roles(roles: &[GqlRole]) -> Vec<Role> {
    roles.iter().map(|role| (*role).into()).collect()
}

#[cfg(test)]
mod tests {
    use super::KnownStreams;
    use ecusson_domain::TenantId;

    #[test]
    fn a_known_stream_is_known_in_its_own_tenant_only() {
        let known = KnownStreams::default();
        let (tenant, other) = (TenantId::new(), TenantId::new());
        assert!(!known.contains(tenant, "earner-1"));
        known.insert(tenant, "earner-1");
        assert!(known.contains(tenant, "earner-1"));
        assert!(!known.contains(other, "earner-1"));
        assert!(!known.contains(tenant, "earner-2"));
    }

    #[test]
    fn the_known_streams_are_bounded() {
        let known = KnownStreams::default();
        let tenant = TenantId::new();
        for index in 0..KnownStreams::CAPACITY {
            known.insert(tenant, &format!("earner-{index}"));
        }
        assert!(known.contains(tenant, "earner-0"));
        // One more starts the set again: only the newest is known.
        known.insert(tenant, "earner-new");
        assert!(known.contains(tenant, "earner-new"));
        assert!(!known.contains(tenant, "earner-0"));
    }
}
