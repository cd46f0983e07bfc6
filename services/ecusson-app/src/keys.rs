//! The network's issuer keys: generated here (Ed25519 for Data Integrity proofs, P-256 for
//! VC-JWTs), their private halves stored wrapped by the installation's key
//! (`Vault::put_issuer_secret`), their public halves and history in the log (`IssuerKeys`).
//! Behind `ecusson keys generate|rotate|revoke|list`, and what signs credentials.
//!
//! The secret is stored before the event is appended, and deleted again when the command is
//! refused: a crash in between leaves a secret that no event names, which is never used; the
//! other order could leave a published key whose private half is lost.

use crate::{AppError, Executed, Ledger, RequestMeta};
use chrono::{DateTime, Utc};
use ecusson_domain::events::DomainEvent;
use ecusson_domain::issuer_keys::IssuerKey;
use ecusson_domain::{
    Actor, IssuerKeyId, IssuerKeys, IssuerKeysCommand, KeyAlgorithm, KeyRevocationReason, PersonId,
    Role, TenantId,
};
use ecusson_store::{StoreError, StreamId, Vault};
use ed25519_dalek::SigningKey;

/// The installation's operator, acting as a network admin from the command line (the person
/// id is the nil UUID, as for the ledger's own clock).
fn operator(network: TenantId) -> Actor {
    Actor {
        tenant_id: network,
        person_id: PersonId(uuid::Uuid::nil()),
        roles: vec![Role::NetworkAdmin],
    }
}

fn stream() -> StreamId {
    StreamId::parse(IssuerKeys::stream_name()).expect("a valid stream name")
}

/// A freshly generated private key of either algorithm.
enum NewSecret {
    Ed25519(SigningKey),
    P256(p256::SecretKey),
}

impl NewSecret {
    fn generate(algorithm: KeyAlgorithm) -> Self {
        match algorithm {
            KeyAlgorithm::Ed25519 => {
                NewSecret::Ed25519(SigningKey::generate(&mut rand::rngs::OsRng))
            }
            KeyAlgorithm::P256 => NewSecret::P256(p256::SecretKey::random(&mut rand::rngs::OsRng)),
        }
    }

    fn public_multibase(&self) -> String {
        match self {
            NewSecret::Ed25519(key) => ecusson_badges::multikey::encode(&key.verifying_key()),
            NewSecret::P256(key) => ecusson_badges::multikey::encode_p256(&key.public_key()),
        }
    }

    fn secret_bytes(&self) -> zeroize::Zeroizing<[u8; 32]> {
        zeroize::Zeroizing::new(match self {
            NewSecret::Ed25519(key) => key.to_bytes(),
            NewSecret::P256(key) => key.to_bytes().into(),
        })
    }
}

/// Generates a key of `algorithm` and makes it the network's active one of its kind: the first
/// (`rotate` false) or the replacement of the active one (`rotate` true).
pub async fn activate_new_key(
    ledger: &Ledger,
    vault: &Vault,
    network: TenantId,
    algorithm: KeyAlgorithm,
    rotate: bool,
) -> Result<Executed<IssuerKeys>, AppError> {
    let secret = NewSecret::generate(algorithm);
    let key_id = IssuerKeyId::new();
    let public_key_multibase = secret.public_multibase();
    vault
        .put_issuer_secret(network, key_id, &secret.secret_bytes())
        .await?;
    let command = if rotate {
        IssuerKeysCommand::Rotate {
            key_id,
            algorithm,
            public_key_multibase,
        }
    } else {
        IssuerKeysCommand::Generate {
            key_id,
            algorithm,
            public_key_multibase,
        }
    };
    let outcome = ledger
        .execute::<IssuerKeys, _>(
            &operator(network),
            network,
            &stream(),
            &RequestMeta::default(),
            |_| Ok(command.clone()),
        )
        .await;
    if outcome.is_err() {
        if let Err(error) = vault.discard_issuer_secret(network, key_id).await {
            tracing::error!(error = %error, key.id = %key_id, "could not discard an unpublished issuer key");
        }
    }
    outcome
}

