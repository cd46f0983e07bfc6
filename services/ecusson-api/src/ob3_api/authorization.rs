//! The authorization endpoint (`/oauth/authorize`): a worker, signed in to Écusson, agrees or
//! not that an application sees their badges; the browser then goes back to the application
//! with a code (RFC 6749 §4.1, RFC 7636) or with `error=access_denied`.
//!
//! `GET` checks the request in RFC 6749's order: an unknown client or a redirect URI that is not
//! exactly one it registered gets a page, never a redirection (the answer could go to someone
//! else); any other fault goes back to the client as `error=…` with its `state`. The Open
//! Badges spec makes `redirect_uri`, `scope`, `state` and PKCE (`S256`) mandatory. Then the
//! worker: nobody signed in gets a page that says to sign in first (with a link to
//! `ECUSSON_LOGIN_URL` when set); an account without the `earner` role gets a refusal (staff
//! cannot hand a worker's badges to an application); a worker gets the consent page.
//!
//! `POST` carries the answer, the request again, and the form's token (see
//! [`super::consent_token`]), which must have been made for this worker, this request, less
//! than ten minutes ago. A browser's `Origin`, when sent, must be this site's. Approving stores
//! a grant with a single-use code (a minute, stored hashed) bound to the client, the redirect
//! URI, the worker (tenant and person), the scopes and the PKCE challenge.
//!
//! Every page is sent with `Cache-Control: no-store` and may not be framed (RFC 6749 §10.13:
//! a consent page in another site's frame could be clicked unknowingly).

use super::client::{RegisteredClient, RESPONSE_TYPE_CODE};
use super::consent_token::{self, ConsentRequest};
use super::pkce;
use super::scope::Scopes;
use super::secret::{new_secret, SecretKind};
use super::settings::Ob3Settings;
use super::{form_fields, is_form, paths, Internal};
use crate::auth::{bearer_token, Principal};
use crate::server::ServerState;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use ecusson_domain::Role;
use ecusson_pages::authorization_page::{
    self, ConsentView, Refusal, DECISION_APPROVE, DECISION_DENY, DECISION_FIELD,
};
use ecusson_store::oauth::GrantRecord;
use reqwest::Url;
use std::collections::BTreeMap;

/// The cookie in which the Écusson web app keeps the worker's bearer JWT.
pub(crate) const SESSION_COOKIE: &str = "ecusson_token";
/// How long a code may wait to be exchanged.
const CODE_LIFETIME: chrono::Duration = chrono::Duration::seconds(60);
const CONSENT_TOKEN_FIELD: &str = "consent_token";
/// `state` is echoed to the client: printable ASCII, bounded.
const MAX_STATE_CHARS: usize = 512;

type Fields = BTreeMap<String, String>;

/// `GET /oauth/authorize`: the request, then the consent page.
pub(crate) async fn ask(
    state: web::Data<ServerState>,
    settings: web::Data<Ob3Settings>,
    http: HttpRequest,
) -> HttpResponse {
    let Some(fields) = form_fields(http.query_string()) else {
        return refusal(StatusCode::BAD_REQUEST, Refusal::UnknownApplication);
    };
    let (client, redirect_uri) = match registered_client(&state, &fields).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let request = match checked_request(&fields, &client) {
        Ok(request) => request,
        Err(error) => return error.redirect(&redirect_uri, StatusCode::FOUND),
    };
    let (principal, session) = match signed_in_earner(&state, &http) {
        Ok(earner) => earner,
        Err(absent) => return absent.page(&settings),
    };
    let scope = request.scopes.to_text();
    let consent_token = consent_token::issue(
        &session,
        &ConsentRequest {
            tenant: principal.tenant,
            person: principal.subject,
            client_id: &client.client_id,
            redirect_uri: &redirect_uri,
            scope: &scope,
            state: &request.state,
            code_challenge: &request.code_challenge,
        },
        state.ledger.now(),
    );
    let view = ConsentView {
        action_url: format!("{}{}", state.site.base(), paths::AUTHORIZE),
        client_name: client.metadata.client_name.clone(),
        client_url: client.metadata.client_uri.clone(),
        terms_url: client.metadata.tos_uri.clone(),
        privacy_url: client.metadata.policy_uri.clone(),
        access: request.scopes.iter().map(|scope| scope.access()).collect(),
        hidden_fields: vec![
            ("response_type".into(), RESPONSE_TYPE_CODE.into()),
            ("client_id".into(), client.client_id.clone()),
            ("redirect_uri".into(), redirect_uri.clone()),
            ("scope".into(), scope),
            ("state".into(), request.state.clone()),
            ("code_challenge".into(), request.code_challenge.clone()),
            ("code_challenge_method".into(), pkce::METHOD_S256.into()),
            (CONSENT_TOKEN_FIELD.into(), consent_token),
        ],
    };
    page(StatusCode::OK, authorization_page::render_consent(&view))
}

