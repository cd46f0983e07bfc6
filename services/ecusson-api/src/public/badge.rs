//! The public page of an award: what an employer sees after scanning the badge's QR code, what
//! a worker shows or prints. French, one column, no script. It shows only what the worker
//! agreed to show: their name, the evidence they made public, and the recommendations they
//! chose to show whose authors agreed to publication too.

use super::documents::PUBLIC_REVOCATION_REASON;
use super::{html_page, path_id, respond, Refusal};
use crate::server::ServerState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use ecusson_app::credentials::{self, AwardFacts};
use ecusson_domain::earner::RecommendationStatus;
use ecusson_domain::network::EndorsementTarget;
use ecusson_domain::AwardId;
use ecusson_pages::badge_page::{
    BadgePage, BadgeStatus, PublicEndorsement, PublicEvidence, PublicRecommendation,
};
use ecusson_projections::{AwardEntry, AwardStanding};

pub async fn page(
    state: web::Data<ServerState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let answer = async {
        let award_id = path_id(&path, AwardId::parse)?;
        let entry = credentials::public_award(&state.ledger, award_id)
            .await?
            .ok_or(Refusal::NotFound)?;
        let facts =
            credentials::award_facts(&state.ledger, entry.tenant_id, entry.earner_id, award_id)
                .await?
                .ok_or(Refusal::NotFound)?;
        let view = badge_view(&state, &entry, &facts).await?;
        Ok(html_page(
            StatusCode::OK,
            ecusson_pages::badge_page::render(&view),
        ))
    }
    .await;
    respond(&request, answer)
}

fn status(entry: &AwardEntry, now: chrono::DateTime<chrono::Utc>) -> BadgeStatus {
    match credentials::standing_at(entry, now) {
        AwardStanding::Active => BadgeStatus::Valid {
            valid_until: entry.expires_at,
        },
        AwardStanding::Expired => BadgeStatus::Expired {
            expired_at: entry.expires_at.or(entry.ended_at).unwrap_or(now),
        },
        AwardStanding::Revoked => BadgeStatus::Revoked {
            revoked_at: entry.ended_at.unwrap_or(now),
            reason: PUBLIC_REVOCATION_REASON,
        },
    }
}

/// Everything the page shows, gathered from the log, the read model and the vault.
pub(crate) async fn badge_view(
    state: &ServerState,
    entry: &AwardEntry,
    facts: &AwardFacts,
) -> Result<BadgePage, Refusal> {
    let site = &state.site;
    let vault = &state.vault;
    let tenant = facts.tenant_id;
    let consent = facts.earner.consent();
    let earner_name = match (consent.show_name, facts.earner.name()) {
        (true, Some(reference)) => credentials::vault_text(vault, tenant, reference).await?,
        _ => None,
    };
    let evidence = facts
        .public_evidence_texts(vault)
        .await?
        .into_iter()
        .map(|piece| PublicEvidence {
            kind: credentials::evidence_kind_label(piece.kind).to_owned(),
            text: piece.text,
            link: piece.link,
        })
        .collect();
    let mut recommendations = Vec::new();
    // Signed copies of what the page shows in an organisation's name (endorsement credentials,
    // which anyone can verify without us), listed with the downloads.
    let mut signed_statements = Vec::new();
    let has_keys = !facts.issuer_keys.keys().is_empty();
    if consent.show_recommendations {
        for (recommendation_id, recommendation) in facts.earner.recommendations() {
            let shown = recommendation.award_id == facts.award_id
                && recommendation.status == RecommendationStatus::Given
                && recommendation.public;
            let Some(testimony) = recommendation.testimony.filter(|_| shown) else {
                continue;
            };
            let Some(testimony) = credentials::vault_text(vault, tenant, testimony).await? else {
                continue;
            };
            let from = recommendation
                .organisation_id
                .and_then(|organisation| facts.network.organisation_name(organisation));
            if let (Some(from), true) = (from, has_keys) {
                signed_statements.push((
                    format!("Recommandation de {from}, signée (Open Badges 3.0)"),
                    site.recommendation(facts.award_id, *recommendation_id),
                ));
            }
            recommendations.push(PublicRecommendation {
                from: from.unwrap_or("Une entreprise accueillante").to_owned(),
                testimony,
                given_at: None,
            });
        }
    }
    let endorsements = facts
        .network
        .active_endorsements()
        .filter_map(|(endorsement_id, endorsement)| {
            let of_issuer = match endorsement.target {
                EndorsementTarget::Issuer => true,
                EndorsementTarget::BadgeClass(class) if class == facts.award.badge_class_id => {
                    false
                }
                EndorsementTarget::BadgeClass(_) => return None,
            };
            let organisation = facts
                .network
                .organisation_name(endorsement.organisation_id)
                .unwrap_or_default()
                .to_owned();
            if has_keys {
                signed_statements.push((
                    format!("Reconnaissance par {organisation}, signée (Open Badges 3.0)"),
                    site.endorsement(facts.network_id, *endorsement_id),
                ));
            }
            Some(PublicEndorsement {
                organisation,
                statement: endorsement.statement.clone(),
                of_issuer,
            })
        })
        .collect();
    let mut downloads = Vec::new();
    let published = facts
        .earner
        .latest_credential(facts.award_id)
        .filter(|credential| credential.within(consent));
    if let Some(credential) = published {
        let url = site.credential(credential.credential_id);
        downloads.push((
            "Badge signé (Open Badges 3.0, JSON-LD)".to_owned(),
            format!("{url}.json"),
        ));
        if credential.jwt_key_id.is_some() {
            downloads.push((
                "Badge signé (Open Badges 3.0, VC-JWT)".to_owned(),
                format!("{url}.jwt"),
            ));
        }
        downloads.push((
            "Image du badge avec le badge signé (PNG)".to_owned(),
            format!("{url}.png"),
        ));
        downloads.push((
            "Image du badge avec le badge signé (SVG)".to_owned(),
            format!("{url}.svg"),
        ));
    }
    downloads.extend(signed_statements);
    if entry.state != AwardStanding::Revoked {
        let assertion = site.ob2_assertion(facts.award_id);
        downloads.push((
            "Badge pour Open Badge Passport (Open Badges 2.0, PNG)".to_owned(),
            format!("{assertion}.png"),
        ));
    }
    let content = &facts.content;
    Ok(BadgePage {
        page_url: site.badge_page(facts.award_id),
        badge_name: content.name.clone(),
        badge_description: content.description.clone(),
        image_url: site.achievement_image(
            facts.network_id,
            facts.award.badge_class_id,
            facts.award.revision,
            "png",
        ),
        criteria: content.criteria_narrative.clone(),
        structure_criterion: facts.criterion.as_ref().map(|criterion| {
            format!(
                "{}\nPreuve attendue : {}",
                criterion.criterion, criterion.evidence
            )
        }),
        pathway: facts.pathway_name.clone(),
        skill_type: Some(credentials::skill_type_label(content.skill_type).to_owned()),
        issuer_name: facts.network_name(),
        issuer_url: site.issuer(facts.network_id),
        structure_name: facts.structure.as_ref().map(|(_, name)| name.clone()),
        earner_name,
        awarded_at: facts.award.awarded_at,
        status: status(entry, state.ledger.now()),
        evidence,
        recommendations,
        endorsements,
        downloads,
        verify_url: Some(site.verify_page()),
    })
}
