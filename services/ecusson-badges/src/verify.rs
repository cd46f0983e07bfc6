//! The verifier behind `ecusson verify` and the public verification endpoint: given a
//! credential (JSON with Data Integrity proofs, or a VC-JWT), a list of checks, each with its
//! outcome explained in French and in English for the person who reads it (often an employer
//! looking at a worker's badge), and an overall verdict.
//!
//! The endpoint is public, so everything here assumes hostile input: the input's size and JSON
//! depth are capped before anything else, and the canonicaliser refuses documents that would
//! make RDFC-1.0 work for ever ([`crate::canonical`]). Nothing is fetched: contexts are the
//! bundled ones, keys come from the caller's [`KeyResolver`] or from what needs no network
//! (`did:key`, and 1EdTech's `<issuer>#z6Mk...` convention where the key is the fragment and
//! the part before `#` must be the issuer), status from the caller's [`StatusResolver`].
//!
//! Rules chosen where the specifications leave room:
//! - Several proofs: every proof this verifier can check (`DataIntegrityProof` with
//!   `eddsa-rdfc-2022`, or its draft name `eddsa-2022`, which is a warning as in 1EdTech's
//!   validator) must verify, and there must be one; proofs of other kinds are reported as not
//!   checked (a warning), not as failures.
//! - The key's validity at signing. A key our issuer revoked at time T fails every credential
//!   whose proof says it was made at T or later. For a proof dated before T the date is the
//!   signer's own claim (whoever stole the key can backdate): it passes only when the ledger
//!   confirms that the credential was issued before T ([`KeyResolver::issuance_recorded`]);
//!   without that record it is a warning that says so. A proof dated before the key existed
//!   fails. Third-party keys come with no history: the check is skipped and says why.
//! - A `did:key` proves who holds the key, not who the issuer is: when the issuer's id is not
//!   that DID, the key's check is a warning (1EdTech's validator accepts it silently).
//! - Credentials of the VC 1.1 era (`issuanceDate`, the 2018 context) are read for their dates
//!   but their contexts are not bundled, so their proofs cannot be checked: they do not verify.
//! - A member or type that no context defines fails (`UndefinedTerms`): JSON-LD drops it before
//!   signing, so anybody can add or change it under an intact signature (Digital Bazaar's safe
//!   mode refuses such credentials too). Only the published contexts this verifier holds are
//!   accepted, at any depth, since an embedded context could redefine or drop terms.
//! - A shape the canonicaliser cannot label as RDFC-1.0 does (see [`crate::canonical`]) leaves
//!   the signature unchecked, said so, rather than reported as tampered.

use crate::data_integrity::{self, ProofError, CRYPTOSUITE, DRAFT_CRYPTOSUITE, PROOF_TYPE};
use crate::jwt::{self, DecodedJwt, JwtError};
use crate::status::StatusAnswer;
use crate::CanonicalError;
use chrono::{DateTime, Utc};
use ed25519_dalek::VerifyingKey;
use serde_json::{json, Map, Value};

/// The largest input read: a credential with its images as links is a few kilobytes.
pub const MAX_INPUT_BYTES: usize = 256 * 1024;
/// The deepest JSON read; credentials nest about ten levels (endorsements inside profiles).
pub const MAX_JSON_DEPTH: usize = 32;
/// The most proofs checked on one credential (each costs two canonicalisations).
pub const MAX_PROOFS: usize = 8;

const VC_V2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
const VC_V1_CONTEXT: &str = "https://www.w3.org/2018/credentials/v1";
const OB_CONTEXT_PREFIX: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context";
/// The contexts an Open Badges 3.0 credential may name here: bundled (so the proof can be
/// checked offline) and meant for it. Other bundled contexts (Open Badges 2.0's) are not.
const ACCEPTED_CONTEXTS: [&str; 5] = [
    VC_V2_CONTEXT,
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    crate::status::EXTENSIONS_CONTEXT,
    "https://w3id.org/security/data-integrity/v2",
    "https://w3id.org/security/multikey/v1",
];

/// What is checked. Closed: clients show these codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckCode {
    /// The input is over [`MAX_INPUT_BYTES`].
    TooLarge,
    /// The JSON nests deeper than [`MAX_JSON_DEPTH`].
    TooDeep,
    /// Too many proofs, or a document the canonicaliser refuses to work on.
    TooComplex,
    /// The input is a JSON object (or a JWT whose parts are).
    Json,
    Context,
    /// Every term is defined by the contexts (JSON-LD drops the others: unsigned).
    UndefinedTerms,
    Type,
    Issuer,
    ValidFrom,
    CredentialSubject,
    Achievement,
    Evidence,
    /// The verification method names a key that can be found and belongs to the issuer.
    ProofMethod,
    /// The signature.
    Proof,
    /// The key was valid when the credential was signed.
    KeyValidAtSigning,
    /// A VC-JWT's claims agree with the credential it carries.
    JwtClaims,
    NotYetValid,
    Expiry,
    /// Revocation or suspension.
    Status,
}

impl CheckCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TooLarge => "TOO_LARGE",
            Self::TooDeep => "TOO_DEEP",
            Self::TooComplex => "TOO_COMPLEX",
            Self::Json => "JSON",
            Self::Context => "CONTEXT",
            Self::UndefinedTerms => "UNDEFINED_TERMS",
            Self::Type => "TYPE",
            Self::Issuer => "ISSUER",
            Self::ValidFrom => "VALID_FROM",
            Self::CredentialSubject => "CREDENTIAL_SUBJECT",
            Self::Achievement => "ACHIEVEMENT",
            Self::Evidence => "EVIDENCE",
            Self::ProofMethod => "PROOF_METHOD",
            Self::Proof => "PROOF",
            Self::KeyValidAtSigning => "KEY_VALID_AT_SIGNING",
            Self::JwtClaims => "JWT_CLAIMS",
            Self::NotYetValid => "NOT_YET_VALID",
            Self::Expiry => "EXPIRY",
            Self::Status => "STATUS",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed,
    /// Passed, with something the reader should know.
    Warning,
    /// Not checked: not applicable, or impossible after an earlier failure (the text says).
    Skipped,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Warning => "warning",
            Self::Skipped => "skipped",
        }
    }
}

/// One check and its explanation, in French and in English.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub code: CheckCode,
    pub outcome: Outcome,
    pub fr: String,
    pub en: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    ValidWithWarnings,
    Invalid,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::ValidWithWarnings => "valid_with_warnings",
            Self::Invalid => "invalid",
        }
    }
}

/// The checks, in the order they were made, and the verdict they add up to.
#[derive(Clone, Debug)]
pub struct Report {
    pub verdict: Verdict,
    pub checks: Vec<Check>,
}

impl Report {
    /// Invalid when a check failed or when no signature was checked and found good; valid with
    /// warnings when a check warned; valid otherwise.
    fn from_checks(checks: Vec<Check>) -> Self {
        let signed = checks.iter().any(|check| {
            check.code == CheckCode::Proof
                && matches!(check.outcome, Outcome::Passed | Outcome::Warning)
        });
        let verdict = if !signed || checks.iter().any(|check| check.outcome == Outcome::Failed) {
            Verdict::Invalid
        } else if checks.iter().any(|check| check.outcome == Outcome::Warning) {
            Verdict::ValidWithWarnings
        } else {
            Verdict::Valid
        };
        Self { verdict, checks }
    }

    /// The check of that code, if it was made.
    pub fn check(&self, code: CheckCode) -> Option<&Check> {
        self.checks.iter().find(|check| check.code == code)
    }

    /// The outcome of that check, if it was made.
    pub fn outcome(&self, code: CheckCode) -> Option<Outcome> {
        self.check(code).map(|check| check.outcome)
    }

    /// The codes of the failed checks, in order.
    pub fn failed(&self) -> Vec<CheckCode> {
        self.checks
            .iter()
            .filter(|check| check.outcome == Outcome::Failed)
            .map(|check| check.code)
            .collect()
    }

    /// The report as the endpoint answers it.
    pub fn to_json(&self) -> Value {
        json!({
            "verdict": self.verdict.as_str(),
            "checks": self.checks.iter().map(|check| json!({
                "code": check.code.as_str(),
                "outcome": check.outcome.as_str(),
                "fr": check.fr,
                "en": check.en,
            })).collect::<Vec<_>>(),
        })
    }
}

/// A public key a verification method names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublicKey {
    /// For Data Integrity proofs (`eddsa-rdfc-2022`).
    Ed25519(VerifyingKey),
    /// For VC-JWTs (ES256).
    P256(p256::PublicKey),
}

