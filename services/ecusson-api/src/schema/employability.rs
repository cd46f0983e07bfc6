//! A worker's employability report over GraphQL (`employabilityReport`), and the "CV 2.0"
//! links through which the worker shares it (`shareCv`, `revokeCvShare`, `cvShares`). The
//! printable page and the PDF (`crate::employability_http`) come from the same report.

use super::earner::{domain_error, earner_of, require_enrolled, SUPPORT_READERS};
use super::*;
use crate::auth::Principal;
use ecusson_app::employability::{
    self as report, cv_link_key, cv_token, Audience, CvLink, EarnedBadge, EmployabilityReport,
    PathwayProgress,
};
use ecusson_domain::earner::{CvChoices, CvShare};
use ecusson_domain::{AwardId, CvShareId, Date, EvidenceId};

/// Who reads a worker's employability report: the worker, and their structure's staff.
pub(crate) fn may_read_report(principal: &Principal, earner: PersonId) -> bool {
    principal.subject == earner || SUPPORT_READERS.iter().any(|role| principal.has_role(*role))
}

/// Where a badge stands today.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(
    name = "BadgeStanding",
    remote = "ecusson_app::employability::Standing"
)]
pub enum GqlStanding {
    Active,
    Expired,
    Revoked,
}

/// A piece of evidence, with its text.
#[derive(SimpleObject)]
#[graphql(name = "ReportEvidence")]
pub struct ReportEvidence {
    pub evidence_id: ID,
    pub kind: super::earner::GqlEvidenceKind,
    pub text: String,
    /// The text, when it is a web address.
    pub link: Option<String>,
}

/// A host company's recommendation, with its testimony.
#[derive(SimpleObject)]
#[graphql(name = "ReportRecommendation")]
pub struct ReportRecommendation {
    pub organisation: Option<String>,
    pub testimony: String,
    /// The recommender agreed to its publication with the badge.
    pub public: bool,
}

/// A badge earned, as the report shows it.
#[derive(SimpleObject)]
#[graphql(name = "ReportBadge")]
pub struct ReportBadge {
    pub award_id: ID,
    pub badge_class_id: ID,
    pub name: String,
    pub description: String,
    pub skill_type: GqlSkillType,
    pub awarded_at: Option<chrono::DateTime<chrono::Utc>>,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub standing: GqlStanding,
    /// The badge's public page (what its QR code opens).
    pub page_url: String,
    pub evidence: Vec<ReportEvidence>,
    pub recommendations: Vec<ReportRecommendation>,
}

impl ReportBadge {
    fn of(badge: &EarnedBadge) -> Self {
        Self {
            award_id: ID(badge.award_id.to_string()),
            badge_class_id: ID(badge.badge_class_id.to_string()),
            name: badge.name.clone(),
            description: badge.description.clone(),
            skill_type: badge.skill_type.into(),
            awarded_at: badge.awarded_at,
            expires_at: badge.expires_at,
            standing: badge.standing.into(),
            page_url: badge.page_url.clone(),
            evidence: badge
                .evidence
                .iter()
                .map(|piece| ReportEvidence {
                    evidence_id: ID(piece.evidence_id.to_string()),
                    kind: piece.kind.into(),
                    text: piece.text.clone(),
                    link: piece.link.clone(),
                })
                .collect(),
            recommendations: badge
                .recommendations
                .iter()
                .map(|recommendation| ReportRecommendation {
                    organisation: recommendation.organisation.clone(),
                    testimony: recommendation.testimony.clone(),
                    public: recommendation.public,
                })
                .collect(),
        }
    }
}

/// A pathway (parcours) and the worker's steps in it.
#[derive(SimpleObject)]
#[graphql(name = "PathwayProgress")]
pub struct PathwayProgressView {
    pub pathway_id: ID,
    pub rank: i32,
    pub name: String,
    pub description: String,
    /// By date of award.
    pub badges: Vec<ReportBadge>,
    /// Badges requested and waiting for a decision.
    pub under_way: Vec<String>,
    /// Badges the structure offers in this pathway not yet earned nor asked for.
    pub next_steps: Vec<String>,
}

