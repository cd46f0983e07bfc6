//! The public side of the ledger, without login: what an employer, a wallet, Open Badge
//! Passport or any verifier fetches to check a badge without trusting us.
//!
//! - The issuer's documents: its Open Badges 3.0 profile, which is also the controller document
//!   of its keys (`/networks/{id}`), each P-256 key as the bare JWK a VC-JWT's `kid` names
//!   (`/networks/{id}/keys/{key}`), a structure's profile (`/structures/{id}`), the badge
//!   classes as `Achievement`s and their images (`/networks/{id}/achievements/{class}/{rev}`).
//! - The credentials (`/credentials/{id}`: JSON-LD, `.jwt`, baked `.png` and `.svg`) and each
//!   tenant's 1EdTech revocation list (`/status/{tenant}/revocations`).
//! - Endorsement credentials, signed by the ledger on the organisations' behalf: of the network
//!   or a badge class (`/networks/{id}/endorsements/{id}`), a host company's public
//!   recommendation (`/badges/{award}/recommendations/{id}`); each organisation's profile and
//!   the keys that speak for it (`/networks/{id}/organisations/{id}`).
//! - The public page of an award (`/badges/{award}`), in French, and the verification page
//!   (`/verify`), where anyone checks a badge file.
//! - The single-use link a host company answers a recommendation through
//!   (`/recommend/{token}`), without an account.
//! - Open Badges 2.0 hosted documents (`/ob2/...`), what Open Badge Passport imports.
//! - The audit trail (`/audit/...`): each tenant's signed checkpoints, the proofs between them
//!   and each network's verifier key (hashes and counts, nothing of any person).
//!
//! Public URLs name an award or a credential by a random id, never a person. What a page shows
//! of a worker is what they agreed to show (their name, their evidence, recommendations whose
//! authors agreed too). Internal errors are logged once and answered without detail.

mod audit;
mod badge;
mod documents;
mod ob2;
mod recommend;
mod verify;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use ecusson_app::AppError;

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route(
            "/networks/{network}",
            web::get().to(documents::issuer_profile),
        )
        .route(
            "/networks/{network}/keys/{key}",
            web::get().to(documents::jwt_key),
        )
        .route(
            "/networks/{network}/achievements/{class}/{revision}",
            web::get().to(documents::achievement),
        )
        .route(
            "/networks/{network}/achievements/{class}/{revision}/{image}",
            web::get().to(documents::achievement_image),
        )
        .route(
            "/networks/{network}/organisations/{organisation}",
            web::get().to(documents::organisation_profile),
        )
        .route(
            "/networks/{network}/endorsements/{endorsement}",
            web::get().to(documents::endorsement),
        )
        .route(
            "/badges/{award}/recommendations/{recommendation}",
            web::get().to(documents::recommendation),
        )
        .route(
            "/structures/{structure}",
            web::get().to(documents::structure_profile),
        )
        .route(
            "/credentials/{credential}",
            web::get().to(documents::credential),
        )
        .route(
            "/status/{tenant}/revocations",
            web::get().to(documents::revocation_list),
        )
        .route("/badges/{award}", web::get().to(badge::page))
        .route("/audit/networks/{network}/key", web::get().to(audit::key))
        .route("/audit/{tenant}/checkpoint", web::get().to(audit::latest))
        .route(
            "/audit/{tenant}/checkpoints/{size}",
            web::get().to(audit::at_size),
        )
        .route(
            "/audit/{tenant}/proofs/inclusion",
            web::get().to(audit::inclusion),
        )
        .route(
            "/audit/{tenant}/proofs/consistency",
            web::get().to(audit::consistency),
        )
        .route("/ob2/issuers/{network}", web::get().to(ob2::issuer))
        .route(
            "/ob2/issuers/{network}/badge-classes/{class}/{revision}",
            web::get().to(ob2::badge_class),
        )
        .route("/ob2/assertions/{award}", web::get().to(ob2::assertion))
        .service(
            web::resource("/recommend/{token}")
                .app_data(web::FormConfig::default().limit(recommend::MAX_FORM_BYTES))
                .route(web::get().to(recommend::form))
                .route(web::post().to(recommend::submit)),
        )
        .service(
            web::resource("/verify")
                .app_data(web::PayloadConfig::new(verify::MAX_UPLOAD_BYTES))
                .route(web::get().to(verify::form))
                .route(web::post().to(verify::submit)),
        );
}

