//! Signed credentials and what a worker makes public: the credential of an award (its JSON-LD
//! and VC-JWT forms and where to download them), a fresh credential on request, the worker's
//! publication choices, and their name and e-mail address (in their vault).

use super::earner::{
    domain_error, earner_of, read_text, require_enrolled, run_with_data, PendingData,
    SUPPORT_READERS,
};
use super::*;
use async_graphql::ComplexObject;
use ecusson_app::credentials::{self as issuing, NotIssued, PublicSite};
use ecusson_domain::earner::IssuedCredential;
use ecusson_domain::input::check_name;
use ecusson_domain::{AwardId, EmailAddress, EvidenceId};

/// A signed Open Badges 3.0 credential the ledger issued for an award. The documents
/// themselves are in the worker's vault: they may show their name and evidence.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct CredentialView {
    pub credential_id: ID,
    pub issued_at: chrono::DateTime<chrono::Utc>,
    /// The credential's id: its JSON-LD at this URL (a browser lands on the badge's page).
    pub url: String,
    /// The VC-JWT form (ES256), when the network had a P-256 key.
    pub jwt_url: Option<String>,
    /// The badge image with the credential baked in.
    pub png_url: String,
    pub svg_url: String,
    /// SHA-256 of the signed JSON-LD, as the log recorded it.
    pub digest: String,
    #[graphql(skip)]
    tenant: TenantId,
    #[graphql(skip)]
    issued: IssuedCredential,
}

impl CredentialView {
    pub(super) fn new(site: &PublicSite, tenant: TenantId, issued: &IssuedCredential) -> Self {
        let url = site.credential(issued.credential_id);
        Self {
            credential_id: ID(issued.credential_id.to_string()),
            issued_at: issued.issued_at,
            jwt_url: issued.jwt_key_id.map(|_| format!("{url}.jwt")),
            png_url: format!("{url}.png"),
            svg_url: format!("{url}.svg"),
            url,
            digest: issued.digest.clone(),
            tenant,
            issued: issued.clone(),
        }
    }

    async fn stored(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<issuing::StoredCredential>> {
        let stored = issuing::stored_credential(&api(ctx).vault, self.tenant, &self.issued)
            .await
            .map_err(graphql_error)?;
        if stored.is_some() {
            super::personal_data::record_access(
                ctx,
                self.tenant,
                self.issued.document.person_id,
                "credential",
            )
            .await?;
        }
        Ok(stored)
    }
}

#[ComplexObject]
impl CredentialView {
    /// The signed credential (JSON-LD with its Data Integrity proof), exactly as issued;
    /// `null` once the worker's data has been erased.
    async fn json(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(self.stored(ctx).await?.map(|stored| stored.json))
    }

    /// The VC-JWT form; `null` without a P-256 key or after erasure.
    async fn jwt(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(self.stored(ctx).await?.and_then(|stored| stored.jwt))
    }
}

/// What a worker agreed to show publicly.
#[derive(SimpleObject)]
pub struct PublicationConsentView {
    pub show_name: bool,
    pub show_recommendations: bool,
    pub public_evidence: Vec<ID>,
}

impl PublicationConsentView {
    pub(super) fn of(earner: &Earner) -> Self {
        let consent = earner.consent();
        Self {
            show_name: consent.show_name,
            show_recommendations: consent.show_recommendations,
            public_evidence: ids(&consent.public_evidence.iter().collect::<Vec<_>>()),
        }
    }
}

/// A worker's name and e-mail address, read from their vault.
#[derive(SimpleObject)]
pub struct WorkerIdentityView {
    pub name: Option<String>,
    pub email: Option<String>,
}

pub(super) async fn identity_of(
    ctx: &Context<'_>,
    tenant: TenantId,
    earner: &Earner,
) -> async_graphql::Result<Option<WorkerIdentityView>> {
    let Some(name) = earner.name() else {
        return Ok(None);
    };
    let email = match earner.email() {
        Some(reference) => read_text(ctx, tenant, reference, "identity").await?,
        None => None,
    };
    Ok(Some(WorkerIdentityView {
        name: read_text(ctx, tenant, name, "identity").await?,
        email,
    }))
}

#[derive(InputObject, Serialize)]
pub struct IssueCredentialInput {
    /// Omitted by a worker for their own award.
    pub earner_id: Option<ID>,
    pub award_id: ID,
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct CredentialPayload {
    pub credential: Option<CredentialView>,
    pub outcome: MutationOutcome,
}

#[derive(InputObject, Serialize)]
pub struct SetPublicationConsentInput {
    /// The name on badge pages and in credentials issued from now on (hashed otherwise).
    pub show_name: bool,
    /// Recommendations on badge pages (those whose authors agreed to publication too).
    pub show_recommendations: bool,
    /// The pieces of evidence shown on badge pages and put into credentials.
    pub public_evidence: Vec<ID>,
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct PublicationConsentPayload {
    pub consent: PublicationConsentView,
    /// Fresh credentials issued for the worker's standing badges, showing what they now agree
    /// to show (none when their network has no issuer key yet).
    pub credentials_issued: i32,
    pub outcome: MutationOutcome,
}

#[derive(InputObject, Serialize)]
pub struct RecordWorkerIdentityInput {
    /// Omitted by a worker for themself.
    pub earner_id: Option<ID>,
    /// As the worker wants it written.
    pub name: String,
    /// Optional: many workers have none yet.
    pub email: Option<String>,
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct WorkerIdentityPayload {
    pub earner_id: ID,
    pub outcome: MutationOutcome,
}

/// Reading or acting on a worker's credentials: the worker, or their structure's staff.
fn require_worker_or_support(principal: &Principal) -> async_graphql::Result<()> {
    if principal.has_role(Role::Earner)
        || SUPPORT_READERS.iter().any(|role| principal.has_role(*role))
    {
        Ok(())
    } else {
        Err(coded(
            "a worker's badges are handled by the worker and the structure's staff",
            ErrorCode::Forbidden,
        ))
    }
}

#[derive(Default)]
pub struct CredentialMutations;

#[Object]
impl CredentialMutations {
    /// Issues a fresh signed credential for an award (the ledger issues the first one by
    /// itself): after the worker changed what is public, or recorded their name. Earlier
    /// credentials stay valid.
    async fn issue_credential(
        &self,
        ctx: &Context<'_>,
        input: IssueCredentialInput,
    ) -> async_graphql::Result<CredentialPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let principal = principal(ctx)?;
        let earner_id = earner_of(principal, input.earner_id.as_ref())?;
        require_enrolled(ctx, principal.tenant, earner_id).await?;
        require_worker_or_support(principal)?;
        let award_id = AwardId(parse_id(&input.award_id, "awardId")?);
        let api = api(ctx);
        let issued = issuing::issue_credential(
            &api.ledger,
            &api.vault,
            &api.site,
            &actor(principal),
            earner_id,
            award_id,
            meta,
        )
        .await
        .map_err(graphql_error)?;
        let (executed, credential_id) = match issued {
            Ok(issued) => issued,
            Err(NotIssued::UnknownAward(award_id)) => {
                return Err(coded(
                    format!("award {award_id} not found"),
                    ErrorCode::NotFound,
                ))
            }
            Err(NotIssued::NoIssuerKey) => {
                return Err(coded(
                    "the network has no issuer key yet: its administrator generates one",
                    ErrorCode::Conflict,
                ))
            }
        };
        if executed.position.is_some() {
            api.wake.notify_waiters();
        }
        Ok(CredentialPayload {
            credential: executed
                .state
                .credential(credential_id)
                .map(|issued| CredentialView::new(&api.site, principal.tenant, issued)),
            outcome: MutationOutcome::of(&executed),
        })
    }

