//! A worker's pathway: enrolment, requests, decisions and votes, evidence, recommendations,
//! revocation, expiry and exit; and the query that shows a worker's record.
//!
//! Personal data (evidence, notes, testimonies, a recommender's address) arrives in plain text,
//! is sealed for the vault of the person it is about (encrypted under their key) before the
//! command runs, and is written by the command's append, in its transaction; the events carry
//! only the vault reference. A refused command, or an earlier attempt with the same
//! idempotency key answering, writes none of it.

use super::relay::{Connection, Edge};
use super::*;
use async_graphql::ComplexObject;
use ecusson_domain::earner::{Award, EvidenceTarget, Request, RequestStatus, Verdict};
use ecusson_domain::input::{check_text, REFERENCE_MAX_CHARS, TEXT_MAX_CHARS};
use ecusson_domain::{
    AwardId, EmailAddress, Evidence, EvidenceId, Reason, RecommendationId, RequestBadge, RequestId,
    RequestMode, VaultEntryId, VaultRef,
};
use ecusson_store::VaultRead;

// ---------------------------------------------------------------------------------------------
// Enums
// ---------------------------------------------------------------------------------------------

/// What a piece of evidence is.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize)]
#[graphql(name = "EvidenceKind", remote = "ecusson_domain::EvidenceKind")]
pub enum GqlEvidenceKind {
    /// A document (its description or reference: a contract, an attestation...).
    Document,
    /// An address on the web (https://...).
    Link,
    /// An account in the worker's or the staff's words.
    Narrative,
    /// A photo (its description or reference).
    Photo,
}

/// Why a decision, a withdrawal or a revocation was made.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize)]
#[graphql(name = "ReasonCode", remote = "ecusson_domain::ReasonCode")]
pub enum GqlReasonCode {
    CriteriaMet,
    CriteriaNotMet,
    EvidenceInsufficient,
    RequestedByEarner,
    IssuedInError,
    Misconduct,
    Other,
}

/// An evaluator's verdict.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize)]
#[graphql(name = "Verdict", remote = "ecusson_domain::earner::Verdict")]
pub enum GqlVerdict {
    Approve,
    Refuse,
}

/// A committee member's vote.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize)]
#[graphql(name = "Vote", remote = "ecusson_domain::Vote")]
pub enum GqlVote {
    Approve,
    Refuse,
}

/// How a worker's pathway ended (sortie).
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize)]
#[graphql(name = "ExitOutcome", remote = "ecusson_domain::ExitOutcome")]
pub enum GqlExitOutcome {
    /// Emploi durable.
    DurableEmployment,
    /// Emploi de transition.
    TransitionEmployment,
    /// Formation qualifiante.
    QualifyingTraining,
    Other,
}

/// Where a recommendation stands.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(
    name = "RecommendationStatus",
    remote = "ecusson_domain::earner::RecommendationStatus"
)]
pub enum GqlRecommendationStatus {
    Asked,
    Given,
    Declined,
}

// ---------------------------------------------------------------------------------------------
// Personal data on its way to the vault
// ---------------------------------------------------------------------------------------------

/// Personal data a mutation brings: sealed for the vault (encrypted under the person's key)
/// before its command runs, and written by the command's append, in its transaction. A refused
/// command, or one answered from an earlier attempt, writes none of it.
pub(super) struct PendingData<'a> {
    vault: &'a Vault,
    tenant: TenantId,
    sealed: Vec<SealedEntry>,
}

impl<'a> PendingData<'a> {
    pub(super) fn new(ctx: &'a Context<'_>, tenant: TenantId) -> Self {
        Self {
            vault: &api(ctx).vault,
            tenant,
            sealed: Vec::new(),
        }
    }

    /// Seals a checked text for `person_id`'s vault.
    pub(super) async fn put(
        &mut self,
        person_id: PersonId,
        text: &str,
    ) -> async_graphql::Result<VaultRef> {
        let entry_id = VaultEntryId::new();
        let sealed = self
            .vault
            .seal_new(self.tenant, person_id, entry_id, text.as_bytes())
            .await
            .map_err(|error| graphql_error(AppError::from(error)))?;
        self.sealed.push(sealed);
        Ok(VaultRef {
            person_id,
            entry_id,
        })
    }

    async fn evidence(
        &mut self,
        earner_id: PersonId,
        input: &EvidenceInput,
    ) -> async_graphql::Result<Evidence> {
        input.check()?;
        Ok(Evidence {
            evidence_id: EvidenceId::new(),
            kind: input.kind.into(),
            content: self.put(earner_id, input.content.trim()).await?,
        })
    }

    async fn reason(
        &mut self,
        earner_id: PersonId,
        input: &ReasonInput,
    ) -> async_graphql::Result<Reason> {
        let note = match &input.note {
            None => None,
            Some(note) => {
                check_text("the reason's note", note, TEXT_MAX_CHARS).map_err(domain_error)?;
                Some(self.put(earner_id, note.trim()).await?)
            }
        };
        Ok(Reason {
            code: input.code.into(),
            note,
        })
    }
}

pub(super) fn domain_error(error: DomainError) -> async_graphql::Error {
    graphql_error(AppError::Domain(error))
}

/// Runs an earner command whose input carried personal data; its append writes that data.
pub(super) async fn run_with_data(
    ctx: &Context<'_>,
    data: PendingData<'_>,
    earner_id: PersonId,
    mut meta: RequestMeta,
    command: EarnerCommand,
) -> async_graphql::Result<Executed<Earner>> {
    meta.vault_entries = data.sealed;
    run_in::<Earner>(
        ctx,
        data.tenant,
        Earner::stream_name(earner_id),
        meta,
        command,
    )
    .await
}

/// Staff who support workers: they act for them and read their records.
pub(super) const SUPPORT_READERS: [Role; 4] = [
    Role::StructureAdmin,
    Role::Direction,
    Role::Counsellor,
    Role::TechnicalSupervisor,
];

