//! `ecusson bench reports`: report latency at scale. A generated network history of
//! `--events` events over `--tenants` structures (the demo's engine, scaled), the `reports`
//! read model rebuilt, then the network-wide report computed live `--runs` times (p50, p99)
//! and once "as of" the end of the history by replaying every log.

use crate::cli::ReportBenchOptions;
use anyhow::Context;
use ecusson_app::reports::{compute, Reader, ReportQuery};
use ecusson_app::Ledger;
use ecusson_domain::Role;
use ecusson_projections::{EngineSettings, ProjectionEngine, ProjectionSelection};
use ecusson_store::{connect, DatabaseUrl};
use hdrhistogram::Histogram;
use std::time::Instant;

pub async fn run(url: &DatabaseUrl, options: &ReportBenchOptions) -> anyhow::Result<()> {
    let stores = connect(url).await.context("opening the database")?;
    let store = stores.events.clone();
    let start = chrono::DateTime::parse_from_rfc3339("2024-09-02T08:00:00Z")
        .expect("a valid date")
        .with_timezone(&chrono::Utc);
    let history = ecusson_demo::generate_scaled(7, start, options.tenants, options.events);
    let network = history.network_tenant();
    let started = Instant::now();
    let events = crate::bench::load_history(store.clone(), history, 4).await?;
    println!(
        "load: {events} events appended in {:.1}s (untimed setup)",
        started.elapsed().as_secs_f64()
    );
    let engine = ProjectionEngine::new(store.clone(), EngineSettings::for_backend(stores.backend));
    let started = Instant::now();
    engine
        .rebuild(ProjectionSelection::All, &mut |_, _| {})
        .await
        .context("rebuilding the read models")?;
    println!(
        "read models rebuilt in {:.1}s (untimed setup)",
        started.elapsed().as_secs_f64()
    );
    let ledger = Ledger::new(store.clone());
    let reader = Reader {
        tenant: network,
        roles: vec![Role::NetworkAdmin],
    };
    let mut histogram = Histogram::<u64>::new(3)?;
    let mut awards = 0;
    let mut facts = 0;
    for _ in 0..options.runs.max(1) {
        let asked = Instant::now();
        let report = compute(&ledger, &reader, &ReportQuery::default())
            .await
            .map_err(|refusal| anyhow::anyhow!("{refusal:?}"))?;
        histogram.record(asked.elapsed().as_micros() as u64)?;
        awards = report.figures.awards_total;
        facts =
            report.facts.requests.len() + report.facts.awards.len() + report.facts.earners.len();
    }
    println!(
        "live network report ({} structures, {facts} facts, {awards} awards): p50 {:.1} ms, p99 {:.1} ms over {} runs",
        options.tenants,
        histogram.value_at_quantile(0.5) as f64 / 1_000.0,
        histogram.value_at_quantile(0.99) as f64 / 1_000.0,
        options.runs.max(1)
    );
    let asked = Instant::now();
    let replayed = compute(
        &ledger,
        &reader,
        &ReportQuery {
            as_of: Some(chrono::Utc::now() + chrono::Duration::days(3_650)),
            ..ReportQuery::default()
        },
    )
    .await
    .map_err(|refusal| anyhow::anyhow!("{refusal:?}"))?;
    let seconds = asked.elapsed().as_secs_f64();
    anyhow::ensure!(
        replayed.figures.awards_total == awards,
        "the replay disagrees with the read model"
    );
    println!(
        "as-of report replaying {events} events: {seconds:.1}s = {:.0} events/s (figures equal to the live report's)",
        events as f64 / seconds
    );
    Ok(())
}
