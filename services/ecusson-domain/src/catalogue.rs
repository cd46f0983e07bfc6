//! The network's catalogue: pathways (stream "pathway-<id>") and badge classes (stream
//! "badge-class-<id>"), both in the network tenant and managed by network admins.
//!
//! A badge class is published at revision 1 and each revision adds one. A revision never
//! changes what was already awarded: every request records the revision it was made for and
//! its award keeps that revision forever. A retired class takes no new request, but requests
//! already made may still be decided.

use crate::decider::{require_any_role, Aggregate};
use crate::events::*;
use crate::ids::*;
use crate::input::{
    check_name, check_optional_text, check_text, CODE_MAX_CHARS, REFERENCE_MAX_CHARS,
    TEXT_MAX_CHARS,
};
use crate::model::*;
use crate::snapshot::BadgeClassSnapshot;
use crate::DomainError;
use std::collections::BTreeMap;

/// The longest validity a badge class may give its awards: ten years.
pub const VALIDITY_MONTHS_MAX: u32 = 120;

// ---------------------------------------------------------------------------------------------
// Pathways
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathwayCommand {
    Define {
        pathway_id: PathwayId,
        /// 1: first steps, 2: autonomy, 3: access to employment.
        rank: u8,
        name: String,
        description: String,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pathway {
    defined: Option<PathwayDefined>,
}

impl Pathway {
    pub fn stream_name(pathway_id: PathwayId) -> String {
        format!("pathway-{pathway_id}")
    }

    pub fn definition(&self) -> Option<&PathwayDefined> {
        self.defined.as_ref()
    }
}

impl Aggregate for Pathway {
    type Command = PathwayCommand;

    fn decide(
        &self,
        command: &PathwayCommand,
        context: &CommandContext,
    ) -> Result<Vec<DomainEvent>, DomainError> {
        require_any_role(context, &[Role::NetworkAdmin], "edit the catalogue")?;
        match command {
            PathwayCommand::Define {
                pathway_id,
                rank,
                name,
                description,
            } => {
                if !(1..=3).contains(rank) {
                    return Err(DomainError::InvalidInput(format!(
                        "a pathway rank is 1, 2 or 3, not {rank}"
                    )));
                }
                check_name("pathway name", name)?;
                check_text("pathway description", description, TEXT_MAX_CHARS)?;
                if self.defined.is_some() {
                    return Err(DomainError::RuleViolated(format!(
                        "pathway {pathway_id} is already defined"
                    )));
                }
                Ok(vec![DomainEvent::PathwayDefined(PathwayDefined {
                    pathway_id: *pathway_id,
                    rank: *rank,
                    name: name.clone(),
                    description: description.clone(),
                })])
            }
        }
    }

    fn evolve(mut self, event: &DomainEvent) -> Self {
        if let DomainEvent::PathwayDefined(event) = event {
            self.defined = Some(event.clone());
        }
        self
    }
}

// ---------------------------------------------------------------------------------------------
// Badge classes
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BadgeClassCommand {
    Publish {
        badge_class_id: BadgeClassId,
        content: BadgeClassContent,
        /// True for the supporter badge only: its requests are validated at once.
        automatic_validation: bool,
    },
    Revise {
        badge_class_id: BadgeClassId,
        content: BadgeClassContent,
    },
    Retire {
        badge_class_id: BadgeClassId,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BadgeClass {
    badge_class_id: Option<BadgeClassId>,
    /// Every revision's content, so that an award can be shown as it was requested.
    revisions: BTreeMap<u32, BadgeClassContent>,
    current_revision: u32,
    automatic_validation: bool,
    retired: bool,
}

impl BadgeClass {
    /// What every badge class's stream name starts with.
    pub const STREAM_PREFIX: &'static str = "badge-class-";

    pub fn stream_name(badge_class_id: BadgeClassId) -> String {
        format!("{}{badge_class_id}", Self::STREAM_PREFIX)
    }

    pub fn is_published(&self) -> bool {
        self.badge_class_id.is_some()
    }

    pub fn current_revision(&self) -> u32 {
        self.current_revision
    }

    pub fn content_of(&self, revision: u32) -> Option<&BadgeClassContent> {
        self.revisions.get(&revision)
    }

    /// Validity of the awards of one revision: what a decision on a request for that
    /// revision needs.
    pub fn validity_months_of(&self, revision: u32) -> Option<u32> {
        self.content_of(revision)
            .and_then(|content| content.validity_months)
    }

    /// The facts a request, an adoption or an endorsement needs; `None` before publication.
    pub fn snapshot(&self) -> Option<BadgeClassSnapshot> {
        let badge_class_id = self.badge_class_id?;
        Some(BadgeClassSnapshot {
            badge_class_id,
            current_revision: self.current_revision,
            retired: self.retired,
            automatic_validation: self.automatic_validation,
            validity_months: self.validity_months_of(self.current_revision),
        })
    }

    /// The published class this command targets, or why it cannot be targeted.
    fn require_published(&self, badge_class_id: BadgeClassId) -> Result<(), DomainError> {
        match self.badge_class_id {
            Some(id) if id == badge_class_id => Ok(()),
            Some(id) => Err(DomainError::InvalidInput(format!(
                "this stream holds badge class {id}, not {badge_class_id}"
            ))),
            None => Err(DomainError::NotFound(format!(
                "badge class {badge_class_id}"
            ))),
        }
    }
}

/// The description sheet must be complete enough to be shown and understood.
pub fn check_badge_class_content(content: &BadgeClassContent) -> Result<(), DomainError> {
    check_name("badge class name", &content.name)?;
    check_text(
        "badge class description",
        &content.description,
        TEXT_MAX_CHARS,
    )?;
    check_text(
        "criteria narrative",
        &content.criteria_narrative,
        TEXT_MAX_CHARS,
    )?;
    check_optional_text(
        "expected evidence",
        &content.expected_evidence,
        TEXT_MAX_CHARS,
    )?;
    check_text("image reference", &content.image_ref, REFERENCE_MAX_CHARS)?;
    for alignment in &content.alignments {
        check_name("alignment target name", &alignment.target_name)?;
        check_text(
            "alignment target url",
            &alignment.target_url,
            REFERENCE_MAX_CHARS,
        )?;
        if !(alignment.target_url.starts_with("https://")
            || alignment.target_url.starts_with("http://"))
        {
            return Err(DomainError::InvalidInput(
                "an alignment target url starts with https:// or http://".to_owned(),
            ));
        }
        if let Some(code) = &alignment.target_code {
            check_name("alignment target code", code)?;
            check_text("alignment target code", code, CODE_MAX_CHARS)?;
        }
    }
    if let Some(months) = content.validity_months {
        if months == 0 || months > VALIDITY_MONTHS_MAX {
            return Err(DomainError::InvalidInput(format!(
                "validity is between 1 and {VALIDITY_MONTHS_MAX} months, not {months}"
            )));
        }
    }
    Ok(())
}

impl Aggregate for BadgeClass {
    type Command = BadgeClassCommand;

    fn decide(
        &self,
        command: &BadgeClassCommand,
        context: &CommandContext,
    ) -> Result<Vec<DomainEvent>, DomainError> {
        require_any_role(context, &[Role::NetworkAdmin], "edit the catalogue")?;
        match command {
            BadgeClassCommand::Publish {
                badge_class_id,
                content,
                automatic_validation,
            } => {
                check_badge_class_content(content)?;
                if self.is_published() {
                    return Err(DomainError::RuleViolated(format!(
                        "badge class {badge_class_id} is already published"
                    )));
                }
                Ok(vec![DomainEvent::BadgeClassPublished(
                    BadgeClassPublished {
                        badge_class_id: *badge_class_id,
                        revision: 1,
                        content: content.clone(),
                        automatic_validation: *automatic_validation,
                    },
                )])
            }
            BadgeClassCommand::Revise {
                badge_class_id,
                content,
            } => {
                check_badge_class_content(content)?;
                self.require_published(*badge_class_id)?;
                if self.retired {
                    return Err(DomainError::RuleViolated(
                        "a retired badge class is not revised".to_owned(),
                    ));
                }
                if self.content_of(self.current_revision) == Some(content) {
                    return Err(DomainError::RuleViolated(
                        "the revision changes nothing".to_owned(),
                    ));
                }
                Ok(vec![DomainEvent::BadgeClassRevised(BadgeClassRevised {
                    badge_class_id: *badge_class_id,
                    revision: self.current_revision + 1,
                    content: content.clone(),
                })])
            }
            BadgeClassCommand::Retire { badge_class_id } => {
                self.require_published(*badge_class_id)?;
                if self.retired {
                    return Err(DomainError::RuleViolated(
                        "the badge class is already retired".to_owned(),
                    ));
                }
                Ok(vec![DomainEvent::BadgeClassRetired(BadgeClassRetired {
                    badge_class_id: *badge_class_id,
                })])
            }
        }
    }

    fn evolve(mut self, event: &DomainEvent) -> Self {
        match event {
            DomainEvent::BadgeClassPublished(event) => {
                self.badge_class_id = Some(event.badge_class_id);
                self.current_revision = event.revision;
                self.automatic_validation = event.automatic_validation;
                self.revisions.insert(event.revision, event.content.clone());
            }
            DomainEvent::BadgeClassRevised(event) => {
                self.current_revision = event.revision;
                self.revisions.insert(event.revision, event.content.clone());
            }
            DomainEvent::BadgeClassRetired(_) => self.retired = true,
            _ => {}
        }
        self
    }
}

#[cfg(test)]
mod tests;
