//! The event catalogue. Each event has an explicit, stable type string and a schema version,
//! never derived from the Rust identifier: renaming a variant must not change what is stored.
//! Old versions are upcast on read (see [`upcast`]); stored bytes are never rewritten.

use crate::ids::*;
use crate::model::*;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

// ---- network tenant: the network, its structures, organisations, committees, endorsements ----

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkRegistered {
    pub network_id: TenantId,
    /// The network's public name (an organisation, not a person).
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StructureAdmitted {
    pub structure_id: TenantId,
    pub kind: StructureKind,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationRegistered {
    pub organisation_id: OrganisationId,
    pub kind: OrganisationKind,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitteeFormed {
    pub committee_id: CommitteeId,
    /// The structures whose requests this committee decides (several when pooled).
    pub structures: Vec<TenantId>,
    pub members: Vec<PersonId>,
    pub quorum: u16,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitteeMembershipChanged {
    pub committee_id: CommitteeId,
    pub members: Vec<PersonId>,
    pub quorum: u16,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuerEndorsed {
    pub endorsement_id: EndorsementId,
    pub organisation_id: OrganisationId,
    /// The organisation's public statement about the issuer (not about a person).
    pub statement: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadgeClassEndorsed {
    pub endorsement_id: EndorsementId,
    pub organisation_id: OrganisationId,
    pub badge_class_id: BadgeClassId,
    pub statement: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndorsementWithdrawn {
    pub endorsement_id: EndorsementId,
}

// ---- network tenant: the issuer's signing keys ----

/// A new issuer key signs the network's credentials from now on; the key it replaces (if
/// any) signs no more but stays published, so that what it signed still verifies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuerKeyActivated {
    pub key_id: IssuerKeyId,
    /// Added in v2; v1 keys were all Ed25519.
    pub algorithm: KeyAlgorithm,
    /// The public key as a Multikey (`z6Mk…` for Ed25519, `zDna…` for P-256). The private key
    /// is never in the log.
    pub public_key_multibase: String,
    pub activated_at: DateTime<Utc>,
    pub replaces: Option<IssuerKeyId>,
}

/// An issuer key is compromised: what it signed from `compromised_since` on is not to be
/// trusted. It stays published, marked revoked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuerKeyRevoked {
    pub key_id: IssuerKeyId,
    pub compromised_since: DateTime<Utc>,
    pub revoked_at: DateTime<Utc>,
    pub reason: KeyRevocationReason,
}

// ---- any tenant: staff roster ----

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffAppointed {
    pub person_id: PersonId,
    pub roles: Vec<Role>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffRolesChanged {
    pub person_id: PersonId,
    pub roles: Vec<Role>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffDeparted {
    pub person_id: PersonId,
}

// ---- network tenant: catalogue ----

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathwayDefined {
    pub pathway_id: PathwayId,
    /// 1: first steps, 2: autonomy, 3: access to employment.
    pub rank: u8,
    pub name: String,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadgeClassPublished {
    pub badge_class_id: BadgeClassId,
    pub revision: u32,
    pub content: BadgeClassContent,
    /// The supporter badge is validated automatically.
    pub automatic_validation: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadgeClassRevised {
    pub badge_class_id: BadgeClassId,
    pub revision: u32,
    pub content: BadgeClassContent,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadgeClassRetired {
    pub badge_class_id: BadgeClassId,
}

// ---- structure tenant: adoption of a badge class ----

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadgeClassAdopted {
    pub badge_class_id: BadgeClassId,
    pub criterion: CriterionDefinition,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionRevised {
    pub badge_class_id: BadgeClassId,
    pub criterion: CriterionDefinition,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationModeSet {
    pub badge_class_id: BadgeClassId,
    pub mode: ValidationMode,
}

// ---- structure tenant (or network tenant for supporters): one earner ----

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarnerEnrolled {
    pub earner_id: PersonId,
    pub enrolled_on: Date,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadgeRequested {
    pub request_id: RequestId,
    pub earner_id: PersonId,
    pub badge_class_id: BadgeClassId,
    /// The catalogue revision the request is for; an award keeps it forever.
    pub revision: u32,
    pub mode: RequestMode,
    pub requested_by: PersonId,
    pub route: ValidationRoute,
    pub evidence: Vec<Evidence>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestWithdrawn {
    pub request_id: RequestId,
    pub reason: Reason,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitteeVoteCast {
    pub request_id: RequestId,
    pub committee_id: CommitteeId,
    pub member_id: PersonId,
    pub vote: Vote,
}

/// Version 2: `decided_by` says who decided (evaluator, committee or automatic) and `reason`
/// carries a code. Version 1 only knew evaluators: see [`upcast`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestApproved {
    pub request_id: RequestId,
    pub decided_by: DecidedBy,
    pub reason: Reason,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRefused {
    pub request_id: RequestId,
    pub decided_by: DecidedBy,
    pub reason: Reason,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadgeAwarded {
    pub award_id: AwardId,
    pub request_id: RequestId,
    pub earner_id: PersonId,
    pub badge_class_id: BadgeClassId,
    pub revision: u32,
    pub awarded_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadgeRevoked {
    pub award_id: AwardId,
    pub reason: Reason,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadgeExpired {
    pub award_id: AwardId,
}

/// Evidence added to a pending request or to an award after the fact (enrichment).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceAdded {
    pub request_id: RequestId,
    pub award_id: Option<AwardId>,
    pub evidence: Evidence,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecommendationAsked {
    pub recommendation_id: RecommendationId,
    pub award_id: AwardId,
    /// The host-company contact; their e-mail address is in their own vault.
    pub recommender_id: PersonId,
    pub organisation_id: Option<OrganisationId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecommendationGiven {
    pub recommendation_id: RecommendationId,
    pub award_id: AwardId,
    pub recommender_id: PersonId,
    pub organisation_id: Option<OrganisationId>,
    /// The testimony speaks about the earner: it lives in the earner's vault.
    pub testimony: VaultRef,
    /// Added in v2: the recommender agreed that the testimony is shown with the badge and
    /// signed by the ledger on their behalf (v1 recommendations were given without that
    /// consent, and stay private).
    pub public: bool,
}

/// The ledger issued a signed Open Badges 3.0 credential for an award.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialIssued {
    pub credential_id: CredentialId,
    pub award_id: AwardId,
    /// The network's Ed25519 key that made the Data Integrity proof.
    pub proof_key_id: IssuerKeyId,
    /// The network's P-256 key that signed the VC-JWT form, when it had one.
    pub jwt_key_id: Option<IssuerKeyId>,
    pub issued_at: DateTime<Utc>,
    /// The signed documents, in the earner's vault: they may show the earner's name and
    /// evidence, so erasing the earner erases them.
    pub document: VaultRef,
    /// SHA-256 (lowercase hex) of the signed JSON-LD credential as stored: what was issued
    /// can be told from anything else later, without the document.
    pub digest: String,
    /// What of the earner's the credential discloses: their name, these pieces of evidence.
    /// It is published only while the earner's consent still covers them.
    pub shows_name: bool,
    pub public_evidence: Vec<EvidenceId>,
}

/// What the earner agreed to show publicly (badge pages, credentials issued from now on). Each
/// setting replaces the previous one whole; nothing is public before the first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicationConsentSet {
    pub show_name: bool,
    /// Recommendations whose recommender also agreed to publication.
    pub show_recommendations: bool,
    /// The pieces of evidence the earner chose to make public.
    pub public_evidence: Vec<EvidenceId>,
}

/// The earner's name as they want it written, and their e-mail address if they have one (a
/// rectification records them again). Both in the earner's vault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarnerIdentityRecorded {
    pub name: VaultRef,
    pub email: Option<VaultRef>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecommendationDeclined {
    pub recommendation_id: RecommendationId,
    pub award_id: AwardId,
}

/// The worker shares their employability report ("CV 2.0") through a link of its own, and
/// chooses what it shows. The link's secret is not here: the ledger derives it from the
/// share id with a key of its own, so the log (and an audit bundle) never opens a CV.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CvShared {
    pub share_id: CvShareId,
    pub shared_at: DateTime<Utc>,
    /// The badges shown (those still standing when the link is opened).
    pub awards: Vec<AwardId>,
    pub show_name: bool,
    /// The pieces of evidence shown, chosen one by one among those of the badges shown.
    pub evidence: Vec<EvidenceId>,
    /// Recommendations whose recommender also agreed to publication.
    pub show_recommendations: bool,
    /// The pathway's dates: enrolment, each badge's date, the exit and its outcome.
    pub show_pathway: bool,
    /// The last day the link opens; none for a link that lasts until revoked.
    pub expires_on: Option<Date>,
}

/// A shared CV's link stops opening.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CvShareRevoked {
    pub share_id: CvShareId,
}

/// The worker's personal data was erased at their request: their vault key is destroyed, so
/// every name, address, note, evidence and testimony of theirs is unreadable from then on.
/// The event itself carries no personal data; the log, its audit trail and every count stay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectErased {
    pub earner_id: PersonId,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathwayExited {
    pub earner_id: PersonId,
    pub outcome: ExitOutcome,
    pub exited_on: Date,
}

/// Every event of the ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainEvent {
    NetworkRegistered(NetworkRegistered),
    StructureAdmitted(StructureAdmitted),
    OrganisationRegistered(OrganisationRegistered),
    CommitteeFormed(CommitteeFormed),
    CommitteeMembershipChanged(CommitteeMembershipChanged),
    IssuerEndorsed(IssuerEndorsed),
    BadgeClassEndorsed(BadgeClassEndorsed),
    EndorsementWithdrawn(EndorsementWithdrawn),
    IssuerKeyActivated(IssuerKeyActivated),
    IssuerKeyRevoked(IssuerKeyRevoked),
    StaffAppointed(StaffAppointed),
    StaffRolesChanged(StaffRolesChanged),
    StaffDeparted(StaffDeparted),
    PathwayDefined(PathwayDefined),
    BadgeClassPublished(BadgeClassPublished),
    BadgeClassRevised(BadgeClassRevised),
    BadgeClassRetired(BadgeClassRetired),
    BadgeClassAdopted(BadgeClassAdopted),
    CriterionRevised(CriterionRevised),
    ValidationModeSet(ValidationModeSet),
    EarnerEnrolled(EarnerEnrolled),
    BadgeRequested(BadgeRequested),
    RequestWithdrawn(RequestWithdrawn),
    CommitteeVoteCast(CommitteeVoteCast),
    RequestApproved(RequestApproved),
    RequestRefused(RequestRefused),
    BadgeAwarded(BadgeAwarded),
    BadgeRevoked(BadgeRevoked),
    BadgeExpired(BadgeExpired),
    EvidenceAdded(EvidenceAdded),
    RecommendationAsked(RecommendationAsked),
    RecommendationGiven(RecommendationGiven),
    RecommendationDeclined(RecommendationDeclined),
    PathwayExited(PathwayExited),
    CredentialIssued(CredentialIssued),
    PublicationConsentSet(PublicationConsentSet),
    EarnerIdentityRecorded(EarnerIdentityRecorded),
    SubjectErased(SubjectErased),
    CvShared(CvShared),
    CvShareRevoked(CvShareRevoked),
}

/// An event in its stored form: type string, schema version and JSON payload.
#[derive(Clone, Debug, PartialEq)]
pub struct EncodedEvent {
    pub event_type: &'static str,
    pub schema_version: u16,
    pub payload: Value,
}

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown event type {event_type} version {schema_version}")]
    UnknownType {
        event_type: String,
        schema_version: u16,
    },
    #[error("payload of {event_type} v{schema_version} does not match its schema: {source}")]
    Payload {
        event_type: String,
        schema_version: u16,
        #[source]
        source: serde_json::Error,
    },
}

/// The one table of type strings and current versions. Adding an event means adding a line
/// here; changing a payload means bumping its version and writing an upcaster.
macro_rules! event_table {
    ($( $variant:ident => $type_string:literal v $version:literal ),* $(,)?) => {
        impl DomainEvent {
            /// The stable type string stored with the event.
            pub fn event_type(&self) -> &'static str {
                match self { $( DomainEvent::$variant(_) => $type_string, )* }
            }

            /// The current schema version of this event's payload.
            pub fn schema_version(&self) -> u16 {
                match self { $( DomainEvent::$variant(_) => $version, )* }
            }

            /// Every (type string, current version) pair, for documentation and golden tests.
            pub const CATALOGUE: &'static [(&'static str, u16)] = &[ $( ($type_string, $version), )* ];

            pub fn encode(&self) -> EncodedEvent {
                let payload = match self {
                    $( DomainEvent::$variant(payload) => serde_json::to_value(payload), )*
                }
                .expect("domain payloads always serialise to JSON");
                EncodedEvent { event_type: self.event_type(), schema_version: self.schema_version(), payload }
            }

            /// Decodes a stored event, upcasting older schema versions to the current one.
            pub fn decode(event_type: &str, schema_version: u16, payload: Value) -> Result<Self, DecodeError> {
                let (schema_version, payload) = upcast(event_type, schema_version, payload)?;
                match (event_type, schema_version) {
                    $( ($type_string, $version) => Ok(DomainEvent::$variant(parse(event_type, schema_version, payload)?)), )*
                    _ => Err(DecodeError::UnknownType { event_type: event_type.to_owned(), schema_version }),
                }
            }

            /// Decodes a stored event from its JSON text. Current versions are read straight
            /// from the text (no intermediate `Value` tree: replays and rebuilds read millions
            /// of events); older versions go through [`upcast`].
            pub fn decode_json(event_type: &str, schema_version: u16, json: &str) -> Result<Self, DecodeError> {
                match (event_type, schema_version) {
                    $( ($type_string, $version) => Ok(DomainEvent::$variant(parse_str(event_type, schema_version, json)?)), )*
                    _ => {
                        let payload = parse_str(event_type, schema_version, json)?;
                        Self::decode(event_type, schema_version, payload)
                    }
                }
            }
        }
    };
}

event_table! {
    NetworkRegistered => "network.registered" v 1,
    StructureAdmitted => "network.structure_admitted" v 1,
    OrganisationRegistered => "network.organisation_registered" v 1,
    CommitteeFormed => "network.committee_formed" v 1,
    CommitteeMembershipChanged => "network.committee_membership_changed" v 1,
    IssuerEndorsed => "network.issuer_endorsed" v 1,
    BadgeClassEndorsed => "network.badge_class_endorsed" v 1,
    EndorsementWithdrawn => "network.endorsement_withdrawn" v 1,
    IssuerKeyActivated => "issuer_keys.key_activated" v 2,
    IssuerKeyRevoked => "issuer_keys.key_revoked" v 1,
    StaffAppointed => "staff.appointed" v 1,
    StaffRolesChanged => "staff.roles_changed" v 1,
    StaffDeparted => "staff.departed" v 1,
    PathwayDefined => "catalogue.pathway_defined" v 1,
    BadgeClassPublished => "catalogue.badge_class_published" v 1,
    BadgeClassRevised => "catalogue.badge_class_revised" v 1,
    BadgeClassRetired => "catalogue.badge_class_retired" v 1,
    BadgeClassAdopted => "adoption.badge_class_adopted" v 1,
    CriterionRevised => "adoption.criterion_revised" v 1,
    ValidationModeSet => "adoption.validation_mode_set" v 1,
    EarnerEnrolled => "earner.enrolled" v 1,
    BadgeRequested => "earner.badge_requested" v 1,
    RequestWithdrawn => "earner.request_withdrawn" v 1,
    CommitteeVoteCast => "earner.committee_vote_cast" v 1,
    RequestApproved => "earner.request_approved" v 2,
    RequestRefused => "earner.request_refused" v 1,
    BadgeAwarded => "earner.badge_awarded" v 1,
    BadgeRevoked => "earner.badge_revoked" v 1,
    BadgeExpired => "earner.badge_expired" v 1,
    EvidenceAdded => "earner.evidence_added" v 1,
    RecommendationAsked => "earner.recommendation_asked" v 1,
    RecommendationGiven => "earner.recommendation_given" v 2,
    RecommendationDeclined => "earner.recommendation_declined" v 1,
    PathwayExited => "earner.pathway_exited" v 1,
    CredentialIssued => "earner.credential_issued" v 1,
    PublicationConsentSet => "earner.publication_consent_set" v 1,
    EarnerIdentityRecorded => "earner.identity_recorded" v 1,
    SubjectErased => "earner.subject_erased" v 1,
    CvShared => "earner.cv_shared" v 1,
    CvShareRevoked => "earner.cv_share_revoked" v 1,
}

fn parse_str<T: DeserializeOwned>(
    event_type: &str,
    schema_version: u16,
    json: &str,
) -> Result<T, DecodeError> {
    serde_json::from_str(json).map_err(|source| DecodeError::Payload {
        event_type: event_type.to_owned(),
        schema_version,
        source,
    })
}

fn parse<T: DeserializeOwned>(
    event_type: &str,
    schema_version: u16,
    payload: Value,
) -> Result<T, DecodeError> {
    serde_json::from_value(payload).map_err(|source| DecodeError::Payload {
        event_type: event_type.to_owned(),
        schema_version,
        source,
    })
}

/// Brings an old payload up to the current version of its type, one version at a time.
///
/// `earner.request_approved` v1 (before committees existed) was
/// `{"request_id": .., "approved_by": <person id>, "comment": <vault ref or null>}`;
/// v2 says who decided as a tagged `decided_by` and carries a reason code.
///
/// `issuer_keys.key_activated` v1 (Ed25519 keys only) had no `algorithm`; v2 names it.
/// `earner.recommendation_given` v1 had no consent to publication; v2 records it (`public`).
pub fn upcast(
    event_type: &str,
    schema_version: u16,
    payload: Value,
) -> Result<(u16, Value), DecodeError> {
    match (event_type, schema_version) {
        ("earner.request_approved", 1) => {
            let v1: RequestApprovedV1 = parse(event_type, 1, payload)?;
            let v2 = RequestApproved {
                request_id: v1.request_id,
                decided_by: DecidedBy::Evaluator {
                    person_id: v1.approved_by,
                },
                reason: Reason {
                    code: ReasonCode::CriteriaMet,
                    note: v1.comment,
                },
            };
            let payload =
                serde_json::to_value(v2).expect("domain payloads always serialise to JSON");
            upcast(event_type, 2, payload)
        }
        ("earner.recommendation_given", 1) => {
            // v1 recorded no consent to publication: those testimonies stay private.
            let mut payload = payload;
            if let Some(object) = payload.as_object_mut() {
                object.entry("public").or_insert(Value::Bool(false));
            }
            upcast(event_type, 2, payload)
        }
        ("issuer_keys.key_activated", 1) => {
            // v1 had no algorithm: every key was Ed25519. A payload that is not an object is
            // left as it is, and refused as malformed by the decoder.
            let mut payload = payload;
            if let Some(object) = payload.as_object_mut() {
                object
                    .entry("algorithm")
                    .or_insert_with(|| Value::from("Ed25519"));
            }
            upcast(event_type, 2, payload)
        }
        _ => Ok((schema_version, payload)),
    }
}

/// The v1 shape of `earner.request_approved`, kept only to read old events.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestApprovedV1 {
    request_id: RequestId,
    approved_by: PersonId,
    comment: Option<VaultRef>,
}