/// A key as the caller's resolver knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedKey {
    pub key: PublicKey,
    /// Who the key belongs to, when the resolver knows (a controller document's `controller`):
    /// it must then be the credential's issuer.
    pub controller: Option<String>,
    /// When the key came into use, if known (our own issuer keys).
    pub valid_from: Option<DateTime<Utc>>,
    /// When the key was revoked, if it was and it is known.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ResolvedKey {
    /// A key with no owner or history known.
    pub fn new(key: PublicKey) -> Self {
        Self {
            key,
            controller: None,
            valid_from: None,
            revoked_at: None,
        }
    }
}

/// Finds keys by verification method id (a key's URL, a DID URL, a JWT `kid`).
pub trait KeyResolver {
    /// The key `verification_method` names, or None when this resolver does not know it (the
    /// verifier then tries what needs no network).
    fn resolve(&self, verification_method: &str) -> Option<ResolvedKey>;

    /// When our ledger recorded the issuance of the credential `credential_id`, if it did:
    /// what confirms that a credential signed with a since-revoked key was made before the
    /// revocation.
    fn issuance_recorded(&self, _credential_id: &str) -> Option<DateTime<Utc>> {
        None
    }
}

/// Answers for a `credentialStatus` entry (fetching and checking the list is the resolver's;
/// [`crate::status`] reads lists).
pub trait StatusResolver {
    fn status(&self, credential_id: Option<&str>, entry: &Value) -> StatusAnswer;
}

/// A resolver that knows nothing: only built-in key resolution, status unknown.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoResolver;

impl KeyResolver for NoResolver {
    fn resolve(&self, _verification_method: &str) -> Option<ResolvedKey> {
        None
    }
}

impl StatusResolver for NoResolver {
    fn status(&self, _credential_id: Option<&str>, _entry: &Value) -> StatusAnswer {
        StatusAnswer::Unknown {
            why: "no status service was given to this verifier".to_owned(),
        }
    }
}

/// What a verification needs from outside: the time, keys, status.
pub struct VerifyEnv<'a> {
    pub now: DateTime<Utc>,
    pub keys: &'a dyn KeyResolver,
    pub status: &'a dyn StatusResolver,
}

impl std::fmt::Debug for VerifyEnv<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("VerifyEnv")
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

/// An XSD dateTime with its time zone (VC 2.0's dateTimeStamp), as RFC 3339 reads it.
pub fn parse_date_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|date| date.with_timezone(&Utc))
}

fn fr_date(date: &DateTime<Utc>) -> String {
    date.format("%d/%m/%Y à %H:%M (UTC)").to_string()
}

fn en_date(date: &DateTime<Utc>) -> String {
    date.format("%Y-%m-%d at %H:%M UTC").to_string()
}

/// The checks as they are written, with their texts.
#[derive(Default)]
struct Checks(Vec<Check>);

impl Checks {
    fn push(
        &mut self,
        code: CheckCode,
        outcome: Outcome,
        fr: impl Into<String>,
        en: impl Into<String>,
    ) {
        self.0.push(Check {
            code,
            outcome,
            fr: fr.into(),
            en: en.into(),
        });
    }

    fn passed(&mut self, code: CheckCode, fr: impl Into<String>, en: impl Into<String>) {
        self.push(code, Outcome::Passed, fr, en);
    }

    fn failed(&mut self, code: CheckCode, fr: impl Into<String>, en: impl Into<String>) {
        self.push(code, Outcome::Failed, fr, en);
    }

    fn warning(&mut self, code: CheckCode, fr: impl Into<String>, en: impl Into<String>) {
        self.push(code, Outcome::Warning, fr, en);
    }

    fn skipped(&mut self, code: CheckCode, fr: impl Into<String>, en: impl Into<String>) {
        self.push(code, Outcome::Skipped, fr, en);
    }

    fn report(self) -> Report {
        Report::from_checks(self.0)
    }
}

fn too_large(size: usize) -> Report {
    let mut checks = Checks::default();
    checks.failed(
        CheckCode::TooLarge,
        format!(
            "Le document fait {size} octets ; ce vérificateur n'en lit pas plus de {MAX_INPUT_BYTES}. \
             Un badge normal est bien plus petit : ce document n'a pas été examiné."
        ),
        format!(
            "The document is {size} bytes long; this verifier reads at most {MAX_INPUT_BYTES}. \
             A normal badge is far smaller: the document was not examined."
        ),
    );
    checks.report()
}

fn too_deep() -> Report {
    let mut checks = Checks::default();
    checks.failed(
        CheckCode::TooDeep,
        format!(
            "Le document imbrique ses données sur plus de {MAX_JSON_DEPTH} niveaux ; un badge \
             normal en a une dizaine. Il n'a pas été examiné."
        ),
        format!(
            "The document nests its data more than {MAX_JSON_DEPTH} levels deep; a normal badge \
             has about ten. It was not examined."
        ),
    );
    checks.report()
}

/// The JSON depth of a value, counted without recursion (the value may be hostile), stopping
/// past the cap; and an estimate of its serialised size that never exceeds the real one.
fn depth_and_size(value: &Value) -> (usize, usize) {
    let mut deepest = 0;
    let mut size = 0;
    let mut stack = vec![(value, 1usize)];
    while let Some((value, depth)) = stack.pop() {
        deepest = deepest.max(depth);
        if deepest > MAX_JSON_DEPTH || size > MAX_INPUT_BYTES {
            break;
        }
        match value {
            Value::Array(items) => {
                size += 2 + items.len();
                stack.extend(items.iter().map(|item| (item, depth + 1)));
            }
            Value::Object(members) => {
                size += 2 + members.len();
                for (key, member) in members {
                    size += key.len() + 3;
                    stack.push((member, depth + 1));
                }
            }
            Value::String(text) => size += text.len() + 2,
            Value::Number(_) | Value::Bool(_) | Value::Null => size += 1,
        }
    }
    (deepest, size)
}

/// The nesting depth of JSON text, counted on the bytes before parsing (brackets outside
/// strings), so that a hostile document never reaches the parser's recursion.
fn text_depth(input: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &byte in input {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

fn looks_like_jwt(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 3
        && parts[..2].iter().all(|part| !part.is_empty())
        && parts.iter().all(|part| {
            part.bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
        })
}

/// Verifies what a user handed in: a credential as JSON, or a VC-JWT (compact JWS).
pub fn verify_input(input: &[u8], env: &VerifyEnv<'_>) -> Report {
    if input.len() > MAX_INPUT_BYTES {
        return too_large(input.len());
    }
    if text_depth(input) > MAX_JSON_DEPTH {
        return too_deep();
    }
    let text = std::str::from_utf8(input).map(str::trim);
    if let Ok(text) = text {
        if looks_like_jwt(text) {
            return verify_jwt(text, env);
        }
    }
    match serde_json::from_slice::<Value>(input) {
        Ok(value) => verify_credential(&value, env),
        Err(error) => {
            let mut checks = Checks::default();
            checks.failed(
                CheckCode::Json,
                format!(
                    "Ce n'est pas un badge lisible : ni un document JSON valide, ni un jeton JWT \
                     ({error})."
                ),
                format!("This is not a readable badge: neither valid JSON nor a JWT ({error})."),
            );
            checks.report()
        }
    }
}

/// Verifies a credential given as JSON, with its Data Integrity proofs.
pub fn verify_credential(input: &Value, env: &VerifyEnv<'_>) -> Report {
    let (depth, estimated_size) = depth_and_size(input);
    if depth > MAX_JSON_DEPTH {
        return too_deep();
    }
    if estimated_size > MAX_INPUT_BYTES {
        return too_large(estimated_size);
    }
    // The estimate is a lower bound; the exact size is cheap now that the value is known to be
    // small and shallow.
    let size = serde_json::to_vec(input).map_or(usize::MAX, |bytes| bytes.len());
    if size > MAX_INPUT_BYTES {
        return too_large(size);
    }
    let mut checks = Checks::default();
    let Value::Object(credential) = input else {
        checks.failed(
            CheckCode::Json,
            "Ce document n'est pas un badge : un badge est un objet JSON.",
            "This document is not a badge: a badge is a JSON object.",
        );
        return checks.report();
    };
    checks.passed(
        CheckCode::Json,
        "Le document est un objet JSON lisible.",
        "The document is a readable JSON object.",
    );
    let facts = check_structure(credential, &mut checks);
    check_data_integrity_proofs(credential, &facts, env, &mut checks);
    check_times(&facts, env, &mut checks);
    check_status(credential, env, &mut checks);
    checks.report()
}

/// Verifies a VC-JWT: the credential it carries, its ES256 signature, its claims.
pub fn verify_jwt(token: &str, env: &VerifyEnv<'_>) -> Report {
    if token.len() > MAX_INPUT_BYTES {
        return too_large(token.len());
    }
    let mut checks = Checks::default();
    let decoded = match jwt::decode_unverified(token) {
        Ok(decoded) => decoded,
        Err(error) => {
            checks.failed(
                CheckCode::Json,
                format!("Ce jeton JWT est illisible ({error})."),
                format!("This JWT cannot be read ({error})."),
            );
            return checks.report();
        }
    };
    if depth_and_size(&decoded.credential).0 > MAX_JSON_DEPTH {
        return too_deep();
    }
    let Value::Object(credential) = &decoded.credential else {
        checks.failed(
            CheckCode::Json,
            "Le jeton JWT ne contient pas de badge (objet JSON).",
            "The JWT does not carry a badge (a JSON object).",
        );
        return checks.report();
    };
    checks.passed(
        CheckCode::Json,
        "Le jeton JWT est lisible et contient un objet JSON.",
        "The JWT is readable and carries a JSON object.",
    );
    let mut facts = check_structure(credential, &mut checks);
    // An `exp` claim sets the end of validity when the credential has none (Open Badges 3.0,
    // "Verify a Credential VC-JWT Signature").
    if facts.valid_until.is_none() && !facts.valid_until_unreadable {
        facts.valid_until = decoded
            .date_claim("exp")
            .and_then(|seconds| DateTime::from_timestamp(seconds, 0));
    }
    check_jwt_signature(token, &decoded, &facts, env, &mut checks);
    check_jwt_claims(&decoded, &mut checks);
    check_times(&facts, env, &mut checks);
    check_status(credential, env, &mut checks);
    checks.report()
}

/// What the structural checks learn and the later ones need.
#[derive(Default)]
struct Facts {
    id: Option<String>,
    issuer_id: Option<String>,
    /// Every context is one this verifier holds: the proof can be checked offline.
    contexts_known: bool,
    valid_from: Option<DateTime<Utc>>,
    valid_until: Option<DateTime<Utc>>,
    /// validUntil (or expirationDate) is there but unreadable.
    valid_until_unreadable: bool,
}

fn types_of(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(kind)) => vec![kind.as_str()],
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Achievement,
    Endorsement,
}

fn check_structure(credential: &Map<String, Value>, checks: &mut Checks) -> Facts {
    let mut facts = Facts {
        id: credential
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_owned),
        ..Facts::default()
    };
    facts.contexts_known = check_context(credential, checks);
    check_undefined_terms(credential, facts.contexts_known, checks);
    let kind = check_type(credential, checks);
    facts.issuer_id = check_issuer(credential, checks);
    check_valid_from(credential, &mut facts, checks);
    check_subject(credential, kind, checks);
    check_achievement(credential, kind, checks);
    check_evidence(credential, checks);
    facts
}

