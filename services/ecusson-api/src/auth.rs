//! Bearer-token authentication: who calls, in which tenant, with which roles.
//!
//! Every request carries `Authorization: Bearer <JWT>`. The [`Authenticator`] checks the token
//! against keys fixed at start-up and turns it into a [`Principal`]: the tenant of every use case
//! comes from there, never from the request's arguments.
//!
//! Each key is pinned to one algorithm, so that a token cannot choose how it is checked:
//! - the keys of a JWKS (a file or an `http(s)` URL, `ECUSSON_JWKS`), named by the token's `kid`:
//!   Ed25519 keys verify `EdDSA`, RSA keys verify `RS256`; other keys are skipped at load;
//! - a development secret that verifies `HS256`, used by `ecusson token` and the embedded
//!   setup, for tokens without `kid`. When a JWKS is configured, the development secret is
//!   accepted only if `ECUSSON_DEV_SECRET` is set explicitly.
//!
//! The keys of a JWKS are read once, when the [`Authenticator`] is built: a rotation at the
//! identity provider needs a restart.
//!
//! A partner sends the same token with every request until it expires, so the bearers of the
//! last [`VERIFIED_TOKENS`] tokens that verified are kept, by the token's exact text: the same
//! text signed by the same fixed keys verifies the same way, except for time, and a kept token
//! is taken again only while `jsonwebtoken` itself would still take it (`exp` at most the
//! leeway in the past; `nbf` and `iat` only ever become truer). Verifying costs a JSON parse
//! of header and claims, a base64 decoding and a signature check: 4 % of the server's time on
//! the badge-history mix.
//!
//! Every failure is an [`AuthError`] whose variant is the reason, for the log; a client only ever
//! sees the code `UNAUTHENTICATED`. Tokens and secrets are never logged nor printed.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use ecusson_domain::{PersonId, Role, TenantId};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use lru::LruCache;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::fmt;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use uuid::Uuid;
use zeroize::Zeroizing;

#[cfg(test)]
mod tests;

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const CLOCK_SKEW_LEEWAY_SECONDS: u64 = 30;

/// The shortest development secret accepted, in bytes (HS256 wants at least the hash's size).
pub const DEV_SECRET_MIN_BYTES: usize = 32;

/// How long fetching a JWKS URL may take at start-up.
const JWKS_FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Attacker-chosen strings (a `kid`, a role) are cut to this many characters before they go into
/// an error, and so into the log.
const LOGGED_TEXT_MAX_CHARS: usize = 64;

/// Every role, in the order of the domain's enum, under the snake_case names that tokens use.
pub const KNOWN_ROLES: [Role; 9] = [
    Role::NetworkAdmin,
    Role::StructureAdmin,
    Role::Counsellor,
    Role::TechnicalSupervisor,
    Role::Direction,
    Role::CommitteeMember,
    Role::Earner,
    Role::Funder,
    Role::Recommender,
];

/// Parses a role from its snake_case name (`counsellor`, `network_admin`, ...), the name used in
/// tokens and on the command line.
pub fn parse_role(name: &str) -> Option<Role> {
    serde_json::from_value(Value::String(name.to_owned())).ok()
}

