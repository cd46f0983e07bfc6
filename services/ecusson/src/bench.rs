//! `ecusson bench append|replay|rebuild`: throughput and latency of the store and the
//! projections, printed as text or one JSON object per line. Figures and commands are
//! recorded in BENCHMARKS.md.

use crate::cli::{BenchKind, BenchOptions};
use anyhow::Context;
use ecusson_domain::*;
use ecusson_store::{
    connect_with, ActorRef, AppendRequest, DatabaseUrl, EventMetadata, EventStore, ExpectedVersion, FeedCursor, NewEvent, PoolSettings, StreamId,
};
use hdrhistogram::Histogram;
use serde::Serialize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Serialize)]
struct BenchResult {
    bench: &'static str,
    backend: String,
    writers: usize,
    batch: usize,
    tenants: usize,
    events: u64,
    seconds: f64,
    events_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
}

impl BenchResult {
    fn print(&self, json: bool) {
        if json {
            println!("{}", serde_json::to_string(self).expect("a result serialises"));
        } else {
            println!(
                "{} on {}: {} events in {:.2}s = {:.0} events/s (writers {}, batch {}, tenants {}); latency p50 {:.3} ms, p99 {:.3} ms",
                self.bench, self.backend, self.events, self.seconds, self.events_per_sec, self.writers, self.batch, self.tenants, self.p50_ms, self.p99_ms
            );
        }
    }
}

pub async fn run(url: &DatabaseUrl, bench: BenchKind) -> anyhow::Result<()> {
    match bench {
        BenchKind::Append(options) => append(url, &options).await?.print(options.json),
        BenchKind::Replay(options) => replay(url, &options).await?.print(options.json),
        BenchKind::Rebuild(options) => rebuild(url, &options).await?.print(options.json),
    }
    Ok(())
}

async fn open(url: &DatabaseUrl, options: &BenchOptions) -> anyhow::Result<Arc<dyn EventStore>> {
    let pool = PoolSettings { max_connections: (options.writers as u32 + 2).max(4) };
    Ok(connect_with(url, pool).await.context("opening the database")?.events)
}

/// A realistic event: a badge request in pair mode with two pieces of evidence, about 600
/// bytes in canonical form. Ids differ per event so that payloads are not all identical.
fn sample_event() -> NewEvent {
    let earner = PersonId::new();
    let evidence = |kind| Evidence { evidence_id: EvidenceId::new(), kind, content: VaultRef { person_id: earner, entry_id: VaultEntryId::new() } };
    NewEvent::from_domain(&DomainEvent::BadgeRequested(events::BadgeRequested {
        request_id: RequestId::new(),
        earner_id: earner,
        badge_class_id: BadgeClassId::new(),
        revision: 1,
        mode: RequestMode::Pair { counsellor_id: PersonId::new() },
        requested_by: PersonId::new(),
        route: ValidationRoute::Committee { committee_id: CommitteeId::new(), quorum: 3 },
        evidence: vec![evidence(EvidenceKind::Document), evidence(EvidenceKind::Photo)],
    }))
}

fn metadata() -> EventMetadata {
    EventMetadata::new(ActorRef::System("bench".into()))
}

/// Runs `appends` appends of `batch` events from `writers` concurrent tasks over `tenants`
/// fresh tenants; returns the elapsed time and the latency histogram (microseconds).
async fn append_load(store: Arc<dyn EventStore>, writers: usize, appends: usize, batch: usize, tenants: usize) -> anyhow::Result<(Duration, Histogram<u64>)> {
    let tenant_ids: Arc<Vec<TenantId>> = Arc::new((0..tenants.max(1)).map(|_| TenantId::new()).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..writers.max(1) {
        let (store, tenant_ids, next) = (store.clone(), tenant_ids.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut histogram = Histogram::<u64>::new(3).expect("a valid histogram");
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= appends {
                    return Ok::<_, anyhow::Error>(histogram);
                }
                let tenant = tenant_ids[index % tenant_ids.len()];
                // 50 earner streams per tenant, as a structure of 50 workers would have.
                let stream = StreamId::for_aggregate("earner", (index / tenant_ids.len()) % 50);
                let events = (0..batch).map(|_| sample_event()).collect();
                let request = AppendRequest { tenant_id: tenant, stream_id: stream, expected: ExpectedVersion::Any, events, metadata: metadata(), idempotency_key: None };
                let begun = Instant::now();
                store.append(request).await.context("append")?;
                histogram.record(begun.elapsed().as_micros() as u64).ok();
            }
        }));
    }
    let mut histogram = Histogram::<u64>::new(3).expect("a valid histogram");
    for task in tasks {
        histogram.add(task.await.context("writer panicked")??).ok();
    }
    Ok((started.elapsed(), histogram))
}

async fn append(url: &DatabaseUrl, options: &BenchOptions) -> anyhow::Result<BenchResult> {
    let store = open(url, options).await?;
    let batch = options.batch.max(1);
    let appends = options.events.div_ceil(batch);
    // Warm the pool and the caches, untimed.
    append_load(store.clone(), options.writers, options.writers * 10, batch, options.tenants).await?;
    let (elapsed, histogram) = append_load(store.clone(), options.writers, appends, batch, options.tenants).await?;
    let events = (appends * batch) as u64;
    Ok(result("append", store.backend().to_string(), options, events, elapsed, &histogram))
}

fn result(bench: &'static str, backend: String, options: &BenchOptions, events: u64, elapsed: Duration, histogram: &Histogram<u64>) -> BenchResult {
    BenchResult {
        bench,
        backend,
        writers: options.writers,
        batch: options.batch,
        tenants: options.tenants,
        events,
        seconds: elapsed.as_secs_f64(),
        events_per_sec: events as f64 / elapsed.as_secs_f64(),
        p50_ms: histogram.value_at_quantile(0.50) as f64 / 1_000.0,
        p99_ms: histogram.value_at_quantile(0.99) as f64 / 1_000.0,
    }
}

/// Loads `--events` events (batches of 1,000, untimed), then reads the whole feed from the
/// start in pages of 5,000, decoding every event into its domain type. Run it on a fresh
/// database: it reads everything the database holds.
async fn replay(url: &DatabaseUrl, options: &BenchOptions) -> anyhow::Result<BenchResult> {
    let store = open(url, options).await?;
    let batch = 1_000;
    append_load(store.clone(), options.writers.clamp(1, 4), options.events.div_ceil(batch), batch, options.tenants).await?;
    let mut histogram = Histogram::<u64>::new(3).expect("a valid histogram");
    let mut cursor = FeedCursor::START;
    let mut events = 0u64;
    let started = Instant::now();
    loop {
        let begun = Instant::now();
        let page = store.read_all(cursor, 5_000).await.context("reading the feed")?;
        let Some(last) = page.last() else { break };
        cursor = last.cursor;
        for event in &page {
            event.decode().with_context(|| format!("decoding tenant {} seq {}", event.tenant_id, event.seq))?;
        }
        events += page.len() as u64;
        histogram.record(begun.elapsed().as_micros() as u64).ok();
    }
    let elapsed = started.elapsed();
    let options = BenchOptions { batch: 5_000, writers: 1, ..options.clone() };
    Ok(result("replay", store.backend().to_string(), &options, events, elapsed, &histogram))
}

async fn rebuild(_url: &DatabaseUrl, _options: &BenchOptions) -> anyhow::Result<BenchResult> {
    anyhow::bail!("rebuild bench: wired once the workload generator lands")
}

pub async fn load_demo(_url: &DatabaseUrl, _seed: u64) -> anyhow::Result<()> {
    anyhow::bail!("demo: wired once the workload generator lands")
}
