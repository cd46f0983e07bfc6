//! The network's issuer keys on both backends: generated with the private half encrypted at
//! rest, rotated with the old key still verifying what it signed, revoked so that what it
//! signed after its compromise fails.

use crate::helpers::TestStore;
use chrono::{DateTime, Duration, Utc};
use ecusson_app::keys::{self, LedgerKeys};
use ecusson_app::{AppError, Ledger};
use ecusson_badges::credential::{Achievement, AchievementCredential, Profile};
use ecusson_badges::data_integrity::ProofOptions;
use ecusson_badges::verify::{verify_credential, CheckCode, NoResolver, Outcome, VerifyEnv};
use ecusson_domain::issuer_keys::IssuerKey;
use ecusson_domain::{IssuerKeyId, KeyAlgorithm, KeyRevocationReason, TenantId};
use ecusson_store::{SqlValue, Vault, VaultKey};
use serde_json::Value;
use std::sync::{Arc, Mutex};

const ISSUER: &str = "https://ecusson.example/networks/na";

fn method(key_id: IssuerKeyId) -> String {
    format!("{ISSUER}#{key_id}")
}

fn key_method(key: &IssuerKey) -> String {
    method(key.key_id)
}

fn signed(key_id: IssuerKeyId, key: &ed25519_dalek::SigningKey, created: DateTime<Utc>) -> Value {
    let credential = AchievementCredential {
        id: format!(
            "https://ecusson.example/credentials/{}",
            uuid::Uuid::new_v4()
        ),
        name: "Respecter les horaires".to_owned(),
        issuer: Profile {
            id: ISSUER.to_owned(),
            name: "Réseau Nouvelle-Aquitaine".to_owned(),
            url: None,
        },
        achievement: Achievement {
            id: "https://ecusson.example/badge-classes/7c1d".to_owned(),
            name: "Respecter les horaires".to_owned(),
            description: "Savoir se présenter à l'heure.".to_owned(),
            criteria_narrative: "A tenu ses horaires trois mois.".to_owned(),
            image: None,
            tags: vec![],
            version: None,
            creator: None,
            alignments: vec![],
        },
        subject_id: Some("urn:uuid:0193a1b2-0000-7000-8000-000000000001".to_owned()),
        recipient: vec![],
        source: None,
        valid_from: created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        valid_until: None,
        evidence: vec![],
        revocation_list: None,
    }
    .to_json();
    ecusson_badges::sign(
        &credential,
        key,
        &ProofOptions {
            verification_method: method(key_id),
            created: created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            proof_purpose: "assertionMethod".to_owned(),
        },
    )
    .unwrap()
}

fn outcome(credential: &Value, keys: &LedgerKeys, now: DateTime<Utc>, code: CheckCode) -> Outcome {
    let env = VerifyEnv {
        now,
        keys,
        status: &NoResolver,
    };
    verify_credential(credential, &env)
        .check(code)
        .unwrap_or_else(|| panic!("no {code:?} check"))
        .outcome
}

/// Activates a new key (the first, or a rotation) and returns it as the ledger now signs with.
async fn activate(
    ledger: &Ledger,
    vault: &Vault,
    network: TenantId,
    rotate: bool,
) -> (IssuerKeyId, ed25519_dalek::SigningKey) {
    let executed = keys::activate_new_key(ledger, vault, network, KeyAlgorithm::Ed25519, rotate)
        .await
        .unwrap();
    let activated = keys::activated_key(&executed).unwrap();
    let (active, key) = keys::active_signing_key(ledger, vault, network)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(active, activated, "the new key is the one that signs");
    (activated, key)
}

