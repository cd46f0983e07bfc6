//! Dynamic client registration (`POST /oauth/register`): RFC 7591 as the Open Badges spec
//! profiles it. No initial access token (the spec forbids requiring one); every metadata field
//! the spec marks required must be there; every URL is `https` and they all share one host;
//! redirect URIs may also be `http` on the loopback interface (RFC 8252 §7.3, for applications
//! running on the worker's own device), and never carry a fragment. The only token endpoint
//! authentication is `client_secret_basic`, the only grants `authorization_code` and
//! `refresh_token`, the only response type `code`. Requested scopes this server does not grant
//! are left out of the registration (RFC 7591 §3.2.1 lets the server change metadata; the
//! answer says what was registered); a request with none it grants is refused. Members it does
//! not know (a software statement among them) are ignored, as RFC 7591 §2 asks.
//!
//! The answer (201) repeats the registered metadata with `client_id`, `client_secret` (256
//! random bits, given once, stored as its SHA-256), `client_id_issued_at` and
//! `client_secret_expires_at` = 0 (the secret does not expire).

use super::client::{
    ClientMetadata, AUTH_METHOD_BASIC, GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN,
    RESPONSE_TYPE_CODE,
};
use super::errors::{no_store, RegistrationError};
use super::scope::Scopes;
use super::secret::{new_client_id, new_client_secret};
use super::Internal;
use crate::server::ServerState;
use actix_web::{web, HttpResponse};
use ecusson_store::oauth::ClientRecord;
use reqwest::Url;
use serde_json::{Map, Value};

/// A registration is a few hundred bytes; this leaves room and no more.
const MAX_BODY_BYTES: usize = 16 * 1024;
const MAX_TEXT_CHARS: usize = 200;
const MAX_URL_CHARS: usize = 2000;
const MAX_REDIRECT_URIS: usize = 10;
const MAX_CONTACTS: usize = 10;

pub(crate) async fn register(state: web::Data<ServerState>, body: web::Bytes) -> HttpResponse {
    let metadata = match validate(&body) {
        Ok(metadata) => metadata,
        Err(error) => return error.response(),
    };
    match store(&state, metadata).await {
        Ok(answer) => {
            let mut response = HttpResponse::Created();
            no_store(&mut response);
            response.json(answer)
        }
        Err(error) => {
            error.log("client registration");
            let mut response = HttpResponse::InternalServerError();
            no_store(&mut response);
            response.json(serde_json::json!({"error": "server_error"}))
        }
    }
}

async fn store(state: &ServerState, metadata: ClientMetadata) -> Result<Value, Internal> {
    let client_id = new_client_id();
    let secret = new_client_secret();
    let registered_at = state.ledger.now();
    let stored = serde_json::to_value(&metadata).map_err(Internal::Json)?;
    ecusson_store::oauth::insert_client(
        state.ledger.store().as_ref(),
        &ClientRecord {
            client_id: client_id.clone(),
            secret_hash: secret.hash,
            metadata: stored.to_string(),
            registered_at,
        },
    )
    .await?;
    tracing::info!(oauth.client_id = %client_id, "OAuth client registered");
    let mut answer = Map::new();
    answer.insert("client_id".into(), client_id.into());
    answer.insert("client_secret".into(), secret.text.into());
    answer.insert(
        "client_id_issued_at".into(),
        registered_at.timestamp().into(),
    );
    answer.insert("client_secret_expires_at".into(), 0.into());
    if let Value::Object(fields) = stored {
        answer.extend(fields);
    }
    Ok(Value::Object(answer))
}

