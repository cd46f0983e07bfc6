//! Given / when / then tests of pathways and badge classes.

use super::*;
use crate::decider::given;
use crate::test_fixtures::*;

fn network_admin() -> CommandContext {
    acting_in(network_tenant(), id(1), &[Role::NetworkAdmin])
}

fn badge_class_id() -> BadgeClassId {
    id(0x70)
}

fn published(automatic_validation: bool) -> DomainEvent {
    DomainEvent::BadgeClassPublished(BadgeClassPublished {
        badge_class_id: badge_class_id(),
        revision: 1,
        content: badge_class_content(),
        automatic_validation,
    })
}

fn revised_content() -> BadgeClassContent {
    BadgeClassContent {
        validity_months: Some(36),
        description: "Reconnaît la période d'essai réussie.".to_owned(),
        ..badge_class_content()
    }
}

fn revised() -> DomainEvent {
    DomainEvent::BadgeClassRevised(BadgeClassRevised {
        badge_class_id: badge_class_id(),
        revision: 2,
        content: revised_content(),
    })
}

fn retired() -> DomainEvent {
    DomainEvent::BadgeClassRetired(BadgeClassRetired {
        badge_class_id: badge_class_id(),
    })
}

// ---- pathways ----

fn define_pathway(rank: u8) -> PathwayCommand {
    PathwayCommand::Define {
        pathway_id: pathway_id(),
        rank,
        name: "Premiers pas".to_owned(),
        description: "Valoriser les premières actions dans la structure.".to_owned(),
    }
}

#[test]
fn a_network_admin_defines_a_pathway_of_rank_one_to_three() {
    for rank in 1..=3 {
        let pathway = given::<Pathway>([])
            .when(define_pathway(rank), &network_admin())
            .then([DomainEvent::PathwayDefined(PathwayDefined {
                pathway_id: pathway_id(),
                rank,
                name: "Premiers pas".to_owned(),
                description: "Valoriser les premières actions dans la structure.".to_owned(),
            })]);
        assert_eq!(pathway.definition().map(|defined| defined.rank), Some(rank));
    }
    for rank in [0, 4] {
        given::<Pathway>([])
            .when(define_pathway(rank), &network_admin())
            .then_error(DomainError::InvalidInput("rank".into()));
    }
}

#[test]
fn a_pathway_is_defined_once_by_a_network_admin() {
    let history: Vec<DomainEvent> = given::<Pathway>([])
        .when(define_pathway(1), &network_admin())
        .then([DomainEvent::PathwayDefined(PathwayDefined {
            pathway_id: pathway_id(),
            rank: 1,
            name: "Premiers pas".to_owned(),
            description: "Valoriser les premières actions dans la structure.".to_owned(),
        })])
        .definition()
        .cloned()
        .map(DomainEvent::PathwayDefined)
        .into_iter()
        .collect();
    given::<Pathway>(history)
        .when(define_pathway(1), &network_admin())
        .then_error(DomainError::RuleViolated("already defined".into()));
    given::<Pathway>([])
        .when(
            define_pathway(1),
            &acting_in(structure_tenant(), id(2), &[Role::StructureAdmin]),
        )
        .then_error(DomainError::Forbidden("edit the catalogue".into()));
}

#[test]
fn a_pathway_has_a_name_and_a_description() {
    given::<Pathway>([])
        .when(
            PathwayCommand::Define {
                pathway_id: pathway_id(),
                rank: 1,
                name: String::new(),
                description: "Texte.".to_owned(),
            },
            &network_admin(),
        )
        .then_error(DomainError::InvalidInput("pathway name".into()));
    given::<Pathway>([])
        .when(
            PathwayCommand::Define {
                pathway_id: pathway_id(),
                rank: 1,
                name: "Premiers pas".to_owned(),
                description: "x".repeat(4001),
            },
            &network_admin(),
        )
        .then_error(DomainError::InvalidInput("pathway description".into()));
}

// ---- badge classes ----

#[test]
fn a_badge_class_is_published_at_revision_one() {
    let badge_class = given::<BadgeClass>([])
        .when(
            BadgeClassCommand::Publish {
                badge_class_id: badge_class_id(),
                content: badge_class_content(),
                automatic_validation: false,
            },
            &network_admin(),
        )
        .then([published(false)]);
    assert_eq!(
        badge_class.snapshot(),
        Some(BadgeClassSnapshot {
            badge_class_id: badge_class_id(),
            current_revision: 1,
            retired: false,
            automatic_validation: false,
            validity_months: Some(24),
        })
    );
}

#[test]
fn a_badge_class_is_published_once() {
    given::<BadgeClass>([published(false)])
        .when(
            BadgeClassCommand::Publish {
                badge_class_id: badge_class_id(),
                content: badge_class_content(),
                automatic_validation: false,
            },
            &network_admin(),
        )
        .then_error(DomainError::RuleViolated("already published".into()));
}

#[test]
fn only_a_network_admin_edits_badge_classes() {
    given::<BadgeClass>([])
        .when(
            BadgeClassCommand::Publish {
                badge_class_id: badge_class_id(),
                content: badge_class_content(),
                automatic_validation: false,
            },
            &acting_in(network_tenant(), id(3), &[Role::Direction]),
        )
        .then_error(DomainError::Forbidden("edit the catalogue".into()));
}

