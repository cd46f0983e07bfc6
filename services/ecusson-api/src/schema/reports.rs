//! The structures' and the network's reports over GraphQL (`report`): the figures of
//! `ecusson_app::reports::compute`, which the downloads (`crate::reports_http`) share. Funders
//! get the protected figures only.

use super::*;
use ecusson_app::reports::{compute, Reader, ReportQuery, ReportRefusal};

fn refusal_error(refusal: ReportRefusal) -> async_graphql::Error {
    match refusal {
        ReportRefusal::Forbidden => coded(
            "reports are for the structure's staff, the network and its funders",
            ErrorCode::Forbidden,
        ),
        ReportRefusal::NotFound => coded("no such structure", ErrorCode::NotFound),
        ReportRefusal::BadInput(message) => coded(message, ErrorCode::BadUserInput),
        ReportRefusal::Internal(error) => graphql_error(error),
    }
}

/// The reader a token describes.
pub(crate) fn reader(principal: &crate::auth::Principal) -> Reader {
    Reader {
        tenant: principal.tenant,
        roles: principal.roles.clone(),
    }
}

/// A report: which tenants, which period, computed how, and its figures.
#[derive(SimpleObject)]
pub struct Report {
    /// The structures (and the network, for a network-wide report) it covers.
    pub tenant_ids: Vec<ID>,
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    pub until: Option<chrono::DateTime<chrono::Utc>>,
    /// Set when the report was replayed from the log as it stood at that instant.
    pub as_of: Option<chrono::DateTime<chrono::Utc>>,
    /// True when small counts are suppressed and the others rounded (a funder's view).
    pub protected: bool,
    /// The figures as one JSON value (the shape of `ecusson-reports`' `Figures`, or
    /// `ProtectedFigures` for a funder).
    #[graphql(deprecation = "use `indicators`, the same figures as typed fields")]
    pub figures: async_graphql::Json<serde_json::Value>,
    /// The figures: requests by state, mode and route, decision time, awards by class with
    /// pathway and skill type, evidence and recommendation rates, workers badged, committee
    /// throughput, exits by outcome and badges held.
    pub indicators: ReportIndicators,
}

#[derive(Default)]
pub struct ReportQueries;

#[Object]
impl ReportQueries {
    /// The report of the caller's structure, or, for a network's administrators and funders,
    /// of its structures (all of them and the network itself, or one: `structureId`). Counts
    /// what happened in `[from, until)`. `asOf` replays the logs as they stood then (a past
    /// report, reproduced). Funders see the protected figures: fewer than 5 people suppressed,
    /// the other counts rounded to 5. The same as CSV or a printable page:
    /// `/reports/report.csv` and `/reports/report.html`, with the same parameters.
    async fn report(
        &self,
        ctx: &Context<'_>,
        structure_id: Option<ID>,
        from: Option<chrono::DateTime<chrono::Utc>>,
        until: Option<chrono::DateTime<chrono::Utc>>,
        as_of: Option<chrono::DateTime<chrono::Utc>>,
    ) -> async_graphql::Result<Report> {
        let principal = principal(ctx)?;
        let query = ReportQuery {
            structure: structure_id
                .as_ref()
                .map(|id| parse_id(id, "structureId").map(TenantId))
                .transpose()?,
            from,
            until,
            as_of,
        };
        let computed = compute(&api(ctx).ledger, &reader(principal), &query)
            .await
            .map_err(refusal_error)?;
        let figures_json = if computed.protected {
            serde_json::to_value(ecusson_reports::disclosure::protect(&computed.figures))
        } else {
            serde_json::to_value(&computed.figures)
        }
        .map_err(|error| graphql_error(AppError::Internal(Box::new(error))))?;
        Ok(Report {
            tenant_ids: computed
                .tenants
                .iter()
                .map(|tenant| ID(tenant.to_string()))
                .collect(),
            from,
            until: computed.until,
            as_of,
            protected: computed.protected,
            figures: async_graphql::Json(figures_json),
            indicators: ReportIndicators::of(
                &computed.figures,
                &computed.facts,
                computed.protected,
            ),
        })
    }
}

/// A count of people as published: `null` with `suppressed` when it is under 5 for a funder
/// (shown "<5"); for a funder, the others are rounded to 5.
#[derive(SimpleObject)]
pub struct PublishedCount {
    pub value: Option<i64>,
    pub suppressed: bool,
}

impl From<ecusson_reports::disclosure::Shown> for PublishedCount {
    fn from(shown: ecusson_reports::disclosure::Shown) -> Self {
        match shown {
            ecusson_reports::disclosure::Shown::Count(count) => Self {
                value: Some(count as i64),
                suppressed: false,
            },
            ecusson_reports::disclosure::Shown::Suppressed(_) => Self {
                value: None,
                suppressed: true,
            },
        }
    }
}

/// Exits of one outcome.
#[derive(SimpleObject)]
pub struct ExitFigure {
    pub outcome: super::earner::GqlExitOutcome,
    pub count: PublishedCount,
}