fn check_context(credential: &Map<String, Value>, checks: &mut Checks) -> bool {
    let contexts: Vec<&Value> = match credential.get("@context") {
        Some(Value::Array(contexts)) => contexts.iter().collect(),
        Some(context @ Value::String(_)) => vec![context],
        _ => {
            checks.failed(
                CheckCode::Context,
                "Le badge ne déclare pas son vocabulaire (@context) : ce n'est pas un badge Open \
                 Badges 3.0.",
                "The badge does not declare its vocabulary (@context): it is not an Open Badges \
                 3.0 badge.",
            );
            return false;
        }
    };
    let Some(urls) = contexts
        .iter()
        .map(|context| context.as_str())
        .collect::<Option<Vec<&str>>>()
    else {
        checks.failed(
            CheckCode::Context,
            "Le badge définit lui-même une partie de son vocabulaire (contexte embarqué) ; ce \
             vérificateur n'accepte que les vocabulaires publiés qu'il connaît.",
            "The badge defines part of its vocabulary itself (an embedded context); this \
             verifier accepts only the published vocabularies it knows.",
        );
        return false;
    };
    let mut unknown: Vec<&str> = urls
        .iter()
        .copied()
        .filter(|url| !ACCEPTED_CONTEXTS.contains(url))
        .collect();
    // Embedded credentials (endorsements) carry their own `@context`: the same published ones
    // only, since a nested context could otherwise redefine or drop terms under the signature.
    match nested_contexts(credential) {
        Ok(nested) => {
            for url in nested {
                if !ACCEPTED_CONTEXTS.contains(&url) && !unknown.contains(&url) {
                    unknown.push(url);
                }
            }
        }
        Err(()) => {
            checks.failed(
                CheckCode::Context,
                "Une partie du badge définit elle-même son vocabulaire (contexte embarqué) ; ce \
                 vérificateur n'accepte que les vocabulaires publiés qu'il connaît.",
                "Part of the badge defines its vocabulary itself (an embedded context); this \
                 verifier accepts only the published vocabularies it knows.",
            );
            return false;
        }
    }
    if urls.contains(&VC_V1_CONTEXT) {
        checks.failed(
            CheckCode::Context,
            "Le badge suit l'ancien modèle des attestations vérifiables (VC 1.1, 2018) ; Open \
             Badges 3.0 exige le modèle VC 2.0. Sa signature ne peut pas être vérifiée ici.",
            "The badge follows the older Verifiable Credentials model (VC 1.1, 2018); Open \
             Badges 3.0 requires VC 2.0. Its signature cannot be checked here.",
        );
    } else if urls.first() != Some(&VC_V2_CONTEXT) {
        checks.failed(
            CheckCode::Context,
            "Le badge ne commence pas par le vocabulaire des attestations vérifiables (VC 2.0), \
             comme Open Badges 3.0 l'exige.",
            "The badge does not start with the Verifiable Credentials 2.0 vocabulary, as Open \
             Badges 3.0 requires.",
        );
    } else if !urls
        .get(1)
        .is_some_and(|url| url.starts_with(OB_CONTEXT_PREFIX) && url.ends_with(".json"))
    {
        checks.failed(
            CheckCode::Context,
            "Le badge ne déclare pas le vocabulaire Open Badges 3.0 en deuxième position.",
            "The badge does not declare the Open Badges 3.0 vocabulary in second position.",
        );
    } else if !unknown.is_empty() {
        checks.failed(
            CheckCode::Context,
            format!(
                "Le badge utilise un vocabulaire que ce vérificateur ne détient pas ({}) ; il ne \
                 va rien chercher sur le réseau, donc la signature ne peut pas être vérifiée.",
                unknown.join(", ")
            ),
            format!(
                "The badge uses a vocabulary this verifier does not hold ({}); it fetches \
                 nothing from the network, so the signature cannot be checked.",
                unknown.join(", ")
            ),
        );
    } else {
        checks.passed(
            CheckCode::Context,
            "Le badge utilise les vocabulaires publiés d'Open Badges 3.0 et des attestations \
             vérifiables 2.0.",
            "The badge uses the published vocabularies of Open Badges 3.0 and Verifiable \
             Credentials 2.0.",
        );
    }
    unknown.is_empty()
}

/// The contexts named below the top level, or Err when one is not a list of URLs.
fn nested_contexts(credential: &Map<String, Value>) -> Result<Vec<&str>, ()> {
    let mut urls = Vec::new();
    let mut stack: Vec<&Value> = credential
        .iter()
        .filter(|(key, _)| key.as_str() != "@context")
        .map(|(_, value)| value)
        .collect();
    while let Some(value) = stack.pop() {
        match value {
            Value::Array(items) => stack.extend(items),
            Value::Object(members) => {
                for (key, member) in members {
                    if key == "@context" {
                        match member {
                            Value::String(url) => urls.push(url.as_str()),
                            Value::Array(items) => {
                                for item in items {
                                    urls.push(item.as_str().ok_or(())?);
                                }
                            }
                            _ => return Err(()),
                        }
                    } else {
                        stack.push(member);
                    }
                }
            }
            _ => {}
        }
    }
    Ok(urls)
}

fn check_undefined_terms(
    credential: &Map<String, Value>,
    contexts_known: bool,
    checks: &mut Checks,
) {
    if !contexts_known {
        checks.skipped(
            CheckCode::UndefinedTerms,
            "Non vérifié : le vocabulaire du badge n'est pas entièrement connu (voir le contrôle \
             du contexte).",
            "Not checked: the badge's vocabulary is not entirely known (see the context check).",
        );
        return;
    }
    // The proofs are not part of what is signed (each proof signs its own options): an unknown
    // kind of proof with undefined terms says nothing about the credential.
    let mut document = credential.clone();
    document.remove("proof");
    match crate::canonical::undefined_terms(&Value::Object(document)) {
        Ok(terms) if terms.is_empty() => checks.passed(
            CheckCode::UndefinedTerms,
            "Chaque information du badge est définie par son vocabulaire, donc couverte par sa \
             signature.",
            "Every statement of the badge is defined by its vocabulary, so covered by its \
             signature.",
        ),
        Ok(terms) => checks.failed(
            CheckCode::UndefinedTerms,
            format!(
                "Le badge contient des informations que son vocabulaire ne définit pas ({}) : \
                 elles ne sont pas couvertes par la signature et ont pu être ajoutées ou \
                 modifiées par n'importe qui.",
                terms.join(", ")
            ),
            format!(
                "The badge contains statements its vocabulary does not define ({}): they are \
                 not covered by the signature and may have been added or changed by anyone.",
                terms.join(", ")
            ),
        ),
        Err(error) => checks.failed(
            CheckCode::UndefinedTerms,
            format!("Le badge n'est pas un document JSON-LD valide ({error})."),
            format!("The badge is not a valid JSON-LD document ({error})."),
        ),
    }
}