impl PathwayProgressView {
    fn of(pathway: &PathwayProgress) -> Self {
        Self {
            pathway_id: ID(pathway.pathway_id.to_string()),
            rank: i32::from(pathway.rank),
            name: pathway.name.clone(),
            description: pathway.description.clone(),
            badges: pathway.badges.iter().map(ReportBadge::of).collect(),
            under_way: pathway.under_way.clone(),
            next_steps: pathway.next_steps.clone(),
        }
    }
}

/// The exit of the pathway.
#[derive(SimpleObject)]
pub struct PathwayExit {
    pub outcome: super::earner::GqlExitOutcome,
    pub exited_on: Date,
}

/// A worker's employability report.
#[derive(SimpleObject)]
#[graphql(name = "EmployabilityReport")]
pub struct EmployabilityReportView {
    pub earner_id: ID,
    pub name: Option<String>,
    pub structure_name: Option<String>,
    pub network_name: String,
    pub enrolled_on: Option<Date>,
    pub exit: Option<PathwayExit>,
    /// From enrolment to the exit, or to today while the pathway goes on.
    pub days_in_pathway: Option<i64>,
    /// Standing badges, by skill type.
    pub savoir_faire: i32,
    pub savoir_etre: i32,
    pub pathways: Vec<PathwayProgressView>,
    pub generated_at: chrono::DateTime<chrono::Utc>,
    /// Set when the report is the worker's record as it stood then.
    pub as_of: Option<chrono::DateTime<chrono::Utc>>,
    /// The printable page and the PDF (with the same bearer token).
    pub html_url: String,
    pub pdf_url: String,
}

impl EmployabilityReportView {
    fn of(report: &EmployabilityReport, site: &ecusson_app::credentials::PublicSite) -> Self {
        let base = format!("{}/reports/workers/{}", site.base(), report.earner_id);
        Self {
            earner_id: ID(report.earner_id.to_string()),
            name: report.name.clone(),
            structure_name: report.structure_name.clone(),
            network_name: report.network_name.clone(),
            enrolled_on: report.enrolled_on,
            exit: report.exit.map(|(outcome, exited_on)| PathwayExit {
                outcome: outcome.into(),
                exited_on,
            }),
            days_in_pathway: report.days_in_pathway,
            savoir_faire: report.savoir_faire as i32,
            savoir_etre: report.savoir_etre as i32,
            pathways: report
                .pathways
                .iter()
                .map(PathwayProgressView::of)
                .collect(),
            generated_at: report.generated_at,
            as_of: report.as_of,
            html_url: format!("{base}/report.html"),
            pdf_url: format!("{base}/report.pdf"),
        }
    }
}

/// One link through which the worker shares their CV.
#[derive(SimpleObject)]
#[graphql(name = "CvShare")]
pub struct CvShareView {
    pub share_id: ID,
    /// The page an employer opens; `.pdf` after it for the PDF. The worker's only: their
    /// staff see the link's choices and may revoke it, but do not get the link itself (it
    /// would open the worker's CV without an account, past the access log).
    pub url: Option<String>,
    pub pdf_url: Option<String>,
    pub shared_at: chrono::DateTime<chrono::Utc>,
    /// The last day it opens; `null` until revoked.
    pub expires_on: Option<Date>,
    pub revoked: bool,
    /// Opens today.
    pub open: bool,
    pub award_ids: Vec<ID>,
    pub show_name: bool,
    pub evidence_ids: Vec<ID>,
    pub show_recommendations: bool,
    pub show_pathway: bool,
}

