//! Given / when / then tests of one earner's stream: requests, decisions, committee votes,
//! awards, revocation, expiry, evidence, recommendations and the pathway exit.

use super::*;
use crate::decider::given;
use crate::test_fixtures::*;

// ---- people and contexts ----

fn earner_id() -> PersonId {
    id(100)
}
fn counsellor_id() -> PersonId {
    id(101)
}
fn direction_id() -> PersonId {
    id(102)
}
fn supervisor_id() -> PersonId {
    id(103)
}
fn member(number: u128) -> PersonId {
    id(110 + number)
}
fn recommender_id() -> PersonId {
    id(120)
}

fn as_person(person_id: PersonId, roles: &[Role]) -> CommandContext {
    acting_in(structure_tenant(), person_id, roles)
}
fn as_earner() -> CommandContext {
    as_person(earner_id(), &[Role::Earner])
}
fn as_counsellor() -> CommandContext {
    as_person(counsellor_id(), &[Role::Counsellor])
}
fn as_direction() -> CommandContext {
    as_person(direction_id(), &[Role::Direction])
}
fn as_member(number: u128) -> CommandContext {
    as_person(member(number), &[Role::CommitteeMember])
}
fn as_recommender() -> CommandContext {
    as_person(recommender_id(), &[])
}

// ---- catalogue and adoption facts ----

fn badge_class_id() -> BadgeClassId {
    id(0x70)
}
fn supporter_badge_id() -> BadgeClassId {
    id(0x71)
}

/// The class is at revision 2 with a validity of 24 months.
fn badge_class() -> BadgeClassSnapshot {
    BadgeClassSnapshot {
        badge_class_id: badge_class_id(),
        current_revision: 2,
        retired: false,
        automatic_validation: false,
        validity_months: Some(24),
    }
}

fn supporter_badge(validity_months: Option<u32>) -> BadgeClassSnapshot {
    BadgeClassSnapshot {
        badge_class_id: supporter_badge_id(),
        current_revision: 1,
        retired: false,
        automatic_validation: true,
        validity_months,
    }
}

fn evaluator_roles() -> Vec<Role> {
    vec![Role::Counsellor, Role::Direction]
}

fn systematic() -> Option<AdoptionSnapshot> {
    Some(AdoptionSnapshot {
        badge_class_id: badge_class_id(),
        evaluator_roles: evaluator_roles(),
        validation: Some(ValidationSetting::Systematic),
    })
}

fn committee_id() -> CommitteeId {
    id(0x60)
}

/// Three members (110, 111, 112).
fn committee(quorum: u16) -> CommitteeSnapshot {
    CommitteeSnapshot {
        committee_id: committee_id(),
        structures: vec![structure_tenant()],
        members: vec![member(0), member(1), member(2)],
        quorum,
    }
}

fn by_committee(quorum: u16) -> Option<AdoptionSnapshot> {
    Some(AdoptionSnapshot {
        badge_class_id: badge_class_id(),
        evaluator_roles: evaluator_roles(),
        validation: Some(ValidationSetting::Committee(committee(quorum))),
    })
}

// ---- ids, evidence, reasons ----

fn request_id() -> RequestId {
    id(0x900)
}
fn award_id() -> AwardId {
    id(0xA00)
}
fn evidence(number: u128) -> Evidence {
    Evidence {
        evidence_id: id(0xE00 + number),
        kind: EvidenceKind::Document,
        content: VaultRef {
            person_id: earner_id(),
            entry_id: id(0xF00 + number),
        },
    }
}
fn reason(code: ReasonCode) -> Reason {
    Reason { code, note: None }
}

// ---- commands ----

fn request(
    mode: RequestMode,
    badge_class: BadgeClassSnapshot,
    adoption: Option<AdoptionSnapshot>,
) -> EarnerCommand {
    EarnerCommand::RequestBadge(RequestBadge {
        request_id: request_id(),
        badge_class,
        adoption,
        mode,
        counsellor_roles: vec![Role::Counsellor],
        evidence: vec![],
        award_id: award_id(),
    })
}

fn individual_request() -> EarnerCommand {
    request(RequestMode::Individual, badge_class(), systematic())
}

fn pair() -> RequestMode {
    RequestMode::Pair {
        counsellor_id: counsellor_id(),
    }
}

fn decide(verdict: Verdict, code: ReasonCode) -> EarnerCommand {
    EarnerCommand::DecideRequest {
        request_id: request_id(),
        verdict,
        reason: reason(code),
        award_id: award_id(),
        validity_months: Some(24),
    }
}

fn approve() -> EarnerCommand {
    decide(Verdict::Approve, ReasonCode::CriteriaMet)
}

fn vote(quorum: u16, vote: Vote) -> EarnerCommand {
    EarnerCommand::CastCommitteeVote {
        request_id: request_id(),
        committee: committee(quorum),
        vote,
        award_id: award_id(),
        validity_months: Some(24),
    }
}

// ---- events ----

fn enrolled() -> DomainEvent {
    DomainEvent::EarnerEnrolled(EarnerEnrolled {
        earner_id: earner_id(),
        enrolled_on: date("2025-01-06"),
    })
}

fn requested_with(
    mode: RequestMode,
    requested_by: PersonId,
    route: ValidationRoute,
) -> DomainEvent {
    DomainEvent::BadgeRequested(BadgeRequested {
        request_id: request_id(),
        earner_id: earner_id(),
        badge_class_id: badge_class_id(),
        revision: 2,
        mode,
        requested_by,
        route,
        evidence: vec![],
    })
}

fn evaluator_route() -> ValidationRoute {
    ValidationRoute::Evaluator {
        evaluator_roles: evaluator_roles(),
    }
}

/// The earner's own individual request, decided by an evaluator.
fn requested() -> DomainEvent {
    requested_with(RequestMode::Individual, earner_id(), evaluator_route())
}

/// An individual request decided by the committee with this quorum.
fn requested_for_committee(quorum: u16) -> DomainEvent {
    requested_with(
        RequestMode::Individual,
        earner_id(),
        ValidationRoute::Committee {
            committee_id: committee_id(),
            quorum,
        },
    )
}

fn approved_by(decided_by: DecidedBy) -> DomainEvent {
    DomainEvent::RequestApproved(RequestApproved {
        request_id: request_id(),
        decided_by,
        reason: reason(ReasonCode::CriteriaMet),
    })
}

fn refused_by(decided_by: DecidedBy, code: ReasonCode) -> DomainEvent {
    DomainEvent::RequestRefused(RequestRefused {
        request_id: request_id(),
        decided_by,
        reason: reason(code),
    })
}

fn by_direction() -> DecidedBy {
    DecidedBy::Evaluator {
        person_id: direction_id(),
    }
}

fn awarded() -> DomainEvent {
    DomainEvent::BadgeAwarded(BadgeAwarded {
        award_id: award_id(),
        request_id: request_id(),
        earner_id: earner_id(),
        badge_class_id: badge_class_id(),
        revision: 2,
        awarded_at: now(),
        expires_at: Some(at("2027-03-10T09:00:00Z")),
    })
}

fn vote_cast(number: u128, vote: Vote) -> DomainEvent {
    DomainEvent::CommitteeVoteCast(CommitteeVoteCast {
        request_id: request_id(),
        committee_id: committee_id(),
        member_id: member(number),
        vote,
    })
}

fn committee_decision(votes_for: u16, votes_against: u16) -> DecidedBy {
    DecidedBy::Committee {
        committee_id: committee_id(),
        votes_for,
        votes_against,
    }
}

fn revoked() -> DomainEvent {
    DomainEvent::BadgeRevoked(BadgeRevoked {
        award_id: award_id(),
        reason: reason(ReasonCode::IssuedInError),
    })
}

fn expired() -> DomainEvent {
    DomainEvent::BadgeExpired(BadgeExpired {
        award_id: award_id(),
    })
}

/// Enrolled, requested, approved by the direction and awarded (valid until 2027-03-10).
fn holding_a_badge() -> Vec<DomainEvent> {
    vec![
        enrolled(),
        requested(),
        approved_by(by_direction()),
        awarded(),
    ]
}

// =============================================================================================
// Enrolment
// =============================================================================================

#[test]
fn a_counsellor_enrols_a_worker() {
    let earner = given::<Earner>([])
        .when(
            EarnerCommand::Enrol {
                earner_id: earner_id(),
                enrolled_on: date("2025-01-06"),
            },
            &as_counsellor(),
        )
        .then([enrolled()]);
    assert_eq!(earner.earner_id(), Some(earner_id()));
}