/// `POST /oauth/authorize`: the worker's answer.
pub(crate) async fn answer(
    state: web::Data<ServerState>,
    settings: web::Data<Ob3Settings>,
    http: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let fields = is_form(&http)
        .then(|| std::str::from_utf8(&body).ok().and_then(form_fields))
        .flatten();
    let Some(fields) = fields else {
        return refusal(StatusCode::BAD_REQUEST, Refusal::ExpiredForm);
    };
    let (client, redirect_uri) = match registered_client(&state, &fields).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let (principal, session) = match signed_in_earner(&state, &http) {
        Ok(earner) => earner,
        Err(absent) => return absent.page(&settings),
    };
    if !from_this_site(&http, state.site.base()) {
        return refusal(StatusCode::FORBIDDEN, Refusal::ExpiredForm);
    }
    let field = |name: &str| fields.get(name).map_or("", String::as_str);
    let made_for_this_answer = consent_token::check(
        field(CONSENT_TOKEN_FIELD),
        &session,
        &ConsentRequest {
            tenant: principal.tenant,
            person: principal.subject,
            client_id: &client.client_id,
            redirect_uri: &redirect_uri,
            scope: field("scope"),
            state: field("state"),
            code_challenge: field("code_challenge"),
        },
        state.ledger.now(),
    );
    if !made_for_this_answer {
        return refusal(StatusCode::FORBIDDEN, Refusal::ExpiredForm);
    }
    let request = match checked_request(&fields, &client) {
        Ok(request) => request,
        Err(error) => return error.redirect(&redirect_uri, StatusCode::SEE_OTHER),
    };
    match field(DECISION_FIELD) {
        DECISION_APPROVE => {}
        DECISION_DENY => {
            tracing::info!(
                oauth.client_id = %client.client_id,
                tenant.id = %principal.tenant,
                "authorization denied by the earner"
            );
            return AuthorizationError {
                error: "access_denied",
                description: "the earner denied the request",
                state: Some(request.state),
            }
            .redirect(&redirect_uri, StatusCode::SEE_OTHER);
        }
        _ => return refusal(StatusCode::BAD_REQUEST, Refusal::ExpiredForm),
    }
    match grant(&state, &principal, &client, &redirect_uri, &request).await {
        Ok(code) => {
            tracing::info!(
                oauth.client_id = %client.client_id,
                tenant.id = %principal.tenant,
                "authorization granted by the earner"
            );
            let mut target = Url::parse(&redirect_uri).expect("registered redirect URIs parse");
            target
                .query_pairs_mut()
                .append_pair("code", &code)
                .append_pair("scope", &request.scopes.to_text())
                .append_pair("state", &request.state);
            redirection(target, StatusCode::SEE_OTHER)
        }
        Err(error) => {
            error.log("authorization");
            AuthorizationError {
                error: "server_error",
                description: "the server could not record the authorization",
                state: Some(request.state),
            }
            .redirect(&redirect_uri, StatusCode::SEE_OTHER)
        }
    }
}

/// Stores the grant and returns its code.
async fn grant(
    state: &ServerState,
    principal: &Principal,
    client: &RegisteredClient,
    redirect_uri: &str,
    request: &CheckedRequest,
) -> Result<String, Internal> {
    let code = new_secret(SecretKind::AuthorizationCode, principal.tenant);
    let now = state.ledger.now();
    ecusson_store::oauth::insert_grant(
        state.ledger.store().as_ref(),
        &GrantRecord {
            tenant_id: principal.tenant,
            grant_id: uuid::Uuid::new_v4(),
            client_id: client.client_id.clone(),
            person_id: principal.subject,
            scope: request.scopes.to_text(),
            redirect_uri: redirect_uri.to_owned(),
            code_challenge: request.code_challenge.clone(),
            code_hash: code.hash,
            code_expires_at: now + CODE_LIFETIME,
            code_used_at: None,
            revoked_at: None,
            created_at: now,
        },
    )
    .await?;
    Ok(code.text)
}

