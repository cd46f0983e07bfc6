//! The OAuth 2.0 state of the Open Badges API (migration 0008): registered clients, the
//! authorizations earners gave them (their single-use codes) and the tokens issued from those.
//!
//! Secrets never reach the database: callers pass the SHA-256 of a client secret, a code or a
//! token, and look them up by that hash. Times are RFC 3339 text in UTC with microseconds and
//! are compared in Rust, never in SQL, so both backends run the same statements.
//!
//! What must not happen twice (a code exchanged, a refresh token rotated) is decided by a
//! conditional update inside an [`OAuthTransaction`]: of two concurrent attempts, exactly one
//! changes the row (PostgreSQL re-checks the `where` clause after waiting for the other's row
//! lock; SQLite runs one write transaction at a time), and the other learns it lost.

use crate::read_model::{ReadModelTransaction, SqlValue};
use crate::{EventStore, StoreError};
use chrono::{DateTime, SecondsFormat, Utc};
use ecusson_domain::{PersonId, TenantId};
use uuid::Uuid;

/// A registered client application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientRecord {
    pub client_id: String,
    /// SHA-256 of the client secret.
    pub secret_hash: Vec<u8>,
    /// The registered metadata as JSON text (the registration's answer without the secret).
    pub metadata: String,
    pub registered_at: DateTime<Utc>,
}

/// An authorization an earner gave a client, with its code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantRecord {
    pub tenant_id: TenantId,
    pub grant_id: Uuid,
    pub client_id: String,
    pub person_id: PersonId,
    /// Space-separated scopes the earner granted.
    pub scope: String,
    pub redirect_uri: String,
    /// The PKCE challenge (S256), base64url.
    pub code_challenge: String,
    /// SHA-256 of the authorization code.
    pub code_hash: Vec<u8>,
    pub code_expires_at: DateTime<Utc>,
    pub code_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Which kind of token a row holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "access" => Some(TokenKind::Access),
            "refresh" => Some(TokenKind::Refresh),
            _ => None,
        }
    }
}

/// Why a token stopped being usable before its expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenEnd {
    /// Revoked: by its client (RFC 7009), or with its grant.
    Revoked,
    /// A refresh token exchanged for new tokens.
    Rotated,
}

impl TokenEnd {
    fn as_str(self) -> &'static str {
        match self {
            TokenEnd::Revoked => "revoked",
            TokenEnd::Rotated => "rotated",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "revoked" => Some(TokenEnd::Revoked),
            "rotated" => Some(TokenEnd::Rotated),
            _ => None,
        }
    }
}

/// An access or refresh token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    pub tenant_id: TenantId,
    /// SHA-256 of the token.
    pub token_hash: Vec<u8>,
    pub grant_id: Uuid,
    pub kind: TokenKind,
    pub client_id: String,
    pub person_id: PersonId,
    pub scope: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ended: Option<(DateTime<Utc>, TokenEnd)>,
}

impl TokenRecord {
    /// Not ended, and not yet expired at `now`.
    pub fn is_usable_at(&self, now: DateTime<Utc>) -> bool {
        self.ended.is_none() && now < self.expires_at
    }
}

/// Stores a newly registered client.
pub async fn insert_client(
    store: &dyn EventStore,
    client: &ClientRecord,
) -> Result<(), StoreError> {
    let mut transaction = store.begin_read_model().await?;
    transaction
        .execute(
            "insert into oauth_client (client_id, secret_hash, metadata, registered_at) \
             values ($1, $2, $3, $4)",
            &[
                SqlValue::text(&client.client_id),
                SqlValue::Bytes(client.secret_hash.clone()),
                SqlValue::text(&client.metadata),
                SqlValue::text(time_text(client.registered_at)),
            ],
        )
        .await?;
    transaction.commit().await
}