/// The worker a mutation or query is about: `earnerId`, or the caller when they are a worker
/// and name nobody. A worker naming another worker learns nothing: not found.
pub(super) fn earner_of(
    principal: &Principal,
    earner_id: Option<&ID>,
) -> async_graphql::Result<PersonId> {
    let named: Option<PersonId> = parse_optional_id(earner_id, "earnerId")?;
    let is_worker_only = principal.has_role(Role::Earner)
        && !SUPPORT_READERS.iter().any(|role| principal.has_role(*role));
    match named {
        None if principal.has_role(Role::Earner) => Ok(principal.subject),
        None => Err(coded("earnerId is required", ErrorCode::BadUserInput)),
        Some(earner_id) if is_worker_only && earner_id != principal.subject => Err(coded(
            format!("earner {earner_id} not found"),
            ErrorCode::NotFound,
        )),
        Some(earner_id) => Ok(earner_id),
    }
}

/// Answers NOT_FOUND unless the worker is enrolled in `tenant` (see [`require_stream`]).
pub(super) async fn require_enrolled(
    ctx: &Context<'_>,
    tenant: TenantId,
    earner_id: PersonId,
) -> async_graphql::Result<()> {
    require_stream(
        ctx,
        tenant,
        &Earner::stream_name(earner_id),
        format!("earner {earner_id}"),
    )
    .await
}

/// Recommendations come from host companies' tutors and managers.
fn require_recommender(principal: &Principal) -> async_graphql::Result<()> {
    if principal.has_role(Role::Recommender) {
        Ok(())
    } else {
        Err(coded(
            "recommendations are given by a host company's recommender",
            ErrorCode::Forbidden,
        ))
    }
}

/// The worker's record as the log holds it now.
async fn load_earner(
    ctx: &Context<'_>,
    tenant: TenantId,
    earner_id: PersonId,
) -> async_graphql::Result<Earner> {
    let loaded = api(ctx)
        .ledger
        .load::<Earner>(tenant, &stream(Earner::stream_name(earner_id))?)
        .await
        .map_err(graphql_error)?;
    if loaded.state.earner_id().is_none() {
        return Err(coded(
            format!("earner {earner_id} not found"),
            ErrorCode::NotFound,
        ));
    }
    Ok(loaded.state)
}

/// The validity, in months, of the revision a request is for.
async fn validity_months(
    ctx: &Context<'_>,
    network: TenantId,
    badge_class_id: BadgeClassId,
    revision: u32,
) -> async_graphql::Result<Option<u32>> {
    let class = api(ctx)
        .ledger
        .load::<BadgeClass>(network, &stream(BadgeClass::stream_name(badge_class_id))?)
        .await
        .map_err(graphql_error)?;
    Ok(class.state.validity_months_of(revision))
}

// ---------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------

/// A piece of evidence. Its content is personal data, read from the worker's vault.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct EvidenceView {
    pub evidence_id: ID,
    pub kind: GqlEvidenceKind,
    #[graphql(skip)]
    tenant: TenantId,
    #[graphql(skip)]
    content_ref: VaultRef,
}

#[ComplexObject]
impl EvidenceView {
    /// `null` once the worker's data has been erased.
    async fn content(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        read_text(ctx, self.tenant, self.content_ref, "evidence").await
    }
}

/// Reads a text from the vault; `null` when erased or missing.
/// Reading it is logged (`what` of the vault's owner: see
/// [`super::personal_data::record_access`]) before it is answered.
pub(super) async fn read_text(
    ctx: &Context<'_>,
    tenant: TenantId,
    reference: VaultRef,
    what: &'static str,
) -> async_graphql::Result<Option<String>> {
    let read = api(ctx)
        .vault
        .get(tenant, reference.person_id, reference.entry_id)
        .await
        .map_err(|error| graphql_error(AppError::from(error)))?;
    Ok(match read {
        VaultRead::Present { plaintext, .. } => {
            super::personal_data::record_access(ctx, tenant, reference.person_id, what).await?;
            Some(String::from_utf8_lossy(&plaintext).into())
        }
        VaultRead::Missing | VaultRead::Erased => None,
    })
}

fn evidence_views(tenant: TenantId, evidence: &[Evidence]) -> Vec<EvidenceView> {
    evidence
        .iter()
        .map(|piece| EvidenceView {
            evidence_id: ID(piece.evidence_id.to_string()),
            kind: piece.kind.into(),
            tenant,
            content_ref: piece.content,
        })
        .collect()
}

/// The evidence of one request, as the worker's stream holds it.
pub(super) async fn request_evidence(
    ctx: &Context<'_>,
    tenant: TenantId,
    earner_id: PersonId,
    request_id: RequestId,
) -> async_graphql::Result<Vec<EvidenceView>> {
    let earner = load_earner(ctx, tenant, earner_id).await?;
    Ok(earner
        .request(request_id)
        .map(|request| evidence_views(tenant, &request.evidence))
        .unwrap_or_default())
}

/// A request as the worker's stream holds it (the log, not a read model).
#[derive(SimpleObject)]
pub struct EarnerRequestView {
    pub request_id: ID,
    pub badge_class_id: ID,
    /// The badge class revision the request was made against.
    pub revision: i32,
    pub mode: GqlRequestMode,
    /// The counsellor of a pair request.
    pub counsellor_id: Option<ID>,
    pub requested_by: ID,
    pub state: GqlRequestState,
    pub route: GqlRoute,
    pub committee_id: Option<ID>,
    pub votes_for: i32,
    pub votes_against: i32,
    pub evidence: Vec<EvidenceView>,
    /// The award, once approved.
    pub award_id: Option<ID>,
}

