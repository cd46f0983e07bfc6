//! An Open Badges 3.0 `AchievementCredential` (VC Data Model 2.0 with the OB 3.0 context), built
//! from what the ledger knows of an award. Unsigned: [`crate::sign`] adds the proof.
//!
//! Only terms the bundled contexts define are written: a term they do not define would be
//! dropped from the signed RDF without a word, and strict verifiers refuse it. Texts lose the
//! noncharacters U+FFFE and U+FFFF, which RDF canonicalisers escape differently (oxrdf escapes
//! them, JavaScript's rdf-canonize does not): with them, a signature made here would not
//! verify elsewhere.

use serde_json::{json, Map, Value};

/// A text as it may be signed (see the module's documentation).
fn text(value: &str) -> Value {
    Value::String(
        value
            .chars()
            .filter(|character| !matches!(character, '\u{FFFE}' | '\u{FFFF}'))
            .collect(),
    )
}

pub const VC_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
pub const OB_CONTEXT: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";

/// An organisation as a credential names it (the network as issuer, a structure as the
/// assessing party).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    pub id: String,
    pub name: String,
    pub url: Option<String>,
}

impl Profile {
    fn to_json(&self) -> Value {
        let mut profile = Map::new();
        profile.insert("id".into(), self.id.clone().into());
        profile.insert("type".into(), json!(["Profile"]));
        profile.insert("name".into(), text(&self.name));
        if let Some(url) = &self.url {
            profile.insert("url".into(), url.clone().into());
        }
        Value::Object(profile)
    }
}

/// An alignment of the achievement to an external framework (a job repository such as ROME).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AchievementAlignment {
    pub target_name: String,
    pub target_url: String,
    pub target_code: Option<String>,
}

/// One way the credential names its earner (an `IdentityObject`): in clear, or hashed with a
/// salt, so that someone who already knows the value (an employer holding the worker's papers)
/// can confirm it and nobody else can read it. Open Badges 3.0 asks every credential to name
/// its subject by an `id` or at least one identifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipientIdentity {
    /// `name`, `identifier`, `emailAddress`... (the specification's identity types).
    pub identity_type: &'static str,
    pub value: String,
    /// Hashed with this salt when given, in clear otherwise.
    pub salt: Option<String>,
}

impl RecipientIdentity {
    fn to_json(&self) -> Value {
        match &self.salt {
            None => json!({
                "type": "IdentityObject",
                "identityType": self.identity_type,
                "hashed": false,
                "identityHash": text(&self.value),
            }),
            Some(salt) => json!({
                "type": "IdentityObject",
                "identityType": self.identity_type,
                "hashed": true,
                "identityHash": crate::ob2::identity_hash(&self.value, salt),
                "salt": salt,
            }),
        }
    }
}

/// The badge class (one revision of it) with the structure's criterion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Achievement {
    pub id: String,
    pub name: String,
    pub description: String,
    pub criteria_narrative: String,
    /// The image's URL.
    pub image: Option<String>,
    /// Tags, e.g. the pathway and the skill type.
    pub tags: Vec<String>,
    /// The badge class revision.
    pub version: Option<String>,
    /// Who wrote the badge class: the network, whose catalogue it is.
    pub creator: Option<Profile>,
    pub alignments: Vec<AchievementAlignment>,
}

/// A piece of evidence the earner chose to make public.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceItem {
    pub id: Option<String>,
    pub name: Option<String>,
    pub narrative: String,
}

/// Everything an `AchievementCredential` says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AchievementCredential {
    /// The credential's URL (or `urn:uuid:...`).
    pub id: String,
    pub name: String,
    pub issuer: Profile,
    pub achievement: Achievement,
    /// The earner's id, if they have one to give (a wallet's DID); none otherwise.
    pub subject_id: Option<String>,
    /// How the credential names its earner (see [`RecipientIdentity`]).
    pub recipient: Vec<RecipientIdentity>,
    /// Who assessed the earner (the structure), when it is not the issuer:
    /// `credentialSubject.source`.
    pub source: Option<Profile>,
    /// XSD dateTimes in UTC (`2026-11-23T08:00:00Z`).
    pub valid_from: String,
    pub valid_until: Option<String>,
    pub evidence: Vec<EvidenceItem>,
    /// The issuer's 1EdTech revocation list (`credentialStatus`), if it publishes one.
    pub revocation_list: Option<String>,
}

