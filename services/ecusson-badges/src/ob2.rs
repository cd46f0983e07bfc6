//! Open Badges 2.0 hosted documents: the issuer's profile, the badge class and the assertion,
//! JSON-LD with the `https://w3id.org/openbadges/v2` context, published at stable URLs. Open
//! Badge Passport, Open Badge Factory and most backpacks still import 2.0 badges, so an award is
//! offered in both versions (3.0 in [`crate::credential`]).
//!
//! Verification is "hosted": the assertion's `id` is the URL it is served at, and a verifier
//! fetches it. A revoked assertion's URL serves [`RevokedAssertion`] (the HTTP layer also answers
//! 410 Gone, as the specification allows and Badgr does).
//!
//! Only terms the OB 2.0 context defines are written: the context has no `@vocab`, so any other
//! key would silently vanish from the linked-data reading of the document (the tests expand each
//! document and count its triples). The earner is named by a salted hash of their e-mail
//! address, never the address itself.

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// The OB 2.0 JSON-LD context (bundled in [`crate::contexts`]).
pub const OB2_CONTEXT: &str = "https://w3id.org/openbadges/v2";

/// The issuing organisation's profile (`Issuer`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issuer {
    /// The URL this profile is hosted at.
    pub id: String,
    pub name: String,
    /// The organisation's home page.
    pub url: String,
    pub email: Option<String>,
    /// The URL of the issuer's public key (`CryptographicKey`), for signed assertions.
    pub public_key: Option<String>,
}

impl Issuer {
    pub fn to_json(&self) -> Value {
        let mut issuer = document(&self.id, "Issuer");
        issuer.insert("name".into(), self.name.clone().into());
        issuer.insert("url".into(), self.url.clone().into());
        if let Some(email) = &self.email {
            issuer.insert("email".into(), email.clone().into());
        }
        if let Some(public_key) = &self.public_key {
            issuer.insert("publicKey".into(), public_key.clone().into());
        }
        Value::Object(issuer)
    }
}

/// What an earner must have done (`Criteria`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Criteria {
    /// A page describing the criteria, if there is one.
    pub id: Option<String>,
    /// The criteria in words (Markdown allowed by the specification).
    pub narrative: String,
}

impl Criteria {
    fn to_json(&self) -> Value {
        let mut criteria = Map::new();
        if let Some(id) = &self.id {
            criteria.insert("id".into(), id.clone().into());
        }
        criteria.insert("narrative".into(), self.narrative.clone().into());
        Value::Object(criteria)
    }
}

/// An alignment to an external framework (a job repository such as ROME, a skills framework).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alignment {
    pub target_name: String,
    pub target_url: String,
    pub target_description: Option<String>,
    pub target_framework: Option<String>,
    pub target_code: Option<String>,
}

impl Alignment {
    fn to_json(&self) -> Value {
        let mut alignment = Map::new();
        alignment.insert("targetName".into(), self.target_name.clone().into());
        alignment.insert("targetUrl".into(), self.target_url.clone().into());
        for (key, value) in [
            ("targetDescription", &self.target_description),
            ("targetFramework", &self.target_framework),
            ("targetCode", &self.target_code),
        ] {
            if let Some(value) = value {
                alignment.insert(key.into(), value.clone().into());
            }
        }
        Value::Object(alignment)
    }
}

/// A badge class (`BadgeClass`): one revision of one of the network's badges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadgeClass {
    /// The URL this badge class is hosted at.
    pub id: String,
    pub name: String,
    pub description: String,
    /// The image's URL.
    pub image: String,
    pub criteria: Criteria,
    /// The issuer profile's URL.
    pub issuer: String,
    /// Tags, e.g. the pathway and the skill type. Repeated tags are one tag in linked data.
    pub tags: Vec<String>,
    pub alignment: Vec<Alignment>,
}

impl BadgeClass {
    pub fn to_json(&self) -> Value {
        let mut badge_class = document(&self.id, "BadgeClass");
        badge_class.insert("name".into(), self.name.clone().into());
        badge_class.insert("description".into(), self.description.clone().into());
        badge_class.insert("image".into(), self.image.clone().into());
        badge_class.insert("criteria".into(), self.criteria.to_json());
        badge_class.insert("issuer".into(), self.issuer.clone().into());
        // Empty lists are left out rather than written as `[]`: same meaning, less noise.
        if !self.tags.is_empty() {
            badge_class.insert("tags".into(), json!(self.tags));
        }
        if !self.alignment.is_empty() {
            badge_class.insert(
                "alignment".into(),
                Value::Array(self.alignment.iter().map(Alignment::to_json).collect()),
            );
        }
        Value::Object(badge_class)
    }
}