async fn keys_rotate_and_revoke_with_their_history(store: TestStore) {
    let start = DateTime::parse_from_rfc3339("2026-01-05T09:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let clock = Arc::new(Mutex::new(start));
    let ledger = {
        let clock = clock.clone();
        Ledger::with_clock(
            store.store.clone(),
            Arc::new(move || *clock.lock().unwrap()),
        )
    };
    let set_clock = |instant| *clock.lock().unwrap() = instant;
    let vault_key = VaultKey::generate();
    let vault = Vault::new(store.store.clone(), vault_key);
    let network = TenantId::new();

    // Nothing to sign with yet; rotating nothing is refused.
    assert!(keys::active_signing_key(&ledger, &vault, network)
        .await
        .unwrap()
        .is_none());
    assert!(matches!(
        keys::activate_new_key(&ledger, &vault, network, KeyAlgorithm::Ed25519, true).await,
        Err(AppError::Domain(_))
    ));

    // The first key: its private half is stored, encrypted, and signs.
    let (first, first_key) = activate(&ledger, &vault, network, false).await;
    let secret_bytes = first_key.to_bytes();
    let rows = store
        .store
        .read_once(
            "select wrapped_key from issuer_key_secret where tenant_id = $1",
            &[SqlValue::text(network)],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let SqlValue::Bytes(wrapped) = &rows[0][0] else {
        panic!("a wrapped key")
    };
    assert!(!wrapped.windows(32).any(|window| window == secret_bytes));
    // Another installation's key cannot unwrap it.
    let stranger = Vault::new(store.store.clone(), VaultKey::generate());
    assert!(keys::active_signing_key(&ledger, &stranger, network)
        .await
        .is_err());
    // Nor can the same installation read it under another network's name.
    assert!(vault
        .issuer_secret(TenantId::new(), first)
        .await
        .unwrap()
        .is_none());

    let before_rotation = signed(first, &first_key, start + Duration::minutes(5));

    // Rotation: a new key signs; the old one stays published and what it signed verifies.
    set_clock(start + Duration::days(30));
    let (second, second_key) = activate(&ledger, &vault, network, true).await;
    assert_ne!(second_key.to_bytes(), first_key.to_bytes());
    let state = keys::issuer_keys(&ledger, network).await.unwrap();
    assert_eq!(state.keys().len(), 2);
    let now = start + Duration::days(60);
    let published = LedgerKeys::new(&state, ISSUER, key_method);
    assert_eq!(
        outcome(&before_rotation, &published, now, CheckCode::Proof),
        Outcome::Passed
    );
    assert_eq!(
        outcome(
            &before_rotation,
            &published,
            now,
            CheckCode::KeyValidAtSigning
        ),
        Outcome::Passed
    );

    // The second key is compromised from day 40: what it signed on day 45 fails, what it
    // signed on day 35 does not fail (without an issuance record, a warning at most).
    let honest = signed(second, &second_key, start + Duration::days(35));
    let forged = signed(second, &second_key, start + Duration::days(45));
    set_clock(start + Duration::days(50));
    keys::revoke_key(
        &ledger,
        network,
        second,
        start + Duration::days(40),
        KeyRevocationReason::KeyCompromise,
    )
    .await
    .unwrap();
    let state = keys::issuer_keys(&ledger, network).await.unwrap();
    assert!(
        state.active(KeyAlgorithm::Ed25519).is_none(),
        "a revoked key signs no more"
    );
    assert!(keys::active_signing_key(&ledger, &vault, network)
        .await
        .unwrap()
        .is_none());
    let published = LedgerKeys::new(&state, ISSUER, key_method);
    assert_eq!(
        outcome(&forged, &published, now, CheckCode::KeyValidAtSigning),
        Outcome::Failed
    );
    assert_ne!(
        outcome(&honest, &published, now, CheckCode::KeyValidAtSigning),
        Outcome::Failed
    );
    assert_eq!(
        outcome(
            &before_rotation,
            &published,
            now,
            CheckCode::KeyValidAtSigning
        ),
        Outcome::Passed
    );
}

crate::on_both_backends!(
    keys_rotate_and_revoke_with_their_history,
    keys_are_published_as_did_web_and_jwks,
);

/// The running server publishes each network's keys without login: a DID document a verifier
/// resolves a credential's key from (the old key too, after a rotation), and a JWK Set
/// without the revoked key; an unknown or malformed network is 404.
async fn keys_are_published_as_did_web_and_jwks(store: TestStore) {
    use crate::api_workflow::RunningApi;
    use ecusson_badges::verify::key_from_controller_document;
    let vault_key = VaultKey::generate();
    let api = RunningApi::start(
        &store.url,
        &vault_key,
        &ecusson_api::auth::DevSecret::generate(),
    )
    .await;
    let vault = Vault::new(store.store.clone(), vault_key);
    let network = TenantId::new();
    let http = reqwest::Client::new();
    let get = |path: String| {
        let http = http.clone();
        let url = format!("{}{path}", api.base);
        async move { http.get(url).send().await.unwrap() }
    };
    let document_path = format!("/networks/{network}/did.json");
    assert_eq!(get(document_path.clone()).await.status(), 404, "no key yet");
    assert_eq!(
        get("/networks/not-an-id/did.json".into()).await.status(),
        404
    );

    let (first, first_key) = activate(&api.ledger, &vault, network, false).await;
    let (second, _) = activate(&api.ledger, &vault, network, true).await;
    keys::revoke_key(
        &api.ledger,
        network,
        second,
        Utc::now(),
        KeyRevocationReason::Superseded,
    )
    .await
    .unwrap();

    let response = get(document_path).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/did+json");
    let document: Value = response.json().await.unwrap();
    let host = api.base.trim_start_matches("http://").replace(':', "%3A");
    let did = format!("did:web:{host}:networks:{network}");
    assert_eq!(document["id"], did.as_str());
    assert_eq!(document["verificationMethod"].as_array().unwrap().len(), 2);
    assert!(document["verificationMethod"][1]["revoked"].is_string());
    assert!(document["verificationMethod"][0].get("revoked").is_none());

    // A credential the first key signed resolves its key from the published document.
    let first_method = keys::key_method_id(&did, first);
    let resolved = key_from_controller_document(&document, &first_method).unwrap();
    assert_eq!(
        resolved.key,
        ecusson_badges::verify::PublicKey::Ed25519(first_key.verifying_key())
    );
    assert_eq!(resolved.controller.as_deref(), Some(did.as_str()));

    let jwks: Value = get(format!("/networks/{network}/jwks.json"))
        .await
        .json()
        .await
        .unwrap();
    let listed: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["kid"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        [first_method.as_str()],
        "the revoked key is left out"
    );
    api.stop().await;
}
