//! `ecusson bench append|replay|rebuild` (and `http`, in `bench_http.rs`): throughput and
//! latency of the store and the projections, printed as text or one JSON object per line.
//! Figures and commands are recorded in BENCHMARKS.md.

use crate::cli::{BenchKind, BenchOptions};
use anyhow::Context;
use ecusson_domain::*;
use ecusson_store::{
    connect_with, ActorRef, AppendRequest, DatabaseUrl, EventMetadata, EventStore, ExpectedVersion,
    FeedCursor, NewEvent, PoolSettings, StreamId,
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
            println!(
                "{}",
                serde_json::to_string(self).expect("a result serialises")
            );
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
        BenchKind::Http(options) => crate::bench_http::run(url, &options).await?,
        BenchKind::Audit(options) => crate::bench_audit::run(url, &options).await?,
        BenchKind::Reports(options) => crate::bench_reports::run(url, &options).await?,
        BenchKind::Sign(options) => {
            crate::bench_credentials::run(crate::bench_credentials::Operation::Sign, &options)?
        }
        BenchKind::Verify(options) => {
            crate::bench_credentials::run(crate::bench_credentials::Operation::Verify, &options)?
        }
    }
    Ok(())
}

async fn open(url: &DatabaseUrl, options: &BenchOptions) -> anyhow::Result<Arc<dyn EventStore>> {
    let pool = PoolSettings {
        max_connections: (options.writers as u32 + 2).max(4),
    };
    Ok(connect_with(url, pool)
        .await
        .context("opening the database")?
        .events)
}

/// A realistic event: a badge request in pair mode with two pieces of evidence, about 600
/// bytes in canonical form. Ids differ per event so that payloads are not all identical.
pub(crate) fn sample_event() -> NewEvent {
    let earner = PersonId::new();
    let evidence = |kind| Evidence {
        evidence_id: EvidenceId::new(),
        kind,
        content: VaultRef {
            person_id: earner,
            entry_id: VaultEntryId::new(),
        },
    };
    NewEvent::from_domain(&DomainEvent::BadgeRequested(events::BadgeRequested {
        request_id: RequestId::new(),
        earner_id: earner,
        badge_class_id: BadgeClassId::new(),
        revision: 1,
        mode: RequestMode::Pair {
            counsellor_id: PersonId::new(),
        },
        requested_by: PersonId::new(),
        route: ValidationRoute::Committee {
            committee_id: CommitteeId::new(),
            quorum: 3,
        },
        evidence: vec![
            evidence(EvidenceKind::Document),
            evidence(EvidenceKind::Photo),
        ],
    }))
}

fn metadata() -> EventMetadata {
    EventMetadata::new(ActorRef::System("bench".into()))
}

