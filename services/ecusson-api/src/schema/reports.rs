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
        })
    }
}
