//! Given / when / then tests of the staff roster.

use super::*;
use crate::decider::given;
use crate::test_fixtures::*;

fn structure_admin() -> CommandContext {
    acting_in(structure_tenant(), id(1), &[Role::StructureAdmin])
}

fn network_admin() -> CommandContext {
    acting_in(structure_tenant(), id(2), &[Role::NetworkAdmin])
}

fn appointed(person: u128, roles: &[Role]) -> DomainEvent {
    DomainEvent::StaffAppointed(StaffAppointed {
        person_id: id(person),
        roles: roles.to_vec(),
    })
}

#[test]
fn a_structure_admin_appoints_a_counsellor() {
    let staff = given::<Staff>([])
        .when(
            StaffCommand::Appoint {
                person_id: id(10),
                roles: vec![Role::Counsellor, Role::CommitteeMember],
            },
            &structure_admin(),
        )
        .then([appointed(10, &[Role::Counsellor, Role::CommitteeMember])]);
    assert_eq!(
        staff.roles_of(id(10)),
        &[Role::Counsellor, Role::CommitteeMember]
    );
    assert_eq!(staff.roles_of(id(11)), &[] as &[Role]);
}

#[test]
fn a_network_admin_appoints_in_any_tenant() {
    given::<Staff>([])
        .when(
            StaffCommand::Appoint {
                person_id: id(10),
                roles: vec![Role::StructureAdmin],
            },
            &network_admin(),
        )
        .then([appointed(10, &[Role::StructureAdmin])]);
}

#[test]
fn a_counsellor_does_not_manage_the_staff() {
    given::<Staff>([])
        .when(
            StaffCommand::Appoint {
                person_id: id(10),
                roles: vec![Role::Counsellor],
            },
            &acting_in(
                structure_tenant(),
                id(3),
                &[Role::Counsellor, Role::Direction],
            ),
        )
        .then_error(DomainError::Forbidden("manage the staff".into()));
}

#[test]
fn earner_and_funder_are_not_staff_roles() {
    for role in [Role::Earner, Role::Funder] {
        given::<Staff>([])
            .when(
                StaffCommand::Appoint {
                    person_id: id(10),
                    roles: vec![Role::Counsellor, role],
                },
                &structure_admin(),
            )
            .then_error(DomainError::InvalidInput("not a staff role".into()));
    }
}

#[test]
fn staff_roles_are_at_least_one_and_unique() {
    given::<Staff>([])
        .when(
            StaffCommand::Appoint {
                person_id: id(10),
                roles: vec![],
            },
            &structure_admin(),
        )
        .then_error(DomainError::InvalidInput("at least one role".into()));
    given::<Staff>([])
        .when(
            StaffCommand::Appoint {
                person_id: id(10),
                roles: vec![Role::Counsellor, Role::Counsellor],
            },
            &structure_admin(),
        )
        .then_error(DomainError::InvalidInput("duplicates".into()));
}

#[test]
fn a_person_is_appointed_once_while_on_the_staff() {
    given::<Staff>([appointed(10, &[Role::Counsellor])])
        .when(
            StaffCommand::Appoint {
                person_id: id(10),
                roles: vec![Role::Direction],
            },
            &structure_admin(),
        )
        .then_error(DomainError::RuleViolated("already on the staff".into()));
}

#[test]
fn only_a_network_admin_grants_or_removes_the_network_admin_role() {
    given::<Staff>([])
        .when(
            StaffCommand::Appoint {
                person_id: id(10),
                roles: vec![Role::NetworkAdmin],
            },
            &structure_admin(),
        )
        .then_error(DomainError::Forbidden("NetworkAdmin role".into()));
    given::<Staff>([appointed(10, &[Role::NetworkAdmin])])
        .when(
            StaffCommand::ChangeRoles {
                person_id: id(10),
                roles: vec![Role::Counsellor],
            },
            &structure_admin(),
        )
        .then_error(DomainError::Forbidden("NetworkAdmin role".into()));
    given::<Staff>([appointed(10, &[Role::NetworkAdmin])])
        .when(
            StaffCommand::RecordDeparture { person_id: id(10) },
            &structure_admin(),
        )
        .then_error(DomainError::Forbidden("NetworkAdmin role".into()));
    given::<Staff>([])
        .when(
            StaffCommand::Appoint {
                person_id: id(10),
                roles: vec![Role::NetworkAdmin],
            },
            &network_admin(),
        )
        .then([appointed(10, &[Role::NetworkAdmin])]);
}

#[test]
fn roles_change_for_a_current_staff_member() {
    let staff = given::<Staff>([appointed(10, &[Role::Counsellor])])
        .when(
            StaffCommand::ChangeRoles {
                person_id: id(10),
                roles: vec![Role::Counsellor, Role::Direction],
            },
            &structure_admin(),
        )
        .then([DomainEvent::StaffRolesChanged(StaffRolesChanged {
            person_id: id(10),
            roles: vec![Role::Counsellor, Role::Direction],
        })]);
    assert_eq!(staff.roles_of(id(10)), &[Role::Counsellor, Role::Direction]);

    given::<Staff>([])
        .when(
            StaffCommand::ChangeRoles {
                person_id: id(10),
                roles: vec![Role::Counsellor],
            },
            &structure_admin(),
        )
        .then_error(DomainError::NotFound("staff member".into()));
}

#[test]
fn unchanged_roles_are_refused_whatever_their_order() {
    given::<Staff>([appointed(10, &[Role::Counsellor, Role::Direction])])
        .when(
            StaffCommand::ChangeRoles {
                person_id: id(10),
                roles: vec![Role::Direction, Role::Counsellor],
            },
            &structure_admin(),
        )
        .then_error(DomainError::RuleViolated("unchanged".into()));
}

#[test]
fn a_departed_person_holds_no_role_and_may_be_appointed_again() {
    let departed = DomainEvent::StaffDeparted(StaffDeparted { person_id: id(10) });
    let staff = given::<Staff>([appointed(10, &[Role::Counsellor])])
        .when(
            StaffCommand::RecordDeparture { person_id: id(10) },
            &structure_admin(),
        )
        .then([departed.clone()]);
    assert!(staff.roles_of(id(10)).is_empty());

    let history = [appointed(10, &[Role::Counsellor]), departed];
    given::<Staff>(history.clone())
        .when(
            StaffCommand::RecordDeparture { person_id: id(10) },
            &structure_admin(),
        )
        .then_error(DomainError::NotFound("staff member".into()));
    given::<Staff>(history)
        .when(
            StaffCommand::Appoint {
                person_id: id(10),
                roles: vec![Role::TechnicalSupervisor],
            },
            &structure_admin(),
        )
        .then([appointed(10, &[Role::TechnicalSupervisor])]);
}