impl CvShareView {
    fn of(
        ctx: &Context<'_>,
        tenant: TenantId,
        earner: PersonId,
        share_id: CvShareId,
        share: &CvShare,
    ) -> Self {
        let api = api(ctx);
        let own = principal(ctx).is_ok_and(|principal| principal.subject == earner);
        let url = own.then(|| {
            let token = cv_token(
                &cv_link_key(&api.vault),
                &CvLink {
                    tenant,
                    earner,
                    share: share_id,
                },
            );
            api.site.cv_page(&token)
        });
        Self {
            share_id: ID(share_id.to_string()),
            pdf_url: url.as_ref().map(|url| format!("{url}.pdf")),
            url,
            shared_at: share.shared_at,
            expires_on: share.expires_on,
            revoked: share.revoked,
            open: share.opens_on(api.ledger.now().date_naive()),
            award_ids: ids(&share.choices.awards),
            show_name: share.choices.show_name,
            evidence_ids: ids(&share.choices.evidence),
            show_recommendations: share.choices.show_recommendations,
            show_pathway: share.choices.show_pathway,
        }
    }
}

/// The worker a report or share query is about, once the caller may read it.
async fn readable_worker(
    ctx: &Context<'_>,
    earner_id: Option<&ID>,
) -> async_graphql::Result<PersonId> {
    let principal = principal(ctx)?;
    let earner = earner_of(principal, earner_id)?;
    if !may_read_report(principal, earner) {
        return Err(coded(
            "a worker's report is read by the worker and their structure's staff",
            ErrorCode::Forbidden,
        ));
    }
    require_enrolled(ctx, principal.tenant, earner).await?;
    Ok(earner)
}

#[derive(Default)]
pub struct EmployabilityQueries;

#[Object]
impl EmployabilityQueries {
    /// A worker's employability report: badges by pathway and skill type, their evidence and
    /// recommendations, the steps of the pathway, its dates and exit. The worker reads theirs
    /// (no argument); their structure's staff name the worker (the read is logged). `asOf`
    /// gives the record as it stood then, replayed from the worker's log (badges standing
    /// then, requests under way then; no next steps).
    async fn employability_report(
        &self,
        ctx: &Context<'_>,
        earner_id: Option<ID>,
        as_of: Option<chrono::DateTime<chrono::Utc>>,
    ) -> async_graphql::Result<EmployabilityReportView> {
        let earner_id = readable_worker(ctx, earner_id.as_ref()).await?;
        let tenant = principal(ctx)?.tenant;
        let api = api(ctx);
        let earner = match as_of {
            None => report::load_earner(&api.ledger, tenant, earner_id).await,
            Some(as_of) => report::load_earner_as_of(&api.ledger, tenant, earner_id, as_of).await,
        }
        .map_err(graphql_error)?
        .ok_or_else(|| coded(format!("earner {earner_id} not found"), ErrorCode::NotFound))?;
        super::personal_data::record_access(ctx, tenant, earner_id, "employability_report").await?;
        let built = report::build(
            &api.ledger,
            &api.vault,
            &api.site,
            tenant,
            &earner,
            Audience::Full,
            as_of,
        )
        .await
        .map_err(graphql_error)?;
        Ok(EmployabilityReportView::of(&built, &api.site))
    }

    /// The worker's CV links, oldest first: theirs (no argument), or a worker's for their
    /// structure's staff (who may revoke one that went where it should not).
    async fn cv_shares(
        &self,
        ctx: &Context<'_>,
        earner_id: Option<ID>,
    ) -> async_graphql::Result<Vec<CvShareView>> {
        let earner_id = readable_worker(ctx, earner_id.as_ref()).await?;
        let tenant = principal(ctx)?.tenant;
        let earner = report::load_earner(&api(ctx).ledger, tenant, earner_id)
            .await
            .map_err(graphql_error)?
            .ok_or_else(|| coded(format!("earner {earner_id} not found"), ErrorCode::NotFound))?;
        Ok(earner
            .cv_shares()
            .map(|(share_id, share)| CvShareView::of(ctx, tenant, earner_id, *share_id, share))
            .collect())
    }
}

