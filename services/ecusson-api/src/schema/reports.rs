//! The structures' and the network's reports over GraphQL: the figures of `ecusson-reports`
//! over a period, live (from the `reports` read model) or "as of" a past instant (replaying the
//! tenants' logs up to it, with the same code). Funders get the protected figures only.

use super::*;
use ecusson_reports::figures::{figures, Period};
use ecusson_reports::Facts;
use std::collections::BTreeSet;

/// Staff who read their structure's report.
const STRUCTURE_READERS: [Role; 3] = [Role::StructureAdmin, Role::Direction, Role::Counsellor];

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
    /// the other counts rounded to 5.
    async fn report(
        &self,
        ctx: &Context<'_>,
        structure_id: Option<ID>,
        from: Option<chrono::DateTime<chrono::Utc>>,
        until: Option<chrono::DateTime<chrono::Utc>>,
        as_of: Option<chrono::DateTime<chrono::Utc>>,
    ) -> async_graphql::Result<Report> {
        let principal = principal(ctx)?;
        let api = api(ctx);
        let funder = principal.has_role(Role::Funder) && !principal.has_role(Role::NetworkAdmin);
        let network_wide = principal.has_role(Role::NetworkAdmin) || funder;
        if !network_wide
            && !STRUCTURE_READERS
                .iter()
                .any(|role| principal.has_role(*role))
        {
            return Err(coded(
                "reports are for the structure's staff, the network and its funders",
                ErrorCode::Forbidden,
            ));
        }
        let requested = structure_id
            .as_ref()
            .map(|id| parse_id(id, "structureId").map(TenantId))
            .transpose()?;
        let (network, tenants) = if network_wide {
            let network = principal.tenant;
            let mut transaction = read_models(ctx).await?;
            let structures: BTreeSet<TenantId> =
                ecusson_projections::directory::structures_of_network(
                    transaction.as_mut(),
                    network,
                )
                .await
                .map_err(projection_error)?
                .into_iter()
                .map(|entry| entry.structure_id)
                .collect();
            let tenants = match requested {
                None => structures.into_iter().chain([network]).collect(),
                Some(structure) if structures.contains(&structure) => BTreeSet::from([structure]),
                Some(_) => return Err(coded("no such structure", ErrorCode::NotFound)),
            };
            (network, tenants)
        } else {
            if requested.is_some_and(|structure| structure != principal.tenant) {
                return Err(coded("no such structure", ErrorCode::NotFound));
            }
            let network = ecusson_app::credentials::network_of(&api.ledger, principal.tenant)
                .await
                .map_err(graphql_error)?
                .map(|(network, _)| network)
                .ok_or_else(|| coded("no such structure", ErrorCode::NotFound))?;
            (network, BTreeSet::from([principal.tenant]))
        };
        if let (Some(from), Some(until)) = (from, until) {
            if from >= until {
                return Err(coded(
                    "from must come before until",
                    ErrorCode::BadUserInput,
                ));
            }
        }
        let facts = match as_of {
            None => {
                let mut transaction = read_models(ctx).await?;
                ecusson_projections::reports::load_facts(transaction.as_mut(), network, &tenants)
                    .await
                    .map_err(projection_error)?
            }
            Some(as_of) => replay(ctx, network, &tenants, as_of).await?,
        };
        let until = match (until, as_of) {
            (Some(until), Some(as_of)) => Some(until.min(as_of)),
            (until, as_of) => until.or(as_of),
        };
        let computed = figures(&facts, &tenants, Period { from, until });
        let figures_json = if funder {
            serde_json::to_value(ecusson_reports::disclosure::protect(&computed))
        } else {
            serde_json::to_value(&computed)
        }
        .map_err(|error| graphql_error(AppError::Internal(Box::new(error))))?;
        Ok(Report {
            tenant_ids: tenants
                .iter()
                .map(|tenant| ID(tenant.to_string()))
                .collect(),
            from,
            until,
            as_of,
            protected: funder,
            figures: async_graphql::Json(figures_json),
        })
    }
}

/// The facts of `tenants` and of the network's catalogue as the logs stood at `as_of`.
async fn replay(
    ctx: &Context<'_>,
    network: TenantId,
    tenants: &BTreeSet<TenantId>,
    as_of: chrono::DateTime<chrono::Utc>,
) -> async_graphql::Result<Facts> {
    let store = api(ctx).ledger.store();
    let mut facts = Facts::new();
    let mut logs = tenants.clone();
    logs.insert(network);
    for tenant in logs {
        let mut after = 0;
        loop {
            let page = store
                .read_tenant(tenant, after, 5_000)
                .await
                .map_err(|error| graphql_error(error.into()))?;
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
                    .map_err(|error| graphql_error(AppError::Internal(Box::new(error))))?;
                facts.apply(tenant, event.recorded_at, &decoded);
            }
        }
    }
    Ok(facts)
}
