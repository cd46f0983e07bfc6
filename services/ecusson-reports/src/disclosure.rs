//! What a funder may be shown (issue 5, "Funders"): aggregates only, and no count of people
//! small enough to point at someone, not even through the difference of two tables.
//!
//! - A count from 1 to [`K`] − 1 is suppressed (shown as `"<5"`); zero is shown (it points at
//!   nobody).
//! - Every other count is rounded to the nearest multiple of 5 (halves up). The difference of
//!   two published counts is then a multiple of 5, so a total minus a filtered part (the
//!   foreseeable attack: all structures minus all but one, a year minus eleven months) never
//!   gives back a count from 1 to 4: the most it tells is "fewer than 5", which suppression
//!   says anyway.
//! - A rate is shown only when the people it divides, on either side, are none or at least
//!   [`K`], rounded to 5 points; a median or a percentile only when it is taken over at least
//!   [`K`] people.
//!
//! Structures and periods are what a funder chooses among, not free filters: the programme
//! report's periods are whole calendar quarters (see [`quarter`]).

use crate::facts::{Mode, RequestState, Route};
use crate::figures::{BadgeBand, Figures, Spread};
use chrono::{DateTime, Datelike, TimeZone, Utc};
use ecusson_domain::{BadgeClassId, CommitteeId, ExitOutcome, SkillType};
use serde::Serialize;

/// The smallest number of people a published figure may be about.
pub const K: u64 = 5;

/// A count as a funder sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Shown {
    Count(u64),
    /// Between 1 and [`K`] − 1.
    Suppressed(&'static str),
}

pub const SUPPRESSED: Shown = Shown::Suppressed("<5");

/// The published form of a count of people.
pub fn show(count: u64) -> Shown {
    match count {
        0 => Shown::Count(0),
        n if n < K => SUPPRESSED,
        n => Shown::Count((n + 2) / 5 * 5),
    }
}

/// A share in percent, rounded to 5 points; `None` when the whole is under [`K`] people, or
/// when the part or the rest is (a rate of 1 in 5 would name one person as surely as the count).
pub fn rate(part: u64, whole: u64) -> Option<u64> {
    let part = part.min(whole);
    let small = |count: u64| count > 0 && count < K;
    if whole < K || small(part) || small(whole - part) {
        return None;
    }
    let percent = part.min(whole) as f64 * 100.0 / whole as f64;
    Some(((percent / 5.0).round() * 5.0) as u64)
}

/// Whether `people` are fewer than [`K`] (but some).
fn few(people: u64) -> bool {
    (1..K).contains(&people)
}

/// Whether the awards of `figures` are about fewer than [`K`] people (but some): then their
/// counts and rates would tell about those few (one worker with six badges: "5 badges, 80 %
/// with evidence" is that worker's record), so they are suppressed too.
pub fn few_people(figures: &Figures) -> bool {
    few(figures.workers_badged)
}

/// Whether the requests of `figures` are about fewer than [`K`] people (but some).
pub fn few_requesters(figures: &Figures) -> bool {
    few(figures.requesters)
}

/// A count of things (awards, requests) about `people` as a funder sees it: as [`show`], and
/// suppressed when they are about fewer than [`K`] people.
pub fn about(count: u64, people: u64) -> Shown {
    if count > 0 && few(people) {
        SUPPRESSED
    } else {
        show(count)
    }
}

/// A count of awards as a funder sees it (see [`about`], [`few_people`]).
pub fn award_count(count: u64, figures: &Figures) -> Shown {
    about(count, figures.workers_badged)
}

/// A count of requests or decisions as a funder sees it (see [`about`]).
pub fn request_count(count: u64, figures: &Figures) -> Shown {
    about(count, figures.requesters)
}

/// A statistic over `count` requests of `people` as a funder sees it: under [`K`] of
/// either, none.
pub fn request_statistic<T>(count: u64, people: u64, value: Option<T>) -> Option<T> {
    if few(people) {
        None
    } else {
        statistic(count, value)
    }
}

/// A share of the awards (with evidence, with a recommendation) as a funder sees it: as
/// [`rate`], and never when the awards are about few people.
pub fn award_rate(part: u64, figures: &Figures) -> Option<u64> {
    if few_people(figures) {
        None
    } else {
        rate(part, figures.awards_total)
    }
}

