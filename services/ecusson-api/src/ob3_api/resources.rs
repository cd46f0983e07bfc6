//! The resource endpoints: `getCredentials` (`GET /ims/ob/v3p0/credentials`) and
//! `getProfile` (`GET /ims/ob/v3p0/profile`), for the bearer of an access token issued by
//! [`super::token`], with the scope each needs. Everything read is the token's earner's: the
//! tenant and the person come from the token's row, never from the request.
//!
//! `getCredentials` lists the latest credential of each of the earner's awards that is not
//! revoked (an expired award's credential says so itself with `validUntil`), oldest issuance
//! first, each once, in the `credential` array as the signed JSON-LD with its Data Integrity
//! proof, byte for byte what was signed. The VC-JWT form of the same credentials is left out:
//! listing both would give a wallet every badge twice, and Data Integrity is the proof format
//! 1EdTech certifies for linked-data credentials. Paging follows the spec: `limit` (at most
//! 100, default 100), `offset`, `since` (credentials issued after it), `X-Total-Count`, and a
//! `Link` header with `first` and `last` always, `next` and `prev` when there are such pages.
//!
//! `getProfile` answers a `Profile` with an identifier of this earner for this client
//! (`urn:uuid:`, derived from the client, tenant and person: two applications cannot match
//! their users through it) and the earner's name if they recorded one; nothing else (no
//! e-mail address, no structure): the profile scope asks the worker for their name only.

use super::errors::ResourceError;
use super::scope::{Scope, Scopes};
use super::secret::{self, SecretKind};
use super::{form_fields, paths, Internal};
use crate::server::ServerState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use ecusson_app::credentials::{stored_credential, vault_text};
use ecusson_domain::{Earner, PersonId, TenantId};
use ecusson_store::oauth::{TokenKind, TokenRecord};
use ecusson_store::StreamId;
use reqwest::Url;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

/// The most credentials one page holds, and the page size when the client names none.
const MAX_LIMIT: usize = 100;

/// The OB 3.0 context the profile names, as in the spec's example.
const OB_CONTEXT: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";

/// Why a resource request got no answer.
enum Failure {
    Refused(ResourceError),
    Internal(Internal),
}

impl From<ResourceError> for Failure {
    fn from(error: ResourceError) -> Self {
        Failure::Refused(error)
    }
}

impl From<Internal> for Failure {
    fn from(error: Internal) -> Self {
        Failure::Internal(error)
    }
}

impl From<ecusson_store::StoreError> for Failure {
    fn from(error: ecusson_store::StoreError) -> Self {
        Failure::Internal(error.into())
    }
}

impl From<ecusson_app::AppError> for Failure {
    fn from(error: ecusson_app::AppError) -> Self {
        Failure::Internal(error.into())
    }
}

impl Failure {
    fn response(self, during: &'static str) -> HttpResponse {
        match self {
            Failure::Refused(error) => error.response(),
            Failure::Internal(error) => {
                error.log(during);
                ResourceError::Internal.response()
            }
        }
    }
}

/// The access token of the request, usable now and granted `scope`.
async fn bearer(
    state: &ServerState,
    http: &HttpRequest,
    scope: Scope,
) -> Result<TokenRecord, Failure> {
    let Some(value) = http.headers().get(header::AUTHORIZATION) else {
        return Err(ResourceError::MissingToken.into());
    };
    let presented = crate::auth::bearer_token(value.to_str().ok())
        .ok()
        .and_then(secret::parse)
        .filter(|token| token.kind == SecretKind::AccessToken)
        .ok_or(ResourceError::InvalidToken)?;
    let record = ecusson_store::oauth::token(
        state.ledger.store().as_ref(),
        presented.tenant,
        &presented.hash,
    )
    .await?
    .filter(|record| record.kind == TokenKind::Access && record.is_usable_at(state.ledger.now()))
    .ok_or(ResourceError::InvalidToken)?;
    let scopes = Scopes::parse(&record.scope).unwrap_or_default();
    if !scopes.contains(scope) {
        return Err(ResourceError::InsufficientScope(scope.uri()).into());
    }
    Ok(record)
}

async fn earner(
    state: &ServerState,
    tenant: TenantId,
    person: PersonId,
) -> Result<Earner, Failure> {
    let stream = StreamId::parse(Earner::stream_name(person))?;
    Ok(state.ledger.load::<Earner>(tenant, &stream).await?.state)
}

/// `GET /ims/ob/v3p0/credentials`.
pub(crate) async fn credentials(state: web::Data<ServerState>, http: HttpRequest) -> HttpResponse {
    match list_credentials(&state, &http).await {
        Ok(response) => response,
        Err(failure) => failure.response("getCredentials"),
    }
}