/// The client and its redirect URI, when both are known; otherwise the page to show (the
/// browser must not be sent to an address the client did not register).
async fn registered_client(
    state: &ServerState,
    fields: &Fields,
) -> Result<(RegisteredClient, String), HttpResponse> {
    let (Some(client_id), Some(redirect_uri)) =
        (fields.get("client_id"), fields.get("redirect_uri"))
    else {
        return Err(refusal(
            StatusCode::BAD_REQUEST,
            Refusal::UnknownApplication,
        ));
    };
    let client = match RegisteredClient::find(state, client_id).await {
        Ok(Some(client)) => client,
        Ok(None) => {
            return Err(refusal(
                StatusCode::BAD_REQUEST,
                Refusal::UnknownApplication,
            ))
        }
        Err(error) => {
            error.log("authorization: reading the client");
            return Err(unavailable());
        }
    };
    if !client.has_redirect_uri(redirect_uri) {
        return Err(refusal(
            StatusCode::BAD_REQUEST,
            Refusal::UnknownApplication,
        ));
    }
    Ok((client, redirect_uri.clone()))
}

/// An authorization request that holds together.
struct CheckedRequest {
    scopes: Scopes,
    state: String,
    code_challenge: String,
}

/// An error sent back to the client (RFC 6749 §4.1.2.1).
struct AuthorizationError {
    error: &'static str,
    description: &'static str,
    state: Option<String>,
}

impl AuthorizationError {
    fn redirect(self, redirect_uri: &str, status: StatusCode) -> HttpResponse {
        let mut target = Url::parse(redirect_uri).expect("registered redirect URIs parse");
        {
            let mut query = target.query_pairs_mut();
            query
                .append_pair("error", self.error)
                .append_pair("error_description", self.description);
            if let Some(state) = &self.state {
                query.append_pair("state", state);
            }
        }
        redirection(target, status)
    }
}

/// Checks what follows the client and its redirect URI, in the spec's terms.
fn checked_request(
    fields: &Fields,
    client: &RegisteredClient,
) -> Result<CheckedRequest, AuthorizationError> {
    let state = fields
        .get("state")
        .filter(|state| is_valid_state(state))
        .cloned();
    let fail = |error, description| AuthorizationError {
        error,
        description,
        state: state.clone(),
    };
    let Some(state_value) = state.clone() else {
        return Err(fail(
            "invalid_request",
            "state is required: 1 to 512 printable ASCII characters",
        ));
    };
    match fields.get("response_type").map(String::as_str) {
        Some(RESPONSE_TYPE_CODE) => {}
        Some(_) => {
            return Err(fail(
                "unsupported_response_type",
                "response_type must be code",
            ))
        }
        None => return Err(fail("invalid_request", "response_type is required")),
    }
    match fields.get("code_challenge_method").map(String::as_str) {
        Some(pkce::METHOD_S256) => {}
        Some(_) => {
            return Err(fail(
                "invalid_request",
                "code_challenge_method must be S256",
            ))
        }
        None => {
            return Err(fail(
                "invalid_request",
                "PKCE is required: code_challenge_method=S256",
            ))
        }
    }
    let code_challenge = match fields.get("code_challenge") {
        Some(challenge) if pkce::is_valid_challenge(challenge) => challenge.clone(),
        _ => {
            return Err(fail(
                "invalid_request",
                "code_challenge is required: BASE64URL(SHA256(code_verifier))",
            ))
        }
    };
    let Some(requested) = fields
        .get("scope")
        .map(String::as_str)
        .and_then(Scopes::parse)
    else {
        return Err(fail("invalid_scope", "scope is required"));
    };
    if requested.is_empty() {
        return Err(fail(
            "invalid_scope",
            "none of the requested scopes is granted here",
        ));
    }
    if !requested.is_within(client.scopes()) {
        return Err(fail(
            "invalid_scope",
            "a requested scope was not registered by the client",
        ));
    }
    Ok(CheckedRequest {
        scopes: requested,
        state: state_value,
        code_challenge,
    })
}

/// RFC 6749 Appendix A.5: `state` is VSCHAR (printable ASCII and space).
fn is_valid_state(state: &str) -> bool {
    (1..=MAX_STATE_CHARS).contains(&state.len())
        && state.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// The bearer JWT of the signed-in person: the `Authorization` header when there is one,
/// otherwise the `ecusson_token` cookie.
fn session_token(http: &HttpRequest) -> Option<String> {
    if let Some(value) = http.headers().get(header::AUTHORIZATION) {
        return bearer_token(value.to_str().ok()).ok().map(str::to_owned);
    }
    http.headers()
        .get_all(header::COOKIE)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim().trim_matches('"').to_owned())
        .filter(|value| !value.is_empty())
}

