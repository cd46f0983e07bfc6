//! The VC-JWT form of a credential (Open Badges 3.0, "JSON Web Token Proof Format"): the
//! credential signed as a compact JWS, for wallets and verifiers that do not do Linked Data
//! proofs.
//!
//! - Algorithm: ES256 (ECDSA on P-256 with SHA-256). The specification names RS256 as the
//!   minimum, and 1EdTech's validator accepts RS256 or ES256 only (an EdDSA JWT fails there);
//!   ES256 because generating RSA keys in pure Rust means the `rsa` crate, whose private-key
//!   operations are not constant-time (RUSTSEC-2023-0071). ECDSA signing here is RFC 6979
//!   (deterministic), so the crate stays free of randomness; only [`Es256Key::generate`] takes
//!   a random source, from the caller.
//! - JOSE header: `alg`, `typ: "JWT"`, `kid` (the key's URL); the specification allows no other
//!   header (`jwk` instead of `kid` is the one alternative, and a verifier reads it).
//! - Payload: the credential itself (VC Data Model 2.0) with the claims `iss` (issuer.id),
//!   `jti` (id), `sub` (credentialSubject.id), `nbf` (validFrom) and `exp` (validUntil, when
//!   there is one). Credentials made under VC 1.1 carry the credential in a `vc` claim
//!   instead; they are read too.
//!
//! Verification pins the algorithm before any key is used: a token saying `none`, `HS256`
//! (the public key misused as an HMAC secret) or `EdDSA` is refused, whatever its signature.
//! Times are not checked here (the crate has no clock): [`crate::verify`] compares them with
//! the `now` it is given.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use p256::elliptic_curve::rand_core::CryptoRngCore;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::der::zeroize::Zeroizing;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use serde_json::{json, Map, Value};

/// The only algorithm signed and accepted.
pub const ALGORITHM: &str = "ES256";

/// The JWT claims the specification defines beside the credential's own members.
const REGISTERED_CLAIMS: [&str; 7] = ["iss", "jti", "sub", "nbf", "exp", "iat", "aud"];

/// The JOSE headers the specification allows.
const ALLOWED_HEADERS: [&str; 4] = ["alg", "kid", "jwk", "typ"];