impl AchievementCredential {
    pub fn to_json(&self) -> Value {
        let achievement = &self.achievement;
        let mut achievement_json = Map::new();
        achievement_json.insert("id".into(), achievement.id.clone().into());
        achievement_json.insert("type".into(), json!(["Achievement"]));
        achievement_json.insert("name".into(), text(&achievement.name));
        achievement_json.insert("description".into(), text(&achievement.description));
        achievement_json.insert(
            "criteria".into(),
            json!({ "narrative": text(&achievement.criteria_narrative) }),
        );
        if let Some(image) = &achievement.image {
            achievement_json.insert("image".into(), json!({ "id": image, "type": "Image" }));
        }
        if !achievement.tags.is_empty() {
            achievement_json.insert(
                "tag".into(),
                Value::Array(achievement.tags.iter().map(|tag| text(tag)).collect()),
            );
        }
        if let Some(version) = &achievement.version {
            achievement_json.insert("version".into(), version.clone().into());
        }
        if let Some(creator) = &achievement.creator {
            achievement_json.insert("creator".into(), creator.to_json());
        }
        if !achievement.alignments.is_empty() {
            let alignments: Vec<Value> = achievement
                .alignments
                .iter()
                .map(|alignment| {
                    let mut entry = Map::new();
                    entry.insert("type".into(), json!(["Alignment"]));
                    entry.insert("targetName".into(), text(&alignment.target_name));
                    entry.insert("targetUrl".into(), alignment.target_url.clone().into());
                    if let Some(code) = &alignment.target_code {
                        entry.insert("targetCode".into(), text(code));
                    }
                    Value::Object(entry)
                })
                .collect();
            achievement_json.insert("alignment".into(), Value::Array(alignments));
        }

        let mut credential = Map::new();
        let mut contexts = vec![json!(VC_CONTEXT), json!(OB_CONTEXT)];
        if self.revocation_list.is_some() {
            contexts.push(json!(crate::status::EXTENSIONS_CONTEXT));
        }
        credential.insert("@context".into(), Value::Array(contexts));
        credential.insert("id".into(), self.id.clone().into());
        credential.insert(
            "type".into(),
            json!(["VerifiableCredential", "OpenBadgeCredential"]),
        );
        credential.insert("name".into(), text(&self.name));
        credential.insert("issuer".into(), self.issuer.to_json());
        credential.insert("validFrom".into(), self.valid_from.clone().into());
        if let Some(valid_until) = &self.valid_until {
            credential.insert("validUntil".into(), valid_until.clone().into());
        }
        let mut subject = Map::new();
        if let Some(id) = &self.subject_id {
            subject.insert("id".into(), id.clone().into());
        }
        subject.insert("type".into(), json!(["AchievementSubject"]));
        subject.insert("achievement".into(), Value::Object(achievement_json));
        if !self.recipient.is_empty() {
            subject.insert(
                "identifier".into(),
                Value::Array(
                    self.recipient
                        .iter()
                        .map(RecipientIdentity::to_json)
                        .collect(),
                ),
            );
        }
        if let Some(source) = &self.source {
            subject.insert("source".into(), source.to_json());
        }
        credential.insert("credentialSubject".into(), Value::Object(subject));
        if !self.evidence.is_empty() {
            let evidence: Vec<Value> = self
                .evidence
                .iter()
                .map(|item| {
                    let mut evidence = Map::new();
                    if let Some(id) = &item.id {
                        evidence.insert("id".into(), id.clone().into());
                    }
                    evidence.insert("type".into(), json!(["Evidence"]));
                    if let Some(name) = &item.name {
                        evidence.insert("name".into(), text(name));
                    }
                    evidence.insert("narrative".into(), text(&item.narrative));
                    Value::Object(evidence)
                })
                .collect();
            credential.insert("evidence".into(), Value::Array(evidence));
        }
        if let Some(list) = &self.revocation_list {
            credential.insert(
                "credentialStatus".into(),
                crate::status::revocation_list_entry(list),
            );
        }
        Value::Object(credential)
    }
}

/// An Open Badges 3.0 `EndorsementCredential`: an organisation's statement about the issuer,
/// a badge class (an achievement) or an earner's credential (a host company's recommendation).
/// Unsigned: [`crate::sign`] adds the proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndorsementCredential {
    /// The credential's URL.
    pub id: String,
    pub name: String,
    /// The endorsing organisation.
    pub issuer: Profile,
    /// What is endorsed: the issuer's profile, an achievement, or an earner's credential.
    pub subject_id: String,
    /// The organisation's words.
    pub comment: String,
    /// An XSD dateTime in UTC.
    pub valid_from: String,
}

impl EndorsementCredential {
    pub fn to_json(&self) -> Value {
        json!({
            "@context": [VC_CONTEXT, OB_CONTEXT],
            "id": self.id,
            "type": ["VerifiableCredential", "EndorsementCredential"],
            "name": text(&self.name),
            "issuer": self.issuer.to_json(),
            "validFrom": self.valid_from,
            "credentialSubject": {
                "id": self.subject_id,
                "type": ["EndorsementSubject"],
                "endorsementComment": text(&self.comment),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noncharacters_are_left_out_of_what_is_signed() {
        let profile = Profile {
            id: "https://ecusson.example/networks/1".to_owned(),
            name: "Réseau\u{FFFF} Sud\u{FFFE}".to_owned(),
            url: None,
        };
        let credential = AchievementCredential {
            id: "urn:uuid:0193a1b2-0000-7000-8000-000000000002".to_owned(),
            name: "Badge\u{FFFF}".to_owned(),
            issuer: profile.clone(),
            achievement: Achievement {
                id: "https://ecusson.example/badge-classes/1".to_owned(),
                name: "Badge".to_owned(),
                description: "Décrit\u{FFFE}".to_owned(),
                criteria_narrative: "Critère".to_owned(),
                image: None,
                tags: vec!["étiquette\u{FFFF}".to_owned()],
                version: None,
                creator: Some(profile),
                alignments: vec![],
            },
            subject_id: Some("urn:uuid:0193a1b2-0000-7000-8000-000000000003".to_owned()),
            recipient: vec![RecipientIdentity {
                identity_type: "name",
                value: "Anne\u{FFFF}".to_owned(),
                salt: None,
            }],
            source: None,
            valid_from: "2026-11-23T08:00:00Z".to_owned(),
            valid_until: None,
            evidence: vec![EvidenceItem {
                id: None,
                name: Some("Preuve\u{FFFF}".to_owned()),
                narrative: "Récit\u{FFFE}".to_owned(),
            }],
            revocation_list: None,
        }
        .to_json();
        let written = credential.to_string();
        assert!(!written.contains('\u{FFFF}') && !written.contains('\u{FFFE}'));
        assert_eq!(credential["issuer"]["name"], "Réseau Sud");
        assert_eq!(
            credential["credentialSubject"]["achievement"]["tag"][0],
            "étiquette"
        );
        assert_eq!(credential["evidence"][0]["narrative"], "Récit");
        assert_eq!(
            credential["credentialSubject"]["identifier"][0]["identityHash"],
            "Anne"
        );
    }
}