/// A registered client, by its id.
pub async fn client(
    store: &dyn EventStore,
    client_id: &str,
) -> Result<Option<ClientRecord>, StoreError> {
    let rows = store
        .read_once(
            "select client_id, secret_hash, metadata, registered_at from oauth_client \
             where client_id = $1",
            &[SqlValue::text(client_id)],
        )
        .await?;
    rows.first()
        .map(|row| {
            Ok(ClientRecord {
                client_id: text(row, 0)?.to_owned(),
                secret_hash: bytes(row, 1)?.to_vec(),
                metadata: text(row, 2)?.to_owned(),
                registered_at: time(row, 3)?,
            })
        })
        .transpose()
}

/// Stores an authorization and its code.
pub async fn insert_grant(store: &dyn EventStore, grant: &GrantRecord) -> Result<(), StoreError> {
    let mut transaction = store.begin_read_model().await?;
    transaction
        .execute(
            "insert into oauth_grant (tenant_id, grant_id, client_id, person_id, scope, \
             redirect_uri, code_challenge, code_hash, code_expires_at, code_used_at, revoked_at, \
             created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            &[
                SqlValue::text(grant.tenant_id),
                SqlValue::text(grant.grant_id),
                SqlValue::text(&grant.client_id),
                SqlValue::text(grant.person_id),
                SqlValue::text(&grant.scope),
                SqlValue::text(&grant.redirect_uri),
                SqlValue::text(&grant.code_challenge),
                SqlValue::Bytes(grant.code_hash.clone()),
                SqlValue::text(time_text(grant.code_expires_at)),
                SqlValue::opt_text(grant.code_used_at.map(time_text)),
                SqlValue::opt_text(grant.revoked_at.map(time_text)),
                SqlValue::text(time_text(grant.created_at)),
            ],
        )
        .await?;
    transaction.commit().await
}

/// A token by its hash, read in one statement (what a resource request needs).
pub async fn token(
    store: &dyn EventStore,
    tenant_id: TenantId,
    token_hash: &[u8],
) -> Result<Option<TokenRecord>, StoreError> {
    let rows = store
        .read_once(
            TOKEN_SQL,
            &[
                SqlValue::text(tenant_id),
                SqlValue::Bytes(token_hash.to_vec()),
            ],
        )
        .await?;
    rows.first()
        .map(|row| token_row(tenant_id, row))
        .transpose()
}

const TOKEN_SQL: &str = "select token_hash, grant_id, kind, client_id, person_id, scope, \
     issued_at, expires_at, ended_at, end_reason from oauth_token \
     where tenant_id = $1 and token_hash = $2";

/// One transaction over the OAuth tables: exchanging a code, rotating a refresh token,
/// revoking. Dropping it without [`OAuthTransaction::commit`] rolls back.
pub struct OAuthTransaction {
    inner: Box<dyn ReadModelTransaction>,
}

impl OAuthTransaction {
    pub async fn begin(store: &dyn EventStore) -> Result<Self, StoreError> {
        Ok(Self {
            inner: store.begin_read_model().await?,
        })
    }

    /// The authorization whose code hashes to `code_hash`.
    pub async fn grant_by_code(
        &mut self,
        tenant_id: TenantId,
        code_hash: &[u8],
    ) -> Result<Option<GrantRecord>, StoreError> {
        let rows = self
            .inner
            .fetch_all(
                "select grant_id, client_id, person_id, scope, redirect_uri, code_challenge, \
                 code_hash, code_expires_at, code_used_at, revoked_at, created_at \
                 from oauth_grant where tenant_id = $1 and code_hash = $2",
                &[
                    SqlValue::text(tenant_id),
                    SqlValue::Bytes(code_hash.to_vec()),
                ],
            )
            .await?;
        rows.first()
            .map(|row| {
                Ok(GrantRecord {
                    tenant_id,
                    grant_id: uuid(row, 0)?,
                    client_id: text(row, 1)?.to_owned(),
                    person_id: PersonId(uuid(row, 2)?),
                    scope: text(row, 3)?.to_owned(),
                    redirect_uri: text(row, 4)?.to_owned(),
                    code_challenge: text(row, 5)?.to_owned(),
                    code_hash: bytes(row, 6)?.to_vec(),
                    code_expires_at: time(row, 7)?,
                    code_used_at: optional_time(row, 8)?,
                    revoked_at: optional_time(row, 9)?,
                    created_at: time(row, 10)?,
                })
            })
            .transpose()
    }