    /// The caller, a worker, chooses what of theirs is shown publicly: their name, their
    /// recommendations, which pieces of evidence. Replaces the previous choice whole.
    async fn set_publication_consent(
        &self,
        ctx: &Context<'_>,
        input: SetPublicationConsentInput,
    ) -> async_graphql::Result<PublicationConsentPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let principal = principal(ctx)?;
        if !principal.has_role(Role::Earner) {
            return Err(coded(
                "only the worker decides what of theirs is public",
                ErrorCode::Forbidden,
            ));
        }
        let earner_id = principal.subject;
        require_enrolled(ctx, principal.tenant, earner_id).await?;
        let public_evidence = parse_ids(&input.public_evidence, "publicEvidence")?
            .into_iter()
            .map(EvidenceId)
            .collect();
        let command = EarnerCommand::SetPublicationConsent {
            show_name: input.show_name,
            show_recommendations: input.show_recommendations,
            public_evidence,
        };
        let executed = run::<Earner>(ctx, Earner::stream_name(earner_id), meta, command).await?;
        // Credentials that show more than the worker now agrees to are no longer published;
        // each standing badge gets a fresh one that shows what they chose.
        let api = api(ctx);
        let now = api.ledger.now();
        let standing: Vec<AwardId> = executed
            .state
            .awards()
            .filter(|(_, award)| award.is_active_at(now))
            .map(|(award_id, _)| *award_id)
            .collect();
        let mut credentials_issued = 0;
        let mut last = executed.clone();
        for award_id in standing {
            let issued = issuing::issue_credential(
                &api.ledger,
                &api.vault,
                &api.site,
                &actor(principal),
                earner_id,
                award_id,
                RequestMeta::default(),
            )
            .await
            .map_err(graphql_error)?;
            match issued {
                Ok((executed, _)) => {
                    credentials_issued += 1;
                    last = executed;
                }
                // No key yet: the issuer issues them once the network has one.
                Err(NotIssued::NoIssuerKey | NotIssued::UnknownAward(_)) => {}
            }
        }
        if credentials_issued > 0 {
            api.wake.notify_waiters();
        }
        Ok(PublicationConsentPayload {
            consent: PublicationConsentView::of(&last.state),
            credentials_issued,
            outcome: MutationOutcome::of(&executed),
        })
    }

    /// Records a worker's name as they want it written, and their e-mail address if they have
    /// one (what Open Badge Passport matches their badges by). Both go to the worker's vault.
    async fn record_worker_identity(
        &self,
        ctx: &Context<'_>,
        input: RecordWorkerIdentityInput,
    ) -> async_graphql::Result<WorkerIdentityPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let principal = principal(ctx)?;
        let earner_id = earner_of(principal, input.earner_id.as_ref())?;
        require_enrolled(ctx, principal.tenant, earner_id).await?;
        check_name("name", &input.name).map_err(domain_error)?;
        let email = input
            .email
            .as_deref()
            .map(EmailAddress::parse)
            .transpose()
            .map_err(domain_error)?;
        let mut data = PendingData::new(ctx, principal.tenant);
        let name = data.put(earner_id, input.name.trim()).await?;
        let email = match &email {
            Some(email) => Some(data.put(earner_id, email.as_str()).await?),
            None => None,
        };
        let command = EarnerCommand::RecordIdentity { name, email };
        let executed = run_with_data(ctx, data, earner_id, meta, command).await?;
        Ok(WorkerIdentityPayload {
            earner_id: ID(earner_id.to_string()),
            outcome: MutationOutcome::of(&executed),
        })
    }
}