/// The snake_case name of a role, as it appears in tokens.
pub fn role_name(role: Role) -> String {
    match serde_json::to_value(role) {
        Ok(Value::String(name)) => name,
        // `Role` is a unit-variant enum with `rename_all = "snake_case"`: always a string.
        _ => format!("{role:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The development secret
// ---------------------------------------------------------------------------------------------

/// The HS256 secret of development tokens. Its bytes are wiped on drop and never printed.
#[derive(Clone)]
pub struct DevSecret(Zeroizing<Vec<u8>>);

/// Why a text is not a development secret. Says nothing of the text itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DevSecretError {
    #[error("not valid base64")]
    NotBase64,
    #[error("{0} bytes, at least {min} are required", min = DEV_SECRET_MIN_BYTES)]
    TooShort(usize),
}

impl DevSecret {
    /// A fresh secret of 32 random bytes from the operating system.
    pub fn generate() -> Self {
        use rand::RngCore;
        let mut bytes = Zeroizing::new(vec![0_u8; DEV_SECRET_MIN_BYTES]);
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// Reads a secret from standard base64 (surrounding whitespace ignored).
    pub fn from_base64(text: &str) -> Result<Self, DevSecretError> {
        let bytes = Zeroizing::new(
            STANDARD
                .decode(text.trim())
                .map_err(|_| DevSecretError::NotBase64)?,
        );
        if bytes.len() < DEV_SECRET_MIN_BYTES {
            return Err(DevSecretError::TooShort(bytes.len()));
        }
        Ok(Self(bytes))
    }

    /// The secret in standard base64, as `ECUSSON_DEV_SECRET` and the secret file hold it.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.0.as_slice()))
    }

    /// Reads the secret from `file`, or creates the file (mode 0600, 32 random bytes in base64)
    /// when it does not exist yet.
    pub fn load_or_create(file: &Path) -> Result<Self, AuthSetupError> {
        let io_error = |source| AuthSetupError::DevSecretFile {
            path: file.to_owned(),
            source,
        };
        match std::fs::read_to_string(file) {
            Ok(text) => {
                let text = Zeroizing::new(text);
                return Self::from_base64(&text).map_err(|source| AuthSetupError::DevSecret {
                    origin: file.display().to_string(),
                    source,
                });
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(io_error(error)),
        }
        let secret = Self::generate();
        let mut options = std::fs::OpenOptions::new();
        // `create_new`: two processes starting together must not overwrite each other's secret.
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut handle = options.open(file).map_err(io_error)?;
        std::io::Write::write_all(&mut handle, secret.to_base64().as_bytes()).map_err(io_error)?;
        tracing::info!(path = %file.display(), "created a new development secret");
        Ok(secret)
    }

    fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for DevSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DevSecret([redacted])")
    }
}

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

/// Where the identity provider publishes its public keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JwksSource {
    File(PathBuf),
    /// An `http://` or `https://` URL, fetched once when the [`Authenticator`] is built.
    Url(String),
}

impl JwksSource {
    /// A URL when the text starts with `http://` or `https://`, a file path otherwise.
    pub fn parse(text: &str) -> Self {
        let text = text.trim();
        let lowercase = text.to_ascii_lowercase();
        if lowercase.starts_with("http://") || lowercase.starts_with("https://") {
            Self::Url(text.to_owned())
        } else {
            Self::File(PathBuf::from(text))
        }
    }
}

impl fmt::Display for JwksSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => path.display().fmt(f),
            Self::Url(url) => url.fmt(f),
        }
    }
}

/// What the [`Authenticator`] needs: who issues tokens, for whom, and the keys.
#[derive(Clone, Debug)]
pub struct AuthSettings {
    /// The expected `iss` claim.
    pub issuer: String,
    /// The expected `aud` claim.
    pub audience: String,
    /// The HS256 development secret, for tokens without `kid`.
    pub dev_secret: Option<DevSecret>,
    /// The identity provider's public keys.
    pub jwks: Option<JwksSource>,
}

impl AuthSettings {
    pub const DEFAULT_ISSUER: &'static str = "ecusson";
    pub const DEFAULT_AUDIENCE: &'static str = "ecusson-api";

    /// Development settings: the default issuer and audience, this secret, no JWKS.
    pub fn development(dev_secret: DevSecret) -> Self {
        Self {
            issuer: Self::DEFAULT_ISSUER.to_owned(),
            audience: Self::DEFAULT_AUDIENCE.to_owned(),
            dev_secret: Some(dev_secret),
            jwks: None,
        }
    }

    /// Reads `ECUSSON_JWT_ISSUER` (default `ecusson`), `ECUSSON_JWT_AUDIENCE` (default
    /// `ecusson-api`), `ECUSSON_JWKS` (a path or an `http(s)` URL) and `ECUSSON_DEV_SECRET`
    /// (base64, at least 32 bytes). An empty variable counts as unset.
    ///
    /// With `ECUSSON_JWKS`, the development secret is the one of `ECUSSON_DEV_SECRET`, or none.
    /// Without (development), it is `ECUSSON_DEV_SECRET`, else the content of `dev_secret_file`,
    /// which is created on first use.
    pub fn from_env(dev_secret_file: &Path) -> Result<Self, AuthSetupError> {
        Self::from_lookup(|name| std::env::var(name).ok(), dev_secret_file)
    }