#[test]
fn a_supporter_enrols_themself_but_a_stranger_cannot_enrol_anyone() {
    let enrol = EarnerCommand::Enrol {
        earner_id: earner_id(),
        enrolled_on: date("2025-01-06"),
    };
    given::<Earner>([])
        .when(enrol.clone(), &as_person(earner_id(), &[]))
        .then([enrolled()]);
    given::<Earner>([])
        .when(enrol, &as_member(0))
        .then_error(DomainError::Forbidden("enrol".into()));
}

#[test]
fn a_worker_is_enrolled_once() {
    given::<Earner>([enrolled()])
        .when(
            EarnerCommand::Enrol {
                earner_id: earner_id(),
                enrolled_on: date("2025-02-01"),
            },
            &as_counsellor(),
        )
        .then_error(DomainError::RuleViolated("already enrolled".into()));
}

// =============================================================================================
// Requests
// =============================================================================================

#[test]
fn the_earner_requests_for_themself_in_individual_mode() {
    let earner = given::<Earner>([enrolled()])
        .when(individual_request(), &as_earner())
        .then([requested()]);
    assert_eq!(
        earner.request(request_id()).map(|request| request.status),
        Some(RequestStatus::Pending)
    );
}

#[test]
fn the_earner_alone_does_not_make_pair_or_workshop_requests() {
    for mode in [pair(), RequestMode::CollectiveWorkshop] {
        given::<Earner>([enrolled()])
            .when(request(mode, badge_class(), systematic()), &as_earner())
            .then_error(DomainError::Forbidden("individual mode".into()));
    }
}

#[test]
fn a_counsellor_makes_a_pair_request_with_the_worker() {
    given::<Earner>([enrolled()])
        .when(
            request(pair(), badge_class(), systematic()),
            &as_counsellor(),
        )
        .then([requested_with(pair(), counsellor_id(), evaluator_route())]);
}

#[test]
fn every_supporting_staff_role_may_request_but_others_may_not() {
    for role in SUPPORT_ROLES {
        given::<Earner>([enrolled()])
            .when(
                request(RequestMode::CollectiveWorkshop, badge_class(), systematic()),
                &as_person(supervisor_id(), &[role]),
            )
            .then([requested_with(
                RequestMode::CollectiveWorkshop,
                supervisor_id(),
                evaluator_route(),
            )]);
    }
    for roles in [vec![Role::CommitteeMember], vec![Role::Funder], vec![]] {
        given::<Earner>([enrolled()])
            .when(
                request(RequestMode::CollectiveWorkshop, badge_class(), systematic()),
                &as_person(supervisor_id(), &roles),
            )
            .then_error(DomainError::Forbidden("request a badge".into()));
    }
}

#[test]
fn a_pair_request_names_a_counsellor() {
    let mut not_a_counsellor = request(pair(), badge_class(), systematic());
    if let EarnerCommand::RequestBadge(command) = &mut not_a_counsellor {
        command.counsellor_roles = vec![Role::TechnicalSupervisor];
    }
    given::<Earner>([enrolled()])
        .when(not_a_counsellor, &as_direction())
        .then_error(DomainError::RuleViolated("names a counsellor".into()));

    let naming_the_earner = request(
        RequestMode::Pair {
            counsellor_id: earner_id(),
        },
        badge_class(),
        systematic(),
    );
    given::<Earner>([enrolled()])
        .when(naming_the_earner, &as_counsellor())
        .then_error(DomainError::RuleViolated("names a counsellor".into()));
}

#[test]
fn no_request_before_enrolment() {
    given::<Earner>([])
        .when(individual_request(), &as_earner())
        .then_error(DomainError::NotFound("not enrolled".into()));
}

#[test]
fn no_request_before_the_structure_has_adopted_the_class_and_set_a_validation_mode() {
    given::<Earner>([enrolled()])
        .when(
            request(RequestMode::Individual, badge_class(), None),
            &as_earner(),
        )
        .then_error(DomainError::RuleViolated("not adopted".into()));
    let adopted_without_mode = Some(AdoptionSnapshot {
        badge_class_id: badge_class_id(),
        evaluator_roles: evaluator_roles(),
        validation: None,
    });
    given::<Earner>([enrolled()])
        .when(
            request(RequestMode::Individual, badge_class(), adopted_without_mode),
            &as_earner(),
        )
        .then_error(DomainError::RuleViolated("validation mode".into()));
}

#[test]
fn an_adoption_of_another_class_is_no_adoption() {
    let other = Some(AdoptionSnapshot {
        badge_class_id: id(0x79),
        evaluator_roles: evaluator_roles(),
        validation: Some(ValidationSetting::Systematic),
    });
    given::<Earner>([enrolled()])
        .when(
            request(RequestMode::Individual, badge_class(), other),
            &as_earner(),
        )
        .then_error(DomainError::InvalidInput("another badge class".into()));
}

#[test]
fn no_request_for_a_retired_class() {
    let retired = BadgeClassSnapshot {
        retired: true,
        ..badge_class()
    };
    given::<Earner>([enrolled()])
        .when(
            request(RequestMode::Individual, retired, systematic()),
            &as_earner(),
        )
        .then_error(DomainError::RuleViolated("retired".into()));
}

#[test]
fn a_committee_request_records_the_committee_and_its_quorum() {
    given::<Earner>([enrolled()])
        .when(
            request(RequestMode::Individual, badge_class(), by_committee(2)),
            &as_earner(),
        )
        .then([requested_for_committee(2)]);
}

#[test]
fn the_supporter_badge_is_requested_approved_and_awarded_at_once() {
    let supporter_requested = DomainEvent::BadgeRequested(BadgeRequested {
        request_id: request_id(),
        earner_id: earner_id(),
        badge_class_id: supporter_badge_id(),
        revision: 1,
        mode: RequestMode::Individual,
        requested_by: earner_id(),
        route: ValidationRoute::Automatic,
        evidence: vec![],
    });
    let supporter_awarded = |expires_at| {
        DomainEvent::BadgeAwarded(BadgeAwarded {
            award_id: award_id(),
            request_id: request_id(),
            earner_id: earner_id(),
            badge_class_id: supporter_badge_id(),
            revision: 1,
            awarded_at: now(),
            expires_at,
        })
    };
    // No adoption is needed for an automatic badge.
    let earner = given::<Earner>([enrolled()])
        .when(
            request(RequestMode::Individual, supporter_badge(None), None),
            &as_earner(),
        )
        .then([
            supporter_requested.clone(),
            approved_by(DecidedBy::Automatic),
            supporter_awarded(None),
        ]);
    assert!(earner
        .award(award_id())
        .is_some_and(|award| award.is_active_at(now())));

    given::<Earner>([enrolled()])
        .when(
            request(RequestMode::Individual, supporter_badge(Some(12)), None),
            &as_earner(),
        )
        .then([
            supporter_requested,
            approved_by(DecidedBy::Automatic),
            supporter_awarded(Some(at("2026-03-10T09:00:00Z"))),
        ]);
}

#[test]
fn no_second_pending_request_for_the_same_class() {
    given::<Earner>([enrolled(), requested()])
        .when(
            EarnerCommand::RequestBadge(RequestBadge {
                request_id: id(0x901),
                ..request_badge(individual_request())
            }),
            &as_earner(),
        )
        .then_error(DomainError::RuleViolated("already pending".into()));
}

fn request_badge(command: EarnerCommand) -> RequestBadge {
    match command {
        EarnerCommand::RequestBadge(request) => request,
        other => panic!("not a request: {other:?}"),
    }
}

fn second_request() -> EarnerCommand {
    EarnerCommand::RequestBadge(RequestBadge {
        request_id: id(0x901),
        ..request_badge(individual_request())
    })
}

fn second_requested() -> DomainEvent {
    DomainEvent::BadgeRequested(BadgeRequested {
        request_id: id(0x901),
        earner_id: earner_id(),
        badge_class_id: badge_class_id(),
        revision: 2,
        mode: RequestMode::Individual,
        requested_by: earner_id(),
        route: evaluator_route(),
        evidence: vec![],
    })
}

