//! A worker's employability report: their badges by pathway and skill type (savoir-faire,
//! savoir-être), with their evidence and recommendations, the steps of the pathway (what is
//! earned, under way, still to do), the time spent in it and its exit. GraphQL's
//! `employabilityReport`, the printable page and the PDF are all built from [`build`].
//!
//! The worker shares it as a "CV 2.0": a link of its own per person they give it to, showing
//! what they choose for that link ([`CvChoices`]), until they revoke it or its last day passes.
//! The link's token names the tenant, the worker and the share, signed with a key derived from
//! the installation's key (like the recommendation links): the log records the share and the
//! choices, never the token, so neither the log nor an audit bundle opens anyone's CV.

use crate::credentials::{evidence_texts, network_of, vault_text, PublicEvidenceText, PublicSite};
use crate::links::{LinkKey, LinkRefused};
use crate::{AppError, Ledger};
use chrono::{DateTime, Utc};
use ecusson_domain::catalogue::BadgeClass;
use ecusson_domain::earner::{
    Award, CvChoices, CvShare, Earner, RecommendationStatus, RequestStatus,
};
use ecusson_domain::network::Network;
use ecusson_domain::Aggregate;
use ecusson_domain::{
    AwardId, BadgeClassId, CvShareId, Date, ExitOutcome, PathwayId, PersonId, SkillType, TenantId,
};
use ecusson_store::{StreamId, Vault};
use std::collections::{BTreeMap, BTreeSet};

/// The purpose the CV links' key is derived for.
const CV_LINK_PURPOSE: &str = "cv-link";
const CV_LINK_BODY_BYTES: usize = 16 * 3;

/// Who the report is built for.
#[derive(Clone, Copy, Debug)]
pub enum Audience<'a> {
    /// The worker themself, or their structure's staff: everything, steps included.
    Full,
    /// Whoever holds a CV link: what the worker chose for it, badges that stand only.
    Shared(&'a CvChoices),
}

/// Where a badge stands today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    Active,
    Expired,
    Revoked,
}

/// A recommendation as the report shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecommendationText {
    /// The host company's name, when it is registered with the network.
    pub organisation: Option<String>,
    pub testimony: String,
    /// The recommender agreed to its publication with the badge.
    pub public: bool,
}

/// One badge earned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EarnedBadge {
    pub award_id: AwardId,
    pub badge_class_id: BadgeClassId,
    pub name: String,
    pub description: String,
    pub skill_type: SkillType,
    /// `None` on a shared CV whose worker chose not to show the pathway's dates.
    pub awarded_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub standing: Standing,
    /// The badge's public page (what its QR code opens): it shows only what the worker made
    /// public, whatever this report shows.
    pub page_url: String,
    pub evidence: Vec<PublicEvidenceText>,
    pub recommendations: Vec<RecommendationText>,
}

/// One pathway (parcours) and the worker's steps in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathwayProgress {
    pub pathway_id: PathwayId,
    /// 1: first steps, 2: autonomy, 3: access to employment.
    pub rank: u8,
    pub name: String,
    pub description: String,
    /// By date of award.
    pub badges: Vec<EarnedBadge>,
    /// Badges requested and waiting for a decision (full report only).
    pub under_way: Vec<String>,
    /// Badges the structure offers in this pathway that the worker has not earned nor asked
    /// for yet (full report only): the next steps to talk about.
    pub next_steps: Vec<String>,
}

/// A worker's employability report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmployabilityReport {
    pub tenant_id: TenantId,
    pub earner_id: PersonId,
    pub network_name: String,
    /// None for the network's own supporters.
    pub structure_name: Option<String>,
    /// On a shared CV, only when the worker chose to show it.
    pub name: Option<String>,
    pub enrolled_on: Option<Date>,
    pub exit: Option<(ExitOutcome, Date)>,
    /// From enrolment to the exit, or to today while the pathway goes on.
    pub days_in_pathway: Option<i64>,
    /// By rank; a shared CV lists only pathways with a badge shown.
    pub pathways: Vec<PathwayProgress>,
    /// Standing badges shown, by skill type.
    pub savoir_faire: usize,
    pub savoir_etre: usize,
    pub generated_at: DateTime<Utc>,
    /// Set when the report is the worker's record as it stood then.
    pub as_of: Option<DateTime<Utc>>,
}

impl EmployabilityReport {
    pub fn badges(&self) -> impl Iterator<Item = &EarnedBadge> {
        self.pathways.iter().flat_map(|pathway| &pathway.badges)
    }
}

fn stream(name: String) -> Result<StreamId, AppError> {
    Ok(StreamId::parse(name)?)
}

