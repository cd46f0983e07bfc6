//! The structures' and the network's reports: the figures of `ecusson-reports` over a period,
//! live (from the `reports` read model) or "as of" a past instant (replaying the tenants' logs
//! up to it, with the same code). Funders get the protected figures only. [`compute`] serves
//! GraphQL (`report`) and the downloads (`/reports/report.csv`, `.html`: `crate::reports_http`).

use super::*;
use crate::auth::Principal;
use ecusson_reports::figures::{figures, Figures, Period};
use ecusson_reports::Facts;
use std::collections::BTreeSet;

/// Staff who read their structure's report.
const STRUCTURE_READERS: [Role; 3] = [Role::StructureAdmin, Role::Direction, Role::Counsellor];

/// What a report is asked for.
#[derive(Clone, Debug, Default)]
pub(crate) struct ReportQuery {
    pub structure: Option<TenantId>,
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    pub until: Option<chrono::DateTime<chrono::Utc>>,
    pub as_of: Option<chrono::DateTime<chrono::Utc>>,
}

/// A computed report.
pub(crate) struct Computed {
    pub network: TenantId,
    pub tenants: BTreeSet<TenantId>,
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// The end of the period counted (`until`, or `asOf` when earlier).
    pub until: Option<chrono::DateTime<chrono::Utc>>,
    /// A funder's view: protect the figures before showing them.
    pub protected: bool,
    pub facts: Facts,
    pub figures: Figures,
}

/// Why a report is refused.
pub(crate) enum ReportRefusal {
    Forbidden,
    NotFound,
    BadInput(&'static str),
    Internal(AppError),
}

impl From<ReportRefusal> for async_graphql::Error {
    fn from(refusal: ReportRefusal) -> Self {
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
}

fn internal(error: impl std::error::Error + Send + Sync + 'static) -> ReportRefusal {
    ReportRefusal::Internal(AppError::Internal(Box::new(error)))
}

/// The report `query` asks for, as `principal` may see it.
pub(crate) async fn compute(
    ledger: &Ledger,
    principal: &Principal,
    query: &ReportQuery,
) -> Result<Computed, ReportRefusal> {
    let funder = principal.has_role(Role::Funder) && !principal.has_role(Role::NetworkAdmin);
    let network_wide = principal.has_role(Role::NetworkAdmin) || funder;
    if !network_wide
        && !STRUCTURE_READERS
            .iter()
            .any(|role| principal.has_role(*role))
    {
        return Err(ReportRefusal::Forbidden);
    }
    if let (Some(from), Some(until)) = (query.from, query.until) {
        if from >= until {
            return Err(ReportRefusal::BadInput("from must come before until"));
        }
    }
    let store = ledger.store();
    let (network, tenants) = if network_wide {
        let network = principal.tenant;
        let mut transaction = store
            .begin_read_only()
            .await
            .map_err(|error| ReportRefusal::Internal(error.into()))?;
        let structures: BTreeSet<TenantId> =
            ecusson_projections::directory::structures_of_network(transaction.as_mut(), network)
                .await
                .map_err(internal)?
                .into_iter()
                .map(|entry| entry.structure_id)
                .collect();
        let tenants = match query.structure {
            None => structures.into_iter().chain([network]).collect(),
            Some(structure) if structures.contains(&structure) => BTreeSet::from([structure]),
            Some(_) => return Err(ReportRefusal::NotFound),
        };
        (network, tenants)
    } else {
        if query
            .structure
            .is_some_and(|structure| structure != principal.tenant)
        {
            return Err(ReportRefusal::NotFound);
        }
        let network = ecusson_app::credentials::network_of(ledger, principal.tenant)
            .await
            .map_err(ReportRefusal::Internal)?
            .map(|(network, _)| network)
            .ok_or(ReportRefusal::NotFound)?;
        (network, BTreeSet::from([principal.tenant]))
    };
    let facts = match query.as_of {
        None => {
            let mut transaction = store
                .begin_read_only()
                .await
                .map_err(|error| ReportRefusal::Internal(error.into()))?;
            ecusson_projections::reports::load_facts(transaction.as_mut(), network, &tenants)
                .await
                .map_err(internal)?
        }
        Some(as_of) => replay(ledger, network, &tenants, as_of)
            .await
            .map_err(ReportRefusal::Internal)?,
    };
    let until = match (query.until, query.as_of) {
        (Some(until), Some(as_of)) => Some(until.min(as_of)),
        (until, as_of) => until.or(as_of),
    };
    let figures = figures(
        &facts,
        &tenants,
        Period {
            from: query.from,
            until,
        },
    );
    Ok(Computed {
        network,
        tenants,
        from: query.from,
        until,
        protected: funder,
        facts,
        figures,
    })
}

/// The facts of `tenants` and of the network's catalogue as the logs stood at `as_of`.
async fn replay(
    ledger: &Ledger,
    network: TenantId,
    tenants: &BTreeSet<TenantId>,
    as_of: chrono::DateTime<chrono::Utc>,
) -> Result<Facts, AppError> {
    let store = ledger.store();
    let mut facts = Facts::new();
    let mut logs = tenants.clone();
    logs.insert(network);
    for tenant in logs {
        let mut after = 0;
        loop {
            let page = store.read_tenant(tenant, after, 5_000).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for event in &page {
                // Commit order is not quite time order (two writers decide, then commit in
                // either order): every event is looked at.
                if event.recorded_at >= as_of {
                    continue;
                }
                let decoded = event
                    .decode()
                    .map_err(|error| AppError::Internal(Box::new(error)))?;
                facts.apply(tenant, event.recorded_at, &decoded);
            }
        }
    }
    Ok(facts)
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
    /// The figures (see `ecusson-reports`): requests by state, mode and route, decision time,
    /// awards by class with pathway and skill type, evidence and recommendation rates,
    /// workers badged, committee throughput, exits by outcome and badges held.
    pub figures: async_graphql::Json<serde_json::Value>,
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
        let computed = compute(&api(ctx).ledger, principal, &query).await?;
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
        })
    }
}
