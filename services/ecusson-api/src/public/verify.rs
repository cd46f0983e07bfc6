//! The verification endpoint and page: anyone submits a badge (Open Badges 3.0 credential as
//! JSON or VC-JWT, or a PNG or SVG with one baked in) and gets each check explained in French
//! and English, as JSON for programs and as a page for people.
//!
//! For the credentials this ledger issued, the keys, the issuance dates and the revocation
//! lists come from the log itself. For others, the server fetches nothing (a verifier that
//! fetched URLs named by what anyone uploads would be an open proxy into the network it runs
//! in): keys that need no fetching (`did:key`, the `<issuer>#z6Mk…` convention) are checked,
//! the rest is reported as not checkable here, and `ecusson verify` does the fetching on the
//! user's own machine. Canonicalising a hostile document can be slow: verification runs on a
//! blocking thread with a time limit, after the verifier's own size and complexity caps.

use super::documents::revocation_list_of;
use super::{html_page, wants_html};
use crate::server::ServerState;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use ecusson_app::credentials::IssuedKeys;
use ecusson_badges::bake::{self, Baked};
use ecusson_badges::status::{RevocationList, StatusAnswer};
use ecusson_badges::verify::{
    self as verifier, KeyResolver, Outcome, Report, ResolvedKey, StatusResolver, Verdict, VerifyEnv,
};
use ecusson_domain::{CredentialId, TenantId};
use ecusson_pages::verification_page as page;
use futures::StreamExt as _;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// The largest upload: a badge image with its credential.
pub const MAX_UPLOAD_BYTES: usize = 2 * 1024 * 1024;

/// How long one verification may take.
const VERIFY_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a verification waits for a free core before the answer is "busy, retry".
const BUSY_WAIT: Duration = Duration::from_secs(5);

pub async fn form(state: web::Data<ServerState>) -> HttpResponse {
    html_page(
        StatusCode::OK,
        page::render_form(&state.site.verify_page(), MAX_UPLOAD_BYTES),
    )
}

/// What was submitted, or why nothing could be read.
enum Submitted {
    Badge(Vec<u8>),
    Unreadable(&'static str),
}

pub async fn submit(
    state: web::Data<ServerState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let from_form = content_type.starts_with("multipart/form-data");
    let as_html = from_form || wants_html(&request);
    let submitted = if from_form {
        read_form(&request, payload).await
    } else {
        read_body(payload).await
    };
    let bytes = match submitted {
        Submitted::Badge(bytes) => bytes,
        Submitted::Unreadable(why) => return refuse(as_html, why),
    };
    // A baked image carries its credential.
    let credential =
        match bake::image_format(&bytes) {
            None => bytes,
            Some(_) => match bake::extract(&bytes) {
                Ok(baked @ Baked::Ob3(_)) => baked.text().as_bytes().to_vec(),
                Ok(Baked::Ob2(_)) => return refuse(
                    as_html,
                    "Cette image porte un badge Open Badges 2.0 : il se vérifie en ouvrant son \
                     adresse (vérification hébergée), pas ici.",
                ),
                Err(_) => {
                    return refuse(
                        as_html,
                        "Cette image ne contient pas de badge lisible (Open Badges 3.0).",
                    )
                }
            },
        };
    let resolvers = match Resolvers::gather(&state, &credential).await {
        Ok(resolvers) => resolvers,
        Err(error) => {
            tracing::error!(error = %error, "the verification's ledger lookups failed");
            return HttpResponse::InternalServerError()
                .json(serde_json::json!({"error": "INTERNAL"}));
        }
    };
    let now = state.ledger.now();
    // One verification per core at a time: the permit travels with the work and is released
    // when it ends, even after the request has given up waiting for it.
    let permit =
        match tokio::time::timeout(BUSY_WAIT, Arc::clone(&state.verifications).acquire_owned())
            .await
        {
            Ok(Ok(permit)) => permit,
            _ => {
                return HttpResponse::ServiceUnavailable()
                    .insert_header((header::RETRY_AFTER, "5"))
                    .json(serde_json::json!({"error": "BUSY"}))
            }
        };
    let task = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let env = VerifyEnv {
            now,
            keys: &resolvers,
            status: &resolvers,
        };
        verifier::verify_input(&credential, &env)
    });
    let report = match tokio::time::timeout(VERIFY_TIMEOUT, task).await {
        Ok(Ok(report)) => report,
        Ok(Err(error)) => {
            tracing::error!(error = %error, "a verification panicked");
            return HttpResponse::InternalServerError()
                .json(serde_json::json!({"error": "INTERNAL"}));
        }
        Err(_) => {
            return refuse(
                as_html,
                "Ce document est trop complexe pour être vérifié dans le temps imparti.",
            )
        }
    };
    if as_html {
        html_page(StatusCode::OK, page::render(&view(&report)))
    } else {
        HttpResponse::Ok()
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .json(report.to_json())
    }
}