fn request_view(
    tenant: TenantId,
    earner: &Earner,
    request_id: RequestId,
    request: &Request,
) -> EarnerRequestView {
    let (mode, counsellor_id) = match request.mode {
        RequestMode::Pair { counsellor_id } => {
            (GqlRequestMode::Pair, Some(ID(counsellor_id.to_string())))
        }
        RequestMode::CollectiveWorkshop => (GqlRequestMode::CollectiveWorkshop, None),
        RequestMode::Individual => (GqlRequestMode::Individual, None),
    };
    let (route, committee_id) = match &request.route {
        ecusson_domain::ValidationRoute::Evaluator { .. } => (GqlRoute::Evaluator, None),
        ecusson_domain::ValidationRoute::Committee { committee_id, .. } => {
            (GqlRoute::Committee, Some(ID(committee_id.to_string())))
        }
        ecusson_domain::ValidationRoute::Automatic => (GqlRoute::Automatic, None),
    };
    let count = |wanted| {
        request
            .votes
            .iter()
            .filter(|(_, vote)| *vote == wanted)
            .count() as i32
    };
    EarnerRequestView {
        request_id: ID(request_id.to_string()),
        badge_class_id: ID(request.badge_class_id.to_string()),
        revision: request.revision as i32,
        mode,
        counsellor_id,
        requested_by: ID(request.requested_by.to_string()),
        state: match request.status {
            RequestStatus::Pending => GqlRequestState::Pending,
            RequestStatus::Approved => GqlRequestState::Approved,
            RequestStatus::Refused => GqlRequestState::Refused,
            RequestStatus::Withdrawn => GqlRequestState::Withdrawn,
        },
        route,
        committee_id,
        votes_for: count(ecusson_domain::Vote::Approve),
        votes_against: count(ecusson_domain::Vote::Refuse),
        evidence: evidence_views(tenant, &request.evidence),
        award_id: earner
            .awards()
            .find(|(_, award)| award.request_id == request_id)
            .map(|(award_id, _)| ID(award_id.to_string())),
    }
}

/// An award: a badge a worker earned.
#[derive(SimpleObject)]
pub struct AwardView {
    pub award_id: ID,
    pub request_id: ID,
    pub badge_class_id: ID,
    /// The badge class revision it was awarded for, kept forever.
    pub revision: i32,
    pub state: GqlAwardState,
    pub awarded_at: chrono::DateTime<chrono::Utc>,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Evidence added after the award (enrichment).
    pub evidence: Vec<EvidenceView>,
    /// The award's public page (what its QR code points to).
    pub page_url: String,
    /// The latest signed Open Badges credential of the award, once issued.
    pub credential: Option<CredentialView>,
}

fn award_view(
    ctx: &Context<'_>,
    tenant: TenantId,
    earner: &Earner,
    award_id: AwardId,
    award: &Award,
) -> AwardView {
    let api = api(ctx);
    let now = api.ledger.now();
    AwardView {
        page_url: api.site.badge_page(award_id),
        credential: earner
            .latest_credential(award_id)
            .map(|issued| CredentialView::new(&api.site, tenant, issued)),
        award_id: ID(award_id.to_string()),
        request_id: ID(award.request_id.to_string()),
        badge_class_id: ID(award.badge_class_id.to_string()),
        revision: award.revision as i32,
        state: if award.revoked {
            GqlAwardState::Revoked
        } else if award.is_expired_at(now) {
            GqlAwardState::Expired
        } else {
            GqlAwardState::Active
        },
        awarded_at: award.awarded_at,
        expires_at: award.expires_at,
        evidence: evidence_views(tenant, &award.evidence),
    }
}

/// A recommendation of an award by a host company's tutor or manager.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct RecommendationView {
    pub recommendation_id: ID,
    pub award_id: ID,
    pub recommender_id: ID,
    pub organisation_id: Option<ID>,
    pub status: GqlRecommendationStatus,
    /// The recommender agreed to its publication with the badge.
    pub public: bool,
    #[graphql(skip)]
    tenant: TenantId,
    #[graphql(skip)]
    earner: PersonId,
    #[graphql(skip)]
    testimony_ref: Option<VaultRef>,
}

#[ComplexObject]
impl RecommendationView {
    /// The recommender's words, once given; `null` after erasure.
    async fn testimony(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        match self.testimony_ref {
            Some(reference) => read_text(ctx, self.tenant, reference, "testimony").await,
            None => Ok(None),
        }
    }

    /// While the recommendation waits for its answer: the single-use link the worker sends to
    /// the recommender (by e-mail or SMS: the ledger sends nothing), who answers through it
    /// without an account. A fresh link, valid 30 days, each time it is read.
    async fn link(&self, ctx: &Context<'_>) -> Option<String> {
        if self.status != GqlRecommendationStatus::Asked {
            return None;
        }
        let api = api(ctx);
        let token = ecusson_app::links::mint_for(
            &ecusson_app::links::LinkKey::of(&api.vault),
            self.tenant,
            self.earner,
            RecommendationId(parse_id(&self.recommendation_id, "recommendationId").ok()?),
            api.ledger.now(),
        );
        Some(format!("{}/recommend/{token}", api.site.base()))
    }
}

fn recommendation_view(
    tenant: TenantId,
    earner: PersonId,
    recommendation_id: RecommendationId,
    recommendation: &ecusson_domain::earner::Recommendation,
) -> RecommendationView {
    RecommendationView {
        public: recommendation.public,
        earner,
        recommendation_id: ID(recommendation_id.to_string()),
        award_id: ID(recommendation.award_id.to_string()),
        recommender_id: ID(recommendation.recommender_id.to_string()),
        organisation_id: recommendation.organisation_id.map(|id| ID(id.to_string())),
        status: recommendation.status.into(),
        tenant,
        testimony_ref: recommendation.testimony,
    }
}

/// How a pathway ended.
#[derive(SimpleObject)]
pub struct ExitView {
    pub outcome: GqlExitOutcome,
    pub exited_on: chrono::NaiveDate,
}

/// One step of a worker's badge history (from the history read model).
// Its fields are values in memory: resolved in order (see `super::relay`).
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct HistoryEntryView {
    /// The event's sequence number in the structure's log.
    pub sequence: i64,
    /// The stable event type (`earner.badge_requested`, `earner.badge_awarded`...).
    pub event_type: String,
    pub request_id: ID,
    pub award_id: Option<ID>,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    /// Ids, codes and counts: never personal data.
    pub summary: super::scalars::JsonValue,
}

