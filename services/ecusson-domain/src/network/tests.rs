//! Given / when / then tests of the network aggregate.

use super::*;
use crate::decider::given;
use crate::test_fixtures::*;

fn admin() -> CommandContext {
    acting_in(network_tenant(), id(1), &[Role::NetworkAdmin])
}

fn structure_admin() -> CommandContext {
    acting_in(network_tenant(), id(2), &[Role::StructureAdmin])
}

fn registered() -> DomainEvent {
    DomainEvent::NetworkRegistered(NetworkRegistered {
        network_id: network_tenant(),
        name: "INAÉ".to_owned(),
    })
}

fn admitted(structure_id: TenantId) -> DomainEvent {
    DomainEvent::StructureAdmitted(StructureAdmitted {
        structure_id,
        kind: StructureKind::Aci,
        name: "Chantier du Val".to_owned(),
    })
}

fn organisation(organisation_id: OrganisationId, kind: OrganisationKind) -> DomainEvent {
    DomainEvent::OrganisationRegistered(OrganisationRegistered {
        organisation_id,
        kind,
        name: "Région Nouvelle-Aquitaine".to_owned(),
    })
}

fn endorsing() -> OrganisationId {
    id(0x50)
}

fn host_company() -> OrganisationId {
    id(0x51)
}

fn with_organisations() -> Vec<DomainEvent> {
    vec![
        registered(),
        organisation(endorsing(), OrganisationKind::EndorsingOrganisation),
        organisation(host_company(), OrganisationKind::HostCompany),
    ]
}

fn committee_formed(members: Vec<PersonId>, quorum: u16) -> DomainEvent {
    DomainEvent::CommitteeFormed(CommitteeFormed {
        committee_id: id(0x60),
        structures: vec![structure_tenant()],
        members,
        quorum,
    })
}

fn badge_class(retired: bool) -> BadgeClassSnapshot {
    BadgeClassSnapshot {
        badge_class_id: id(0x70),
        current_revision: 1,
        retired,
        automatic_validation: false,
        validity_months: None,
    }
}

// ---- registration ----

#[test]
fn a_network_admin_registers_the_network_from_its_tenant() {
    given::<Network>([])
        .when(
            NetworkCommand::RegisterNetwork {
                network_id: network_tenant(),
                name: "INAÉ".to_owned(),
            },
            &admin(),
        )
        .then([registered()]);
}

#[test]
fn only_a_network_admin_registers_the_network() {
    given::<Network>([])
        .when(
            NetworkCommand::RegisterNetwork {
                network_id: network_tenant(),
                name: "INAÉ".to_owned(),
            },
            &structure_admin(),
        )
        .then_error(DomainError::Forbidden("NetworkAdmin".into()));
}

#[test]
fn a_network_is_registered_from_its_own_tenant_only() {
    given::<Network>([])
        .when(
            NetworkCommand::RegisterNetwork {
                network_id: other_structure_tenant(),
                name: "INAÉ".to_owned(),
            },
            &admin(),
        )
        .then_error(DomainError::Forbidden("own tenant".into()));
}

#[test]
fn a_network_is_registered_once() {
    given::<Network>([registered()])
        .when(
            NetworkCommand::RegisterNetwork {
                network_id: network_tenant(),
                name: "INAÉ".to_owned(),
            },
            &admin(),
        )
        .then_error(DomainError::RuleViolated("already registered".into()));
}

#[test]
fn a_network_name_is_neither_empty_nor_too_long() {
    for name in ["".to_owned(), "  ".to_owned(), "x".repeat(201)] {
        given::<Network>([])
            .when(
                NetworkCommand::RegisterNetwork {
                    network_id: network_tenant(),
                    name,
                },
                &admin(),
            )
            .then_error(DomainError::InvalidInput("network name".into()));
    }
}

#[test]
fn an_admin_of_another_tenant_cannot_manage_the_network() {
    let foreign_admin = acting_in(other_structure_tenant(), id(1), &[Role::NetworkAdmin]);
    given::<Network>([registered()])
        .when(
            NetworkCommand::AdmitStructure {
                structure_id: structure_tenant(),
                kind: StructureKind::Aci,
                name: "Chantier du Val".to_owned(),
            },
            &foreign_admin,
        )
        .then_error(DomainError::Forbidden("admin of this network".into()));
}