    /// [`Self::from_env`] over any source of variables, so that tests need not touch the
    /// process environment.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        dev_secret_file: &Path,
    ) -> Result<Self, AuthSetupError> {
        let variable = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let jwks = variable("ECUSSON_JWKS").map(|text| JwksSource::parse(&text));
        let explicit_secret =
            match variable("ECUSSON_DEV_SECRET").map(Zeroizing::new) {
                Some(text) => Some(DevSecret::from_base64(&text).map_err(|source| {
                    AuthSetupError::DevSecret {
                        origin: "ECUSSON_DEV_SECRET".to_owned(),
                        source,
                    }
                })?),
                None => None,
            };
        let dev_secret = match (explicit_secret, &jwks) {
            (Some(secret), _) => Some(secret),
            // In production the development secret must be asked for, never picked up from a
            // file lying in the working directory.
            (None, Some(_)) => None,
            (None, None) => Some(DevSecret::load_or_create(dev_secret_file)?),
        };
        Ok(Self {
            issuer: variable("ECUSSON_JWT_ISSUER")
                .unwrap_or_else(|| Self::DEFAULT_ISSUER.to_owned()),
            audience: variable("ECUSSON_JWT_AUDIENCE")
                .unwrap_or_else(|| Self::DEFAULT_AUDIENCE.to_owned()),
            dev_secret,
            jwks,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Why the [`Authenticator`] (or its settings) could not be built. Never holds a secret.
#[derive(Debug, thiserror::Error)]
pub enum AuthSetupError {
    #[error("the development secret of {origin} is not valid: {source}")]
    DevSecret {
        origin: String,
        source: DevSecretError,
    },
    #[error("cannot read or create the development secret file {}", path.display())]
    DevSecretFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the JWKS file {}", path.display())]
    JwksFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot fetch the JWKS from {url}")]
    JwksFetch { url: String, source: reqwest::Error },
    #[error("the JWKS of {origin} is not a JSON key set")]
    JwksFormat {
        origin: String,
        source: serde_json::Error,
    },
    #[error(
        "the JWKS of {origin} has no usable key (Ed25519 or RSA of 2048 bits or more, with a kid)"
    )]
    JwksWithoutUsableKey { origin: String },
    #[error("no key to verify tokens: set ECUSSON_JWKS or a development secret")]
    NoKeys,
}

/// Why a token was refused. The variant is for the log; a client only sees [`AuthError::code`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token")]
    MissingToken,
    #[error("not a well-formed JWT")]
    Malformed,
    #[error("the token uses a critical header extension")]
    CriticalHeader,
    #[error("algorithm {0:?} is not accepted")]
    AlgorithmNotAllowed(String),
    #[error("the token says {found}, its key verifies {expected} only")]
    AlgorithmMismatch {
        expected: &'static str,
        found: String,
    },
    #[error("the token names no key (kid) and no development secret is configured")]
    MissingKeyId,
    #[error("the token names an unknown key {0:?}")]
    UnknownKeyId(String),
    #[error("bad signature")]
    BadSignature,
    #[error("expired")]
    Expired,
    #[error("not valid yet")]
    NotYetValid,
    #[error("wrong audience")]
    WrongAudience,
    #[error("wrong issuer")]
    WrongIssuer,
    #[error("missing claim {0}")]
    MissingClaim(&'static str),
    #[error("invalid claim {0}")]
    InvalidClaim(&'static str),
    #[error("the token grants no role")]
    NoRoles,
    #[error("unknown role {0:?}")]
    UnknownRole(String),
    /// A failure of the verification itself (a key the crypto backend refuses, for instance).
    #[error("verification failed: {0}")]
    Verification(String),
}

impl AuthError {
    /// The one `extensions.code` a client sees, whatever the reason.
    pub const CODE: &'static str = "UNAUTHENTICATED";

    pub fn code(&self) -> &'static str {
        Self::CODE
    }
}

/// The failures of [`mint_dev_token`].
#[derive(Debug, thiserror::Error)]
pub enum MintError {
    #[error("a token needs at least one role")]
    NoRoles,
    #[error("the lifetime of a token must be positive")]
    NonPositiveLifetime,
    #[error("cannot sign the token")]
    Signing(#[source] jsonwebtoken::errors::Error),
}

// ---------------------------------------------------------------------------------------------
// The principal and the authenticator
// ---------------------------------------------------------------------------------------------

/// The verified caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub subject: PersonId,
    pub tenant: TenantId,
    /// At least one, without duplicates, in the token's order.
    pub roles: Vec<Role>,
    pub expires_at: DateTime<Utc>,
}

impl Principal {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// A key and the one algorithm it verifies.
struct PinnedKey {
    algorithm: Algorithm,
    key: DecodingKey,
    validation: Validation,
}

/// Verifies bearer tokens. Built once at start-up and shared.
pub struct Authenticator {
    /// The JWKS keys by `kid`.
    keys: HashMap<String, PinnedKey>,
    dev_key: Option<PinnedKey>,
    jwks_configured: bool,
    /// Tokens that verified lately, by their text (see the module header).
    verified: Mutex<LruCache<String, Principal>>,
}

/// How many verified tokens are kept.
pub const VERIFIED_TOKENS: usize = 4096;

/// Longer tokens are verified every time (a token of ours is about 300 bytes).
const MAX_KEPT_TOKEN_BYTES: usize = 2048;

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("key_ids", &self.key_ids())
            .field("accepts_dev_tokens", &self.accepts_dev_tokens())
            .finish()
    }
}