    /// Marks the code of a grant used. False when it already was (another exchange got there
    /// first): the caller lost the race and must treat its attempt as a reuse.
    pub async fn use_code(
        &mut self,
        tenant_id: TenantId,
        grant_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let changed = self
            .inner
            .execute(
                "update oauth_grant set code_used_at = $3 \
                 where tenant_id = $1 and grant_id = $2 and code_used_at is null \
                 and revoked_at is null",
                &[
                    SqlValue::text(tenant_id),
                    SqlValue::text(grant_id),
                    SqlValue::text(time_text(at)),
                ],
            )
            .await?;
        Ok(changed == 1)
    }

    /// Revokes a grant and ends every token issued from it that was still usable.
    pub async fn revoke_grant(
        &mut self,
        tenant_id: TenantId,
        grant_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let params = [
            SqlValue::text(tenant_id),
            SqlValue::text(grant_id),
            SqlValue::text(time_text(at)),
        ];
        self.inner
            .execute(
                "update oauth_grant set revoked_at = $3 \
                 where tenant_id = $1 and grant_id = $2 and revoked_at is null",
                &params,
            )
            .await?;
        self.inner
            .execute(
                "update oauth_token set ended_at = $3, end_reason = 'revoked' \
                 where tenant_id = $1 and grant_id = $2 and ended_at is null",
                &params,
            )
            .await?;
        Ok(())
    }

    pub async fn token(
        &mut self,
        tenant_id: TenantId,
        token_hash: &[u8],
    ) -> Result<Option<TokenRecord>, StoreError> {
        let rows = self
            .inner
            .fetch_all(
                TOKEN_SQL,
                &[
                    SqlValue::text(tenant_id),
                    SqlValue::Bytes(token_hash.to_vec()),
                ],
            )
            .await?;
        rows.first()
            .map(|row| token_row(tenant_id, row))
            .transpose()
    }

    /// Ends a token that was still usable. False when it had already ended (a concurrent
    /// rotation or revocation got there first).
    pub async fn end_token(
        &mut self,
        tenant_id: TenantId,
        token_hash: &[u8],
        at: DateTime<Utc>,
        reason: TokenEnd,
    ) -> Result<bool, StoreError> {
        let changed = self
            .inner
            .execute(
                "update oauth_token set ended_at = $3, end_reason = $4 \
                 where tenant_id = $1 and token_hash = $2 and ended_at is null",
                &[
                    SqlValue::text(tenant_id),
                    SqlValue::Bytes(token_hash.to_vec()),
                    SqlValue::text(time_text(at)),
                    SqlValue::text(reason.as_str()),
                ],
            )
            .await?;
        Ok(changed == 1)
    }

    pub async fn insert_token(&mut self, token: &TokenRecord) -> Result<(), StoreError> {
        let (ended_at, end_reason) = match token.ended {
            Some((at, reason)) => (Some(time_text(at)), Some(reason.as_str())),
            None => (None, None),
        };
        self.inner
            .execute(
                "insert into oauth_token (tenant_id, token_hash, grant_id, kind, client_id, \
                 person_id, scope, issued_at, expires_at, ended_at, end_reason) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                &[
                    SqlValue::text(token.tenant_id),
                    SqlValue::Bytes(token.token_hash.clone()),
                    SqlValue::text(token.grant_id),
                    SqlValue::text(token.kind.as_str()),
                    SqlValue::text(&token.client_id),
                    SqlValue::text(token.person_id),
                    SqlValue::text(&token.scope),
                    SqlValue::text(time_text(token.issued_at)),
                    SqlValue::text(time_text(token.expires_at)),
                    SqlValue::opt_text(ended_at),
                    SqlValue::opt_text(end_reason),
                ],
            )
            .await?;
        Ok(())
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        self.inner.commit().await
    }
}