/// Why a credential could not be signed as a JWT, or a JWT does not verify.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error("not a compact JWS: {0}")]
    Malformed(&'static str),
    #[error("the algorithm {0:?} is not accepted: only ES256 is")]
    AlgorithmNotAccepted(String),
    #[error("the JOSE header {0:?} is not allowed (only alg, kid, jwk and typ)")]
    UnexpectedHeader(String),
    #[error("the JOSE header typ is {0:?}; it must be \"JWT\" when present")]
    WrongType(String),
    #[error("the signature does not match")]
    BadSignature,
    #[error("the credential has no {0}, which the JWT claims need")]
    NotACredential(&'static str),
    #[error("the date {0} is not an XSD dateTime with a time zone")]
    BadDate(&'static str),
    #[error("the JWT has no {0} claim")]
    MissingClaim(&'static str),
    #[error("the claim {claim} says {in_claim:?}, the credential says {in_credential:?}")]
    ClaimMismatch {
        claim: &'static str,
        in_claim: String,
        in_credential: String,
    },
    #[error("the key is not a P-256 public key: {0}")]
    BadKey(&'static str),
    #[error("the private key could not be read or written as PKCS#8")]
    Pkcs8,
    #[error("signing failed")]
    Signing(#[source] jsonwebtoken::errors::Error),
}

/// An issuer's P-256 signing key and the URL (`kid`) its public half is published at.
pub struct Es256Key {
    secret: p256::SecretKey,
    kid: String,
}

impl std::fmt::Debug for Es256Key {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        formatter
            .debug_struct("Es256Key")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl Es256Key {
    /// A new key from the caller's cryptographically secure random source.
    pub fn generate(kid: impl Into<String>, rng: &mut impl CryptoRngCore) -> Self {
        Self {
            secret: p256::SecretKey::random(rng),
            kid: kid.into(),
        }
    }

    /// A key the caller keeps (an issuer's key store).
    pub fn new(secret: p256::SecretKey, kid: impl Into<String>) -> Self {
        Self {
            secret,
            kid: kid.into(),
        }
    }

    /// A key kept as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn from_pkcs8_pem(kid: impl Into<String>, pem: &str) -> Result<Self, JwtError> {
        Ok(Self {
            secret: p256::SecretKey::from_pkcs8_pem(pem).map_err(|_| JwtError::Pkcs8)?,
            kid: kid.into(),
        })
    }

    /// The key as PKCS#8 PEM, for the issuer's key store (wiped from memory when dropped).
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, JwtError> {
        self.secret
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|_| JwtError::Pkcs8)
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn public_key(&self) -> p256::PublicKey {
        self.secret.public_key()
    }

    /// The public key as the JWK an issuer publishes at its `kid` (never `d`).
    pub fn public_jwk(&self) -> Value {
        let mut jwk = public_jwk(&self.public_key());
        jwk["kid"] = self.kid.clone().into();
        jwk
    }

    fn encoding_key(&self) -> Result<EncodingKey, JwtError> {
        let der = self.secret.to_pkcs8_der().map_err(|_| JwtError::Pkcs8)?;
        Ok(EncodingKey::from_ec_der(der.as_bytes()))
    }
}

/// A P-256 public key as a JWK (`kty`, `crv`, `x`, `y`, `alg`, `use`).
pub fn public_jwk(key: &p256::PublicKey) -> Value {
    let point = key.to_encoded_point(false);
    // An uncompressed point always has both coordinates.
    let coordinate = |bytes: Option<&p256::FieldBytes>| {
        URL_SAFE_NO_PAD.encode(bytes.expect("uncompressed point"))
    };
    json!({
        "kty": "EC",
        "crv": "P-256",
        "x": coordinate(point.x()),
        "y": coordinate(point.y()),
        "alg": ALGORITHM,
        "use": "sig",
    })
}

/// The public key of a JWK; one with a private part (`d`) is refused, since whoever published
/// it has leaked their key.
pub fn public_key_from_jwk(jwk: &Value) -> Result<p256::PublicKey, JwtError> {
    if jwk.get("d").is_some() {
        return Err(JwtError::BadKey("the JWK holds a private key (d)"));
    }
    if jwk.get("kty").and_then(Value::as_str) != Some("EC")
        || jwk.get("crv").and_then(Value::as_str) != Some("P-256")
    {
        return Err(JwtError::BadKey("not kty EC, crv P-256"));
    }
    let coordinate = |name: &str| {
        jwk.get(name)
            .and_then(Value::as_str)
            .and_then(|text| URL_SAFE_NO_PAD.decode(text).ok())
            .filter(|bytes| bytes.len() == 32)
            .ok_or(JwtError::BadKey("x and y are not 32 bytes of base64url"))
    };
    let mut sec1 = vec![0x04];
    sec1.extend(coordinate("x")?);
    sec1.extend(coordinate("y")?);
    p256::PublicKey::from_sec1_bytes(&sec1).map_err(|_| JwtError::BadKey("not a point on P-256"))
}

fn decoding_key(key: &p256::PublicKey) -> Result<DecodingKey, JwtError> {
    let jwk = public_jwk(key);
    let text = |name: &str| jwk[name].as_str().unwrap_or_default().to_owned();
    DecodingKey::from_ec_components(&text("x"), &text("y"))
        .map_err(|_| JwtError::BadKey("rejected by the JWT library"))
}

/// The issuer's id: `issuer` is a URL or a profile with an `id`.
fn issuer_id(credential: &Map<String, Value>) -> Option<&str> {
    match credential.get("issuer")? {
        Value::String(id) => Some(id),
        Value::Object(profile) => profile.get("id")?.as_str(),
        _ => None,
    }
}

fn subject_id(credential: &Map<String, Value>) -> Option<&str> {
    credential.get("credentialSubject")?.get("id")?.as_str()
}

/// Seconds since the epoch of an XSD dateTime (NumericDate).
fn numeric_date(
    credential: &Map<String, Value>,
    field: &'static str,
) -> Result<Option<i64>, JwtError> {
    match credential.get(field) {
        None => Ok(None),
        Some(value) => value
            .as_str()
            .and_then(crate::verify::parse_date_time)
            .map(|date| Some(date.timestamp()))
            .ok_or(JwtError::BadDate(field)),
    }
}

/// Signs `credential` as a VC-JWT with `key`: the credential's members with the claims the
/// specification asks for, ES256, `kid` in the header.
pub fn sign_credential(credential: &Value, key: &Es256Key) -> Result<String, JwtError> {
    sign(credential, key, None)
}

/// [`sign_credential`] with the signing time as `iat`: what a verifier dates the signature by
/// (the credential's `validFrom`, the award's date, may precede the key).
pub fn sign_credential_at(
    credential: &Value,
    key: &Es256Key,
    issued_at: chrono::DateTime<chrono::Utc>,
) -> Result<String, JwtError> {
    sign(credential, key, Some(issued_at.timestamp()))
}

fn sign(credential: &Value, key: &Es256Key, issued_at: Option<i64>) -> Result<String, JwtError> {
    let credential = credential
        .as_object()
        .ok_or(JwtError::NotACredential("JSON object"))?;
    let mut claims = credential.clone();
    claims.insert(
        "iss".into(),
        issuer_id(credential)
            .ok_or(JwtError::NotACredential("issuer id"))?
            .into(),
    );
    claims.insert(
        "jti".into(),
        credential
            .get("id")
            .and_then(Value::as_str)
            .ok_or(JwtError::NotACredential("id"))?
            .into(),
    );
    if let Some(subject) = subject_id(credential) {
        claims.insert("sub".into(), subject.into());
    }
    let nbf =
        numeric_date(credential, "validFrom")?.ok_or(JwtError::NotACredential("validFrom"))?;
    claims.insert("nbf".into(), nbf.into());
    if let Some(exp) = numeric_date(credential, "validUntil")? {
        claims.insert("exp".into(), exp.into());
    }
    if let Some(iat) = issued_at {
        claims.insert("iat".into(), iat.into());
    }
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, &claims, &key.encoding_key()?).map_err(JwtError::Signing)
}

/// A compact JWS taken apart, nothing verified yet.
#[derive(Clone, Debug)]
pub struct DecodedJwt {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    /// The credential: the payload without the JWT claims (VC 2.0), or the `vc` claim (VC 1.1).
    pub credential: Value,
}

impl DecodedJwt {
    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }

    pub fn alg(&self) -> Option<&str> {
        self.header.get("alg").and_then(Value::as_str)
    }

    /// A NumericDate claim, in whole seconds.
    pub fn date_claim(&self, claim: &str) -> Option<i64> {
        let value = self.claims.get(claim)?;
        value
            .as_i64()
            .or_else(|| value.as_f64().map(|seconds| seconds.floor() as i64))
    }
}

/// Splits and decodes a compact JWS without checking anything but its shape.
pub fn decode_unverified(token: &str) -> Result<DecodedJwt, JwtError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed("not three parts separated by dots"));
    };
    let json = |part: &str| -> Result<Map<String, Value>, JwtError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| JwtError::Malformed("a part is not base64url"))?;
        match serde_json::from_slice(&bytes) {
            Ok(Value::Object(object)) => Ok(object),
            _ => Err(JwtError::Malformed("a part is not a JSON object")),
        }
    };
    let header = json(header)?;
    let claims = json(payload)?;
    let credential = match claims.get("vc") {
        Some(credential) => credential.clone(),
        None => {
            let mut credential = claims.clone();
            for claim in REGISTERED_CLAIMS {
                credential.remove(claim);
            }
            Value::Object(credential)
        }
    };
    Ok(DecodedJwt {
        header,
        claims,
        credential,
    })
}

