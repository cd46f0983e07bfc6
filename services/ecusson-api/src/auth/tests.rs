//! Tests of the authenticator. Every key is generated here, at test time: Ed25519 and RSA key
//! pairs, HMAC secrets. No key material is committed.

use super::*;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use ed25519_dalek::SigningKey;
use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde_json::json;
use std::io::{Read, Write};
use std::sync::OnceLock;

const ED_KID: &str = "ed-2026";
const RSA_KID: &str = "rsa-2026";

/// One RSA 2048 key pair for the whole test binary: generating one takes a while.
fn rsa_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap())
}

/// A directory of its own under the system's temporary directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!("ecusson-auth-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn now() -> i64 {
    Utc::now().timestamp()
}

/// Keys, identities and the JWKS of one test.
struct Fixture {
    ed: SigningKey,
    rsa: &'static RsaPrivateKey,
    dev: DevSecret,
    tenant: TenantId,
    subject: PersonId,
    scratch: Scratch,
}

impl Fixture {
    fn new() -> Self {
        Self {
            ed: SigningKey::generate(&mut rand::rngs::OsRng),
            rsa: rsa_key(),
            dev: DevSecret::generate(),
            tenant: TenantId::new(),
            subject: PersonId::new(),
            scratch: Scratch::new(),
        }
    }

    fn ed_jwk(&self) -> Value {
        json!({
            "kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA", "kid": ED_KID,
            "x": URL_SAFE_NO_PAD.encode(self.ed.verifying_key().as_bytes()),
        })
    }

    fn rsa_jwk(&self) -> Value {
        json!({
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": RSA_KID,
            "n": URL_SAFE_NO_PAD.encode(self.rsa.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(self.rsa.e().to_bytes_be()),
        })
    }

    fn jwks(&self) -> Value {
        json!({ "keys": [self.ed_jwk(), self.rsa_jwk()] })
    }

    fn write_jwks(&self, jwks: &Value) -> JwksSource {
        let path = self.scratch.file("jwks.json");
        std::fs::write(&path, serde_json::to_vec(jwks).unwrap()).unwrap();
        JwksSource::File(path)
    }

    fn settings(&self, jwks: Option<JwksSource>, dev_secret: bool) -> AuthSettings {
        AuthSettings {
            issuer: AuthSettings::DEFAULT_ISSUER.to_owned(),
            audience: AuthSettings::DEFAULT_AUDIENCE.to_owned(),
            dev_secret: dev_secret.then(|| self.dev.clone()),
            jwks,
        }
    }

    /// The JWKS (from a file) only, as in production.
    async fn production(&self) -> Authenticator {
        let source = self.write_jwks(&self.jwks());
        Authenticator::new(self.settings(Some(source), false))
            .await
            .unwrap()
    }

    /// The development secret only.
    async fn development(&self) -> Authenticator {
        Authenticator::new(self.settings(None, true)).await.unwrap()
    }

    fn claims(&self) -> Value {
        json!({
            "sub": self.subject.to_string(),
            "tenant": self.tenant.to_string(),
            "roles": ["counsellor", "committee_member"],
            "iss": "ecusson",
            "aud": "ecusson-api",
            "iat": now(),
            "exp": now() + 600,
        })
    }

    fn claims_with(&self, name: &str, value: Value) -> Value {
        let mut claims = self.claims();
        claims[name] = value;
        claims
    }

    fn claims_without(&self, name: &str) -> Value {
        let mut claims = self.claims();
        claims.as_object_mut().unwrap().remove(name);
        claims
    }

    fn ed_token(&self, claims: &Value) -> String {
        let der = self.ed.to_pkcs8_der().unwrap();
        sign(
            Algorithm::EdDSA,
            Some(ED_KID),
            claims,
            &EncodingKey::from_ed_der(der.as_bytes()),
        )
    }

    fn rsa_token(&self, kid: Option<&str>, claims: &Value) -> String {
        let der = self.rsa.to_pkcs1_der().unwrap();
        sign(
            Algorithm::RS256,
            kid,
            claims,
            &EncodingKey::from_rsa_der(der.as_bytes()),
        )
    }

    fn dev_token(&self, claims: &Value) -> String {
        sign(
            Algorithm::HS256,
            None,
            claims,
            &EncodingKey::from_secret(self.dev.as_bytes()),
        )
    }

    fn expected_principal(&self, expires_at: i64) -> Principal {
        Principal {
            subject: self.subject,
            tenant: self.tenant,
            roles: vec![Role::Counsellor, Role::CommitteeMember],
            expires_at: DateTime::from_timestamp(expires_at, 0).unwrap(),
        }
    }
}

fn sign(algorithm: Algorithm, kid: Option<&str>, claims: &Value, key: &EncodingKey) -> String {
    let mut header = Header::new(algorithm);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

/// A token with any header, signed or not, assembled by hand.
fn handmade_token(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).unwrap()),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap()),
        URL_SAFE_NO_PAD.encode(signature),
    )
}

