//! What the log says, reduced to what the reports count. [`Facts::apply`] takes every event of
//! every tenant in order (per tenant; tenants may interleave) and keeps, by pseudonymous id:
//! each request (when, in which mode, by which route, its evidence, how it ended and when),
//! each award (when, its evidence and recommendations, its end), each worker (enrolment, exit)
//! and the catalogue (pathway ranks, skill types, class names: the network's public words).

use chrono::{DateTime, NaiveDate, Utc};
use ecusson_domain::{
    AwardId, BadgeClassId, CommitteeId, DomainEvent, ExitOutcome, PathwayId, PersonId, RequestId,
    RequestMode, SkillType, TenantId, ValidationRoute,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How a request was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Pair,
    CollectiveWorkshop,
    Individual,
}

/// Who decides a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    Evaluator,
    Committee,
    Automatic,
}

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    Pending,
    Approved,
    Refused,
    Withdrawn,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestFact {
    pub earner_id: PersonId,
    pub badge_class_id: BadgeClassId,
    pub mode: Mode,
    pub route: Route,
    pub committee_id: Option<CommitteeId>,
    pub requested_at: DateTime<Utc>,
    /// Pieces of evidence given with the request or added while it was pending.
    pub evidence: u32,
    pub state: RequestState,
    /// When it was approved, refused or withdrawn.
    pub ended_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwardFact {
    pub request_id: RequestId,
    pub earner_id: PersonId,
    pub badge_class_id: BadgeClassId,
    pub awarded_at: DateTime<Utc>,
    /// Pieces of evidence added to the award (enrichment).
    pub evidence_added: u32,
    pub recommendations: u32,
    pub revoked_at: Option<DateTime<Utc>>,
    pub expired_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EarnerFact {
    pub enrolled_on: NaiveDate,
    pub exit: Option<(ExitOutcome, NaiveDate)>,
    /// When the exit was recorded.
    pub exit_recorded_at: Option<DateTime<Utc>>,
}

/// A badge class as the catalogue publishes it (its latest revision).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassFact {
    /// The network's tenant, where the catalogue is.
    pub tenant_id: TenantId,
    pub name: String,
    pub pathway_id: PathwayId,
    pub skill_type: SkillType,
}

/// Everything the reports count, by tenant and id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// Each pathway's rank, and the network tenant that defined it.
    pub pathways: BTreeMap<PathwayId, (TenantId, u8)>,
    pub classes: BTreeMap<BadgeClassId, ClassFact>,
    pub requests: BTreeMap<(TenantId, RequestId), RequestFact>,
    pub awards: BTreeMap<(TenantId, AwardId), AwardFact>,
    pub earners: BTreeMap<(TenantId, PersonId), EarnerFact>,
}

impl Facts {
    pub fn new() -> Self {
        Self::default()
    }

    /// The pathway rank (1, 2 or 3) of a class, when the catalogue defines it.
    pub fn pathway_rank(&self, class: BadgeClassId) -> Option<u8> {
        self.classes
            .get(&class)
            .and_then(|class| self.pathways.get(&class.pathway_id))
            .map(|(_, rank)| *rank)
    }

