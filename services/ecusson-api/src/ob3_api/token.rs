//! The token endpoint (`POST /oauth/token`, RFC 6749 §4.1.3 and §6) and the revocation
//! endpoint (`POST /oauth/revoke`, RFC 7009).
//!
//! A code is exchanged once, by the client it was made for, with the redirect URI it was made
//! for and the PKCE verifier of its challenge, within a minute. A code presented again after
//! its exchange is refused and revokes its grant, so every token issued from it stops working
//! (RFC 6749 §4.1.2). Access tokens last an hour (the spec's recommendation); a client that
//! registered the `refresh_token` grant also gets a refresh token (90 days), replaced at each
//! use: a used refresh token presented again is a sign that it was stolen, and revokes its
//! grant too (OAuth 2.0 Security BCP, RFC 9700 §4.14.2). Revoking a refresh token revokes its
//! grant; revoking an access token ends that token.
//!
//! What must happen once is decided inside one transaction by a conditional update (see
//! `ecusson_store::oauth`): of two exchanges of one code, one wins, the other is a reuse.

use super::client::{
    authenticate, AuthenticationFailure, RegisteredClient, GRANT_AUTHORIZATION_CODE,
    GRANT_REFRESH_TOKEN,
};
use super::errors::{no_store, TokenError};
use super::pkce;
use super::scope::Scopes;
use super::secret::{self, new_secret, SecretKind};
use super::{form_fields, is_form, Internal};
use crate::server::ServerState;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use ecusson_domain::{PersonId, TenantId};
use ecusson_store::oauth::{OAuthTransaction, TokenEnd, TokenKind, TokenRecord};
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The spec's recommended lifetime for access tokens.
pub(crate) const ACCESS_TOKEN_LIFETIME: Duration = Duration::hours(1);
/// A wallet may sync rarely; each use of a refresh token gives a new one for as long again.
pub(crate) const REFRESH_TOKEN_LIFETIME: Duration = Duration::days(90);

type Fields = BTreeMap<String, String>;

/// `POST /oauth/token`.
pub(crate) async fn token(
    state: web::Data<ServerState>,
    http: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    match exchange(&state, &http, &body).await {
        Ok(answer) => {
            let mut response = HttpResponse::Ok();
            no_store(&mut response);
            response.json(answer)
        }
        Err(Failure::Refused(error)) => error.response(),
        Err(Failure::Internal(error)) => {
            error.log("token request");
            TokenError::ServerError.response()
        }
    }
}

/// `POST /oauth/revoke`: 200 for a token revoked, and for a token that is unknown or not this
/// client's (RFC 7009 §2.2: the client learns nothing about tokens it does not hold).
pub(crate) async fn revoke(
    state: web::Data<ServerState>,
    http: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    match revocation(&state, &http, &body).await {
        Ok(()) => {
            let mut response = HttpResponse::Ok();
            no_store(&mut response);
            response.finish()
        }
        Err(Failure::Refused(error)) => error.response(),
        Err(Failure::Internal(error)) => {
            error.log("revocation request");
            TokenError::ServerError.response()
        }
    }
}

enum Failure {
    Refused(TokenError),
    Internal(Internal),
}