impl Authenticator {
    /// Loads the keys: reads or fetches the JWKS, if any. Fails when no key is usable.
    pub async fn new(settings: AuthSettings) -> Result<Self, AuthSetupError> {
        let keys = match &settings.jwks {
            None => HashMap::new(),
            Some(source) => {
                let document = match source {
                    JwksSource::File(path) => {
                        std::fs::read(path).map_err(|source| AuthSetupError::JwksFile {
                            path: path.clone(),
                            source,
                        })?
                    }
                    JwksSource::Url(url) => fetch_jwks(url).await?,
                };
                let keys = parse_jwks(&document, &source.to_string(), &settings)?;
                if keys.is_empty() {
                    return Err(AuthSetupError::JwksWithoutUsableKey {
                        origin: source.to_string(),
                    });
                }
                keys
            }
        };
        let dev_key = settings.dev_secret.as_ref().map(|secret| {
            pinned(
                Algorithm::HS256,
                DecodingKey::from_secret(secret.as_bytes()),
                &settings,
            )
        });
        if keys.is_empty() && dev_key.is_none() {
            return Err(AuthSetupError::NoKeys);
        }
        Ok(Self {
            keys,
            dev_key,
            jwks_configured: settings.jwks.is_some(),
            verified: Mutex::new(LruCache::new(
                NonZeroUsize::new(VERIFIED_TOKENS).expect("a non-zero capacity"),
            )),
        })
    }

    /// The `kid`s of the JWKS keys in use, sorted.
    pub fn key_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.keys.keys().map(String::as_str).collect();
        ids.sort_unstable();
        ids
    }

    /// Whether tokens signed with the development secret are accepted.
    pub fn accepts_dev_tokens(&self) -> bool {
        self.dev_key.is_some()
    }

    /// Verifies a token (without the `Bearer ` prefix) and returns its bearer.
    pub fn authenticate(&self, token: &str) -> Result<Principal, AuthError> {
        if let Some(principal) = self.verified_lately(token) {
            return Ok(principal);
        }
        let principal = self.verify(token)?;
        if token.len() <= MAX_KEPT_TOKEN_BYTES {
            self.lock_verified()
                .put(token.to_owned(), principal.clone());
        }
        Ok(principal)
    }

    /// The bearer of `token` when it verified lately and has not expired since, by
    /// `jsonwebtoken`'s rule: expired once `exp` is more than the leeway in the past.
    fn verified_lately(&self, token: &str) -> Option<Principal> {
        let mut verified = self.lock_verified();
        let principal = verified.get(token)?;
        let leeway = i64::try_from(CLOCK_SKEW_LEEWAY_SECONDS).unwrap_or(i64::MAX);
        if principal.expires_at.timestamp().saturating_add(leeway) < Utc::now().timestamp() {
            verified.pop(token);
            return None;
        }
        Some(principal.clone())
    }

    fn lock_verified(&self) -> std::sync::MutexGuard<'_, LruCache<String, Principal>> {
        // The cache holds no invariant a panicking holder could break.
        self.verified
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Checks `token` against the pinned keys.
    fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        let header = read_header(token)?;
        let key = self.select_key(header.kid.as_deref())?;
        let pinned_name = algorithm_name(key.algorithm);
        if header.alg != pinned_name {
            return Err(AuthError::AlgorithmMismatch {
                expected: pinned_name,
                found: for_log(&header.alg),
            });
        }
        let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &key.validation)
            .map_err(|error| reason_of(error.into_kind()))?
            .claims;
        principal_from(&claims)
    }

    fn select_key(&self, kid: Option<&str>) -> Result<&PinnedKey, AuthError> {
        match kid {
            Some(kid) => match (self.keys.get(kid), &self.dev_key) {
                (Some(key), _) => Ok(key),
                // Without a JWKS, a `kid` can only be a label of the development key.
                (None, Some(dev_key)) if !self.jwks_configured => Ok(dev_key),
                (None, _) => Err(AuthError::UnknownKeyId(for_log(kid))),
            },
            None => self.dev_key.as_ref().ok_or(AuthError::MissingKeyId),
        }
    }
}