/// Why nobody can answer the consent page.
enum NoEarner {
    /// No session, or one that does not verify (expired, signed by another key).
    NotSignedIn,
    /// Signed in with an account that is not a worker's.
    NotAnEarner,
}

impl NoEarner {
    fn page(self, settings: &Ob3Settings) -> HttpResponse {
        match self {
            NoEarner::NotSignedIn => page(
                StatusCode::OK,
                authorization_page::render_sign_in(settings.login_url.as_deref()),
            ),
            NoEarner::NotAnEarner => page(
                StatusCode::FORBIDDEN,
                authorization_page::render_not_an_earner(),
            ),
        }
    }
}

/// The signed-in worker and their session token.
fn signed_in_earner(
    state: &ServerState,
    http: &HttpRequest,
) -> Result<(Principal, String), NoEarner> {
    let session = session_token(http).ok_or(NoEarner::NotSignedIn)?;
    let principal = state
        .authenticator
        .authenticate(&session)
        .map_err(|error| {
            // The reason is for the operator; the token itself is never logged.
            tracing::info!(reason = %error, "session refused at the authorization endpoint");
            NoEarner::NotSignedIn
        })?;
    if !principal.has_role(Role::Earner) {
        return Err(NoEarner::NotAnEarner);
    }
    Ok((principal, session))
}

/// A browser's `Origin`, when it sends one, is this site's.
fn from_this_site(http: &HttpRequest, base: &str) -> bool {
    let Some(origin) = http.headers().get(header::ORIGIN) else {
        return true;
    };
    let Some((scheme, rest)) = base.split_once("://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or_default();
    origin
        .to_str()
        .is_ok_and(|origin| origin.eq_ignore_ascii_case(&format!("{scheme}://{authority}")))
}

fn redirection(target: Url, status: StatusCode) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::LOCATION, target.as_str()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .finish()
}

fn refusal(status: StatusCode, refusal: Refusal) -> HttpResponse {
    page(status, authorization_page::render_refusal(refusal))
}

fn unavailable() -> HttpResponse {
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        ecusson_pages::message_page::render(
            "Service indisponible",
            "Rien n'a été partagé. Réessayez dans quelques minutes.",
        ),
    )
}

fn page(status: StatusCode, html: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .body(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_is_printable_ascii_of_bounded_length() {
        assert!(is_valid_state("26357667-94df-4a14-bcb1-f55449ddd98d"));
        assert!(is_valid_state("a b"));
        assert!(!is_valid_state(""));
        assert!(!is_valid_state("é"));
        assert!(!is_valid_state("a\nb"));
        assert!(!is_valid_state(&"a".repeat(513)));
    }

    #[test]
    fn the_session_comes_from_the_header_or_the_cookie() {
        let request = actix_web::test::TestRequest::default()
            .insert_header((header::COOKIE, "autre=1; ecusson_token=jwt.from.cookie"))
            .to_http_request();
        assert_eq!(session_token(&request).as_deref(), Some("jwt.from.cookie"));
        let request = actix_web::test::TestRequest::default()
            .insert_header((header::COOKIE, "ecusson_token=jwt.from.cookie"))
            .insert_header((header::AUTHORIZATION, "Bearer jwt.from.header"))
            .to_http_request();
        assert_eq!(session_token(&request).as_deref(), Some("jwt.from.header"));
        let request = actix_web::test::TestRequest::default()
            .insert_header((header::COOKIE, "ecusson_token_old=x"))
            .to_http_request();
        assert_eq!(session_token(&request), None);
    }

    #[test]
    fn only_this_sites_origin_may_post_the_answer() {
        let request = |origin: Option<&str>| {
            let mut request = actix_web::test::TestRequest::post();
            if let Some(origin) = origin {
                request = request.insert_header((header::ORIGIN, origin));
            }
            request.to_http_request()
        };
        let base = "https://badges.exemple.fr";
        assert!(from_this_site(&request(None), base));
        assert!(from_this_site(
            &request(Some("https://badges.exemple.fr")),
            base
        ));
        assert!(!from_this_site(
            &request(Some("https://evil.exemple")),
            base
        ));
        assert!(!from_this_site(&request(Some("null")), base));
    }
}