impl From<TokenError> for Failure {
    fn from(error: TokenError) -> Self {
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

impl From<AuthenticationFailure> for Failure {
    fn from(failure: AuthenticationFailure) -> Self {
        match failure {
            AuthenticationFailure::Refused(error) => Failure::Refused(error),
            AuthenticationFailure::Internal(error) => Failure::Internal(error),
        }
    }
}

/// The body's fields, and the client that sent them.
async fn authenticated_request(
    state: &ServerState,
    http: &HttpRequest,
    body: &[u8],
) -> Result<(Fields, RegisteredClient), Failure> {
    if !is_form(http) {
        return Err(TokenError::InvalidRequest(
            "the body must be application/x-www-form-urlencoded",
        )
        .into());
    }
    let fields =
        std::str::from_utf8(body)
            .ok()
            .and_then(form_fields)
            .ok_or(TokenError::InvalidRequest(
                "the body does not parse, or repeats a parameter",
            ))?;
    let client = authenticate(state, http, &fields).await?;
    Ok((fields, client))
}

async fn exchange(
    state: &ServerState,
    http: &HttpRequest,
    body: &[u8],
) -> Result<serde_json::Value, Failure> {
    let (fields, client) = authenticated_request(state, http, body).await?;
    match fields.get("grant_type").map(String::as_str) {
        Some(GRANT_AUTHORIZATION_CODE) => exchange_code(state, &fields, &client).await,
        Some(GRANT_REFRESH_TOKEN) if client.uses_refresh_tokens() => {
            refresh(state, &fields, &client).await
        }
        Some(GRANT_REFRESH_TOKEN) => Err(TokenError::UnauthorizedClient(
            "the client did not register the refresh_token grant type",
        )
        .into()),
        Some(_) => Err(TokenError::UnsupportedGrantType.into()),
        None => Err(TokenError::InvalidRequest("grant_type is required").into()),
    }
}

const INVALID_CODE: TokenError = TokenError::InvalidGrant(
    "the code is invalid, expired, used, or was issued for another request",
);

async fn exchange_code(
    state: &ServerState,
    fields: &Fields,
    client: &RegisteredClient,
) -> Result<serde_json::Value, Failure> {
    let (Some(code), Some(redirect_uri), Some(verifier)) = (
        fields.get("code"),
        fields.get("redirect_uri"),
        fields.get("code_verifier"),
    ) else {
        return Err(TokenError::InvalidRequest(
            "code, redirect_uri and code_verifier are required",
        )
        .into());
    };
    let presented = secret::parse(code)
        .filter(|code| code.kind == SecretKind::AuthorizationCode)
        .ok_or(INVALID_CODE)?;
    let now = state.ledger.now();
    let mut transaction = OAuthTransaction::begin(state.ledger.store().as_ref()).await?;
    let grant = transaction
        .grant_by_code(presented.tenant, &presented.hash)
        .await?
        .ok_or(INVALID_CODE)?;
    if grant.code_used_at.is_some() || grant.revoked_at.is_some() {
        reused(
            transaction,
            presented.tenant,
            grant.grant_id,
            &grant.client_id,
            now,
        )
        .await?;
        return Err(INVALID_CODE.into());
    }
    let bound = grant.client_id == client.client_id
        && grant.redirect_uri == *redirect_uri
        && now < grant.code_expires_at
        && pkce::verifies(verifier, &grant.code_challenge);
    if !bound {
        return Err(INVALID_CODE.into());
    }
    let granted = Scopes::parse(&grant.scope).unwrap_or_default();
    let scopes = narrowed(fields, granted)?;
    if !transaction
        .use_code(presented.tenant, grant.grant_id, now)
        .await?
    {
        // Another exchange of this code committed first: this one is the reuse.
        reused(
            transaction,
            presented.tenant,
            grant.grant_id,
            &grant.client_id,
            now,
        )
        .await?;
        return Err(INVALID_CODE.into());
    }
    let issued = Issue {
        tenant: presented.tenant,
        grant_id: grant.grant_id,
        client,
        person: grant.person_id,
        access_scopes: scopes,
        refresh_scopes: granted,
        now,
    };
    let answer = issued.tokens(&mut transaction).await?;
    transaction.commit().await?;
    Ok(answer)
}

/// A code or refresh token used a second time: its grant is revoked, with every token issued
/// from it.
async fn reused(
    mut transaction: OAuthTransaction,
    tenant: TenantId,
    grant_id: Uuid,
    client_id: &str,
    now: DateTime<Utc>,
) -> Result<(), Failure> {
    transaction.revoke_grant(tenant, grant_id, now).await?;
    transaction.commit().await?;
    tracing::warn!(
        oauth.client_id = %client_id,
        tenant.id = %tenant,
        oauth.grant_id = %grant_id,
        "a code or refresh token was used twice: its grant is revoked"
    );
    Ok(())
}

const INVALID_REFRESH: TokenError =
    TokenError::InvalidGrant("the refresh token is invalid, expired, revoked or already used");

async fn refresh(
    state: &ServerState,
    fields: &Fields,
    client: &RegisteredClient,
) -> Result<serde_json::Value, Failure> {
    let Some(token) = fields.get("refresh_token") else {
        return Err(TokenError::InvalidRequest("refresh_token is required").into());
    };
    let presented = secret::parse(token)
        .filter(|token| token.kind == SecretKind::RefreshToken)
        .ok_or(INVALID_REFRESH)?;
    let now = state.ledger.now();
    let mut transaction = OAuthTransaction::begin(state.ledger.store().as_ref()).await?;
    let record = transaction
        .token(presented.tenant, &presented.hash)
        .await?
        .filter(|record| record.kind == TokenKind::Refresh)
        .ok_or(INVALID_REFRESH)?;
    if record.client_id != client.client_id {
        return Err(INVALID_REFRESH.into());
    }
    match record.ended {
        Some((_, TokenEnd::Rotated)) => {
            reused(
                transaction,
                presented.tenant,
                record.grant_id,
                &record.client_id,
                now,
            )
            .await?;
            return Err(INVALID_REFRESH.into());
        }
        Some((_, TokenEnd::Revoked)) => return Err(INVALID_REFRESH.into()),
        None if now >= record.expires_at => return Err(INVALID_REFRESH.into()),
        None => {}
    }
    let granted = Scopes::parse(&record.scope).unwrap_or_default();
    let scopes = narrowed(fields, granted)?;
    if !transaction
        .end_token(presented.tenant, &presented.hash, now, TokenEnd::Rotated)
        .await?
    {
        reused(
            transaction,
            presented.tenant,
            record.grant_id,
            &record.client_id,
            now,
        )
        .await?;
        return Err(INVALID_REFRESH.into());
    }
    let issued = Issue {
        tenant: presented.tenant,
        grant_id: record.grant_id,
        client,
        person: record.person_id,
        access_scopes: scopes,
        // RFC 6749 §6: a new refresh token keeps the scope of the one it replaces.
        refresh_scopes: granted,
        now,
    };
    let answer = issued.tokens(&mut transaction).await?;
    transaction.commit().await?;
    Ok(answer)
}

/// The scopes of the new access token: those granted, or fewer when the request names a
/// `scope` (which may not go beyond the grant, RFC 6749 §6).
fn narrowed(fields: &Fields, granted: Scopes) -> Result<Scopes, TokenError> {
    let Some(requested) = fields.get("scope") else {
        return Ok(granted);
    };
    let requested =
        Scopes::parse(requested).ok_or(TokenError::InvalidScope("scope is malformed"))?;
    if !requested.is_within(granted) {
        return Err(TokenError::InvalidScope(
            "the requested scope goes beyond what the earner granted",
        ));
    }
    if requested.is_empty() {
        return Err(TokenError::InvalidScope(
            "none of the requested scopes is granted here",
        ));
    }
    Ok(requested)
}

/// The tokens of one exchange.
struct Issue<'a> {
    tenant: TenantId,
    grant_id: Uuid,
    client: &'a RegisteredClient,
    person: PersonId,
    access_scopes: Scopes,
    refresh_scopes: Scopes,
    now: DateTime<Utc>,
}

impl Issue<'_> {
    /// Stores the new tokens and returns the answer that carries them (RFC 6749 §5.1).
    async fn tokens(
        &self,
        transaction: &mut OAuthTransaction,
    ) -> Result<serde_json::Value, Failure> {
        let record = |kind, hash, scopes: Scopes, lifetime| TokenRecord {
            tenant_id: self.tenant,
            token_hash: hash,
            grant_id: self.grant_id,
            kind,
            client_id: self.client.client_id.clone(),
            person_id: self.person,
            scope: scopes.to_text(),
            issued_at: self.now,
            expires_at: self.now + lifetime,
            ended: None,
        };
        let access = new_secret(SecretKind::AccessToken, self.tenant);
        transaction
            .insert_token(&record(
                TokenKind::Access,
                access.hash,
                self.access_scopes,
                ACCESS_TOKEN_LIFETIME,
            ))
            .await?;
        let mut answer = json!({
            "access_token": access.text,
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_LIFETIME.num_seconds(),
            "scope": self.access_scopes.to_text(),
        });
        if self.client.uses_refresh_tokens() {
            let refresh = new_secret(SecretKind::RefreshToken, self.tenant);
            transaction
                .insert_token(&record(
                    TokenKind::Refresh,
                    refresh.hash,
                    self.refresh_scopes,
                    REFRESH_TOKEN_LIFETIME,
                ))
                .await?;
            answer["refresh_token"] = refresh.text.into();
        }
        Ok(answer)
    }
}

