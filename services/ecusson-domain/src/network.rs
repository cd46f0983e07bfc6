//! The regional network (stream "network" of the network tenant): its member structures, the
//! organisations it knows, its attribution committees and the endorsements it receives.
//!
//! Every command here is taken by a network admin. Organisations have no account of their own
//! in the ledger: when an endorsing organisation endorses the issuer or a badge class, a network
//! admin records it on the organisation's behalf, and the event names the organisation. This
//! also makes the rule "only organisations endorse" structural: the endorser is an
//! `OrganisationId`, never a person, and it must be registered as an endorsing organisation
//! (host companies recommend, they do not endorse).

use crate::decider::{require_any_role, Aggregate};
use crate::events::*;
use crate::ids::*;
use crate::input::{check_name, check_text, check_unique, TEXT_MAX_CHARS};
use crate::model::*;
use crate::snapshot::{BadgeClassSnapshot, CommitteeSnapshot};
use crate::DomainError;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetworkCommand {
    RegisterNetwork {
        network_id: TenantId,
        name: String,
    },
    AdmitStructure {
        structure_id: TenantId,
        kind: StructureKind,
        name: String,
    },
    RegisterOrganisation {
        organisation_id: OrganisationId,
        kind: OrganisationKind,
        name: String,
    },
    FormCommittee {
        committee_id: CommitteeId,
        structures: Vec<TenantId>,
        members: Vec<PersonId>,
        quorum: u16,
    },
    ChangeCommitteeMembership {
        committee_id: CommitteeId,
        members: Vec<PersonId>,
        quorum: u16,
    },
    EndorseIssuer {
        endorsement_id: EndorsementId,
        organisation_id: OrganisationId,
        statement: String,
    },
    EndorseBadgeClass {
        endorsement_id: EndorsementId,
        organisation_id: OrganisationId,
        /// From [`crate::catalogue::BadgeClass::snapshot`]: a retired class takes no new
        /// endorsement.
        badge_class: BadgeClassSnapshot,
        statement: String,
    },
    WithdrawEndorsement {
        endorsement_id: EndorsementId,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Committee {
    pub structures: Vec<TenantId>,
    pub members: Vec<PersonId>,
    pub quorum: u16,
}

/// What an active endorsement is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndorsementTarget {
    Issuer,
    BadgeClass(BadgeClassId),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endorsement {
    pub organisation_id: OrganisationId,
    pub target: EndorsementTarget,
    /// The organisation's public statement.
    pub statement: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Network {
    network_id: Option<TenantId>,
    /// The network's public name (an organisation's).
    name: Option<String>,
    /// Organisations' public names (host companies, endorsers).
    organisation_names: BTreeMap<OrganisationId, String>,
    structures: BTreeMap<TenantId, StructureKind>,
    organisations: BTreeMap<OrganisationId, OrganisationKind>,
    committees: BTreeMap<CommitteeId, Committee>,
    /// Active endorsements only: a withdrawn one is removed.
    endorsements: BTreeMap<EndorsementId, Endorsement>,
    /// Every endorsement id ever used, so that a withdrawn id is not reused.
    used_endorsement_ids: Vec<EndorsementId>,
}

impl Network {
    pub const STREAM: &'static str = "network";

    pub fn stream_name() -> String {
        Self::STREAM.to_owned()
    }

    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    pub fn organisation_name(&self, organisation_id: OrganisationId) -> Option<&str> {
        self.organisation_names
            .get(&organisation_id)
            .map(String::as_str)
    }

    pub fn network_id(&self) -> Option<TenantId> {
        self.network_id
    }

    /// The admitted structures and their kinds, by tenant id.
    pub fn structures(&self) -> impl Iterator<Item = (TenantId, StructureKind)> + '_ {
        self.structures.iter().map(|(id, kind)| (*id, *kind))
    }

    pub fn is_admitted(&self, structure_id: TenantId) -> bool {
        self.structures.contains_key(&structure_id)
    }

    pub fn organisation_kind(&self, organisation_id: OrganisationId) -> Option<OrganisationKind> {
        self.organisations.get(&organisation_id).copied()
    }

    /// The committee as a request or an adoption needs it.
    pub fn committee(&self, committee_id: CommitteeId) -> Option<CommitteeSnapshot> {
        self.committees
            .get(&committee_id)
            .map(|committee| CommitteeSnapshot {
                committee_id,
                structures: committee.structures.clone(),
                members: committee.members.clone(),
                quorum: committee.quorum,
            })
    }

    /// An active endorsement (a withdrawn one is gone).
    pub fn endorsement(&self, endorsement_id: EndorsementId) -> Option<Endorsement> {
        self.endorsements.get(&endorsement_id).cloned()
    }

    /// The committees `person_id` sits on, as requests need them.
    pub fn committees_of_member(&self, person_id: PersonId) -> Vec<CommitteeSnapshot> {
        self.committees
            .keys()
            .filter_map(|committee_id| self.committee(*committee_id))
            .filter(|committee| committee.members.contains(&person_id))
            .collect()
    }

    pub fn active_endorsements(&self) -> impl Iterator<Item = (&EndorsementId, &Endorsement)> {
        self.endorsements.iter()
    }

    fn require_registered(&self) -> Result<TenantId, DomainError> {
        self.network_id.ok_or_else(|| {
            DomainError::RuleViolated("the network is not registered yet".to_owned())
        })
    }

    fn require_endorsing_organisation(
        &self,
        organisation_id: OrganisationId,
    ) -> Result<(), DomainError> {
        match self.organisations.get(&organisation_id) {
            None => Err(DomainError::NotFound(format!(
                "organisation {organisation_id}"
            ))),
            Some(OrganisationKind::HostCompany) => Err(DomainError::RuleViolated(
                "a host company recommends badges, only an endorsing organisation endorses"
                    .to_owned(),
            )),
            Some(OrganisationKind::EndorsingOrganisation) => Ok(()),
        }
    }

    fn require_new_endorsement_id(&self, endorsement_id: EndorsementId) -> Result<(), DomainError> {
        if self.used_endorsement_ids.contains(&endorsement_id) {
            Err(DomainError::RuleViolated(format!(
                "endorsement {endorsement_id} already exists"
            )))
        } else {
            Ok(())
        }
    }
}

/// Members are unique and the quorum can be reached: 1 <= quorum <= members.
fn check_membership(members: &[PersonId], quorum: u16) -> Result<(), DomainError> {
    if members.is_empty() {
        return Err(DomainError::InvalidInput(
            "a committee needs at least one member".to_owned(),
        ));
    }
    check_unique("committee members", members)?;
    if quorum == 0 || usize::from(quorum) > members.len() {
        return Err(DomainError::InvalidInput(format!(
            "the quorum must be between 1 and the number of members ({}), not {quorum}",
            members.len()
        )));
    }
    Ok(())
}

impl Aggregate for Network {
    type Command = NetworkCommand;

    fn decide(
        &self,
        command: &NetworkCommand,
        context: &CommandContext,
    ) -> Result<Vec<DomainEvent>, DomainError> {
        require_any_role(context, &[Role::NetworkAdmin], "manage the network")?;
        if let Some(network_id) = self.network_id {
            // The stream lives in the network tenant; an admin of another tenant never acts here.
            if context.actor.tenant_id != network_id {
                return Err(DomainError::Forbidden(
                    "only an admin of this network may manage it".to_owned(),
                ));
            }
        }
        match command {
            NetworkCommand::RegisterNetwork { network_id, name } => {
                check_name("network name", name)?;
                if self.network_id.is_some() {
                    return Err(DomainError::RuleViolated(
                        "the network is already registered".to_owned(),
                    ));
                }
                if context.actor.tenant_id != *network_id {
                    return Err(DomainError::Forbidden(
                        "a network is registered from its own tenant".to_owned(),
                    ));
                }
                Ok(vec![DomainEvent::NetworkRegistered(NetworkRegistered {
                    network_id: *network_id,
                    name: name.clone(),
                })])
            }
            NetworkCommand::AdmitStructure {
                structure_id,
                kind,
                name,
            } => {
                check_name("structure name", name)?;
                let network_id = self.require_registered()?;
                if *structure_id == network_id {
                    return Err(DomainError::InvalidInput(
                        "the network cannot be admitted as one of its own structures".to_owned(),
                    ));
                }
                if self.is_admitted(*structure_id) {
                    return Err(DomainError::RuleViolated(format!(
                        "structure {structure_id} is already admitted"
                    )));
                }
                Ok(vec![DomainEvent::StructureAdmitted(StructureAdmitted {
                    structure_id: *structure_id,
                    kind: *kind,
                    name: name.clone(),
                })])
            }
            NetworkCommand::RegisterOrganisation {
                organisation_id,
                kind,
                name,
            } => {
                check_name("organisation name", name)?;
                self.require_registered()?;
                if self.organisations.contains_key(organisation_id) {
                    return Err(DomainError::RuleViolated(format!(
                        "organisation {organisation_id} is already registered"
                    )));
                }
                Ok(vec![DomainEvent::OrganisationRegistered(
                    OrganisationRegistered {
                        organisation_id: *organisation_id,
                        kind: *kind,
                        name: name.clone(),
                    },
                )])
            }
            NetworkCommand::FormCommittee {
                committee_id,
                structures,
                members,
                quorum,
            } => {
                if structures.is_empty() {
                    return Err(DomainError::InvalidInput(
                        "a committee serves at least one structure".to_owned(),
                    ));
                }
                check_unique("committee structures", structures)?;
                check_membership(members, *quorum)?;
                self.require_registered()?;
                if self.committees.contains_key(committee_id) {
                    return Err(DomainError::RuleViolated(format!(
                        "committee {committee_id} already exists"
                    )));
                }
                if let Some(stranger) = structures.iter().find(|id| !self.is_admitted(**id)) {
                    return Err(DomainError::NotFound(format!(
                        "structure {stranger} is not admitted to the network"
                    )));
                }
                Ok(vec![DomainEvent::CommitteeFormed(CommitteeFormed {
                    committee_id: *committee_id,
                    structures: structures.clone(),
                    members: members.clone(),
                    quorum: *quorum,
                })])
            }
            NetworkCommand::ChangeCommitteeMembership {
                committee_id,
                members,
                quorum,
            } => {
                check_membership(members, *quorum)?;
                let committee = self
                    .committees
                    .get(committee_id)
                    .ok_or_else(|| DomainError::NotFound(format!("committee {committee_id}")))?;
                if committee.members == *members && committee.quorum == *quorum {
                    return Err(DomainError::RuleViolated(
                        "the membership is unchanged".to_owned(),
                    ));
                }
                Ok(vec![DomainEvent::CommitteeMembershipChanged(
                    CommitteeMembershipChanged {
                        committee_id: *committee_id,
                        members: members.clone(),
                        quorum: *quorum,
                    },
                )])
            }
            NetworkCommand::EndorseIssuer {
                endorsement_id,
                organisation_id,
                statement,
            } => {
                check_text("endorsement statement", statement, TEXT_MAX_CHARS)?;
                self.require_registered()?;
                self.require_endorsing_organisation(*organisation_id)?;
                self.require_new_endorsement_id(*endorsement_id)?;
                let already = self.endorsements.values().any(|endorsement| {
                    endorsement.organisation_id == *organisation_id
                        && endorsement.target == EndorsementTarget::Issuer
                });
                if already {
                    return Err(DomainError::RuleViolated(
                        "this organisation already endorses the issuer".to_owned(),
                    ));
                }
                Ok(vec![DomainEvent::IssuerEndorsed(IssuerEndorsed {
                    endorsement_id: *endorsement_id,
                    organisation_id: *organisation_id,
                    statement: statement.clone(),
                })])
            }
            NetworkCommand::EndorseBadgeClass {
                endorsement_id,
                organisation_id,
                badge_class,
                statement,
            } => {
                check_text("endorsement statement", statement, TEXT_MAX_CHARS)?;
                self.require_registered()?;
                self.require_endorsing_organisation(*organisation_id)?;
                self.require_new_endorsement_id(*endorsement_id)?;
                if badge_class.retired {
                    return Err(DomainError::RuleViolated(
                        "a retired badge class takes no new endorsement".to_owned(),
                    ));
                }
                let target = EndorsementTarget::BadgeClass(badge_class.badge_class_id);
                let already = self.endorsements.values().any(|endorsement| {
                    endorsement.organisation_id == *organisation_id && endorsement.target == target
                });
                if already {
                    return Err(DomainError::RuleViolated(
                        "this organisation already endorses this badge class".to_owned(),
                    ));
                }
                Ok(vec![DomainEvent::BadgeClassEndorsed(BadgeClassEndorsed {
                    endorsement_id: *endorsement_id,
                    organisation_id: *organisation_id,
                    badge_class_id: badge_class.badge_class_id,
                    statement: statement.clone(),
                })])
            }
            NetworkCommand::WithdrawEndorsement { endorsement_id } => {
                if !self.endorsements.contains_key(endorsement_id) {
                    return Err(DomainError::NotFound(format!(
                        "active endorsement {endorsement_id}"
                    )));
                }
                Ok(vec![DomainEvent::EndorsementWithdrawn(
                    EndorsementWithdrawn {
                        endorsement_id: *endorsement_id,
                    },
                )])
            }
        }
    }

    fn evolve(mut self, event: &DomainEvent) -> Self {
        match event {
            DomainEvent::NetworkRegistered(event) => {
                self.network_id = Some(event.network_id);
                self.name = Some(event.name.clone());
            }
            DomainEvent::StructureAdmitted(event) => {
                self.structures.insert(event.structure_id, event.kind);
            }
            DomainEvent::OrganisationRegistered(event) => {
                self.organisations.insert(event.organisation_id, event.kind);
                self.organisation_names
                    .insert(event.organisation_id, event.name.clone());
            }
            DomainEvent::CommitteeFormed(event) => {
                self.committees.insert(
                    event.committee_id,
                    Committee {
                        structures: event.structures.clone(),
                        members: event.members.clone(),
                        quorum: event.quorum,
                    },
                );
            }
            DomainEvent::CommitteeMembershipChanged(event) => {
                if let Some(committee) = self.committees.get_mut(&event.committee_id) {
                    committee.members = event.members.clone();
                    committee.quorum = event.quorum;
                }
            }
            DomainEvent::IssuerEndorsed(event) => {
                self.used_endorsement_ids.push(event.endorsement_id);
                self.endorsements.insert(
                    event.endorsement_id,
                    Endorsement {
                        organisation_id: event.organisation_id,
                        target: EndorsementTarget::Issuer,
                        statement: event.statement.clone(),
                    },
                );
            }
            DomainEvent::BadgeClassEndorsed(event) => {
                self.used_endorsement_ids.push(event.endorsement_id);
                self.endorsements.insert(
                    event.endorsement_id,
                    Endorsement {
                        organisation_id: event.organisation_id,
                        target: EndorsementTarget::BadgeClass(event.badge_class_id),
                        statement: event.statement.clone(),
                    },
                );
            }
            DomainEvent::EndorsementWithdrawn(event) => {
                self.endorsements.remove(&event.endorsement_id);
            }
            _ => {}
        }
        self
    }
}

#[cfg(test)]
mod tests;