fn hmac_sha256_token(kid: Option<&str>, claims: &Value, secret: &[u8]) -> String {
    sign(
        Algorithm::HS256,
        kid,
        claims,
        &EncodingKey::from_secret(secret),
    )
}

// --- accepted tokens -------------------------------------------------------------------------

#[tokio::test]
async fn a_minted_development_token_is_accepted() {
    let fixture = Fixture::new();
    let token = mint_dev_token(
        &fixture.dev,
        "ecusson",
        "ecusson-api",
        fixture.tenant,
        &[Role::Counsellor, Role::CommitteeMember],
        fixture.subject,
        chrono::Duration::minutes(10),
    )
    .unwrap();
    let before = now();
    let principal = fixture.development().await.authenticate(&token).unwrap();
    assert_eq!(principal.subject, fixture.subject);
    assert_eq!(principal.tenant, fixture.tenant);
    assert_eq!(principal.roles, [Role::Counsellor, Role::CommitteeMember]);
    let lifetime = principal.expires_at.timestamp() - before;
    assert!((598..=600).contains(&lifetime), "lifetime {lifetime}");
    assert!(principal.has_role(Role::Counsellor));
    assert!(!principal.has_role(Role::NetworkAdmin));
}

#[tokio::test]
async fn an_ed25519_token_from_a_jwks_file_is_accepted() {
    let fixture = Fixture::new();
    let claims = fixture.claims();
    let principal = fixture
        .production()
        .await
        .authenticate(&fixture.ed_token(&claims))
        .unwrap();
    assert_eq!(
        principal,
        fixture.expected_principal(claims["exp"].as_i64().unwrap())
    );
}

#[tokio::test]
async fn an_rsa_token_from_a_jwks_file_is_accepted() {
    let fixture = Fixture::new();
    let claims = fixture.claims();
    let principal = fixture
        .production()
        .await
        .authenticate(&fixture.rsa_token(Some(RSA_KID), &claims))
        .unwrap();
    assert_eq!(
        principal,
        fixture.expected_principal(claims["exp"].as_i64().unwrap())
    );
}

#[tokio::test]
async fn an_hs256_token_of_the_development_secret_is_accepted() {
    let fixture = Fixture::new();
    let claims = fixture.claims_with("roles", json!(["earner", "earner"]));
    let principal = fixture
        .development()
        .await
        .authenticate(&fixture.dev_token(&claims))
        .unwrap();
    assert_eq!(principal.roles, [Role::Earner], "duplicates are dropped");
    assert_eq!(principal.tenant, fixture.tenant);
}

#[tokio::test]
async fn an_audience_list_that_names_the_api_is_accepted() {
    let fixture = Fixture::new();
    let claims = fixture.claims_with("aud", json!(["another-api", "ecusson-api"]));
    let authenticator = fixture.production().await;
    assert!(authenticator
        .authenticate(&fixture.ed_token(&claims))
        .is_ok());
}

#[tokio::test]
async fn an_expiry_within_the_leeway_is_accepted() {
    let fixture = Fixture::new();
    let claims = fixture.claims_with("exp", json!(now() - 10));
    let authenticator = fixture.development().await;
    assert!(authenticator
        .authenticate(&fixture.dev_token(&claims))
        .is_ok());
}

#[tokio::test]
async fn the_development_secret_beside_a_jwks_serves_tokens_without_kid() {
    let fixture = Fixture::new();
    let source = fixture.write_jwks(&fixture.jwks());
    let authenticator = Authenticator::new(fixture.settings(Some(source), true))
        .await
        .unwrap();
    let claims = fixture.claims();
    assert!(authenticator
        .authenticate(&fixture.dev_token(&claims))
        .is_ok());
    assert!(authenticator
        .authenticate(&fixture.ed_token(&claims))
        .is_ok());
}

#[tokio::test]
async fn without_a_jwks_a_kid_labels_the_development_key() {
    let fixture = Fixture::new();
    let token = hmac_sha256_token(Some("dev"), &fixture.claims(), fixture.dev.as_bytes());
    assert!(fixture.development().await.authenticate(&token).is_ok());
}

// --- the JWKS --------------------------------------------------------------------------------