/// The metadata to register, or why the request is refused.
pub(crate) fn validate(body: &[u8]) -> Result<ClientMetadata, RegistrationError> {
    use RegistrationError::{InvalidClientMetadata as Metadata, InvalidRedirectUri as Redirect};
    if body.len() > MAX_BODY_BYTES {
        return Err(Metadata("the registration request is larger than 16 KiB"));
    }
    let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(body) else {
        return Err(Metadata("the body must be a JSON object"));
    };
    let text = |name: &str, message: &'static str| -> Result<String, RegistrationError> {
        match request.get(name) {
            Some(Value::String(value)) if is_plain_text(value, MAX_TEXT_CHARS) => Ok(value.clone()),
            _ => Err(Metadata(message)),
        }
    };
    let client_name = text(
        "client_name",
        "client_name is required: text of 1 to 200 characters",
    )?;
    let software_id = text(
        "software_id",
        "software_id is required: text of 1 to 200 characters",
    )?;
    let software_version = text(
        "software_version",
        "software_version is required: text of 1 to 200 characters",
    )?;
    let url = |name: &str, message: &'static str| -> Result<(String, Url), RegistrationError> {
        let Some(Value::String(value)) = request.get(name) else {
            return Err(Metadata(message));
        };
        let parsed = parse_url(value).filter(|url| url.scheme() == "https");
        parsed
            .map(|url| (value.clone(), url))
            .ok_or(Metadata(message))
    };
    let (client_uri, client_url) = url("client_uri", "client_uri is required: an https URL")?;
    let (logo_uri, logo_url) = url("logo_uri", "logo_uri is required: an https URL")?;
    let (tos_uri, tos_url) = url("tos_uri", "tos_uri is required: an https URL")?;
    let (policy_uri, policy_url) = url("policy_uri", "policy_uri is required: an https URL")?;

    let Some(Value::Array(uris)) = request.get("redirect_uris") else {
        return Err(Redirect("redirect_uris is required: an array of URLs"));
    };
    if uris.is_empty() || uris.len() > MAX_REDIRECT_URIS {
        return Err(Redirect("redirect_uris must hold 1 to 10 URLs"));
    }
    let mut redirect_uris = Vec::new();
    let mut hosts = vec![&client_url, &logo_url, &tos_url, &policy_url]
        .into_iter()
        .map(|url| url.host_str().unwrap_or_default().to_owned())
        .collect::<Vec<_>>();
    for uri in uris {
        let Value::String(uri) = uri else {
            return Err(Redirect("redirect_uris must hold strings"));
        };
        let Some(url) = parse_url(uri).filter(|url| url.fragment().is_none()) else {
            return Err(Redirect(
                "a redirect URI must be an absolute URL without fragment",
            ));
        };
        match url.scheme() {
            "https" => hosts.push(url.host_str().unwrap_or_default().to_owned()),
            "http" if is_loopback(&url) => {}
            _ => {
                return Err(Redirect(
                    "a redirect URI must use https (http only on the loopback interface)",
                ))
            }
        }
        redirect_uris.push(uri.clone());
    }
    if hosts.iter().any(|host| *host != hosts[0]) {
        return Err(Metadata(
            "client_uri, logo_uri, tos_uri, policy_uri and https redirect URIs must share one host",
        ));
    }

    let Some(Value::String(requested_scope)) = request.get("scope") else {
        return Err(Metadata(
            "scope is required: a space-separated list of scopes",
        ));
    };
    let scopes = Scopes::parse(requested_scope).ok_or(Metadata("scope is malformed"))?;
    if scopes.is_empty() {
        return Err(Metadata(
            "none of the requested scopes is granted here: credential.readonly, profile.readonly",
        ));
    }

    match request.get("token_endpoint_auth_method") {
        None => {}
        Some(Value::String(method)) if method == AUTH_METHOD_BASIC => {}
        Some(_) => {
            return Err(Metadata(
                "token_endpoint_auth_method must be client_secret_basic",
            ))
        }
    }
    let grant_types = match request.get("grant_types") {
        None => vec![GRANT_AUTHORIZATION_CODE.to_owned()],
        Some(value) => {
            let grants =
                strings(value).ok_or(Metadata("grant_types must be an array of strings"))?;
            let known = grants
                .iter()
                .all(|grant| grant == GRANT_AUTHORIZATION_CODE || grant == GRANT_REFRESH_TOKEN);
            if !known || !grants.iter().any(|grant| grant == GRANT_AUTHORIZATION_CODE) {
                return Err(Metadata(
                    "grant_types must hold authorization_code, and refresh_token if wanted",
                ));
            }
            // In a fixed order, each once.
            [GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN]
                .into_iter()
                .filter(|grant| grants.iter().any(|given| given == grant))
                .map(str::to_owned)
                .collect()
        }
    };
    match request.get("response_types") {
        None => {}
        Some(value) => {
            let types =
                strings(value).ok_or(Metadata("response_types must be an array of strings"))?;
            if types.is_empty() || types.iter().any(|kind| kind != RESPONSE_TYPE_CODE) {
                return Err(Metadata("response_types must be [\"code\"]"));
            }
        }
    }
    let contacts = match request.get("contacts") {
        None => Vec::new(),
        Some(value) => {
            let contacts = strings(value)
                .filter(|contacts| {
                    contacts.len() <= MAX_CONTACTS
                        && contacts
                            .iter()
                            .all(|contact| is_plain_text(contact, MAX_URL_CHARS))
                })
                .ok_or(Metadata("contacts must be an array of at most 10 strings"))?;
            contacts
        }
    };
    Ok(ClientMetadata {
        client_name,
        client_uri,
        logo_uri,
        tos_uri,
        policy_uri,
        software_id,
        software_version,
        redirect_uris,
        scope: scopes.to_text(),
        token_endpoint_auth_method: AUTH_METHOD_BASIC.to_owned(),
        grant_types,
        response_types: vec![RESPONSE_TYPE_CODE.to_owned()],
        contacts,
    })
}

/// Non-empty text without control characters, at most `max` characters.
fn is_plain_text(value: &str, max: usize) -> bool {
    !value.trim().is_empty() && value.chars().count() <= max && !value.chars().any(char::is_control)
}

/// An absolute URL with a host and no user information, at most 2,000 characters.
fn parse_url(value: &str) -> Option<Url> {
    if value.len() > MAX_URL_CHARS || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let url = Url::parse(value).ok()?;
    let has_host = url.host_str().is_some_and(|host| !host.is_empty());
    let no_user = url.username().is_empty() && url.password().is_none();
    (has_host && no_user).then_some(url)
}