fn check_type(credential: &Map<String, Value>, checks: &mut Checks) -> Option<Kind> {
    let types = types_of(credential.get("type"));
    let kind = if types.contains(&"EndorsementCredential") {
        Some(Kind::Endorsement)
    } else if types.contains(&"OpenBadgeCredential") || types.contains(&"AchievementCredential") {
        Some(Kind::Achievement)
    } else {
        None
    };
    match (types.contains(&"VerifiableCredential"), kind) {
        (true, Some(Kind::Achievement)) => checks.passed(
            CheckCode::Type,
            "Le document se présente comme un badge Open Badges (attestation de réussite).",
            "The document presents itself as an Open Badge (an achievement credential).",
        ),
        (true, Some(Kind::Endorsement)) => checks.passed(
            CheckCode::Type,
            "Le document se présente comme une recommandation Open Badges (endorsement).",
            "The document presents itself as an Open Badges endorsement.",
        ),
        _ => checks.failed(
            CheckCode::Type,
            format!(
                "Le document ne se présente pas comme un badge Open Badges (types : {}).",
                if types.is_empty() {
                    "aucun".to_owned()
                } else {
                    types.join(", ")
                }
            ),
            format!(
                "The document does not present itself as an Open Badge (types: {}).",
                if types.is_empty() {
                    "none".to_owned()
                } else {
                    types.join(", ")
                }
            ),
        ),
    }
    kind
}

fn is_uri(text: &str) -> bool {
    text.split_once(':')
        .is_some_and(|(scheme, rest)| !scheme.is_empty() && !rest.is_empty())
}

fn check_issuer(credential: &Map<String, Value>, checks: &mut Checks) -> Option<String> {
    let (id, is_profile) = match credential.get("issuer") {
        None => {
            checks.failed(
                CheckCode::Issuer,
                "Le badge ne dit pas qui l'a délivré (pas d'émetteur).",
                "The badge does not say who issued it (no issuer).",
            );
            return None;
        }
        Some(Value::String(id)) => (Some(id.as_str()), true),
        Some(Value::Object(profile)) => (
            profile.get("id").and_then(Value::as_str),
            types_of(profile.get("type")).contains(&"Profile"),
        ),
        Some(_) => (None, false),
    };
    match id {
        Some(id) if is_uri(id) && is_profile => {
            let name = credential
                .get("issuer")
                .and_then(|issuer| issuer.get("name"))
                .and_then(Value::as_str);
            checks.passed(
                CheckCode::Issuer,
                match name {
                    Some(name) => format!("Le badge est délivré par « {name} » ({id})."),
                    None => format!("Le badge est délivré par {id}."),
                },
                match name {
                    Some(name) => format!("The badge is issued by \"{name}\" ({id})."),
                    None => format!("The badge is issued by {id}."),
                },
            );
            Some(id.to_owned())
        }
        Some(id) if is_uri(id) => {
            checks.failed(
                CheckCode::Issuer,
                "L'émetteur du badge n'est pas décrit comme un profil (type Profile).",
                "The badge's issuer is not described as a profile (type Profile).",
            );
            Some(id.to_owned())
        }
        _ => {
            checks.failed(
                CheckCode::Issuer,
                "L'émetteur du badge n'a pas d'identifiant (une adresse web ou un DID).",
                "The badge's issuer has no identifier (a web address or a DID).",
            );
            None
        }
    }
}

fn check_valid_from(credential: &Map<String, Value>, facts: &mut Facts, checks: &mut Checks) {
    let date = |field: &str| credential.get(field).and_then(Value::as_str);
    match (date("validFrom"), date("issuanceDate")) {
        (Some(text), _) => match parse_date_time(text) {
            Some(valid_from) => {
                facts.valid_from = Some(valid_from);
                checks.passed(
                    CheckCode::ValidFrom,
                    format!(
                        "Le badge est daté : valable à partir du {}.",
                        fr_date(&valid_from)
                    ),
                    format!("The badge is dated: valid from {}.", en_date(&valid_from)),
                );
            }
            None => checks.failed(
                CheckCode::ValidFrom,
                format!("La date de début de validité du badge est illisible (« {text} »)."),
                format!("The badge's start-of-validity date cannot be read (\"{text}\")."),
            ),
        },
        (None, Some(text)) => match parse_date_time(text) {
            Some(issued) => {
                facts.valid_from = Some(issued);
                checks.warning(
                    CheckCode::ValidFrom,
                    format!(
                        "Le badge est daté du {} selon l'ancien modèle (issuanceDate, VC 1.1) \
                         au lieu de validFrom.",
                        fr_date(&issued)
                    ),
                    format!(
                        "The badge is dated {} the older way (issuanceDate, VC 1.1) instead of \
                         validFrom.",
                        en_date(&issued)
                    ),
                );
            }
            None => checks.failed(
                CheckCode::ValidFrom,
                format!("La date d'émission du badge est illisible (« {text} »)."),
                format!("The badge's issue date cannot be read (\"{text}\")."),
            ),
        },
        (None, None) => checks.failed(
            CheckCode::ValidFrom,
            "Le badge ne porte pas de date de début de validité (validFrom).",
            "The badge carries no start-of-validity date (validFrom).",
        ),
    }
    if let Some(text) = date("validUntil").or_else(|| date("expirationDate")) {
        match parse_date_time(text) {
            Some(until) => facts.valid_until = Some(until),
            None => facts.valid_until_unreadable = true,
        }
    }
}

fn check_subject(credential: &Map<String, Value>, kind: Option<Kind>, checks: &mut Checks) {
    let Some(Value::Object(subject)) = credential.get("credentialSubject") else {
        checks.failed(
            CheckCode::CredentialSubject,
            "Le badge ne dit pas qui l'a obtenu (pas de titulaire unique, credentialSubject).",
            "The badge does not say who earned it (no single holder, credentialSubject).",
        );
        return;
    };
    let types = types_of(subject.get("type"));
    let (wanted, fr_kind, en_kind) = match kind {
        Some(Kind::Endorsement) => ("EndorsementSubject", "recommandation", "endorsement"),
        _ => ("AchievementSubject", "réussite", "achievement"),
    };
    let has_id = subject.get("id").and_then(Value::as_str).is_some();
    let has_identifier = subject
        .get("identifier")
        .is_some_and(|identifier| !matches!(identifier, Value::Array(items) if items.is_empty()));
    if !types.contains(&wanted) {
        checks.failed(
            CheckCode::CredentialSubject,
            format!(
                "Le titulaire du badge n'est pas décrit comme le sujet d'une {fr_kind} (type {wanted} \
                 attendu, trouvé : {}).",
                types.join(", ")
            ),
            format!(
                "The badge's holder is not described as the subject of an {en_kind} ({wanted} \
                 expected, found: {}).",
                types.join(", ")
            ),
        );
    } else if !has_id && (kind == Some(Kind::Endorsement) || !has_identifier) {
        checks.failed(
            CheckCode::CredentialSubject,
            "Le badge ne permet pas d'identifier son titulaire (ni id, ni identifier).",
            "The badge gives no way to identify its holder (neither id nor identifier).",
        );
    } else {
        checks.passed(
            CheckCode::CredentialSubject,
            "Le badge désigne son titulaire.",
            "The badge names its holder.",
        );
    }
}

fn check_achievement(credential: &Map<String, Value>, kind: Option<Kind>, checks: &mut Checks) {
    if kind == Some(Kind::Endorsement) {
        checks.skipped(
            CheckCode::Achievement,
            "Une recommandation ne décrit pas de réussite : rien à vérifier ici.",
            "An endorsement describes no achievement: nothing to check here.",
        );
        return;
    }
    let Some(achievement) = credential
        .get("credentialSubject")
        .and_then(|subject| subject.get("achievement"))
        .and_then(Value::as_object)
    else {
        checks.failed(
            CheckCode::Achievement,
            "Le badge ne décrit pas ce qui a été réussi (pas de réussite, achievement).",
            "The badge does not describe what was achieved (no achievement).",
        );
        return;
    };
    let mut missing = Vec::new();
    for field in ["id", "name", "description"] {
        if achievement.get(field).and_then(Value::as_str).is_none() {
            missing.push(field);
        }
    }
    if !types_of(achievement.get("type")).contains(&"Achievement") {
        missing.push("type Achievement");
    }
    let criteria_ok = achievement.get("criteria").is_some_and(|criteria| {
        criteria.get("id").and_then(Value::as_str).is_some()
            || criteria.get("narrative").and_then(Value::as_str).is_some()
    });
    if !criteria_ok {
        missing.push("criteria");
    }
    if missing.is_empty() {
        let name = achievement["name"].as_str().unwrap_or_default();
        checks.passed(
            CheckCode::Achievement,
            format!("Le badge décrit la réussite « {name} » et ses critères."),
            format!("The badge describes the achievement \"{name}\" and its criteria."),
        );
    } else {
        checks.failed(
            CheckCode::Achievement,
            format!(
                "La description de la réussite est incomplète (manque : {}).",
                missing.join(", ")
            ),
            format!(
                "The achievement's description is incomplete (missing: {}).",
                missing.join(", ")
            ),
        );
    }
}