#[test]
fn a_class_may_be_requested_again_after_a_refusal_or_a_withdrawal() {
    let refused = refused_by(by_direction(), ReasonCode::EvidenceInsufficient);
    given::<Earner>([enrolled(), requested(), refused])
        .when(second_request(), &as_earner())
        .then([second_requested()]);
    let withdrawn = DomainEvent::RequestWithdrawn(RequestWithdrawn {
        request_id: request_id(),
        reason: reason(ReasonCode::RequestedByEarner),
    });
    given::<Earner>([enrolled(), requested(), withdrawn])
        .when(second_request(), &as_earner())
        .then([second_requested()]);
}

#[test]
fn no_second_active_award_of_the_same_class() {
    given::<Earner>(holding_a_badge())
        .when(second_request(), &as_earner())
        .then_error(DomainError::RuleViolated("active award".into()));
}

#[test]
fn a_class_may_be_requested_again_once_the_award_is_revoked_or_expired() {
    let mut revoked_history = holding_a_badge();
    revoked_history.push(revoked());
    given::<Earner>(revoked_history)
        .when(second_request(), &as_earner())
        .then([second_requested()]);

    let mut expired_history = holding_a_badge();
    expired_history.push(expired());
    given::<Earner>(expired_history)
        .when(second_request(), &as_earner())
        .then([second_requested()]);

    // Past its date the award no longer stands, even before the expiry job records it.
    given::<Earner>(holding_a_badge())
        .when(
            second_request(),
            &later(as_earner(), at("2027-03-10T09:00:00Z")),
        )
        .then([second_requested()]);
}

#[test]
fn evidence_given_with_a_request_is_unique_and_kept_in_the_earners_vault() {
    let with_evidence = |evidence: Vec<Evidence>| {
        EarnerCommand::RequestBadge(RequestBadge {
            evidence,
            ..request_badge(individual_request())
        })
    };
    given::<Earner>([enrolled()])
        .when(with_evidence(vec![evidence(1), evidence(2)]), &as_earner())
        .then([DomainEvent::BadgeRequested(BadgeRequested {
            request_id: request_id(),
            earner_id: earner_id(),
            badge_class_id: badge_class_id(),
            revision: 2,
            mode: RequestMode::Individual,
            requested_by: earner_id(),
            route: evaluator_route(),
            evidence: vec![evidence(1), evidence(2)],
        })]);
    given::<Earner>([enrolled()])
        .when(with_evidence(vec![evidence(1), evidence(1)]), &as_earner())
        .then_error(DomainError::InvalidInput("duplicates".into()));
    let elsewhere = Evidence {
        content: VaultRef {
            person_id: counsellor_id(),
            entry_id: id(0xF09),
        },
        ..evidence(9)
    };
    given::<Earner>([enrolled()])
        .when(with_evidence(vec![elsewhere]), &as_earner())
        .then_error(DomainError::InvalidInput("earner's vault".into()));
    let too_many = (0..51).map(evidence).collect();
    given::<Earner>([enrolled()])
        .when(with_evidence(too_many), &as_earner())
        .then_error(DomainError::InvalidInput("at most".into()));
}

#[test]
fn a_request_id_is_used_once() {
    given::<Earner>([
        enrolled(),
        requested(),
        refused_by(by_direction(), ReasonCode::CriteriaNotMet),
    ])
    .when(individual_request(), &as_earner())
    .then_error(DomainError::RuleViolated("already exists".into()));
}

#[test]
fn no_new_request_after_the_pathway_exit() {
    let exited = DomainEvent::PathwayExited(PathwayExited {
        earner_id: earner_id(),
        outcome: ExitOutcome::DurableEmployment,
        exited_on: date("2025-03-01"),
    });
    given::<Earner>([enrolled(), exited])
        .when(individual_request(), &as_earner())
        .then_error(DomainError::RuleViolated("left the pathway".into()));
}

// =============================================================================================
// Withdrawal
// =============================================================================================

fn withdraw() -> EarnerCommand {
    EarnerCommand::WithdrawRequest {
        request_id: request_id(),
        reason: reason(ReasonCode::RequestedByEarner),
    }
}

#[test]
fn the_earner_withdraws_their_own_pending_request() {
    let earner = given::<Earner>([enrolled(), requested()])
        .when(withdraw(), &as_earner())
        .then([DomainEvent::RequestWithdrawn(RequestWithdrawn {
            request_id: request_id(),
            reason: reason(ReasonCode::RequestedByEarner),
        })]);
    assert_eq!(
        earner.request(request_id()).map(|request| request.status),
        Some(RequestStatus::Withdrawn)
    );
}

#[test]
fn only_a_pending_request_is_withdrawn() {
    given::<Earner>(holding_a_badge())
        .when(withdraw(), &as_earner())
        .then_error(DomainError::RuleViolated("no longer pending".into()));
    given::<Earner>([enrolled()])
        .when(withdraw(), &as_earner())
        .then_error(DomainError::NotFound("request".into()));
}

#[test]
fn someone_unrelated_does_not_withdraw_a_request() {
    given::<Earner>([enrolled(), requested()])
        .when(withdraw(), &as_member(0))
        .then_error(DomainError::Forbidden("withdraw".into()));
}

// =============================================================================================
// Systematic validation: one evaluator decides
// =============================================================================================

#[test]
fn an_evaluator_approves_and_the_badge_is_awarded_with_its_expiry() {
    let earner = given::<Earner>([enrolled(), requested()])
        .when(approve(), &as_direction())
        .then([approved_by(by_direction()), awarded()]);
    assert_eq!(
        earner.request(request_id()).map(|request| request.status),
        Some(RequestStatus::Approved)
    );
    assert_eq!(
        earner.award(award_id()).map(|award| award.expires_at),
        Some(Some(at("2027-03-10T09:00:00Z")))
    );
}

#[test]
fn an_award_keeps_the_revision_the_request_was_made_for() {
    // Requested at revision 1; the class has been revised since, which changes nothing here.
    let at_revision_one = DomainEvent::BadgeRequested(BadgeRequested {
        revision: 1,
        ..match requested() {
            DomainEvent::BadgeRequested(requested) => requested,
            _ => unreachable!(),
        }
    });
    given::<Earner>([enrolled(), at_revision_one])
        .when(
            EarnerCommand::DecideRequest {
                request_id: request_id(),
                verdict: Verdict::Approve,
                reason: reason(ReasonCode::CriteriaMet),
                award_id: award_id(),
                validity_months: None,
            },
            &as_direction(),
        )
        .then([
            approved_by(by_direction()),
            DomainEvent::BadgeAwarded(BadgeAwarded {
                award_id: award_id(),
                request_id: request_id(),
                earner_id: earner_id(),
                badge_class_id: badge_class_id(),
                revision: 1,
                awarded_at: now(),
                expires_at: None,
            }),
        ]);
}

#[test]
fn an_evaluator_refuses_with_a_reason() {
    given::<Earner>([enrolled(), requested()])
        .when(
            decide(Verdict::Refuse, ReasonCode::EvidenceInsufficient),
            &as_counsellor(),
        )
        .then([refused_by(
            DecidedBy::Evaluator {
                person_id: counsellor_id(),
            },
            ReasonCode::EvidenceInsufficient,
        )]);
}

#[test]
fn the_reason_fits_the_verdict() {
    given::<Earner>([enrolled(), requested()])
        .when(
            decide(Verdict::Approve, ReasonCode::CriteriaNotMet),
            &as_direction(),
        )
        .then_error(DomainError::InvalidInput("does not fit".into()));
    given::<Earner>([enrolled(), requested()])
        .when(
            decide(Verdict::Refuse, ReasonCode::CriteriaMet),
            &as_direction(),
        )
        .then_error(DomainError::InvalidInput("does not fit".into()));
}

#[test]
fn only_the_criterions_evaluator_roles_decide() {
    given::<Earner>([enrolled(), requested()])
        .when(
            approve(),
            &as_person(
                supervisor_id(),
                &[Role::TechnicalSupervisor, Role::StructureAdmin],
            ),
        )
        .then_error(DomainError::Forbidden("may decide".into()));
}

#[test]
fn the_requester_does_not_decide_on_their_own_request() {
    given::<Earner>([
        enrolled(),
        requested_with(pair(), counsellor_id(), evaluator_route()),
    ])
    .when(approve(), &as_counsellor())
    .then_error(DomainError::Forbidden("requester".into()));
}

