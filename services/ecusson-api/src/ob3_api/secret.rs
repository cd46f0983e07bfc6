//! The bearer secrets this API hands out: client secrets, authorization codes, access and
//! refresh tokens. Each holds 256 random bits (base64url, 43 characters) and is stored as the
//! SHA-256 of its text, so a copy of the database lets nobody use them.
//!
//! Codes and tokens read `ecusson-<kind>.<tenant>.<random>`: the kind makes a token shown where
//! the other is expected fail at once (and secret scanners can recognise them); the tenant
//! (the structure's id, not a secret: credentials name it) lets the lookup name its tenant,
//! as every key of the schema does. All characters are in RFC 6750's `b64token` set and need no
//! escaping in a URL.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ecusson_domain::TenantId;
use rand::RngCore as _;
use sha2::{Digest, Sha256};

/// What a code or token is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SecretKind {
    AuthorizationCode,
    AccessToken,
    RefreshToken,
}

impl SecretKind {
    fn prefix(self) -> &'static str {
        match self {
            SecretKind::AuthorizationCode => "ecusson-code",
            SecretKind::AccessToken => "ecusson-at",
            SecretKind::RefreshToken => "ecusson-rt",
        }
    }

    fn from_prefix(prefix: &str) -> Option<Self> {
        [
            SecretKind::AuthorizationCode,
            SecretKind::AccessToken,
            SecretKind::RefreshToken,
        ]
        .into_iter()
        .find(|kind| kind.prefix() == prefix)
    }
}

/// A secret just made: its text (given once to the client) and its hash (stored).
pub(crate) struct NewSecret {
    pub text: String,
    pub hash: Vec<u8>,
}

/// A code or token as presented: what it claims to be, and its hash to look it up by.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct PresentedSecret {
    pub kind: SecretKind,
    pub tenant: TenantId,
    pub hash: Vec<u8>,
}

const RANDOM_BYTES: usize = 32;
const RANDOM_CHARS: usize = 43;

fn random_text() -> String {
    let mut bytes = [0u8; RANDOM_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn sha256(text: &str) -> Vec<u8> {
    Sha256::digest(text.as_bytes()).to_vec()
}

/// A new code or token for `tenant`.
pub(crate) fn new_secret(kind: SecretKind, tenant: TenantId) -> NewSecret {
    let text = format!(
        "{}.{}.{}",
        kind.prefix(),
        tenant.as_uuid().simple(),
        random_text()
    );
    let hash = sha256(&text);
    NewSecret { text, hash }
}

/// A new client secret (no tenant: clients are the installation's).
pub(crate) fn new_client_secret() -> NewSecret {
    let text = random_text();
    let hash = sha256(&text);
    NewSecret { text, hash }
}

/// A new client id: 128 random bits, hexadecimal (not a secret).
pub(crate) fn new_client_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Reads a presented code or token; `None` when it cannot be one of ours.
pub(crate) fn parse(text: &str) -> Option<PresentedSecret> {
    let mut parts = text.split('.');
    let (prefix, tenant, random) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let kind = SecretKind::from_prefix(prefix)?;
    if tenant.len() != 32 || !tenant.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let tenant = TenantId::parse(tenant).ok()?;
    let well_formed = random.len() == RANDOM_CHARS
        && random
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return None;
    }
    Some(PresentedSecret {
        kind,
        tenant,
        hash: sha256(text),
    })
}

/// Compares two digests in time that does not depend on where they differ.
pub(crate) fn same_digest(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_token_reads_back_with_its_kind_tenant_and_hash() {
        let tenant = TenantId::new();
        for kind in [
            SecretKind::AuthorizationCode,
            SecretKind::AccessToken,
            SecretKind::RefreshToken,
        ] {
            let secret = new_secret(kind, tenant);
            assert_eq!(secret.hash, Sha256::digest(secret.text.as_bytes()).to_vec());
            assert_eq!(
                parse(&secret.text),
                Some(PresentedSecret {
                    kind,
                    tenant,
                    hash: secret.hash.clone()
                })
            );
        }
    }

    #[test]
    fn two_secrets_differ() {
        let tenant = TenantId::new();
        let first = new_secret(SecretKind::AccessToken, tenant);
        let second = new_secret(SecretKind::AccessToken, tenant);
        assert_ne!(first.text, second.text);
        assert_ne!(new_client_secret().text, new_client_secret().text);
        assert_eq!(new_client_secret().text.len(), 43);
        assert_eq!(new_client_id().len(), 32);
    }

    #[test]
    fn anything_else_is_not_a_secret_of_ours() {
        let good = new_secret(SecretKind::AccessToken, TenantId::new()).text;
        let (prefix, rest) = good.split_once('.').unwrap();
        let (tenant, random) = rest.split_once('.').unwrap();
        for bad in [
            String::new(),
            "ecusson-at".to_owned(),
            format!("ecusson-xx.{tenant}.{random}"),
            format!("{prefix}.{tenant}"),
            format!("{prefix}.{tenant}.{random}.x"),
            format!("{prefix}.not-a-tenant.{random}"),
            format!("{prefix}.{tenant}.{}", &random[1..]),
            format!("{prefix}.{tenant}.{}=", &random[1..]),
            format!("{prefix}.g{}.{random}", &tenant[1..]),
        ] {
            assert_eq!(parse(&bad), None, "{bad}");
        }
    }

    #[test]
    fn digests_compare_equal_only_when_equal() {
        assert!(same_digest(&sha256("a"), &sha256("a")));
        assert!(!same_digest(&sha256("a"), &sha256("b")));
        assert!(!same_digest(&sha256("a"), &sha256("a")[..31]));
    }
}
