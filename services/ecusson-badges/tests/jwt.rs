//! The VC-JWT form: ES256 keys (PKCS#8, JWK), signing and verifying with the claims Open Badges
//! 3.0 asks for, tampering, the algorithm pinned against confusion (none, HS256 with the public
//! key as secret, EdDSA), and 1EdTech's RS256 fixture read for its structure and claims.

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ecusson_badges::jwt::{
    check_claims, check_header, decode_unverified, public_key_from_jwk, sign_credential,
    verify_credential, verify_signature, Es256Key, JwtError,
};
use ecusson_badges::verify::{
    parse_date_time, verify_jwt, CheckCode, NoResolver, Outcome, VerifyEnv,
};
use ed25519_dalek::Signer;
use rand::SeedableRng;
use serde_json::{json, Map, Value};

const KID: &str = "https://ecusson.example/networks/5b0f/keys/es256-1";

fn key(seed: u64) -> Es256Key {
    Es256Key::generate(KID, &mut rand::rngs::StdRng::seed_from_u64(seed))
}

/// Serves one P-256 key under [`KID`].
struct Served(p256::PublicKey);

impl ecusson_badges::verify::KeyResolver for Served {
    fn resolve(&self, method: &str) -> Option<ecusson_badges::verify::ResolvedKey> {
        (method == KID).then(|| {
            ecusson_badges::verify::ResolvedKey::new(ecusson_badges::verify::PublicKey::P256(
                self.0,
            ))
        })
    }
}

fn other_key(seed: u64) -> Es256Key {
    key(seed)
}

fn credential() -> Value {
    let (mut credential, _) = common::signed_credential();
    credential.as_object_mut().unwrap().remove("proof");
    credential
}