/// Runs `appends` appends of `batch` events from `writers` concurrent tasks over `tenants`
/// fresh tenants; returns the elapsed time and the latency histogram (microseconds).
///
/// The requests (domain events with their ids and payloads) are built before the clock starts:
/// building domain events is the command handlers' work, not the store's, and pgbench, the
/// baseline, builds nothing either. Everything the store does is timed: validation, the
/// canonical bytes, encoding, the database's work, the hash chain.
async fn append_load(
    store: Arc<dyn EventStore>,
    writers: usize,
    appends: usize,
    batch: usize,
    tenants: usize,
) -> anyhow::Result<(Duration, Histogram<u64>)> {
    let tenant_ids: Vec<TenantId> = (0..tenants.max(1)).map(|_| TenantId::new()).collect();
    let requests: Vec<_> = (0..appends)
        .map(|index| {
            let tenant = tenant_ids[index % tenant_ids.len()];
            // 50 earner streams per tenant, as a structure of 50 workers would have.
            let stream = StreamId::for_aggregate("earner", (index / tenant_ids.len()) % 50);
            std::sync::Mutex::new(Some(AppendRequest {
                tenant_id: tenant,
                stream_id: stream,
                expected: ExpectedVersion::Any,
                events: (0..batch).map(|_| sample_event()).collect(),
                metadata: metadata(),
                idempotency_key: None,
                vault_entries: Vec::new(),
                shared_unchanged: Vec::new(),
            }))
        })
        .collect();
    let requests = Arc::new(requests);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..writers.max(1) {
        let (store, requests, next) = (store.clone(), requests.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut histogram = Histogram::<u64>::new(3).expect("a valid histogram");
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(slot) = requests.get(index) else {
                    return Ok::<_, anyhow::Error>(histogram);
                };
                let request = slot
                    .lock()
                    .expect("no writer panics holding a slot")
                    .take()
                    .expect("each request is taken once");
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
    append_load(
        store.clone(),
        options.writers,
        options.writers * 10,
        batch,
        options.tenants,
    )
    .await?;
    let (elapsed, histogram) = append_load(
        store.clone(),
        options.writers,
        appends,
        batch,
        options.tenants,
    )
    .await?;
    let events = (appends * batch) as u64;
    Ok(result(
        "append",
        store.backend().to_string(),
        options,
        events,
        elapsed,
        &histogram,
    ))
}

fn result(
    bench: &'static str,
    backend: String,
    options: &BenchOptions,
    events: u64,
    elapsed: Duration,
    histogram: &Histogram<u64>,
) -> BenchResult {
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
    append_load(
        store.clone(),
        options.writers.clamp(1, 4),
        options.events.div_ceil(batch),
        batch,
        options.tenants,
    )
    .await?;
    // A reader task fetches the next page (and parses the envelopes) while this task decodes
    // the previous one into domain events, as the projection engine does.
    let (pages, mut received) =
        tokio::sync::mpsc::channel::<(Duration, Vec<ecusson_store::RecordedEvent>)>(2);
    let started = Instant::now();
    let reader = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut cursor = FeedCursor::START;
            loop {
                let begun = Instant::now();
                let page = store
                    .read_all(cursor, 5_000)
                    .await
                    .context("reading the feed")?;
                let Some(last) = page.last() else {
                    return Ok::<_, anyhow::Error>(());
                };
                cursor = last.cursor;
                if pages.send((begun.elapsed(), page)).await.is_err() {
                    return Ok(());
                }
            }
        })
    };
    let mut histogram = Histogram::<u64>::new(3).expect("a valid histogram");
    let mut events = 0u64;
    while let Some((read_time, page)) = received.recv().await {
        for event in &page {
            event.decode().with_context(|| {
                format!("decoding tenant {} seq {}", event.tenant_id, event.seq)
            })?;
        }
        events += page.len() as u64;
        histogram.record(read_time.as_micros() as u64).ok();
    }
    reader.await.context("reader panicked")??;
    let elapsed = started.elapsed();
    let options = BenchOptions {
        batch: 5_000,
        writers: 1,
        ..options.clone()
    };
    Ok(result(
        "replay",
        store.backend().to_string(),
        &options,
        events,
        elapsed,
        &histogram,
    ))
}

/// Turns one planned append of the generator into a store append.
fn store_append(planned: &ecusson_demo::PlannedAppend) -> anyhow::Result<AppendRequest> {
    Ok(AppendRequest {
        tenant_id: planned.tenant_id,
        stream_id: StreamId::parse(planned.stream_id.as_str()).context("generated stream id")?,
        expected: match planned.expected_version {
            0 => ExpectedVersion::NoStream,
            version => ExpectedVersion::Exact(version),
        },
        events: planned.events.iter().map(NewEvent::from_domain).collect(),
        metadata: EventMetadata::new(ActorRef::Person(planned.actor)),
        idempotency_key: None,
        vault_entries: Vec::new(),
        shared_unchanged: Vec::new(),
    })
}