/// Whether the caller is a browser asking for a page rather than a program asking for data.
fn wants_html(request: &HttpRequest) -> bool {
    let accept = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let html = accept.find("text/html");
    let json = accept
        .find("json")
        .or_else(|| accept.find("application/ld"));
    match (html, json) {
        (Some(html), Some(json)) => html < json,
        (Some(_), None) => true,
        _ => false,
    }
}

/// A public document: cacheable for a minute (a revocation shows within a minute), readable
/// from any origin (wallets and verifiers run in browsers).
fn public_document(
    body: impl actix_web::body::MessageBody + 'static,
    content_type: &str,
) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type.to_owned()))
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(body)
}

fn json_document(value: &serde_json::Value, content_type: &str) -> HttpResponse {
    public_document(value.to_string(), content_type)
}

/// The security headers of every HTML page: no script may run, styles are the page's own,
/// nothing is framed, no referrer leaks a page's address.
pub(crate) fn html_page(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; img-src 'self' data: https:; style-src 'unsafe-inline'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header(("X-Robots-Tag", "noindex"))
        .body(body)
}

/// Unknown, malformed or erased: the same answer, so that an id cannot be probed.
fn not_found(request: &HttpRequest) -> HttpResponse {
    if wants_html(request) {
        html_page(
            actix_web::http::StatusCode::NOT_FOUND,
            ecusson_pages::message_page::render(
                "Badge introuvable",
                "Cette adresse ne correspond à aucun badge. Vérifiez le lien ou le code QR, ou \
                 demandez à la personne qui vous l'a donné.",
            ),
        )
    } else {
        HttpResponse::NotFound()
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .json(serde_json::json!({"error": "NOT_FOUND"}))
    }
}

/// A page that says what was not found, in the reader's words.
pub(crate) fn not_found_page(title: &str, message: &str) -> HttpResponse {
    html_page(
        actix_web::http::StatusCode::NOT_FOUND,
        ecusson_pages::message_page::render(title, message),
    )
}

/// An internal failure: logged once here, opaque to the caller.
fn internal(request: &HttpRequest, error: &AppError) -> HttpResponse {
    tracing::error!(error = %error, path = request.match_pattern().as_deref().unwrap_or("?"), "a public document could not be served");
    if wants_html(request) {
        html_page(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            ecusson_pages::message_page::render(
                "Service indisponible",
                "Le service ne peut pas répondre pour le moment. Réessayez dans quelques minutes.",
            ),
        )
    } else {
        HttpResponse::InternalServerError().json(serde_json::json!({"error": "INTERNAL"}))
    }
}

/// The outcome of a public handler: a response, or why there is none.
type Answer = Result<HttpResponse, Refusal>;

pub(crate) enum Refusal {
    NotFound,
    Internal(AppError),
}

impl From<AppError> for Refusal {
    fn from(error: AppError) -> Self {
        Refusal::Internal(error)
    }
}

impl From<ecusson_store::StoreError> for Refusal {
    fn from(error: ecusson_store::StoreError) -> Self {
        Refusal::Internal(error.into())
    }
}

impl From<ecusson_projections::ProjectionError> for Refusal {
    fn from(error: ecusson_projections::ProjectionError) -> Self {
        Refusal::Internal(AppError::Internal(Box::new(error)))
    }
}

pub(crate) fn respond(request: &HttpRequest, answer: Answer) -> HttpResponse {
    match answer {
        Ok(response) => response,
        Err(Refusal::NotFound) => not_found(request),
        Err(Refusal::Internal(error)) => internal(request, &error),
    }
}

/// An id from the path, or not found (a malformed id is as unknown as an absent one).
fn path_id<T>(
    text: &str,
    parse: fn(&str) -> Result<T, ecusson_domain::DomainError>,
) -> Result<T, Refusal> {
    parse(text).map_err(|_| Refusal::NotFound)
}