#[test]
fn the_counsellor_who_prepared_a_pair_request_does_not_decide_on_it() {
    given::<Earner>([
        enrolled(),
        requested_with(pair(), direction_id(), evaluator_route()),
    ])
    .when(approve(), &as_counsellor())
    .then_error(DomainError::Forbidden("requester".into()));
}

#[test]
fn the_earner_does_not_decide_on_their_own_request_whatever_their_roles() {
    given::<Earner>([
        enrolled(),
        requested_with(
            RequestMode::CollectiveWorkshop,
            counsellor_id(),
            evaluator_route(),
        ),
    ])
    .when(approve(), &as_person(earner_id(), &[Role::Counsellor]))
    .then_error(DomainError::Forbidden("their own request".into()));
}

#[test]
fn a_decision_only_on_a_pending_request() {
    given::<Earner>(holding_a_badge())
        .when(approve(), &as_direction())
        .then_error(DomainError::RuleViolated("no longer pending".into()));
    given::<Earner>([enrolled()])
        .when(approve(), &as_direction())
        .then_error(DomainError::NotFound("request".into()));
}

#[test]
fn an_evaluator_does_not_decide_a_committee_request() {
    given::<Earner>([enrolled(), requested_for_committee(2)])
        .when(approve(), &as_direction())
        .then_error(DomainError::RuleViolated("committee".into()));
}

// =============================================================================================
// Committee validation: votes accumulate until the quorum, then the majority decides
// =============================================================================================

#[test]
fn a_vote_below_the_quorum_only_records_the_vote() {
    let earner = given::<Earner>([enrolled(), requested_for_committee(2)])
        .when(vote(2, Vote::Approve), &as_member(0))
        .then([vote_cast(0, Vote::Approve)]);
    assert_eq!(
        earner.request(request_id()).map(|request| request.status),
        Some(RequestStatus::Pending)
    );
}

#[test]
fn the_vote_that_reaches_the_quorum_approves_and_awards() {
    given::<Earner>([
        enrolled(),
        requested_for_committee(2),
        vote_cast(0, Vote::Approve),
    ])
    .when(vote(2, Vote::Approve), &as_member(1))
    .then([
        vote_cast(1, Vote::Approve),
        approved_by(committee_decision(2, 0)),
        awarded(),
    ]);
}

#[test]
fn the_majority_decides_at_quorum() {
    given::<Earner>([
        enrolled(),
        requested_for_committee(3),
        vote_cast(0, Vote::Approve),
        vote_cast(1, Vote::Refuse),
    ])
    .when(vote(3, Vote::Approve), &as_member(2))
    .then([
        vote_cast(2, Vote::Approve),
        approved_by(committee_decision(2, 1)),
        awarded(),
    ]);
    given::<Earner>([
        enrolled(),
        requested_for_committee(3),
        vote_cast(0, Vote::Approve),
        vote_cast(1, Vote::Refuse),
    ])
    .when(vote(3, Vote::Refuse), &as_member(2))
    .then([
        vote_cast(2, Vote::Refuse),
        refused_by(committee_decision(1, 2), ReasonCode::CriteriaNotMet),
    ]);
}

#[test]
fn a_tie_at_quorum_refuses() {
    given::<Earner>([
        enrolled(),
        requested_for_committee(2),
        vote_cast(0, Vote::Approve),
    ])
    .when(vote(2, Vote::Refuse), &as_member(1))
    .then([
        vote_cast(1, Vote::Refuse),
        refused_by(committee_decision(1, 1), ReasonCode::CriteriaNotMet),
    ]);
}

#[test]
fn the_quorum_is_the_one_fixed_when_the_request_was_made() {
    // The committee now says quorum 1, but the request was made under quorum 2.
    given::<Earner>([enrolled(), requested_for_committee(2)])
        .when(vote(1, Vote::Approve), &as_member(0))
        .then([vote_cast(0, Vote::Approve)]);
}

#[test]
fn a_member_votes_once() {
    given::<Earner>([
        enrolled(),
        requested_for_committee(3),
        vote_cast(0, Vote::Approve),
    ])
    .when(vote(3, Vote::Refuse), &as_member(0))
    .then_error(DomainError::RuleViolated("already voted".into()));
}

#[test]
fn only_current_members_vote() {
    given::<Earner>([enrolled(), requested_for_committee(2)])
        .when(vote(2, Vote::Approve), &as_direction())
        .then_error(DomainError::Forbidden("members of the committee".into()));
}

#[test]
fn a_member_who_made_the_request_does_not_vote_on_it() {
    given::<Earner>([
        enrolled(),
        requested_with(
            RequestMode::CollectiveWorkshop,
            member(0),
            ValidationRoute::Committee {
                committee_id: committee_id(),
                quorum: 2,
            },
        ),
    ])
    .when(vote(2, Vote::Approve), &as_member(0))
    .then_error(DomainError::Forbidden("requester".into()));
}

#[test]
fn votes_only_on_a_pending_committee_request_of_that_committee() {
    given::<Earner>([enrolled(), requested()])
        .when(vote(2, Vote::Approve), &as_member(0))
        .then_error(DomainError::RuleViolated(
            "not decided by a committee".into(),
        ));
    given::<Earner>([
        enrolled(),
        requested_for_committee(1),
        vote_cast(0, Vote::Approve),
        approved_by(committee_decision(1, 0)),
        awarded(),
    ])
    .when(vote(1, Vote::Approve), &as_member(1))
    .then_error(DomainError::RuleViolated("no longer pending".into()));
    let other_committee = EarnerCommand::CastCommitteeVote {
        request_id: request_id(),
        committee: CommitteeSnapshot {
            committee_id: id(0x61),
            ..committee(2)
        },
        vote: Vote::Approve,
        award_id: award_id(),
        validity_months: Some(24),
    };
    given::<Earner>([enrolled(), requested_for_committee(2)])
        .when(other_committee, &as_member(0))
        .then_error(DomainError::InvalidInput("decided by committee".into()));
}

// =============================================================================================
// Revocation and expiry
// =============================================================================================

fn revoke(code: ReasonCode) -> EarnerCommand {
    EarnerCommand::RevokeBadge {
        award_id: award_id(),
        reason: reason(code),
    }
}

#[test]
fn the_direction_revokes_a_badge_with_a_reason() {
    let earner = given::<Earner>(holding_a_badge())
        .when(revoke(ReasonCode::IssuedInError), &as_direction())
        .then([revoked()]);
    assert!(earner.award(award_id()).is_some_and(|award| award.revoked));
}

#[test]
fn a_badge_is_revoked_once_by_its_management_for_a_real_reason() {
    let mut history = holding_a_badge();
    history.push(revoked());
    given::<Earner>(history)
        .when(revoke(ReasonCode::Misconduct), &as_direction())
        .then_error(DomainError::RuleViolated("already revoked".into()));
    given::<Earner>(holding_a_badge())
        .when(revoke(ReasonCode::Misconduct), &as_counsellor())
        .then_error(DomainError::Forbidden("revoke".into()));
    given::<Earner>(holding_a_badge())
        .when(revoke(ReasonCode::CriteriaMet), &as_direction())
        .then_error(DomainError::InvalidInput("no reason".into()));
    given::<Earner>([enrolled()])
        .when(revoke(ReasonCode::Misconduct), &as_direction())
        .then_error(DomainError::NotFound("award".into()));
}

#[test]
fn a_reason_note_lives_in_the_earners_vault() {
    let note_elsewhere = EarnerCommand::RevokeBadge {
        award_id: award_id(),
        reason: Reason {
            code: ReasonCode::Misconduct,
            note: Some(VaultRef {
                person_id: direction_id(),
                entry_id: id(0xF50),
            }),
        },
    };
    given::<Earner>(holding_a_badge())
        .when(note_elsewhere, &as_direction())
        .then_error(DomainError::InvalidInput("earner's vault".into()));
}

fn expire() -> EarnerCommand {
    EarnerCommand::ExpireBadge {
        award_id: award_id(),
    }
}

#[test]
fn a_badge_expires_once_its_date_has_come_and_not_before() {
    given::<Earner>(holding_a_badge())
        .when(expire(), &later(as_direction(), at("2027-03-10T08:59:59Z")))
        .then_error(DomainError::RuleViolated("valid until".into()));
    given::<Earner>(holding_a_badge())
        .when(expire(), &later(as_direction(), at("2027-03-10T09:00:00Z")))
        .then([expired()]);
}

