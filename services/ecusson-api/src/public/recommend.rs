//! A host company answers the recommendation a worker asked of it, through the single-use link
//! the worker sent (see `ecusson_app::links`), without an account: the form, then the
//! recommendation recorded in the recommender's name, public only if they agreed.
//!
//! A link that is malformed, forged, expired, already used or whose badge no longer stands
//! gets the same page: a link cannot be probed.

use super::{html_page, respond, Refusal};
use crate::server::ServerState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use ecusson_app::credentials::{self, AwardFacts};
use ecusson_app::links::{self, LinkKey, RecommendationLink};
use ecusson_app::{AppError, RequestMeta};
use ecusson_domain::earner::{Recommendation, RecommendationStatus};
use ecusson_domain::input::{check_text, TEXT_MAX_CHARS};
use ecusson_domain::{Actor, DomainError, Earner, EarnerCommand, Role, VaultEntryId, VaultRef};
use ecusson_pages::recommendation_page as page;
use ecusson_store::StreamId;
use std::collections::HashMap;

/// The largest form accepted: a testimony of [`TEXT_MAX_CHARS`] characters, percent-encoded.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

fn unusable() -> HttpResponse {
    html_page(StatusCode::GONE, page::render_link_unusable())
}

/// The link's recommendation, still waiting for its answer, with the award it is about; `None`
/// when the link cannot be used.
async fn open(
    state: &ServerState,
    token: &str,
) -> Result<Option<(RecommendationLink, Recommendation, AwardFacts)>, Refusal> {
    let Ok(link) = links::open(&LinkKey::of(&state.vault), token, state.ledger.now()) else {
        return Ok(None);
    };
    let earner = state
        .ledger
        .load::<Earner>(
            link.tenant,
            &StreamId::parse(Earner::stream_name(link.earner))
                .map_err(|error| Refusal::Internal(error.into()))?,
        )
        .await?
        .state;
    let Some(asked) = earner.recommendation(link.recommendation).copied() else {
        return Ok(None);
    };
    if asked.status != RecommendationStatus::Asked {
        return Ok(None);
    }
    let Some(facts) =
        credentials::award_facts(&state.ledger, link.tenant, link.earner, asked.award_id).await?
    else {
        return Ok(None);
    };
    if facts.award.revoked || facts.award.is_expired_at(state.ledger.now()) {
        return Ok(None);
    }
    Ok(Some((link, asked, facts)))
}

async fn form_view(
    state: &ServerState,
    token: &str,
    asked: &Recommendation,
    facts: &AwardFacts,
    error: Option<String>,
    previous_text: Option<String>,
) -> Result<page::RecommendationForm, Refusal> {
    // The worker sent the link themself: the company knows them; their first name only.
    let first_name = match facts.earner.name() {
        Some(reference) => credentials::vault_text(&state.vault, facts.tenant_id, reference)
            .await?
            .and_then(|name| name.split_whitespace().next().map(str::to_owned)),
        None => None,
    };
    Ok(page::RecommendationForm {
        action_url: format!("{}/recommend/{token}", state.site.base()),
        badge_name: facts.content.name.clone(),
        badge_description: facts.content.description.clone(),
        image_url: state.site.achievement_image(
            facts.network_id,
            facts.award.badge_class_id,
            facts.award.revision,
            "png",
        ),
        earner_first_name: first_name,
        organisation_name: asked
            .organisation_id
            .and_then(|organisation| facts.network.organisation_name(organisation))
            .map(str::to_owned),
        max_chars: TEXT_MAX_CHARS,
        error,
        previous_text,
    })
}

pub async fn form(
    state: web::Data<ServerState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let answer = async {
        let Some((_, asked, facts)) = open(&state, &path).await? else {
            return Ok(unusable());
        };
        let view = form_view(&state, &path, &asked, &facts, None, None).await?;
        Ok(html_page(StatusCode::OK, page::render_form(&view)))
    }
    .await;
    respond(&request, answer)
}

pub async fn submit(
    state: web::Data<ServerState>,
    request: HttpRequest,
    path: web::Path<String>,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let answer = async {
        let Some((link, asked, facts)) = open(&state, &path).await? else {
            return Ok(unusable());
        };
        let field = |name: &str| fields.get(name).map(String::as_str);
        // The company acts as the recommender the worker named when asking.
        let actor = Actor {
            tenant_id: link.tenant,
            person_id: asked.recommender_id,
            roles: vec![Role::Recommender],
        };
        let stream = StreamId::parse(Earner::stream_name(link.earner))
            .map_err(|error| Refusal::Internal(error.into()))?;
        let mut meta = RequestMeta::default();
        let command = match field(page::ACTION_FIELD) {
            Some(page::ACTION_DECLINE) => EarnerCommand::DeclineRecommendation {
                recommendation_id: link.recommendation,
            },
            Some(page::ACTION_GIVE) => {
                let testimony = field(page::TESTIMONY_FIELD).unwrap_or("").trim().to_owned();
                if let Err(DomainError::InvalidInput(_)) =
                    check_text("the testimony", &testimony, TEXT_MAX_CHARS)
                {
                    let error =
                        format!("Écrivez votre témoignage (au plus {TEXT_MAX_CHARS} caractères).");
                    let view =
                        form_view(&state, &path, &asked, &facts, Some(error), Some(testimony))
                            .await?;
                    return Ok(html_page(StatusCode::BAD_REQUEST, page::render_form(&view)));
                }
                // The testimony speaks about the worker: it goes to their vault.
                let entry_id = VaultEntryId::new();
                meta.vault_entries = vec![
                    state
                        .vault
                        .seal_new(link.tenant, link.earner, entry_id, testimony.as_bytes())
                        .await?,
                ];
                EarnerCommand::GiveRecommendation {
                    recommendation_id: link.recommendation,
                    award_id: asked.award_id,
                    recommender_id: asked.recommender_id,
                    organisation_id: asked.organisation_id,
                    testimony: VaultRef {
                        person_id: link.earner,
                        entry_id,
                    },
                    public: field(page::CONSENT_FIELD) == Some(page::CONSENT_VALUE),
                }
            }
            _ => return Ok(unusable()),
        };
        let given = matches!(command, EarnerCommand::GiveRecommendation { .. });
        match state
            .ledger
            .execute::<Earner, _>(&actor, link.tenant, &stream, &meta, |_| Ok(command.clone()))
            .await
        {
            Ok(_) => {
                state.wake.notify_waiters();
                Ok(html_page(StatusCode::OK, page::render_done(given)))
            }
            // Answered meanwhile (a second tab, a double click): the link is used.
            Err(AppError::Domain(_)) => Ok(unusable()),
            Err(error) => Err(Refusal::Internal(error)),
        }
    }
    .await;
    respond(&request, answer)
}
