//! The programme report of a funder (PEPITES-like): for each calendar quarter of a span, and
//! for the whole span, the programme as a whole and each structure deployed in it — structures
//! deployed, people badged, badges awarded by pathway, evidence and recommendation rates, exits
//! by outcome. Every cell is [`figures`] over that quarter and those tenants: the same fold as
//! the structures' and the network's reports, so a structure's line here and its own report for
//! the same quarter agree.
//!
//! One wide table (a line per quarter and scope, a column per indicator): what a funder pastes
//! into a spreadsheet. For a funder every count of people goes through [`disclosure`].

use crate::disclosure::{self, Shown};
use crate::facts::Facts;
use crate::figures::{figures, Figures, Period};
use ecusson_domain::{ExitOutcome, TenantId};
use std::collections::{BTreeMap, BTreeSet};

/// A calendar quarter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    pub year: i32,
    /// 1 to 4.
    pub quarter: u32,
}

/// How many quarters one programme report spans at most: three years.
pub const QUARTERS_MAX: usize = 12;

impl Quarter {
    /// "2026-T1" (trimestre), or "2026-Q1".
    pub fn parse(text: &str) -> Option<Self> {
        let (year, quarter) = text.trim().split_once('-')?;
        let quarter = quarter
            .strip_prefix('T')
            .or_else(|| quarter.strip_prefix('Q'))?;
        let quarter: u32 = quarter.parse().ok()?;
        let year: i32 = year
            .parse()
            .ok()
            .filter(|year| (1970..=9999).contains(year))?;
        (1..=4).contains(&quarter).then_some(Self { year, quarter })
    }

    pub fn label(self) -> String {
        format!("{}-T{}", self.year, self.quarter)
    }

    pub fn next(self) -> Self {
        if self.quarter == 4 {
            Self {
                year: self.year + 1,
                quarter: 1,
            }
        } else {
            Self {
                year: self.year,
                quarter: self.quarter + 1,
            }
        }
    }

    pub fn period(self) -> Period {
        let (from, until) = disclosure::quarter(self.year, self.quarter)
            .expect("a quarter holds a valid quarter number");
        Period {
            from: Some(from),
            until: Some(until),
        }
    }

    /// `first` to `last`, both included; `None` when `last` comes before `first` or the span
    /// is longer than [`QUARTERS_MAX`].
    pub fn span(first: Self, last: Self) -> Option<Vec<Self>> {
        let mut quarters = vec![first];
        while *quarters.last()? < last {
            if quarters.len() == QUARTERS_MAX {
                return None;
            }
            quarters.push(quarters.last()?.next());
        }
        (first <= last).then_some(quarters)
    }
}

/// One line of the programme report: a quarter (or the whole span) and a scope.
#[derive(Clone, Debug, PartialEq)]
pub struct ProgrammeLine {
    /// `None` for the whole span.
    pub quarter: Option<Quarter>,
    /// `None` for the whole programme (every structure and the network's own supporters).
    pub structure: Option<TenantId>,
    pub figures: Figures,
}

/// The lines of a programme over `quarters` (in order): per quarter, then for the whole span;
/// within each, the programme then each structure.
pub fn programme(
    facts: &Facts,
    network: TenantId,
    structures: &BTreeSet<TenantId>,
    quarters: &[Quarter],
) -> Vec<ProgrammeLine> {
    let whole: BTreeSet<TenantId> = structures.iter().copied().chain([network]).collect();
    let mut periods: Vec<(Option<Quarter>, Period)> = quarters
        .iter()
        .map(|quarter| (Some(*quarter), quarter.period()))
        .collect();
    if let (Some(first), Some(last)) = (quarters.first(), quarters.last()) {
        periods.push((
            None,
            Period {
                from: first.period().from,
                until: last.period().until,
            },
        ));
    }
    let mut lines = Vec::new();
    for (quarter, period) in periods {
        lines.push(ProgrammeLine {
            quarter,
            structure: None,
            figures: figures(facts, &whole, period),
        });
        for structure in structures {
            lines.push(ProgrammeLine {
                quarter,
                structure: Some(*structure),
                figures: figures(facts, &BTreeSet::from([*structure]), period),
            });
        }
    }
    lines
}

/// The exits the table has a column for, in order.
pub const EXIT_COLUMNS: [ExitOutcome; 4] = [
    ExitOutcome::DurableEmployment,
    ExitOutcome::TransitionEmployment,
    ExitOutcome::QualifyingTraining,
    ExitOutcome::Other,
];

/// A count of people as published: as it is, or protected for a funder.
pub fn published(count: u64, protected: bool) -> Shown {
    if protected {
        disclosure::show(count)
    } else {
        Shown::Count(count)
    }
}

/// A count of awards of `figures` as published: as it is, or protected for a funder (see
/// [`disclosure::award_count`]).
pub fn published_awards(count: u64, figures: &Figures, protected: bool) -> Shown {
    if protected {
        disclosure::award_count(count, figures)
    } else {
        Shown::Count(count)
    }
}

/// A share of the awards of `figures` in percent as published: `None` when it cannot be
/// shown (no award, or, for a funder, too few people: [`disclosure::award_rate`]).
pub fn published_rate(part: u64, figures: &Figures, protected: bool) -> Option<u64> {
    let whole = figures.awards_total;
    if protected {
        disclosure::award_rate(part, figures)
    } else {
        (whole > 0).then(|| (part * 100 + whole / 2) / whole)
    }
}