/// One line of a programme report: a quarter (or the whole span) and a scope (the programme,
/// or one structure).
#[derive(SimpleObject)]
pub struct ProgrammeLineView {
    /// "2026-T1", or "Total" for the whole span.
    pub period: String,
    /// `null` for the whole programme.
    pub structure_id: Option<ID>,
    pub structure_name: Option<String>,
    /// Structures where at least one badge was requested in the period.
    pub structures_deployed: i64,
    pub workers_badged: PublishedCount,
    pub badges_awarded: PublishedCount,
    /// Pathways 1, 2 and 3, in order.
    pub badges_by_pathway: Vec<PublishedCount>,
    /// Percent of the badges awarded with evidence, with a recommendation; `null` when it
    /// cannot be shown.
    pub evidence_rate: Option<i64>,
    pub recommendation_rate: Option<i64>,
    pub exits: Vec<ExitFigure>,
}

/// A funder's programme report.
#[derive(SimpleObject)]
pub struct ProgrammeReport {
    pub network_id: ID,
    /// The quarters, in order ("2026-T1").
    pub quarters: Vec<String>,
    pub protected: bool,
    pub as_of: Option<chrono::DateTime<chrono::Utc>>,
    /// Per quarter then for the whole span; within each, the programme then each structure.
    pub lines: Vec<ProgrammeLineView>,
    /// The same as CSV and as a printable page (same bearer token).
    pub csv_url: String,
    pub html_url: String,
}

#[derive(Default)]
pub struct ProgrammeQueries;

#[Object]
impl ProgrammeQueries {
    /// The programme report of the caller's network, for its funders (protected figures) and
    /// administrators: structures deployed, people badged, badges by pathway, evidence and
    /// recommendation rates, exits by outcome, per calendar quarter from `from` to `until`
    /// (both included, "2026-T1", three years at most) and per structure. `asOf` replays the
    /// logs as they stood then (a funder: the first instant of a quarter).
    async fn programme_report(
        &self,
        ctx: &Context<'_>,
        from: String,
        until: String,
        as_of: Option<chrono::DateTime<chrono::Utc>>,
    ) -> async_graphql::Result<ProgrammeReport> {
        use ecusson_reports::programme::{publish, Quarter, EXIT_COLUMNS};
        let principal = principal(ctx)?;
        let quarter = |name: &str, text: &str| {
            Quarter::parse(text).ok_or_else(|| {
                coded(
                    format!("{name} is a quarter such as 2026-T1"),
                    ErrorCode::BadUserInput,
                )
            })
        };
        let (first, last) = (quarter("from", &from)?, quarter("until", &until)?);
        let api = api(ctx);
        let computed =
            ecusson_app::reports::programme(&api.ledger, &reader(principal), first, last, as_of)
                .await
                .map_err(refusal_error)?;
        let lines = computed
            .lines
            .iter()
            .map(|line| {
                let cells = publish(&line.figures, computed.protected);
                ProgrammeLineView {
                    period: line
                        .quarter
                        .map_or_else(|| "Total".to_owned(), Quarter::label),
                    structure_id: line.structure.map(|id| ID(id.to_string())),
                    structure_name: line
                        .structure
                        .and_then(|id| computed.structures.get(&id).cloned()),
                    structures_deployed: cells.structures_deployed as i64,
                    workers_badged: cells.workers_badged.into(),
                    badges_awarded: cells.awards_total.into(),
                    badges_by_pathway: cells
                        .awards_by_pathway
                        .into_iter()
                        .map(PublishedCount::from)
                        .collect(),
                    evidence_rate: cells.evidence_rate.map(|rate| rate as i64),
                    recommendation_rate: cells.recommendation_rate.map(|rate| rate as i64),
                    exits: EXIT_COLUMNS
                        .into_iter()
                        .zip(cells.exits)
                        .map(|(outcome, count)| ExitFigure {
                            outcome: outcome.into(),
                            count: count.into(),
                        })
                        .collect(),
                }
            })
            .collect();
        let mut query = format!("from={}&until={}", first.label(), last.label());
        if let Some(as_of) = as_of {
            query.push_str(&format!(
                "&asOf={}",
                as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ));
        }
        Ok(ProgrammeReport {
            network_id: ID(computed.network.to_string()),
            quarters: computed.quarters.iter().map(|q| q.label()).collect(),
            protected: computed.protected,
            as_of,
            lines,
            csv_url: format!("{}/reports/programme.csv?{query}", api.site.base()),
            html_url: format!("{}/reports/programme.html?{query}", api.site.base()),
        })
    }
}

/// Where the requests counted stand.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(
    name = "ReportRequestState",
    remote = "ecusson_reports::facts::RequestState"
)]
pub enum GqlReportRequestState {
    Pending,
    Approved,
    Refused,
    Withdrawn,
}

/// How the requests counted were made.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(name = "ReportRequestMode", remote = "ecusson_reports::facts::Mode")]
pub enum GqlReportMode {
    Pair,
    CollectiveWorkshop,
    Individual,
}

