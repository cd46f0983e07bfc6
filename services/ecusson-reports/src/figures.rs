//! The aggregates of a report: over a set of tenants (a structure, or a network's structures)
//! and a period. Each figure counts what happened in the period: requests made, decisions
//! taken, awards granted, exits recorded. Percentiles are nearest-rank (the smallest value
//! with at least that share of the values at or below it), in hours.

use crate::facts::{Facts, Mode, RequestState, Route};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use ecusson_domain::{BadgeClassId, CommitteeId, ExitOutcome, PersonId, SkillType, TenantId};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// `[from, until)`; an open end is unbounded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Period {
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl Period {
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.from.is_none_or(|from| at >= from) && self.until.is_none_or(|until| at < until)
    }

    fn contains_date(&self, date: NaiveDate) -> bool {
        self.contains(date.and_time(NaiveTime::MIN).and_utc())
    }
}

/// A duration's spread, in hours.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Spread {
    pub count: u64,
    pub median_hours: Option<f64>,
    pub p90_hours: Option<f64>,
}

impl Spread {
    fn of(mut hours: Vec<f64>) -> Self {
        hours.sort_by(f64::total_cmp);
        let rank = |share: f64| {
            let n = hours.len();
            (n > 0).then(|| hours[((share * n as f64).ceil() as usize).clamp(1, n) - 1])
        };
        Spread {
            count: hours.len() as u64,
            median_hours: rank(0.5),
            p90_hours: rank(0.9),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestCount {
    pub state: RequestState,
    pub mode: Mode,
    pub route: Route,
    pub count: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AwardCount {
    /// 1, 2 or 3; `None` when the class's pathway is not in the catalogue.
    pub pathway_rank: Option<u8>,
    pub skill_type: Option<SkillType>,
    pub badge_class_id: BadgeClassId,
    pub count: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitteeFigures {
    pub committee_id: CommitteeId,
    /// Requests it decided in the period, and how long they waited.
    pub decided: Spread,
}

/// How many badges a worker held when they left.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BadgeBand {
    None,
    OneOrTwo,
    ThreeToFive,
    SixOrMore,
}

impl BadgeBand {
    fn of(badges: usize) -> Self {
        match badges {
            0 => BadgeBand::None,
            1..=2 => BadgeBand::OneOrTwo,
            3..=5 => BadgeBand::ThreeToFive,
            _ => BadgeBand::SixOrMore,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExitCount {
    pub outcome: ExitOutcome,
    pub badges: BadgeBand,
    pub count: u64,
}

/// The figures of one report.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    /// Tenants with at least one request in the period.
    pub active_structures: u64,
    /// Requests made in the period, by where they stand now, mode and route.
    pub requests: Vec<RequestCount>,
    /// Requests approved or refused in the period: hours from the request to the decision.
    pub decision_time: Spread,
    /// Awards granted in the period, by class (with its pathway and skill type).
    pub awards: Vec<AwardCount>,
    pub awards_total: u64,
    /// Of those, awards with at least one piece of evidence, and with a recommendation.
    pub awards_with_evidence: u64,
    pub awards_with_recommendation: u64,
    /// Distinct workers awarded in the period.
    pub workers_badged: u64,
    /// Distinct workers whose requests are counted (made, or decided, in the period).
    pub requesters: u64,
    pub committees: Vec<CommitteeFigures>,
    /// Exits in the period, by outcome and the badges (standing or not) earned by then.
    pub exits: Vec<ExitCount>,
}

impl Figures {
    /// Awards of the period by pathway rank.
    pub fn awards_by_pathway(&self) -> BTreeMap<Option<u8>, u64> {
        let mut by = BTreeMap::new();
        for award in &self.awards {
            *by.entry(award.pathway_rank).or_default() += award.count;
        }
        by
    }

    /// Awards of the period by skill type.
    pub fn awards_by_skill(&self) -> BTreeMap<Option<SkillType>, u64> {
        let mut by = BTreeMap::new();
        for award in &self.awards {
            *by.entry(award.skill_type).or_default() += award.count;
        }
        by
    }
}

fn hours(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_seconds().max(0) as f64 / 3_600.0
}

/// The figures of `tenants` over `period`.
pub fn figures(facts: &Facts, tenants: &BTreeSet<TenantId>, period: Period) -> Figures {
    let mut figures = Figures::default();
    let mut active = BTreeSet::new();
    let mut requests: BTreeMap<(RequestState, Mode, Route), u64> = BTreeMap::new();
    let mut decisions = Vec::new();
    let mut by_committee: BTreeMap<CommitteeId, Vec<f64>> = BTreeMap::new();
    let mut requesters: BTreeSet<(TenantId, PersonId)> = BTreeSet::new();
    for ((tenant, _), request) in &facts.requests {
        if !tenants.contains(tenant) {
            continue;
        }
        if period.contains(request.requested_at) {
            requesters.insert((*tenant, request.earner_id));
            active.insert(*tenant);
            *requests
                .entry((request.state, request.mode, request.route))
                .or_default() += 1;
        }
        if let (Some(ended), RequestState::Approved | RequestState::Refused) =
            (request.ended_at, request.state)
        {
            if period.contains(ended) {
                requesters.insert((*tenant, request.earner_id));
                let waited = hours(request.requested_at, ended);
                decisions.push(waited);
                if let Some(committee) = request.committee_id {
                    by_committee.entry(committee).or_default().push(waited);
                }
            }
        }
    }
    figures.active_structures = active.len() as u64;
    figures.requesters = requesters.len() as u64;
    figures.requests = requests
        .into_iter()
        .map(|((state, mode, route), count)| RequestCount {
            state,
            mode,
            route,
            count,
        })
        .collect();
    figures.decision_time = Spread::of(decisions);
    figures.committees = by_committee
        .into_iter()
        .map(|(committee_id, waits)| CommitteeFigures {
            committee_id,
            decided: Spread::of(waits),
        })
        .collect();

    let mut by_class: BTreeMap<BadgeClassId, u64> = BTreeMap::new();
    let mut badged: BTreeSet<(TenantId, PersonId)> = BTreeSet::new();
    for ((tenant, _), award) in &facts.awards {
        if !tenants.contains(tenant) || !period.contains(award.awarded_at) {
            continue;
        }
        *by_class.entry(award.badge_class_id).or_default() += 1;
        badged.insert((*tenant, award.earner_id));
        figures.awards_total += 1;
        if facts.award_has_evidence(*tenant, award) {
            figures.awards_with_evidence += 1;
        }
        if award.recommendations > 0 {
            figures.awards_with_recommendation += 1;
        }
    }
    figures.workers_badged = badged.len() as u64;
    figures.awards = by_class
        .into_iter()
        .map(|(badge_class_id, count)| AwardCount {
            pathway_rank: facts.pathway_rank(badge_class_id),
            skill_type: facts
                .classes
                .get(&badge_class_id)
                .map(|class| class.skill_type),
            badge_class_id,
            count,
        })
        .collect();

    // When each worker got each of their awards, to count what they held when they left.
    let mut awarded_on: BTreeMap<(TenantId, PersonId), Vec<NaiveDate>> = BTreeMap::new();
    for ((tenant, _), award) in &facts.awards {
        if tenants.contains(tenant) {
            awarded_on
                .entry((*tenant, award.earner_id))
                .or_default()
                .push(award.awarded_at.date_naive());
        }
    }
    let mut exits: BTreeMap<(ExitOutcome, BadgeBand), u64> = BTreeMap::new();
    for ((tenant, earner_id), earner) in &facts.earners {
        let Some((outcome, exited_on)) = earner.exit else {
            continue;
        };
        if !tenants.contains(tenant) || !period.contains_date(exited_on) {
            continue;
        }
        let badges = awarded_on.get(&(*tenant, *earner_id)).map_or(0, |dates| {
            dates.iter().filter(|on| **on <= exited_on).count()
        });
        *exits.entry((outcome, BadgeBand::of(badges))).or_default() += 1;
    }
    figures.exits = exits
        .into_iter()
        .map(|((outcome, badges), count)| ExitCount {
            outcome,
            badges,
            count,
        })
        .collect();
    figures
}