async fn revocation(state: &ServerState, http: &HttpRequest, body: &[u8]) -> Result<(), Failure> {
    let (fields, client) = authenticated_request(state, http, body).await?;
    let Some(token) = fields.get("token") else {
        return Err(TokenError::InvalidRequest("token is required").into());
    };
    // The hint (`access_token` or `refresh_token`) is not needed: the token says what it is.
    let Some(presented) = secret::parse(token).filter(|token| {
        matches!(
            token.kind,
            SecretKind::AccessToken | SecretKind::RefreshToken
        )
    }) else {
        return Ok(());
    };
    let now = state.ledger.now();
    let mut transaction = OAuthTransaction::begin(state.ledger.store().as_ref()).await?;
    let Some(record) = transaction.token(presented.tenant, &presented.hash).await? else {
        return Ok(());
    };
    if record.client_id != client.client_id {
        return Ok(());
    }
    match record.kind {
        // RFC 7009 §2.1: revoking a refresh token ends the access tokens of its grant too.
        TokenKind::Refresh => {
            transaction
                .revoke_grant(presented.tenant, record.grant_id, now)
                .await?
        }
        TokenKind::Access => {
            transaction
                .end_token(presented.tenant, &presented.hash, now, TokenEnd::Revoked)
                .await?;
        }
    }
    transaction.commit().await?;
    tracing::info!(
        oauth.client_id = %client.client_id,
        tenant.id = %presented.tenant,
        "token revoked by its client"
    );
    Ok(())
}