/// The earner, named by a salted hash (`IdentityObject`, hashed): of their e-mail address
/// (what Open Badge Passport matches a badge to its owner by), or, for a worker with no
/// address, of a URL that is theirs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashedIdentity {
    /// `email` or `url`.
    pub kind: &'static str,
    pub salt: String,
    /// `sha256$` and the hexadecimal SHA-256 of the identity followed by the salt.
    pub identity: String,
}

impl HashedIdentity {
    /// The identity of `email` with `salt` (drawn by the caller, one per assertion, so that the
    /// same address does not give the same hash across assertions). The address is hashed as
    /// given: OB 2.0 prescribes no normalisation, so the caller passes it as the earner will
    /// present it to a verifier.
    pub fn email(email: &str, salt: &str) -> HashedIdentity {
        HashedIdentity {
            kind: "email",
            salt: salt.to_owned(),
            identity: identity_hash(email, salt),
        }
    }

    /// The identity of a URL with `salt`.
    pub fn url(url: &str, salt: &str) -> HashedIdentity {
        HashedIdentity {
            kind: "url",
            salt: salt.to_owned(),
            identity: identity_hash(url, salt),
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "type": self.kind,
            "hashed": true,
            "salt": self.salt,
            "identity": self.identity,
        })
    }
}

/// `sha256$<hex of SHA-256(identity ‖ salt)>`: the hashed identity of Open Badges 2.0 and 3.0
/// (an e-mail address, a name).
pub fn identity_hash(identity: &str, salt: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(identity.as_bytes());
    hasher.update(salt.as_bytes());
    let hex: String = hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("sha256${hex}")
}

/// A piece of evidence the earner chose to make public (`Evidence`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    /// A page showing the evidence, if there is one.
    pub id: Option<String>,
    pub narrative: String,
}

impl Evidence {
    fn to_json(&self) -> Value {
        let mut evidence = Map::new();
        if let Some(id) = &self.id {
            evidence.insert("id".into(), id.clone().into());
        }
        evidence.insert("narrative".into(), self.narrative.clone().into());
        Value::Object(evidence)
    }
}

/// An award (`Assertion`) with hosted verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assertion {
    /// The URL this assertion is hosted at: hosted verification fetches it.
    pub id: String,
    pub recipient: HashedIdentity,
    /// The badge class's URL.
    pub badge: String,
    /// ISO 8601 with a time zone, e.g. `2026-11-23T08:00:00Z`.
    pub issued_on: String,
    /// When the award expires, if it does (same format).
    pub expires: Option<String>,
    pub evidence: Vec<Evidence>,
}

impl Assertion {
    pub fn to_json(&self) -> Value {
        let mut assertion = document(&self.id, "Assertion");
        assertion.insert("recipient".into(), self.recipient.to_json());
        assertion.insert("verification".into(), json!({ "type": "hosted" }));
        assertion.insert("issuedOn".into(), self.issued_on.clone().into());
        assertion.insert("badge".into(), self.badge.clone().into());
        if let Some(expires) = &self.expires {
            assertion.insert("expires".into(), expires.clone().into());
        }
        if !self.evidence.is_empty() {
            assertion.insert(
                "evidence".into(),
                Value::Array(self.evidence.iter().map(Evidence::to_json).collect()),
            );
        }
        Value::Object(assertion)
    }
}

/// What a revoked assertion's URL serves: OB 2.0 accepts `{"id", "revoked": true,
/// "revocationReason"}` in place of the assertion, so a verifier learns it is revoked, and why,
/// without the award's content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevokedAssertion {
    pub id: String,
    pub revocation_reason: Option<String>,
}

impl RevokedAssertion {
    pub fn to_json(&self) -> Value {
        let mut revoked = document(&self.id, "Assertion");
        revoked.insert("revoked".into(), true.into());
        if let Some(reason) = &self.revocation_reason {
            revoked.insert("revocationReason".into(), reason.clone().into());
        }
        Value::Object(revoked)
    }
}

/// The keys every hosted document starts with.
fn document(id: &str, kind: &str) -> Map<String, Value> {
    let mut document = Map::new();
    document.insert("@context".into(), OB2_CONTEXT.into());
    document.insert("id".into(), id.into());
    document.insert("type".into(), kind.into());
    document
}