#[test]
fn badge_class_content_is_validated() {
    let cases: Vec<(BadgeClassContent, &str)> = vec![
        (
            BadgeClassContent {
                name: " ".to_owned(),
                ..badge_class_content()
            },
            "badge class name",
        ),
        (
            BadgeClassContent {
                name: "n".repeat(201),
                ..badge_class_content()
            },
            "badge class name",
        ),
        (
            BadgeClassContent {
                description: String::new(),
                ..badge_class_content()
            },
            "badge class description",
        ),
        (
            BadgeClassContent {
                criteria_narrative: String::new(),
                ..badge_class_content()
            },
            "criteria narrative",
        ),
        (
            BadgeClassContent {
                validity_months: Some(0),
                ..badge_class_content()
            },
            "validity",
        ),
        (
            BadgeClassContent {
                validity_months: Some(VALIDITY_MONTHS_MAX + 1),
                ..badge_class_content()
            },
            "validity",
        ),
        (
            BadgeClassContent {
                alignments: vec![Alignment {
                    target_name: "ROME".to_owned(),
                    target_url: "javascript:alert(1)".to_owned(),
                    target_code: None,
                }],
                ..badge_class_content()
            },
            "url",
        ),
    ];
    for (content, fragment) in cases {
        given::<BadgeClass>([])
            .when(
                BadgeClassCommand::Publish {
                    badge_class_id: badge_class_id(),
                    content,
                    automatic_validation: false,
                },
                &network_admin(),
            )
            .then_error(DomainError::InvalidInput(fragment.into()));
    }
}

#[test]
fn a_badge_class_without_validity_and_with_empty_expected_evidence_is_fine() {
    let content = BadgeClassContent {
        validity_months: None,
        expected_evidence: String::new(),
        alignments: vec![],
        ..badge_class_content()
    };
    given::<BadgeClass>([])
        .when(
            BadgeClassCommand::Publish {
                badge_class_id: badge_class_id(),
                content: content.clone(),
                automatic_validation: true,
            },
            &network_admin(),
        )
        .then([DomainEvent::BadgeClassPublished(BadgeClassPublished {
            badge_class_id: badge_class_id(),
            revision: 1,
            content,
            automatic_validation: true,
        })]);
}

#[test]
fn a_revision_adds_one_and_keeps_earlier_revisions_readable() {
    let badge_class = given::<BadgeClass>([published(false)])
        .when(
            BadgeClassCommand::Revise {
                badge_class_id: badge_class_id(),
                content: revised_content(),
            },
            &network_admin(),
        )
        .then([revised()]);
    assert_eq!(badge_class.current_revision(), 2);
    // Awards of revision 1 keep showing revision 1, with its own validity.
    assert_eq!(badge_class.content_of(1), Some(&badge_class_content()));
    assert_eq!(badge_class.validity_months_of(1), Some(24));
    assert_eq!(badge_class.validity_months_of(2), Some(36));
    assert_eq!(
        badge_class
            .snapshot()
            .map(|snapshot| snapshot.current_revision),
        Some(2)
    );

    given::<BadgeClass>([published(false), revised()])
        .when(
            BadgeClassCommand::Revise {
                badge_class_id: badge_class_id(),
                content: badge_class_content(),
            },
            &network_admin(),
        )
        .then([DomainEvent::BadgeClassRevised(BadgeClassRevised {
            badge_class_id: badge_class_id(),
            revision: 3,
            content: badge_class_content(),
        })]);
}

#[test]
fn a_revision_needs_a_published_class_and_a_change() {
    given::<BadgeClass>([])
        .when(
            BadgeClassCommand::Revise {
                badge_class_id: badge_class_id(),
                content: revised_content(),
            },
            &network_admin(),
        )
        .then_error(DomainError::NotFound("badge class".into()));
    given::<BadgeClass>([published(false)])
        .when(
            BadgeClassCommand::Revise {
                badge_class_id: badge_class_id(),
                content: badge_class_content(),
            },
            &network_admin(),
        )
        .then_error(DomainError::RuleViolated("changes nothing".into()));
    given::<BadgeClass>([published(false)])
        .when(
            BadgeClassCommand::Revise {
                badge_class_id: id(0x71),
                content: revised_content(),
            },
            &network_admin(),
        )
        .then_error(DomainError::InvalidInput("this stream holds".into()));
}

#[test]
fn a_retired_class_is_neither_retired_again_nor_revised() {
    let badge_class = given::<BadgeClass>([published(false)])
        .when(
            BadgeClassCommand::Retire {
                badge_class_id: badge_class_id(),
            },
            &network_admin(),
        )
        .then([retired()]);
    assert_eq!(
        badge_class.snapshot().map(|snapshot| snapshot.retired),
        Some(true)
    );

    given::<BadgeClass>([published(false), retired()])
        .when(
            BadgeClassCommand::Retire {
                badge_class_id: badge_class_id(),
            },
            &network_admin(),
        )
        .then_error(DomainError::RuleViolated("already retired".into()));
    given::<BadgeClass>([published(false), retired()])
        .when(
            BadgeClassCommand::Revise {
                badge_class_id: badge_class_id(),
                content: revised_content(),
            },
            &network_admin(),
        )
        .then_error(DomainError::RuleViolated("retired".into()));
    given::<BadgeClass>([])
        .when(
            BadgeClassCommand::Retire {
                badge_class_id: badge_class_id(),
            },
            &network_admin(),
        )
        .then_error(DomainError::NotFound("badge class".into()));
}
