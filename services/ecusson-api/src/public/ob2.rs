//! Open Badges 2.0 hosted documents: what Open Badge Passport and Open Badge Factory import
//! today. The issuer, each badge class revision, and each award as a hosted `Assertion`
//! (`.png` and `.svg`: baked); a revoked award answers 410 with `revoked: true` and its reason,
//! as the specification and Badgr do.
//!
//! The recipient is the salted hash of the worker's e-mail address when they gave one (what
//! Passport matches a badge to its owner by), otherwise of the badge page's URL.

use super::documents::{badge_class_revision, baked_image, PUBLIC_REVOCATION_REASON};
use super::{json_document, path_id, respond, Refusal};
use crate::server::ServerState;
use actix_web::{web, HttpRequest, HttpResponse};
use ecusson_app::credentials::{self, AwardFacts};
use ecusson_badges::bake::{Baked, Ob2Assertion};
use ecusson_badges::ob2::{
    Alignment, Assertion, BadgeClass, Criteria, Evidence, HashedIdentity, Issuer, RevokedAssertion,
};
use ecusson_domain::{AwardId, BadgeClassId, Network, TenantId};
use ecusson_projections::AwardStanding;
use ecusson_store::StreamId;

const CONTENT_TYPE: &str = "application/ld+json";

pub async fn issuer(
    state: web::Data<ServerState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let answer = async {
        let network_id = path_id(&path, TenantId::parse)?;
        let network = state
            .ledger
            .load::<Network>(
                network_id,
                &StreamId::parse(Network::stream_name())
                    .map_err(|error| Refusal::Internal(error.into()))?,
            )
            .await?
            .state;
        if network.network_id() != Some(network_id) {
            return Err(Refusal::NotFound);
        }
        Ok(json_document(
            &Issuer {
                id: state.site.ob2_issuer(network_id),
                name: network.name().unwrap_or_default().to_owned(),
                url: state.site.base().to_owned(),
                email: None,
                public_key: None,
            }
            .to_json(),
            CONTENT_TYPE,
        ))
    }
    .await;
    respond(&request, answer)
}

pub async fn badge_class(
    state: web::Data<ServerState>,
    request: HttpRequest,
    path: web::Path<(String, String, String)>,
) -> HttpResponse {
    let answer = async {
        let network_id = path_id(&path.0, TenantId::parse)?;
        let class = path_id(&path.1, BadgeClassId::parse)?;
        let revision: u32 = path.2.parse().map_err(|_| Refusal::NotFound)?;
        let (content, pathway) = badge_class_revision(&state, network_id, class, revision).await?;
        let site = &state.site;
        let mut tags: Vec<String> = pathway.into_iter().collect();
        tags.push(credentials::skill_type_label(content.skill_type).to_owned());
        Ok(json_document(
            &BadgeClass {
                id: site.ob2_badge_class(network_id, class, revision),
                name: content.name.clone(),
                description: content.description.clone(),
                image: site.achievement_image(network_id, class, revision, "png"),
                criteria: Criteria {
                    id: None,
                    narrative: content.criteria_narrative.clone(),
                },
                issuer: site.ob2_issuer(network_id),
                tags,
                alignment: content
                    .alignments
                    .iter()
                    .map(|alignment| Alignment {
                        target_name: alignment.target_name.clone(),
                        target_url: alignment.target_url.clone(),
                        target_description: None,
                        target_framework: None,
                        target_code: alignment.target_code.clone(),
                    })
                    .collect(),
            }
            .to_json(),
            CONTENT_TYPE,
        ))
    }
    .await;
    respond(&request, answer)
}

/// The hosted assertion of an award, as the ledger and the earner's choices say now.
async fn assertion_of(state: &ServerState, facts: &AwardFacts) -> Result<Assertion, Refusal> {
    let site = &state.site;
    // Fixed per award, different between awards (see `recipient_salt`).
    let salt = credentials::recipient_salt(facts.award_id);
    let email = match facts.earner.email() {
        Some(reference) => {
            credentials::vault_text(&state.vault, facts.tenant_id, reference).await?
        }
        None => None,
    };
    let recipient = match email {
        Some(email) => HashedIdentity::email(&email, &salt),
        None => HashedIdentity::url(&site.badge_page(facts.award_id), &salt),
    };
    let evidence = facts
        .public_evidence_texts(&state.vault)
        .await?
        .into_iter()
        .map(|piece| Evidence {
            id: piece.link,
            narrative: piece.text,
        })
        .collect();
    let seconds = |instant: chrono::DateTime<chrono::Utc>| {
        instant.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    Ok(Assertion {
        id: site.ob2_assertion(facts.award_id),
        recipient,
        badge: site.ob2_badge_class(
            facts.network_id,
            facts.award.badge_class_id,
            facts.award.revision,
        ),
        issued_on: seconds(facts.award.awarded_at),
        expires: facts.award.expires_at.map(seconds),
        evidence,
    })
}

pub async fn assertion(
    state: web::Data<ServerState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let answer = async {
        let (id, form) = path.split_once('.').unwrap_or((path.as_str(), ""));
        let award_id = path_id(id, AwardId::parse)?;
        let entry = credentials::public_award(&state.ledger, award_id)
            .await?
            .ok_or(Refusal::NotFound)?;
        if entry.state == AwardStanding::Revoked {
            let revoked = RevokedAssertion {
                id: state.site.ob2_assertion(award_id),
                revocation_reason: PUBLIC_REVOCATION_REASON,
            };
            return Ok(HttpResponse::Gone()
                .insert_header((actix_web::http::header::CONTENT_TYPE, CONTENT_TYPE))
                .insert_header((actix_web::http::header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
                .body(revoked.to_json().to_string()));
        }
        let facts =
            credentials::award_facts(&state.ledger, entry.tenant_id, entry.earner_id, award_id)
                .await?
                .ok_or(Refusal::NotFound)?;
        let assertion = assertion_of(&state, &facts).await?.to_json();
        match form {
            "" | "json" => Ok(json_document(&assertion, CONTENT_TYPE)),
            "png" | "svg" => baked_image(
                &facts.content,
                &Baked::Ob2(Ob2Assertion::Json(assertion.to_string())),
                form == "svg",
            ),
            _ => Err(Refusal::NotFound),
        }
    }
    .await;
    respond(&request, answer)
}