/// Serves `body` with `status` to the first connection on 127.0.0.1, then stops; returns the
/// URL and the thread, which yields the request line it received.
fn serve_once(status: &'static str, body: Vec<u8>) -> (String, std::thread::JoinHandle<String>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/.well-known/jwks.json",
        listener.local_addr().unwrap()
    );
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let mut request = Vec::new();
        let mut buffer = [0_u8; 1024];
        while !request.windows(4).any(|window| window == b"\r\n\r\n") {
            let read = stream.read(&mut buffer).unwrap();
            assert!(read > 0, "the client closed before the end of its request");
            request.extend_from_slice(&buffer[..read]);
        }
        let head = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(&body).unwrap();
        stream.flush().unwrap();
        let request = String::from_utf8_lossy(&request).into_owned();
        request.lines().next().unwrap_or_default().to_owned()
    });
    (url, server)
}

#[tokio::test]
async fn a_jwks_is_fetched_from_a_url() {
    let fixture = Fixture::new();
    let (url, server) = serve_once("200 OK", serde_json::to_vec(&fixture.jwks()).unwrap());
    let authenticator = Authenticator::new(fixture.settings(Some(JwksSource::Url(url)), false))
        .await
        .unwrap();
    assert_eq!(
        server.join().unwrap(),
        "GET /.well-known/jwks.json HTTP/1.1"
    );
    assert_eq!(authenticator.key_ids(), [ED_KID, RSA_KID]);
    assert!(!authenticator.accepts_dev_tokens());
    let claims = fixture.claims();
    assert!(authenticator
        .authenticate(&fixture.ed_token(&claims))
        .is_ok());
    assert!(authenticator
        .authenticate(&fixture.rsa_token(Some(RSA_KID), &claims))
        .is_ok());
}

#[tokio::test]
async fn a_jwks_url_that_answers_an_error_fails_the_setup() {
    let fixture = Fixture::new();
    let (url, server) = serve_once("404 Not Found", b"{}".to_vec());
    let error = Authenticator::new(fixture.settings(Some(JwksSource::Url(url)), false))
        .await
        .unwrap_err();
    server.join().unwrap();
    assert!(
        matches!(&error, AuthSetupError::JwksFetch { source, .. } if source.status() == Some(reqwest::StatusCode::NOT_FOUND)),
        "{error:?}"
    );
}

#[tokio::test]
async fn unusable_keys_of_a_jwks_are_skipped() {
    let fixture = Fixture::new();
    let mut without_kid = fixture.rsa_jwk();
    without_kid.as_object_mut().unwrap().remove("kid");
    let mut rs512 = fixture.rsa_jwk();
    rs512["kid"] = json!("rs512");
    rs512["alg"] = json!("RS512");
    let mut ed_claiming_rs256 = fixture.ed_jwk();
    ed_claiming_rs256["kid"] = json!("ed-rs256");
    ed_claiming_rs256["alg"] = json!("RS256");
    let mut encryption = fixture.rsa_jwk();
    encryption["kid"] = json!("enc");
    encryption["use"] = json!("enc");
    let small_rsa = RsaPrivateKey::new(&mut rand::rngs::OsRng, 1024).unwrap();
    let jwks = json!({ "keys": [
        { "kty": "oct", "kid": "hmac", "k": URL_SAFE_NO_PAD.encode([7_u8; 32]) },
        { "kty": "EC", "kid": "p256", "crv": "P-256", "x": "AA", "y": "AA" },
        { "kty": "OKP", "kid": "x25519", "crv": "X25519", "x": URL_SAFE_NO_PAD.encode([1_u8; 32]) },
        { "kty": "RSA", "kid": "rsa-1024", "alg": "RS256",
          "n": URL_SAFE_NO_PAD.encode(small_rsa.n().to_bytes_be()),
          "e": URL_SAFE_NO_PAD.encode(small_rsa.e().to_bytes_be()) },
        without_kid, rs512, ed_claiming_rs256, encryption, "not an object",
        fixture.ed_jwk(),
    ]});
    let source = fixture.write_jwks(&jwks);
    let authenticator = Authenticator::new(fixture.settings(Some(source), false))
        .await
        .unwrap();
    assert_eq!(authenticator.key_ids(), [ED_KID]);
}