fn check_evidence(credential: &Map<String, Value>, checks: &mut Checks) {
    let items: Vec<&Value> = match credential.get("evidence") {
        None => {
            checks.skipped(
                CheckCode::Evidence,
                "Le badge ne joint pas de pièce justificative de la réussite.",
                "The badge attaches no evidence of the achievement.",
            );
            return;
        }
        Some(Value::Array(items)) => items.iter().collect(),
        Some(item) => vec![item],
    };
    let wrong: Vec<String> = items
        .iter()
        .enumerate()
        .filter(|(_, item)| !types_of(item.get("type")).contains(&"Evidence"))
        .map(|(position, item)| {
            format!(
                "{} ({})",
                position + 1,
                types_of(item.get("type")).join(", ")
            )
        })
        .collect();
    if wrong.is_empty() {
        checks.passed(
            CheckCode::Evidence,
            format!("Le badge joint {} pièce(s) justificative(s).", items.len()),
            format!("The badge attaches {} piece(s) of evidence.", items.len()),
        );
    } else {
        checks.failed(
            CheckCode::Evidence,
            format!(
                "Des pièces justificatives ne sont pas décrites comme telles (type Evidence \
                 attendu) : n° {}.",
                wrong.join(", ")
            ),
            format!(
                "Some pieces of evidence are not described as such (type Evidence expected): \
                 no. {}.",
                wrong.join(", ")
            ),
        );
    }
}

/// A key found for a verification method, and whether it is shown to be the issuer's.
struct FoundKey {
    resolved: ResolvedKey,
    bound_to_issuer: bool,
}

/// Why no usable key was found, for the reader.
struct NoKey {
    fr: String,
    en: String,
}

/// Whether `address` (an http(s) URL, maybe with a fragment) lies under `owner`'s address:
/// `owner` itself then `/` or `#`, and no path step that a client would resolve elsewhere
/// (`..`, `.` or their percent-encoded forms, a backslash).
pub fn published_under(address: &str, owner: &str) -> bool {
    let web = |text: &str| text.starts_with("https://") || text.starts_with("http://");
    let Some(rest) = address.strip_prefix(owner) else {
        return false;
    };
    let lowered = rest.to_ascii_lowercase();
    web(address)
        && web(owner)
        && (rest.starts_with('/') || rest.starts_with('#'))
        && !lowered.contains("%2e")
        && !rest.contains('\\')
        && !rest
            .split(['/', '#', '?'])
            .any(|step| step == ".." || step == ".")
}

/// Resolution: the caller's resolver, then `did:key`, then the `<issuer>#<multikey>`
/// convention. Nothing touches the network.
fn find_key(method: &str, issuer_id: Option<&str>, env: &VerifyEnv<'_>) -> Result<FoundKey, NoKey> {
    if let Some(resolved) = env.keys.resolve(method) {
        // A key a resolver found with no owner (a bare JWK fetched from its URL) speaks for
        // the issuer only when the issuer published it: an http(s) address under the issuer's
        // own. Anything else (a DID, another site, no issuer at all) binds it to nobody.
        if resolved.controller.is_none() {
            let bound = issuer_id.is_some_and(|issuer| published_under(method, issuer));
            if !bound {
                let issuer = issuer_id.unwrap_or("?");
                return Err(NoKey {
                    fr: format!(
                        "La clé « {method} » n'est pas publiée sous l'adresse de l'émetteur \
                         ({issuer}) : rien ne montre qu'elle est la sienne."
                    ),
                    en: format!(
                        "The key \"{method}\" is not published under the issuer's address \
                         ({issuer}): nothing shows it is the issuer's."
                    ),
                });
            }
        }
        if let (Some(controller), Some(issuer)) = (&resolved.controller, issuer_id) {
            if controller != issuer {
                return Err(NoKey {
                    fr: format!(
                        "La clé de signature appartient à {controller}, pas à l'émetteur du badge \
                         ({issuer})."
                    ),
                    en: format!(
                        "The signing key belongs to {controller}, not to the badge's issuer \
                         ({issuer})."
                    ),
                });
            }
        }
        return Ok(FoundKey {
            resolved,
            bound_to_issuer: true,
        });
    }
    if let Some(rest) = method.strip_prefix("did:key:") {
        let (key_text, fragment) = rest.split_once('#').unwrap_or((rest, rest));
        let key = crate::multikey::decode(key_text)
            .ok()
            .filter(|_| fragment == key_text)
            .ok_or_else(|| NoKey {
                fr: format!("L'identifiant de clé « {method} » n'est pas une clé Ed25519 valide."),
                en: format!("The key identifier \"{method}\" is not a valid Ed25519 key."),
            })?;
        let did = format!("did:key:{key_text}");
        return Ok(FoundKey {
            resolved: ResolvedKey {
                controller: Some(did.clone()),
                ..ResolvedKey::new(PublicKey::Ed25519(key))
            },
            bound_to_issuer: issuer_id == Some(did.as_str()),
        });
    }
    if let Some(rest) = method.strip_prefix("did:") {
        let did_method = rest.split(':').next().unwrap_or_default();
        return Err(NoKey {
            fr: format!(
                "La clé est désignée par un identifiant décentralisé de type « did:{did_method} » \
                 que ce vérificateur ne sait pas résoudre sans aller sur le réseau."
            ),
            en: format!(
                "The key is named by a \"did:{did_method}\" decentralised identifier, which this \
                 verifier cannot resolve without going to the network."
            ),
        });
    }
    if let Some((base, fragment)) = method.split_once('#') {
        if fragment.starts_with('z') {
            let key = crate::multikey::decode(fragment).map_err(|error| NoKey {
                fr: format!(
                    "La clé indiquée dans l'adresse « {method} » n'est pas une clé Ed25519 valide \
                     ({error})."
                ),
                en: format!(
                    "The key given in the address \"{method}\" is not a valid Ed25519 key \
                     ({error})."
                ),
            })?;
            return match issuer_id {
                Some(issuer) if issuer == base => Ok(FoundKey {
                    resolved: ResolvedKey {
                        controller: Some(base.to_owned()),
                        ..ResolvedKey::new(PublicKey::Ed25519(key))
                    },
                    bound_to_issuer: true,
                }),
                Some(issuer) => Err(NoKey {
                    fr: format!(
                        "La clé est publiée sous l'adresse {base}, qui n'est pas celle de \
                         l'émetteur ({issuer})."
                    ),
                    en: format!(
                        "The key is published under {base}, which is not the issuer's address \
                         ({issuer})."
                    ),
                }),
                None => Err(NoKey {
                    fr: "Sans émetteur, rien ne permet de dire à qui appartient la clé de \
                         signature."
                        .to_owned(),
                    en: "With no issuer, nothing tells whom the signing key belongs to.".to_owned(),
                }),
            };
        }
    }
    Err(NoKey {
        fr: format!(
            "La clé « {method} » est inconnue de ce vérificateur, qui ne va pas la chercher sur \
             le réseau."
        ),
        en: format!(
            "The key \"{method}\" is unknown to this verifier, which does not fetch it from the \
             network."
        ),
    })
}

/// The worst of several outcomes with its texts: failed, then warning, then passed, then
/// skipped; the first text of the worst kind is kept.
fn worst(results: Vec<(Outcome, String, String)>) -> Option<(Outcome, String, String)> {
    let rank = |outcome: Outcome| match outcome {
        Outcome::Failed => 3,
        Outcome::Warning => 2,
        Outcome::Passed => 1,
        Outcome::Skipped => 0,
    };
    let highest = results.iter().map(|(outcome, _, _)| rank(*outcome)).max()?;
    results
        .into_iter()
        .find(|(outcome, _, _)| rank(*outcome) == highest)
}

fn push_worst(checks: &mut Checks, code: CheckCode, results: Vec<(Outcome, String, String)>) {
    if let Some((outcome, fr, en)) = worst(results) {
        checks.push(code, outcome, fr, en);
    }
}

fn skip_signature_checks(checks: &mut Checks, fr: &str, en: &str) {
    for code in [
        CheckCode::ProofMethod,
        CheckCode::Proof,
        CheckCode::KeyValidAtSigning,
    ] {
        checks.skipped(code, fr, en);
    }
}