// ---- structures and organisations ----

#[test]
fn a_structure_is_admitted_once() {
    let admit = NetworkCommand::AdmitStructure {
        structure_id: structure_tenant(),
        kind: StructureKind::Aci,
        name: "Chantier du Val".to_owned(),
    };
    given::<Network>([registered()])
        .when(admit.clone(), &admin())
        .then([admitted(structure_tenant())]);
    given::<Network>([registered(), admitted(structure_tenant())])
        .when(admit, &admin())
        .then_error(DomainError::RuleViolated("already admitted".into()));
}

#[test]
fn no_structure_is_admitted_before_the_network_is_registered() {
    given::<Network>([])
        .when(
            NetworkCommand::AdmitStructure {
                structure_id: structure_tenant(),
                kind: StructureKind::Ei,
                name: "Envie".to_owned(),
            },
            &admin(),
        )
        .then_error(DomainError::RuleViolated("not registered".into()));
}

#[test]
fn the_network_is_not_its_own_structure() {
    given::<Network>([registered()])
        .when(
            NetworkCommand::AdmitStructure {
                structure_id: network_tenant(),
                kind: StructureKind::Ess,
                name: "INAÉ".to_owned(),
            },
            &admin(),
        )
        .then_error(DomainError::InvalidInput("its own structures".into()));
}

#[test]
fn an_organisation_is_registered_once() {
    let register = NetworkCommand::RegisterOrganisation {
        organisation_id: endorsing(),
        kind: OrganisationKind::EndorsingOrganisation,
        name: "Région Nouvelle-Aquitaine".to_owned(),
    };
    given::<Network>([registered()])
        .when(register.clone(), &admin())
        .then([organisation(
            endorsing(),
            OrganisationKind::EndorsingOrganisation,
        )]);
    given::<Network>(with_organisations())
        .when(register, &admin())
        .then_error(DomainError::RuleViolated("already registered".into()));
}

// ---- committees ----

#[test]
fn a_committee_serves_admitted_structures_with_a_reachable_quorum() {
    let members: Vec<PersonId> = vec![id(10), id(11), id(12)];
    let network = given::<Network>([registered(), admitted(structure_tenant())])
        .when(
            NetworkCommand::FormCommittee {
                committee_id: id(0x60),
                structures: vec![structure_tenant()],
                members: members.clone(),
                quorum: 3,
            },
            &admin(),
        )
        .then([committee_formed(members.clone(), 3)]);
    assert_eq!(
        network.committee(id(0x60)),
        Some(CommitteeSnapshot {
            committee_id: id(0x60),
            structures: vec![structure_tenant()],
            members,
            quorum: 3,
        })
    );
}

#[test]
fn a_committee_cannot_serve_a_structure_outside_the_network() {
    given::<Network>([registered(), admitted(structure_tenant())])
        .when(
            NetworkCommand::FormCommittee {
                committee_id: id(0x60),
                structures: vec![structure_tenant(), other_structure_tenant()],
                members: vec![id(10)],
                quorum: 1,
            },
            &admin(),
        )
        .then_error(DomainError::NotFound("not admitted".into()));
}

#[test]
fn a_committee_quorum_is_between_one_and_the_number_of_members() {
    for quorum in [0, 3] {
        given::<Network>([registered(), admitted(structure_tenant())])
            .when(
                NetworkCommand::FormCommittee {
                    committee_id: id(0x60),
                    structures: vec![structure_tenant()],
                    members: vec![id(10), id(11)],
                    quorum,
                },
                &admin(),
            )
            .then_error(DomainError::InvalidInput("quorum".into()));
    }
}

#[test]
fn a_committee_has_members_each_named_once_and_serves_someone() {
    let form = |structures: Vec<TenantId>, members: Vec<PersonId>| NetworkCommand::FormCommittee {
        committee_id: id(0x60),
        structures,
        members,
        quorum: 1,
    };
    let history = [registered(), admitted(structure_tenant())];
    given::<Network>(history.clone())
        .when(
            form(vec![structure_tenant()], vec![id(10), id(10)]),
            &admin(),
        )
        .then_error(DomainError::InvalidInput("duplicates".into()));
    given::<Network>(history.clone())
        .when(form(vec![structure_tenant()], vec![]), &admin())
        .then_error(DomainError::InvalidInput("at least one member".into()));
    given::<Network>(history.clone())
        .when(form(vec![], vec![id(10)]), &admin())
        .then_error(DomainError::InvalidInput("at least one structure".into()));
    given::<Network>(history)
        .when(
            form(vec![structure_tenant(), structure_tenant()], vec![id(10)]),
            &admin(),
        )
        .then_error(DomainError::InvalidInput("duplicates".into()));
}