/// The paging a request asks for.
#[derive(Debug, PartialEq, Eq)]
struct Paging {
    limit: usize,
    offset: usize,
    since: Option<DateTime<Utc>>,
}

fn paging(query: &str) -> Result<Paging, ResourceError> {
    let fields = form_fields(query).ok_or(ResourceError::InvalidQueryParameter(
        "the query does not parse, or repeats a parameter",
    ))?;
    let limit = match fields.get("limit") {
        None => MAX_LIMIT,
        Some(limit) => limit
            .parse::<usize>()
            .ok()
            .filter(|limit| *limit >= 1)
            .ok_or(ResourceError::InvalidQueryParameter(
                "limit must be a positive integer",
            ))?
            .min(MAX_LIMIT),
    };
    let offset = match fields.get("offset") {
        None => 0,
        Some(offset) => offset.parse::<usize>().map_err(|_| {
            ResourceError::InvalidQueryParameter("offset must be a non-negative integer")
        })?,
    };
    let since = match fields.get("since") {
        None => None,
        Some(since) => Some(
            // A `+` of an offset that the client forgot to escape arrives as a space.
            DateTime::parse_from_rfc3339(&since.replace(' ', "+"))
                .map(|since| since.with_timezone(&Utc))
                .map_err(|_| {
                    ResourceError::InvalidQueryParameter("since must be an RFC 3339 date-time")
                })?,
        ),
    };
    Ok(Paging {
        limit,
        offset,
        since,
    })
}

async fn list_credentials(
    state: &ServerState,
    http: &HttpRequest,
) -> Result<HttpResponse, Failure> {
    let token = bearer(state, http, Scope::CredentialReadonly).await?;
    let paging = paging(http.query_string())?;
    let earner = earner(state, token.tenant_id, token.person_id).await?;
    let mut latest: Vec<_> = earner
        .awards()
        .filter(|(_, award)| !award.revoked)
        .filter_map(|(award_id, _)| earner.latest_credential(*award_id))
        .filter(|issued| paging.since.is_none_or(|since| issued.issued_at > since))
        .collect();
    latest.sort_by_key(|issued| (issued.issued_at, issued.credential_id));
    let total = latest.len();
    let mut documents = Vec::new();
    for issued in latest.iter().skip(paging.offset).take(paging.limit) {
        // Gone only with the earner's erasure, which leaves nothing to list.
        let Some(stored) = stored_credential(&state.vault, token.tenant_id, issued).await? else {
            continue;
        };
        documents.push(RawValue::from_string(stored.json).map_err(Internal::Json)?);
    }
    #[derive(serde::Serialize)]
    struct Page<'a> {
        credential: &'a [Box<RawValue>],
        #[serde(rename = "compactJwsString")]
        compact_jws_string: [&'a str; 0],
    }
    let body = serde_json::to_string(&Page {
        credential: &documents,
        compact_jws_string: [],
    })
    .map_err(Internal::Json)?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Total-Count", total.to_string()))
        .insert_header((header::LINK, links(state.site.base(), &paging, total)))
        .body(body))
}

/// The `Link` header of a page: `first` and `last` always, `next` when more follow, `prev`
/// when the page does not start at the beginning.
fn links(base: &str, paging: &Paging, total: usize) -> String {
    let url = |offset: usize| {
        let mut url = Url::parse(&format!("{base}{}", paths::CREDENTIALS))
            .expect("the public site's address is a URL");
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("limit", &paging.limit.to_string())
                .append_pair("offset", &offset.to_string());
            if let Some(since) = paging.since {
                query.append_pair(
                    "since",
                    &since.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                );
            }
        }
        url.to_string()
    };
    let last = total.saturating_sub(1) / paging.limit * paging.limit;
    let mut links = Vec::new();
    if paging.offset + paging.limit < total {
        links.push(format!(
            "<{}>; rel=\"next\"",
            url(paging.offset + paging.limit)
        ));
    }
    links.push(format!("<{}>; rel=\"last\"", url(last)));
    links.push(format!("<{}>; rel=\"first\"", url(0)));
    if paging.offset > 0 {
        let previous = paging.offset.saturating_sub(paging.limit).min(last);
        links.push(format!("<{}>; rel=\"prev\"", url(previous)));
    }
    links.join(", ")
}

/// `GET /ims/ob/v3p0/profile`.
pub(crate) async fn profile(state: web::Data<ServerState>, http: HttpRequest) -> HttpResponse {
    match read_profile(&state, &http).await {
        Ok(response) => response,
        Err(failure) => failure.response("getProfile"),
    }
}