/// `ecusson keys generate` (`rotate` false): a key of each algorithm the network lacks;
/// `ecusson keys rotate`: a new key of each algorithm, replacing the active one (or the first,
/// where there was none). Returns the keys activated. Each key is its own append, so a crash
/// half-way leaves the other algorithm to the next run.
pub async fn activate_network_keys(
    ledger: &Ledger,
    vault: &Vault,
    network: TenantId,
    rotate: bool,
) -> Result<Vec<IssuerKey>, AppError> {
    let current = issuer_keys(ledger, network).await?;
    if rotate
        && KeyAlgorithm::ALL
            .iter()
            .all(|algorithm| current.active(*algorithm).is_none())
    {
        return Err(AppError::Domain(ecusson_domain::DomainError::RuleViolated(
            "the network has no active key to rotate: generate its keys".to_owned(),
        )));
    }
    let mut activated = Vec::new();
    for algorithm in KeyAlgorithm::ALL {
        let has_active = issuer_keys(ledger, network)
            .await?
            .active(algorithm)
            .is_some();
        if has_active && !rotate {
            continue;
        }
        let executed = activate_new_key(ledger, vault, network, algorithm, has_active).await?;
        let key = activated_key(&executed)
            .and_then(|key_id| executed.state.key(key_id).cloned())
            .ok_or_else(|| AppError::internal(StoreError::Corrupt("no key activated".into())))?;
        activated.push(key);
    }
    if activated.is_empty() && !rotate {
        return Err(AppError::Domain(ecusson_domain::DomainError::RuleViolated(
            "the network already has its keys: rotate them".to_owned(),
        )));
    }
    Ok(activated)
}

/// Marks a key compromised from `compromised_since`.
pub async fn revoke_key(
    ledger: &Ledger,
    network: TenantId,
    key_id: IssuerKeyId,
    compromised_since: DateTime<Utc>,
    reason: KeyRevocationReason,
) -> Result<Executed<IssuerKeys>, AppError> {
    ledger
        .execute::<IssuerKeys, _>(
            &operator(network),
            network,
            &stream(),
            &RequestMeta::default(),
            |_| {
                Ok(IssuerKeysCommand::Revoke {
                    key_id,
                    compromised_since,
                    reason,
                })
            },
        )
        .await
}

/// The network's keys as the log tells them.
pub async fn issuer_keys(ledger: &Ledger, network: TenantId) -> Result<IssuerKeys, AppError> {
    Ok(ledger.load::<IssuerKeys>(network, &stream()).await?.state)
}

/// The private half of a published key, checked against its published half.
pub(crate) async fn secret_of(
    vault: &Vault,
    network: TenantId,
    key: &IssuerKey,
) -> Result<zeroize::Zeroizing<[u8; 32]>, AppError> {
    let secret = vault
        .issuer_secret(network, key.key_id)
        .await?
        .ok_or_else(|| {
            AppError::internal(StoreError::Corrupt(format!(
                "the private half of issuer key {} is missing",
                key.key_id
            )))
        })?;
    let public = match key.algorithm {
        KeyAlgorithm::Ed25519 => {
            ecusson_badges::multikey::encode(&SigningKey::from_bytes(&secret).verifying_key())
        }
        KeyAlgorithm::P256 => p256::SecretKey::from_slice(secret.as_slice())
            .map(|secret| ecusson_badges::multikey::encode_p256(&secret.public_key()))
            .unwrap_or_default(),
    };
    if public != key.public_key_multibase {
        return Err(AppError::internal(StoreError::Corrupt(format!(
            "issuer key {} does not match its published half",
            key.key_id
        ))));
    }
    Ok(secret)
}

/// The active Ed25519 key with its private half, to sign Data Integrity proofs with; `None`
/// when the network has no active key. A published key whose secret this installation lacks
/// is an internal error.
pub async fn active_signing_key(
    ledger: &Ledger,
    vault: &Vault,
    network: TenantId,
) -> Result<Option<(IssuerKeyId, SigningKey)>, AppError> {
    let keys = issuer_keys(ledger, network).await?;
    let Some(active) = keys.active(KeyAlgorithm::Ed25519) else {
        return Ok(None);
    };
    let secret = secret_of(vault, network, active).await?;
    Ok(Some((active.key_id, SigningKey::from_bytes(&secret))))
}

/// The active P-256 key with its private half, to sign VC-JWTs with (ES256).
pub async fn active_jwt_key(
    ledger: &Ledger,
    vault: &Vault,
    network: TenantId,
) -> Result<Option<(IssuerKeyId, p256::SecretKey)>, AppError> {
    let keys = issuer_keys(ledger, network).await?;
    let Some(active) = keys.active(KeyAlgorithm::P256) else {
        return Ok(None);
    };
    let secret = secret_of(vault, network, active).await?;
    let key = p256::SecretKey::from_slice(secret.as_slice()).map_err(|_| {
        AppError::internal(StoreError::Corrupt(format!(
            "issuer key {} is not a P-256 key",
            active.key_id
        )))
    })?;
    Ok(Some((active.key_id, key)))
}

/// The key ids of the events an operation appended (for the command line's output).
pub fn activated_key(executed: &Executed<IssuerKeys>) -> Option<IssuerKeyId> {
    executed.events.iter().find_map(|event| match event {
        DomainEvent::IssuerKeyActivated(activated) => Some(activated.key_id),
        _ => None,
    })
}