/// The header rules: ES256 only, no header beyond alg, kid, jwk and typ, typ "JWT" if present.
pub fn check_header(decoded: &DecodedJwt) -> Result<(), JwtError> {
    match decoded.alg() {
        Some(ALGORITHM) => {}
        other => {
            return Err(JwtError::AlgorithmNotAccepted(
                other.unwrap_or("(none)").to_owned(),
            ))
        }
    }
    if let Some(name) = decoded
        .header
        .keys()
        .find(|name| !ALLOWED_HEADERS.contains(&name.as_str()))
    {
        return Err(JwtError::UnexpectedHeader(name.clone()));
    }
    match decoded.header.get("typ") {
        None => Ok(()),
        Some(Value::String(typ)) if typ == "JWT" => Ok(()),
        Some(other) => Err(JwtError::WrongType(other.to_string())),
    }
}

/// Checks the signature of `token` with `key`, ES256 pinned (the header is checked first).
pub fn verify_signature(token: &str, key: &p256::PublicKey) -> Result<(), JwtError> {
    check_header(&decode_unverified(token)?)?;
    let mut validation = Validation::new(Algorithm::ES256);
    // No clock here: times are the caller's, and no claim is required by the library.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Map<String, Value>>(token, &decoding_key(key)?, &validation)
        .map(|_| ())
        .map_err(|error| match error.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => {
                JwtError::AlgorithmNotAccepted("(as parsed by the JWT library)".to_owned())
            }
            _ => JwtError::BadSignature,
        })
}

