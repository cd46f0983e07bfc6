//! One structure's adoption of one badge class (stream "adoption-<badge class id>" of the
//! structure tenant): its own criterion (step 1 of the brochure) and its validation mode.
//!
//! The network must know the validation mode before any request: the earner aggregate refuses
//! requests while [`Adoption::validation_mode`] is `None`. Choosing a committee needs a
//! committee that serves this structure; the command carries the committee as the network
//! knows it, and the structure is the actor's tenant.

use crate::decider::{require_any_role, Aggregate};
use crate::events::*;
use crate::ids::*;
use crate::input::{check_optional_text, check_text, TEXT_MAX_CHARS};
use crate::model::*;
use crate::snapshot::{AdoptionSnapshot, BadgeClassSnapshot, CommitteeSnapshot, ValidationSetting};
use crate::staff::check_staff_roles;
use crate::DomainError;

/// Who may adopt a badge class and set its criterion and validation mode.
const ADOPTION_MANAGERS: [Role; 2] = [Role::StructureAdmin, Role::Direction];

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdoptionCommand {
    Adopt {
        /// From [`crate::catalogue::BadgeClass::snapshot`]: a retired class is not adopted.
        badge_class: BadgeClassSnapshot,
        criterion: CriterionDefinition,
    },
    ReviseCriterion {
        badge_class_id: BadgeClassId,
        criterion: CriterionDefinition,
    },
    SetValidationMode {
        badge_class_id: BadgeClassId,
        /// For a committee, the committee from [`crate::network::Network::committee`].
        validation: ValidationSetting,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Adoption {
    badge_class_id: Option<BadgeClassId>,
    criterion: Option<CriterionDefinition>,
    validation_mode: Option<ValidationMode>,
}

impl Adoption {
    /// What every adoption's stream name starts with.
    pub const STREAM_PREFIX: &'static str = "adoption-";

    pub fn stream_name(badge_class_id: BadgeClassId) -> String {
        format!("{}{badge_class_id}", Self::STREAM_PREFIX)
    }

    pub fn is_adopted(&self) -> bool {
        self.badge_class_id.is_some()
    }

    pub fn criterion(&self) -> Option<&CriterionDefinition> {
        self.criterion.as_ref()
    }

    pub fn validation_mode(&self) -> Option<ValidationMode> {
        self.validation_mode
    }

    /// The facts a request needs. `committee` is the network's snapshot of the committee named
    /// by the validation mode, when that mode is a committee; it is ignored otherwise. A
    /// committee mode whose committee is not given (or is another one) yields no validation,
    /// so that a request is refused rather than routed to an unknown committee.
    pub fn snapshot(&self, committee: Option<CommitteeSnapshot>) -> Option<AdoptionSnapshot> {
        let badge_class_id = self.badge_class_id?;
        let evaluator_roles = self
            .criterion
            .as_ref()
            .map(|criterion| criterion.evaluator_roles.clone())
            .unwrap_or_default();
        let validation = match self.validation_mode {
            None => None,
            Some(ValidationMode::Systematic) => Some(ValidationSetting::Systematic),
            Some(ValidationMode::Committee { committee_id }) => committee
                .filter(|committee| committee.committee_id == committee_id)
                .map(ValidationSetting::Committee),
        };
        Some(AdoptionSnapshot {
            badge_class_id,
            evaluator_roles,
            validation,
        })
    }

    fn require_adopted(
        &self,
        badge_class_id: BadgeClassId,
    ) -> Result<&CriterionDefinition, DomainError> {
        match (self.badge_class_id, &self.criterion) {
            (Some(id), Some(criterion)) if id == badge_class_id => Ok(criterion),
            (Some(id), _) => Err(DomainError::InvalidInput(format!(
                "this stream holds the adoption of {id}, not {badge_class_id}"
            ))),
            _ => Err(DomainError::NotFound(format!(
                "adoption of badge class {badge_class_id}"
            ))),
        }
    }
}

/// A criterion says what is required, which evidence, who evaluates (staff roles only) and how.
pub fn check_criterion(criterion: &CriterionDefinition) -> Result<(), DomainError> {
    check_text("criterion", &criterion.criterion, TEXT_MAX_CHARS)?;
    check_text("criterion evidence", &criterion.evidence, TEXT_MAX_CHARS)?;
    check_staff_roles("evaluator roles", &criterion.evaluator_roles)?;
    check_optional_text("criterion process", &criterion.process, TEXT_MAX_CHARS)
}

impl Aggregate for Adoption {
    type Command = AdoptionCommand;

    fn decide(
        &self,
        command: &AdoptionCommand,
        context: &CommandContext,
    ) -> Result<Vec<DomainEvent>, DomainError> {
        require_any_role(context, &ADOPTION_MANAGERS, "adopt badge classes")?;
        match command {
            AdoptionCommand::Adopt {
                badge_class,
                criterion,
            } => {
                check_criterion(criterion)?;
                if self.is_adopted() {
                    return Err(DomainError::RuleViolated(
                        "the structure has already adopted this badge class".to_owned(),
                    ));
                }
                if badge_class.retired {
                    return Err(DomainError::RuleViolated(
                        "a retired badge class cannot be adopted".to_owned(),
                    ));
                }
                Ok(vec![DomainEvent::BadgeClassAdopted(BadgeClassAdopted {
                    badge_class_id: badge_class.badge_class_id,
                    criterion: criterion.clone(),
                })])
            }
            AdoptionCommand::ReviseCriterion {
                badge_class_id,
                criterion,
            } => {
                check_criterion(criterion)?;
                let current = self.require_adopted(*badge_class_id)?;
                if current == criterion {
                    return Err(DomainError::RuleViolated(
                        "the criterion is unchanged".to_owned(),
                    ));
                }
                Ok(vec![DomainEvent::CriterionRevised(CriterionRevised {
                    badge_class_id: *badge_class_id,
                    criterion: criterion.clone(),
                })])
            }
            AdoptionCommand::SetValidationMode {
                badge_class_id,
                validation,
            } => {
                self.require_adopted(*badge_class_id)?;
                let mode = match validation {
                    ValidationSetting::Systematic => ValidationMode::Systematic,
                    ValidationSetting::Committee(committee) => {
                        if !committee.structures.contains(&context.actor.tenant_id) {
                            return Err(DomainError::RuleViolated(format!(
                                "committee {} does not serve this structure",
                                committee.committee_id
                            )));
                        }
                        ValidationMode::Committee {
                            committee_id: committee.committee_id,
                        }
                    }
                };
                if self.validation_mode == Some(mode) {
                    return Err(DomainError::RuleViolated(
                        "this validation mode is already set".to_owned(),
                    ));
                }
                Ok(vec![DomainEvent::ValidationModeSet(ValidationModeSet {
                    badge_class_id: *badge_class_id,
                    mode,
                })])
            }
        }
    }

    fn evolve(mut self, event: &DomainEvent) -> Self {
        match event {
            DomainEvent::BadgeClassAdopted(event) => {
                self.badge_class_id = Some(event.badge_class_id);
                self.criterion = Some(event.criterion.clone());
            }
            DomainEvent::CriterionRevised(event) => {
                self.criterion = Some(event.criterion.clone());
            }
            DomainEvent::ValidationModeSet(event) => self.validation_mode = Some(event.mode),
            _ => {}
        }
        self
    }
}

#[cfg(test)]
mod tests;