fn part(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

fn parts(token: &str) -> (Value, Value, String) {
    let pieces: Vec<&str> = token.split('.').collect();
    assert_eq!(pieces.len(), 3);
    let json = |text: &str| serde_json::from_slice(&URL_SAFE_NO_PAD.decode(text).unwrap()).unwrap();
    (json(pieces[0]), json(pieces[1]), pieces[2].to_owned())
}

#[test]
fn a_credential_signed_as_a_jwt_carries_the_specified_header_and_claims_and_verifies() {
    let key = key(1);
    let credential = credential();
    let token = sign_credential(&credential, &key).unwrap();
    let (header, payload, _) = parts(&token);
    // Only alg, kid and typ: the specification allows no other header.
    assert_eq!(header, json!({"alg": "ES256", "typ": "JWT", "kid": KID}));

    let timestamp = |text: &str| parse_date_time(text).unwrap().timestamp();
    assert_eq!(payload["iss"], credential["issuer"]["id"]);
    assert_eq!(payload["jti"], credential["id"]);
    assert_eq!(payload["sub"], credential["credentialSubject"]["id"]);
    assert_eq!(payload["nbf"], timestamp("2026-11-23T08:00:00Z"));
    assert_eq!(payload["exp"], timestamp("2028-11-23T08:00:00Z"));
    assert_eq!(payload["nbf"], 1_795_420_800);
    // The payload is the credential itself (VC 2.0), with the claims beside its members.
    let mut members = payload.as_object().unwrap().clone();
    for claim in ["iss", "jti", "sub", "nbf", "exp"] {
        members.remove(claim);
    }
    assert_eq!(Value::Object(members), credential);

    assert_eq!(
        verify_credential(&token, &key.public_key()).unwrap(),
        credential
    );
    // Another key does not verify it.
    assert!(matches!(
        verify_credential(&token, &other_key(2).public_key()),
        Err(JwtError::BadSignature)
    ));
    // ECDSA here is deterministic (RFC 6979): the crate takes no randomness to sign.
    assert_eq!(sign_credential(&credential, &key).unwrap(), token);
}

#[test]
fn keys_round_trip_as_pkcs8_and_publish_as_a_public_jwk() {
    let key = key(3);
    let pem = key.to_pkcs8_pem().unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    let again = Es256Key::from_pkcs8_pem(KID, &pem).unwrap();
    assert_eq!(again.public_key(), key.public_key());
    assert_eq!(again.kid(), KID);
    assert!(Es256Key::from_pkcs8_pem(KID, "not a key").is_err());

    let jwk = key.public_jwk();
    assert_eq!(jwk["kty"], "EC");
    assert_eq!(jwk["crv"], "P-256");
    assert_eq!(jwk["alg"], "ES256");
    assert_eq!(jwk["kid"], KID);
    assert!(jwk.get("d").is_none());
    assert_eq!(
        URL_SAFE_NO_PAD
            .decode(jwk["x"].as_str().unwrap())
            .unwrap()
            .len(),
        32
    );
    assert_eq!(public_key_from_jwk(&jwk).unwrap(), key.public_key());
    // The JWT library reads the same JWK to the same key: a token we sign verifies with it.
    let token = sign_credential(&credential(), &key).unwrap();
    let decoding =
        jsonwebtoken::DecodingKey::from_jwk(&serde_json::from_value(jwk.clone()).unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Map<String, Value>>(&token, &decoding, &validation).unwrap();

    let mut leaked = jwk.clone();
    leaked["d"] = json!("AAAA");
    assert!(matches!(
        public_key_from_jwk(&leaked),
        Err(JwtError::BadKey(_))
    ));
    let mut off_curve = jwk;
    off_curve["y"] = off_curve["x"].clone();
    assert!(public_key_from_jwk(&off_curve).is_err());
    // Debug never prints the secret.
    assert!(!format!("{key:?}").contains(&pem[30..60]));
}

#[test]
fn a_tampered_payload_or_signature_fails() {
    let key = key(4);
    let token = sign_credential(&credential(), &key).unwrap();
    let (header, mut payload, signature) = parts(&token);
    payload["credentialSubject"]["achievement"]["name"] = json!("Respecter les horairez");
    let tampered = format!("{}.{}.{signature}", part(&header), part(&payload));
    assert!(matches!(
        verify_signature(&tampered, &key.public_key()),
        Err(JwtError::BadSignature)
    ));

    let last = if token.ends_with('A') { 'B' } else { 'A' };
    let resigned = format!("{}{last}", &token[..token.len() - 1]);
    assert!(verify_signature(&resigned, &key.public_key()).is_err());

    let env = VerifyEnv {
        now: parse_date_time("2026-11-23T10:00:00Z").unwrap(),
        keys: &NoResolver,
        status: &NoResolver,
    };
    // Through the verifier, with the key served by kid, the tamper is a failed proof.
    let served = Served(key.public_key());
    let env = VerifyEnv {
        keys: &served,
        ..env
    };
    let report = verify_jwt(&tampered, &env);
    assert_eq!(report.failed(), vec![CheckCode::Proof]);
    assert_eq!(verify_jwt(&token, &env).failed(), Vec::<CheckCode>::new());
}

#[test]
fn the_algorithm_is_pinned_against_confusion() {
    let key = key(5);
    let token = sign_credential(&credential(), &key).unwrap();
    let (_, payload, _) = parts(&token);
    let claims: Map<String, Value> = payload.as_object().unwrap().clone();

    // HS256 with the public key (as PEM, as its JWK text) used as the HMAC secret: the classic
    // confusion, where a verifier that lets the token pick the algorithm checks an HMAC made
    // with public material.
    for secret in [
        key.public_jwk().to_string(),
        key.public_jwk()["x"].to_string(),
    ] {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = Some(KID.to_owned());
        let forged = jsonwebtoken::encode(
            &header,
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap();
        assert!(matches!(
            verify_signature(&forged, &key.public_key()),
            Err(JwtError::AlgorithmNotAccepted(alg)) if alg == "HS256"
        ));
    }

    // alg none, with no signature.
    let unsigned = format!(
        "{}.{}.",
        part(&json!({"alg": "none", "typ": "JWT", "kid": KID})),
        part(&payload)
    );
    assert!(matches!(
        verify_signature(&unsigned, &key.public_key()),
        Err(JwtError::AlgorithmNotAccepted(alg)) if alg == "none"
    ));

    // EdDSA, validly signed with an Ed25519 key: refused for its algorithm all the same.
    let ed_key = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
    let input = format!(
        "{}.{}",
        part(&json!({"alg": "EdDSA", "typ": "JWT", "kid": KID})),
        part(&payload)
    );
    let eddsa = format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(ed_key.sign(input.as_bytes()).to_bytes())
    );
    assert!(matches!(
        verify_signature(&eddsa, &key.public_key()),
        Err(JwtError::AlgorithmNotAccepted(alg)) if alg == "EdDSA"
    ));

    // A header the specification does not allow.
    let (header, _, signature) = parts(&token);
    let mut extra = header.clone();
    extra["x5u"] = json!("https://attacker.example/cert");
    let with_extra = format!("{}.{}.{signature}", part(&extra), part(&payload));
    assert!(matches!(
        check_header(&decode_unverified(&with_extra).unwrap()),
        Err(JwtError::UnexpectedHeader(name)) if name == "x5u"
    ));

    // Through the verifier: a failed proof that names the algorithm.
    let env = VerifyEnv {
        now: parse_date_time("2026-11-23T10:00:00Z").unwrap(),
        keys: &NoResolver,
        status: &NoResolver,
    };
    let report = verify_jwt(&eddsa, &env);
    assert_eq!(report.outcome(CheckCode::Proof), Some(Outcome::Failed));
    assert!(report.check(CheckCode::Proof).unwrap().en.contains("EdDSA"));
}

#[test]
fn claims_must_agree_with_the_credential() {
    let key = key(6);
    let pem = key.to_pkcs8_pem().unwrap();
    let encoding = jsonwebtoken::EncodingKey::from_ec_pem(pem.as_bytes()).unwrap();
    let token = sign_credential(&credential(), &key).unwrap();
    let (_, payload, _) = parts(&token);
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(KID.to_owned());
    for (claim, value) in [
        ("iss", json!("https://attacker.example")),
        ("sub", json!("urn:uuid:someone-else")),
        ("jti", json!("https://ecusson.example/credentials/other")),
        ("nbf", json!(0)),
        ("exp", json!(4_102_444_800_i64)),
    ] {
        let mut claims = payload.as_object().unwrap().clone();
        claims.insert(claim.to_owned(), value);
        let forged = jsonwebtoken::encode(&header, &claims, &encoding).unwrap();
        // Validly signed by the issuer's key, yet inconsistent.
        verify_signature(&forged, &key.public_key()).unwrap();
        let error = check_claims(&decode_unverified(&forged).unwrap()).unwrap_err();
        assert!(
            matches!(error, JwtError::ClaimMismatch { claim: mismatched, .. } if mismatched == claim),
            "{claim}: {error}"
        );
    }
    let mut claims = payload.as_object().unwrap().clone();
    claims.remove("nbf");
    let forged = jsonwebtoken::encode(&header, &claims, &encoding).unwrap();
    assert!(matches!(
        check_claims(&decode_unverified(&forged).unwrap()),
        Err(JwtError::MissingClaim("nbf"))
    ));
    // A credential with a validUntil needs the exp claim.
    let mut claims = payload.as_object().unwrap().clone();
    claims.remove("exp");
    let forged = jsonwebtoken::encode(&header, &claims, &encoding).unwrap();
    assert!(matches!(
        check_claims(&decode_unverified(&forged).unwrap()),
        Err(JwtError::MissingClaim("exp"))
    ));
}

/// 1EdTech's `simple.jwt` (RS256, VC 1.1 with the credential in `vc`): its key is not in the
/// fixture set (no JWK or PEM there, and its header has neither `kid` nor `jwk`), so only its
/// structure and claims are checked; its signature is refused for its algorithm.
#[test]
fn the_1edtech_rs256_fixture_parses_and_its_claims_match() {
    let token =
        std::fs::read_to_string(common::interop().join("ob3-validator-fixtures/simple.jwt"))
            .unwrap();
    let decoded = decode_unverified(token.trim()).unwrap();
    assert_eq!(decoded.alg(), Some("RS256"));
    assert_eq!(decoded.kid(), None);
    assert!(decoded.header.get("jwk").is_none());
    assert_eq!(decoded.credential, decoded.claims["vc"]);
    assert_eq!(
        decoded.credential["id"],
        "http://example.edu/credentials/3732"
    );
    assert_eq!(decoded.claims["iss"], decoded.credential["issuer"]["id"]);
    assert_eq!(
        decoded.claims["sub"],
        decoded.credential["credentialSubject"]["id"]
    );
    assert_eq!(
        decoded.date_claim("nbf"),
        parse_date_time(decoded.credential["issuanceDate"].as_str().unwrap())
            .map(|date| date.timestamp())
    );
    check_claims(&decoded).unwrap();
    assert!(matches!(
        check_header(&decoded),
        Err(JwtError::AlgorithmNotAccepted(alg)) if alg == "RS256"
    ));
    assert!(matches!(
        decode_unverified("only.two"),
        Err(JwtError::Malformed(_))
    ));
}

/// `exp` sets the end of validity of a credential that has no validUntil (the specification's
/// verification steps): past it, the credential has expired.
#[test]
fn an_exp_claim_alone_makes_the_credential_expire() {
    let key = key(7);
    let mut credential = credential();
    credential.as_object_mut().unwrap().remove("validUntil");
    let token = sign_credential(&credential, &key).unwrap();
    let (_, payload, _) = parts(&token);
    assert!(payload.get("exp").is_none());

    let mut claims = payload.as_object().unwrap().clone();
    claims.insert("exp".to_owned(), json!(1_795_424_400_i64)); // 2026-11-23T09:00:00Z
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(KID.to_owned());
    let pem = key.to_pkcs8_pem().unwrap();
    let expiring = jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_ec_pem(pem.as_bytes()).unwrap(),
    )
    .unwrap();
    let served = Served(key.public_key());
    let env = VerifyEnv {
        now: parse_date_time("2026-11-23T10:00:00Z").unwrap(),
        keys: &served,
        status: &NoResolver,
    };
    assert_eq!(verify_jwt(&token, &env).failed(), Vec::<CheckCode>::new());
    let report = verify_jwt(&expiring, &env);
    assert_eq!(report.failed(), vec![CheckCode::Expiry]);
    assert_eq!(report.outcome(CheckCode::JwtClaims), Some(Outcome::Passed));
}
