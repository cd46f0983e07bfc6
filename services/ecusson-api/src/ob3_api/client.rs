//! Registered client applications: the metadata they registered (RFC 7591 as the Open Badges
//! spec profiles it) and their authentication at the token and revocation endpoints.
//!
//! The spec allows one method, `client_secret_basic` (RFC 6749 §2.3.1): the client id and
//! secret in an `Authorization: Basic` header. A secret in the body (`client_secret_post`) is
//! refused.

use super::errors::TokenError;
use super::scope::Scopes;
use super::secret::{same_digest, sha256};
use super::Internal;
use crate::server::ServerState;
use actix_web::http::header;
use actix_web::HttpRequest;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub(crate) const GRANT_AUTHORIZATION_CODE: &str = "authorization_code";
pub(crate) const GRANT_REFRESH_TOKEN: &str = "refresh_token";
pub(crate) const AUTH_METHOD_BASIC: &str = "client_secret_basic";
pub(crate) const RESPONSE_TYPE_CODE: &str = "code";

/// What a client registered, as the registration answered it (without the secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ClientMetadata {
    pub client_name: String,
    pub client_uri: String,
    pub logo_uri: String,
    pub tos_uri: String,
    pub policy_uri: String,
    pub software_id: String,
    pub software_version: String,
    pub redirect_uris: Vec<String>,
    /// The scopes registered: those requested that this server grants.
    pub scope: String,
    pub token_endpoint_auth_method: String,
    pub grant_types: Vec<String>,
    pub response_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<String>,
}

/// A client as the store knows it.
#[derive(Clone, Debug)]
pub(crate) struct RegisteredClient {
    pub client_id: String,
    pub metadata: ClientMetadata,
    secret_hash: Vec<u8>,
}

impl RegisteredClient {
    /// The client `client_id`, if registered.
    pub(crate) async fn find(
        state: &ServerState,
        client_id: &str,
    ) -> Result<Option<RegisteredClient>, Internal> {
        let Some(record) =
            ecusson_store::oauth::client(state.ledger.store().as_ref(), client_id).await?
        else {
            return Ok(None);
        };
        let metadata = serde_json::from_str(&record.metadata).map_err(Internal::ClientMetadata)?;
        Ok(Some(RegisteredClient {
            client_id: record.client_id,
            metadata,
            secret_hash: record.secret_hash,
        }))
    }

    /// The redirect URI, when it is one the client registered, character for character
    /// (RFC 6749 §3.1.2.3 with registered URIs: simple string comparison).
    pub(crate) fn has_redirect_uri(&self, redirect_uri: &str) -> bool {
        self.metadata
            .redirect_uris
            .iter()
            .any(|uri| uri == redirect_uri)
    }

    pub(crate) fn scopes(&self) -> Scopes {
        Scopes::parse(&self.metadata.scope).unwrap_or_default()
    }

    /// Whether the client registered the `refresh_token` grant type: only then does it get
    /// refresh tokens, and only then may it use them.
    pub(crate) fn uses_refresh_tokens(&self) -> bool {
        self.metadata
            .grant_types
            .iter()
            .any(|grant| grant == GRANT_REFRESH_TOKEN)
    }
}

/// Authenticates the client of a token or revocation request: `Authorization: Basic`, and no
/// credentials in the body.
pub(crate) async fn authenticate(
    state: &ServerState,
    request: &HttpRequest,
    fields: &BTreeMap<String, String>,
) -> Result<RegisteredClient, AuthenticationFailure> {
    let basic = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(|value| value.to_str().ok().and_then(basic_credentials));
    let (client_id, secret) = match basic {
        Some(Some(credentials)) => credentials,
        Some(None) => {
            return Err(
                TokenError::InvalidClient("the Authorization header is not HTTP Basic").into(),
            )
        }
        None if fields.contains_key("client_secret") => {
            return Err(TokenError::InvalidClient(
                "client_secret_post is not supported: use HTTP Basic (client_secret_basic)",
            )
            .into())
        }
        None => {
            return Err(
                TokenError::InvalidClient("client authentication (HTTP Basic) is required").into(),
            )
        }
    };
    if fields.contains_key("client_secret") {
        return Err(TokenError::InvalidRequest("the client authenticated twice").into());
    }
    if fields.get("client_id").is_some_and(|id| *id != client_id) {
        return Err(
            TokenError::InvalidClient("client_id does not match the authenticated client").into(),
        );
    }
    let client = RegisteredClient::find(state, &client_id)
        .await
        .map_err(AuthenticationFailure::Internal)?
        .ok_or(TokenError::InvalidClient("client authentication failed"))?;
    if !same_digest(&sha256(&secret), &client.secret_hash) {
        return Err(TokenError::InvalidClient("client authentication failed").into());
    }
    Ok(client)
}

/// Why a client could not be authenticated.
#[derive(Debug)]
pub(crate) enum AuthenticationFailure {
    Refused(TokenError),
    Internal(Internal),
}

impl From<TokenError> for AuthenticationFailure {
    fn from(error: TokenError) -> Self {
        AuthenticationFailure::Refused(error)
    }
}

/// The id and secret of an `Authorization: Basic` header value.
///
/// RFC 6749 §2.3.1 form-encodes both before Basic encoding. This server's ids and secrets are
/// made of hex digits and the base64url alphabet, which that encoding leaves unchanged, so the
/// encoded and decoded forms of a valid pair are the same and the values are taken as sent.
fn basic_credentials(value: &str) -> Option<(String, String)> {
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::basic_credentials;

    #[test]
    fn basic_credentials_are_read_from_the_header() {
        // "client:s3cr3t"
        assert_eq!(
            basic_credentials("Basic Y2xpZW50OnMzY3IzdA=="),
            Some(("client".into(), "s3cr3t".into()))
        );
        assert_eq!(
            basic_credentials("basic Y2xpZW50OnMzY3IzdA=="),
            Some(("client".into(), "s3cr3t".into()))
        );
        assert_eq!(basic_credentials("Bearer Y2xpZW50OnMzY3IzdA=="), None);
        assert_eq!(basic_credentials("Basic !!!"), None);
        // "client" without a colon.
        assert_eq!(basic_credentials("Basic Y2xpZW50"), None);
    }
}
