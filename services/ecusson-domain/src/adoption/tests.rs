//! Given / when / then tests of a structure's adoption of a badge class.

use super::*;
use crate::decider::given;
use crate::snapshot::CommitteeSnapshot;
use crate::test_fixtures::*;

fn structure_admin() -> CommandContext {
    acting_in(structure_tenant(), id(1), &[Role::StructureAdmin])
}

fn direction() -> CommandContext {
    acting_in(structure_tenant(), id(2), &[Role::Direction])
}

fn badge_class_id() -> BadgeClassId {
    id(0x70)
}

fn badge_class(retired: bool) -> BadgeClassSnapshot {
    BadgeClassSnapshot {
        badge_class_id: badge_class_id(),
        current_revision: 1,
        retired,
        automatic_validation: false,
        validity_months: Some(24),
    }
}

fn adopted() -> DomainEvent {
    DomainEvent::BadgeClassAdopted(BadgeClassAdopted {
        badge_class_id: badge_class_id(),
        criterion: criterion_definition(),
    })
}

fn committee(structures: Vec<TenantId>) -> CommitteeSnapshot {
    CommitteeSnapshot {
        committee_id: id(0x60),
        structures,
        members: vec![id(10), id(11), id(12)],
        quorum: 2,
    }
}

#[test]
fn a_structure_admin_adopts_a_badge_class_with_its_criterion() {
    let adoption = given::<Adoption>([])
        .when(
            AdoptionCommand::Adopt {
                badge_class: badge_class(false),
                criterion: criterion_definition(),
            },
            &structure_admin(),
        )
        .then([adopted()]);
    assert_eq!(adoption.criterion(), Some(&criterion_definition()));
    assert_eq!(adoption.validation_mode(), None);
    // Adopted, but no request may be made yet: no validation mode.
    assert_eq!(
        adoption.snapshot(None).map(|snapshot| snapshot.validation),
        Some(None)
    );
}

#[test]
fn the_direction_may_adopt_but_a_counsellor_may_not() {
    let adopt = AdoptionCommand::Adopt {
        badge_class: badge_class(false),
        criterion: criterion_definition(),
    };
    given::<Adoption>([])
        .when(adopt.clone(), &direction())
        .then([adopted()]);
    given::<Adoption>([])
        .when(
            adopt,
            &acting_in(structure_tenant(), id(3), &[Role::Counsellor]),
        )
        .then_error(DomainError::Forbidden("adopt".into()));
}

#[test]
fn a_badge_class_is_adopted_once_and_never_when_retired() {
    given::<Adoption>([adopted()])
        .when(
            AdoptionCommand::Adopt {
                badge_class: badge_class(false),
                criterion: criterion_definition(),
            },
            &structure_admin(),
        )
        .then_error(DomainError::RuleViolated("already adopted".into()));
    given::<Adoption>([])
        .when(
            AdoptionCommand::Adopt {
                badge_class: badge_class(true),
                criterion: criterion_definition(),
            },
            &structure_admin(),
        )
        .then_error(DomainError::RuleViolated("retired".into()));
}

#[test]
fn a_criterion_names_staff_evaluators_and_says_what_is_required() {
    let cases: Vec<(CriterionDefinition, &str)> = vec![
        (
            CriterionDefinition {
                evaluator_roles: vec![],
                ..criterion_definition()
            },
            "at least one role",
        ),
        (
            CriterionDefinition {
                evaluator_roles: vec![Role::Counsellor, Role::Earner],
                ..criterion_definition()
            },
            "not a staff role",
        ),
        (
            CriterionDefinition {
                evaluator_roles: vec![Role::Funder],
                ..criterion_definition()
            },
            "not a staff role",
        ),
        (
            CriterionDefinition {
                criterion: String::new(),
                ..criterion_definition()
            },
            "criterion",
        ),
        (
            CriterionDefinition {
                evidence: "x".repeat(4001),
                ..criterion_definition()
            },
            "criterion evidence",
        ),
    ];
    for (criterion, fragment) in cases {
        given::<Adoption>([])
            .when(
                AdoptionCommand::Adopt {
                    badge_class: badge_class(false),
                    criterion,
                },
                &structure_admin(),
            )
            .then_error(DomainError::InvalidInput(fragment.into()));
    }
}

