//! One worker in insertion (stream "earner-<person id>" of a structure tenant, or of the network
//! tenant for supporters): enrolment, every request and award, evidence, recommendations and
//! the exit of the pathway.
//!
//! All of one earner's requests and awards live in one stream so that the rules that span them
//! ("no second pending request for a badge class", "no second active award") are checked
//! against one consistent state, without a cross-stream transaction.
//!
//! Facts kept by other aggregates (the badge class, the structure's adoption, the committee)
//! come in the command as snapshots (see [`crate::snapshot`]). Identifiers of what a command
//! may create (an award when a decision approves) come in the command too, so that `decide`
//! stays pure; they are used only when the command does create that thing.
//!
//! Decisions:
//! - automatic badges (the supporter badge) are requested, approved and awarded at once;
//! - systematic validation: one evaluator holding one of the criterion's evaluator roles decides;
//! - committee validation: members vote, one vote each; when the number of votes reaches the
//!   quorum fixed at request time, the majority decides. A tie refuses the request: a badge is
//!   a public statement of skill, and the issuer only makes it when most of the deciding
//!   members agree.
//!
//! Nobody decides on a request they made, nor on their own request, nor (for a pair request)
//! on the request they prepared with the earner as counsellor: the decision must be someone
//! else's eyes.

use crate::decider::{describe_roles, require_any_role, Aggregate};
use crate::events::*;
use crate::ids::*;
use crate::input::{check_unique, EVIDENCE_PER_REQUEST_MAX};
use crate::model::*;
use crate::snapshot::{AdoptionSnapshot, BadgeClassSnapshot, CommitteeSnapshot, ValidationSetting};
use crate::DomainError;
use chrono::{DateTime, Months, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// Staff roles that may enrol a worker, make requests with or for them, and enrich their badges.
pub const SUPPORT_ROLES: [Role; 4] = [
    Role::Counsellor,
    Role::StructureAdmin,
    Role::Direction,
    Role::TechnicalSupervisor,
];

/// Roles that may revoke an award: the structure's management, or the network as issuer.
pub const REVOKING_ROLES: [Role; 3] = [Role::StructureAdmin, Role::Direction, Role::NetworkAdmin];

/// Roles that may erase a worker's personal data, on the worker's request: the network, as
/// the controller of the programme's data.
pub const ERASING_ROLES: [Role; 1] = [Role::NetworkAdmin];

/// Roles that may record the exit of a pathway.
pub const EXIT_RECORDING_ROLES: [Role; 3] =
    [Role::Counsellor, Role::StructureAdmin, Role::Direction];

/// An evaluator's verdict on a request under systematic validation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Approve,
    Refuse,
}

/// Where evidence is added: to a pending request, or to an award (enrichment after the fact).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvidenceTarget {
    Request(RequestId),
    Award(AwardId),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EarnerCommand {
    Enrol {
        earner_id: PersonId,
        enrolled_on: Date,
    },
    RequestBadge(RequestBadge),
    WithdrawRequest {
        request_id: RequestId,
        reason: Reason,
    },
    /// An evaluator decides on a request under systematic validation.
    DecideRequest {
        request_id: RequestId,
        verdict: Verdict,
        reason: Reason,
        /// Used only when the request is approved.
        award_id: AwardId,
        /// Validity of the revision the request is for
        /// ([`crate::catalogue::BadgeClass::validity_months_of`]).
        validity_months: Option<u32>,
    },
    /// A committee member votes on a request under committee validation.
    CastCommitteeVote {
        request_id: RequestId,
        /// The committee as the network knows it now ([`crate::network::Network::committee`]):
        /// its current members may vote; the quorum is the one fixed at request time.
        committee: CommitteeSnapshot,
        vote: Vote,
        /// Used only when this vote reaches the quorum and the request is approved.
        award_id: AwardId,
        /// Validity of the revision the request is for.
        validity_months: Option<u32>,
    },
    RevokeBadge {
        award_id: AwardId,
        reason: Reason,
    },
    ExpireBadge {
        award_id: AwardId,
    },
    AddEvidence {
        target: EvidenceTarget,
        evidence: Evidence,
    },
    AskRecommendation {
        recommendation_id: RecommendationId,
        award_id: AwardId,
        recommender_id: PersonId,
        organisation_id: Option<OrganisationId>,
        /// Parsed to prove the address is valid before the request is sent; it is stored in the
        /// recommender's vault by the application layer and never goes into an event.
        recommender_email: EmailAddress,
    },
    /// Answers an asked recommendation, or gives one spontaneously (QR code, search) when
    /// `recommendation_id` is new.
    GiveRecommendation {
        recommendation_id: RecommendationId,
        award_id: AwardId,
        recommender_id: PersonId,
        organisation_id: Option<OrganisationId>,
        testimony: VaultRef,
        /// The recommender agrees that the testimony is shown with the badge and signed by
        /// the ledger on their behalf.
        public: bool,
    },
    DeclineRecommendation {
        recommendation_id: RecommendationId,
    },
    RecordPathwayExit {
        outcome: ExitOutcome,
        exited_on: Date,
    },
    /// Records that the ledger issued a signed credential for an award. The application
    /// layer builds and signs it, and seals it into the earner's vault, before this runs.
    IssueCredential(IssueCredential),
    /// The earner's own choice of what is shown publicly.
    SetPublicationConsent {
        show_name: bool,
        show_recommendations: bool,
        public_evidence: Vec<EvidenceId>,
    },
    /// The earner's name and e-mail address, in their vault (a rectification records them
    /// again).
    RecordIdentity {
        name: VaultRef,
        email: Option<VaultRef>,
    },
    /// Erases the worker's personal data at their request (GDPR article 17): the application
    /// destroys their vault key; the event records only that it happened.
    Erase,
    /// The earner shares their employability report ("CV 2.0") through a new link, showing
    /// what they choose.
    ShareCv {
        share_id: CvShareId,
        choices: CvChoices,
        expires_on: Option<Date>,
    },
    /// A shared CV's link stops opening: the earner's choice, or their counsellor's when a link
    /// went where it should not.
    RevokeCvShare {
        share_id: CvShareId,
    },
}

/// What a shared CV shows: the earner's choice, link by link.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CvChoices {
    /// The badges shown (only while they stand: a revoked or expired badge disappears).
    pub awards: Vec<AwardId>,
    pub show_name: bool,
    /// The pieces of evidence shown, chosen one by one (a piece added later is not shown).
    pub evidence: Vec<EvidenceId>,
    /// Only those whose recommender agreed to publication too.
    pub show_recommendations: bool,
    /// Enrolment, badge dates, exit and its outcome.
    pub show_pathway: bool,
}