/// A statistic over `count` people, or `None` under [`K`].
pub fn statistic<T>(count: u64, value: Option<T>) -> Option<T> {
    if count < K {
        None
    } else {
        value
    }
}

/// The calendar quarter `[start, end)` of `year` (`quarter` 1 to 4), what a funder's
/// programme report is cut by; `None` for another quarter number.
pub fn quarter(year: i32, quarter: u32) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    if !(1..=4).contains(&quarter) {
        return None;
    }
    let start = Utc
        .with_ymd_and_hms(year, 3 * (quarter - 1) + 1, 1, 0, 0, 0)
        .single()?;
    let end = if quarter == 4 {
        Utc.with_ymd_and_hms(year + 1, 1, 1, 0, 0, 0).single()?
    } else {
        Utc.with_ymd_and_hms(year, 3 * quarter + 1, 1, 0, 0, 0)
            .single()?
    };
    debug_assert_eq!(start.year(), year);
    Some((start, end))
}

/// A spread as a funder sees it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtectedSpread {
    pub count: Shown,
    pub median_hours: Option<f64>,
    pub p90_hours: Option<f64>,
}

impl ProtectedSpread {
    /// A spread of the requests of `people`.
    fn of(spread: &Spread, people: u64) -> Self {
        Self {
            count: about(spread.count, people),
            median_hours: request_statistic(spread.count, people, spread.median_hours),
            p90_hours: request_statistic(spread.count, people, spread.p90_hours),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtectedRequests {
    pub state: RequestState,
    pub mode: Mode,
    pub route: Route,
    pub count: Shown,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtectedAwards {
    pub pathway_rank: Option<u8>,
    pub skill_type: Option<SkillType>,
    pub badge_class_id: BadgeClassId,
    pub count: Shown,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtectedCommittee {
    pub committee_id: CommitteeId,
    pub decided: ProtectedSpread,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtectedExits {
    pub outcome: ExitOutcome,
    pub badges: BadgeBand,
    pub count: Shown,
}

/// [`Figures`] as a funder may see them: every count of people through [`show`], rates
/// through [`rate`], statistics through [`statistic`]. Structures are not people: their count
/// is shown as it is.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtectedFigures {
    pub active_structures: u64,
    pub requests: Vec<ProtectedRequests>,
    pub decision_time: ProtectedSpread,
    pub awards: Vec<ProtectedAwards>,
    pub awards_total: Shown,
    /// Percent of the awards with evidence, with a recommendation (5-point steps).
    pub evidence_rate: Option<u64>,
    pub recommendation_rate: Option<u64>,
    pub workers_badged: Shown,
    pub committees: Vec<ProtectedCommittee>,
    pub exits: Vec<ProtectedExits>,
}

pub fn protect(figures: &Figures) -> ProtectedFigures {
    ProtectedFigures {
        active_structures: figures.active_structures,
        requests: figures
            .requests
            .iter()
            .map(|row| ProtectedRequests {
                state: row.state,
                mode: row.mode,
                route: row.route,
                count: request_count(row.count, figures),
            })
            .collect(),
        decision_time: ProtectedSpread::of(&figures.decision_time, figures.requesters),
        awards: figures
            .awards
            .iter()
            .map(|row| ProtectedAwards {
                pathway_rank: row.pathway_rank,
                skill_type: row.skill_type,
                badge_class_id: row.badge_class_id,
                count: award_count(row.count, figures),
            })
            .collect(),
        awards_total: award_count(figures.awards_total, figures),
        evidence_rate: award_rate(figures.awards_with_evidence, figures),
        recommendation_rate: award_rate(figures.awards_with_recommendation, figures),
        workers_badged: show(figures.workers_badged),
        committees: figures
            .committees
            .iter()
            .map(|committee| ProtectedCommittee {
                committee_id: committee.committee_id,
                decided: ProtectedSpread::of(&committee.decided, figures.requesters),
            })
            .collect(),
        exits: figures
            .exits
            .iter()
            .map(|row| ProtectedExits {
                outcome: row.outcome,
                badges: row.badges,
                count: show(row.count),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_are_suppressed_and_the_others_rounded_to_five() {
        assert_eq!(show(0), Shown::Count(0));
        for n in 1..K {
            assert_eq!(show(n), SUPPRESSED);
        }
        assert_eq!(show(5), Shown::Count(5));
        assert_eq!(show(7), Shown::Count(5));
        assert_eq!(show(8), Shown::Count(10));
        assert_eq!(show(12), Shown::Count(10));
        assert_eq!(show(13), Shown::Count(15));
        assert_eq!(serde_json::to_string(&show(3)).unwrap(), "\"<5\"");
        assert_eq!(serde_json::to_string(&show(23)).unwrap(), "25");
    }

    /// The foreseeable attack: a total minus a part that leaves out a few people. Whatever
    /// the counts, the published difference is never the count of those few.
    #[test]
    fn no_difference_of_two_published_counts_gives_back_a_small_count() {
        for part in 0..=500u64 {
            for few in 1..K {
                let total = part + few;
                let published = |count| match show(count) {
                    Shown::Count(n) => Some(n),
                    Shown::Suppressed(_) => None,
                };
                if let (Some(total), Some(part)) = (published(total), published(part)) {
                    let difference = total as i64 - part as i64;
                    assert_ne!(difference, few as i64, "total {total}, part {part}");
                    assert_eq!(difference % 5, 0);
                }
            }
        }
    }

    /// Counts of requests or awards are not counts of people: seven requests of one worker,
    /// or six badges of one worker, are that worker's record.
    #[test]
    fn counts_of_things_about_a_few_people_are_suppressed() {
        use crate::facts::{Mode, RequestState, Route};
        use crate::figures::{RequestCount, Spread};
        let figures = Figures {
            requests: vec![RequestCount {
                state: RequestState::Approved,
                mode: Mode::Pair,
                route: Route::Evaluator,
                count: 7,
            }],
            decision_time: Spread {
                count: 7,
                median_hours: Some(24.0),
                p90_hours: Some(48.0),
            },
            requesters: 1,
            awards_total: 6,
            awards_with_evidence: 6,
            workers_badged: 1,
            ..Figures::default()
        };
        let protected = protect(&figures);
        assert_eq!(protected.requests[0].count, SUPPRESSED);
        assert_eq!(protected.decision_time.count, SUPPRESSED);
        assert_eq!(protected.decision_time.median_hours, None);
        assert_eq!(protected.awards_total, SUPPRESSED);
        assert_eq!(protected.evidence_rate, None);
        let many = Figures {
            requesters: 5,
            workers_badged: 5,
            ..figures
        };
        let protected = protect(&many);
        assert_eq!(protected.requests[0].count, Shown::Count(5));
        assert_eq!(protected.decision_time.median_hours, Some(24.0));
        assert_eq!(protected.awards_total, Shown::Count(5));
        assert_eq!(protected.evidence_rate, Some(100));
    }

    #[test]
    fn rates_and_statistics_need_five_people() {
        assert_eq!(rate(1, 4), None);
        assert_eq!(rate(1, 5), None, "one person in five");
        assert_eq!(rate(7, 9), None, "two people left");
        assert_eq!(rate(0, 5), Some(0));
        assert_eq!(rate(5, 5), Some(100));
        assert_eq!(rate(5, 10), Some(50));
        assert_eq!(rate(6, 17), Some(35));
        assert_eq!(statistic(4, Some(12.5)), None);
        assert_eq!(statistic(5, Some(12.5)), Some(12.5));
    }

    #[test]
    fn quarters_are_calendar_quarters() {
        let (start, end) = quarter(2026, 4).unwrap();
        assert_eq!(start.to_rfc3339(), "2026-10-01T00:00:00+00:00");
        assert_eq!(end.to_rfc3339(), "2027-01-01T00:00:00+00:00");
        let (start, end) = quarter(2025, 1).unwrap();
        assert_eq!(start.to_rfc3339(), "2025-01-01T00:00:00+00:00");
        assert_eq!(end.to_rfc3339(), "2025-04-01T00:00:00+00:00");
        assert_eq!(quarter(2025, 0), None);
        assert_eq!(quarter(2025, 5), None);
    }
}