fn standing_of(award: &Award, now: DateTime<Utc>) -> Standing {
    if award.revoked {
        Standing::Revoked
    } else if award.is_expired_at(now) {
        Standing::Expired
    } else {
        Standing::Active
    }
}

/// The worker's state, or `None` when they are not enrolled in `tenant`.
pub async fn load_earner(
    ledger: &Ledger,
    tenant: TenantId,
    earner_id: PersonId,
) -> Result<Option<Earner>, AppError> {
    let loaded = ledger
        .load::<Earner>(tenant, &stream(Earner::stream_name(earner_id))?)
        .await?;
    Ok(loaded.state.earner_id().is_some().then_some(loaded.state))
}

/// The worker's state as their stream stood at `as_of` (every event recorded before it), or
/// `None` when they were not enrolled in `tenant` then.
pub async fn load_earner_as_of(
    ledger: &Ledger,
    tenant: TenantId,
    earner_id: PersonId,
    as_of: DateTime<Utc>,
) -> Result<Option<Earner>, AppError> {
    let events = ledger
        .stream_events(tenant, &stream(Earner::stream_name(earner_id))?)
        .await?;
    let earner = Earner::from_events(
        events
            .iter()
            .take_while(|(recorded_at, _)| *recorded_at < as_of)
            .map(|(_, event)| event),
    );
    Ok(earner.earner_id().is_some().then_some(earner))
}