#[test]
fn a_committee_id_is_used_once() {
    given::<Network>([
        registered(),
        admitted(structure_tenant()),
        committee_formed(vec![id(10)], 1),
    ])
    .when(
        NetworkCommand::FormCommittee {
            committee_id: id(0x60),
            structures: vec![structure_tenant()],
            members: vec![id(11)],
            quorum: 1,
        },
        &admin(),
    )
    .then_error(DomainError::RuleViolated("already exists".into()));
}

#[test]
fn the_membership_of_a_committee_changes_with_a_valid_quorum() {
    let history = [
        registered(),
        admitted(structure_tenant()),
        committee_formed(vec![id(10), id(11)], 2),
    ];
    let change = |members: Vec<PersonId>, quorum| NetworkCommand::ChangeCommitteeMembership {
        committee_id: id(0x60),
        members,
        quorum,
    };
    let network = given::<Network>(history.clone())
        .when(change(vec![id(10), id(12), id(13)], 2), &admin())
        .then([DomainEvent::CommitteeMembershipChanged(
            CommitteeMembershipChanged {
                committee_id: id(0x60),
                members: vec![id(10), id(12), id(13)],
                quorum: 2,
            },
        )]);
    assert_eq!(
        network
            .committee(id(0x60))
            .map(|committee| committee.members),
        Some(vec![id(10), id(12), id(13)])
    );
    given::<Network>(history.clone())
        .when(change(vec![id(10)], 2), &admin())
        .then_error(DomainError::InvalidInput("quorum".into()));
    given::<Network>(history.clone())
        .when(change(vec![id(10), id(11)], 2), &admin())
        .then_error(DomainError::RuleViolated("unchanged".into()));
    given::<Network>(history)
        .when(
            NetworkCommand::ChangeCommitteeMembership {
                committee_id: id(0x61),
                members: vec![id(10)],
                quorum: 1,
            },
            &admin(),
        )
        .then_error(DomainError::NotFound("committee".into()));
}

// ---- endorsements ----

#[test]
fn an_endorsing_organisation_endorses_the_issuer() {
    given::<Network>(with_organisations())
        .when(
            NetworkCommand::EndorseIssuer {
                endorsement_id: id(0x80),
                organisation_id: endorsing(),
                statement: "La Région soutient le programme.".to_owned(),
            },
            &admin(),
        )
        .then([DomainEvent::IssuerEndorsed(IssuerEndorsed {
            endorsement_id: id(0x80),
            organisation_id: endorsing(),
            statement: "La Région soutient le programme.".to_owned(),
        })]);
}

#[test]
fn a_host_company_does_not_endorse() {
    given::<Network>(with_organisations())
        .when(
            NetworkCommand::EndorseIssuer {
                endorsement_id: id(0x80),
                organisation_id: host_company(),
                statement: "Bravo.".to_owned(),
            },
            &admin(),
        )
        .then_error(DomainError::RuleViolated("host company".into()));
    given::<Network>(with_organisations())
        .when(
            NetworkCommand::EndorseBadgeClass {
                endorsement_id: id(0x80),
                organisation_id: host_company(),
                badge_class: badge_class(false),
                statement: "Bravo.".to_owned(),
            },
            &admin(),
        )
        .then_error(DomainError::RuleViolated("host company".into()));
}

#[test]
fn an_unregistered_organisation_does_not_endorse() {
    given::<Network>(with_organisations())
        .when(
            NetworkCommand::EndorseIssuer {
                endorsement_id: id(0x80),
                organisation_id: id(0x59),
                statement: "Bravo.".to_owned(),
            },
            &admin(),
        )
        .then_error(DomainError::NotFound("organisation".into()));
}