/// A worker's record: requests, badges, recommendations, exit, and the history of each step.
/// The record is loaded from the log only when one of its fields is asked for; the history
/// comes from its read model. A screen that shows only the history reads nothing else.
pub struct EarnerView {
    tenant: TenantId,
    id: PersonId,
    record: tokio::sync::OnceCell<Earner>,
}

impl EarnerView {
    /// A view of a worker known to be enrolled in `tenant`.
    fn new(tenant: TenantId, id: PersonId) -> Self {
        Self {
            tenant,
            id,
            record: tokio::sync::OnceCell::new(),
        }
    }

    /// A view of a record already at hand (a mutation's new state).
    fn of(tenant: TenantId, earner: Earner) -> Option<Self> {
        let id = earner.earner_id()?;
        Some(Self {
            tenant,
            id,
            record: tokio::sync::OnceCell::new_with(Some(earner)),
        })
    }

    async fn record(&self, ctx: &Context<'_>) -> async_graphql::Result<&Earner> {
        self.record
            .get_or_try_init(|| load_earner(ctx, self.tenant, self.id))
            .await
    }
}

#[Object]
impl EarnerView {
    async fn earner_id(&self) -> ID {
        ID(self.id.to_string())
    }

    async fn enrolled_on(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<chrono::NaiveDate>> {
        Ok(self.record(ctx).await?.enrolled_on())
    }

    async fn exit(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ExitView>> {
        Ok(self
            .record(ctx)
            .await?
            .exit()
            .map(|(outcome, exited_on)| ExitView {
                outcome: outcome.into(),
                exited_on,
            }))
    }

    async fn requests(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<EarnerRequestView>> {
        let earner = self.record(ctx).await?;
        Ok(earner
            .requests()
            .map(|(request_id, request)| request_view(self.tenant, earner, *request_id, request))
            .collect())
    }

    /// Every award, active or not.
    async fn awards(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<AwardView>> {
        let earner = self.record(ctx).await?;
        Ok(earner
            .awards()
            .map(|(award_id, award)| award_view(ctx, self.tenant, earner, *award_id, award))
            .collect())
    }

    /// What the worker agreed to show publicly.
    async fn publication_consent(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<PublicationConsentView> {
        Ok(PublicationConsentView::of(self.record(ctx).await?))
    }

    /// The worker's name and e-mail address, from their vault; `null` when never recorded.
    async fn identity(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<WorkerIdentityView>> {
        let earner = self.record(ctx).await?;
        super::credentials::identity_of(ctx, self.tenant, earner).await
    }

    async fn recommendations(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<RecommendationView>> {
        Ok(self
            .record(ctx)
            .await?
            .recommendations()
            .map(|(id, recommendation)| {
                recommendation_view(self.tenant, self.id, *id, recommendation)
            })
            .collect())
    }

    /// The full history of the worker's badges, oldest first, as a Relay connection: `first`
    /// (at most 100, default 20) after the cursor `after`.
    async fn history(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<HistoryEntryView>> {
        let (first, after_seq) = page(first, after)?;
        // One statement: its own snapshot, without opening a transaction.
        let mut reader =
            ecusson_store::read_model::SingleStatements(api(ctx).ledger.store().clone());
        // Each summary read straight into the answer's value type.
        let mut entries = ecusson_projections::badge_history::<async_graphql::Value>(
            &mut reader,
            self.tenant,
            self.id,
            after_seq,
            first + 1,
        )
        .await
        .map_err(projection_error)?;
        let has_next = entries.len() > first;
        entries.truncate(first);
        let mut connection = Connection::new(after_seq.is_some(), has_next);
        connection.extend(entries.into_iter().map(|entry| {
            Edge::new(
                entry.seq.to_string(),
                HistoryEntryView {
                    sequence: entry.seq as i64,
                    event_type: entry.event_type,
                    request_id: ID(entry.request_id.to_string()),
                    award_id: entry.award_id.map(|id| ID(id.to_string())),
                    recorded_at: entry.recorded_at,
                    summary: super::scalars::JsonValue(entry.summary),
                },
            )
        }));
        Ok(connection)
    }
}

#[derive(Default)]
pub struct EarnerQueries;

#[Object]
impl EarnerQueries {
    /// A worker's record: the caller's own for a worker (`earnerId` omitted), any worker of the
    /// structure for its supporting staff. `atLeast`: wait until the history read model
    /// includes this sequence of the caller's tenant.
    async fn earner(
        &self,
        ctx: &Context<'_>,
        earner_id: Option<ID>,
        at_least: Option<i64>,
    ) -> async_graphql::Result<EarnerView> {
        let principal = principal(ctx)?;
        if !principal.has_role(Role::Earner)
            && !SUPPORT_READERS.iter().any(|role| principal.has_role(*role))
        {
            return Err(coded(
                "a worker's record is read by the worker and the structure's staff",
                ErrorCode::Forbidden,
            ));
        }
        let earner_id = earner_of(principal, earner_id.as_ref())?;
        wait_for_own_writes(ctx, principal.tenant, at_least).await?;
        require_enrolled(ctx, principal.tenant, earner_id).await?;
        Ok(EarnerView::new(principal.tenant, earner_id))
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs and payloads
// ---------------------------------------------------------------------------------------------

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

/// A piece of evidence, sent in plain text; it is kept in the worker's vault.
#[derive(InputObject, Serialize)]
pub struct EvidenceInput {
    pub kind: GqlEvidenceKind,
    /// A narrative, a link (https://...), or the description of a document or photo.
    pub content: String,
}

impl EvidenceInput {
    fn check(&self) -> async_graphql::Result<()> {
        if self.kind == GqlEvidenceKind::Link {
            let link = self.content.trim();
            check_text("a link", link, REFERENCE_MAX_CHARS).map_err(domain_error)?;
            let web = link.starts_with("https://") || link.starts_with("http://");
            if !web || link.contains(char::is_whitespace) {
                return Err(coded(
                    "a link is one address starting with https:// or http://",
                    ErrorCode::BadUserInput,
                ));
            }
            return Ok(());
        }
        check_text("evidence", &self.content, TEXT_MAX_CHARS).map_err(domain_error)
    }
}

/// Why, with an optional note in the worker's vault.
#[derive(InputObject, Serialize)]
pub struct ReasonInput {
    pub code: GqlReasonCode,
    pub note: Option<String>,
}

#[derive(InputObject, Serialize)]
pub struct RequestBadgeInput {
    /// The worker; omitted when the worker requests for themself.
    pub earner_id: Option<ID>,
    pub badge_class_id: ID,
    /// PAIR (worker and counsellor), COLLECTIVE_WORKSHOP, or INDIVIDUAL (the worker alone).
    pub mode: GqlRequestMode,
    /// The counsellor of a PAIR request.
    pub counsellor_id: Option<ID>,
    #[graphql(default)]
    pub evidence: Vec<EvidenceInput>,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Serialize)]
pub struct WithdrawRequestInput {
    pub earner_id: Option<ID>,
    pub request_id: ID,
    pub reason: ReasonInput,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Serialize)]
pub struct DecideRequestInput {
    pub earner_id: ID,
    pub request_id: ID,
    pub verdict: GqlVerdict,
    pub reason: ReasonInput,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Serialize)]
pub struct CastCommitteeVoteInput {
    /// A request on the agenda of a committee the caller sits on.
    pub request_id: ID,
    pub vote: GqlVote,
    pub idempotency_key: Option<String>,
}

/// A request after a command, with its award once there is one.
#[derive(SimpleObject)]
pub struct RequestPayload {
    pub request: Option<EarnerRequestView>,
    pub award: Option<AwardView>,
    pub outcome: MutationOutcome,
}

fn request_payload(
    ctx: &Context<'_>,
    tenant: TenantId,
    request_id: RequestId,
    executed: &Executed<Earner>,
) -> RequestPayload {
    let earner = &executed.state;
    RequestPayload {
        request: earner
            .request(request_id)
            .map(|request| request_view(tenant, earner, request_id, request)),
        award: earner
            .awards()
            .find(|(_, award)| award.request_id == request_id)
            .map(|(award_id, award)| award_view(ctx, tenant, earner, *award_id, award)),
        outcome: MutationOutcome::of(executed),
    }
}

#[derive(InputObject, Serialize)]
pub struct RevokeBadgeInput {
    pub earner_id: ID,
    pub award_id: ID,
    pub reason: ReasonInput,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Serialize)]
pub struct ExpireBadgeInput {
    pub earner_id: ID,
    pub award_id: ID,
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct AwardPayload {
    pub award: Option<AwardView>,
    pub outcome: MutationOutcome,
}

fn award_payload(
    ctx: &Context<'_>,
    tenant: TenantId,
    award_id: AwardId,
    executed: &Executed<Earner>,
) -> AwardPayload {
    AwardPayload {
        award: executed
            .state
            .award(award_id)
            .map(|award| award_view(ctx, tenant, &executed.state, award_id, award)),
        outcome: MutationOutcome::of(executed),
    }
}

/// Evidence for a pending request (`requestId`) or an award (`awardId`): exactly one.
#[derive(InputObject, Serialize)]
pub struct AddEvidenceInput {
    pub earner_id: Option<ID>,
    pub request_id: Option<ID>,
    pub award_id: Option<ID>,
    pub evidence: EvidenceInput,
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct EvidencePayload {
    pub evidence: Option<EvidenceView>,
    pub outcome: MutationOutcome,
}

#[derive(InputObject, Serialize)]
pub struct AskRecommendationInput {
    pub earner_id: Option<ID>,
    pub award_id: ID,
    /// The tutor or manager asked (their person id).
    pub recommender_id: ID,
    pub organisation_id: Option<ID>,
    /// Where the request is sent; kept in the recommender's vault, never in an event.
    pub recommender_email: String,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Serialize)]
pub struct GiveRecommendationInput {
    pub earner_id: ID,
    pub award_id: ID,
    /// The recommendation asked of the caller; omitted for a spontaneous one.
    pub recommendation_id: Option<ID>,
    pub organisation_id: Option<ID>,
    /// The recommender's words; kept in the worker's vault.
    pub testimony: String,
    /// The recommender agrees that the testimony is shown with the badge (on its public page,
    /// and signed by the ledger on their behalf). False by default: a private testimony.
    #[graphql(default)]
    pub public: bool,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Serialize)]
pub struct DeclineRecommendationInput {
    pub earner_id: ID,
    pub recommendation_id: ID,
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct RecommendationPayload {
    pub recommendation: Option<RecommendationView>,
    pub outcome: MutationOutcome,
}

fn recommendation_payload(
    tenant: TenantId,
    recommendation_id: RecommendationId,
    executed: &Executed<Earner>,
) -> RecommendationPayload {
    let earner = executed.state.earner_id().unwrap_or(PersonId(Uuid::nil()));
    RecommendationPayload {
        recommendation: executed
            .state
            .recommendation(recommendation_id)
            .map(|recommendation| {
                recommendation_view(tenant, earner, recommendation_id, recommendation)
            }),
        outcome: MutationOutcome::of(executed),
    }
}

#[derive(InputObject, Serialize)]
pub struct RecordPathwayExitInput {
    pub earner_id: ID,
    pub outcome: GqlExitOutcome,
    /// The day the worker left (YYYY-MM-DD), not in the future.
    pub exited_on: chrono::NaiveDate,
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct EarnerPayload {
    pub earner: Option<EarnerView>,
    pub outcome: MutationOutcome,
}

/// The structure a committee member votes in: the one holding `request_id` among the
/// structures served by the committees the caller sits on.
async fn committee_request(
    ctx: &Context<'_>,
    principal: &Principal,
    request_id: RequestId,
) -> async_graphql::Result<(
    ecusson_projections::RequestQueueEntry,
    ecusson_domain::CommitteeSnapshot,
    TenantId,
)> {
    let network = network_of(ctx, principal).await?;
    let network_state = api(ctx)
        .ledger
        .load::<Network>(network, &stream(Network::stream_name())?)
        .await
        .map_err(graphql_error)?;
    let mut transaction = read_models(ctx).await?;
    for committee in network_state.state.committees_of_member(principal.subject) {
        for structure in &committee.structures {
            let entry =
                ecusson_projections::request_by_id(transaction.as_mut(), *structure, request_id)
                    .await
                    .map_err(projection_error)?;
            if let Some(entry) = entry {
                if entry.committee_id == Some(committee.committee_id) {
                    return Ok((entry, committee, network));
                }
            }
        }
    }
    Err(coded(
        format!("request {request_id} is not on the agenda of a committee of the caller"),
        ErrorCode::NotFound,
    ))
}

#[derive(Default)]
pub struct EarnerMutations;

#[Object]
impl EarnerMutations {
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

    /// Requests a badge: the worker alone (INDIVIDUAL), or staff with the worker (PAIR with the
    /// counsellor, COLLECTIVE_WORKSHOP). Automatic badges (the supporter badge) are awarded at
    /// once; other requests wait for the structure's evaluator or committee.
    async fn request_badge(
        &self,
        ctx: &Context<'_>,
        input: RequestBadgeInput,
    ) -> async_graphql::Result<RequestPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let principal = principal(ctx)?;
        let earner_id = earner_of(principal, input.earner_id.as_ref())?;
        // No enrolment check here: the decision checks it first, before any role, and this
        // path is the hottest of all.
        let badge_class_id = BadgeClassId(parse_id(&input.badge_class_id, "badgeClassId")?);
        let tenant = principal.tenant;
        let (mode, counsellor_id) = match (input.mode, &input.counsellor_id) {
            (GqlRequestMode::Pair, Some(counsellor_id)) => {
                let counsellor_id = PersonId(parse_id(counsellor_id, "counsellorId")?);
                (RequestMode::Pair { counsellor_id }, Some(counsellor_id))
            }
            (GqlRequestMode::Pair, None) => {
                return Err(coded(
                    "a PAIR request names its counsellorId",
                    ErrorCode::BadUserInput,
                ))
            }
            (_, Some(_)) => {
                return Err(coded(
                    "only a PAIR request names a counsellor",
                    ErrorCode::BadUserInput,
                ))
            }
            (GqlRequestMode::CollectiveWorkshop, None) => (RequestMode::CollectiveWorkshop, None),
            (GqlRequestMode::Individual, None) => (RequestMode::Individual, None),
        };
        for piece in &input.evidence {
            piece.check()?;
        }
        let network = network_of(ctx, principal).await?;
        let request_id = RequestId::new();
        let award_id = AwardId::new();
        let ledger = &api(ctx).ledger;
        let mut attempt = 1;
        let executed = loop {
            // What the decision needs: the badge class, the structure's adoption of it, the
            // network's committees (for an adoption that names one), the staff roster (for a
            // counsellor), and the worker's record itself. The first four change rarely: when
            // the ledger holds them all, as last known current, nothing is read, and the append
            // happens only if none of them changed since (`Batch::load_unless_held`). Otherwise
            // one read for all.
            let mut batch = ledger.batch();
            let class_slot = batch
                .cached::<BadgeClass>(network, stream(BadgeClass::stream_name(badge_class_id))?);
            let adoption_slot =
                batch.cached::<Adoption>(tenant, stream(Adoption::stream_name(badge_class_id))?);
            let network_slot = batch.cached::<Network>(network, stream(Network::stream_name())?);
            let staff_slot = counsellor_id
                .map(|_| {
                    Ok::<_, async_graphql::Error>(
                        batch.cached::<Staff>(tenant, stream(Staff::stream_name())?),
                    )
                })
                .transpose()?;
            let earner_slot =
                batch.recent::<Earner>(tenant, stream(Earner::stream_name(earner_id))?);
            let mut loaded = batch.load_unless_held().await.map_err(graphql_error)?;
            let badge_class = loaded
                .take(class_slot)
                .await
                .map_err(graphql_error)?
                .state
                .snapshot()
                .ok_or_else(|| {
                    graphql_error(AppError::Domain(DomainError::NotFound(format!(
                        "badge class {badge_class_id} is not in the network's catalogue"
                    ))))
                })?;
            let adoption = loaded
                .take(adoption_slot)
                .await
                .map_err(graphql_error)?
                .state;
            let committees = loaded
                .take(network_slot)
                .await
                .map_err(graphql_error)?
                .state;
            let counsellor_roles = match (staff_slot, counsellor_id) {
                (Some(slot), Some(counsellor_id)) => loaded
                    .take(slot)
                    .await
                    .map_err(graphql_error)?
                    .state
                    .roles_of(counsellor_id)
                    .to_vec(),
                _ => vec![],
            };
            let earner = loaded.take(earner_slot).await.map_err(graphql_error)?;
            let committee = match adoption.validation_mode() {
                Some(ValidationMode::Committee { committee_id }) => {
                    committees.committee(committee_id)
                }
                _ => None,
            };
            // Sealed once the class is known to exist (an unknown class writes nothing), and
            // again at each attempt: a refused append wrote none of it.
            let mut data = PendingData::new(ctx, tenant);
            let mut evidence = Vec::with_capacity(input.evidence.len());
            for piece in &input.evidence {
                evidence.push(data.evidence(earner_id, piece).await?);
            }
            let command = EarnerCommand::RequestBadge(RequestBadge {
                request_id,
                badge_class,
                adoption: adoption.snapshot(committee),
                mode,
                counsellor_roles,
                evidence,
                award_id,
            });
            let meta = RequestMeta {
                vault_entries: data.sealed,
                shared_unchanged: loaded.shared_unchanged(),
                ..meta.clone()
            };
            match run_from_ledger::<Earner>(
                ctx,
                tenant,
                Earner::stream_name(earner_id),
                meta,
                Some(earner),
                command,
            )
            .await?
            {
                // A shared input changed since it was held: decide again on a fresh read (the
                // ledger no longer trusts what it held).
                Err(AppError::InputsChanged) if attempt < INPUT_ATTEMPTS => attempt += 1,
                outcome => break outcome.map_err(graphql_error)?,
            }
        };
        let request_id = created(&executed, request_id, |event| match event {
            ecusson_domain::DomainEvent::BadgeRequested(requested) => Some(requested.request_id),
            _ => None,
        });
        Ok(request_payload(ctx, tenant, request_id, &executed))
    }

    /// Withdraws a pending request (the worker, the requester, or supporting staff).
    async fn withdraw_request(
        &self,
        ctx: &Context<'_>,
        input: WithdrawRequestInput,
    ) -> async_graphql::Result<RequestPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let principal = principal(ctx)?;
        let earner_id = earner_of(principal, input.earner_id.as_ref())?;
        require_enrolled(ctx, principal.tenant, earner_id).await?;
        let request_id = RequestId(parse_id(&input.request_id, "requestId")?);
        let mut data = PendingData::new(ctx, principal.tenant);
        let reason = data.reason(earner_id, &input.reason).await?;
        let command = EarnerCommand::WithdrawRequest { request_id, reason };
        let executed = run_with_data(ctx, data, earner_id, meta, command).await?;
        Ok(request_payload(
            ctx,
            principal.tenant,
            request_id,
            &executed,
        ))
    }

    /// An evaluator of the structure decides on a request under systematic validation.
    async fn decide_request(
        &self,
        ctx: &Context<'_>,
        input: DecideRequestInput,
    ) -> async_graphql::Result<RequestPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let principal = principal(ctx)?;
        let earner_id = earner_of(principal, Some(&input.earner_id))?;
        require_enrolled(ctx, principal.tenant, earner_id).await?;
        let request_id = RequestId(parse_id(&input.request_id, "requestId")?);
        let tenant = principal.tenant;
        let earner = load_earner(ctx, tenant, earner_id).await?;
        let request = earner.request(request_id).ok_or_else(|| {
            coded(
                format!("request {request_id} not found"),
                ErrorCode::NotFound,
            )
        })?;
        let network = network_of(ctx, principal).await?;
        let validity =
            validity_months(ctx, network, request.badge_class_id, request.revision).await?;
        let mut data = PendingData::new(ctx, tenant);
        let reason = data.reason(earner_id, &input.reason).await?;
        let command = EarnerCommand::DecideRequest {
            request_id,
            verdict: Verdict::from(input.verdict),
            reason,
            award_id: AwardId::new(),
            validity_months: validity,
        };
        let executed = run_with_data(ctx, data, earner_id, meta, command).await?;
        Ok(request_payload(ctx, tenant, request_id, &executed))
    }

    /// A member of the committee that decides a request votes on it; the vote that reaches
    /// the quorum decides (the majority; a tie refuses).
    async fn cast_committee_vote(
        &self,
        ctx: &Context<'_>,
        input: CastCommitteeVoteInput,
    ) -> async_graphql::Result<RequestPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let principal = principal(ctx)?;
        // No role gate: a request is found only on the agenda of a committee the caller sits
        // on, so anyone else learns nothing of it (NOT_FOUND).
        let request_id = RequestId(parse_id(&input.request_id, "requestId")?);
        let (entry, committee, network) = committee_request(ctx, principal, request_id).await?;
        let validity = validity_months(ctx, network, entry.badge_class_id, entry.revision).await?;
        let command = EarnerCommand::CastCommitteeVote {
            request_id,
            committee,
            vote: input.vote.into(),
            award_id: AwardId::new(),
            validity_months: validity,
        };
        let executed = run_in::<Earner>(
            ctx,
            entry.tenant_id,
            Earner::stream_name(entry.earner_id),
            meta,
            command,
        )
        .await?;
        Ok(request_payload(ctx, entry.tenant_id, request_id, &executed))
    }

    /// Revokes an award (the structure's management or the network).
    async fn revoke_badge(
        &self,
        ctx: &Context<'_>,
        input: RevokeBadgeInput,
    ) -> async_graphql::Result<AwardPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let principal = principal(ctx)?;
        let earner_id = earner_of(principal, Some(&input.earner_id))?;
        require_enrolled(ctx, principal.tenant, earner_id).await?;
        let award_id = AwardId(parse_id(&input.award_id, "awardId")?);
        let mut data = PendingData::new(ctx, principal.tenant);
        let reason = data.reason(earner_id, &input.reason).await?;
        let command = EarnerCommand::RevokeBadge { award_id, reason };
        let executed = run_with_data(ctx, data, earner_id, meta, command).await?;
        Ok(award_payload(ctx, principal.tenant, award_id, &executed))
    }

    /// Records that an award passed its expiry date.
    async fn expire_badge(
        &self,
        ctx: &Context<'_>,
        input: ExpireBadgeInput,
    ) -> async_graphql::Result<AwardPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let principal = principal(ctx)?;
        let earner_id = earner_of(principal, Some(&input.earner_id))?;
        require_enrolled(ctx, principal.tenant, earner_id).await?;
        let award_id = AwardId(parse_id(&input.award_id, "awardId")?);
        let command = EarnerCommand::ExpireBadge { award_id };
        let executed = run::<Earner>(ctx, Earner::stream_name(earner_id), meta, command).await?;
        Ok(award_payload(ctx, principal.tenant, award_id, &executed))
    }

    /// Adds a piece of evidence to a pending request or to an award (enrichment).
    async fn add_evidence(
        &self,
        ctx: &Context<'_>,
        input: AddEvidenceInput,
    ) -> async_graphql::Result<EvidencePayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let principal = principal(ctx)?;
        let earner_id = earner_of(principal, input.earner_id.as_ref())?;
        require_enrolled(ctx, principal.tenant, earner_id).await?;
        let target = match (&input.request_id, &input.award_id) {
            (Some(request_id), None) => {
                EvidenceTarget::Request(RequestId(parse_id(request_id, "requestId")?))
            }
            (None, Some(award_id)) => {
                EvidenceTarget::Award(AwardId(parse_id(award_id, "awardId")?))
            }
            _ => {
                return Err(coded(
                    "evidence goes to one requestId or one awardId",
                    ErrorCode::BadUserInput,
                ))
            }
        };
        let mut data = PendingData::new(ctx, principal.tenant);
        let evidence = data.evidence(earner_id, &input.evidence).await?;
        let command = EarnerCommand::AddEvidence { target, evidence };
        let executed = run_with_data(ctx, data, earner_id, meta, command).await?;
        let added = executed.events.iter().find_map(|event| match event {
            ecusson_domain::DomainEvent::EvidenceAdded(added) => Some(added.evidence),
            _ => None,
        });
        Ok(EvidencePayload {
            evidence: added
                .map(|piece| evidence_views(principal.tenant, &[piece]))
                .and_then(|mut views| views.pop()),
            outcome: MutationOutcome::of(&executed),
        })
    }

    /// Asks a host company's tutor or manager to recommend an award.
    async fn ask_recommendation(
        &self,
        ctx: &Context<'_>,
        input: AskRecommendationInput,
    ) -> async_graphql::Result<RecommendationPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let principal = principal(ctx)?;
        let earner_id = earner_of(principal, input.earner_id.as_ref())?;
        require_enrolled(ctx, principal.tenant, earner_id).await?;
        let award_id = AwardId(parse_id(&input.award_id, "awardId")?);
        let recommender_id = PersonId(parse_id(&input.recommender_id, "recommenderId")?);
        let organisation_id: Option<OrganisationId> =
            parse_optional_id(input.organisation_id.as_ref(), "organisationId")?;
        let email = EmailAddress::parse(&input.recommender_email).map_err(domain_error)?;
        let mut data = PendingData::new(ctx, principal.tenant);
        data.put(recommender_id, email.as_str()).await?;
        let recommendation_id = RecommendationId::new();
        let command = EarnerCommand::AskRecommendation {
            recommendation_id,
            award_id,
            recommender_id,
            organisation_id,
            recommender_email: email,
        };
        let executed = run_with_data(ctx, data, earner_id, meta, command).await?;
        let recommendation_id = created(&executed, recommendation_id, |event| match event {
            ecusson_domain::DomainEvent::RecommendationAsked(asked) => {
                Some(asked.recommendation_id)
            }
            _ => None,
        });
        Ok(recommendation_payload(
            principal.tenant,
            recommendation_id,
            &executed,
        ))
    }

