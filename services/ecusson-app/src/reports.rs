//! The structures' and the network's reports: who may see which tenants, and their figures
//! (`ecusson-reports`) over a period, live from the `reports` read model or "as of" a past
//! instant by replaying the tenants' logs with the same fold. GraphQL's `report`, the CSV and
//! HTML downloads and `ecusson bench reports` all go through [`compute`].

use crate::{AppError, Ledger};
use chrono::{DateTime, Utc};
use ecusson_domain::{Role, TenantId};
use ecusson_reports::figures::{figures, Figures, Period};
use ecusson_reports::programme::{ProgrammeLine, Quarter};
use ecusson_reports::Facts;
use std::collections::BTreeSet;

/// Staff who read their structure's report.
const STRUCTURE_READERS: [Role; 3] = [Role::StructureAdmin, Role::Direction, Role::Counsellor];

/// Who asks: their tenant and roles (from their token).
#[derive(Clone, Debug)]
pub struct Reader {
    pub tenant: TenantId,
    pub roles: Vec<Role>,
}

impl Reader {
    fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// What a report is asked for.
#[derive(Clone, Debug, Default)]
pub struct ReportQuery {
    pub structure: Option<TenantId>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub as_of: Option<DateTime<Utc>>,
}

/// A computed report.
pub struct Computed {
    pub network: TenantId,
    pub tenants: BTreeSet<TenantId>,
    pub from: Option<DateTime<Utc>>,
    /// The end of the period counted (`until`, or `asOf` when earlier).
    pub until: Option<DateTime<Utc>>,
    /// A funder's view: protect the figures before showing them.
    pub protected: bool,
    pub facts: Facts,
    pub figures: Figures,
}

/// Whether `at` is the first instant of a calendar quarter (UTC).
fn is_quarter_start(at: DateTime<Utc>) -> bool {
    use chrono::{Datelike, Timelike};
    at.day() == 1
        && [1, 4, 7, 10].contains(&at.month())
        && at.num_seconds_from_midnight() == 0
        && at.nanosecond() == 0
}

/// Why a report is refused.
#[derive(Debug)]
pub enum ReportRefusal {
    Forbidden,
    NotFound,
    BadInput(&'static str),
    Internal(AppError),
}

fn internal(error: impl std::error::Error + Send + Sync + 'static) -> ReportRefusal {
    ReportRefusal::Internal(AppError::Internal(Box::new(error)))
}

/// The report `query` asks for, as `reader` may see it: a structure's staff their structure;
/// a network's administrators and funders its structures (all, with the network, or one).
pub async fn compute(
    ledger: &Ledger,
    reader: &Reader,
    query: &ReportQuery,
) -> Result<Computed, ReportRefusal> {
    let funder = reader.has(Role::Funder) && !reader.has(Role::NetworkAdmin);
    let network_wide = reader.has(Role::NetworkAdmin) || funder;
    if !network_wide && !STRUCTURE_READERS.iter().any(|role| reader.has(*role)) {
        return Err(ReportRefusal::Forbidden);
    }
    if let (Some(from), Some(until)) = (query.from, query.until) {
        if from >= until {
            return Err(ReportRefusal::BadInput("from must come before until"));
        }
    }
    // A funder's periods are whole calendar quarters: free bounds would let two overlapping
    // reports be subtracted down to a few people (see `ecusson_reports::disclosure`).
    if funder
        && [query.from, query.until, query.as_of]
            .into_iter()
            .flatten()
            .any(|at| !is_quarter_start(at))
    {
        return Err(ReportRefusal::BadInput(
            "a funder's report runs over whole calendar quarters: from, until and asOf must \
             be the first instant of a quarter (e.g. 2026-04-01T00:00:00Z)",
        ));
    }
    let store = ledger.store();
    let (network, tenants) = if network_wide {
        let network = reader.tenant;
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
            .is_some_and(|structure| structure != reader.tenant)
        {
            return Err(ReportRefusal::NotFound);
        }
        let network = crate::credentials::network_of(ledger, reader.tenant)
            .await
            .map_err(ReportRefusal::Internal)?
            .map(|(network, _)| network)
            .ok_or(ReportRefusal::NotFound)?;
        (network, BTreeSet::from([reader.tenant]))
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
pub async fn replay(
    ledger: &Ledger,
    network: TenantId,
    tenants: &BTreeSet<TenantId>,
    as_of: DateTime<Utc>,
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

/// A computed programme report.
pub struct ProgrammeComputed {
    pub network: TenantId,
    pub quarters: Vec<Quarter>,
    /// The structures of the programme, by id, with their names.
    pub structures: std::collections::BTreeMap<TenantId, String>,
    pub protected: bool,
    pub lines: Vec<ProgrammeLine>,
}

/// The programme report of the reader's network over the quarters `first` to `last`: for its
/// funders (protected figures) and its administrators. Structures' staff read their own
/// structure's report instead. `as_of` replays the logs as they stood then (for a funder, the
/// first instant of a quarter), as [`compute`] does.
pub async fn programme(
    ledger: &Ledger,
    reader: &Reader,
    first: Quarter,
    last: Quarter,
    as_of: Option<DateTime<Utc>>,
) -> Result<ProgrammeComputed, ReportRefusal> {
    let funder = reader.has(Role::Funder) && !reader.has(Role::NetworkAdmin);
    if !funder && !reader.has(Role::NetworkAdmin) {
        return Err(ReportRefusal::Forbidden);
    }
    if funder && as_of.is_some_and(|at| !is_quarter_start(at)) {
        return Err(ReportRefusal::BadInput(
            "a funder's report is as of the first instant of a quarter (e.g. 2026-04-01T00:00:00Z)",
        ));
    }
    let quarters = Quarter::span(first, last).ok_or(ReportRefusal::BadInput(
        "the programme report runs from a quarter to the same or a later one, three years at most",
    ))?;
    let network = reader.tenant;
    let mut transaction = ledger
        .store()
        .begin_read_only()
        .await
        .map_err(|error| ReportRefusal::Internal(error.into()))?;
    let structures: std::collections::BTreeMap<TenantId, String> =
        ecusson_projections::directory::structures_of_network(transaction.as_mut(), network)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|entry| (entry.structure_id, entry.name))
            .collect();
    let ids: BTreeSet<TenantId> = structures.keys().copied().collect();
    let tenants: BTreeSet<TenantId> = ids.iter().copied().chain([network]).collect();
    let facts = match as_of {
        None => ecusson_projections::reports::load_facts(transaction.as_mut(), network, &tenants)
            .await
            .map_err(internal)?,
        Some(as_of) => replay(ledger, network, &tenants, as_of)
            .await
            .map_err(ReportRefusal::Internal)?,
    };
    let lines = ecusson_reports::programme::programme(&facts, network, &ids, &quarters);
    Ok(ProgrammeComputed {
        network,
        quarters,
        structures,
        protected: funder,
        lines,
    })
}