/// The token of an `Authorization` header value: `Bearer <token>`, the scheme in any case.
pub fn bearer_token(authorization: Option<&str>) -> Result<&str, AuthError> {
    let value = authorization.ok_or(AuthError::MissingToken)?.trim();
    let (scheme, token) = value.split_once(' ').ok_or(AuthError::MissingToken)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(AuthError::MissingToken);
    }
    Ok(token)
}

/// Signs a development token (HS256, no `kid`) for `ecusson token` and for tests.
pub fn mint_dev_token(
    secret: &DevSecret,
    issuer: &str,
    audience: &str,
    tenant: TenantId,
    roles: &[Role],
    subject: PersonId,
    ttl: chrono::Duration,
) -> Result<String, MintError> {
    #[derive(Serialize)]
    struct DevClaims<'a> {
        sub: Uuid,
        tenant: Uuid,
        roles: &'a [Role],
        iss: &'a str,
        aud: &'a str,
        iat: i64,
        exp: i64,
    }
    if roles.is_empty() {
        return Err(MintError::NoRoles);
    }
    if ttl <= chrono::Duration::zero() {
        return Err(MintError::NonPositiveLifetime);
    }
    let now = Utc::now();
    let claims = DevClaims {
        sub: subject.0,
        tenant: tenant.0,
        roles,
        iss: issuer,
        aud: audience,
        iat: now.timestamp(),
        exp: (now + ttl).timestamp(),
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(MintError::Signing)
}

// ---------------------------------------------------------------------------------------------
// Token reading
// ---------------------------------------------------------------------------------------------

/// The part of the JOSE header read before any key is chosen.
#[derive(Deserialize)]
struct RawHeader {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    crit: Option<Value>,
}

/// Reads the header ourselves rather than through `jsonwebtoken::decode_header`, so that an
/// algorithm it does not know (`none`) is reported as such and not as a malformed token.
fn read_header(token: &str) -> Result<RawHeader, AuthError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AuthError::Malformed);
    };
    if header.is_empty() || payload.is_empty() {
        return Err(AuthError::Malformed);
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| AuthError::Malformed)?;
    let header: RawHeader = serde_json::from_slice(&bytes).map_err(|_| AuthError::Malformed)?;
    if header.crit.is_some() {
        // RFC 7515 §4.1.11: extensions the recipient does not understand must be refused.
        return Err(AuthError::CriticalHeader);
    }
    match header.alg.as_str() {
        "HS256" | "RS256" | "EdDSA" => Ok(header),
        other => Err(AuthError::AlgorithmNotAllowed(for_log(other))),
    }
}

fn algorithm_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::HS256 => "HS256",
        Algorithm::RS256 => "RS256",
        Algorithm::EdDSA => "EdDSA",
        // Only the three algorithms above are ever pinned (see `pinned`).
        _ => "unsupported",
    }
}