/// The claims agree with the credential they carry (Open Badges 3.0, "Verify a Credential
/// VC-JWT Signature"): `iss` is the issuer's id, `sub` the subject's, `jti` the credential's,
/// `nbf` its validFrom (issuanceDate under VC 1.1), `exp` its validUntil (expirationDate).
pub fn check_claims(decoded: &DecodedJwt) -> Result<(), JwtError> {
    let credential = decoded
        .credential
        .as_object()
        .ok_or(JwtError::NotACredential("JSON object"))?;
    let text_claim = |claim: &'static str| {
        decoded
            .claims
            .get(claim)
            .and_then(Value::as_str)
            .ok_or(JwtError::MissingClaim(claim))
    };
    let same = |claim: &'static str, in_claim: &str, in_credential: Option<&str>| {
        if Some(in_claim) == in_credential {
            Ok(())
        } else {
            Err(JwtError::ClaimMismatch {
                claim,
                in_claim: in_claim.to_owned(),
                in_credential: in_credential.unwrap_or("(nothing)").to_owned(),
            })
        }
    };
    same("iss", text_claim("iss")?, issuer_id(credential))?;
    same(
        "jti",
        text_claim("jti")?,
        credential.get("id").and_then(Value::as_str),
    )?;
    match (decoded.claims.get("sub"), subject_id(credential)) {
        (None, None) => {}
        (None, Some(_)) => return Err(JwtError::MissingClaim("sub")),
        (Some(_), subject) => same("sub", text_claim("sub")?, subject)?,
    }
    let date = |field: &'static str, legacy: &'static str| -> Result<Option<i64>, JwtError> {
        match numeric_date(credential, field)? {
            Some(date) => Ok(Some(date)),
            None => numeric_date(credential, legacy),
        }
    };
    let nbf = decoded
        .date_claim("nbf")
        .ok_or(JwtError::MissingClaim("nbf"))?;
    let valid_from = date("validFrom", "issuanceDate")?;
    if Some(nbf) != valid_from {
        return Err(JwtError::ClaimMismatch {
            claim: "nbf",
            in_claim: nbf.to_string(),
            in_credential: valid_from.map_or("(nothing)".to_owned(), |date| date.to_string()),
        });
    }
    let valid_until = date("validUntil", "expirationDate")?;
    match (decoded.date_claim("exp"), valid_until) {
        (exp, Some(until)) if exp != Some(until) => {
            return Err(match exp {
                None => JwtError::MissingClaim("exp"),
                Some(exp) => JwtError::ClaimMismatch {
                    claim: "exp",
                    in_claim: exp.to_string(),
                    in_credential: until.to_string(),
                },
            })
        }
        // An `exp` with no validUntil sets it (the specification): the verifier reads it.
        _ => {}
    }
    Ok(())
}

/// Verifies a VC-JWT with a known key: header rules, signature, claims. Returns the credential.
pub fn verify_credential(token: &str, key: &p256::PublicKey) -> Result<Value, JwtError> {
    let decoded = decode_unverified(token)?;
    check_header(&decoded)?;
    verify_signature(token, key)?;
    check_claims(&decoded)?;
    Ok(decoded.credential)
}