/// One link through which the earner shares their CV.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CvShare {
    pub choices: CvChoices,
    pub shared_at: DateTime<Utc>,
    pub expires_on: Option<Date>,
    pub revoked: bool,
}

impl CvShare {
    /// Whether the link opens on `today`.
    pub fn opens_on(&self, today: Date) -> bool {
        !self.revoked && self.expires_on.is_none_or(|last_day| today <= last_day)
    }
}

/// Links a worker may have open at once: enough for every employer they meet in a pathway.
pub const CV_SHARES_OPEN_MAX: usize = 20;
/// Badges one shared CV may show.
pub const CV_SHARE_AWARDS_MAX: usize = 100;

/// What [`EarnerCommand::IssueCredential`] records (see [`CredentialIssued`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssueCredential {
    pub credential_id: CredentialId,
    pub award_id: AwardId,
    pub proof_key_id: IssuerKeyId,
    pub jwt_key_id: Option<IssuerKeyId>,
    pub document: VaultRef,
    pub digest: String,
    /// What the credential discloses, which the earner's consent must cover now.
    pub shows_name: bool,
    pub public_evidence: Vec<EvidenceId>,
}

/// A credential issued for an award, as the log tells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedCredential {
    pub credential_id: CredentialId,
    pub award_id: AwardId,
    pub proof_key_id: IssuerKeyId,
    pub jwt_key_id: Option<IssuerKeyId>,
    pub issued_at: DateTime<Utc>,
    pub document: VaultRef,
    pub digest: String,
    pub shows_name: bool,
    pub public_evidence: Vec<EvidenceId>,
}

impl IssuedCredential {
    /// Whether everything the credential discloses is still covered by `consent`: only then
    /// is it published (the earner keeps their copy either way).
    pub fn within(&self, consent: &PublicationConsent) -> bool {
        (!self.shows_name || consent.show_name)
            && self
                .public_evidence
                .iter()
                .all(|evidence_id| consent.public_evidence.contains(evidence_id))
    }
}

/// What the earner agreed to show publicly. Nothing before their first choice.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublicationConsent {
    pub show_name: bool,
    pub show_recommendations: bool,
    pub public_evidence: BTreeSet<EvidenceId>,
}

