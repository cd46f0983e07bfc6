//! Shared test data: deterministic ids, fixed instants, actors and typical catalogue content,
//! so that every given / when / then test reads as the story it tells.

use crate::ids::*;
use crate::model::*;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A deterministic identifier of any kind: `id::<PersonId>(7)`.
pub fn id<T: From<Uuid>>(number: u128) -> T {
    T::from(Uuid::from_u128(number))
}

/// An instant written as RFC 3339.
pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("test instants are valid RFC 3339")
        .with_timezone(&Utc)
}

pub fn date(text: &str) -> Date {
    text.parse().expect("test dates are valid")
}

/// The instant most tests act at.
pub fn now() -> DateTime<Utc> {
    at("2025-03-10T09:00:00Z")
}

pub fn acting_in(tenant_id: TenantId, person_id: PersonId, roles: &[Role]) -> CommandContext {
    CommandContext {
        actor: Actor {
            tenant_id,
            person_id,
            roles: roles.to_vec(),
        },
        now: now(),
    }
}

/// The same context, at another instant.
pub fn later(context: CommandContext, instant: DateTime<Utc>) -> CommandContext {
    CommandContext {
        now: instant,
        ..context
    }
}

pub fn network_tenant() -> TenantId {
    id(0x1000)
}

pub fn structure_tenant() -> TenantId {
    id(0x2000)
}

pub fn other_structure_tenant() -> TenantId {
    id(0x2001)
}

pub fn pathway_id() -> PathwayId {
    id(0x3000)
}

pub fn badge_class_content() -> BadgeClassContent {
    BadgeClassContent {
        pathway_id: pathway_id(),
        name: "Période d'essai validée".to_owned(),
        description: "Reconnaît les premiers pas réussis dans la structure.".to_owned(),
        skill_type: SkillType::SavoirEtre,
        criteria_narrative: "A passé la période d'essai de son contrat.".to_owned(),
        expected_evidence: "Copie du contrat, données personnelles masquées.".to_owned(),
        image_ref: "sha256:6b1f0c".to_owned(),
        alignments: vec![Alignment {
            target_name: "Savoir-être professionnels".to_owned(),
            target_url: "https://www.francetravail.fr/".to_owned(),
            target_code: Some("SE-01".to_owned()),
        }],
        validity_months: Some(24),
    }
}

pub fn criterion_definition() -> CriterionDefinition {
    CriterionDefinition {
        criterion: "A passé la période d'essai.".to_owned(),
        evidence: "Copie du contrat, données personnelles masquées.".to_owned(),
        evaluator_roles: vec![Role::Counsellor, Role::Direction],
        process: "Après signature du renouvellement, demande avec la conseillère.".to_owned(),
    }
}