#[derive(InputObject, Serialize)]
pub struct ShareCvInput {
    /// The badges shown (standing ones: a badge revoked or expired later disappears).
    pub award_ids: Vec<ID>,
    pub show_name: bool,
    /// The pieces of evidence shown, chosen among those of the badges shown (a piece added
    /// later is not shown).
    #[graphql(default)]
    pub evidence_ids: Vec<ID>,
    /// Recommendations whose authors agreed to publication.
    pub show_recommendations: bool,
    /// Enrolment, badge dates, the exit and its outcome.
    pub show_pathway: bool,
    /// The link's last day; `null` for a link that opens until revoked.
    pub expires_on: Option<Date>,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Serialize)]
pub struct RevokeCvShareInput {
    /// Omitted by a worker for their own link.
    pub earner_id: Option<ID>,
    pub share_id: ID,
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct CvSharePayload {
    pub share: CvShareView,
    pub outcome: MutationOutcome,
}

#[derive(Default)]
pub struct EmployabilityMutations;

#[Object]
impl EmployabilityMutations {
    /// The caller, a worker, shares their CV through a new link, choosing what it shows. Each
    /// person given the CV can get a link of their own, revoked on its own. Each badge's own
    /// page, which the CV links to, shows what the worker made public with
    /// `setPublicationConsent`.
    async fn share_cv(
        &self,
        ctx: &Context<'_>,
        input: ShareCvInput,
    ) -> async_graphql::Result<CvSharePayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let principal = principal(ctx)?;
        if !principal.has_role(Role::Earner) {
            return Err(coded(
                "only the worker shares their CV",
                ErrorCode::Forbidden,
            ));
        }
        let earner_id = principal.subject;
        require_enrolled(ctx, principal.tenant, earner_id).await?;
        let awards = parse_ids(&input.award_ids, "awardIds")?
            .into_iter()
            .map(AwardId)
            .collect();
        let drawn = CvShareId::new();
        let command = EarnerCommand::ShareCv {
            share_id: drawn,
            choices: CvChoices {
                awards,
                show_name: input.show_name,
                evidence: parse_ids(&input.evidence_ids, "evidenceIds")?
                    .into_iter()
                    .map(EvidenceId)
                    .collect(),
                show_recommendations: input.show_recommendations,
                show_pathway: input.show_pathway,
            },
            expires_on: input.expires_on,
        };
        let executed = run::<Earner>(ctx, Earner::stream_name(earner_id), meta, command).await?;
        let share_id = created(&executed, drawn, |event| match event {
            ecusson_domain::DomainEvent::CvShared(shared) => Some(shared.share_id),
            _ => None,
        });
        let share = executed
            .state
            .cv_share(share_id)
            .ok_or_else(|| coded("the share was not recorded", ErrorCode::Internal))?;
        Ok(CvSharePayload {
            share: CvShareView::of(ctx, principal.tenant, earner_id, share_id, share),
            outcome: MutationOutcome::of(&executed),
        })
    }

    /// A CV link stops opening at once: the worker's, or their structure's staff's for them.
    async fn revoke_cv_share(
        &self,
        ctx: &Context<'_>,
        input: RevokeCvShareInput,
    ) -> async_graphql::Result<CvSharePayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let principal = principal(ctx)?;
        let earner_id = earner_of(principal, input.earner_id.as_ref())?;
        require_enrolled(ctx, principal.tenant, earner_id).await?;
        let share_id = CvShareId(parse_id(&input.share_id, "shareId")?);
        let command = EarnerCommand::RevokeCvShare { share_id };
        let executed = run::<Earner>(ctx, Earner::stream_name(earner_id), meta, command).await?;
        let share = executed
            .state
            .cv_share(share_id)
            .ok_or_else(|| domain_error(DomainError::NotFound(format!("CV link {share_id}"))))?;
        Ok(CvSharePayload {
            share: CvShareView::of(ctx, principal.tenant, earner_id, share_id, share),
            outcome: MutationOutcome::of(&executed),
        })
    }
}