#[test]
fn the_criterion_is_revised_when_it_changes() {
    let revised = CriterionDefinition {
        evaluator_roles: vec![Role::Direction],
        ..criterion_definition()
    };
    let adoption = given::<Adoption>([adopted()])
        .when(
            AdoptionCommand::ReviseCriterion {
                badge_class_id: badge_class_id(),
                criterion: revised.clone(),
            },
            &structure_admin(),
        )
        .then([DomainEvent::CriterionRevised(CriterionRevised {
            badge_class_id: badge_class_id(),
            criterion: revised.clone(),
        })]);
    assert_eq!(adoption.criterion(), Some(&revised));

    given::<Adoption>([adopted()])
        .when(
            AdoptionCommand::ReviseCriterion {
                badge_class_id: badge_class_id(),
                criterion: criterion_definition(),
            },
            &structure_admin(),
        )
        .then_error(DomainError::RuleViolated("unchanged".into()));
    given::<Adoption>([])
        .when(
            AdoptionCommand::ReviseCriterion {
                badge_class_id: badge_class_id(),
                criterion: revised,
            },
            &structure_admin(),
        )
        .then_error(DomainError::NotFound("adoption".into()));
}

#[test]
fn systematic_validation_is_set_after_adoption() {
    let adoption = given::<Adoption>([adopted()])
        .when(
            AdoptionCommand::SetValidationMode {
                badge_class_id: badge_class_id(),
                validation: ValidationSetting::Systematic,
            },
            &structure_admin(),
        )
        .then([DomainEvent::ValidationModeSet(ValidationModeSet {
            badge_class_id: badge_class_id(),
            mode: ValidationMode::Systematic,
        })]);
    assert_eq!(
        adoption.snapshot(None),
        Some(AdoptionSnapshot {
            badge_class_id: badge_class_id(),
            evaluator_roles: vec![Role::Counsellor, Role::Direction],
            validation: Some(ValidationSetting::Systematic),
        })
    );

    given::<Adoption>([])
        .when(
            AdoptionCommand::SetValidationMode {
                badge_class_id: badge_class_id(),
                validation: ValidationSetting::Systematic,
            },
            &structure_admin(),
        )
        .then_error(DomainError::NotFound("adoption".into()));
}

#[test]
fn a_committee_is_chosen_only_when_it_serves_this_structure() {
    let adoption = given::<Adoption>([adopted()])
        .when(
            AdoptionCommand::SetValidationMode {
                badge_class_id: badge_class_id(),
                validation: ValidationSetting::Committee(committee(vec![
                    other_structure_tenant(),
                    structure_tenant(),
                ])),
            },
            &structure_admin(),
        )
        .then([DomainEvent::ValidationModeSet(ValidationModeSet {
            badge_class_id: badge_class_id(),
            mode: ValidationMode::Committee {
                committee_id: id(0x60),
            },
        })]);
    let pooled = committee(vec![other_structure_tenant(), structure_tenant()]);
    assert_eq!(
        adoption
            .snapshot(Some(pooled.clone()))
            .and_then(|snapshot| snapshot.validation),
        Some(ValidationSetting::Committee(pooled))
    );
    // Without the committee's facts, no request can be routed to it.
    assert_eq!(
        adoption
            .snapshot(None)
            .and_then(|snapshot| snapshot.validation),
        None
    );

    given::<Adoption>([adopted()])
        .when(
            AdoptionCommand::SetValidationMode {
                badge_class_id: badge_class_id(),
                validation: ValidationSetting::Committee(committee(vec![other_structure_tenant()])),
            },
            &structure_admin(),
        )
        .then_error(DomainError::RuleViolated("does not serve".into()));
}

#[test]
fn setting_the_same_mode_again_is_refused_but_switching_is_allowed() {
    let systematic_set = DomainEvent::ValidationModeSet(ValidationModeSet {
        badge_class_id: badge_class_id(),
        mode: ValidationMode::Systematic,
    });
    given::<Adoption>([adopted(), systematic_set.clone()])
        .when(
            AdoptionCommand::SetValidationMode {
                badge_class_id: badge_class_id(),
                validation: ValidationSetting::Systematic,
            },
            &structure_admin(),
        )
        .then_error(DomainError::RuleViolated("already set".into()));
    given::<Adoption>([adopted(), systematic_set])
        .when(
            AdoptionCommand::SetValidationMode {
                badge_class_id: badge_class_id(),
                validation: ValidationSetting::Committee(committee(vec![structure_tenant()])),
            },
            &direction(),
        )
        .then([DomainEvent::ValidationModeSet(ValidationModeSet {
            badge_class_id: badge_class_id(),
            mode: ValidationMode::Committee {
                committee_id: id(0x60),
            },
        })]);
}