/// Appends a generated history with `writers` concurrent writers. Each tenant goes to one
/// writer, so the order within every tenant (and so every stream) is kept.
pub(crate) async fn load_history(
    store: Arc<dyn EventStore>,
    history: impl Iterator<Item = ecusson_demo::PlannedAppend>,
    writers: usize,
) -> anyhow::Result<u64> {
    let writers = writers.max(1);
    let mut senders = Vec::new();
    let mut tasks = Vec::new();
    for _ in 0..writers {
        let (sender, mut receiver) = tokio::sync::mpsc::channel::<AppendRequest>(1_024);
        let store = store.clone();
        senders.push(sender);
        tasks.push(tokio::spawn(async move {
            while let Some(request) = receiver.recv().await {
                store
                    .append(request)
                    .await
                    .context("appending the generated history")?;
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    let mut events = 0u64;
    for planned in history {
        events += planned.events.len() as u64;
        let writer = (planned.tenant_id.as_uuid().as_u128() % writers as u128) as usize;
        if senders[writer].send(store_append(&planned)?).await.is_err() {
            break; // the writer failed: its error is reported below
        }
    }
    drop(senders);
    for task in tasks {
        task.await.context("writer panicked")??;
    }
    Ok(events)
}

/// Loads a generated history of about `--events` events over `--tenants` structures (untimed),
/// then rebuilds the three read models from zero. Run it on a fresh database: the rebuild
/// replays everything the database holds.
async fn rebuild(url: &DatabaseUrl, options: &BenchOptions) -> anyhow::Result<BenchResult> {
    use ecusson_projections::{EngineSettings, ProjectionEngine, ProjectionSelection};
    let store = open(url, options).await?;
    let start = chrono::DateTime::parse_from_rfc3339("2024-09-02T08:00:00Z")
        .expect("a valid date")
        .with_timezone(&chrono::Utc);
    let history = ecusson_demo::generate_scaled(1, start, options.tenants, options.events);
    load_history(store.clone(), history, options.writers).await?;

    let settings = EngineSettings::for_backend(store.backend());
    let engine = ProjectionEngine::new(store.clone(), settings);
    let mut histogram = Histogram::<u64>::new(3).expect("a valid histogram");
    let mut last_batch = Instant::now();
    let mut processed = 0u64;
    let started = Instant::now();
    engine
        .rebuild(ProjectionSelection::All, &mut |done, _total| {
            processed = done;
            histogram
                .record(last_batch.elapsed().as_micros() as u64)
                .ok();
            last_batch = Instant::now();
        })
        .await
        .context("rebuilding")?;
    let elapsed = started.elapsed();
    let options = BenchOptions {
        batch: settings.batch_size,
        writers: 1,
        ..options.clone()
    };
    Ok(result(
        "rebuild",
        store.backend().to_string(),
        &options,
        processed,
        elapsed,
        &histogram,
    ))
}

/// Loads the demonstration network: its history into the log, its fictional people into the
/// vault, then brings the read models up to date.
/// The demonstration network of a seed (deterministic: the same seed, the same ids).
pub fn demo_network(seed: u64) -> ecusson_demo::GeneratedNetwork {
    ecusson_demo::generate(&ecusson_demo::NetworkShape {
        seed,
        ..ecusson_demo::demo_shape()
    })
}

/// What the demonstration adds to the generated history so that its badges can be shown and
/// verified at once: the network's issuer keys, each worker's name (already in their vault)
/// recorded as their identity, and every other worker choosing to show their name, their
/// evidence and their recommendations (the others show nothing: both cases can be seen).
/// Returns the events appended.
async fn publish_demo(
    store: &Arc<dyn EventStore>,
    vault: &ecusson_store::Vault,
    network: &ecusson_demo::GeneratedNetwork,
) -> anyhow::Result<usize> {
    use ecusson_domain::{Actor, Earner, EarnerCommand, Role, VaultRef};
    let ledger = ecusson_app::Ledger::new(store.clone());
    let mut appended =
        ecusson_app::keys::activate_network_keys(&ledger, vault, network.network_tenant, false)
            .await
            .context("generating the demo network's issuer keys")?
            .len();
    let mut entries: std::collections::HashMap<_, Vec<&ecusson_demo::VaultEntry>> =
        std::collections::HashMap::new();
    for entry in &network.vault {
        entries.entry(entry.person_id).or_default().push(entry);
    }
    for structure in &network.structures {
        for (index, earner) in structure.earners.iter().enumerate() {
            let Some(mine) = entries.get(earner) else {
                continue;
            };
            // A person's first entry is their name; an address, when they have one, follows.
            let reference = |entry: &ecusson_demo::VaultEntry| VaultRef {
                person_id: entry.person_id,
                entry_id: entry.entry_id,
            };
            let name = reference(mine[0]);
            let email = mine
                .get(1)
                .filter(|entry| entry.plaintext.contains('@') && !entry.plaintext.contains(' '))
                .map(|entry| reference(entry));
            let actor = Actor {
                tenant_id: structure.tenant_id,
                person_id: *earner,
                roles: vec![Role::Earner],
            };
            let stream = ecusson_store::StreamId::parse(Earner::stream_name(*earner))?;
            let meta = ecusson_app::RequestMeta::default();
            let executed = ledger
                .execute::<Earner, _>(&actor, structure.tenant_id, &stream, &meta, |_| {
                    Ok(EarnerCommand::RecordIdentity { name, email })
                })
                .await
                .context("recording a demo worker's identity")?;
            appended += executed.events.len();
            if index % 2 == 0 {
                let state = &executed.state;
                let mut public_evidence: Vec<_> = state
                    .requests()
                    .flat_map(|(_, request)| request.evidence.iter())
                    .chain(state.awards().flat_map(|(_, award)| award.evidence.iter()))
                    .map(|piece| piece.evidence_id)
                    .collect();
                public_evidence.sort();
                public_evidence.dedup();
                let executed = ledger
                    .execute::<Earner, _>(&actor, structure.tenant_id, &stream, &meta, |_| {
                        Ok(EarnerCommand::SetPublicationConsent {
                            show_name: true,
                            show_recommendations: true,
                            public_evidence: public_evidence.clone(),
                        })
                    })
                    .await
                    .context("recording a demo worker's choices")?;
                appended += executed.events.len();
            }
        }
    }
    Ok(appended)
}

pub async fn load_demo(
    url: &DatabaseUrl,
    seed: u64,
    vault_key: ecusson_store::VaultKey,
) -> anyhow::Result<()> {
    let stores = crate::commands::open(url).await?;
    let store = stores.events.clone();
    if !store.tenants().await.context("listing tenants")?.is_empty() {
        anyhow::bail!("the database already holds events: load the demo into an empty database");
    }
    let network = demo_network(seed);
    let vault = ecusson_store::Vault::new(store.clone(), vault_key);
    for entry in &network.vault {
        vault
            .put(
                entry.tenant_id,
                entry.person_id,
                entry.entry_id,
                entry.plaintext.as_bytes(),
            )
            .await
            .context("writing the vault")?;
    }
    let events = load_history(store.clone(), network.appends.clone().into_iter(), 1).await?;
    let added = publish_demo(&store, &vault, &network).await?;
    let engine = ecusson_projections::ProjectionEngine::new(
        store.clone(),
        ecusson_projections::EngineSettings::for_backend(store.backend()),
    );
    engine
        .catch_up(ecusson_projections::ProjectionSelection::All)
        .await
        .context("updating the read models")?;
    println!(
        "demo network loaded: {} events, {} vault entries; issuer keys generated (the server \
         issues each award's signed credential)",
        events + added as u64,
        network.vault.len()
    );
    println!("network tenant: {}", network.network_tenant);
    for structure in &network.structures {
        println!(
            "structure tenant: {} {} ({:?})",
            structure.tenant_id, structure.name, structure.kind
        );
    }
    for status in engine.status().await.context("reading projection status")? {
        println!(
            "projection {}: {} events applied, {} behind",
            status.projection, status.checkpoint.events_processed, status.events_behind
        );
    }
    for tenant in store.tenants().await.context("listing tenants")? {
        let report = ecusson_store::verify_log(store.as_ref(), tenant)
            .await
            .context("verifying the log")?;
        anyhow::ensure!(
            report.is_intact(),
            "tenant {tenant}: the log does not verify: {:?}",
            report.violation
        );
        println!(
            "tenant {tenant}: {} events, hash chain intact",
            report.events_checked
        );
    }
    Ok(())
}
