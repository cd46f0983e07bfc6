//! The staff roster of one tenant (stream "staff"): who holds which permanent role.
//!
//! Structure admins manage their structure's roster and network admins manage any roster. The
//! network admin role itself can only be granted or taken away by a network admin, so that a
//! structure admin cannot raise anyone (including themself) above their own reach. Earner and
//! funder are not staff roles: workers enrol in their own stream, funders are outside.

use crate::decider::{require_any_role, Aggregate};
use crate::events::*;
use crate::ids::*;
use crate::input::check_unique;
use crate::model::*;
use crate::DomainError;
use std::collections::BTreeMap;

/// The roles a staff member may hold.
pub const STAFF_ROLES: [Role; 6] = [
    Role::NetworkAdmin,
    Role::StructureAdmin,
    Role::Counsellor,
    Role::TechnicalSupervisor,
    Role::Direction,
    Role::CommitteeMember,
];

/// Who may manage a roster.
const ROSTER_MANAGERS: [Role; 2] = [Role::StructureAdmin, Role::NetworkAdmin];

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StaffCommand {
    Appoint {
        person_id: PersonId,
        roles: Vec<Role>,
    },
    ChangeRoles {
        person_id: PersonId,
        roles: Vec<Role>,
    },
    RecordDeparture {
        person_id: PersonId,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Staff {
    /// Current staff only: a departed person is removed (and may be appointed again later).
    members: BTreeMap<PersonId, Vec<Role>>,
}

impl Staff {
    pub const STREAM: &'static str = "staff";

    pub fn stream_name() -> String {
        Self::STREAM.to_owned()
    }

    /// The roles a person holds in this tenant now; empty for a stranger or a departed person.
    pub fn roles_of(&self, person_id: PersonId) -> &[Role] {
        self.members
            .get(&person_id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub fn is_member(&self, person_id: PersonId) -> bool {
        self.members.contains_key(&person_id)
    }

    /// Current staff and their roles, by person id.
    pub fn members(&self) -> impl Iterator<Item = (PersonId, &[Role])> {
        self.members
            .iter()
            .map(|(person_id, roles)| (*person_id, roles.as_slice()))
    }
}

/// Staff roles only, at least one, no duplicates.
pub(crate) fn check_staff_roles(field: &str, roles: &[Role]) -> Result<(), DomainError> {
    if roles.is_empty() {
        return Err(DomainError::InvalidInput(format!(
            "{field} must name at least one role"
        )));
    }
    check_unique(field, roles)?;
    if let Some(role) = roles.iter().find(|role| !STAFF_ROLES.contains(role)) {
        return Err(DomainError::InvalidInput(format!(
            "{role:?} is not a staff role"
        )));
    }
    Ok(())
}

/// Granting or removing the network admin role is for network admins only.
fn check_may_touch_network_admin(
    context: &CommandContext,
    before: &[Role],
    after: &[Role],
) -> Result<(), DomainError> {
    let touches_network_admin =
        before.contains(&Role::NetworkAdmin) || after.contains(&Role::NetworkAdmin);
    if touches_network_admin && !context.actor.has_role(Role::NetworkAdmin) {
        return Err(DomainError::Forbidden(
            "only a NetworkAdmin may grant or remove the NetworkAdmin role".to_owned(),
        ));
    }
    Ok(())
}

impl Aggregate for Staff {
    type Command = StaffCommand;

    fn decide(
        &self,
        command: &StaffCommand,
        context: &CommandContext,
    ) -> Result<Vec<DomainEvent>, DomainError> {
        require_any_role(context, &ROSTER_MANAGERS, "manage the staff")?;
        match command {
            StaffCommand::Appoint { person_id, roles } => {
                check_staff_roles("staff roles", roles)?;
                check_may_touch_network_admin(context, &[], roles)?;
                if self.is_member(*person_id) {
                    return Err(DomainError::RuleViolated(format!(
                        "person {person_id} is already on the staff"
                    )));
                }
                Ok(vec![DomainEvent::StaffAppointed(StaffAppointed {
                    person_id: *person_id,
                    roles: roles.clone(),
                })])
            }
            StaffCommand::ChangeRoles { person_id, roles } => {
                check_staff_roles("staff roles", roles)?;
                let current = self
                    .members
                    .get(person_id)
                    .ok_or_else(|| DomainError::NotFound(format!("staff member {person_id}")))?;
                check_may_touch_network_admin(context, current, roles)?;
                let mut current_sorted = current.clone();
                let mut new_sorted = roles.clone();
                current_sorted.sort();
                new_sorted.sort();
                if current_sorted == new_sorted {
                    return Err(DomainError::RuleViolated(
                        "the roles are unchanged".to_owned(),
                    ));
                }
                Ok(vec![DomainEvent::StaffRolesChanged(StaffRolesChanged {
                    person_id: *person_id,
                    roles: roles.clone(),
                })])
            }
            StaffCommand::RecordDeparture { person_id } => {
                let current = self
                    .members
                    .get(person_id)
                    .ok_or_else(|| DomainError::NotFound(format!("staff member {person_id}")))?;
                check_may_touch_network_admin(context, current, &[])?;
                Ok(vec![DomainEvent::StaffDeparted(StaffDeparted {
                    person_id: *person_id,
                })])
            }
        }
    }

    fn evolve(mut self, event: &DomainEvent) -> Self {
        match event {
            DomainEvent::StaffAppointed(event) => {
                self.members.insert(event.person_id, event.roles.clone());
            }
            DomainEvent::StaffRolesChanged(event) => {
                self.members.insert(event.person_id, event.roles.clone());
            }
            DomainEvent::StaffDeparted(event) => {
                self.members.remove(&event.person_id);
            }
            _ => {}
        }
        self
    }
}

#[cfg(test)]
mod tests;