async fn read_profile(state: &ServerState, http: &HttpRequest) -> Result<HttpResponse, Failure> {
    let token = bearer(state, http, Scope::ProfileReadonly).await?;
    let earner = earner(state, token.tenant_id, token.person_id).await?;
    if earner.earner_id().is_none() {
        return Err(ResourceError::NotFound.into());
    }
    let name = match earner.name() {
        Some(reference) => vault_text(&state.vault, token.tenant_id, reference).await?,
        None => None,
    };
    let mut profile = serde_json::json!({
        "@context": [OB_CONTEXT],
        "type": "Profile",
        "id": profile_id(&token.client_id, token.tenant_id, token.person_id),
    });
    if let Some(name) = name.filter(|name| !name.trim().is_empty()) {
        profile["name"] = name.into();
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(profile))
}

/// The earner's identifier for one client: the same at every call of that client, unrelated
/// between clients.
fn profile_id(client_id: &str, tenant: TenantId, person: PersonId) -> String {
    let digest = Sha256::new()
        .chain_update(b"ecusson/ob3-profile/v1\0")
        .chain_update(client_id.as_bytes())
        .chain_update([0])
        .chain_update(tenant.to_string().as_bytes())
        .chain_update([0])
        .chain_update(person.to_string().as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    format!(
        "urn:uuid:{}",
        uuid::Builder::from_custom_bytes(bytes).into_uuid()
    )
}

/// `upsertCredential` (POST) and `putProfile` (PUT), and any other method: not offered here.
pub(crate) async fn not_supported() -> HttpResponse {
    ResourceError::Unsupported.response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_reads_limit_offset_and_since() {
        assert_eq!(
            paging("").ok(),
            Some(Paging {
                limit: 100,
                offset: 0,
                since: None
            })
        );
        let read = paging("limit=2&offset=4&since=2026-01-01T10:00:00%2B01:00")
            .ok()
            .unwrap();
        assert_eq!((read.limit, read.offset), (2, 4));
        assert_eq!(
            read.since.unwrap().to_rfc3339(),
            "2026-01-01T09:00:00+00:00"
        );
        // An unescaped `+` (a space once decoded) is read as the client meant it.
        let read = paging("since=2026-01-01T10:00:00+01:00").ok().unwrap();
        assert_eq!(
            read.since.unwrap().to_rfc3339(),
            "2026-01-01T09:00:00+00:00"
        );
        assert_eq!(paging("limit=1000").ok().unwrap().limit, 100);
        for bad in [
            "limit=0",
            "limit=-1",
            "limit=a",
            "offset=-1",
            "since=hier",
            "limit=1&limit=2",
        ] {
            assert!(paging(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn links_name_first_and_last_always_and_next_and_prev_when_they_exist() {
        let base = "https://badges.exemple.fr";
        let page = |limit, offset| Paging {
            limit,
            offset,
            since: None,
        };
        let url = |limit: usize, offset: usize| {
            format!(
                "https://badges.exemple.fr/ims/ob/v3p0/credentials?limit={limit}&offset={offset}"
            )
        };
        assert_eq!(
            links(base, &page(2, 0), 5),
            format!(
                "<{}>; rel=\"next\", <{}>; rel=\"last\", <{}>; rel=\"first\"",
                url(2, 2),
                url(2, 4),
                url(2, 0)
            )
        );
        assert_eq!(
            links(base, &page(2, 4), 5),
            format!(
                "<{}>; rel=\"last\", <{}>; rel=\"first\", <{}>; rel=\"prev\"",
                url(2, 4),
                url(2, 0),
                url(2, 2)
            )
        );
        assert_eq!(
            links(base, &page(2, 0), 0),
            format!(
                "<{}>; rel=\"last\", <{}>; rel=\"first\"",
                url(2, 0),
                url(2, 0)
            )
        );
        let since = Paging {
            since: Some(
                DateTime::parse_from_rfc3339("2026-01-01T09:00:00Z")
                    .unwrap()
                    .into(),
            ),
            ..page(1, 0)
        };
        assert!(links(base, &since, 1).contains("since=2026-01-01T09%3A00%3A00Z"));
    }

    #[test]
    fn the_profile_id_is_stable_per_client_and_differs_between_clients() {
        let (tenant, person) = (TenantId::new(), PersonId::new());
        let id = profile_id("wallet", tenant, person);
        assert!(id.starts_with("urn:uuid:"));
        assert_eq!(id, profile_id("wallet", tenant, person));
        assert_ne!(id, profile_id("other", tenant, person));
        assert_ne!(id, profile_id("wallet", tenant, PersonId::new()));
        assert!(!id.contains(&person.to_string()));
    }
}
