//! The issuer's public documents, without login: each network's keys as a `did:web` DID
//! document (`/networks/{id}/did.json`) and as a JWK Set (`/networks/{id}/jwks.json`), so that
//! anyone can check a credential without trusting us. Every key ever used is there: what an
//! older key signed still verifies; a revoked key says from when it is compromised.
//!
//! The DID names the host the document was fetched from (the `Host` of the request), as
//! did:web requires: the document served at `badges.example` is `did:web:badges.example:…`.

use crate::server::ServerState;
use actix_web::{http::header, web, HttpRequest, HttpResponse};
use ecusson_app::keys;
use ecusson_domain::TenantId;

/// The network's keys, or the answer to give instead (unknown network: 404).
async fn keys_of(
    state: &ServerState,
    network: &str,
) -> Result<(TenantId, ecusson_domain::IssuerKeys), HttpResponse> {
    let not_found = || HttpResponse::NotFound().json(serde_json::json!({"error": "NOT_FOUND"}));
    let network = TenantId::parse(network).map_err(|_| not_found())?;
    let state = keys::issuer_keys(&state.ledger, network)
        .await
        .map_err(|error| {
            tracing::error!(error = %error, "issuer keys could not be read");
            HttpResponse::InternalServerError().json(serde_json::json!({"error": "INTERNAL"}))
        })?;
    if state.keys().is_empty() {
        return Err(not_found());
    }
    Ok((network, state))
}

fn did_of(request: &HttpRequest, network: TenantId) -> String {
    keys::network_did(request.connection_info().host(), network)
}

/// Public, cacheable for a short while (a rotation or revocation shows within a minute).
fn public_json(body: serde_json::Value, content_type: &str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type.to_owned()))
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(body.to_string())
}

/// Answers with a document built from the network's keys and its DID.
async fn published(
    state: &ServerState,
    request: &HttpRequest,
    network: &str,
    build: fn(&ecusson_domain::IssuerKeys, &str) -> serde_json::Value,
    content_type: &str,
) -> HttpResponse {
    match keys_of(state, network).await {
        Ok((network, keys)) => public_json(build(&keys, &did_of(request, network)), content_type),
        Err(answer) => answer,
    }
}

pub async fn did_document(
    state: web::Data<ServerState>,
    request: HttpRequest,
    network: web::Path<String>,
) -> HttpResponse {
    published(
        &state,
        &request,
        &network,
        keys::did_document,
        "application/did+json",
    )
    .await
}

pub async fn jwks(
    state: web::Data<ServerState>,
    request: HttpRequest,
    network: web::Path<String>,
) -> HttpResponse {
    published(
        &state,
        &request,
        &network,
        keys::jwks,
        "application/jwk-set+json",
    )
    .await
}