/// The network's keys as the verifier asks for them, from the log: each by its verification
/// method id (given by `method_id`), with its activation and, when revoked, the instant from
/// which it is compromised. Retired keys are there too: what they signed still verifies.
pub struct LedgerKeys {
    keys: std::collections::HashMap<String, ecusson_badges::verify::ResolvedKey>,
}

impl LedgerKeys {
    pub fn new(
        state: &IssuerKeys,
        issuer_id: &str,
        method_id: impl Fn(&IssuerKey) -> String,
    ) -> Self {
        use ecusson_badges::verify::ResolvedKey;
        let keys = state
            .keys()
            .iter()
            .filter_map(|key| {
                // A key the log holds but that does not decode would be a corrupt log; it
                // resolves to nothing and the proof check says the key is unknown.
                let mut resolved = ResolvedKey::new(public_key(key)?);
                resolved.controller = Some(issuer_id.to_owned());
                resolved.valid_from = Some(key.activated_at);
                resolved.revoked_at = key
                    .revocation
                    .as_ref()
                    .map(|revocation| revocation.compromised_since);
                Some((method_id(key), resolved))
            })
            .collect();
        Self { keys }
    }
}

/// A published key as the verifier takes it.
fn public_key(key: &IssuerKey) -> Option<ecusson_badges::verify::PublicKey> {
    use ecusson_badges::verify::PublicKey;
    match key.algorithm {
        KeyAlgorithm::Ed25519 => ecusson_badges::multikey::decode(&key.public_key_multibase)
            .ok()
            .map(PublicKey::Ed25519),
        KeyAlgorithm::P256 => ecusson_badges::multikey::decode_p256(&key.public_key_multibase)
            .ok()
            .map(PublicKey::P256),
    }
}

impl ecusson_badges::verify::KeyResolver for LedgerKeys {
    fn resolve(&self, verification_method: &str) -> Option<ecusson_badges::verify::ResolvedKey> {
        self.keys.get(verification_method).cloned()
    }
}

/// The `did:web` of a network published at `host` (a port percent-encoded, as the method
/// says): `did:web:badges.example:networks:<id>`, whose document is served at
/// `https://badges.example/networks/<id>/did.json`.
pub fn network_did(host: &str, network: TenantId) -> String {
    format!("did:web:{}:networks:{network}", host.replace(':', "%3A"))
}

/// The id of a key in the network's DID document.
pub fn key_method_id(did: &str, key_id: IssuerKeyId) -> String {
    format!("{did}#{key_id}")
}

/// The network's DID document: every key ever used, as a Multikey verification method and an
/// assertion method (what a retired key signed still verifies); a revoked key carries
/// `revoked` (the instant it is compromised from, as the Controlled Identifiers spec names it).
pub fn did_document(state: &IssuerKeys, did: &str) -> serde_json::Value {
    let methods: Vec<serde_json::Value> = state
        .keys()
        .iter()
        .map(|key| {
            let mut method = serde_json::json!({
                "id": key_method_id(did, key.key_id),
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": key.public_key_multibase,
            });
            if let Some(revocation) = &key.revocation {
                method["revoked"] = serde_json::json!(revocation
                    .compromised_since
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
            }
            method
        })
        .collect();
    let assertion: Vec<serde_json::Value> =
        methods.iter().map(|method| method["id"].clone()).collect();
    serde_json::json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": assertion,
    })
}

/// The same keys as a JWK Set (RFC 8037 `OKP`/`Ed25519` and `EC`/`P-256`), for verifiers
/// that read JWKS. Revoked keys are left out: a JWK Set has no way to say from when a key is
/// compromised.
pub fn jwks(state: &IssuerKeys, did: &str) -> serde_json::Value {
    let keys: Vec<serde_json::Value> = state
        .keys()
        .iter()
        .filter(|key| key.revocation.is_none())
        .filter_map(|key| jwk(key, &key_method_id(did, key.key_id)))
        .collect();
    serde_json::json!({ "keys": keys })
}

/// One public key as a JWK with its `kid` (never a private part).
pub fn jwk(key: &IssuerKey, kid: &str) -> Option<serde_json::Value> {
    use base64::Engine as _;
    let mut jwk = match key.algorithm {
        KeyAlgorithm::Ed25519 => {
            let public = ecusson_badges::multikey::decode(&key.public_key_multibase).ok()?;
            serde_json::json!({
                "kty": "OKP",
                "crv": "Ed25519",
                "x": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(public.as_bytes()),
                "use": "sig",
                "alg": "EdDSA",
            })
        }
        KeyAlgorithm::P256 => ecusson_badges::jwt::public_jwk(
            &ecusson_badges::multikey::decode_p256(&key.public_key_multibase).ok()?,
        ),
    };
    jwk["kid"] = kid.into();
    Some(jwk)
}