/// The cells of one line, as published.
#[derive(Clone, Debug, PartialEq)]
pub struct PublishedLine {
    pub structures_deployed: u64,
    pub workers_badged: Shown,
    pub awards_total: Shown,
    /// Pathways 1, 2 and 3.
    pub awards_by_pathway: [Shown; 3],
    pub evidence_rate: Option<u64>,
    pub recommendation_rate: Option<u64>,
    /// In the order of [`EXIT_COLUMNS`].
    pub exits: [Shown; 4],
}

pub fn publish(figures: &Figures, protected: bool) -> PublishedLine {
    let by_pathway = figures.awards_by_pathway();
    let mut exits: BTreeMap<ExitOutcome, u64> = BTreeMap::new();
    for row in &figures.exits {
        *exits.entry(row.outcome).or_default() += row.count;
    }
    PublishedLine {
        structures_deployed: figures.active_structures,
        workers_badged: published(figures.workers_badged, protected),
        awards_total: published_awards(figures.awards_total, figures, protected),
        awards_by_pathway: [1, 2, 3].map(|rank| {
            let count = by_pathway.get(&Some(rank)).copied().unwrap_or(0);
            published_awards(count, figures, protected)
        }),
        evidence_rate: published_rate(figures.awards_with_evidence, figures, protected),
        recommendation_rate: published_rate(figures.awards_with_recommendation, figures, protected),
        exits: EXIT_COLUMNS
            .map(|outcome| published(exits.get(&outcome).copied().unwrap_or(0), protected)),
    }
}

/// The table's header, in French.
pub const HEADER: [&str; 14] = [
    "Période",
    "Périmètre",
    "Structures déployées",
    "Personnes badgées",
    "Badges attribués",
    "Parcours 1",
    "Parcours 2",
    "Parcours 3",
    "Badges avec preuve (%)",
    "Badges avec recommandation (%)",
    "Sorties : emploi durable",
    "Sorties : emploi de transition",
    "Sorties : formation qualifiante",
    "Sorties : autres",
];

fn shown_text(shown: Shown) -> String {
    match shown {
        Shown::Count(count) => count.to_string(),
        Shown::Suppressed(text) => text.to_owned(),
    }
}

/// The lines as rows of text under [`HEADER`]; structures by the name in `names`.
pub fn table(
    lines: &[ProgrammeLine],
    names: &BTreeMap<TenantId, String>,
    protected: bool,
) -> Vec<Vec<String>> {
    lines
        .iter()
        .map(|line| {
            let cells = publish(&line.figures, protected);
            let rate = |rate: Option<u64>| rate.map_or_else(|| "—".to_owned(), |r| r.to_string());
            let mut row = vec![
                line.quarter
                    .map_or_else(|| "Total".to_owned(), Quarter::label),
                match line.structure {
                    None => "Programme".to_owned(),
                    Some(structure) => names
                        .get(&structure)
                        .cloned()
                        .unwrap_or_else(|| structure.to_string()),
                },
                cells.structures_deployed.to_string(),
                shown_text(cells.workers_badged),
                shown_text(cells.awards_total),
            ];
            row.extend(cells.awards_by_pathway.map(shown_text));
            row.push(rate(cells.evidence_rate));
            row.push(rate(cells.recommendation_rate));
            row.extend(cells.exits.map(shown_text));
            row
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_parse_follow_each_other_and_span_at_most_three_years() {
        let first = Quarter::parse("2025-T4").unwrap();
        assert_eq!(Quarter::parse("2025-Q4"), Some(first));
        assert_eq!(
            first.next(),
            Quarter {
                year: 2026,
                quarter: 1
            }
        );
        for bad in ["2025-T5", "2025-T0", "T1-2025", "2025", "2025-Tx", "0-T1"] {
            assert_eq!(Quarter::parse(bad), None, "{bad}");
        }
        let span = Quarter::span(first, Quarter::parse("2026-T2").unwrap()).unwrap();
        assert_eq!(
            span.iter().map(|q| q.label()).collect::<Vec<_>>(),
            ["2025-T4", "2026-T1", "2026-T2"]
        );
        assert_eq!(
            Quarter::span(Quarter::parse("2026-T2").unwrap(), first),
            None
        );
        assert!(Quarter::span(first, Quarter::parse("2028-T3").unwrap()).is_some());
        assert_eq!(
            Quarter::span(first, Quarter::parse("2028-T4").unwrap()),
            None
        );
    }

    #[test]
    fn a_funder_sees_small_counts_suppressed_and_the_rest_rounded() {
        let figures = Figures {
            active_structures: 2,
            awards_total: 12,
            awards_with_evidence: 9,
            awards_with_recommendation: 2,
            workers_badged: 3,
            ..Figures::default()
        };
        let staff = publish(&figures, false);
        assert_eq!(staff.workers_badged, Shown::Count(3));
        assert_eq!(staff.evidence_rate, Some(75));
        let funder = publish(&figures, true);
        assert_eq!(funder.workers_badged, disclosure::SUPPRESSED);
        assert_eq!(
            funder.awards_total,
            disclosure::SUPPRESSED,
            "twelve badges of three people tell about those three"
        );
        assert_eq!(funder.evidence_rate, None);
        assert_eq!(funder.structures_deployed, 2, "structures are not people");
        let more = Figures {
            workers_badged: 6,
            ..figures.clone()
        };
        let funder = publish(&more, true);
        assert_eq!(funder.awards_total, Shown::Count(10));
        assert_eq!(funder.evidence_rate, None, "three awards without evidence");
        assert_eq!(
            funder.recommendation_rate, None,
            "two with a recommendation"
        );
        let even_more = Figures {
            awards_with_evidence: 6,
            ..more
        };
        assert_eq!(publish(&even_more, true).evidence_rate, Some(50));
    }
}
