//! `ecusson bench audit`: the verifiable audit trail at scale, on one tenant of `--events`
//! events (a million by default): the sealing rate, inclusion and consistency proof times from
//! the stored tree, the export and the offline `audit verify` rate of the tenant's bundle, and
//! `verify-log` over the sealed log.

use crate::cli::AuditBenchOptions;
use anyhow::Context;
use ecusson_app::audit::{self, SealOutcome, SealPolicy};
use ecusson_app::credentials::PublicSite;
use ecusson_app::{Ledger, RequestMeta};
use ecusson_audit::{verify_inclusion, TreeHead};
use ecusson_domain::network::NetworkCommand;
use ecusson_domain::{Actor, Network, PersonId, Role, TenantId};
use ecusson_store::{
    connect, AppendRequest, DatabaseUrl, EventMetadata, ExpectedVersion, StreamId, Vault, VaultKey,
};
use hdrhistogram::Histogram;
use rand::Rng;
use std::time::Instant;

pub async fn run(url: &DatabaseUrl, options: &AuditBenchOptions) -> anyhow::Result<()> {
    let stores = connect(url).await.context("opening the database")?;
    let store = stores.events.clone();
    let ledger = Ledger::new(store.clone());
    // A throwaway installation key: the bench's checkpoints are signed by a key nobody keeps.
    let vault = Vault::new(store.clone(), VaultKey::generate());
    let site = PublicSite::new("https://bench.ecusson.example")?;
    let tenant = TenantId::new();
    ledger
        .execute::<Network, _>(
            &Actor {
                tenant_id: tenant,
                person_id: PersonId::new(),
                roles: vec![Role::NetworkAdmin],
            },
            tenant,
            &StreamId::parse(Network::stream_name())?,
            &RequestMeta::default(),
            |_| {
                Ok(NetworkCommand::RegisterNetwork {
                    network_id: tenant,
                    name: "Réseau du banc d'essai".to_owned(),
                })
            },
        )
        .await
        .context("registering the bench's network")?;
    let events = options.events.max(2);
    let batch = options.batch.max(1);
    let started = Instant::now();
    let mut loaded = 1u64;
    let mut stream = 0usize;
    while loaded < events {
        let count = (events - loaded).min(batch as u64) as usize;
        store
            .append(AppendRequest {
                tenant_id: tenant,
                // 50 earner streams, as a structure of 50 workers would have.
                stream_id: StreamId::for_aggregate("earner", stream % 50),
                expected: ExpectedVersion::Any,
                events: (0..count).map(|_| crate::bench::sample_event()).collect(),
                metadata: EventMetadata::new(ecusson_store::ActorRef::System("bench".into())),
                idempotency_key: None,
                vault_entries: Vec::new(),
                shared_unchanged: Vec::new(),
            })
            .await
            .context("loading the log")?;
        loaded += count as u64;
        stream += 1;
    }
    let load_seconds = started.elapsed().as_secs_f64();
    print(
        options.json,
        "load",
        &format!(
            "{events} events appended in {load_seconds:.1}s (untimed setup, batches of {batch})"
        ),
        serde_json::json!({"events": events, "seconds": load_seconds}),
    );

    // Sealing, in seals of `--seal-batch` events, as the sealer does.
    let policy = SealPolicy {
        max_events: options.seal_batch.max(1),
        ..SealPolicy::default()
    };
    let started = Instant::now();
    let mut seals = 0u64;
    loop {
        match audit::seal_tenant(&ledger, &vault, &site, tenant, policy, true).await? {
            SealOutcome::Sealed { .. } => seals += 1,
            SealOutcome::UpToDate { .. } => break,
            other => anyhow::bail!("unexpected seal outcome {other:?}"),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    print(
        options.json,
        "seal",
        &format!(
            "{events} events sealed in {seals} checkpoints in {seconds:.2}s = {:.0} events/s",
            events as f64 / seconds
        ),
        serde_json::json!({"events": events, "checkpoints": seals, "seconds": seconds, "events_per_sec": events as f64 / seconds}),
    );

    // Inclusion proofs of random events in the latest checkpoint, one after the other.
    let latest = ecusson_store::audit::latest_checkpoint(store.as_ref(), tenant)
        .await?
        .context("a checkpoint")?;
    let head = TreeHead {
        size: latest.tree_size,
        root: latest.root,
    };
    let mut histogram = Histogram::<u64>::new(3)?;
    let mut rng = rand::thread_rng();
    let started = Instant::now();
    for _ in 0..options.proofs {
        let seq = rng.gen_range(1..=events);
        let asked = Instant::now();
        let proof = audit::inclusion_proof(store.as_ref(), tenant, seq, None)
            .await
            .map_err(|refusal| anyhow::anyhow!("{refusal}"))?;
        histogram.record(asked.elapsed().as_micros() as u64)?;
        verify_inclusion(&proof.leaf_hash, seq - 1, &proof.hashes, &head)
            .context("a proof that does not verify")?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let (p50, p99) = (
        histogram.value_at_quantile(0.5) as f64 / 1_000.0,
        histogram.value_at_quantile(0.99) as f64 / 1_000.0,
    );
    print(
        options.json,
        "inclusion_proof",
        &format!(
            "{} inclusion proofs at {events} events (one connection, each verified): p50 {p50:.3} ms, p99 {p99:.3} ms, {:.0} proofs/s",
            options.proofs,
            options.proofs as f64 / seconds
        ),
        serde_json::json!({"proofs": options.proofs, "tree_size": events, "p50_ms": p50, "p99_ms": p99}),
    );
    let first = ecusson_store::audit::checkpoints(store.as_ref(), tenant, 0, events, 1)
        .await?
        .first()
        .map(|checkpoint| checkpoint.tree_size)
        .context("a first checkpoint")?;
    let asked = Instant::now();
    let consistency = audit::consistency_proof(store.as_ref(), tenant, first, None)
        .await
        .map_err(|refusal| anyhow::anyhow!("{refusal}"))?;
    print(
        options.json,
        "consistency_proof",
        &format!(
            "consistency proof {first} -> {events}: {} hashes in {:.3} ms",
            consistency.hashes.len(),
            asked.elapsed().as_secs_f64() * 1_000.0
        ),
        serde_json::json!({"from": first, "to": events, "ms": asked.elapsed().as_secs_f64() * 1_000.0}),
    );

    // The bundle: export, then the offline check.
    let path = std::env::temp_dir().join(format!("ecusson-bench-{tenant}.jsonl"));
    let started = Instant::now();
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
        audit::export_bundle(&ledger, &vault, tenant, None, &mut out).await?;
    }
    let export_seconds = started.elapsed().as_secs_f64();
    let size = std::fs::metadata(&path)?.len();
    let started = Instant::now();
    let report = audit::verify_bundle(
        std::io::BufReader::new(std::fs::File::open(&path)?),
        Some(&audit::verifier(&vault, tenant)),
    );
    let verify_seconds = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&path);
    anyhow::ensure!(
        report.is_valid(),
        "the bench's bundle does not verify: {report:?}"
    );
    print(
        options.json,
        "bundle",
        &format!(
            "export {events} events ({:.0} MB) in {export_seconds:.1}s = {:.0} events/s; audit verify in {verify_seconds:.1}s = {:.0} events/s (one thread)",
            size as f64 / 1e6,
            events as f64 / export_seconds,
            events as f64 / verify_seconds
        ),
        serde_json::json!({"events": events, "bytes": size, "export_seconds": export_seconds, "verify_seconds": verify_seconds, "verify_events_per_sec": events as f64 / verify_seconds}),
    );

    let started = Instant::now();
    let checked = ecusson_store::verify_log(store.as_ref(), tenant).await?;
    anyhow::ensure!(checked.is_intact(), "{checked:?}");
    let seconds = started.elapsed().as_secs_f64();
    print(
        options.json,
        "verify_log",
        &format!(
            "verify-log over {events} sealed events in {seconds:.1}s = {:.0} events/s",
            events as f64 / seconds
        ),
        serde_json::json!({"events": events, "seconds": seconds}),
    );
    Ok(())
}

fn print(json: bool, step: &str, text: &str, value: serde_json::Value) {
    if json {
        let mut value = value;
        value["step"] = serde_json::json!(step);
        println!("{value}");
    } else {
        println!("{step}: {text}");
    }
}