#[tokio::test]
async fn a_jwks_without_a_usable_key_fails_the_setup() {
    let fixture = Fixture::new();
    let source = fixture.write_jwks(&json!({ "keys": [
        { "kty": "oct", "kid": "hmac", "k": URL_SAFE_NO_PAD.encode([7_u8; 32]) },
    ]}));
    let error = Authenticator::new(fixture.settings(Some(source), true))
        .await
        .unwrap_err();
    assert!(
        matches!(error, AuthSetupError::JwksWithoutUsableKey { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_jwks_file_that_is_not_a_key_set_fails_the_setup() {
    let fixture = Fixture::new();
    let source = fixture.write_jwks(&json!({ "not": "keys" }));
    let error = Authenticator::new(fixture.settings(Some(source), false))
        .await
        .unwrap_err();
    assert!(
        matches!(error, AuthSetupError::JwksFormat { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_missing_jwks_file_fails_the_setup() {
    let fixture = Fixture::new();
    let source = JwksSource::File(fixture.scratch.file("absent.json"));
    let error = Authenticator::new(fixture.settings(Some(source), false))
        .await
        .unwrap_err();
    assert!(
        matches!(error, AuthSetupError::JwksFile { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn no_key_at_all_fails_the_setup() {
    let fixture = Fixture::new();
    let error = Authenticator::new(fixture.settings(None, false))
        .await
        .unwrap_err();
    assert!(matches!(error, AuthSetupError::NoKeys), "{error:?}");
}

// --- rejected tokens -------------------------------------------------------------------------

#[tokio::test]
async fn alg_none_is_rejected() {
    let fixture = Fixture::new();
    let token = handmade_token(
        &json!({ "alg": "none", "typ": "JWT" }),
        &fixture.claims(),
        b"",
    );
    assert_eq!(
        fixture.development().await.authenticate(&token),
        Err(AuthError::AlgorithmNotAllowed("none".to_owned()))
    );
    let token = handmade_token(
        &json!({ "alg": "none", "kid": ED_KID }),
        &fixture.claims(),
        b"",
    );
    assert_eq!(
        fixture.production().await.authenticate(&token),
        Err(AuthError::AlgorithmNotAllowed("none".to_owned()))
    );
}

#[tokio::test]
async fn algorithms_outside_the_three_pinned_ones_are_rejected() {
    let fixture = Fixture::new();
    let token = sign(
        Algorithm::HS512,
        None,
        &fixture.claims(),
        &EncodingKey::from_secret(fixture.dev.as_bytes()),
    );
    assert_eq!(
        fixture.development().await.authenticate(&token),
        Err(AuthError::AlgorithmNotAllowed("HS512".to_owned()))
    );
}

#[tokio::test]
async fn an_hs256_token_keyed_with_the_rsa_public_key_is_rejected() {
    // The classic confusion: the verifier's public key, public by nature, used as an HMAC secret.
    let fixture = Fixture::new();
    let public_pem = fixture
        .rsa
        .to_public_key()
        .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
        .unwrap();
    let public_der = fixture.rsa.to_public_key().to_pkcs1_der().unwrap();
    let authenticator = fixture.production().await;
    for secret in [public_pem.as_bytes(), public_der.as_bytes()] {
        let token = hmac_sha256_token(Some(RSA_KID), &fixture.claims(), secret);
        assert_eq!(
            authenticator.authenticate(&token),
            Err(AuthError::AlgorithmMismatch {
                expected: "RS256",
                found: "HS256".to_owned()
            })
        );
    }
}

#[tokio::test]
async fn an_rs256_token_presented_for_the_eddsa_key_is_rejected() {
    let fixture = Fixture::new();
    let token = fixture.rsa_token(Some(ED_KID), &fixture.claims());
    assert_eq!(
        fixture.production().await.authenticate(&token),
        Err(AuthError::AlgorithmMismatch {
            expected: "EdDSA",
            found: "RS256".to_owned()
        })
    );
}

#[tokio::test]
async fn an_rs256_token_without_kid_is_not_checked_against_the_development_secret() {
    let fixture = Fixture::new();
    let source = fixture.write_jwks(&fixture.jwks());
    let authenticator = Authenticator::new(fixture.settings(Some(source), true))
        .await
        .unwrap();
    let token = fixture.rsa_token(None, &fixture.claims());
    assert_eq!(
        authenticator.authenticate(&token),
        Err(AuthError::AlgorithmMismatch {
            expected: "HS256",
            found: "RS256".to_owned()
        })
    );
}

#[tokio::test]
async fn an_unknown_kid_is_rejected() {
    let fixture = Fixture::new();
    let token = {
        let der = fixture.ed.to_pkcs8_der().unwrap();
        sign(
            Algorithm::EdDSA,
            Some("someone-else"),
            &fixture.claims(),
            &EncodingKey::from_ed_der(der.as_bytes()),
        )
    };
    assert_eq!(
        fixture.production().await.authenticate(&token),
        Err(AuthError::UnknownKeyId("someone-else".to_owned()))
    );
}

#[tokio::test]
async fn a_missing_kid_is_rejected_when_only_a_jwks_is_configured() {
    let fixture = Fixture::new();
    let token = fixture.rsa_token(None, &fixture.claims());
    assert_eq!(
        fixture.production().await.authenticate(&token),
        Err(AuthError::MissingKeyId)
    );
}

#[tokio::test]
async fn a_development_token_is_rejected_when_only_a_jwks_is_configured() {
    let fixture = Fixture::new();
    let token = fixture.dev_token(&fixture.claims());
    assert_eq!(
        fixture.production().await.authenticate(&token),
        Err(AuthError::MissingKeyId)
    );
}

#[tokio::test]
async fn an_expired_token_is_rejected() {
    let fixture = Fixture::new();
    let claims = fixture.claims_with("exp", json!(now() - 45));
    assert_eq!(
        fixture
            .production()
            .await
            .authenticate(&fixture.ed_token(&claims)),
        Err(AuthError::Expired)
    );
}

#[tokio::test]
async fn a_token_not_valid_yet_is_rejected() {
    let fixture = Fixture::new();
    let claims = fixture.claims_with("nbf", json!(now() + 120));
    assert_eq!(
        fixture
            .production()
            .await
            .authenticate(&fixture.ed_token(&claims)),
        Err(AuthError::NotYetValid)
    );
}

#[tokio::test]
async fn a_wrong_audience_is_rejected() {
    let fixture = Fixture::new();
    let claims = fixture.claims_with("aud", json!("another-api"));
    assert_eq!(
        fixture
            .production()
            .await
            .authenticate(&fixture.ed_token(&claims)),
        Err(AuthError::WrongAudience)
    );
}

#[tokio::test]
async fn a_wrong_issuer_is_rejected() {
    let fixture = Fixture::new();
    let claims = fixture.claims_with("iss", json!("https://elsewhere.example"));
    assert_eq!(
        fixture
            .production()
            .await
            .authenticate(&fixture.rsa_token(Some(RSA_KID), &claims)),
        Err(AuthError::WrongIssuer)
    );
}

#[tokio::test]
async fn missing_claims_are_rejected() {
    let fixture = Fixture::new();
    let authenticator = fixture.production().await;
    for claim in ["exp", "aud", "iss", "sub", "tenant", "roles"] {
        let token = fixture.ed_token(&fixture.claims_without(claim));
        assert_eq!(
            authenticator.authenticate(&token),
            Err(AuthError::MissingClaim(claim)),
            "without {claim}"
        );
    }
}

#[tokio::test]
async fn a_bad_signature_is_rejected() {
    let fixture = Fixture::new();
    let authenticator = fixture.production().await;
    // Signed by another Ed25519 key under our kid.
    let impostor = SigningKey::generate(&mut rand::rngs::OsRng);
    let der = impostor.to_pkcs8_der().unwrap();
    let token = sign(
        Algorithm::EdDSA,
        Some(ED_KID),
        &fixture.claims(),
        &EncodingKey::from_ed_der(der.as_bytes()),
    );
    assert_eq!(
        authenticator.authenticate(&token),
        Err(AuthError::BadSignature)
    );
    // A genuine token whose claims were changed after signing.
    let genuine = fixture.rsa_token(Some(RSA_KID), &fixture.claims());
    let mut parts: Vec<&str> = genuine.split('.').collect();
    let forged = URL_SAFE_NO_PAD.encode(
        serde_json::to_vec(&fixture.claims_with("roles", json!(["network_admin"]))).unwrap(),
    );
    parts[1] = &forged;
    assert_eq!(
        authenticator.authenticate(&parts.join(".")),
        Err(AuthError::BadSignature)
    );
    // A development token signed with another secret.
    let token = hmac_sha256_token(None, &fixture.claims(), DevSecret::generate().as_bytes());
    assert_eq!(
        fixture.development().await.authenticate(&token),
        Err(AuthError::BadSignature)
    );
}

#[tokio::test]
async fn malformed_tokens_are_rejected() {
    let fixture = Fixture::new();
    let authenticator = fixture.development().await;
    let genuine = fixture.dev_token(&fixture.claims());
    let payload = genuine.split('.').nth(1).unwrap();
    let cases = [
        String::new(),
        "not-a-jwt".to_owned(),
        "a.b".to_owned(),
        format!("{genuine}.extra"),
        format!("!!!.{payload}.AAAA"),
        format!("{}.{payload}.AAAA", URL_SAFE_NO_PAD.encode("not json")),
        format!(
            "{}.{payload}.AAAA",
            URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT"}"#)
        ),
        format!(".{payload}.AAAA"),
    ];
    for token in &cases {
        assert_eq!(
            authenticator.authenticate(token),
            Err(AuthError::Malformed),
            "{token:?}"
        );
    }
    // A well-signed token whose payload is not a JSON object.
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256"}"#);
    let body = URL_SAFE_NO_PAD.encode("[1,2,3]");
    let signature = jsonwebtoken::crypto::sign(
        format!("{header}.{body}").as_bytes(),
        &EncodingKey::from_secret(fixture.dev.as_bytes()),
        Algorithm::HS256,
    )
    .unwrap();
    assert_eq!(
        authenticator.authenticate(&format!("{header}.{body}.{signature}")),
        Err(AuthError::Malformed)
    );
}

#[tokio::test]
async fn a_critical_header_extension_is_rejected() {
    let fixture = Fixture::new();
    let token = handmade_token(
        &json!({ "alg": "HS256", "crit": ["exp"], "exp": 1 }),
        &fixture.claims(),
        b"whatever",
    );
    assert_eq!(
        fixture.development().await.authenticate(&token),
        Err(AuthError::CriticalHeader)
    );
}

#[tokio::test]
async fn a_subject_that_is_not_a_uuid_is_rejected() {
    let fixture = Fixture::new();
    let authenticator = fixture.production().await;
    for subject in [json!("alice"), json!(42), json!(Uuid::nil().to_string())] {
        let token = fixture.ed_token(&fixture.claims_with("sub", subject.clone()));
        assert_eq!(
            authenticator.authenticate(&token),
            Err(AuthError::InvalidClaim("sub")),
            "{subject}"
        );
    }
}

#[tokio::test]
async fn a_tenant_that_is_not_a_uuid_is_rejected() {
    let fixture = Fixture::new();
    let authenticator = fixture.production().await;
    for tenant in [
        json!("structure-1"),
        json!(["x"]),
        json!(Uuid::nil().to_string()),
    ] {
        let token = fixture.ed_token(&fixture.claims_with("tenant", tenant.clone()));
        assert_eq!(
            authenticator.authenticate(&token),
            Err(AuthError::InvalidClaim("tenant")),
            "{tenant}"
        );
    }
}

#[tokio::test]
async fn empty_roles_are_rejected() {
    let fixture = Fixture::new();
    let token = fixture.ed_token(&fixture.claims_with("roles", json!([])));
    assert_eq!(
        fixture.production().await.authenticate(&token),
        Err(AuthError::NoRoles)
    );
}

#[tokio::test]
async fn unknown_roles_are_rejected() {
    let fixture = Fixture::new();
    let authenticator = fixture.production().await;
    let token = fixture.ed_token(&fixture.claims_with("roles", json!(["counsellor", "superuser"])));
    assert_eq!(
        authenticator.authenticate(&token),
        Err(AuthError::UnknownRole("superuser".to_owned()))
    );
    // The Rust name of a role is not its wire name.
    let token = fixture.ed_token(&fixture.claims_with("roles", json!(["NetworkAdmin"])));
    assert_eq!(
        authenticator.authenticate(&token),
        Err(AuthError::UnknownRole("NetworkAdmin".to_owned()))
    );
    let token = fixture.ed_token(&fixture.claims_with("roles", json!("counsellor")));
    assert_eq!(
        authenticator.authenticate(&token),
        Err(AuthError::InvalidClaim("roles"))
    );
}

#[test]
fn every_reason_shows_the_client_one_code() {
    let reasons = [
        AuthError::MissingToken,
        AuthError::Malformed,
        AuthError::CriticalHeader,
        AuthError::AlgorithmNotAllowed("none".to_owned()),
        AuthError::AlgorithmMismatch {
            expected: "RS256",
            found: "HS256".to_owned(),
        },
        AuthError::MissingKeyId,
        AuthError::UnknownKeyId("k".to_owned()),
        AuthError::BadSignature,
        AuthError::Expired,
        AuthError::NotYetValid,
        AuthError::WrongAudience,
        AuthError::WrongIssuer,
        AuthError::MissingClaim("exp"),
        AuthError::InvalidClaim("sub"),
        AuthError::NoRoles,
        AuthError::UnknownRole("root".to_owned()),
        AuthError::Verification("x".to_owned()),
    ];
    for reason in reasons {
        assert_eq!(reason.code(), "UNAUTHENTICATED", "{reason:?}");
    }
}

#[tokio::test]
async fn attacker_chosen_text_is_cut_before_it_reaches_the_log() {
    let fixture = Fixture::new();
    let long_kid = "k".repeat(10_000);
    let token = hmac_sha256_token(Some(&long_kid), &fixture.claims(), b"irrelevant");
    let Err(AuthError::UnknownKeyId(logged)) = fixture.production().await.authenticate(&token)
    else {
        panic!("an unknown kid must be refused as such");
    };
    assert_eq!(logged.len(), LOGGED_TEXT_MAX_CHARS);
}

// --- helpers around tokens and settings ------------------------------------------------------

#[test]
fn bearer_tokens_are_read_from_the_authorization_header() {
    assert_eq!(bearer_token(Some("Bearer abc.def.ghi")), Ok("abc.def.ghi"));
    assert_eq!(
        bearer_token(Some("bearer  abc.def.ghi ")),
        Ok("abc.def.ghi")
    );
    for value in [
        None,
        Some(""),
        Some("Bearer"),
        Some("Bearer "),
        Some("Basic dXNlcjpwdw=="),
    ] {
        assert_eq!(
            bearer_token(value),
            Err(AuthError::MissingToken),
            "{value:?}"
        );
    }
}

#[test]
fn minting_needs_a_role_and_a_positive_lifetime() {
    let secret = DevSecret::generate();
    let mint = |roles: &[Role], ttl| {
        mint_dev_token(
            &secret,
            "ecusson",
            "ecusson-api",
            TenantId::new(),
            roles,
            PersonId::new(),
            ttl,
        )
    };
    assert!(matches!(
        mint(&[], chrono::Duration::hours(1)),
        Err(MintError::NoRoles)
    ));
    assert!(matches!(
        mint(&[Role::Funder], chrono::Duration::zero()),
        Err(MintError::NonPositiveLifetime)
    ));
}

#[test]
fn every_role_is_known_by_its_snake_case_name() {
    // No wildcard: a role added to the domain stops this from compiling until it is handled,
    // and then it must be added to `KNOWN_ROLES` as well.
    fn expected_name(role: Role) -> &'static str {
        match role {
            Role::NetworkAdmin => "network_admin",
            Role::StructureAdmin => "structure_admin",
            Role::Counsellor => "counsellor",
            Role::TechnicalSupervisor => "technical_supervisor",
            Role::Direction => "direction",
            Role::CommitteeMember => "committee_member",
            Role::Earner => "earner",
            Role::Funder => "funder",
            Role::Recommender => "recommender",
        }
    }
    let names: Vec<&str> = KNOWN_ROLES
        .iter()
        .map(|role| expected_name(*role))
        .collect();
    assert_eq!(
        names,
        [
            "network_admin",
            "structure_admin",
            "counsellor",
            "technical_supervisor",
            "direction",
            "committee_member",
            "earner",
            "funder",
            "recommender"
        ]
    );
    for role in KNOWN_ROLES {
        assert_eq!(role_name(role), expected_name(role));
        assert_eq!(parse_role(expected_name(role)), Some(role));
    }
    assert_eq!(parse_role("Counsellor"), None);
    assert_eq!(parse_role("admin"), None);
}

#[test]
fn a_dev_secret_is_never_printed() {
    let secret = DevSecret::generate();
    let printed = format!("{secret:?} {:?}", AuthSettings::development(secret.clone()));
    assert!(!printed.contains(secret.to_base64().as_str()));
    assert!(printed.contains("[redacted]"));
}

#[test]
fn a_dev_secret_needs_32_bytes_of_base64() {
    assert_eq!(
        DevSecret::from_base64(&STANDARD.encode([1_u8; 31])).unwrap_err(),
        DevSecretError::TooShort(31)
    );
    assert_eq!(
        DevSecret::from_base64("not base64!").unwrap_err(),
        DevSecretError::NotBase64
    );
    let secret = DevSecret::generate();
    let again = DevSecret::from_base64(&format!(" {}\n", secret.to_base64().as_str())).unwrap();
    assert_eq!(again.as_bytes(), secret.as_bytes());
}

fn lookup(variables: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let variables: HashMap<String, String> = variables
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    move |name| variables.get(name).cloned()
}

#[test]
fn in_development_the_secret_file_is_created_once_with_mode_0600() {
    let scratch = Scratch::new();
    let file = scratch.file("ecusson.dev-secret");
    let first = AuthSettings::from_lookup(lookup(&[]), &file).unwrap();
    assert_eq!(first.issuer, "ecusson");
    assert_eq!(first.audience, "ecusson-api");
    assert_eq!(first.jwks, None);
    let secret = first.dev_secret.unwrap();
    assert_eq!(secret.as_bytes().len(), 32);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        secret.to_base64().as_str()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let second = AuthSettings::from_lookup(lookup(&[]), &file).unwrap();
    assert_eq!(second.dev_secret.unwrap().as_bytes(), secret.as_bytes());
}

#[test]
fn an_explicit_dev_secret_wins_over_the_file() {
    let scratch = Scratch::new();
    let file = scratch.file("ecusson.dev-secret");
    let secret = DevSecret::generate();
    let settings = AuthSettings::from_lookup(
        lookup(&[
            ("ECUSSON_DEV_SECRET", secret.to_base64().as_str()),
            ("ECUSSON_JWT_ISSUER", "https://id.example"),
            ("ECUSSON_JWT_AUDIENCE", "badges"),
        ]),
        &file,
    )
    .unwrap();
    assert_eq!(settings.dev_secret.unwrap().as_bytes(), secret.as_bytes());
    assert_eq!(settings.issuer, "https://id.example");
    assert_eq!(settings.audience, "badges");
    assert!(!file.exists());
}

#[test]
fn with_a_jwks_the_dev_secret_is_only_the_explicit_one() {
    let scratch = Scratch::new();
    let file = scratch.file("ecusson.dev-secret");
    std::fs::write(&file, DevSecret::generate().to_base64().as_bytes()).unwrap();
    let settings = AuthSettings::from_lookup(
        lookup(&[("ECUSSON_JWKS", "https://id.example/jwks")]),
        &file,
    )
    .unwrap();
    assert_eq!(
        settings.jwks,
        Some(JwksSource::Url("https://id.example/jwks".to_owned()))
    );
    assert!(settings.dev_secret.is_none(), "the file must be ignored");

    let secret = DevSecret::generate();
    let settings = AuthSettings::from_lookup(
        lookup(&[
            ("ECUSSON_JWKS", "/etc/ecusson/jwks.json"),
            ("ECUSSON_DEV_SECRET", secret.to_base64().as_str()),
        ]),
        &file,
    )
    .unwrap();
    assert_eq!(
        settings.jwks,
        Some(JwksSource::File(PathBuf::from("/etc/ecusson/jwks.json")))
    );
    assert_eq!(settings.dev_secret.unwrap().as_bytes(), secret.as_bytes());
}

#[test]
fn a_short_or_invalid_dev_secret_fails_the_settings() {
    let scratch = Scratch::new();
    let file = scratch.file("ecusson.dev-secret");
    let short = STANDARD.encode([9_u8; 16]);
    let error = AuthSettings::from_lookup(lookup(&[("ECUSSON_DEV_SECRET", short.as_str())]), &file)
        .unwrap_err();
    assert!(
        matches!(
            &error,
            AuthSetupError::DevSecret {
                source: DevSecretError::TooShort(16),
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        !error.to_string().contains(&short),
        "the secret is not printed"
    );

    std::fs::write(&file, "%%%").unwrap();
    let error = AuthSettings::from_lookup(lookup(&[]), &file).unwrap_err();
    assert!(
        matches!(
            &error,
            AuthSetupError::DevSecret {
                source: DevSecretError::NotBase64,
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn jwks_sources_are_urls_or_paths() {
    assert_eq!(
        JwksSource::parse("HTTPS://id.example/keys"),
        JwksSource::Url("HTTPS://id.example/keys".to_owned())
    );
    assert_eq!(
        JwksSource::parse("http://127.0.0.1:8080/jwks"),
        JwksSource::Url("http://127.0.0.1:8080/jwks".to_owned())
    );
    assert_eq!(
        JwksSource::parse("keys/jwks.json"),
        JwksSource::File(PathBuf::from("keys/jwks.json"))
    );
}

#[tokio::test]
async fn of_two_keys_with_one_kid_the_first_is_kept() {
    let fixture = Fixture::new();
    let mut second = fixture.rsa_jwk();
    second["kid"] = json!(ED_KID);
    let source = fixture.write_jwks(&json!({ "keys": [fixture.ed_jwk(), second] }));
    let authenticator = Authenticator::new(fixture.settings(Some(source), false))
        .await
        .unwrap();
    assert_eq!(authenticator.key_ids(), [ED_KID]);
    let claims = fixture.claims();
    assert!(authenticator
        .authenticate(&fixture.ed_token(&claims))
        .is_ok());
    assert_eq!(
        authenticator.authenticate(&fixture.rsa_token(Some(ED_KID), &claims)),
        Err(AuthError::AlgorithmMismatch {
            expected: "EdDSA",
            found: "RS256".to_owned()
        })
    );
}

#[tokio::test]
async fn a_token_verified_lately_is_taken_again_while_jsonwebtoken_would_take_it() {
    let fixture = Fixture::new();
    let authenticator = fixture.development().await;
    let token = fixture.dev_token(&fixture.claims());
    let first = authenticator.authenticate(&token).unwrap();
    assert_eq!(authenticator.authenticate(&token).unwrap(), first);
    assert_eq!(authenticator.lock_verified().len(), 1);

    // What is kept is looked up by the exact text, and its expiry is checked by the same
    // rule as a verification's: expired once `exp` is more than the leeway in the past.
    // Kept entries stand for tokens here (the text verifies nothing by itself), to set
    // their expiry at will.
    let leeway = CLOCK_SKEW_LEEWAY_SECONDS as i64;
    for (text, expires_in, taken) in [
        ("kept-valid", 600, true),
        ("kept-within-leeway", 1 - leeway, true),
        ("kept-expired", -leeway - 2, false),
    ] {
        authenticator.lock_verified().put(
            text.to_owned(),
            fixture.expected_principal(now() + expires_in),
        );
        let outcome = authenticator.authenticate(text);
        assert_eq!(outcome.is_ok(), taken, "{text}: {outcome:?}");
    }
    assert!(
        authenticator.lock_verified().peek("kept-expired").is_none(),
        "an expired entry is dropped"
    );
    assert!(
        authenticator.authenticate(&format!("{token}x")).is_err(),
        "another text is verified, and fails"
    );
}