#[test]
fn a_badge_without_validity_revoked_or_already_expired_does_not_expire() {
    let mut history = vec![enrolled(), requested(), approved_by(by_direction())];
    history.push(DomainEvent::BadgeAwarded(BadgeAwarded {
        expires_at: None,
        ..match awarded() {
            DomainEvent::BadgeAwarded(awarded) => awarded,
            _ => unreachable!(),
        }
    }));
    given::<Earner>(history)
        .when(expire(), &later(as_direction(), at("2040-01-01T00:00:00Z")))
        .then_error(DomainError::RuleViolated("does not expire".into()));

    let mut revoked_history = holding_a_badge();
    revoked_history.push(revoked());
    given::<Earner>(revoked_history)
        .when(expire(), &later(as_direction(), at("2028-01-01T00:00:00Z")))
        .then_error(DomainError::RuleViolated("revoked".into()));

    let mut expired_history = holding_a_badge();
    expired_history.push(expired());
    given::<Earner>(expired_history)
        .when(expire(), &later(as_direction(), at("2028-01-01T00:00:00Z")))
        .then_error(DomainError::RuleViolated("already expired".into()));
}

// =============================================================================================
// Evidence
// =============================================================================================

fn add_evidence(target: EvidenceTarget, number: u128) -> EarnerCommand {
    EarnerCommand::AddEvidence {
        target,
        evidence: evidence(number),
    }
}

#[test]
fn evidence_is_added_to_a_pending_request() {
    let earner = given::<Earner>([enrolled(), requested()])
        .when(
            add_evidence(EvidenceTarget::Request(request_id()), 3),
            &as_earner(),
        )
        .then([DomainEvent::EvidenceAdded(EvidenceAdded {
            request_id: request_id(),
            award_id: None,
            evidence: evidence(3),
        })]);
    assert_eq!(
        earner
            .request(request_id())
            .map(|request| request.evidence.clone()),
        Some(vec![evidence(3)])
    );
}

#[test]
fn evidence_goes_to_the_award_once_the_request_is_decided() {
    given::<Earner>(holding_a_badge())
        .when(
            add_evidence(EvidenceTarget::Request(request_id()), 3),
            &as_earner(),
        )
        .then_error(DomainError::RuleViolated("pending request".into()));
    let earner = given::<Earner>(holding_a_badge())
        .when(
            add_evidence(EvidenceTarget::Award(award_id()), 3),
            &as_counsellor(),
        )
        .then([DomainEvent::EvidenceAdded(EvidenceAdded {
            request_id: request_id(),
            award_id: Some(award_id()),
            evidence: evidence(3),
        })]);
    assert_eq!(
        earner.award(award_id()).map(|award| award.evidence.clone()),
        Some(vec![evidence(3)])
    );
}

#[test]
fn a_revoked_badge_takes_no_evidence() {
    let mut history = holding_a_badge();
    history.push(revoked());
    given::<Earner>(history)
        .when(
            add_evidence(EvidenceTarget::Award(award_id()), 3),
            &as_earner(),
        )
        .then_error(DomainError::RuleViolated("revoked".into()));
}

#[test]
fn evidence_is_added_by_the_earner_or_supporting_staff_once() {
    given::<Earner>(holding_a_badge())
        .when(
            add_evidence(EvidenceTarget::Award(award_id()), 3),
            &as_member(0),
        )
        .then_error(DomainError::Forbidden("add evidence".into()));
    let mut history = holding_a_badge();
    history.push(DomainEvent::EvidenceAdded(EvidenceAdded {
        request_id: request_id(),
        award_id: Some(award_id()),
        evidence: evidence(3),
    }));
    given::<Earner>(history)
        .when(
            add_evidence(EvidenceTarget::Award(award_id()), 3),
            &as_earner(),
        )
        .then_error(DomainError::RuleViolated("already attached".into()));
    given::<Earner>(holding_a_badge())
        .when(
            add_evidence(EvidenceTarget::Award(id(0xA09)), 3),
            &as_earner(),
        )
        .then_error(DomainError::NotFound("award".into()));
}

// =============================================================================================
// Recommendations
// =============================================================================================

fn recommendation_id() -> RecommendationId {
    id(0xB00)
}

fn ask() -> EarnerCommand {
    EarnerCommand::AskRecommendation {
        recommendation_id: recommendation_id(),
        award_id: award_id(),
        recommender_id: recommender_id(),
        organisation_id: Some(id(0x51)),
        recommender_email: EmailAddress::parse("tuteur@entreprise.example").unwrap(),
    }
}

fn asked() -> DomainEvent {
    DomainEvent::RecommendationAsked(RecommendationAsked {
        recommendation_id: recommendation_id(),
        award_id: award_id(),
        recommender_id: recommender_id(),
        organisation_id: Some(id(0x51)),
    })
}

fn testimony() -> VaultRef {
    VaultRef {
        person_id: earner_id(),
        entry_id: id(0xF70),
    }
}

fn give() -> EarnerCommand {
    EarnerCommand::GiveRecommendation {
        recommendation_id: recommendation_id(),
        award_id: award_id(),
        recommender_id: recommender_id(),
        organisation_id: Some(id(0x51)),
        testimony: testimony(),
        public: false,
    }
}

fn given_recommendation() -> DomainEvent {
    DomainEvent::RecommendationGiven(RecommendationGiven {
        recommendation_id: recommendation_id(),
        award_id: award_id(),
        recommender_id: recommender_id(),
        organisation_id: Some(id(0x51)),
        testimony: testimony(),
        public: false,
    })
}

#[test]
fn the_earner_asks_a_host_company_for_a_recommendation_and_the_address_stays_out_of_events() {
    let earner = given::<Earner>(holding_a_badge())
        .when(ask(), &as_earner())
        .then([asked()]);
    let stored = serde_json::to_string(&asked().encode().payload).unwrap();
    assert!(!stored.contains("tuteur@entreprise.example"));
    assert_eq!(
        earner
            .recommendation(recommendation_id())
            .map(|recommendation| recommendation.status),
        Some(RecommendationStatus::Asked)
    );
}

#[test]
fn recommendations_are_asked_only_on_a_standing_badge() {
    given::<Earner>([enrolled(), requested()])
        .when(ask(), &as_earner())
        .then_error(DomainError::NotFound("award".into()));
    let mut revoked_history = holding_a_badge();
    revoked_history.push(revoked());
    given::<Earner>(revoked_history)
        .when(ask(), &as_earner())
        .then_error(DomainError::RuleViolated("revoked".into()));
    given::<Earner>(holding_a_badge())
        .when(ask(), &later(as_earner(), at("2027-03-10T09:00:00Z")))
        .then_error(DomainError::RuleViolated("expired".into()));
}

#[test]
fn an_earner_does_not_recommend_themself() {
    given::<Earner>(holding_a_badge())
        .when(
            EarnerCommand::AskRecommendation {
                recommendation_id: recommendation_id(),
                award_id: award_id(),
                recommender_id: earner_id(),
                organisation_id: None,
                recommender_email: EmailAddress::parse("moi@exemple.fr").unwrap(),
            },
            &as_earner(),
        )
        .then_error(DomainError::RuleViolated("their own badge".into()));
}

#[test]
fn a_recommender_is_asked_once_until_they_answer() {
    let mut history = holding_a_badge();
    history.push(asked());
    given::<Earner>(history)
        .when(
            EarnerCommand::AskRecommendation {
                recommendation_id: id(0xB01),
                award_id: award_id(),
                recommender_id: recommender_id(),
                organisation_id: None,
                recommender_email: EmailAddress::parse("tuteur@entreprise.example").unwrap(),
            },
            &as_counsellor(),
        )
        .then_error(DomainError::RuleViolated("already been asked".into()));
}

#[test]
fn the_recommender_gives_an_asked_recommendation() {
    let mut history = holding_a_badge();
    history.push(asked());
    let earner = given::<Earner>(history)
        .when(give(), &as_recommender())
        .then([given_recommendation()]);
    assert_eq!(
        earner
            .recommendation(recommendation_id())
            .map(|recommendation| recommendation.status),
        Some(RecommendationStatus::Given)
    );
}

#[test]
fn a_recommendation_may_be_given_spontaneously() {
    given::<Earner>(holding_a_badge())
        .when(give(), &as_recommender())
        .then([given_recommendation()]);
}