    /// The caller, a recommender, gives their recommendation of a worker's award: the one they
    /// were asked for, or a spontaneous one.
    async fn give_recommendation(
        &self,
        ctx: &Context<'_>,
        input: GiveRecommendationInput,
    ) -> async_graphql::Result<RecommendationPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let principal = principal(ctx)?;
        let earner_id = earner_of(principal, Some(&input.earner_id))?;
        require_enrolled(ctx, principal.tenant, earner_id).await?;
        require_recommender(principal)?;
        let award_id = AwardId(parse_id(&input.award_id, "awardId")?);
        let recommendation_id =
            parse_optional_id(input.recommendation_id.as_ref(), "recommendationId")?
                .unwrap_or_else(RecommendationId::new);
        let organisation_id: Option<OrganisationId> =
            parse_optional_id(input.organisation_id.as_ref(), "organisationId")?;
        check_text("the testimony", &input.testimony, TEXT_MAX_CHARS).map_err(domain_error)?;
        let mut data = PendingData::new(ctx, principal.tenant);
        let testimony = data.put(earner_id, input.testimony.trim()).await?;
        let command = EarnerCommand::GiveRecommendation {
            recommendation_id,
            award_id,
            recommender_id: principal.subject,
            organisation_id,
            testimony,
            public: input.public,
        };
        let executed = run_with_data(ctx, data, earner_id, meta, command).await?;
        let recommendation_id = created(&executed, recommendation_id, |event| match event {
            ecusson_domain::DomainEvent::RecommendationGiven(given) => {
                Some(given.recommendation_id)
            }
            _ => None,
        });
        Ok(recommendation_payload(
            principal.tenant,
            recommendation_id,
            &executed,
        ))
    }

    /// The caller declines a recommendation they were asked for.
    async fn decline_recommendation(
        &self,
        ctx: &Context<'_>,
        input: DeclineRecommendationInput,
    ) -> async_graphql::Result<RecommendationPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let principal = principal(ctx)?;
        let earner_id = earner_of(principal, Some(&input.earner_id))?;
        require_enrolled(ctx, principal.tenant, earner_id).await?;
        require_recommender(principal)?;
        let recommendation_id =
            RecommendationId(parse_id(&input.recommendation_id, "recommendationId")?);
        let command = EarnerCommand::DeclineRecommendation { recommendation_id };
        let executed = run::<Earner>(ctx, Earner::stream_name(earner_id), meta, command).await?;
        Ok(recommendation_payload(
            principal.tenant,
            recommendation_id,
            &executed,
        ))
    }

    /// Records how a worker's pathway ended (sortie).
    async fn record_pathway_exit(
        &self,
        ctx: &Context<'_>,
        input: RecordPathwayExitInput,
    ) -> async_graphql::Result<EarnerPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let principal = principal(ctx)?;
        let earner_id = earner_of(principal, Some(&input.earner_id))?;
        require_enrolled(ctx, principal.tenant, earner_id).await?;
        let command = EarnerCommand::RecordPathwayExit {
            outcome: input.outcome.into(),
            exited_on: input.exited_on,
        };
        let executed = run::<Earner>(ctx, Earner::stream_name(earner_id), meta, command).await?;
        Ok(EarnerPayload {
            earner: EarnerView::of(principal.tenant, executed.state.clone()),
            outcome: MutationOutcome::of(&executed),
        })
    }
}

/// The cursor of a connection ordered by sequence number, and a checked page size.
pub(super) fn page(
    first: i32,
    after: Option<String>,
) -> async_graphql::Result<(usize, Option<u64>)> {
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
    Ok((first as usize, after_seq))
}