fn check_data_integrity_proofs(
    credential: &Map<String, Value>,
    facts: &Facts,
    env: &VerifyEnv<'_>,
    checks: &mut Checks,
) {
    let proofs: Vec<&Value> = match credential.get("proof") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(proofs)) => proofs.iter().collect(),
        Some(proof) => vec![proof],
    };
    if proofs.is_empty() {
        checks.skipped(
            CheckCode::ProofMethod,
            "Pas de signature, donc pas de clé à chercher.",
            "No signature, so no key to look for.",
        );
        checks.failed(
            CheckCode::Proof,
            "Le badge n'est pas signé : rien ne garantit qui l'a émis ni qu'il n'a pas été \
             modifié.",
            "The badge is not signed: nothing shows who issued it or that it was not changed.",
        );
        checks.skipped(
            CheckCode::KeyValidAtSigning,
            "Pas de signature, donc pas de clé à dater.",
            "No signature, so no key to date.",
        );
        return;
    }
    if proofs.len() > MAX_PROOFS {
        checks.failed(
            CheckCode::TooComplex,
            format!(
                "Le badge porte {} signatures ; ce vérificateur en examine au plus {MAX_PROOFS}.",
                proofs.len()
            ),
            format!(
                "The badge carries {} signatures; this verifier examines at most {MAX_PROOFS}.",
                proofs.len()
            ),
        );
        skip_signature_checks(
            checks,
            "Non vérifié : trop de signatures.",
            "Not checked: too many signatures.",
        );
        return;
    }
    if !facts.contexts_known {
        skip_signature_checks(
            checks,
            "Non vérifié : la signature porte sur un vocabulaire que ce vérificateur ne détient \
             pas (voir le contrôle du contexte).",
            "Not checked: the signature covers a vocabulary this verifier does not hold (see the \
             context check).",
        );
        return;
    }
    let is_checkable = |proof: &Value| {
        proof.get("type").and_then(Value::as_str) == Some(PROOF_TYPE)
            && matches!(
                proof.get("cryptosuite").and_then(Value::as_str),
                Some(CRYPTOSUITE | DRAFT_CRYPTOSUITE)
            )
    };
    let others: Vec<String> = proofs
        .iter()
        .filter(|proof| !is_checkable(proof))
        .map(|proof| {
            let field = |name: &str| proof.get(name).and_then(Value::as_str).unwrap_or("-");
            format!("{} {}", field("type"), field("cryptosuite"))
        })
        .collect();
    let checkable: Vec<&Map<String, Value>> = proofs
        .iter()
        .filter(|proof| is_checkable(proof))
        .filter_map(|proof| proof.as_object())
        .collect();
    if checkable.is_empty() {
        checks.skipped(
            CheckCode::ProofMethod,
            "Aucune signature d'un type connu, donc pas de clé à chercher.",
            "No signature of a known kind, so no key to look for.",
        );
        checks.failed(
            CheckCode::Proof,
            format!(
                "Le badge n'est signé que d'une façon que ce vérificateur ne sait pas contrôler \
                 ({}) ; il accepte les signatures DataIntegrityProof eddsa-rdfc-2022.",
                others.join(", ")
            ),
            format!(
                "The badge is signed only in a way this verifier cannot check ({}); it accepts \
                 DataIntegrityProof eddsa-rdfc-2022 signatures.",
                others.join(", ")
            ),
        );
        checks.skipped(
            CheckCode::KeyValidAtSigning,
            "Aucune signature vérifiable, donc pas de clé à dater.",
            "No signature that can be checked, so no key to date.",
        );
        return;
    }
    let mut document = credential.clone();
    document.remove("proof");
    let document = Value::Object(document);

    let mut method_results = Vec::new();
    let mut proof_results = Vec::new();
    let mut key_results = Vec::new();
    let mut too_complex = None;
    for proof in checkable {
        let method = proof
            .get("verificationMethod")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let found = match find_key(method, facts.issuer_id.as_deref(), env) {
            Ok(found) => found,
            Err(NoKey { fr, en }) => {
                method_results.push((Outcome::Failed, fr, en));
                proof_results.push((
                    Outcome::Skipped,
                    "Signature non vérifiée : sa clé n'a pas été trouvée.".to_owned(),
                    "Signature not checked: its key was not found.".to_owned(),
                ));
                continue;
            }
        };
        let PublicKey::Ed25519(key) = &found.resolved.key else {
            method_results.push((
                Outcome::Failed,
                "La clé trouvée n'est pas une clé Ed25519, celle qu'exige ce type de signature."
                    .to_owned(),
                "The key found is not an Ed25519 key, which this kind of signature requires."
                    .to_owned(),
            ));
            continue;
        };
        method_results.push(if found.bound_to_issuer {
            (
                Outcome::Passed,
                "La clé de signature a été trouvée et appartient à l'émetteur.".to_owned(),
                "The signing key was found and belongs to the issuer.".to_owned(),
            )
        } else {
            (
                Outcome::Warning,
                format!(
                    "La clé de signature ({method}) est valide, mais rien ne la rattache à \
                     l'émetteur annoncé : la signature prouve qui détient la clé, pas qui est \
                     l'émetteur."
                ),
                format!(
                    "The signing key ({method}) is valid, but nothing ties it to the stated \
                     issuer: the signature proves who holds the key, not who the issuer is."
                ),
            )
        });
        let created = match proof
            .get("created")
            .map(|created| created.as_str().and_then(parse_date_time))
        {
            None => None,
            Some(Some(created)) => Some(created),
            Some(None) => {
                proof_results.push((
                    Outcome::Failed,
                    "La date de la signature est illisible.".to_owned(),
                    "The signature's date cannot be read.".to_owned(),
                ));
                continue;
            }
        };
        match data_integrity::verify_proof(&document, proof, key) {
            Ok(())
                if proof.get("proofPurpose").and_then(Value::as_str) != Some("assertionMethod") =>
            {
                proof_results.push((
                    Outcome::Failed,
                    "La signature n'a pas été faite pour attester un badge (proofPurpose \
                     assertionMethod attendu)."
                        .to_owned(),
                    "The signature was not made to assert a badge (proofPurpose assertionMethod \
                     expected)."
                        .to_owned(),
                ));
            }
            Ok(()) => {
                proof_results.push(
                    if proof.get("cryptosuite").and_then(Value::as_str) == Some(DRAFT_CRYPTOSUITE) {
                        (
                            Outcome::Warning,
                            "La signature est valide, mais elle porte l'ancien nom de sa méthode \
                             (eddsa-2022, version de travail devenue eddsa-rdfc-2022)."
                                .to_owned(),
                            "The signature is valid, but it carries its method's draft name \
                             (eddsa-2022, since renamed eddsa-rdfc-2022)."
                                .to_owned(),
                        )
                    } else {
                        (
                            Outcome::Passed,
                            "La signature est valide : le badge est bien celui qui a été signé, \
                             sans aucune modification."
                                .to_owned(),
                            "The signature is valid: the badge is exactly what was signed, \
                             unchanged."
                                .to_owned(),
                        )
                    },
                );
                key_results.push(key_validity(&found.resolved, created, facts, env));
            }
            Err(ProofError::Canonical(
                error @ (CanonicalError::TooComplex(_)
                | CanonicalError::TooAmbiguous(_)
                | CanonicalError::TooLong(_)),
            )) => {
                too_complex = Some(error.to_string());
                proof_results.push((
                    Outcome::Skipped,
                    "Signature non vérifiée : le document est trop complexe à examiner.".to_owned(),
                    "Signature not checked: the document is too complex to examine.".to_owned(),
                ));
            }
            Err(ProofError::SignatureMismatch) => proof_results.push((
                Outcome::Failed,
                "La signature ne correspond pas : le badge a été modifié après sa signature, ou \
                 signé avec une autre clé."
                    .to_owned(),
                "The signature does not match: the badge was changed after it was signed, or \
                 signed with another key."
                    .to_owned(),
            )),
            Err(ProofError::MalformedProofValue) => proof_results.push((
                Outcome::Failed,
                "La valeur de la signature est illisible.".to_owned(),
                "The signature's value cannot be read.".to_owned(),
            )),
            Err(error) => proof_results.push((
                Outcome::Failed,
                format!("La signature n'a pas pu être vérifiée ({error})."),
                format!("The signature could not be checked ({error})."),
            )),
        }
    }
    if let Some(reason) = too_complex {
        checks.failed(
            CheckCode::TooComplex,
            "Le document est construit de telle façon que sa vérification demanderait un \
             travail démesuré ; il est refusé. Un badge normal n'a pas cette forme.",
            format!(
                "The document is built so that checking it would take unbounded work ({reason}); \
                 it is refused. A normal badge does not have this shape."
            ),
        );
    }
    let all_checked_good = proof_results
        .iter()
        .all(|(outcome, _, _)| matches!(outcome, Outcome::Passed | Outcome::Warning));
    if !others.is_empty() && all_checked_good {
        proof_results.push((
            Outcome::Warning,
            format!(
                "Les signatures que ce vérificateur sait contrôler sont valides ; le badge porte \
                 aussi une signature d'un autre type ({}), qui n'a pas été contrôlée.",
                others.join(", ")
            ),
            format!(
                "The signatures this verifier can check are valid; the badge also carries a \
                 signature of another kind ({}), which was not checked.",
                others.join(", ")
            ),
        ));
    }
    push_worst(checks, CheckCode::ProofMethod, method_results);
    push_worst(checks, CheckCode::Proof, proof_results);
    if key_results.is_empty() {
        checks.skipped(
            CheckCode::KeyValidAtSigning,
            "Pas de signature valide, donc pas de clé à dater.",
            "No valid signature, so no key to date.",
        );
    } else {
        push_worst(checks, CheckCode::KeyValidAtSigning, key_results);
    }
}