#[test]
fn only_the_recommender_gives_it_once_on_a_standing_badge() {
    given::<Earner>(holding_a_badge())
        .when(give(), &as_counsellor())
        .then_error(DomainError::Forbidden("only the recommender".into()));
    let mut answered = holding_a_badge();
    answered.extend([asked(), given_recommendation()]);
    given::<Earner>(answered)
        .when(give(), &as_recommender())
        .then_error(DomainError::RuleViolated("already been answered".into()));
    let mut revoked_history = holding_a_badge();
    revoked_history.extend([asked(), revoked()]);
    given::<Earner>(revoked_history)
        .when(give(), &as_recommender())
        .then_error(DomainError::RuleViolated("revoked".into()));
}

#[test]
fn a_testimony_lives_in_the_earners_vault() {
    given::<Earner>(holding_a_badge())
        .when(
            EarnerCommand::GiveRecommendation {
                recommendation_id: recommendation_id(),
                award_id: award_id(),
                recommender_id: recommender_id(),
                organisation_id: None,
                testimony: VaultRef {
                    person_id: recommender_id(),
                    entry_id: id(0xF71),
                },
                public: false,
            },
            &as_recommender(),
        )
        .then_error(DomainError::InvalidInput("earner's vault".into()));
}

#[test]
fn the_person_asked_declines_a_recommendation_once() {
    let decline = EarnerCommand::DeclineRecommendation {
        recommendation_id: recommendation_id(),
    };
    let declined = DomainEvent::RecommendationDeclined(RecommendationDeclined {
        recommendation_id: recommendation_id(),
        award_id: award_id(),
    });
    let mut history = holding_a_badge();
    history.push(asked());
    given::<Earner>(history.clone())
        .when(decline.clone(), &as_recommender())
        .then([declined.clone()]);
    given::<Earner>(history.clone())
        .when(decline.clone(), &as_earner())
        .then_error(DomainError::Forbidden("only the person asked".into()));
    history.push(declined);
    given::<Earner>(history)
        .when(decline.clone(), &as_recommender())
        .then_error(DomainError::RuleViolated("already been answered".into()));
    given::<Earner>(holding_a_badge())
        .when(decline, &as_recommender())
        .then_error(DomainError::NotFound("recommendation".into()));
}

// =============================================================================================
// Pathway exit
// =============================================================================================

fn record_exit(exited_on: &str) -> EarnerCommand {
    EarnerCommand::RecordPathwayExit {
        outcome: ExitOutcome::TransitionEmployment,
        exited_on: date(exited_on),
    }
}

#[test]
fn a_counsellor_records_the_exit_once() {
    let exited = DomainEvent::PathwayExited(PathwayExited {
        earner_id: earner_id(),
        outcome: ExitOutcome::TransitionEmployment,
        exited_on: date("2025-03-07"),
    });
    let earner = given::<Earner>(holding_a_badge())
        .when(record_exit("2025-03-07"), &as_counsellor())
        .then([exited.clone()]);
    assert_eq!(
        earner.exit(),
        Some((ExitOutcome::TransitionEmployment, date("2025-03-07")))
    );
    given::<Earner>([enrolled(), exited])
        .when(record_exit("2025-03-08"), &as_counsellor())
        .then_error(DomainError::RuleViolated("already recorded".into()));
}

#[test]
fn an_exit_is_recorded_by_staff_between_enrolment_and_today() {
    given::<Earner>([enrolled()])
        .when(record_exit("2025-03-07"), &as_earner())
        .then_error(DomainError::Forbidden("record a pathway exit".into()));
    given::<Earner>([enrolled()])
        .when(record_exit("2025-03-11"), &as_counsellor())
        .then_error(DomainError::InvalidInput("in advance".into()));
    given::<Earner>([enrolled()])
        .when(record_exit("2025-01-05"), &as_counsellor())
        .then_error(DomainError::InvalidInput("precede the enrolment".into()));
    given::<Earner>([])
        .when(record_exit("2025-03-07"), &as_counsellor())
        .then_error(DomainError::NotFound("not enrolled".into()));
}

// =============================================================================================
// A whole story, from enrolment to recommendation, replayed from its own events
// =============================================================================================

#[test]
fn a_whole_pathway_replays_to_the_same_state() {
    let mut history = vec![enrolled()];
    let steps: Vec<(EarnerCommand, CommandContext)> = vec![
        (
            request(pair(), badge_class(), by_committee(2)),
            as_counsellor(),
        ),
        (vote(2, Vote::Approve), as_member(0)),
        (vote(2, Vote::Approve), as_member(1)),
        (
            add_evidence(EvidenceTarget::Award(award_id()), 4),
            as_earner(),
        ),
        (ask(), as_earner()),
        (give(), as_recommender()),
        (record_exit("2025-03-09"), as_direction()),
    ];
    for (command, context) in steps {
        let state = Earner::from_events(&history);
        let events = state
            .decide(&command, &context)
            .unwrap_or_else(|error| panic!("{command:?} refused: {error}"));
        history.extend(events);
    }
    let replayed = Earner::from_events(&history);
    let award = replayed.award(award_id()).expect("awarded");
    assert_eq!(award.evidence, vec![evidence(4)]);
    assert_eq!(award.revision, 2);
    assert_eq!(
        replayed.exit(),
        Some((ExitOutcome::TransitionEmployment, date("2025-03-09")))
    );
    // Every event round-trips through its stored form.
    for event in &history {
        let encoded = event.encode();
        let decoded =
            DomainEvent::decode(encoded.event_type, encoded.schema_version, encoded.payload)
                .unwrap();
        assert_eq!(&decoded, event);
    }
}

// =============================================================================================
// Credentials, publication consent, name
// =============================================================================================

fn issue(credential: u128) -> IssueCredential {
    IssueCredential {
        credential_id: id(0xC00 + credential),
        award_id: award_id(),
        proof_key_id: id(0xB0),
        jwt_key_id: Some(id(0xB1)),
        document: VaultRef {
            person_id: earner_id(),
            entry_id: id(0xF80 + credential),
        },
        digest: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".to_owned(),
        shows_name: false,
        public_evidence: vec![],
    }
}

fn issued(credential: u128) -> DomainEvent {
    let issue = issue(credential);
    DomainEvent::CredentialIssued(CredentialIssued {
        credential_id: issue.credential_id,
        award_id: issue.award_id,
        proof_key_id: issue.proof_key_id,
        jwt_key_id: issue.jwt_key_id,
        issued_at: now(),
        document: issue.document,
        digest: issue.digest,
        shows_name: issue.shows_name,
        public_evidence: issue.public_evidence,
    })
}

fn as_ledger() -> CommandContext {
    CommandContext {
        actor: Actor::ledger(structure_tenant()),
        now: now(),
    }
}

#[test]
fn the_ledger_issues_a_credential_for_an_award_and_may_issue_it_again() {
    let earner = given::<Earner>(holding_a_badge())
        .when(EarnerCommand::IssueCredential(issue(1)), &as_ledger())
        .then([issued(1)]);
    assert_eq!(
        earner.latest_credential(award_id()).unwrap().credential_id,
        id(0xC01)
    );
    // A fresh copy (after the earner changed what is public) is a new credential; the same
    // credential id twice is refused.
    let mut history = holding_a_badge();
    history.push(issued(1));
    let earner = given::<Earner>(history.clone())
        .when(EarnerCommand::IssueCredential(issue(2)), &as_earner())
        .then([issued(2)]);
    assert_eq!(earner.credentials().len(), 2);
    assert_eq!(
        earner.latest_credential(award_id()).unwrap().credential_id,
        id(0xC02)
    );
    given::<Earner>(history)
        .when(EarnerCommand::IssueCredential(issue(1)), &as_counsellor())
        .then_error(DomainError::RuleViolated("already issued".to_owned()));
}