/// The report of `earner` (its state, as [`load_earner`] gives it) for `audience`, today; or
/// as it stood at `as_of` (the state from [`load_earner_as_of`]: badges standing then, requests
/// under way then; the next steps, which depend on the catalogue of the day, are left out). An
/// erased worker's report lists their badges with nothing of theirs (no name, evidence,
/// testimony).
pub async fn build(
    ledger: &Ledger,
    vault: &Vault,
    site: &PublicSite,
    tenant: TenantId,
    earner: &Earner,
    audience: Audience<'_>,
    as_of: Option<DateTime<Utc>>,
) -> Result<EmployabilityReport, AppError> {
    let earner_id = earner.earner_id().ok_or_else(|| {
        AppError::internal(ecusson_store::StoreError::Corrupt(
            "an employability report of a worker who is not enrolled".into(),
        ))
    })?;
    let generated_at = ledger.now();
    let now = as_of.map_or(generated_at, |as_of| as_of.min(generated_at));
    let today = now.date_naive();
    let (network_id, structure_name) = network_of(ledger, tenant).await?.ok_or_else(|| {
        AppError::internal(ecusson_store::StoreError::Corrupt(format!(
            "tenant {tenant} has no network"
        )))
    })?;
    let catalogue = {
        let mut transaction = ledger.store().begin_read_only().await?;
        ecusson_projections::catalogue::catalogue(
            transaction.as_mut(),
            network_id,
            (tenant != network_id).then_some(tenant),
        )
        .await
        .map_err(|error| AppError::Internal(Box::new(error)))?
    };
    let shared = match audience {
        Audience::Full => None,
        Audience::Shared(choices) => Some(choices),
    };
    let shows = |what: fn(&CvChoices) -> bool| shared.is_none_or(what);

    // The awards shown, with the revision of their class each was awarded for.
    let awards: Vec<(&AwardId, &Award)> = earner
        .awards()
        .filter(|(award_id, award)| match shared {
            None => true,
            Some(choices) => choices.awards.contains(award_id) && award.is_active_at(now),
        })
        .collect();
    let mut batch = ledger.batch();
    let class_ids: BTreeSet<BadgeClassId> = awards
        .iter()
        .map(|(_, award)| award.badge_class_id)
        .collect();
    let mut slots = Vec::new();
    for class_id in &class_ids {
        slots.push((
            *class_id,
            batch.cached::<BadgeClass>(network_id, stream(BadgeClass::stream_name(*class_id))?),
        ));
    }
    let network_slot = batch.cached::<Network>(network_id, stream(Network::stream_name())?);
    let mut loaded = batch.load().await?;
    let mut classes = BTreeMap::new();
    for (class_id, slot) in slots {
        classes.insert(class_id, loaded.take(slot).await?.state);
    }
    let network = loaded.take(network_slot).await?.state;

    let name = match (earner.name(), shows(|choices| choices.show_name)) {
        (Some(reference), true) => vault_text(vault, tenant, reference).await?,
        _ => None,
    };
    let mut by_pathway: BTreeMap<PathwayId, Vec<EarnedBadge>> = BTreeMap::new();
    for (award_id, award) in awards {
        let Some(content) = classes
            .get(&award.badge_class_id)
            .and_then(|class| class.content_of(award.revision))
        else {
            return Err(AppError::internal(ecusson_store::StoreError::Corrupt(
                format!(
                    "award {award_id} names revision {} of a badge class that lacks it",
                    award.revision
                ),
            )));
        };
        let mut pieces = earner
            .request(award.request_id)
            .map(|request| request.evidence.clone())
            .unwrap_or_default();
        pieces.extend(award.evidence.iter().copied());
        // A shared CV shows the pieces the worker chose for it, one by one.
        pieces.retain(|piece| {
            shared.is_none_or(|choices| choices.evidence.contains(&piece.evidence_id))
        });
        let evidence = evidence_texts(vault, tenant, pieces).await?;
        let mut recommendations = Vec::new();
        for (_, recommendation) in earner.recommendations() {
            let shown = recommendation.award_id == *award_id
                && recommendation.status == RecommendationStatus::Given
                && shared
                    .is_none_or(|choices| choices.show_recommendations && recommendation.public);
            let Some(testimony) = recommendation.testimony.filter(|_| shown) else {
                continue;
            };
            let Some(testimony) = vault_text(vault, tenant, testimony).await? else {
                continue;
            };
            recommendations.push(RecommendationText {
                organisation: recommendation
                    .organisation_id
                    .and_then(|organisation| network.organisation_name(organisation))
                    .map(str::to_owned),
                testimony,
                public: recommendation.public,
            });
        }
        by_pathway
            .entry(content.pathway_id)
            .or_default()
            .push(EarnedBadge {
                award_id: *award_id,
                badge_class_id: award.badge_class_id,
                name: content.name.clone(),
                description: content.description.clone(),
                skill_type: content.skill_type,
                // Dates tell when the pathway ran: the end of validity too, when badges last a
                // fixed time.
                awarded_at: shows(|choices| choices.show_pathway).then_some(award.awarded_at),
                expires_at: award
                    .expires_at
                    .filter(|_| shows(|choices| choices.show_pathway)),
                standing: standing_of(award, now),
                page_url: site.badge_page(*award_id),
                evidence,
                recommendations,
            });
    }

    // The steps still open, for the worker and their staff only.
    let mut under_way: BTreeMap<PathwayId, Vec<String>> = BTreeMap::new();
    let mut next_steps: BTreeMap<PathwayId, Vec<String>> = BTreeMap::new();
    if shared.is_none() {
        let pending: BTreeSet<BadgeClassId> = earner
            .requests()
            .filter(|(_, request)| request.status == RequestStatus::Pending)
            .map(|(_, request)| request.badge_class_id)
            .collect();
        let standing: BTreeSet<BadgeClassId> = earner
            .awards()
            .filter(|(_, award)| award.is_active_at(now))
            .map(|(_, award)| award.badge_class_id)
            .collect();
        for entry in &catalogue.badge_classes {
            let class = &entry.badge_class;
            if pending.contains(&class.badge_class_id) {
                under_way
                    .entry(class.pathway_id)
                    .or_default()
                    .push(class.name.clone());
            } else if as_of.is_none()
                && !standing.contains(&class.badge_class_id)
                && !class.retired
                && !class.automatic_validation
                && entry
                    .adoption
                    .as_ref()
                    .is_some_and(|adoption| adoption.validation_mode.is_some())
            {
                next_steps
                    .entry(class.pathway_id)
                    .or_default()
                    .push(class.name.clone());
            }
        }
    }

    let mut pathways = Vec::new();
    for pathway in &catalogue.pathways {
        let mut badges = by_pathway.remove(&pathway.pathway_id).unwrap_or_default();
        badges.sort_by_key(|badge| (badge.awarded_at, badge.name.clone()));
        let under_way = under_way.remove(&pathway.pathway_id).unwrap_or_default();
        let next_steps = next_steps.remove(&pathway.pathway_id).unwrap_or_default();
        if badges.is_empty()
            && (shared.is_some() || (under_way.is_empty() && next_steps.is_empty()))
        {
            continue;
        }
        pathways.push(PathwayProgress {
            pathway_id: pathway.pathway_id,
            rank: pathway.rank,
            name: pathway.name.clone(),
            description: pathway.description.clone(),
            badges,
            under_way,
            next_steps,
        });
    }
    // Badges of a pathway the read model does not know yet (just defined) still show.
    for (pathway_id, badges) in by_pathway {
        pathways.push(PathwayProgress {
            pathway_id,
            rank: u8::MAX,
            name: "Autres badges".to_owned(),
            description: String::new(),
            badges,
            under_way: Vec::new(),
            next_steps: Vec::new(),
        });
    }

    let show_pathway = shows(|choices| choices.show_pathway);
    let enrolled_on = earner.enrolled_on().filter(|_| show_pathway);
    let exit = earner.exit().filter(|_| show_pathway);
    let days_in_pathway = enrolled_on.map(|enrolled_on| {
        let end = exit.map_or(today, |(_, exited_on)| exited_on);
        (end - enrolled_on).num_days().max(0)
    });
    let count = |skill_type: SkillType| {
        pathways
            .iter()
            .flat_map(|pathway| &pathway.badges)
            .filter(|badge| badge.standing == Standing::Active && badge.skill_type == skill_type)
            .count()
    };
    Ok(EmployabilityReport {
        tenant_id: tenant,
        earner_id,
        network_name: network
            .name()
            .map_or_else(|| network_id.to_string(), str::to_owned),
        // The structure says the worker was in an insertion pathway: part of the pathway.
        structure_name: structure_name.filter(|_| show_pathway),
        name,
        enrolled_on,
        exit,
        days_in_pathway,
        savoir_faire: count(SkillType::SavoirFaire),
        savoir_etre: count(SkillType::SavoirEtre),
        pathways,
        generated_at,
        as_of,
    })
}

