//! Queries over the aggregates and the read models.

use super::relay::{Connection, Edge};
use super::*;

#[derive(Default)]
pub struct CoreQueries;

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
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize)]
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

/// A badge request as the queue shows it: people are ids; the evidence, personal data, is read
/// from the worker's vault only when asked for.
#[derive(SimpleObject)]
#[graphql(complex)]
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
    /// The structure whose log holds the request (the caller's own, or one its committee
    /// serves: only those reach a view).
    #[graphql(skip)]
    tenant: TenantId,
}

#[async_graphql::ComplexObject]
impl RequestView {
    /// The evidence sent with the request and added while it was pending, for whoever decides
    /// (from the worker's record in the log, contents from the vault).
    async fn evidence(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::earner::EvidenceView>> {
        let earner_id = PersonId(parse_id(&self.earner_id, "earnerId")?);
        let request_id = ecusson_domain::RequestId(parse_id(&self.request_id, "requestId")?);
        super::earner::request_evidence(ctx, self.tenant, earner_id, request_id).await
    }
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
            tenant: entry.tenant_id,
        }
    }
}

/// One committee and the requests before it.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct CommitteeAgenda {
    pub committee: CommitteeView,
    #[graphql(skip)]
    snapshot: ecusson_domain::CommitteeSnapshot,
    #[graphql(skip)]
    state: Option<GqlRequestState>,
}

#[async_graphql::ComplexObject]
impl CommitteeAgenda {
    /// The committee's requests across the structures it serves, oldest first, as a Relay
    /// connection: `first` (at most 100, default 20) after the cursor `after`.
    async fn requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<RequestView>> {
        let (first, _) = super::earner::page(first, None)?;
        let after = after.map(|cursor| committee_cursor(&cursor)).transpose()?;
        let mut transaction = read_models(ctx).await?;
        let mut entries = ecusson_projections::request_queue_for_committee(
            transaction.as_mut(),
            self.snapshot.committee_id,
            &self.snapshot.structures,
            self.state.map(Into::into),
            first + 1,
            after.as_ref(),
        )
        .await
        .map_err(projection_error)?;
        let has_next = entries.len() > first;
        entries.truncate(first);
        let mut connection = Connection::new(after.is_some(), has_next);
        connection.extend(entries.into_iter().map(|entry| {
            let cursor = format!(
                "{}|{}|{}",
                entry
                    .requested_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                entry.tenant_id,
                entry.request_id
            );
            Edge::new(cursor, RequestView::from(entry))
        }));
        Ok(connection)
    }
}

/// Reads a cursor of a committee's agenda: `requested_at|tenant|request`.
fn committee_cursor(
    cursor: &str,
) -> async_graphql::Result<ecusson_projections::CommitteeQueueCursor> {
    let invalid = || {
        coded(
            "after is not a cursor of this connection",
            ErrorCode::BadUserInput,
        )
    };
    let mut parts = cursor.split('|');
    let (Some(at), Some(tenant), Some(request), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    Ok(ecusson_projections::CommitteeQueueCursor {
        requested_at: chrono::DateTime::parse_from_rfc3339(at)
            .map_err(|_| invalid())?
            .with_timezone(&chrono::Utc),
        tenant_id: TenantId(Uuid::parse_str(tenant).map_err(|_| invalid())?),
        request_id: ecusson_domain::RequestId(Uuid::parse_str(request).map_err(|_| invalid())?),
    })
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
impl CoreQueries {
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
    /// `first` (at most 100, default 20) after the cursor `after`, optionally in one `state`,
    /// for the badge classes of one `pathwayId`, or routed to one `committeeId`.
    /// `atLeast`: wait until the read models include this sequence of the caller's tenant.
    #[allow(clippy::too_many_arguments)]
    async fn request_queue(
        &self,
        ctx: &Context<'_>,
        state: Option<GqlRequestState>,
        pathway_id: Option<ID>,
        committee_id: Option<ID>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
        at_least: Option<i64>,
    ) -> async_graphql::Result<Connection<RequestView>> {
        let principal = principal(ctx)?;
        if !QUEUE_READERS.iter().any(|role| principal.has_role(*role)) {
            return Err(coded(
                "the request queue is read by the structure's staff",
                ErrorCode::Forbidden,
            ));
        }
        let (first, after_seq) = super::earner::page(first, after)?;
        let pathway_id: Option<PathwayId> = parse_optional_id(pathway_id.as_ref(), "pathwayId")?;
        let committee: Option<CommitteeId> =
            parse_optional_id(committee_id.as_ref(), "committeeId")?;
        wait_for_own_writes(ctx, principal.tenant, at_least).await?;
        let badge_classes = match pathway_id {
            None => None,
            Some(pathway_id) => {
                let network = network_of(ctx, principal).await?;
                let mut transaction = read_models(ctx).await?;
                let catalogue = ecusson_projections::catalogue(transaction.as_mut(), network, None)
                    .await
                    .map_err(projection_error)?;
                Some(
                    catalogue
                        .badge_classes
                        .iter()
                        .filter(|entry| entry.badge_class.pathway_id == pathway_id)
                        .map(|entry| entry.badge_class.badge_class_id)
                        .collect(),
                )
            }
        };
        let filter = ecusson_projections::QueueFilter {
            state: state.map(Into::into),
            badge_classes,
            committee,
        };
        let mut transaction = read_models(ctx).await?;
        // One more than asked: tells whether there is a next page.
        let mut entries = ecusson_projections::request_queue_for_structure(
            transaction.as_mut(),
            principal.tenant,
            &filter,
            first + 1,
            after_seq,
        )
        .await
        .map_err(projection_error)?;
        let has_next = entries.len() > first;
        entries.truncate(first);
        let mut connection = Connection::new(after_seq.is_some(), has_next);
        connection.extend(
            entries
                .into_iter()
                .map(|entry| Edge::new(entry.requested_seq.to_string(), RequestView::from(entry))),
        );
        Ok(connection)
    }

    /// The agenda of the committees the caller sits on, each with its requests across every
    /// structure it serves, optionally in one `state` (default: pending, what a committee has
    /// to decide). `fresh`: first wait until the read models include every event appended to
    /// those structures before this query (a member's votes are written in the structures'
    /// logs, not in the member's own).
    async fn committee_agenda(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(GqlRequestState::Pending)")] state: Option<GqlRequestState>,
        #[graphql(default)] fresh: bool,
    ) -> async_graphql::Result<Vec<CommitteeAgenda>> {
        let principal = principal(ctx)?;
        if !principal.has_role(Role::CommitteeMember) {
            return Err(coded(
                "the agenda is read by committee members",
                ErrorCode::Forbidden,
            ));
        }
        let network = network_of(ctx, principal).await?;
        let network_state = api(ctx)
            .ledger
            .load::<Network>(network, &stream(Network::stream_name())?)
            .await
            .map_err(graphql_error)?;
        let committees = network_state.state.committees_of_member(principal.subject);
        if fresh {
            let served: std::collections::BTreeSet<TenantId> = committees
                .iter()
                .flat_map(|committee| committee.structures.iter().copied())
                .collect();
            for structure in served {
                wait_for_head(ctx, structure).await?;
            }
        }
        Ok(committees
            .into_iter()
            .map(|committee| CommitteeAgenda {
                committee: CommitteeView::from(committee.clone()),
                snapshot: committee,
                state,
            })
            .collect())
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