/// A request for a badge, with the facts gathered from other aggregates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestBadge {
    pub request_id: RequestId,
    /// From [`crate::catalogue::BadgeClass::snapshot`].
    pub badge_class: BadgeClassSnapshot,
    /// From [`crate::adoption::Adoption::snapshot`]; `None` when the structure has not
    /// adopted the class (only automatic badges can be requested then).
    pub adoption: Option<AdoptionSnapshot>,
    pub mode: RequestMode,
    /// In pair mode, the roles the named counsellor holds in this tenant
    /// ([`crate::staff::Staff::roles_of`]); ignored in other modes.
    pub counsellor_roles: Vec<Role>,
    pub evidence: Vec<Evidence>,
    /// Used only when the class validates automatically and the badge is awarded at once.
    pub award_id: AwardId,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestStatus {
    Pending,
    Withdrawn,
    Approved,
    Refused,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub badge_class_id: BadgeClassId,
    pub revision: u32,
    pub mode: RequestMode,
    pub requested_by: PersonId,
    pub route: ValidationRoute,
    pub status: RequestStatus,
    /// Committee votes, in the order they were cast.
    pub votes: Vec<(PersonId, Vote)>,
    pub evidence: Vec<Evidence>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Award {
    pub request_id: RequestId,
    pub badge_class_id: BadgeClassId,
    pub revision: u32,
    pub awarded_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked: bool,
    /// Set when the expiry was recorded; an award past its date counts as expired before that.
    pub expiry_recorded: bool,
    pub evidence: Vec<Evidence>,
}

impl Award {
    /// Awarded, not revoked and not expired at `now`.
    pub fn is_active_at(&self, now: DateTime<Utc>) -> bool {
        !self.revoked && !self.is_expired_at(now)
    }

    pub fn is_expired_at(&self, now: DateTime<Utc>) -> bool {
        self.expiry_recorded || self.expires_at.is_some_and(|expires_at| now >= expires_at)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecommendationStatus {
    Asked,
    Given,
    Declined,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recommendation {
    pub award_id: AwardId,
    pub recommender_id: PersonId,
    pub organisation_id: Option<OrganisationId>,
    pub status: RecommendationStatus,
    /// In the earner's vault, once given.
    pub testimony: Option<VaultRef>,
    /// The recommender agreed to its publication with the badge.
    pub public: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Earner {
    earner_id: Option<PersonId>,
    enrolled_on: Option<Date>,
    requests: BTreeMap<RequestId, Request>,
    awards: BTreeMap<AwardId, Award>,
    recommendations: BTreeMap<RecommendationId, Recommendation>,
    /// Every evidence id of the stream, so that one piece is not attached twice.
    evidence_ids: BTreeSet<EvidenceId>,
    exit: Option<(ExitOutcome, Date)>,
    /// Every credential issued, oldest first.
    credentials: Vec<IssuedCredential>,
    consent: PublicationConsent,
    identity: Option<(VaultRef, Option<VaultRef>)>,
    /// The worker's personal data was erased at their request: nothing more is recorded
    /// about them except their awards' expiry.
    erased: bool,
    /// Every CV link the worker made, open or revoked.
    cv_shares: BTreeMap<CvShareId, CvShare>,
}

impl Earner {
    pub fn stream_name(earner_id: PersonId) -> String {
        format!("earner-{earner_id}")
    }

    pub fn earner_id(&self) -> Option<PersonId> {
        self.earner_id
    }

    pub fn enrolled_on(&self) -> Option<Date> {
        self.enrolled_on
    }

    pub fn request(&self, request_id: RequestId) -> Option<&Request> {
        self.requests.get(&request_id)
    }

    pub fn award(&self, award_id: AwardId) -> Option<&Award> {
        self.awards.get(&award_id)
    }

    pub fn awards(&self) -> impl Iterator<Item = (&AwardId, &Award)> {
        self.awards.iter()
    }

    pub fn recommendation(&self, recommendation_id: RecommendationId) -> Option<&Recommendation> {
        self.recommendations.get(&recommendation_id)
    }

    pub fn requests(&self) -> impl Iterator<Item = (&RequestId, &Request)> {
        self.requests.iter()
    }

    pub fn recommendations(&self) -> impl Iterator<Item = (&RecommendationId, &Recommendation)> {
        self.recommendations.iter()
    }

    pub fn exit(&self) -> Option<(ExitOutcome, Date)> {
        self.exit
    }

    /// A CV link of the worker's, open or revoked.
    pub fn cv_share(&self, share_id: CvShareId) -> Option<&CvShare> {
        self.cv_shares.get(&share_id)
    }

    /// Every CV link of the worker's, oldest first (ids are time-ordered).
    pub fn cv_shares(&self) -> impl Iterator<Item = (&CvShareId, &CvShare)> {
        self.cv_shares.iter()
    }

    /// Whether the worker's personal data was erased (GDPR article 17).
    pub fn is_erased(&self) -> bool {
        self.erased
    }

    /// Every credential issued for the earner's awards, oldest first.
    pub fn credentials(&self) -> &[IssuedCredential] {
        &self.credentials
    }

    /// The latest credential of an award: the one to hand out.
    pub fn latest_credential(&self, award_id: AwardId) -> Option<&IssuedCredential> {
        self.credentials
            .iter()
            .rev()
            .find(|credential| credential.award_id == award_id)
    }

    pub fn credential(&self, credential_id: CredentialId) -> Option<&IssuedCredential> {
        self.credentials
            .iter()
            .find(|credential| credential.credential_id == credential_id)
    }

    pub fn consent(&self) -> &PublicationConsent {
        &self.consent
    }

    /// Where the earner's name is kept, if it was recorded.
    pub fn name(&self) -> Option<VaultRef> {
        self.identity.map(|(name, _)| name)
    }

    /// Where the earner's e-mail address is kept, if they gave one.
    pub fn email(&self) -> Option<VaultRef> {
        self.identity.and_then(|(_, email)| email)
    }

    fn require_enrolled(&self) -> Result<PersonId, DomainError> {
        self.earner_id
            .ok_or_else(|| DomainError::NotFound("the earner is not enrolled".to_owned()))
    }

    fn require_request(&self, request_id: RequestId) -> Result<&Request, DomainError> {
        self.requests
            .get(&request_id)
            .ok_or_else(|| DomainError::NotFound(format!("request {request_id}")))
    }

    fn require_pending_request(&self, request_id: RequestId) -> Result<&Request, DomainError> {
        let request = self.require_request(request_id)?;
        if request.status != RequestStatus::Pending {
            return Err(DomainError::RuleViolated(format!(
                "request {request_id} is no longer pending ({:?})",
                request.status
            )));
        }
        Ok(request)
    }

    fn require_award(&self, award_id: AwardId) -> Result<&Award, DomainError> {
        self.awards
            .get(&award_id)
            .ok_or_else(|| DomainError::NotFound(format!("award {award_id}")))
    }

    /// Recommendations are for badges that stand now: awarded, not revoked, not expired.
    fn require_recommendable_award(
        &self,
        award_id: AwardId,
        now: DateTime<Utc>,
    ) -> Result<&Award, DomainError> {
        let award = self.require_award(award_id)?;
        if award.revoked {
            return Err(DomainError::RuleViolated(
                "a revoked badge cannot be enriched".to_owned(),
            ));
        }
        if award.is_expired_at(now) {
            return Err(DomainError::RuleViolated(
                "an expired badge takes no recommendation".to_owned(),
            ));
        }
        Ok(award)
    }

    fn require_new_evidence(
        &self,
        evidence: &Evidence,
        earner_id: PersonId,
    ) -> Result<(), DomainError> {
        require_in_earner_vault("evidence content", evidence.content, earner_id)?;
        if self.evidence_ids.contains(&evidence.evidence_id) {
            return Err(DomainError::RuleViolated(format!(
                "evidence {} is already attached",
                evidence.evidence_id
            )));
        }
        Ok(())
    }

    fn require_new_award_id(&self, award_id: AwardId) -> Result<(), DomainError> {
        if self.awards.contains_key(&award_id) {
            return Err(DomainError::RuleViolated(format!(
                "award {award_id} already exists"
            )));
        }
        Ok(())
    }

    /// The events of an approval: the decision, then the award, which keeps the revision the
    /// request was made for.
    #[allow(clippy::too_many_arguments)]
    fn approval(
        &self,
        request_id: RequestId,
        request: &Request,
        earner_id: PersonId,
        decided_by: DecidedBy,
        reason: Reason,
        award_id: AwardId,
        validity_months: Option<u32>,
        now: DateTime<Utc>,
    ) -> Result<Vec<DomainEvent>, DomainError> {
        self.require_new_award_id(award_id)?;
        let expires_at = expiry(now, validity_months)?;
        Ok(vec![
            DomainEvent::RequestApproved(RequestApproved {
                request_id,
                decided_by,
                reason,
            }),
            DomainEvent::BadgeAwarded(BadgeAwarded {
                award_id,
                request_id,
                earner_id,
                badge_class_id: request.badge_class_id,
                revision: request.revision,
                awarded_at: now,
                expires_at,
            }),
        ])
    }

    fn decide_request_badge(
        &self,
        command: &RequestBadge,
        context: &CommandContext,
    ) -> Result<Vec<DomainEvent>, DomainError> {
        let RequestBadge {
            request_id,
            badge_class,
            adoption,
            mode,
            counsellor_roles,
            evidence,
            award_id,
        } = command;
        if evidence.len() > EVIDENCE_PER_REQUEST_MAX {
            return Err(DomainError::InvalidInput(format!(
                "at most {EVIDENCE_PER_REQUEST_MAX} pieces of evidence per request"
            )));
        }
        let evidence_ids: Vec<EvidenceId> =
            evidence.iter().map(|piece| piece.evidence_id).collect();
        check_unique("evidence", &evidence_ids)?;
        let earner_id = self.require_enrolled()?;
        for piece in evidence {
            self.require_new_evidence(piece, earner_id)?;
        }

        // Who may request: the earner alone in individual mode, or supporting staff.
        let actor = &context.actor;
        if actor.person_id == earner_id {
            if *mode != RequestMode::Individual {
                return Err(DomainError::Forbidden(
                    "an earner requests alone in individual mode; pair and workshop requests are made by staff"
                        .to_owned(),
                ));
            }
        } else {
            require_any_role(context, &SUPPORT_ROLES, "request a badge for a worker")?;
        }
        if let RequestMode::Pair { counsellor_id } = mode {
            if *counsellor_id == earner_id || !counsellor_roles.contains(&Role::Counsellor) {
                return Err(DomainError::RuleViolated(
                    "a pair request names a counsellor of the structure".to_owned(),
                ));
            }
        }
        if self.exit.is_some() {
            return Err(DomainError::RuleViolated(
                "the worker has left the pathway; no new request".to_owned(),
            ));
        }
        if self.requests.contains_key(request_id) {
            return Err(DomainError::RuleViolated(format!(
                "request {request_id} already exists"
            )));
        }
        if badge_class.retired {
            return Err(DomainError::RuleViolated(
                "the badge class is retired and takes no new request".to_owned(),
            ));
        }

        let route = if badge_class.automatic_validation {
            ValidationRoute::Automatic
        } else {
            let adoption = adoption.as_ref().ok_or_else(|| {
                DomainError::RuleViolated(
                    "the structure has not adopted this badge class".to_owned(),
                )
            })?;
            if adoption.badge_class_id != badge_class.badge_class_id {
                return Err(DomainError::InvalidInput(
                    "the adoption is for another badge class".to_owned(),
                ));
            }
            match &adoption.validation {
                None => {
                    return Err(DomainError::RuleViolated(
                        "the structure has not set a validation mode for this badge class"
                            .to_owned(),
                    ))
                }
                Some(ValidationSetting::Systematic) => ValidationRoute::Evaluator {
                    evaluator_roles: adoption.evaluator_roles.clone(),
                },
                Some(ValidationSetting::Committee(committee)) => ValidationRoute::Committee {
                    committee_id: committee.committee_id,
                    quorum: committee.quorum,
                },
            }
        };

        let same_class_pending = self.requests.values().any(|request| {
            request.badge_class_id == badge_class.badge_class_id
                && request.status == RequestStatus::Pending
        });
        if same_class_pending {
            return Err(DomainError::RuleViolated(
                "a request for this badge class is already pending".to_owned(),
            ));
        }
        let same_class_active = self.awards.values().any(|award| {
            award.badge_class_id == badge_class.badge_class_id && award.is_active_at(context.now)
        });
        if same_class_active {
            return Err(DomainError::RuleViolated(
                "the earner already holds an active award of this badge class".to_owned(),
            ));
        }

        let requested = BadgeRequested {
            request_id: *request_id,
            earner_id,
            badge_class_id: badge_class.badge_class_id,
            revision: badge_class.current_revision,
            mode: *mode,
            requested_by: actor.person_id,
            route: route.clone(),
            evidence: evidence.clone(),
        };
        let request = request_from(&requested);
        let mut events = vec![DomainEvent::BadgeRequested(requested)];
        if route == ValidationRoute::Automatic {
            events.extend(self.approval(
                *request_id,
                &request,
                earner_id,
                DecidedBy::Automatic,
                Reason {
                    code: ReasonCode::CriteriaMet,
                    note: None,
                },
                *award_id,
                badge_class.validity_months,
                context.now,
            )?);
        }
        Ok(events)
    }
}

/// The state of a request as its `BadgeRequested` event makes it; shared with `evolve`.
fn request_from(event: &BadgeRequested) -> Request {
    Request {
        badge_class_id: event.badge_class_id,
        revision: event.revision,
        mode: event.mode,
        requested_by: event.requested_by,
        route: event.route.clone(),
        status: RequestStatus::Pending,
        votes: Vec::new(),
        evidence: event.evidence.clone(),
    }
}

fn expiry(
    awarded_at: DateTime<Utc>,
    validity_months: Option<u32>,
) -> Result<Option<DateTime<Utc>>, DomainError> {
    match validity_months {
        None => Ok(None),
        Some(0) => Err(DomainError::InvalidInput(
            "a validity is at least one month".to_owned(),
        )),
        Some(months) => awarded_at
            .checked_add_months(Months::new(months))
            .map(Some)
            .ok_or_else(|| DomainError::InvalidInput("the expiry date is out of range".to_owned())),
    }
}

/// Personal data about the earner lives in the earner's own vault, so that erasing the earner
/// (destroying their key) erases it too.
fn require_in_earner_vault(
    field: &str,
    reference: VaultRef,
    earner_id: PersonId,
) -> Result<(), DomainError> {
    if reference.person_id == earner_id {
        Ok(())
    } else {
        Err(DomainError::InvalidInput(format!(
            "{field} must be kept in the earner's vault"
        )))
    }
}

fn require_reason_note_in_vault(reason: &Reason, earner_id: PersonId) -> Result<(), DomainError> {
    match reason.note {
        Some(note) => require_in_earner_vault("the reason's note", note, earner_id),
        None => Ok(()),
    }
}

/// Nobody decides on their own request, on a request they made, or on a pair request they
/// prepared as the counsellor.
fn require_independent_decider(
    request: &Request,
    earner_id: PersonId,
    decider: PersonId,
) -> Result<(), DomainError> {
    if decider == earner_id {
        return Err(DomainError::Forbidden(
            "an earner does not decide on their own request".to_owned(),
        ));
    }
    let prepared_it = match request.mode {
        RequestMode::Pair { counsellor_id } => counsellor_id == decider,
        _ => false,
    };
    if decider == request.requested_by || prepared_it {
        return Err(DomainError::Forbidden(
            "the requester does not decide on the request they made".to_owned(),
        ));
    }
    Ok(())
}

impl Aggregate for Earner {
    type Command = EarnerCommand;

    fn decide(
        &self,
        command: &EarnerCommand,
        context: &CommandContext,
    ) -> Result<Vec<DomainEvent>, DomainError> {
        let actor = &context.actor;
        let now = context.now;
        if self.erased && !matches!(command, EarnerCommand::ExpireBadge { .. }) {
            return Err(DomainError::RuleViolated(
                "the worker's personal data was erased: nothing more is recorded about them"
                    .to_owned(),
            ));
        }
        match command {
            EarnerCommand::Erase => {
                let earner_id = self.require_enrolled()?;
                require_any_role(context, &ERASING_ROLES, "erase a worker's personal data")?;
                Ok(vec![DomainEvent::SubjectErased(SubjectErased {
                    earner_id,
                })])
            }
            EarnerCommand::Enrol {
                earner_id,
                enrolled_on,
            } => {
                // A supporter (any person, in the network tenant) enrols themself to request
                // the supporter badge; workers are enrolled by the staff that supports them.
                if actor.person_id != *earner_id {
                    require_any_role(context, &SUPPORT_ROLES, "enrol a worker")?;
                }
                if self.earner_id.is_some() {
                    return Err(DomainError::RuleViolated(
                        "the earner is already enrolled".to_owned(),
                    ));
                }
                Ok(vec![DomainEvent::EarnerEnrolled(EarnerEnrolled {
                    earner_id: *earner_id,
                    enrolled_on: *enrolled_on,
                })])
            }

            EarnerCommand::RequestBadge(request) => self.decide_request_badge(request, context),

            EarnerCommand::WithdrawRequest { request_id, reason } => {
                let earner_id = self.require_enrolled()?;
                require_reason_note_in_vault(reason, earner_id)?;
                let request = self.require_request(*request_id)?;
                if actor.person_id != earner_id && actor.person_id != request.requested_by {
                    require_any_role(context, &SUPPORT_ROLES, "withdraw a worker's request")?;
                }
                self.require_pending_request(*request_id)?;
                Ok(vec![DomainEvent::RequestWithdrawn(RequestWithdrawn {
                    request_id: *request_id,
                    reason: *reason,
                })])
            }

            EarnerCommand::DecideRequest {
                request_id,
                verdict,
                reason,
                award_id,
                validity_months,
            } => {
                let earner_id = self.require_enrolled()?;
                require_reason_note_in_vault(reason, earner_id)?;
                match (verdict, reason.code) {
                    (Verdict::Approve, ReasonCode::CriteriaMet | ReasonCode::Other) => {}
                    (Verdict::Refuse, code) if code != ReasonCode::CriteriaMet => {}
                    (verdict, code) => {
                        return Err(DomainError::InvalidInput(format!(
                            "the reason {code:?} does not fit the verdict {verdict:?}"
                        )))
                    }
                }
                let request = self.require_pending_request(*request_id)?;
                let ValidationRoute::Evaluator { evaluator_roles } = &request.route else {
                    return Err(DomainError::RuleViolated(
                        "this request is decided by a committee vote, not by an evaluator"
                            .to_owned(),
                    ));
                };
                if !actor.has_any_role(evaluator_roles) {
                    return Err(DomainError::Forbidden(format!(
                        "only {} may decide on this request",
                        describe_roles(evaluator_roles)
                    )));
                }
                require_independent_decider(request, earner_id, actor.person_id)?;
                let decided_by = DecidedBy::Evaluator {
                    person_id: actor.person_id,
                };
                match verdict {
                    Verdict::Approve => self.approval(
                        *request_id,
                        request,
                        earner_id,
                        decided_by,
                        *reason,
                        *award_id,
                        *validity_months,
                        now,
                    ),
                    Verdict::Refuse => Ok(vec![DomainEvent::RequestRefused(RequestRefused {
                        request_id: *request_id,
                        decided_by,
                        reason: *reason,
                    })]),
                }
            }

            EarnerCommand::CastCommitteeVote {
                request_id,
                committee,
                vote,
                award_id,
                validity_months,
            } => {
                let earner_id = self.require_enrolled()?;
                let request = self.require_pending_request(*request_id)?;
                let ValidationRoute::Committee {
                    committee_id,
                    quorum,
                } = request.route
                else {
                    return Err(DomainError::RuleViolated(
                        "this request is not decided by a committee".to_owned(),
                    ));
                };
                if committee.committee_id != committee_id {
                    return Err(DomainError::InvalidInput(format!(
                        "this request is decided by committee {committee_id}, not {}",
                        committee.committee_id
                    )));
                }
                if !committee.members.contains(&actor.person_id) {
                    return Err(DomainError::Forbidden(
                        "only members of the committee vote".to_owned(),
                    ));
                }
                require_independent_decider(request, earner_id, actor.person_id)?;
                if request
                    .votes
                    .iter()
                    .any(|(member_id, _)| *member_id == actor.person_id)
                {
                    return Err(DomainError::RuleViolated(
                        "this member has already voted on this request".to_owned(),
                    ));
                }
                let mut events = vec![DomainEvent::CommitteeVoteCast(CommitteeVoteCast {
                    request_id: *request_id,
                    committee_id,
                    member_id: actor.person_id,
                    vote: *vote,
                })];
                let all_votes = request
                    .votes
                    .iter()
                    .map(|(_, vote)| *vote)
                    .chain(std::iter::once(*vote));
                let votes_for = all_votes.clone().filter(|v| *v == Vote::Approve).count();
                let votes_against = all_votes.filter(|v| *v == Vote::Refuse).count();
                if votes_for + votes_against < usize::from(quorum) {
                    return Ok(events);
                }
                // Votes are fewer than members, and members fit a u16 quorum.
                let decided_by = DecidedBy::Committee {
                    committee_id,
                    votes_for: u16::try_from(votes_for).unwrap_or(u16::MAX),
                    votes_against: u16::try_from(votes_against).unwrap_or(u16::MAX),
                };
                if votes_for > votes_against {
                    events.extend(self.approval(
                        *request_id,
                        request,
                        earner_id,
                        decided_by,
                        Reason {
                            code: ReasonCode::CriteriaMet,
                            note: None,
                        },
                        *award_id,
                        *validity_months,
                        now,
                    )?);
                } else {
                    events.push(DomainEvent::RequestRefused(RequestRefused {
                        request_id: *request_id,
                        decided_by,
                        reason: Reason {
                            code: ReasonCode::CriteriaNotMet,
                            note: None,
                        },
                    }));
                }
                Ok(events)
            }

            EarnerCommand::RevokeBadge { award_id, reason } => {
                let earner_id = self.require_enrolled()?;
                require_any_role(context, &REVOKING_ROLES, "revoke a badge")?;
                require_reason_note_in_vault(reason, earner_id)?;
                if reason.code == ReasonCode::CriteriaMet {
                    return Err(DomainError::InvalidInput(
                        "CriteriaMet is no reason to revoke a badge".to_owned(),
                    ));
                }
                let award = self.require_award(*award_id)?;
                if award.revoked {
                    return Err(DomainError::RuleViolated(
                        "the badge is already revoked".to_owned(),
                    ));
                }
                Ok(vec![DomainEvent::BadgeRevoked(BadgeRevoked {
                    award_id: *award_id,
                    reason: *reason,
                })])
            }

            // Expiry follows the clock, not a person's judgement: whoever triggers it (in
            // practice the expiry job), it only happens once the date has passed.
            EarnerCommand::ExpireBadge { award_id } => {
                self.require_enrolled()?;
                let award = self.require_award(*award_id)?;
                if award.revoked {
                    return Err(DomainError::RuleViolated(
                        "a revoked badge does not expire".to_owned(),
                    ));
                }
                if award.expiry_recorded {
                    return Err(DomainError::RuleViolated(
                        "the badge has already expired".to_owned(),
                    ));
                }
                match award.expires_at {
                    None => Err(DomainError::RuleViolated(
                        "this badge does not expire".to_owned(),
                    )),
                    Some(expires_at) if now < expires_at => Err(DomainError::RuleViolated(
                        format!("the badge is valid until {expires_at}"),
                    )),
                    Some(_) => Ok(vec![DomainEvent::BadgeExpired(BadgeExpired {
                        award_id: *award_id,
                    })]),
                }
            }

            EarnerCommand::AddEvidence { target, evidence } => {
                let earner_id = self.require_enrolled()?;
                if actor.person_id != earner_id {
                    require_any_role(context, &SUPPORT_ROLES, "add evidence for a worker")?;
                }
                self.require_new_evidence(evidence, earner_id)?;
                let (request_id, award_id) = match target {
                    EvidenceTarget::Request(request_id) => {
                        self.require_pending_request(*request_id)
                            .map_err(|error| {
                                match error {
                            DomainError::RuleViolated(_) => DomainError::RuleViolated(
                                "evidence goes to a pending request, or to the award once decided"
                                    .to_owned(),
                            ),
                            other => other,
                        }
                            })?;
                        (*request_id, None)
                    }
                    EvidenceTarget::Award(award_id) => {
                        let award = self.require_award(*award_id)?;
                        if award.revoked {
                            return Err(DomainError::RuleViolated(
                                "a revoked badge cannot be enriched".to_owned(),
                            ));
                        }
                        (award.request_id, Some(*award_id))
                    }
                };
                Ok(vec![DomainEvent::EvidenceAdded(EvidenceAdded {
                    request_id,
                    award_id,
                    evidence: *evidence,
                })])
            }

            EarnerCommand::AskRecommendation {
                recommendation_id,
                award_id,
                recommender_id,
                organisation_id,
                recommender_email: _,
            } => {
                let earner_id = self.require_enrolled()?;
                if actor.person_id != earner_id {
                    require_any_role(context, &SUPPORT_ROLES, "ask a recommendation for a worker")?;
                }
                if *recommender_id == earner_id {
                    return Err(DomainError::RuleViolated(
                        "an earner does not recommend their own badge".to_owned(),
                    ));
                }
                self.require_recommendable_award(*award_id, now)?;
                if self.recommendations.contains_key(recommendation_id) {
                    return Err(DomainError::RuleViolated(format!(
                        "recommendation {recommendation_id} already exists"
                    )));
                }
                let already_waiting = self.recommendations.values().any(|recommendation| {
                    recommendation.award_id == *award_id
                        && recommendation.recommender_id == *recommender_id
                        && recommendation.status == RecommendationStatus::Asked
                });
                if already_waiting {
                    return Err(DomainError::RuleViolated(
                        "this recommender has already been asked and has not answered yet"
                            .to_owned(),
                    ));
                }
                Ok(vec![DomainEvent::RecommendationAsked(
                    RecommendationAsked {
                        recommendation_id: *recommendation_id,
                        award_id: *award_id,
                        recommender_id: *recommender_id,
                        organisation_id: *organisation_id,
                    },
                )])
            }

            EarnerCommand::GiveRecommendation {
                recommendation_id,
                award_id,
                recommender_id,
                organisation_id,
                testimony,
                public,
            } => {
                let earner_id = self.require_enrolled()?;
                require_in_earner_vault("the testimony", *testimony, earner_id)?;
                if actor.person_id != *recommender_id {
                    return Err(DomainError::Forbidden(
                        "only the recommender gives their recommendation".to_owned(),
                    ));
                }
                if *recommender_id == earner_id {
                    return Err(DomainError::RuleViolated(
                        "an earner does not recommend their own badge".to_owned(),
                    ));
                }
                if let Some(asked) = self.recommendations.get(recommendation_id) {
                    if asked.award_id != *award_id || asked.recommender_id != *recommender_id {
                        return Err(DomainError::InvalidInput(
                            "the recommendation was asked for another badge or of another person"
                                .to_owned(),
                        ));
                    }
                    if asked.status != RecommendationStatus::Asked {
                        return Err(DomainError::RuleViolated(
                            "the recommendation has already been answered".to_owned(),
                        ));
                    }
                }
                self.require_recommendable_award(*award_id, now)?;
                Ok(vec![DomainEvent::RecommendationGiven(
                    RecommendationGiven {
                        recommendation_id: *recommendation_id,
                        award_id: *award_id,
                        recommender_id: *recommender_id,
                        organisation_id: *organisation_id,
                        testimony: *testimony,
                        public: *public,
                    },
                )])
            }

            EarnerCommand::DeclineRecommendation { recommendation_id } => {
                self.require_enrolled()?;
                let asked = self.recommendations.get(recommendation_id).ok_or_else(|| {
                    DomainError::NotFound(format!("recommendation {recommendation_id}"))
                })?;
                if actor.person_id != asked.recommender_id {
                    return Err(DomainError::Forbidden(
                        "only the person asked may decline a recommendation".to_owned(),
                    ));
                }
                if asked.status != RecommendationStatus::Asked {
                    return Err(DomainError::RuleViolated(
                        "the recommendation has already been answered".to_owned(),
                    ));
                }
                Ok(vec![DomainEvent::RecommendationDeclined(
                    RecommendationDeclined {
                        recommendation_id: *recommendation_id,
                        award_id: asked.award_id,
                    },
                )])
            }

            EarnerCommand::RecordPathwayExit { outcome, exited_on } => {
                let earner_id = self.require_enrolled()?;
                require_any_role(context, &EXIT_RECORDING_ROLES, "record a pathway exit")?;
                if *exited_on > now.date_naive() {
                    return Err(DomainError::InvalidInput(
                        "an exit is recorded once it has happened, not in advance".to_owned(),
                    ));
                }
                if self
                    .enrolled_on
                    .is_some_and(|enrolled_on| *exited_on < enrolled_on)
                {
                    return Err(DomainError::InvalidInput(
                        "the exit cannot precede the enrolment".to_owned(),
                    ));
                }
                if self.exit.is_some() {
                    return Err(DomainError::RuleViolated(
                        "the exit of the pathway is already recorded".to_owned(),
                    ));
                }
                Ok(vec![DomainEvent::PathwayExited(PathwayExited {
                    earner_id,
                    outcome: *outcome,
                    exited_on: *exited_on,
                })])
            }

            // A credential restates an award the log already holds, signed: whoever asks for
            // it (the ledger's issuer right after the award, the earner or their staff for a
            // fresh copy), it says nothing the award does not. It is refused for a badge that
            // no longer stands.
            EarnerCommand::IssueCredential(issue) => {
                let earner_id = self.require_enrolled()?;
                if actor.person_id != earner_id && !actor.is_ledger() {
                    require_any_role(context, &SUPPORT_ROLES, "issue a worker's credential")?;
                }
                require_in_earner_vault("the signed credential", issue.document, earner_id)?;
                let award = self.require_award(issue.award_id)?;
                if award.revoked {
                    return Err(DomainError::RuleViolated(
                        "a revoked badge gets no credential".to_owned(),
                    ));
                }
                if award.is_expired_at(now) {
                    return Err(DomainError::RuleViolated(
                        "an expired badge gets no new credential".to_owned(),
                    ));
                }
                if self.credential(issue.credential_id).is_some() {
                    return Err(DomainError::RuleViolated(format!(
                        "credential {} was already issued",
                        issue.credential_id
                    )));
                }
                let disclosed = IssuedCredential {
                    credential_id: issue.credential_id,
                    award_id: issue.award_id,
                    proof_key_id: issue.proof_key_id,
                    jwt_key_id: issue.jwt_key_id,
                    issued_at: now,
                    document: issue.document,
                    digest: issue.digest.clone(),
                    shows_name: issue.shows_name,
                    public_evidence: issue.public_evidence.clone(),
                };
                if !disclosed.within(&self.consent) {
                    return Err(DomainError::RuleViolated(
                        "the credential discloses more than the earner now agrees to show"
                            .to_owned(),
                    ));
                }
                let is_digest = issue.digest.len() == 64
                    && issue
                        .digest
                        .bytes()
                        .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
                if !is_digest {
                    return Err(DomainError::InvalidInput(
                        "a credential digest is a SHA-256 in lowercase hex".to_owned(),
                    ));
                }
                Ok(vec![DomainEvent::CredentialIssued(CredentialIssued {
                    credential_id: issue.credential_id,
                    award_id: issue.award_id,
                    proof_key_id: issue.proof_key_id,
                    jwt_key_id: issue.jwt_key_id,
                    issued_at: now,
                    document: issue.document,
                    digest: issue.digest.clone(),
                    shows_name: issue.shows_name,
                    public_evidence: issue.public_evidence.clone(),
                })])
            }

            // Consent is the earner's own: nobody gives it for them, not even their counsellor.
            EarnerCommand::SetPublicationConsent {
                show_name,
                show_recommendations,
                public_evidence,
            } => {
                let earner_id = self.require_enrolled()?;
                if actor.person_id != earner_id {
                    return Err(DomainError::Forbidden(
                        "only the earner decides what of theirs is public".to_owned(),
                    ));
                }
                check_unique("evidence", public_evidence)?;
                if let Some(unknown) = public_evidence
                    .iter()
                    .find(|evidence_id| !self.evidence_ids.contains(evidence_id))
                {
                    return Err(DomainError::NotFound(format!("evidence {unknown}")));
                }
                let mut public_evidence = public_evidence.clone();
                public_evidence.sort();
                Ok(vec![DomainEvent::PublicationConsentSet(
                    PublicationConsentSet {
                        show_name: *show_name,
                        show_recommendations: *show_recommendations,
                        public_evidence,
                    },
                )])
            }

            EarnerCommand::ShareCv {
                share_id,
                choices,
                expires_on,
            } => self.decide_share_cv(*share_id, choices, *expires_on, context),

            EarnerCommand::RevokeCvShare { share_id } => {
                let earner_id = self.require_enrolled()?;
                if actor.person_id != earner_id {
                    require_any_role(context, &SUPPORT_ROLES, "revoke a worker's CV link")?;
                }
                match self.cv_shares.get(share_id) {
                    None => Err(DomainError::NotFound(format!("CV link {share_id}"))),
                    Some(share) if share.revoked => Err(DomainError::RuleViolated(format!(
                        "CV link {share_id} is already revoked"
                    ))),
                    Some(_) => Ok(vec![DomainEvent::CvShareRevoked(CvShareRevoked {
                        share_id: *share_id,
                    })]),
                }
            }

            EarnerCommand::RecordIdentity { name, email } => {
                let earner_id = self.require_enrolled()?;
                if actor.person_id != earner_id {
                    require_any_role(context, &SUPPORT_ROLES, "record a worker's identity")?;
                }
                require_in_earner_vault("the name", *name, earner_id)?;
                if let Some(email) = email {
                    require_in_earner_vault("the e-mail address", *email, earner_id)?;
                }
                Ok(vec![DomainEvent::EarnerIdentityRecorded(
                    EarnerIdentityRecorded {
                        name: *name,
                        email: *email,
                    },
                )])
            }
        }
    }

    fn evolve(mut self, event: &DomainEvent) -> Self {
        match event {
            DomainEvent::EarnerEnrolled(event) => {
                self.earner_id = Some(event.earner_id);
                self.enrolled_on = Some(event.enrolled_on);
            }
            DomainEvent::BadgeRequested(event) => {
                self.evidence_ids
                    .extend(event.evidence.iter().map(|piece| piece.evidence_id));
                self.requests.insert(event.request_id, request_from(event));
            }
            DomainEvent::RequestWithdrawn(event) => {
                self.set_request_status(event.request_id, RequestStatus::Withdrawn);
            }
            DomainEvent::CommitteeVoteCast(event) => {
                if let Some(request) = self.requests.get_mut(&event.request_id) {
                    request.votes.push((event.member_id, event.vote));
                }
            }
            DomainEvent::RequestApproved(event) => {
                self.set_request_status(event.request_id, RequestStatus::Approved);
            }
            DomainEvent::RequestRefused(event) => {
                self.set_request_status(event.request_id, RequestStatus::Refused);
            }
            DomainEvent::BadgeAwarded(event) => {
                self.awards.insert(
                    event.award_id,
                    Award {
                        request_id: event.request_id,
                        badge_class_id: event.badge_class_id,
                        revision: event.revision,
                        awarded_at: event.awarded_at,
                        expires_at: event.expires_at,
                        revoked: false,
                        expiry_recorded: false,
                        evidence: Vec::new(),
                    },
                );
            }
            DomainEvent::BadgeRevoked(event) => {
                if let Some(award) = self.awards.get_mut(&event.award_id) {
                    award.revoked = true;
                }
            }
            DomainEvent::BadgeExpired(event) => {
                if let Some(award) = self.awards.get_mut(&event.award_id) {
                    award.expiry_recorded = true;
                }
            }
            DomainEvent::EvidenceAdded(event) => {
                self.evidence_ids.insert(event.evidence.evidence_id);
                let award = event.award_id.and_then(|id| self.awards.get_mut(&id));
                if let Some(award) = award {
                    award.evidence.push(event.evidence);
                } else if let Some(request) = self.requests.get_mut(&event.request_id) {
                    request.evidence.push(event.evidence);
                }
            }
            DomainEvent::RecommendationAsked(event) => {
                self.recommendations.insert(
                    event.recommendation_id,
                    Recommendation {
                        award_id: event.award_id,
                        recommender_id: event.recommender_id,
                        organisation_id: event.organisation_id,
                        status: RecommendationStatus::Asked,
                        testimony: None,
                        public: false,
                    },
                );
            }
            DomainEvent::RecommendationGiven(event) => {
                self.recommendations.insert(
                    event.recommendation_id,
                    Recommendation {
                        award_id: event.award_id,
                        recommender_id: event.recommender_id,
                        organisation_id: event.organisation_id,
                        status: RecommendationStatus::Given,
                        testimony: Some(event.testimony),
                        public: event.public,
                    },
                );
            }
            DomainEvent::RecommendationDeclined(event) => {
                if let Some(recommendation) = self.recommendations.get_mut(&event.recommendation_id)
                {
                    recommendation.status = RecommendationStatus::Declined;
                }
            }
            DomainEvent::PathwayExited(event) => self.exit = Some((event.outcome, event.exited_on)),
            DomainEvent::CredentialIssued(event) => self.credentials.push(IssuedCredential {
                credential_id: event.credential_id,
                award_id: event.award_id,
                proof_key_id: event.proof_key_id,
                jwt_key_id: event.jwt_key_id,
                issued_at: event.issued_at,
                document: event.document,
                digest: event.digest.clone(),
                shows_name: event.shows_name,
                public_evidence: event.public_evidence.clone(),
            }),
            DomainEvent::PublicationConsentSet(event) => {
                self.consent = PublicationConsent {
                    show_name: event.show_name,
                    show_recommendations: event.show_recommendations,
                    public_evidence: event.public_evidence.iter().copied().collect(),
                };
            }
            DomainEvent::EarnerIdentityRecorded(event) => {
                self.identity = Some((event.name, event.email));
            }
            DomainEvent::SubjectErased(_) => {
                self.erased = true;
                self.identity = None;
                self.consent = PublicationConsent::default();
                for share in self.cv_shares.values_mut() {
                    share.revoked = true;
                }
            }
            DomainEvent::CvShared(event) => {
                self.cv_shares.insert(
                    event.share_id,
                    CvShare {
                        choices: CvChoices {
                            awards: event.awards.clone(),
                            show_name: event.show_name,
                            evidence: event.evidence.clone(),
                            show_recommendations: event.show_recommendations,
                            show_pathway: event.show_pathway,
                        },
                        shared_at: event.shared_at,
                        expires_on: event.expires_on,
                        revoked: false,
                    },
                );
            }
            DomainEvent::CvShareRevoked(event) => {
                if let Some(share) = self.cv_shares.get_mut(&event.share_id) {
                    share.revoked = true;
                }
            }
            _ => {}
        }
        self
    }
}

impl Earner {
    /// A CV is the worker's own to share: their badges, chosen one by one, standing now.
    fn decide_share_cv(
        &self,
        share_id: CvShareId,
        choices: &CvChoices,
        expires_on: Option<Date>,
        context: &CommandContext,
    ) -> Result<Vec<DomainEvent>, DomainError> {
        let earner_id = self.require_enrolled()?;
        if context.actor.person_id != earner_id {
            return Err(DomainError::Forbidden(
                "only the worker shares their CV".to_owned(),
            ));
        }
        if self.cv_shares.contains_key(&share_id) {
            return Err(DomainError::RuleViolated(format!(
                "CV link {share_id} already exists"
            )));
        }
        if choices.awards.is_empty() {
            return Err(DomainError::InvalidInput(
                "a shared CV shows at least one badge".to_owned(),
            ));
        }
        if choices.awards.len() > CV_SHARE_AWARDS_MAX {
            return Err(DomainError::InvalidInput(format!(
                "a shared CV shows at most {CV_SHARE_AWARDS_MAX} badges"
            )));
        }
        check_unique("award", &choices.awards)?;
        for award_id in &choices.awards {
            let award = self.require_award(*award_id)?;
            if !award.is_active_at(context.now) {
                return Err(DomainError::RuleViolated(format!(
                    "badge {award_id} no longer stands (revoked or expired): it cannot be shown"
                )));
            }
        }
        check_unique("evidence", &choices.evidence)?;
        let shown: BTreeSet<EvidenceId> = choices
            .awards
            .iter()
            .filter_map(|award_id| self.awards.get(award_id))
            .flat_map(|award| {
                let requested = self
                    .requests
                    .get(&award.request_id)
                    .map(|request| request.evidence.clone())
                    .unwrap_or_default();
                requested.into_iter().chain(award.evidence.iter().copied())
            })
            .map(|piece| piece.evidence_id)
            .collect();
        if let Some(other) = choices.evidence.iter().find(|piece| !shown.contains(piece)) {
            return Err(DomainError::NotFound(format!(
                "evidence {other} among the badges shown"
            )));
        }
        let today = context.now.date_naive();
        if expires_on.is_some_and(|last_day| last_day < today) {
            return Err(DomainError::InvalidInput(
                "a CV link's last day is today or later".to_owned(),
            ));
        }
        let open = self
            .cv_shares
            .values()
            .filter(|share| share.opens_on(today))
            .count();
        if open >= CV_SHARES_OPEN_MAX {
            return Err(DomainError::RuleViolated(format!(
                "at most {CV_SHARES_OPEN_MAX} CV links are open at once: revoke one first"
            )));
        }
        Ok(vec![DomainEvent::CvShared(CvShared {
            share_id,
            shared_at: context.now,
            awards: choices.awards.clone(),
            show_name: choices.show_name,
            evidence: choices.evidence.clone(),
            show_recommendations: choices.show_recommendations,
            show_pathway: choices.show_pathway,
            expires_on,
        })])
    }

    fn set_request_status(&mut self, request_id: RequestId, status: RequestStatus) {
        if let Some(request) = self.requests.get_mut(&request_id) {
            request.status = status;
        }
    }
}

#[cfg(test)]
mod tests;