/// Who decided the requests counted.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(name = "ReportRoute", remote = "ecusson_reports::facts::Route")]
pub enum GqlReportRoute {
    Evaluator,
    Committee,
    Automatic,
}

/// How many badges a worker held when they left.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(name = "BadgeBand", remote = "ecusson_reports::figures::BadgeBand")]
pub enum GqlBadgeBand {
    None,
    OneOrTwo,
    ThreeToFive,
    SixOrMore,
}

#[derive(SimpleObject)]
pub struct RequestFigure {
    pub state: GqlReportRequestState,
    pub mode: GqlReportMode,
    pub route: GqlReportRoute,
    pub count: PublishedCount,
}

/// How long something took, in hours; statistics `null` under 5 people for a funder.
#[derive(SimpleObject)]
pub struct SpreadFigure {
    pub count: PublishedCount,
    pub median_hours: Option<f64>,
    pub p90_hours: Option<f64>,
}

#[derive(SimpleObject)]
pub struct AwardFigure {
    pub pathway_rank: Option<i32>,
    pub skill_type: Option<GqlSkillType>,
    pub badge_class_id: ID,
    pub badge_class_name: Option<String>,
    pub count: PublishedCount,
}

#[derive(SimpleObject)]
pub struct CommitteeFigure {
    pub committee_id: ID,
    pub decided: SpreadFigure,
}

#[derive(SimpleObject)]
pub struct ExitBandFigure {
    pub outcome: super::earner::GqlExitOutcome,
    pub badges: GqlBadgeBand,
    pub count: PublishedCount,
}

/// A report's figures, typed: the same as `figures`, each count of people as published to
/// the caller (exact for staff, protected for a funder).
#[derive(SimpleObject)]
pub struct ReportIndicators {
    /// Structures where at least one badge was requested in the period.
    pub active_structures: i64,
    pub requests: Vec<RequestFigure>,
    pub decision_time: SpreadFigure,
    pub awards: Vec<AwardFigure>,
    pub awards_total: PublishedCount,
    /// Percent of the awards with evidence, with a recommendation (5-point steps for a
    /// funder); `null` without awards, or when it cannot be shown.
    pub evidence_rate: Option<f64>,
    pub recommendation_rate: Option<f64>,
    pub workers_badged: PublishedCount,
    pub committees: Vec<CommitteeFigure>,
    pub exits: Vec<ExitBandFigure>,
}

impl ReportIndicators {
    pub(crate) fn of(
        figures: &ecusson_reports::Figures,
        facts: &ecusson_reports::Facts,
        protected: bool,
    ) -> Self {
        use ecusson_reports::disclosure;
        use ecusson_reports::programme::{published, published_awards};
        let count = |count: u64| PublishedCount::from(published(count, protected));
        let awards = |count: u64| PublishedCount::from(published_awards(count, figures, protected));
        let rate = |part: u64, whole: u64| {
            if protected {
                disclosure::award_rate(part, figures).map(|percent| percent as f64)
            } else {
                (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
            }
        };
        let requests = |count: u64| {
            PublishedCount::from(if protected {
                disclosure::request_count(count, figures)
            } else {
                disclosure::Shown::Count(count)
            })
        };
        let spread = |spread: &ecusson_reports::figures::Spread| {
            let statistic = |value: Option<f64>| {
                if protected {
                    disclosure::request_statistic(spread.count, figures.requesters, value)
                } else {
                    value
                }
            };
            SpreadFigure {
                count: requests(spread.count),
                median_hours: statistic(spread.median_hours),
                p90_hours: statistic(spread.p90_hours),
            }
        };
        Self {
            active_structures: figures.active_structures as i64,
            requests: figures
                .requests
                .iter()
                .map(|row| RequestFigure {
                    state: row.state.into(),
                    mode: row.mode.into(),
                    route: row.route.into(),
                    count: requests(row.count),
                })
                .collect(),
            decision_time: spread(&figures.decision_time),
            awards: figures
                .awards
                .iter()
                .map(|row| AwardFigure {
                    pathway_rank: row.pathway_rank.map(i32::from),
                    skill_type: row.skill_type.map(Into::into),
                    badge_class_id: ID(row.badge_class_id.to_string()),
                    badge_class_name: facts
                        .classes
                        .get(&row.badge_class_id)
                        .map(|class| class.name.clone()),
                    count: awards(row.count),
                })
                .collect(),
            awards_total: awards(figures.awards_total),
            evidence_rate: rate(figures.awards_with_evidence, figures.awards_total),
            recommendation_rate: rate(figures.awards_with_recommendation, figures.awards_total),
            workers_badged: count(figures.workers_badged),
            committees: figures
                .committees
                .iter()
                .map(|committee| CommitteeFigure {
                    committee_id: ID(committee.committee_id.to_string()),
                    decided: spread(&committee.decided),
                })
                .collect(),
            exits: figures
                .exits
                .iter()
                .map(|row| ExitBandFigure {
                    outcome: row.outcome.into(),
                    badges: row.badges.into(),
                    count: count(row.count),
                })
                .collect(),
        }
    }
}
