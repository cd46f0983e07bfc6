//! Value types shared by commands, events and state: roles, modes, outcomes, reasons.
//! Values that can be invalid are parsed once into types that cannot be.

use crate::ids::*;
use crate::DomainError;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Roles a person can hold inside a tenant. Earners and committee members are roles too, so
/// that one token can say what its bearer may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    NetworkAdmin,
    StructureAdmin,
    /// Conseiller·ère en insertion professionnelle / accompagnement socio-professionnel (ASP/CIP).
    Counsellor,
    /// Encadrant·e technique d'insertion (ETI).
    TechnicalSupervisor,
    Direction,
    CommitteeMember,
    Earner,
    Funder,
    /// A tutor or manager of a host company who recommends workers (not staff: they answer a
    /// recommendation they were asked for, or give one).
    Recommender,
}

/// The kind of a member structure (SIAE families, plus ESS members of the network).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StructureKind {
    /// Atelier et chantier d'insertion.
    Aci,
    /// Entreprise d'insertion.
    Ei,
    /// Entreprise de travail temporaire d'insertion.
    Etti,
    /// Association intermédiaire.
    Ai,
    /// Other social and solidarity economy member.
    Ess,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationKind {
    /// Entreprise accueillante: gives recommendations.
    HostCompany,
    /// Réseau, collectivité, fédération, coopérative: gives endorsements.
    EndorsingOrganisation,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkillType {
    /// Know-how tied to work positions.
    SavoirFaire,
    /// Soft skills.
    SavoirEtre,
}

/// An alignment of a badge class to an external framework (job repository, ROME code...).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alignment {
    pub target_name: String,
    pub target_url: String,
    pub target_code: Option<String>,
}

/// The content of one revision of a badge class (the "fiche description du badge").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadgeClassContent {
    pub pathway_id: PathwayId,
    pub name: String,
    pub description: String,
    pub skill_type: SkillType,
    pub criteria_narrative: String,
    pub expected_evidence: String,
    /// A reference to the image asset (a content hash or a path in the asset store).
    pub image_ref: String,
    pub alignments: Vec<Alignment>,
    /// Number of months an award stays valid; `None` for badges that do not expire.
    pub validity_months: Option<u32>,
}

/// What one structure requires for one badge class it adopts (step 1 of the brochure).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionDefinition {
    /// e.g. "a passé la période d'essai".
    pub criterion: String,
    /// e.g. "copie du contrat, données personnelles masquées".
    pub evidence: String,
    /// Who may decide on a request when validation is systematic (e.g. counsellor or direction).
    pub evaluator_roles: Vec<Role>,
    /// e.g. "après signature du renouvellement, demande avec le ou la conseiller·ère".
    pub process: String,
}

/// How the requests of a structure for one badge class are decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ValidationMode {
    /// The structure commits to request only badges matching real skills; one of its
    /// evaluators validates each request.
    Systematic,
    /// Requests wait for an attribution committee (possibly pooled between structures).
    Committee { committee_id: CommitteeId },
}

/// How a request was made (step 2 of the brochure).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RequestMode {
    /// Worker and counsellor together, after a talk about skills.
    Pair { counsellor_id: PersonId },
    /// During a collective workshop.
    CollectiveWorkshop,
    /// By the worker alone (badges displayed in common rooms).
    Individual,
}

/// Which route a request follows to a decision; fixed when the request is made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ValidationRoute {
    Evaluator {
        evaluator_roles: Vec<Role>,
    },
    Committee {
        committee_id: CommitteeId,
        quorum: u16,
    },
    Automatic,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Vote {
    Approve,
    Refuse,
}

/// Who took a decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DecidedBy {
    Evaluator {
        person_id: PersonId,
    },
    Committee {
        committee_id: CommitteeId,
        votes_for: u16,
        votes_against: u16,
    },
    Automatic,
}

/// Why a decision, withdrawal or revocation was made: a closed code (usable in reports) and an
/// optional free-text note, which lives in the vault because it may speak about a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub code: ReasonCode,
    pub note: Option<VaultRef>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    CriteriaMet,
    CriteriaNotMet,
    EvidenceInsufficient,
    RequestedByEarner,
    IssuedInError,
    Misconduct,
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    Document,
    Link,
    Narrative,
    Photo,
}

/// One piece of evidence. Its content (a document, a URL, a narrative) is personal data and
/// lives in the earner's vault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub evidence_id: EvidenceId,
    pub kind: EvidenceKind,
    pub content: VaultRef,
}

/// The exit of a worker's pathway (sortie), for employability reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitOutcome {
    DurableEmployment,
    TransitionEmployment,
    QualifyingTraining,
    Other,
}

/// Who acts: set from the verified identity by the application layer, never from input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub tenant_id: TenantId,
    pub person_id: PersonId,
    pub roles: Vec<Role>,
}

impl Actor {
    /// The ledger itself, acting on its own in a tenant (expiry follows the clock; a
    /// credential follows an award): the nil person id and no role.
    pub fn ledger(tenant_id: TenantId) -> Self {
        Self {
            tenant_id,
            person_id: PersonId(uuid::Uuid::nil()),
            roles: Vec::new(),
        }
    }

    pub fn is_ledger(&self) -> bool {
        self.person_id.0.is_nil() && self.roles.is_empty()
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn has_any_role(&self, roles: &[Role]) -> bool {
        roles.iter().any(|role| self.has_role(*role))
    }
}

/// What a decision needs besides the aggregate state: who acts and when. Passed in so that
/// `decide` stays pure (no clock, no IO).
#[derive(Clone, Debug)]
pub struct CommandContext {
    pub actor: Actor,
    pub now: DateTime<Utc>,
}

/// An e-mail address, parsed once at the boundary. It is personal data: it goes to the vault,
/// never into an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let text = text.trim();
        let invalid = || DomainError::InvalidInput("invalid e-mail address".to_owned());
        if text.len() > 254 || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = text.rsplit_once('@').ok_or_else(invalid)?;
        if local.is_empty() || local.len() > 64 || local.contains('@') {
            return Err(invalid());
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels.iter().any(|label| {
                label.is_empty()
                    || label.starts_with('-')
                    || label.ends_with('-')
                    || !label.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
        {
            return Err(invalid());
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A calendar date (pathway exits and enrolments are dated, not timestamped).
pub type Date = NaiveDate;

/// Why an issuer key was revoked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyRevocationReason {
    /// The private key was (or may have been) disclosed.
    KeyCompromise,
    /// The key is withdrawn for another reason (an operator's mistake, a policy change).
    Superseded,
}

/// What an issuer key signs with: Ed25519 for Data Integrity proofs (`eddsa-rdfc-2022`),
/// P-256 for VC-JWTs (ES256, which Open Badges 3.0 verifiers accept where they refuse EdDSA).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeyAlgorithm {
    #[serde(rename = "Ed25519")]
    Ed25519,
    #[serde(rename = "P-256")]
    P256,
}

impl KeyAlgorithm {
    pub const ALL: [KeyAlgorithm; 2] = [KeyAlgorithm::Ed25519, KeyAlgorithm::P256];

    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlgorithm::Ed25519 => "Ed25519",
            KeyAlgorithm::P256 => "P-256",
        }
    }
}
