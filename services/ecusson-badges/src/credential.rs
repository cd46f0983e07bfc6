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
    /// The structure that assessed (the issuer is the network).
    pub creator: Option<Profile>,
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
    /// The earner, as the credential names them (a pseudonymous `urn:uuid:...`).
    pub subject_id: String,
    /// XSD dateTimes in UTC (`2026-11-23T08:00:00Z`).
    pub valid_from: String,
    pub valid_until: Option<String>,
    pub evidence: Vec<EvidenceItem>,
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

        let mut credential = Map::new();
        credential.insert("@context".into(), json!([VC_CONTEXT, OB_CONTEXT]));
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
        credential.insert(
            "credentialSubject".into(),
            json!({
                "id": self.subject_id,
                "type": ["AchievementSubject"],
                "achievement": Value::Object(achievement_json),
            }),
        );
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
        Value::Object(credential)
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
            },
            subject_id: "urn:uuid:0193a1b2-0000-7000-8000-000000000003".to_owned(),
            valid_from: "2026-11-23T08:00:00Z".to_owned(),
            valid_until: None,
            evidence: vec![EvidenceItem {
                id: None,
                name: Some("Preuve\u{FFFF}".to_owned()),
                narrative: "Récit\u{FFFE}".to_owned(),
            }],
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
    }
}