#[test]
fn an_endorsement_is_recorded_by_a_network_admin_only() {
    given::<Network>(with_organisations())
        .when(
            NetworkCommand::EndorseIssuer {
                endorsement_id: id(0x80),
                organisation_id: endorsing(),
                statement: "Bravo.".to_owned(),
            },
            &acting_in(network_tenant(), id(3), &[Role::Counsellor]),
        )
        .then_error(DomainError::Forbidden("NetworkAdmin".into()));
}

#[test]
fn an_endorsement_statement_is_neither_empty_nor_too_long() {
    for statement in ["".to_owned(), "x".repeat(4001)] {
        given::<Network>(with_organisations())
            .when(
                NetworkCommand::EndorseIssuer {
                    endorsement_id: id(0x80),
                    organisation_id: endorsing(),
                    statement,
                },
                &admin(),
            )
            .then_error(DomainError::InvalidInput("statement".into()));
    }
}

#[test]
fn an_organisation_endorses_the_issuer_once_at_a_time() {
    let mut history = with_organisations();
    history.push(DomainEvent::IssuerEndorsed(IssuerEndorsed {
        endorsement_id: id(0x80),
        organisation_id: endorsing(),
        statement: "Bravo.".to_owned(),
    }));
    let endorse_again = NetworkCommand::EndorseIssuer {
        endorsement_id: id(0x81),
        organisation_id: endorsing(),
        statement: "Encore bravo.".to_owned(),
    };
    given::<Network>(history.clone())
        .when(endorse_again.clone(), &admin())
        .then_error(DomainError::RuleViolated("already endorses".into()));

    // Once withdrawn, the organisation may endorse again, under a new id.
    history.push(DomainEvent::EndorsementWithdrawn(EndorsementWithdrawn {
        endorsement_id: id(0x80),
    }));
    given::<Network>(history.clone())
        .when(endorse_again, &admin())
        .then([DomainEvent::IssuerEndorsed(IssuerEndorsed {
            endorsement_id: id(0x81),
            organisation_id: endorsing(),
            statement: "Encore bravo.".to_owned(),
        })]);
    given::<Network>(history)
        .when(
            NetworkCommand::EndorseIssuer {
                endorsement_id: id(0x80),
                organisation_id: endorsing(),
                statement: "Bravo.".to_owned(),
            },
            &admin(),
        )
        .then_error(DomainError::RuleViolated("already exists".into()));
}

#[test]
fn an_endorsing_organisation_endorses_a_badge_class_that_is_not_retired() {
    let endorse = |badge_class| NetworkCommand::EndorseBadgeClass {
        endorsement_id: id(0x82),
        organisation_id: endorsing(),
        badge_class,
        statement: "Un badge reconnu par la branche.".to_owned(),
    };
    let network = given::<Network>(with_organisations())
        .when(endorse(badge_class(false)), &admin())
        .then([DomainEvent::BadgeClassEndorsed(BadgeClassEndorsed {
            endorsement_id: id(0x82),
            organisation_id: endorsing(),
            badge_class_id: id(0x70),
            statement: "Un badge reconnu par la branche.".to_owned(),
        })]);
    assert_eq!(
        network
            .active_endorsements()
            .map(|(id, _)| *id)
            .collect::<Vec<_>>(),
        vec![id(0x82)]
    );
    given::<Network>(with_organisations())
        .when(endorse(badge_class(true)), &admin())
        .then_error(DomainError::RuleViolated("retired".into()));
}

#[test]
fn only_an_active_endorsement_is_withdrawn() {
    let mut history = with_organisations();
    history.push(DomainEvent::IssuerEndorsed(IssuerEndorsed {
        endorsement_id: id(0x80),
        organisation_id: endorsing(),
        statement: "Bravo.".to_owned(),
    }));
    let withdraw = NetworkCommand::WithdrawEndorsement {
        endorsement_id: id(0x80),
    };
    let withdrawn = DomainEvent::EndorsementWithdrawn(EndorsementWithdrawn {
        endorsement_id: id(0x80),
    });
    given::<Network>(history.clone())
        .when(withdraw.clone(), &admin())
        .then([withdrawn.clone()]);
    history.push(withdrawn);
    given::<Network>(history)
        .when(withdraw, &admin())
        .then_error(DomainError::NotFound("endorsement".into()));
}