#[test]
fn no_credential_for_a_badge_that_no_longer_stands_or_from_a_stranger() {
    let mut revoked_badge = holding_a_badge();
    revoked_badge.push(revoked());
    given::<Earner>(revoked_badge)
        .when(EarnerCommand::IssueCredential(issue(1)), &as_ledger())
        .then_error(DomainError::RuleViolated("revoked".to_owned()));
    let mut expired_badge = holding_a_badge();
    expired_badge.push(expired());
    given::<Earner>(expired_badge)
        .when(EarnerCommand::IssueCredential(issue(1)), &as_ledger())
        .then_error(DomainError::RuleViolated("expired".to_owned()));
    // Past its date, even before the expiry is recorded.
    given::<Earner>(holding_a_badge())
        .when(
            EarnerCommand::IssueCredential(issue(1)),
            &later(as_ledger(), at("2027-03-10T09:00:00Z")),
        )
        .then_error(DomainError::RuleViolated("expired".to_owned()));
    given::<Earner>(holding_a_badge())
        .when(
            EarnerCommand::IssueCredential(IssueCredential {
                award_id: id(0xA99),
                ..issue(1)
            }),
            &as_ledger(),
        )
        .then_error(DomainError::NotFound("award".to_owned()));
    // Another worker, or someone with no role who is not the ledger.
    given::<Earner>(holding_a_badge())
        .when(
            EarnerCommand::IssueCredential(issue(1)),
            &as_person(id(150), &[Role::Earner]),
        )
        .then_error(DomainError::Forbidden(String::new()));
    given::<Earner>(holding_a_badge())
        .when(EarnerCommand::IssueCredential(issue(1)), &as_recommender())
        .then_error(DomainError::Forbidden(String::new()));
    // The document is the earner's, and the digest a SHA-256.
    given::<Earner>(holding_a_badge())
        .when(
            EarnerCommand::IssueCredential(IssueCredential {
                document: VaultRef {
                    person_id: counsellor_id(),
                    entry_id: id(0xF81),
                },
                ..issue(1)
            }),
            &as_ledger(),
        )
        .then_error(DomainError::InvalidInput("earner's vault".to_owned()));
    given::<Earner>(holding_a_badge())
        .when(
            EarnerCommand::IssueCredential(IssueCredential {
                digest: "9F86D081".to_owned(),
                ..issue(1)
            }),
            &as_ledger(),
        )
        .then_error(DomainError::InvalidInput("SHA-256".to_owned()));
}

#[test]
fn a_credential_never_discloses_more_than_the_earner_agrees_to_now() {
    // Nothing is public yet: a credential showing the name is refused.
    given::<Earner>(holding_a_badge())
        .when(
            EarnerCommand::IssueCredential(IssueCredential {
                shows_name: true,
                ..issue(1)
            }),
            &as_ledger(),
        )
        .then_error(DomainError::RuleViolated("discloses more".to_owned()));
    let mut history = holding_a_badge();
    history.push(DomainEvent::PublicationConsentSet(PublicationConsentSet {
        show_name: true,
        show_recommendations: false,
        public_evidence: vec![],
    }));
    let earner = given::<Earner>(history.clone())
        .when(
            EarnerCommand::IssueCredential(IssueCredential {
                shows_name: true,
                ..issue(1)
            }),
            &as_ledger(),
        )
        .then([DomainEvent::CredentialIssued(CredentialIssued {
            shows_name: true,
            ..match issued(1) {
                DomainEvent::CredentialIssued(issued) => issued,
                _ => unreachable!(),
            }
        })]);
    assert!(earner.credentials()[0].within(earner.consent()));
    // Evidence the earner did not make public.
    given::<Earner>(history)
        .when(
            EarnerCommand::IssueCredential(IssueCredential {
                public_evidence: vec![id(0xE01)],
                ..issue(1)
            }),
            &as_ledger(),
        )
        .then_error(DomainError::RuleViolated("discloses more".to_owned()));
}

#[test]
fn only_the_earner_chooses_what_is_public_among_their_own_evidence() {
    let mut history = holding_a_badge();
    for (number, award) in [(1, None), (2, Some(award_id()))] {
        history.push(DomainEvent::EvidenceAdded(EvidenceAdded {
            request_id: request_id(),
            award_id: award,
            evidence: evidence(number),
        }));
    }
    let consent = |public_evidence: Vec<EvidenceId>| EarnerCommand::SetPublicationConsent {
        show_name: true,
        show_recommendations: true,
        public_evidence,
    };
    let earner = given::<Earner>(history.clone())
        .when(consent(vec![id(0xE02), id(0xE01)]), &as_earner())
        .then([DomainEvent::PublicationConsentSet(PublicationConsentSet {
            show_name: true,
            show_recommendations: true,
            public_evidence: vec![id(0xE01), id(0xE02)],
        })]);
    assert!(earner.consent().show_name);
    assert!(earner.consent().public_evidence.contains(&id(0xE02)));
    // Nothing is public before the earner's first choice.
    assert_eq!(
        given::<Earner>(history.clone())
            .when(consent(vec![]), &as_earner())
            .then([DomainEvent::PublicationConsentSet(PublicationConsentSet {
                show_name: true,
                show_recommendations: true,
                public_evidence: vec![],
            })])
            .consent()
            .public_evidence
            .len(),
        0
    );
    given::<Earner>(history.clone())
        .when(consent(vec![id(0xE01)]), &as_counsellor())
        .then_error(DomainError::Forbidden("only the earner".to_owned()));
    given::<Earner>(history.clone())
        .when(consent(vec![id(0xE09)]), &as_earner())
        .then_error(DomainError::NotFound("evidence".to_owned()));
    given::<Earner>(history)
        .when(consent(vec![id(0xE01), id(0xE01)]), &as_earner())
        .then_error(DomainError::InvalidInput("evidence".to_owned()));
}

#[test]
fn an_identity_is_recorded_by_the_earner_or_their_staff_in_the_earner_vault() {
    let name = VaultRef {
        person_id: earner_id(),
        entry_id: id(0xF90),
    };
    let email = VaultRef {
        person_id: earner_id(),
        entry_id: id(0xF91),
    };
    let earner = given::<Earner>([enrolled()])
        .when(
            EarnerCommand::RecordIdentity {
                name,
                email: Some(email),
            },
            &as_counsellor(),
        )
        .then([DomainEvent::EarnerIdentityRecorded(
            EarnerIdentityRecorded {
                name,
                email: Some(email),
            },
        )]);
    assert_eq!(earner.name(), Some(name));
    assert_eq!(earner.email(), Some(email));
    given::<Earner>([enrolled()])
        .when(
            EarnerCommand::RecordIdentity { name, email: None },
            &as_recommender(),
        )
        .then_error(DomainError::Forbidden(String::new()));
    let elsewhere = VaultRef {
        person_id: counsellor_id(),
        entry_id: id(0xF90),
    };
    for (name, email) in [(elsewhere, None), (name, Some(elsewhere))] {
        given::<Earner>([enrolled()])
            .when(EarnerCommand::RecordIdentity { name, email }, &as_earner())
            .then_error(DomainError::InvalidInput("earner's vault".to_owned()));
    }
}

#[test]
fn a_recommendation_records_whether_its_recommender_agreed_to_publication() {
    let mut history = holding_a_badge();
    history.push(asked());
    let earner = given::<Earner>(history)
        .when(
            EarnerCommand::GiveRecommendation {
                recommendation_id: recommendation_id(),
                award_id: award_id(),
                recommender_id: recommender_id(),
                organisation_id: Some(id(0x51)),
                testimony: testimony(),
                public: true,
            },
            &as_recommender(),
        )
        .then([DomainEvent::RecommendationGiven(RecommendationGiven {
            recommendation_id: recommendation_id(),
            award_id: award_id(),
            recommender_id: recommender_id(),
            organisation_id: Some(id(0x51)),
            testimony: testimony(),
            public: true,
        })]);
    assert!(earner.recommendation(recommendation_id()).unwrap().public);
}