/// A submission that could not be read: 400, with the reason in French (the page) or as
/// BAD_USER_INPUT (the API).
fn refuse(as_html: bool, why: &str) -> HttpResponse {
    if as_html {
        html_page(
            StatusCode::BAD_REQUEST,
            ecusson_pages::message_page::render("Vérification impossible", why),
        )
    } else {
        HttpResponse::BadRequest()
            .json(serde_json::json!({"error": "BAD_USER_INPUT", "message": why}))
    }
}

/// The raw body (a credential as JSON or a JWT, or an image), under the size limit.
async fn read_body(mut payload: web::Payload) -> Submitted {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let Ok(chunk) = chunk else {
            return Submitted::Unreadable("Le document n'a pas pu être reçu en entier.");
        };
        if body.len() + chunk.len() > MAX_UPLOAD_BYTES {
            return Submitted::Unreadable("Le document dépasse la taille acceptée (2 Mo).");
        }
        body.extend_from_slice(&chunk);
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Submitted::Unreadable("Aucun badge n'a été envoyé.");
    }
    Submitted::Badge(body)
}

/// The verification form: a file, or a credential pasted as text.
async fn read_form(request: &HttpRequest, payload: web::Payload) -> Submitted {
    let mut multipart = actix_multipart::Multipart::new(request.headers(), payload);
    let mut found: Option<Vec<u8>> = None;
    let mut total = 0usize;
    while let Some(field) = multipart.next().await {
        let Ok(mut field) = field else {
            return Submitted::Unreadable("Le formulaire n'a pas pu être lu.");
        };
        let name = field.name().unwrap_or_default().to_owned();
        let mut value = Vec::new();
        while let Some(chunk) = field.next().await {
            let Ok(chunk) = chunk else {
                return Submitted::Unreadable("Le formulaire n'a pas pu être lu.");
            };
            total += chunk.len();
            if total > MAX_UPLOAD_BYTES {
                return Submitted::Unreadable("Le document dépasse la taille acceptée (2 Mo).");
            }
            value.extend_from_slice(&chunk);
        }
        let empty = value.iter().all(u8::is_ascii_whitespace);
        if (name == page::FILE_FIELD || name == page::TEXT_FIELD) && !empty && found.is_none() {
            found = Some(value);
        }
    }
    match found {
        Some(badge) => Submitted::Badge(badge),
        None => Submitted::Unreadable(
            "Aucun badge n'a été envoyé : choisissez un fichier ou collez le badge.",
        ),
    }
}

/// The ledger's answers for the credential, gathered before verifying (the verifier itself is
/// synchronous and runs on a blocking thread).
#[derive(Default)]
struct Resolvers {
    keys: Option<IssuedKeys>,
    lists: HashMap<String, RevocationList>,
}