/// The rule of the module's documentation: a revoked key fails proofs dated at or after its
/// revocation; a proof dated before passes when the ledger confirms the issuance, and warns
/// otherwise (the date is the signer's claim).
fn key_validity(
    key: &ResolvedKey,
    signed_at: Option<DateTime<Utc>>,
    facts: &Facts,
    env: &VerifyEnv<'_>,
) -> (Outcome, String, String) {
    if key.valid_from.is_none() && key.revoked_at.is_none() {
        return (
            Outcome::Skipped,
            "Aucun historique n'est connu pour cette clé (clé d'un autre émetteur) : on ne peut \
             pas dire si elle avait été révoquée."
                .to_owned(),
            "No history is known for this key (another issuer's key): whether it had been \
             revoked cannot be told."
                .to_owned(),
        );
    }
    let Some(signed_at) = signed_at else {
        return if let Some(revoked_at) = key.revoked_at {
            (
                Outcome::Failed,
                format!(
                    "La clé a été révoquée le {} et la signature n'est pas datée : rien ne montre \
                     qu'elle est antérieure.",
                    fr_date(&revoked_at)
                ),
                format!(
                    "The key was revoked on {} and the signature is not dated: nothing shows it \
                     came before.",
                    en_date(&revoked_at)
                ),
            )
        } else {
            (
                Outcome::Passed,
                "La clé de signature est en service et n'a pas été révoquée.".to_owned(),
                "The signing key is in service and has not been revoked.".to_owned(),
            )
        };
    };
    // Proofs are dated to the second; key events to the microsecond. A key activated at
    // 10:00:00.4 signs a proof dated 10:00:00 in the same second: compare whole seconds. (A
    // revocation is compared the same way, which fails a proof of that second: the safe side.)
    use chrono::SubsecRound as _;
    if let Some(valid_from) = key.valid_from.map(|instant| instant.trunc_subsecs(0)) {
        if signed_at < valid_from {
            return (
                Outcome::Failed,
                format!(
                    "La signature se dit faite le {}, avant la mise en service de la clé ({}).",
                    fr_date(&signed_at),
                    fr_date(&valid_from)
                ),
                format!(
                    "The signature claims to be made on {}, before the key came into service \
                     ({}).",
                    en_date(&signed_at),
                    en_date(&valid_from)
                ),
            );
        }
    }
    let Some(revoked_at) = key.revoked_at else {
        return (
            Outcome::Passed,
            "La clé de signature était en service à la date de la signature et n'a pas été \
             révoquée."
                .to_owned(),
            "The signing key was in service when the badge was signed and has not been revoked."
                .to_owned(),
        );
    };
    if signed_at >= revoked_at.trunc_subsecs(0) {
        return (
            Outcome::Failed,
            format!(
                "La signature est datée du {}, après la révocation de la clé le {} : le badge ne \
                 peut pas avoir été émis par son émetteur légitime.",
                fr_date(&signed_at),
                fr_date(&revoked_at)
            ),
            format!(
                "The signature is dated {}, after the key was revoked on {}: the badge cannot \
                 have been issued by its rightful issuer.",
                en_date(&signed_at),
                en_date(&revoked_at)
            ),
        );
    }
    let recorded = facts
        .id
        .as_deref()
        .and_then(|id| env.keys.issuance_recorded(id));
    match recorded {
        Some(recorded) if recorded < revoked_at => (
            Outcome::Passed,
            format!(
                "La clé a été révoquée le {}, mais le registre confirme que ce badge a été émis \
                 avant, le {}.",
                fr_date(&revoked_at),
                fr_date(&recorded)
            ),
            format!(
                "The key was revoked on {}, but the ledger confirms this badge was issued \
                 before, on {}.",
                en_date(&revoked_at),
                en_date(&recorded)
            ),
        ),
        Some(recorded) => (
            Outcome::Failed,
            format!(
                "Le registre date l'émission de ce badge du {}, après la révocation de la clé \
                 le {}.",
                fr_date(&recorded),
                fr_date(&revoked_at)
            ),
            format!(
                "The ledger dates this badge's issuance {}, after the key was revoked on {}.",
                en_date(&recorded),
                en_date(&revoked_at)
            ),
        ),
        None => (
            Outcome::Warning,
            format!(
                "La clé a été révoquée le {}. La signature se dit antérieure ({}), mais cette \
                 date est donnée par le signataire lui-même et aucun registre ne la confirme.",
                fr_date(&revoked_at),
                fr_date(&signed_at)
            ),
            format!(
                "The key was revoked on {}. The signature claims to be earlier ({}), but that \
                 date is given by the signer and no ledger confirms it.",
                en_date(&revoked_at),
                en_date(&signed_at)
            ),
        ),
    }
}

fn check_jwt_signature(
    token: &str,
    decoded: &DecodedJwt,
    facts: &Facts,
    env: &VerifyEnv<'_>,
    checks: &mut Checks,
) {
    // The key: by `kid` through the resolver (or what needs no network), or the `jwk` header,
    // which proves only who holds the key.
    let found: Result<FoundKey, NoKey> = match (decoded.kid(), decoded.header.get("jwk")) {
        (Some(kid), _) => find_key(kid, facts.issuer_id.as_deref(), env),
        (None, Some(jwk)) => jwt::public_key_from_jwk(jwk)
            .map(|key| FoundKey {
                resolved: ResolvedKey::new(PublicKey::P256(key)),
                bound_to_issuer: false,
            })
            .map_err(|error| NoKey {
                fr: format!("La clé jointe au jeton (jwk) est inutilisable ({error})."),
                en: format!("The key attached to the token (jwk) is unusable ({error})."),
            }),
        (None, None) => Err(NoKey {
            fr: "Le jeton ne dit pas avec quelle clé il a été signé (ni kid, ni jwk).".to_owned(),
            en: "The token does not say which key signed it (neither kid nor jwk).".to_owned(),
        }),
    };
    let key = match found {
        Ok(FoundKey {
            resolved:
                resolved @ ResolvedKey {
                    key: PublicKey::P256(_),
                    ..
                },
            bound_to_issuer,
        }) => {
            if bound_to_issuer {
                checks.passed(
                    CheckCode::ProofMethod,
                    "La clé de signature a été trouvée et appartient à l'émetteur.",
                    "The signing key was found and belongs to the issuer.",
                );
            } else {
                checks.warning(
                    CheckCode::ProofMethod,
                    "La clé de signature est jointe au jeton lui-même : la signature prouve qui \
                     détient la clé, pas qui est l'émetteur.",
                    "The signing key comes with the token itself: the signature proves who holds \
                     the key, not who the issuer is.",
                );
            }
            Some(resolved)
        }
        Ok(_) => {
            checks.failed(
                CheckCode::ProofMethod,
                "La clé trouvée n'est pas une clé P-256, celle qu'exige l'algorithme ES256.",
                "The key found is not a P-256 key, which the ES256 algorithm requires.",
            );
            None
        }
        Err(NoKey { fr, en }) => {
            checks.failed(CheckCode::ProofMethod, fr, en);
            None
        }
    };
    let header = jwt::check_header(decoded);
    match (header, &key) {
        (Err(error), _) => checks.failed(
            CheckCode::Proof,
            match &error {
                JwtError::AlgorithmNotAccepted(alg) => format!(
                    "Le jeton est signé avec l'algorithme « {alg} » ; ce vérificateur n'accepte \
                     que ES256, pour qu'on ne puisse pas lui faire utiliser une clé à contre-emploi."
                ),
                other => format!("L'en-tête du jeton n'est pas conforme ({other})."),
            },
            match &error {
                JwtError::AlgorithmNotAccepted(alg) => format!(
                    "The token is signed with the algorithm \"{alg}\"; this verifier accepts \
                     ES256 only, so that it cannot be made to misuse a key."
                ),
                other => format!("The token's header does not conform ({other})."),
            },
        ),
        (Ok(()), None) => checks.skipped(
            CheckCode::Proof,
            "Signature non vérifiée : sa clé n'a pas été trouvée.",
            "Signature not checked: its key was not found.",
        ),
        (Ok(()), Some(ResolvedKey { key: PublicKey::P256(public), .. })) => {
            match jwt::verify_signature(token, public) {
                Ok(()) => checks.passed(
                    CheckCode::Proof,
                    "La signature est valide : le badge est bien celui qui a été signé, sans \
                     aucune modification.",
                    "The signature is valid: the badge is exactly what was signed, unchanged.",
                ),
                Err(_) => checks.failed(
                    CheckCode::Proof,
                    "La signature ne correspond pas : le badge a été modifié après sa signature, \
                     ou signé avec une autre clé.",
                    "The signature does not match: the badge was changed after it was signed, or \
                     signed with another key.",
                ),
            }
        }
        (Ok(()), Some(_)) => checks.skipped(
            CheckCode::Proof,
            "Signature non vérifiée : la clé n'est pas du bon type.",
            "Signature not checked: the key is of the wrong kind.",
        ),
    }
    let verified = matches!(
        checks.0.last(),
        Some(Check {
            code: CheckCode::Proof,
            outcome: Outcome::Passed,
            ..
        })
    );
    match key {
        Some(resolved) if verified => {
            // A JWT has no `created`: the signing time it claims is `iat`, or else `nbf`.
            let signed_at = decoded
                .date_claim("iat")
                .or_else(|| decoded.date_claim("nbf"))
                .and_then(|seconds| DateTime::from_timestamp(seconds, 0));
            let (outcome, fr, en) = key_validity(&resolved, signed_at, facts, env);
            checks.push(CheckCode::KeyValidAtSigning, outcome, fr, en);
        }
        _ => checks.skipped(
            CheckCode::KeyValidAtSigning,
            "Pas de signature valide, donc pas de clé à dater.",
            "No valid signature, so no key to date.",
        ),
    }
}