#[test]
fn the_network_erases_a_worker_and_nothing_more_is_recorded_about_them() {
    let as_network_admin = acting_in(network_tenant(), id(130), &[Role::NetworkAdmin]);
    let erased_event = DomainEvent::SubjectErased(SubjectErased {
        earner_id: earner_id(),
    });
    let name = VaultRef {
        person_id: earner_id(),
        entry_id: id(0xF90),
    };
    let mut named = holding_a_badge();
    named.push(DomainEvent::EarnerIdentityRecorded(
        EarnerIdentityRecorded { name, email: None },
    ));
    let earner = given::<Earner>(named)
        .when(EarnerCommand::Erase, &as_network_admin)
        .then([erased_event.clone()]);
    assert!(earner.is_erased());
    assert_eq!(earner.name(), None, "the vault reference is forgotten too");
    // Only the network erases; the structure's staff and the worker ask it to.
    for context in [as_counsellor(), as_direction(), as_earner()] {
        given::<Earner>(holding_a_badge())
            .when(EarnerCommand::Erase, &context)
            .then_error(DomainError::Forbidden(String::new()));
    }
    let mut erased = holding_a_badge();
    erased.push(erased_event);
    let refused = || DomainError::RuleViolated("erased".to_owned());
    given::<Earner>(erased.clone())
        .when(EarnerCommand::Erase, &as_network_admin)
        .then_error(refused());
    given::<Earner>(erased.clone())
        .when(
            EarnerCommand::RecordIdentity { name, email: None },
            &as_earner(),
        )
        .then_error(refused());
    given::<Earner>(erased.clone())
        .when(
            EarnerCommand::SetPublicationConsent {
                show_name: true,
                show_recommendations: true,
                public_evidence: vec![],
            },
            &as_earner(),
        )
        .then_error(refused());
    given::<Earner>(erased.clone())
        .when(
            EarnerCommand::RevokeBadge {
                award_id: award_id(),
                reason: reason(ReasonCode::IssuedInError),
            },
            &as_direction(),
        )
        .then_error(refused());
    // The clock still runs: the award expires as any other (a count, no personal data).
    given::<Earner>(erased)
        .when(expire(), &later(as_direction(), at("2027-03-10T09:00:00Z")))
        .then([expired()]);
}

// =============================================================================================
// Shared CV ("CV 2.0")
// =============================================================================================

fn share_id() -> CvShareId {
    id(0xC500)
}

fn share(awards: Vec<AwardId>, expires_on: Option<Date>) -> EarnerCommand {
    EarnerCommand::ShareCv {
        share_id: share_id(),
        choices: CvChoices {
            awards,
            show_name: true,
            evidence: vec![],
            show_recommendations: true,
            show_pathway: false,
        },
        expires_on,
    }
}

fn shared(expires_on: Option<Date>) -> DomainEvent {
    DomainEvent::CvShared(CvShared {
        share_id: share_id(),
        shared_at: now(),
        awards: vec![award_id()],
        show_name: true,
        evidence: vec![],
        show_recommendations: true,
        show_pathway: false,
        expires_on,
    })
}

#[test]
fn the_earner_shares_their_standing_badges_through_a_link_of_their_choice() {
    let earner = given::<Earner>(holding_a_badge())
        .when(
            share(vec![award_id()], Some(date("2025-06-30"))),
            &as_earner(),
        )
        .then([shared(Some(date("2025-06-30")))]);
    let link = earner.cv_share(share_id()).expect("the link is recorded");
    assert_eq!(link.choices.awards, vec![award_id()]);
    assert!(link.opens_on(date("2025-06-30")));
    assert!(
        !link.opens_on(date("2025-07-01")),
        "the last day is the last"
    );
    // Only the worker shares their CV: not even their counsellor does it for them.
    given::<Earner>(holding_a_badge())
        .when(share(vec![award_id()], None), &as_counsellor())
        .then_error(DomainError::Forbidden("only the worker".to_owned()));
}

#[test]
fn a_shared_cv_shows_known_standing_badges_once_each() {
    given::<Earner>(holding_a_badge())
        .when(share(vec![], None), &as_earner())
        .then_error(DomainError::InvalidInput("at least one".to_owned()));
    given::<Earner>(holding_a_badge())
        .when(share(vec![id(0xA999)], None), &as_earner())
        .then_error(DomainError::NotFound("award".to_owned()));
    given::<Earner>(holding_a_badge())
        .when(share(vec![award_id(), award_id()], None), &as_earner())
        .then_error(DomainError::InvalidInput("award".to_owned()));
    let mut revoked_badge = holding_a_badge();
    revoked_badge.push(revoked());
    given::<Earner>(revoked_badge)
        .when(share(vec![award_id()], None), &as_earner())
        .then_error(DomainError::RuleViolated("no longer stands".to_owned()));
    given::<Earner>(holding_a_badge())
        .when(
            share(vec![award_id()], Some(date("2025-03-09"))),
            &as_earner(),
        )
        .then_error(DomainError::InvalidInput("today or later".to_owned()));
    let mut twice = holding_a_badge();
    twice.push(shared(None));
    given::<Earner>(twice)
        .when(share(vec![award_id()], None), &as_earner())
        .then_error(DomainError::RuleViolated("already exists".to_owned()));
}

#[test]
fn a_worker_has_a_bounded_number_of_open_links_and_revoking_one_frees_a_place() {
    let mut history = holding_a_badge();
    for number in 0..CV_SHARES_OPEN_MAX as u128 {
        let DomainEvent::CvShared(mut event) = shared(None) else {
            unreachable!()
        };
        event.share_id = id(0xC600 + number);
        history.push(DomainEvent::CvShared(event));
    }
    given::<Earner>(history.clone())
        .when(share(vec![award_id()], None), &as_earner())
        .then_error(DomainError::RuleViolated("at most".to_owned()));
    history.push(DomainEvent::CvShareRevoked(CvShareRevoked {
        share_id: id(0xC600),
    }));
    given::<Earner>(history)
        .when(share(vec![award_id()], None), &as_earner())
        .then([shared(None)]);
}

#[test]
fn the_earner_or_their_staff_revoke_a_link_once() {
    let mut history = holding_a_badge();
    history.push(shared(None));
    let revoke = EarnerCommand::RevokeCvShare {
        share_id: share_id(),
    };
    let revoked_link = DomainEvent::CvShareRevoked(CvShareRevoked {
        share_id: share_id(),
    });
    for actor in [as_earner(), as_counsellor()] {
        let earner = given::<Earner>(history.clone())
            .when(revoke.clone(), &actor)
            .then([revoked_link.clone()]);
        assert!(!earner
            .cv_share(share_id())
            .unwrap()
            .opens_on(date("2025-03-10")));
    }
    given::<Earner>(history.clone())
        .when(revoke.clone(), &as_recommender())
        .then_error(DomainError::Forbidden("revoke".to_owned()));
    given::<Earner>(holding_a_badge())
        .when(revoke.clone(), &as_earner())
        .then_error(DomainError::NotFound("CV link".to_owned()));
    history.push(revoked_link);
    given::<Earner>(history)
        .when(revoke, &as_earner())
        .then_error(DomainError::RuleViolated("already revoked".to_owned()));
}

#[test]
fn erasure_closes_every_link() {
    let mut history = holding_a_badge();
    history.push(shared(None));
    history.push(DomainEvent::SubjectErased(SubjectErased {
        earner_id: earner_id(),
    }));
    let earner = Earner::from_events(&history);
    assert!(!earner
        .cv_share(share_id())
        .unwrap()
        .opens_on(date("2025-03-10")));
    given::<Earner>(history)
        .when(share(vec![award_id()], None), &as_earner())
        .then_error(DomainError::RuleViolated("erased".to_owned()));
}

#[test]
fn a_shared_cv_shows_pieces_of_evidence_chosen_among_its_badges() {
    let mut history = holding_a_badge();
    history.push(DomainEvent::EvidenceAdded(EvidenceAdded {
        request_id: request_id(),
        award_id: Some(award_id()),
        evidence: evidence(1),
    }));
    let with_evidence = |pieces: Vec<EvidenceId>| EarnerCommand::ShareCv {
        share_id: share_id(),
        choices: CvChoices {
            awards: vec![award_id()],
            evidence: pieces,
            ..CvChoices::default()
        },
        expires_on: None,
    };
    let earner = given::<Earner>(history.clone())
        .when(with_evidence(vec![id(0xE01)]), &as_earner())
        .then([DomainEvent::CvShared(CvShared {
            share_id: share_id(),
            shared_at: now(),
            awards: vec![award_id()],
            show_name: false,
            evidence: vec![id(0xE01)],
            show_recommendations: false,
            show_pathway: false,
            expires_on: None,
        })]);
    assert_eq!(
        earner.cv_share(share_id()).unwrap().choices.evidence,
        vec![id::<EvidenceId>(0xE01)]
    );
    given::<Earner>(history.clone())
        .when(with_evidence(vec![id(0xE09)]), &as_earner())
        .then_error(DomainError::NotFound("evidence".to_owned()));
    given::<Earner>(history)
        .when(with_evidence(vec![id(0xE01), id(0xE01)]), &as_earner())
        .then_error(DomainError::InvalidInput("evidence".to_owned()));
}