/// What a CV link names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CvLink {
    pub tenant: TenantId,
    pub earner: PersonId,
    pub share: CvShareId,
}

/// The key CV links are signed with, derived from the installation's key.
pub fn cv_link_key(vault: &Vault) -> LinkKey {
    LinkKey::for_purpose(vault, CV_LINK_PURPOSE)
}

/// The token of a CV link (URL-safe base64): the same for a share every time it is asked, so
/// the worker can show their link again.
pub fn cv_token(key: &LinkKey, link: &CvLink) -> String {
    let mut body = Vec::with_capacity(CV_LINK_BODY_BYTES);
    body.extend_from_slice(link.tenant.0.as_bytes());
    body.extend_from_slice(link.earner.0.as_bytes());
    body.extend_from_slice(link.share.0.as_bytes());
    key.seal(body)
}

/// What a CV token names, once its signature is checked (whether the share still opens is the
/// log's to say: see [`open_shared`]).
pub fn open_cv_token(key: &LinkKey, token: &str) -> Result<CvLink, LinkRefused> {
    let body = key.unseal(token, CV_LINK_BODY_BYTES)?;
    let uuid = |range: std::ops::Range<usize>| {
        uuid::Uuid::from_slice(&body[range]).map_err(|_| LinkRefused::Malformed)
    };
    Ok(CvLink {
        tenant: TenantId(uuid(0..16)?),
        earner: PersonId(uuid(16..32)?),
        share: CvShareId(uuid(32..48)?),
    })
}

/// The shared CV a token opens, with its share, or `None` when the token is not ours, or the
/// share is revoked, past its last day, or its worker erased (all alike to the holder: a link
/// cannot be probed).
pub async fn open_shared(
    ledger: &Ledger,
    vault: &Vault,
    site: &PublicSite,
    token: &str,
) -> Result<Option<(EmployabilityReport, CvShare)>, AppError> {
    let Ok(link) = open_cv_token(&cv_link_key(vault), token) else {
        return Ok(None);
    };
    let Some(earner) = load_earner(ledger, link.tenant, link.earner).await? else {
        return Ok(None);
    };
    let today = ledger.now().date_naive();
    let Some(share) = earner
        .cv_share(link.share)
        .filter(|share| share.opens_on(today) && !earner.is_erased())
        .cloned()
    else {
        return Ok(None);
    };
    let report = build(
        ledger,
        vault,
        site,
        link.tenant,
        &earner,
        Audience::Shared(&share.choices),
        None,
    )
    .await?;
    Ok(Some((report, share)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cv_token_names_its_share_and_opens_under_its_own_key_only() {
        let installation = ecusson_store::VaultKey::generate();
        let key = LinkKey::from_installation_key_for(&installation, CV_LINK_PURPOSE);
        let link = CvLink {
            tenant: TenantId::new(),
            earner: PersonId::new(),
            share: CvShareId::new(),
        };
        let token = cv_token(&key, &link);
        assert_eq!(open_cv_token(&key, &token), Ok(link));
        assert_eq!(
            cv_token(&key, &link),
            token,
            "the same share, the same link"
        );
        // A recommendation link's key, or another installation's, does not open it.
        let recommendation_key = LinkKey::from_installation_key(&installation);
        assert_eq!(
            open_cv_token(&recommendation_key, &token),
            Err(LinkRefused::Forged)
        );
        let other = LinkKey::from_installation_key_for(
            &ecusson_store::VaultKey::generate(),
            CV_LINK_PURPOSE,
        );
        assert_eq!(open_cv_token(&other, &token), Err(LinkRefused::Forged));
        assert_eq!(
            open_cv_token(&key, &token[1..]),
            Err(LinkRefused::Malformed)
        );
    }
}