fn reason_of(kind: ErrorKind) -> AuthError {
    match kind {
        ErrorKind::InvalidToken
        | ErrorKind::Base64(_)
        | ErrorKind::Json(_)
        | ErrorKind::Utf8(_) => AuthError::Malformed,
        ErrorKind::InvalidSignature => AuthError::BadSignature,
        ErrorKind::ExpiredSignature => AuthError::Expired,
        ErrorKind::ImmatureSignature => AuthError::NotYetValid,
        ErrorKind::InvalidAudience => AuthError::WrongAudience,
        ErrorKind::InvalidIssuer => AuthError::WrongIssuer,
        ErrorKind::MissingRequiredClaim(claim) => AuthError::MissingClaim(claim_name(&claim)),
        ErrorKind::InvalidClaimFormat(claim) => AuthError::InvalidClaim(claim_name(&claim)),
        other => AuthError::Verification(format!("{other:?}")),
    }
}

/// The static name of a registered claim that `jsonwebtoken` reports by value.
fn claim_name(claim: &str) -> &'static str {
    match claim {
        "exp" => "exp",
        "nbf" => "nbf",
        "aud" => "aud",
        "iss" => "iss",
        "sub" => "sub",
        _ => "unknown",
    }
}

/// The claims of Écusson, once the signature and the registered claims are checked.
fn principal_from(claims: &Map<String, Value>) -> Result<Principal, AuthError> {
    let subject = PersonId(uuid_claim(claims, "sub")?);
    let tenant = TenantId(uuid_claim(claims, "tenant")?);
    let roles = match claims.get("roles") {
        None | Some(Value::Null) => return Err(AuthError::MissingClaim("roles")),
        Some(Value::Array(values)) => values,
        Some(_) => return Err(AuthError::InvalidClaim("roles")),
    };
    if roles.is_empty() {
        return Err(AuthError::NoRoles);
    }
    let mut parsed = Vec::with_capacity(roles.len());
    for value in roles {
        let role = match value {
            Value::String(name) => {
                parse_role(name).ok_or_else(|| AuthError::UnknownRole(for_log(name)))?
            }
            other => return Err(AuthError::UnknownRole(for_log(&other.to_string()))),
        };
        if !parsed.contains(&role) {
            parsed.push(role);
        }
    }
    if let Some(issued_at) = claims.get("iat") {
        if !issued_at.is_number() {
            return Err(AuthError::InvalidClaim("iat"));
        }
    }
    // `jsonwebtoken` has checked that `exp` is present, numeric and not past.
    let expires_at = claims
        .get("exp")
        .and_then(|exp| exp.as_u64().or_else(|| exp.as_f64().map(|exp| exp as u64)))
        .and_then(|exp| i64::try_from(exp).ok())
        .and_then(|exp| DateTime::from_timestamp(exp, 0))
        .ok_or(AuthError::InvalidClaim("exp"))?;
    Ok(Principal {
        subject,
        tenant,
        roles: parsed,
        expires_at,
    })
}

fn uuid_claim(claims: &Map<String, Value>, name: &'static str) -> Result<Uuid, AuthError> {
    match claims.get(name) {
        None | Some(Value::Null) => Err(AuthError::MissingClaim(name)),
        Some(Value::String(text)) => match Uuid::parse_str(text) {
            Ok(uuid) if !uuid.is_nil() => Ok(uuid),
            _ => Err(AuthError::InvalidClaim(name)),
        },
        Some(_) => Err(AuthError::InvalidClaim(name)),
    }
}

fn for_log(text: &str) -> String {
    text.chars().take(LOGGED_TEXT_MAX_CHARS).collect()
}

// ---------------------------------------------------------------------------------------------
// JWKS loading
// ---------------------------------------------------------------------------------------------

fn pinned(algorithm: Algorithm, key: DecodingKey, settings: &AuthSettings) -> PinnedKey {
    let mut validation = Validation::new(algorithm);
    validation.leeway = CLOCK_SKEW_LEEWAY_SECONDS;
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.validate_aud = true;
    validation.set_audience(&[&settings.audience]);
    validation.set_issuer(&[&settings.issuer]);
    validation.set_required_spec_claims(&["exp", "aud", "iss"]);
    PinnedKey {
        algorithm,
        key,
        validation,
    }
}

async fn fetch_jwks(url: &str) -> Result<Vec<u8>, AuthSetupError> {
    let fetch_error = |source| AuthSetupError::JwksFetch {
        url: url.to_owned(),
        source,
    };
    let client = reqwest::Client::builder()
        .timeout(JWKS_FETCH_TIMEOUT)
        .build()
        .map_err(fetch_error)?;
    let response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(fetch_error)?;
    let body = response.bytes().await.map_err(fetch_error)?;
    Ok(body.to_vec())
}