    /// Adds one event of `tenant`, recorded at `at`. Events of other kinds change nothing.
    pub fn apply(&mut self, tenant: TenantId, at: DateTime<Utc>, event: &DomainEvent) {
        match event {
            DomainEvent::PathwayDefined(defined) => {
                self.pathways
                    .insert(defined.pathway_id, (tenant, defined.rank));
            }
            DomainEvent::BadgeClassPublished(published) => {
                self.classes.insert(
                    published.badge_class_id,
                    ClassFact {
                        tenant_id: tenant,
                        name: published.content.name.clone(),
                        pathway_id: published.content.pathway_id,
                        skill_type: published.content.skill_type,
                    },
                );
            }
            DomainEvent::BadgeClassRevised(revised) => {
                self.classes.insert(
                    revised.badge_class_id,
                    ClassFact {
                        tenant_id: tenant,
                        name: revised.content.name.clone(),
                        pathway_id: revised.content.pathway_id,
                        skill_type: revised.content.skill_type,
                    },
                );
            }
            DomainEvent::EarnerEnrolled(enrolled) => {
                self.earners.insert(
                    (tenant, enrolled.earner_id),
                    EarnerFact {
                        enrolled_on: enrolled.enrolled_on,
                        exit: None,
                        exit_recorded_at: None,
                    },
                );
            }
            DomainEvent::PathwayExited(exited) => {
                if let Some(earner) = self.earners.get_mut(&(tenant, exited.earner_id)) {
                    earner.exit = Some((exited.outcome, exited.exited_on));
                    earner.exit_recorded_at = Some(at);
                }
            }
            DomainEvent::BadgeRequested(requested) => {
                let (route, committee_id) = match &requested.route {
                    ValidationRoute::Evaluator { .. } => (Route::Evaluator, None),
                    ValidationRoute::Committee { committee_id, .. } => {
                        (Route::Committee, Some(*committee_id))
                    }
                    ValidationRoute::Automatic => (Route::Automatic, None),
                };
                self.requests.insert(
                    (tenant, requested.request_id),
                    RequestFact {
                        earner_id: requested.earner_id,
                        badge_class_id: requested.badge_class_id,
                        mode: match requested.mode {
                            RequestMode::Pair { .. } => Mode::Pair,
                            RequestMode::CollectiveWorkshop => Mode::CollectiveWorkshop,
                            RequestMode::Individual => Mode::Individual,
                        },
                        route,
                        committee_id,
                        requested_at: at,
                        evidence: u32::try_from(requested.evidence.len()).unwrap_or(u32::MAX),
                        state: RequestState::Pending,
                        ended_at: None,
                    },
                );
            }
            DomainEvent::RequestApproved(approved) => {
                self.end_request(tenant, approved.request_id, RequestState::Approved, at)
            }
            DomainEvent::RequestRefused(refused) => {
                self.end_request(tenant, refused.request_id, RequestState::Refused, at)
            }
            DomainEvent::RequestWithdrawn(withdrawn) => {
                self.end_request(tenant, withdrawn.request_id, RequestState::Withdrawn, at)
            }
            DomainEvent::BadgeAwarded(awarded) => {
                self.awards.insert(
                    (tenant, awarded.award_id),
                    AwardFact {
                        request_id: awarded.request_id,
                        earner_id: awarded.earner_id,
                        badge_class_id: awarded.badge_class_id,
                        awarded_at: awarded.awarded_at,
                        evidence_added: 0,
                        recommendations: 0,
                        revoked_at: None,
                        expired_at: None,
                    },
                );
            }
            DomainEvent::EvidenceAdded(added) => match added.award_id {
                Some(award_id) => {
                    if let Some(award) = self.awards.get_mut(&(tenant, award_id)) {
                        award.evidence_added += 1;
                    }
                }
                None => {
                    if let Some(request) = self.requests.get_mut(&(tenant, added.request_id)) {
                        request.evidence += 1;
                    }
                }
            },
            DomainEvent::RecommendationGiven(given) => {
                if let Some(award) = self.awards.get_mut(&(tenant, given.award_id)) {
                    award.recommendations += 1;
                }
            }
            DomainEvent::BadgeRevoked(revoked) => {
                if let Some(award) = self.awards.get_mut(&(tenant, revoked.award_id)) {
                    award.revoked_at = Some(at);
                }
            }
            DomainEvent::BadgeExpired(expired) => {
                if let Some(award) = self.awards.get_mut(&(tenant, expired.award_id)) {
                    award.expired_at = Some(at);
                }
            }
            _ => {}
        }
    }

    fn end_request(
        &mut self,
        tenant: TenantId,
        request_id: RequestId,
        state: RequestState,
        at: DateTime<Utc>,
    ) {
        if let Some(request) = self.requests.get_mut(&(tenant, request_id)) {
            request.state = state;
            request.ended_at = Some(at);
        }
    }

    /// Whether an award had evidence: given with its request, added while it was pending, or
    /// added to the award.
    pub fn award_has_evidence(&self, tenant: TenantId, award: &AwardFact) -> bool {
        award.evidence_added > 0
            || self
                .requests
                .get(&(tenant, award.request_id))
                .is_some_and(|request| request.evidence > 0)
    }
}