fn check_jwt_claims(decoded: &DecodedJwt, checks: &mut Checks) {
    match jwt::check_claims(decoded) {
        Ok(()) => checks.passed(
            CheckCode::JwtClaims,
            "Les informations du jeton (émetteur, titulaire, identifiant, dates) sont celles du \
             badge qu'il contient.",
            "The token's claims (issuer, holder, identifier, dates) match the badge it carries.",
        ),
        Err(error) => checks.failed(
            CheckCode::JwtClaims,
            format!(
                "Les informations du jeton ne correspondent pas au badge qu'il contient ({error})."
            ),
            format!("The token's claims do not match the badge it carries ({error})."),
        ),
    }
}

fn check_times(facts: &Facts, env: &VerifyEnv<'_>, checks: &mut Checks) {
    match facts.valid_from {
        Some(valid_from) if env.now < valid_from => checks.failed(
            CheckCode::NotYetValid,
            format!(
                "Le badge n'est pas encore valable : il le sera à partir du {}.",
                fr_date(&valid_from)
            ),
            format!(
                "The badge is not valid yet: it will be from {}.",
                en_date(&valid_from)
            ),
        ),
        Some(_) => checks.passed(
            CheckCode::NotYetValid,
            "La date de début de validité est passée.",
            "The start of validity has passed.",
        ),
        None => checks.skipped(
            CheckCode::NotYetValid,
            "Sans date lisible de début de validité, rien à comparer.",
            "With no readable start of validity, nothing to compare.",
        ),
    }
    match facts.valid_until {
        _ if facts.valid_until_unreadable => checks.failed(
            CheckCode::Expiry,
            "La date de fin de validité du badge est illisible.",
            "The badge's end-of-validity date cannot be read.",
        ),
        Some(until) if env.now >= until => checks.failed(
            CheckCode::Expiry,
            format!("Le badge a expiré le {}.", fr_date(&until)),
            format!("The badge expired on {}.", en_date(&until)),
        ),
        Some(until) => checks.passed(
            CheckCode::Expiry,
            format!("Le badge est valable jusqu'au {}.", fr_date(&until)),
            format!("The badge is valid until {}.", en_date(&until)),
        ),
        None => checks.passed(
            CheckCode::Expiry,
            "Le badge n'a pas de date de fin de validité.",
            "The badge has no end-of-validity date.",
        ),
    }
}

fn check_status(credential: &Map<String, Value>, env: &VerifyEnv<'_>, checks: &mut Checks) {
    let entries: Vec<&Value> = match credential.get("credentialStatus") {
        None => {
            checks.skipped(
                CheckCode::Status,
                "Le badge n'indique pas de liste de révocation : son émetteur ne publie pas son \
                 statut.",
                "The badge names no revocation list: its issuer does not publish its status.",
            );
            return;
        }
        Some(Value::Array(entries)) => entries.iter().collect(),
        Some(entry) => vec![entry],
    };
    let id = credential.get("id").and_then(Value::as_str);
    let results = entries
        .into_iter()
        .map(|entry| match env.status.status(id, entry) {
            StatusAnswer::Valid => (
                Outcome::Passed,
                "L'émetteur n'a ni révoqué ni suspendu ce badge.".to_owned(),
                "The issuer has neither revoked nor suspended this badge.".to_owned(),
            ),
            StatusAnswer::Revoked { reason } => (
                Outcome::Failed,
                match &reason {
                    Some(reason) => format!("L'émetteur a révoqué ce badge (motif : {reason})."),
                    None => "L'émetteur a révoqué ce badge.".to_owned(),
                },
                match &reason {
                    Some(reason) => {
                        format!("The issuer has revoked this badge (reason: {reason}).")
                    }
                    None => "The issuer has revoked this badge.".to_owned(),
                },
            ),
            StatusAnswer::Suspended => (
                Outcome::Failed,
                "L'émetteur a suspendu ce badge : il n'est pas valable pour l'instant.".to_owned(),
                "The issuer has suspended this badge: it is not valid for now.".to_owned(),
            ),
            StatusAnswer::Unknown { why } => (
                Outcome::Warning,
                format!("Le statut du badge (révoqué ou non) n'a pas pu être vérifié : {why}."),
                format!("Whether the badge was revoked could not be checked: {why}."),
            ),
        })
        .collect();
    push_worst(checks, CheckCode::Status, results);
}

/// Why a key document could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyDocumentError {
    #[error("the document is not a Multikey verification method: {0}")]
    NotMultikey(&'static str),
    #[error(transparent)]
    Multikey(#[from] crate::multikey::MultikeyError),
    #[error("the controller document does not list {0} as an assertion method")]
    NotAnAssertionMethod(String),
    #[error("the verification method's controller is not the controller document")]
    NotAMatchingController,
}

/// The key of a Multikey verification method document (`{id, type: "Multikey", controller,
/// publicKeyMultibase}`), with its controller: what a resolver serves for a method's URL.
pub fn key_from_verification_method(
    document: &Value,
) -> Result<(String, ResolvedKey), KeyDocumentError> {
    if document.get("type").and_then(Value::as_str) != Some("Multikey") {
        return Err(KeyDocumentError::NotMultikey("type is not Multikey"));
    }
    let text = |name: &'static str| {
        document
            .get(name)
            .and_then(Value::as_str)
            .ok_or(KeyDocumentError::NotMultikey(name))
    };
    let id = text("id")?.to_owned();
    let controller = text("controller")?.to_owned();
    let key = crate::multikey::decode(text("publicKeyMultibase")?)?;
    Ok((
        id,
        ResolvedKey {
            controller: Some(controller),
            ..ResolvedKey::new(PublicKey::Ed25519(key))
        },
    ))
}

/// The key `method` of a controller document, which must list it among its `assertionMethod`s
/// (embedded, or by id with the key among the `verificationMethod`s): a key the controller has not authorised for assertions does not sign
/// credentials. The controller is the document's `id`.
pub fn key_from_controller_document(
    document: &Value,
    method: &str,
) -> Result<ResolvedKey, KeyDocumentError> {
    let controller = document.get("id").and_then(Value::as_str);
    let entries = |name: &str| {
        document
            .get(name)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
    };
    let listed = entries("assertionMethod")
        .find_map(|entry| match entry {
            // Embedded in the assertion methods...
            Value::Object(_) if entry.get("id").and_then(Value::as_str) == Some(method) => {
                Some(entry)
            }
            // ...or named there and described among the verification methods (as DID
            // documents usually do).
            Value::String(id) if id == method => entries("verificationMethod")
                .find(|described| described.get("id").and_then(Value::as_str) == Some(method)),
            _ => None,
        })
        .ok_or_else(|| KeyDocumentError::NotAnAssertionMethod(method.to_owned()))?;
    let (_, mut resolved) = key_from_verification_method(listed)?;
    if resolved.controller.as_deref() != controller {
        return Err(KeyDocumentError::NotAMatchingController);
    }
    resolved.controller = controller.map(str::to_owned);
    Ok(resolved)
}