#[derive(Deserialize)]
struct JwkSetDocument {
    keys: Vec<Value>,
}

/// The fields of a JWK that matter here; the others are ignored.
#[derive(Deserialize)]
struct JwkFields {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default, rename = "use")]
    key_use: Option<String>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
}

/// The usable keys of a JWKS, by `kid`. Keys that cannot be used are skipped with a warning.
fn parse_jwks(
    document: &[u8],
    origin: &str,
    settings: &AuthSettings,
) -> Result<HashMap<String, PinnedKey>, AuthSetupError> {
    let document: JwkSetDocument =
        serde_json::from_slice(document).map_err(|source| AuthSetupError::JwksFormat {
            origin: origin.to_owned(),
            source,
        })?;
    let mut keys = HashMap::new();
    for (index, value) in document.keys.into_iter().enumerate() {
        match pin_jwk(value, settings) {
            Ok((kid, key)) => match keys.entry(kid) {
                Entry::Occupied(taken) => tracing::warn!(
                    jwks.origin = origin,
                    jwk.index = index,
                    jwk.kid = %for_log(taken.key()),
                    "skipping a key of the JWKS: its kid is already taken"
                ),
                Entry::Vacant(free) => {
                    free.insert(key);
                }
            },
            Err(reason) => {
                tracing::warn!(
                    jwks.origin = origin,
                    jwk.index = index,
                    reason,
                    "skipping a key of the JWKS"
                );
            }
        }
    }
    Ok(keys)
}

/// A JWK as a key pinned to its algorithm, or why it cannot be used.
fn pin_jwk(value: Value, settings: &AuthSettings) -> Result<(String, PinnedKey), &'static str> {
    let jwk: JwkFields = serde_json::from_value(value).map_err(|_| "not a JWK")?;
    let kid = jwk.kid.clone().ok_or("no kid")?;
    if jwk
        .key_use
        .as_deref()
        .is_some_and(|key_use| key_use != "sig")
    {
        return Err("not a signature key (use)");
    }
    match jwk.kty.as_str() {
        "OKP" => {
            if jwk.crv.as_deref() != Some("Ed25519") {
                return Err("OKP key on a curve other than Ed25519");
            }
            // RFC 9864 also names the fully specified algorithm `Ed25519`.
            if !matches!(jwk.alg.as_deref(), None | Some("EdDSA") | Some("Ed25519")) {
                return Err("Ed25519 key with an alg other than EdDSA");
            }
            let x = jwk.x.as_deref().ok_or("Ed25519 key without x")?;
            let bytes = URL_SAFE_NO_PAD
                .decode(x)
                .map_err(|_| "Ed25519 key whose x is not base64url")?;
            if bytes.len() != 32 {
                return Err("Ed25519 key whose x is not 32 bytes");
            }
            let key = DecodingKey::from_ed_components(x).map_err(|_| "invalid Ed25519 key")?;
            Ok((kid, pinned(Algorithm::EdDSA, key, settings)))
        }
        "RSA" => {
            if !matches!(jwk.alg.as_deref(), None | Some("RS256")) {
                return Err("RSA key with an alg other than RS256");
            }
            let decode = |part: Option<&str>| {
                part.and_then(|text| URL_SAFE_NO_PAD.decode(text).ok())
                    .ok_or("RSA key without a base64url n and e")
            };
            let modulus = decode(jwk.n.as_deref())?;
            let exponent = decode(jwk.e.as_deref())?;
            if modulus_bits(&modulus) < 2048 {
                return Err("RSA key shorter than 2048 bits");
            }
            let key = DecodingKey::from_rsa_raw_components(&modulus, &exponent);
            Ok((kid, pinned(Algorithm::RS256, key, settings)))
        }
        _ => Err("unsupported key type (only OKP/Ed25519 and RSA are used)"),
    }
}

/// The size in bits of a big-endian unsigned integer.
fn modulus_bits(big_endian: &[u8]) -> usize {
    let significant: &[u8] = match big_endian.iter().position(|byte| *byte != 0) {
        Some(first) => &big_endian[first..],
        None => return 0,
    };
    (significant.len() - 1) * 8 + (8 - significant[0].leading_zeros() as usize)
}