fn time_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn token_row(tenant_id: TenantId, row: &[SqlValue]) -> Result<TokenRecord, StoreError> {
    let ended = match (
        optional_time(row, 8)?,
        row.get(9).and_then(SqlValue::as_text),
    ) {
        (None, _) => None,
        (Some(at), Some(reason)) => Some((
            at,
            TokenEnd::parse(reason).ok_or_else(|| corrupt("an OAuth token's end reason"))?,
        )),
        (Some(_), None) => return Err(corrupt("an ended OAuth token without its reason")),
    };
    Ok(TokenRecord {
        tenant_id,
        token_hash: bytes(row, 0)?.to_vec(),
        grant_id: uuid(row, 1)?,
        kind: TokenKind::parse(text(row, 2)?).ok_or_else(|| corrupt("an OAuth token's kind"))?,
        client_id: text(row, 3)?.to_owned(),
        person_id: PersonId(uuid(row, 4)?),
        scope: text(row, 5)?.to_owned(),
        issued_at: time(row, 6)?,
        expires_at: time(row, 7)?,
        ended,
    })
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} in the OAuth tables"))
}

fn text(row: &[SqlValue], index: usize) -> Result<&str, StoreError> {
    row.get(index)
        .and_then(SqlValue::as_text)
        .ok_or_else(|| corrupt("a missing text column"))
}

fn bytes(row: &[SqlValue], index: usize) -> Result<&[u8], StoreError> {
    row.get(index)
        .and_then(SqlValue::as_bytes)
        .ok_or_else(|| corrupt("a missing binary column"))
}

fn uuid(row: &[SqlValue], index: usize) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text(row, index)?).map_err(|_| corrupt("an identifier that is not a UUID"))
}

fn time(row: &[SqlValue], index: usize) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text(row, index)?)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| corrupt("a time that is not RFC 3339"))
}

fn optional_time(row: &[SqlValue], index: usize) -> Result<Option<DateTime<Utc>>, StoreError> {
    match row.get(index) {
        Some(SqlValue::Null) => Ok(None),
        _ => time(row, index).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_ends_read_back_what_they_write() {
        for kind in [TokenKind::Access, TokenKind::Refresh] {
            assert_eq!(TokenKind::parse(kind.as_str()), Some(kind));
        }
        for end in [TokenEnd::Revoked, TokenEnd::Rotated] {
            assert_eq!(TokenEnd::parse(end.as_str()), Some(end));
        }
        assert_eq!(TokenKind::parse("id"), None);
    }

    #[test]
    fn a_token_is_usable_until_it_expires_or_ends() {
        let now = Utc::now();
        let mut token = TokenRecord {
            tenant_id: TenantId::new(),
            token_hash: vec![0; 32],
            grant_id: Uuid::new_v4(),
            kind: TokenKind::Access,
            client_id: "client".into(),
            person_id: PersonId::new(),
            scope: "scope".into(),
            issued_at: now,
            expires_at: now + chrono::Duration::hours(1),
            ended: None,
        };
        assert!(token.is_usable_at(now));
        assert!(!token.is_usable_at(now + chrono::Duration::hours(1)));
        token.ended = Some((now, TokenEnd::Revoked));
        assert!(!token.is_usable_at(now));
    }

    #[test]
    fn times_are_stored_in_one_sortable_form() {
        let at = DateTime::parse_from_rfc3339("2026-11-23T10:00:00.5+01:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(time_text(at), "2026-11-23T09:00:00.500000Z");
    }
}