/// The loopback interface, where only the worker's own device listens.
fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let address = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || address
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

fn strings(value: &Value) -> Option<Vec<String>> {
    value
        .as_array()?
        .iter()
        .map(|item| item.as_str().map(str::to_owned))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request() -> Value {
        json!({
            "client_name": "Mon Portefeuille",
            "client_uri": "https://portefeuille.exemple.fr/",
            "logo_uri": "https://portefeuille.exemple.fr/logo.png",
            "tos_uri": "https://portefeuille.exemple.fr/conditions",
            "policy_uri": "https://portefeuille.exemple.fr/confidentialite",
            "software_id": "c88b6ed8-269e-448e-99be-7e2ff47167d1",
            "software_version": "1.0",
            "redirect_uris": ["https://portefeuille.exemple.fr/retour", "http://127.0.0.1:8765/retour"],
            "scope": "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly offline_access",
            "grant_types": ["authorization_code", "refresh_token"],
            "software_statement": "ignored"
        })
    }

    fn with(changes: Value) -> Vec<u8> {
        let mut request = request();
        for (name, value) in changes.as_object().unwrap() {
            if value.is_null() {
                request.as_object_mut().unwrap().remove(name);
            } else {
                request[name] = value.clone();
            }
        }
        request.to_string().into_bytes()
    }

    #[test]
    fn a_complete_request_is_registered_with_what_is_granted() {
        let metadata = validate(request().to_string().as_bytes()).unwrap();
        assert_eq!(metadata.client_name, "Mon Portefeuille");
        assert_eq!(
            metadata.scope,
            "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly"
        );
        assert_eq!(metadata.token_endpoint_auth_method, "client_secret_basic");
        assert_eq!(
            metadata.grant_types,
            ["authorization_code", "refresh_token"]
        );
        assert_eq!(metadata.response_types, ["code"]);
        let defaults = validate(&with(json!({"grant_types": null}))).unwrap();
        assert_eq!(defaults.grant_types, ["authorization_code"]);
    }

    #[test]
    fn each_required_field_is_required() {
        for name in [
            "client_name",
            "client_uri",
            "logo_uri",
            "tos_uri",
            "policy_uri",
            "software_id",
            "software_version",
            "scope",
        ] {
            assert!(
                matches!(
                    validate(&with(json!({name: null}))),
                    Err(RegistrationError::InvalidClientMetadata(_))
                ),
                "{name}"
            );
        }
        assert!(matches!(
            validate(&with(json!({"redirect_uris": null}))),
            Err(RegistrationError::InvalidRedirectUri(_))
        ));
    }

    #[test]
    fn redirect_uris_are_https_or_loopback_http_without_fragment() {
        for bad in [
            json!([]),
            json!(["http://portefeuille.exemple.fr/retour"]),
            json!(["https://portefeuille.exemple.fr/retour#x"]),
            json!(["com.exemple.portefeuille:/retour"]),
            json!(["/retour"]),
            json!(["https://user:pass@portefeuille.exemple.fr/retour"]),
            json!([42]),
            json!("https://portefeuille.exemple.fr/retour"),
        ] {
            assert!(
                matches!(
                    validate(&with(json!({"redirect_uris": bad}))),
                    Err(RegistrationError::InvalidRedirectUri(_))
                ),
                "{bad}"
            );
        }
        for good in ["http://[::1]/retour", "http://localhost:9000/retour"] {
            assert!(
                validate(&with(json!({"redirect_uris": [good]}))).is_ok(),
                "{good}"
            );
        }
    }

    #[test]
    fn urls_share_one_host_and_use_https() {
        for (name, value) in [
            ("logo_uri", "https://cdn.ailleurs.fr/logo.png"),
            ("client_uri", "http://portefeuille.exemple.fr/"),
        ] {
            assert!(validate(&with(json!({name: value}))).is_err(), "{name}");
        }
        assert!(validate(&with(
            json!({"redirect_uris": ["https://ailleurs.exemple.fr/retour"]})
        ))
        .is_err());
    }

    #[test]
    fn only_the_methods_and_grants_the_spec_allows() {
        for changes in [
            json!({"token_endpoint_auth_method": "client_secret_post"}),
            json!({"grant_types": ["refresh_token"]}),
            json!({"grant_types": ["authorization_code", "client_credentials"]}),
            json!({"response_types": ["token"]}),
            json!({"scope": "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert"}),
            json!({"scope": "a\"b"}),
            json!({"client_name": ""}),
            json!({"client_name": "a\u{7}b"}),
            json!({"contacts": "contact@exemple.fr"}),
        ] {
            assert!(
                matches!(
                    validate(&with(changes.clone())),
                    Err(RegistrationError::InvalidClientMetadata(_))
                ),
                "{changes}"
            );
        }
        assert!(validate(b"[]").is_err());
        assert!(validate(b"not json").is_err());
    }
}