impl Resolvers {
    async fn gather(state: &ServerState, credential: &[u8]) -> Result<Self, ecusson_app::AppError> {
        let mut resolvers = Resolvers::default();
        let Some(document) = parse(credential) else {
            return Ok(resolvers);
        };
        let site = &state.site;
        let issuer = match document.get("issuer") {
            Some(Value::String(id)) => Some(id.as_str()),
            Some(Value::Object(profile)) => profile.get("id").and_then(Value::as_str),
            _ => None,
        };
        let ours = |url: &str, prefix: &str| {
            url.strip_prefix(&format!("{}{prefix}", site.base()))
                .map(str::to_owned)
        };
        // Our issuer (`<base>/networks/<id>`), or one of its organisations, whose endorsements
        // the ledger signs (`<base>/networks/<id>/organisations/<id>`).
        let issued_under = issuer.and_then(|issuer| ours(issuer, "/networks/"));
        let network = issued_under
            .as_deref()
            .and_then(|rest| rest.split('/').next())
            .and_then(|id| TenantId::parse(id).ok());
        if let Some(network) = network {
            let keys = ecusson_app::keys::issuer_keys(&state.ledger, network).await?;
            let mut resolved = IssuedKeys::new(site, network, &keys);
            if let Some(issuer) = issuer.filter(|issuer| issuer.contains("/organisations/")) {
                resolved = resolved.speaking_for(issuer);
            }
            let credential_id = document
                .get("id")
                .and_then(Value::as_str)
                .and_then(|id| ours(id, "/credentials/"))
                .and_then(|rest| CredentialId::parse(&rest).ok());
            // The ledger vouches for when it issued a credential only for the very document it
            // issued: the same JSON as stored (its digest checked against the log), or the
            // same VC-JWT. A credential id copied into other content gets no such record, so
            // a forgery backdated with a since-revoked key fails as it should.
            if let Some(credential_id) = credential_id {
                match super::documents::stored(state, credential_id).await {
                    Ok((issued, stored, _)) => {
                        let text = std::str::from_utf8(credential).unwrap_or("").trim();
                        let same_json = serde_json::from_str::<Value>(&stored.json)
                            .is_ok_and(|issued_document| issued_document == document);
                        let same_jwt = stored.jwt.as_deref() == Some(text);
                        let same_network =
                            ecusson_app::credentials::network_of(&state.ledger, issued.tenant_id)
                                .await?
                                .is_some_and(|(of_tenant, _)| of_tenant == network);
                        if (same_json || same_jwt) && same_network {
                            resolved = resolved
                                .with_issuance(site.credential(credential_id), issued.issued_at);
                        }
                    }
                    Err(super::Refusal::NotFound) => {}
                    Err(super::Refusal::Internal(error)) => return Err(error),
                }
            }
            resolvers.keys = Some(resolved);
        }
        let entries = match document.get("credentialStatus") {
            Some(Value::Array(entries)) => entries.iter().collect(),
            Some(entry) => vec![entry],
            None => vec![],
        };
        for entry in entries {
            let Some(url) = entry.get("id").and_then(Value::as_str) else {
                continue;
            };
            let tenant = ours(url, "/status/")
                .and_then(|rest| rest.strip_suffix("/revocations").map(str::to_owned))
                .and_then(|tenant| TenantId::parse(&tenant).ok());
            if let Some(tenant) = tenant {
                match revocation_list_of(state, tenant).await {
                    Ok(list) => {
                        resolvers.lists.insert(url.to_owned(), list);
                    }
                    Err(super::Refusal::NotFound) => {}
                    Err(super::Refusal::Internal(error)) => return Err(error),
                }
            }
        }
        Ok(resolvers)
    }
}

/// The credential as JSON (a JWT's payload), nothing verified.
fn parse(input: &[u8]) -> Option<Value> {
    let text = std::str::from_utf8(input).ok()?.trim();
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        return Some(value);
    }
    ecusson_badges::jwt::decode_unverified(text)
        .ok()
        .map(|decoded| decoded.credential)
}

impl KeyResolver for Resolvers {
    fn resolve(&self, verification_method: &str) -> Option<ResolvedKey> {
        self.keys.as_ref()?.resolve(verification_method)
    }

    fn issuance_recorded(&self, credential_id: &str) -> Option<chrono::DateTime<chrono::Utc>> {
        self.keys.as_ref()?.issuance_recorded(credential_id)
    }
}

impl StatusResolver for Resolvers {
    fn status(&self, credential_id: Option<&str>, entry: &Value) -> StatusAnswer {
        let list = entry
            .get("id")
            .and_then(Value::as_str)
            .and_then(|url| self.lists.get(url));
        match (list, credential_id) {
            (Some(list), Some(id)) => list.status_of(id),
            _ => StatusAnswer::Unknown {
                why: "this service checks the status of the badges it issued only; use `ecusson \
                      verify` to fetch another issuer's list"
                    .to_owned(),
            },
        }
    }
}

/// The report as the page shows it.
fn view(report: &Report) -> page::VerificationView {
    page::VerificationView {
        verdict: match report.verdict {
            Verdict::Valid => page::Verdict::Valid,
            Verdict::ValidWithWarnings => page::Verdict::ValidWithWarnings,
            Verdict::Invalid => page::Verdict::Invalid,
        },
        checks: report
            .checks
            .iter()
            .map(|check| page::CheckLine {
                code: check.code.as_str().to_owned(),
                outcome: match check.outcome {
                    Outcome::Passed => page::Outcome::Passed,
                    Outcome::Warning => page::Outcome::Warning,
                    Outcome::Failed => page::Outcome::Failed,
                    Outcome::Skipped => page::Outcome::Skipped,
                },
                fr: check.fr.clone(),
                en: check.en.clone(),
            })
            .collect(),
        badge_name: None,
        issuer_name: None,
    }
}
