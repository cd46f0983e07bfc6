//! Single-use links: how a host company gives the recommendation a worker asked of it without
//! an account. The worker (or their counsellor) asks; the ledger answers with a link the worker
//! sends (e-mail, SMS: the ledger sends nothing itself); the company opens it, writes its
//! testimony, agrees or not to its publication, and the ledger records the recommendation in
//! the recommender's name.
//!
//! The link is a capability signed with a key derived from the installation's key: it names the
//! tenant, the worker, the recommendation and when it expires, and needs no table. It is single
//! use because the recommendation is: once given or declined, the domain refuses a second
//! answer, and the page says the link can no longer be used.

use chrono::{DateTime, Utc};
use ecusson_domain::{PersonId, RecommendationId, TenantId};
use ecusson_store::Vault;
use hmac::{Mac, SimpleHmac};
use sha2::Sha256;

/// How long a link works.
pub const LINK_LIFETIME_DAYS: i64 = 30;

const PURPOSE: &str = "recommendation-link";
/// Bytes of the MAC kept in the link: 128 bits, out of reach of guessing.
const TAG_BYTES: usize = 16;
const BODY_BYTES: usize = 16 * 3 + 8;

/// What a link lets its holder do: answer one recommendation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecommendationLink {
    pub tenant: TenantId,
    pub earner: PersonId,
    pub recommendation: RecommendationId,
    pub expires_at: DateTime<Utc>,
}

/// Why a link does not open (the page says the same for all: a link cannot be probed).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LinkRefused {
    #[error("the link is malformed")]
    Malformed,
    #[error("the link's signature does not match")]
    Forged,
    #[error("the link has expired")]
    Expired,
}

/// The key links are signed with, derived from the installation's key.
pub struct LinkKey(zeroize::Zeroizing<[u8; 32]>);

impl LinkKey {
    pub fn of(vault: &Vault) -> Self {
        Self(vault.derived_key(PURPOSE))
    }

    pub fn from_installation_key(key: &ecusson_store::VaultKey) -> Self {
        Self::from_installation_key_for(key, PURPOSE)
    }

    pub fn from_installation_key_for(key: &ecusson_store::VaultKey, purpose: &str) -> Self {
        Self(key.derive(purpose))
    }

    /// The key of another kind of link (a shared CV): each kind signs with a key of its own,
    /// so that a token of one kind never opens another.
    pub fn for_purpose(vault: &Vault, purpose: &str) -> Self {
        Self(vault.derived_key(purpose))
    }

    fn mac(&self) -> SimpleHmac<Sha256> {
        <SimpleHmac<Sha256> as Mac>::new_from_slice(self.0.as_slice())
            .expect("HMAC takes a key of any length")
    }

    /// `body` and its truncated MAC, as one URL-safe base64 token.
    pub fn seal(&self, mut body: Vec<u8>) -> String {
        use base64::Engine as _;
        let mut mac = self.mac();
        mac.update(&body);
        body.extend_from_slice(&mac.finalize().into_bytes()[..TAG_BYTES]);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(body)
    }

    /// The body of a token sealed by [`LinkKey::seal`] under this key, if it is `body_bytes`
    /// long and its MAC matches (compared in constant time).
    pub fn unseal(&self, token: &str, body_bytes: usize) -> Result<Vec<u8>, LinkRefused> {
        use base64::Engine as _;
        let mut bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.trim())
            .map_err(|_| LinkRefused::Malformed)?;
        if bytes.len() != body_bytes + TAG_BYTES {
            return Err(LinkRefused::Malformed);
        }
        let tag = bytes.split_off(body_bytes);
        let mut mac = self.mac();
        mac.update(&bytes);
        mac.verify_truncated_left(&tag)
            .map_err(|_| LinkRefused::Forged)?;
        Ok(bytes)
    }
}

fn body(link: &RecommendationLink) -> Vec<u8> {
    let mut body = Vec::with_capacity(BODY_BYTES);
    body.extend_from_slice(link.tenant.0.as_bytes());
    body.extend_from_slice(link.earner.0.as_bytes());
    body.extend_from_slice(link.recommendation.0.as_bytes());
    body.extend_from_slice(&link.expires_at.timestamp().to_be_bytes());
    body
}

/// The token of a link (URL-safe base64).
pub fn mint(key: &LinkKey, link: &RecommendationLink) -> String {
    key.seal(body(link))
}

/// A link for `recommendation` that works for [`LINK_LIFETIME_DAYS`] from `now`.
pub fn mint_for(
    key: &LinkKey,
    tenant: TenantId,
    earner: PersonId,
    recommendation: RecommendationId,
    now: DateTime<Utc>,
) -> String {
    mint(
        key,
        &RecommendationLink {
            tenant,
            earner,
            recommendation,
            expires_at: now + chrono::Duration::days(LINK_LIFETIME_DAYS),
        },
    )
}

/// What a token says, once its signature and date are checked.
pub fn open(
    key: &LinkKey,
    token: &str,
    now: DateTime<Utc>,
) -> Result<RecommendationLink, LinkRefused> {
    let body = key.unseal(token, BODY_BYTES)?;
    let uuid = |range: std::ops::Range<usize>| {
        uuid::Uuid::from_slice(&body[range]).map_err(|_| LinkRefused::Malformed)
    };
    let seconds = i64::from_be_bytes(
        body[48..56]
            .try_into()
            .map_err(|_| LinkRefused::Malformed)?,
    );
    let expires_at = DateTime::from_timestamp(seconds, 0).ok_or(LinkRefused::Malformed)?;
    if now >= expires_at {
        return Err(LinkRefused::Expired);
    }
    Ok(RecommendationLink {
        tenant: TenantId(uuid(0..16)?),
        earner: PersonId(uuid(16..32)?),
        recommendation: RecommendationId(uuid(32..48)?),
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> LinkKey {
        LinkKey::from_installation_key(&ecusson_store::VaultKey::generate())
    }

    #[test]
    fn a_link_opens_until_it_expires_and_not_once_forged_or_under_another_key() {
        let key = key();
        let now = Utc::now();
        let link = RecommendationLink {
            tenant: TenantId::new(),
            earner: PersonId::new(),
            recommendation: RecommendationId::new(),
            expires_at: now + chrono::Duration::days(1),
        };
        let token = mint(&key, &link);
        let mut expected = link;
        expected.expires_at = DateTime::from_timestamp(link.expires_at.timestamp(), 0).unwrap();
        assert_eq!(open(&key, &token, now), Ok(expected));
        assert_eq!(
            open(&key, &token, now + chrono::Duration::days(2)),
            Err(LinkRefused::Expired)
        );
        // One character changed anywhere: refused.
        let mut forged = token.clone().into_bytes();
        forged[10] = if forged[10] == b'A' { b'B' } else { b'A' };
        assert!(open(&key, &String::from_utf8(forged).unwrap(), now).is_err());
        assert_eq!(open(&key, "court", now), Err(LinkRefused::Malformed));
        // Another installation's key does not open it.
        assert_eq!(open(&self::key(), &token, now), Err(LinkRefused::Forged));
    }
}
