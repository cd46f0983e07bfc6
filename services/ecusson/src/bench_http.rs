//! `ecusson bench http`: the GraphQL API over real HTTP, in-process, with the projections
//! running, driven by `--connections` keep-alive HTTP/1.1 connections, and the store's own
//! single-event append rate measured in the same run on the same pool, for comparison.
//!
//! What runs, in order (the database must be empty):
//!
//! 1. Preparation, untimed, through the log directly (not the API): a generated network
//!    (`ecusson_demo::generate`, 3 × `--tenants` structures, one in three validating
//!    systematically, `--earners` workers with their whole histories: requests, evidence,
//!    decisions, committee votes, awards, recommendations, exits), loaded with 4 writers; then,
//!    through `Ledger::execute` (the use case the API runs), fresh workers enrolled in each
//!    systematic structure, each with their identity recorded (a name sealed in their vault, as
//!    `recordWorkerIdentity` does after `enrolWorker`), so that every `requestBadge` of the
//!    run has its own worker and badge class (a worker has at most one pending request per
//!    class) and a worker whose vault key exists; then the read models are caught up. The
//!    identities are sealed by the vault the server then uses, as one `ecusson serve` would.
//! 2. The server (`ecusson_api::bind`, as `ecusson serve` builds it) on 127.0.0.1:0 with the
//!    projection runners, on the pool `ecusson serve` opens (`PoolSettings::default()`).
//! 3. Each mix for `--seconds`: the clock starts once every connection has made 3 requests.
//!    The client runs on a Tokio runtime of its own (threads `bench-client`), so that its CPU
//!    time is counted apart from the server's.
//! 4. The server and the runners stop; the store's append run: `--connections` writers append
//!    one event at a time (the `bench append` event) over `--tenants` fresh tenants, for
//!    `--seconds`, on a new pool of the same settings. (After the server, so that the projections never read
//!    these events, which belong to no worker.)
//!
//! A request counts as an error when the HTTP status is not 200, the answer has `errors`, or
//! the answer is not the expected one (a PENDING request; the earner's history); latencies and
//! rates are of the successful requests only.

use crate::cli::{HttpBenchOptions, HttpMix};
use anyhow::Context;
use ecusson_api::auth::{mint_dev_token, AuthSettings, Authenticator, DevSecret};
use ecusson_api::{serve_on, ApiContext, ServerState};
use ecusson_app::{Ledger, RequestMeta};
use ecusson_demo::{GeneratedNetwork, NetworkShape, ValidationPolicy};
use ecusson_domain::*;
use ecusson_projections::{EngineSettings, ProjectionEngine, ProjectionSelection};
use ecusson_store::{
    ActorRef, AppendRequest, DatabaseUrl, EventMetadata, EventStore, ExpectedVersion, StreamId,
    Vault, VaultKey,
};
use futures::StreamExt as _;
use hdrhistogram::Histogram;
use http_body_util::Full;
use hyper::body::Bytes;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The mutation of the request-badge mix: a counsellor requests a badge for a worker of the
/// structure, in PAIR mode, with one piece of evidence (written to the worker's vault).
pub const REQUEST_BADGE: &str = "mutation RequestBadge($input: RequestBadgeInput!) { requestBadge(input: $input) { request { requestId state route } outcome { position { lastSequence } } } }";

/// The query of the badge-history mix: a worker's record with the first page (20 entries) of
/// their badge history, read by a member of the structure's staff.
pub const BADGE_HISTORY: &str = "query BadgeHistory($earner: ID!) { earner(earnerId: $earner) { earnerId history(first: 20) { edges { cursor node { sequence eventType requestId awardId recordedAt summary } } pageInfo { hasNextPage endCursor } } } }";

/// The query of the `viewer` mix (diagnostic: no database access at all).
pub const VIEWER: &str = "query Viewer { viewer { personId tenantId roles } }";

/// Requests prepared per second of `--seconds` for the request-badge mix (each needs its own
/// worker and class). A run faster than this stops early and says so (`exhausted`).
const PLANNED_REQUESTS_PER_SECOND: u64 = 5_000;

/// Requests each connection makes before the clock starts (connections open, caches warm).
const WARM_UP_PER_CONNECTION: usize = 3;

/// The targets of the issue, on the 2-core machine with PostgreSQL.
const REQUEST_BADGE_MIN_RATIO: f64 = 0.5;
const REQUEST_BADGE_MAX_P99_MS: f64 = 25.0;
const BADGE_HISTORY_MIN_RATE: f64 = 8_000.0;
const BADGE_HISTORY_MAX_P99_MS: f64 = 10.0;

/// The figures of one mix.
#[derive(Serialize, Debug)]
pub struct MixResult {
    bench: &'static str,
    mix: &'static str,
    backend: String,
    connections: usize,
    seconds: f64,
    /// Successful requests in the measured window.
    requests: u64,
    errors: u64,
    requests_per_sec: f64,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    /// The prepared requests ran out before `--seconds` (the window is shorter).
    exhausted: bool,
    /// Badge-history mix: the mean number of history entries per answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    entries_per_answer: Option<f64>,
    /// The first distinct error messages.
    first_errors: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cpu: Option<CpuSplit>,
}

/// The store's single-event append run of the same process.
#[derive(Serialize, Debug)]
pub struct StoreResult {
    bench: &'static str,
    backend: String,
    writers: usize,
    pool_connections: u32,
    tenants: usize,
    events: u64,
    seconds: f64,
    events_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    cpu: Option<CpuSplit>,
}

/// Where the machine's CPU went during a measured window (Linux, from /proc), in CPU-seconds
/// per second of the window (2.0 = both cores of a 2-core machine busy all the time).
#[derive(Serialize, Debug, Clone, Copy)]
pub struct CpuSplit {
    /// The benchmark client's threads (`bench-client`).
    client: f64,
    /// The rest of this process: the HTTP server, GraphQL, the use cases, the store's client
    /// side, the projection runners (or, in the store's run, the writers).
    server: f64,
    /// Everything else on the machine: in practice the database server (PostgreSQL).
    other: f64,
    /// Idle (and waiting for I/O).
    idle: f64,
}

/// The targets and whether the run met them.
#[derive(Serialize, Debug)]
pub struct Verdict {
    bench: &'static str,
    store_append_events_per_sec: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_badge_per_sec: Option<f64>,
    /// requestBadge per second over store appends per second (target ≥ 0.5).
    #[serde(skip_serializing_if = "Option::is_none")]
    request_badge_ratio: Option<f64>,
    /// The store's appends grouped as commands' are (group commit).
    store_grouped_append_events_per_sec: f64,
    /// requestBadge per second over grouped store appends per second (no target).
    #[serde(skip_serializing_if = "Option::is_none")]
    request_badge_ratio_to_grouped: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_badge_target_met: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    badge_history_target_met: Option<bool>,
}

pub async fn run(url: &DatabaseUrl, options: &HttpBenchOptions) -> anyhow::Result<()> {
    anyhow::ensure!(options.connections >= 1, "--connections is at least 1");
    anyhow::ensure!(options.seconds >= 1, "--seconds is at least 1");
    anyhow::ensure!(options.tenants >= 1, "--tenants is at least 1");
    let duration = Duration::from_secs(options.seconds);
    let pool = ecusson_store::PoolSettings::default();
    let stores = ecusson_store::connect_with(url, pool)
        .await
        .context("opening the database")?;
    let store = stores.events.clone();
    anyhow::ensure!(
        store.tenants().await.context("listing tenants")?.is_empty(),
        "the database already holds events: run the benchmark on an empty database"
    );
    let backend = store.backend().to_string();
    let secret = DevSecret::generate();
    let vault_key = VaultKey::generate();

    // 1. Preparation.
    let prepared = Instant::now();
    let network = generate_network(options);
    let events = crate::bench::load_history(store.clone(), network.appends.clone().into_iter(), 4)
        .await
        .context("loading the generated network")?;
    let ledger = Ledger::new(store.clone());
    let vault = Vault::new(store.clone(), vault_key);
    let wants_requests = matches!(options.mix, HttpMix::RequestBadge | HttpMix::Both);
    let wants_history = matches!(options.mix, HttpMix::BadgeHistory | HttpMix::Both);
    let requests = if wants_requests {
        prepare_requests(&ledger, &vault, &network, &secret, options).await?
    } else {
        Workload::default()
    };
    let histories = if wants_history {
        prepare_histories(&network, &secret)?
    } else {
        Workload::default()
    };
    let viewers = if options.mix == HttpMix::Viewer {
        prepare_viewers(&network, &secret)?
    } else {
        Workload::default()
    };
    let engine = ProjectionEngine::new(store.clone(), EngineSettings::for_backend(store.backend()));
    engine
        .catch_up(ProjectionSelection::All)
        .await
        .context("bringing the read models up to date")?;
    eprintln!(
        "prepared in {:.1}s: {events} generated events ({} workers with histories), {} requests \
         ready over {} systematic structures, {} workers to read",
        prepared.elapsed().as_secs_f64(),
        options.earners,
        requests.items.len(),
        requests.tokens.len(),
        histories.items.len(),
    );

    // 2. The server, as `ecusson serve` builds it, and the projection runners.
    let wake = Arc::new(tokio::sync::Notify::new());
    let (stop_runners, stopped) = tokio::sync::watch::channel(false);
    let runner = (!options.no_projections).then(|| engine.spawn(wake.clone(), stopped));
    let authenticator = Authenticator::new(AuthSettings::development(secret.clone()))
        .await
        .context("development authentication")?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("binding the server")?;
    let address = listener.local_addr().context("the server's address")?;
    let state = ServerState::new(
        ApiContext {
            ledger: ledger.clone(),
            engine: engine.clone(),
            wake,
            vault,
            site: ecusson_app::credentials::PublicSite::new(&format!("http://{address}"))?,
        },
        authenticator,
    );
    let (server, address) = serve_on(state, listener).context("serving")?;
    let handle = server.handle();
    let served = tokio::spawn(server);
    let endpoint = format!("http://{address}/graphql");

    // 3. The mixes.
    let mut results = Vec::new();
    let client_cpus = options.client_cpus.clone();
    if wants_requests {
        let outcome = drive(
            endpoint.clone(),
            requests,
            Check::RequestBadge,
            options.connections,
            duration,
            client_cpus.clone(),
        )
        .await?;
        results.push(outcome.result("request-badge", &backend, options.connections));
        // The history mix reads read models that the requests just grew: let them catch up.
        if options.no_projections {
            engine
                .catch_up(ProjectionSelection::All)
                .await
                .context("bringing the read models up to date")?;
        } else {
            wait_for_projections(&engine).await?;
        }
    }
    if wants_history {
        let outcome = drive(
            endpoint.clone(),
            histories,
            Check::BadgeHistory,
            options.connections,
            duration,
            client_cpus.clone(),
        )
        .await?;
        results.push(outcome.result("badge-history", &backend, options.connections));
    }
    if options.mix == HttpMix::Viewer {
        let outcome = drive(
            endpoint.clone(),
            viewers,
            Check::Viewer,
            options.connections,
            duration,
            options.client_cpus.clone(),
        )
        .await?;
        results.push(outcome.result("viewer", &backend, options.connections));
    }

    handle.stop(true).await;
    served
        .await
        .context("the server task")?
        .context("the server")?;
    let _ = stop_runners.send(true);
    if let Some(runner) = runner {
        runner
            .await
            .context("the projection runner panicked")?
            .context("the projection runner failed")?;
    }

    // 4. The store's own single-event append rate, same pool settings, same process. A pool of
    // its own: the server's pool holds connections opened on the runtimes of actix's workers,
    // which are gone now that the server has stopped.
    let fresh = ecusson_store::connect_with(url, pool)
        .await
        .context("opening the database again")?
        .events;
    let store_result = store_append_run(
        fresh.clone(),
        &backend,
        options.connections,
        options.tenants,
        pool.max_connections,
        duration,
        false,
    )
    .await?;
    // 5. The same appends grouped (`append_grouped`, what commands use): the store's rate with
    // group commit, for comparison; the target names the first figure.
    let grouped_result = store_append_run(
        fresh,
        &backend,
        options.connections,
        options.tenants,
        pool.max_connections,
        duration,
        true,
    )
    .await?;

    let request_rate = results
        .iter()
        .find(|result| result.mix == "request-badge")
        .map(|result| result.requests_per_sec);
    let verdict = Verdict {
        bench: "http-targets",
        store_append_events_per_sec: store_result.events_per_sec,
        request_badge_per_sec: request_rate,
        request_badge_ratio: request_rate.map(|rate| rate / store_result.events_per_sec),
        store_grouped_append_events_per_sec: grouped_result.events_per_sec,
        request_badge_ratio_to_grouped: request_rate
            .map(|rate| rate / grouped_result.events_per_sec),
        request_badge_target_met: results
            .iter()
            .find(|result| result.mix == "request-badge")
            .map(|result| {
                result.errors == 0
                    && result.requests_per_sec
                        >= REQUEST_BADGE_MIN_RATIO * store_result.events_per_sec
                    && result.p99_ms < REQUEST_BADGE_MAX_P99_MS
            }),
        badge_history_target_met: results
            .iter()
            .find(|result| result.mix == "badge-history")
            .map(|result| {
                result.errors == 0
                    && result.requests_per_sec >= BADGE_HISTORY_MIN_RATE
                    && result.p99_ms < BADGE_HISTORY_MAX_P99_MS
            }),
    };
    print_all(
        &results,
        &[&store_result, &grouped_result],
        &verdict,
        options.json,
    );
    Ok(())
}

/// The network: 3 × `--tenants` structures (policies cycle: systematic, own committee, pooled
/// committee), `--earners` workers over 21 months, no vault plaintexts (the mixes read none).
fn generate_network(options: &HttpBenchOptions) -> GeneratedNetwork {
    ecusson_demo::generate(&NetworkShape {
        seed: 2026,
        structures: options.tenants * 3,
        earners_per_structure: 1,
        earners_total: Some(options.earners.max(1)),
        supporters: 0,
        with_vault: false,
        ..ecusson_demo::demo_shape()
    })
}

/// Prepared requests: bodies (JSON) and the index of the bearer token each is sent with.
#[derive(Default)]
struct Workload {
    /// The `Authorization` header of each caller (`Bearer <development token>`).
    tokens: Vec<hyper::header::HeaderValue>,
    /// (the index of the item's token, the request's JSON body).
    items: Vec<(usize, Bytes)>,
    /// Items are used round-robin (reads) instead of once each (writes).
    cyclic: bool,
}

/// A supporting staff member of a structure (a counsellor when there is one).
fn support_member(
    structure: &ecusson_demo::GeneratedStructure,
) -> Option<&ecusson_demo::StaffMember> {
    const SUPPORT: [Role; 4] = [
        Role::StructureAdmin,
        Role::Direction,
        Role::Counsellor,
        Role::TechnicalSupervisor,
    ];
    structure
        .staff
        .iter()
        .find(|member| member.roles.contains(&Role::Counsellor))
        .or_else(|| {
            structure
                .staff
                .iter()
                .find(|member| member.roles.iter().any(|role| SUPPORT.contains(role)))
        })
}

fn token(
    secret: &DevSecret,
    tenant: TenantId,
    roles: &[Role],
    person: PersonId,
) -> anyhow::Result<hyper::header::HeaderValue> {
    let token = mint_dev_token(
        secret,
        AuthSettings::DEFAULT_ISSUER,
        AuthSettings::DEFAULT_AUDIENCE,
        tenant,
        roles,
        person,
        chrono::Duration::hours(2),
    )
    .context("minting a development token")?;
    hyper::header::HeaderValue::try_from(format!("Bearer {token}"))
        .context("a token that is not a header value")
}

/// Enrols fresh workers in each systematic structure and records their identity (through the
/// ledger, as `enrolWorker` and `recordWorkerIdentity` would, with 16 workers at a time), and
/// builds one `requestBadge` per (worker, class):
/// class-major and structure-minor, so that requests in flight together are for different
/// workers and spread over the structures.
async fn prepare_requests(
    ledger: &Ledger,
    vault: &Vault,
    network: &GeneratedNetwork,
    secret: &DevSecret,
    options: &HttpBenchOptions,
) -> anyhow::Result<Workload> {
    struct Site {
        tenant: TenantId,
        counsellor: PersonId,
        classes: Vec<BadgeClassId>,
        workers: Vec<PersonId>,
    }
    let automatic: Vec<BadgeClassId> = network
        .catalogue
        .iter()
        .filter(|class| class.automatic_validation)
        .map(|class| class.badge_class_id)
        .collect();
    let mut sites = Vec::new();
    for structure in &network.structures {
        if structure.validation != ValidationPolicy::Systematic {
            continue;
        }
        let Some(counsellor) = structure
            .staff
            .iter()
            .find(|member| member.roles.contains(&Role::Counsellor))
        else {
            continue;
        };
        let classes: Vec<BadgeClassId> = structure
            .modes
            .iter()
            .filter(|(class, mode)| {
                *mode == ValidationMode::Systematic && !automatic.contains(class)
            })
            .map(|(class, _)| *class)
            .collect();
        if !classes.is_empty() {
            sites.push(Site {
                tenant: structure.tenant_id,
                counsellor: counsellor.person_id,
                classes,
                workers: Vec::new(),
            });
        }
    }
    anyhow::ensure!(
        !sites.is_empty(),
        "the generated network has no systematic structure with a counsellor"
    );
    let wanted = (options.seconds * PLANNED_REQUESTS_PER_SECOND) as usize
        + options.connections * WARM_UP_PER_CONNECTION;
    let pairs_per_worker_round: usize = sites.iter().map(|site| site.classes.len()).sum();
    let workers_per_site = wanted
        .div_ceil(pairs_per_worker_round)
        .max(options.connections.div_ceil(sites.len()) + 1);
    let today = ledger.now().date_naive();
    let mut enrolments = Vec::new();
    for site in &mut sites {
        site.workers = (0..workers_per_site).map(|_| PersonId::new()).collect();
        for worker in &site.workers {
            enrolments.push((site.tenant, site.counsellor, *worker));
        }
    }
    let results: Vec<anyhow::Result<()>> = futures::stream::iter(enrolments)
        .enumerate()
        .map(|(number, (tenant, counsellor, worker))| async move {
            let actor = Actor {
                tenant_id: tenant,
                person_id: counsellor,
                roles: vec![Role::Counsellor],
            };
            let stream = StreamId::parse(Earner::stream_name(worker)).context("a stream id")?;
            ledger
                .execute::<Earner, _>(&actor, tenant, &stream, &RequestMeta::default(), |_| {
                    Ok(EarnerCommand::Enrol {
                        earner_id: worker,
                        enrolled_on: today,
                    })
                })
                .await
                .context("enrolling a worker")?;
            let name = VaultEntryId::new();
            let meta = RequestMeta {
                vault_entries: vec![vault
                    .seal_new(
                        tenant,
                        worker,
                        name,
                        format!("Personne de test {number}").as_bytes(),
                    )
                    .await
                    .context("sealing a name")?],
                ..RequestMeta::default()
            };
            ledger
                .execute::<Earner, _>(&actor, tenant, &stream, &meta, |_| {
                    Ok(EarnerCommand::RecordIdentity {
                        name: VaultRef {
                            person_id: worker,
                            entry_id: name,
                        },
                        email: None,
                    })
                })
                .await
                .context("recording a worker's identity")?;
            Ok(())
        })
        .buffer_unordered(16)
        .collect()
        .await;
    results.into_iter().collect::<anyhow::Result<Vec<()>>>()?;

    let mut workload = Workload::default();
    for site in &sites {
        workload.tokens.push(token(
            secret,
            site.tenant,
            &[Role::Counsellor],
            site.counsellor,
        )?);
    }
    let classes = sites
        .iter()
        .map(|site| site.classes.len())
        .max()
        .unwrap_or(0);
    'fill: for class in 0..classes {
        for worker in 0..workers_per_site {
            for (index, site) in sites.iter().enumerate() {
                let Some(class_id) = site.classes.get(class) else {
                    continue;
                };
                let body = serde_json::json!({
                    "query": REQUEST_BADGE,
                    "variables": {"input": {
                        "earnerId": site.workers[worker].to_string(),
                        "badgeClassId": class_id.to_string(),
                        "mode": "PAIR",
                        "counsellorId": site.counsellor.to_string(),
                        "evidence": [{"kind": "NARRATIVE", "content": "Trois mois sans retard, d'après le tuteur ; attestation jointe au dossier."}],
                    }},
                });
                workload.items.push((index, Bytes::from(body.to_string())));
                if workload.items.len() >= wanted {
                    break 'fill;
                }
            }
        }
    }
    Ok(workload)
}

/// One history query per worker of the generated network (in a shuffled order), each sent with
/// a token of a supporting staff member of the worker's structure.
fn prepare_histories(network: &GeneratedNetwork, secret: &DevSecret) -> anyhow::Result<Workload> {
    use rand::seq::SliceRandom as _;
    use rand::SeedableRng as _;
    let mut workload = Workload {
        cyclic: true,
        ..Workload::default()
    };
    for structure in &network.structures {
        let Some(reader) = support_member(structure) else {
            continue;
        };
        let index = workload.tokens.len();
        workload.tokens.push(token(
            secret,
            structure.tenant_id,
            &reader.roles,
            reader.person_id,
        )?);
        for earner in &structure.earners {
            let body = serde_json::json!({
                "query": BADGE_HISTORY,
                "variables": {"earner": earner.to_string()},
            });
            workload.items.push((index, Bytes::from(body.to_string())));
        }
    }
    anyhow::ensure!(
        !workload.items.is_empty(),
        "the generated network has no worker to read"
    );
    workload
        .items
        .shuffle(&mut rand::rngs::StdRng::seed_from_u64(2026));
    Ok(workload)
}

/// The server's floor: the caller's identity from the token, through HTTP and GraphQL, with no
/// database access; one query per structure's reader, round-robin.
fn prepare_viewers(network: &GeneratedNetwork, secret: &DevSecret) -> anyhow::Result<Workload> {
    let mut workload = Workload {
        cyclic: true,
        ..Workload::default()
    };
    for structure in &network.structures {
        if let Some(reader) = support_member(structure) {
            workload.items.push((
                workload.tokens.len(),
                Bytes::from(serde_json::json!({"query": VIEWER}).to_string()),
            ));
            workload.tokens.push(token(
                secret,
                structure.tenant_id,
                &reader.roles,
                reader.person_id,
            )?);
        }
    }
    anyhow::ensure!(!workload.items.is_empty(), "no structure has staff");
    Ok(workload)
}

/// Waits until no projection is behind the log (two minutes at most).
async fn wait_for_projections(engine: &ProjectionEngine) -> anyhow::Result<()> {
    anyhow::ensure!(
        engine
            .wait_until_caught_up(Duration::from_secs(120))
            .await
            .context("projection status")?,
        "the projections did not catch up within two minutes"
    );
    Ok(())
}

/// How an answer is checked.
#[derive(Copy, Clone, Debug)]
enum Check {
    /// A request that is now PENDING.
    RequestBadge,
    /// The earner's record with their history; the number of entries is counted.
    BadgeHistory,
    /// The caller's identity.
    Viewer,
}

#[derive(Deserialize)]
struct Answer<D> {
    data: Option<D>,
    #[serde(default)]
    errors: Vec<AnswerError>,
}

#[derive(Deserialize)]
struct AnswerError {
    message: String,
    #[serde(default)]
    extensions: Option<ErrorExtensions>,
}

#[derive(Deserialize)]
struct ErrorExtensions {
    code: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RequestBadgeData {
    request_badge: Option<RequestBadgeAnswer>,
}

#[derive(Deserialize)]
struct RequestBadgeAnswer {
    request: Option<RequestState>,
}

#[derive(Deserialize)]
struct RequestState {
    state: String,
}

#[derive(Deserialize)]
struct ViewerData {
    viewer: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct HistoryData {
    earner: Option<HistoryEarner>,
}

#[derive(Deserialize)]
struct HistoryEarner {
    history: HistoryConnection,
}

#[derive(Deserialize)]
struct HistoryConnection {
    edges: Vec<serde::de::IgnoredAny>,
}

fn graphql_errors(errors: &[AnswerError]) -> String {
    errors
        .iter()
        .map(|error| {
            let code = error
                .extensions
                .as_ref()
                .and_then(|extensions| extensions.code.as_deref())
                .unwrap_or("?");
            format!("{code}: {}", error.message)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl Check {
    /// `Ok(entries)` for an expected answer (entries: the history page's length), else the
    /// reason it is an error.
    fn check(self, body: &[u8]) -> Result<u64, String> {
        match self {
            Check::RequestBadge => {
                let answer: Answer<RequestBadgeData> = serde_json::from_slice(body)
                    .map_err(|error| format!("not a GraphQL answer: {error}"))?;
                if !answer.errors.is_empty() {
                    return Err(graphql_errors(&answer.errors));
                }
                match answer
                    .data
                    .and_then(|data| data.request_badge)
                    .and_then(|payload| payload.request)
                {
                    Some(request) if request.state == "PENDING" => Ok(0),
                    Some(request) => Err(format!("the request is {}", request.state)),
                    None => Err("no request in the answer".to_owned()),
                }
            }
            Check::Viewer => {
                let answer: Answer<ViewerData> = serde_json::from_slice(body)
                    .map_err(|error| format!("not a GraphQL answer: {error}"))?;
                if !answer.errors.is_empty() {
                    return Err(graphql_errors(&answer.errors));
                }
                answer
                    .data
                    .and_then(|data| data.viewer)
                    .map(|_| 0)
                    .ok_or_else(|| "no viewer in the answer".to_owned())
            }
            Check::BadgeHistory => {
                let answer: Answer<HistoryData> = serde_json::from_slice(body)
                    .map_err(|error| format!("not a GraphQL answer: {error}"))?;
                if !answer.errors.is_empty() {
                    return Err(graphql_errors(&answer.errors));
                }
                answer
                    .data
                    .and_then(|data| data.earner)
                    .map(|earner| earner.history.edges.len() as u64)
                    .ok_or_else(|| "no earner in the answer".to_owned())
            }
        }
    }
}

/// What the connections measured.
struct DriveOutcome {
    elapsed: Duration,
    histogram: Histogram<u64>,
    errors: u64,
    first_errors: Vec<String>,
    entries: u64,
    exhausted: bool,
    check: Check,
    cpu: Option<CpuSplit>,
}

impl DriveOutcome {
    fn result(self, mix: &'static str, backend: &str, connections: usize) -> MixResult {
        let requests = self.histogram.len();
        let seconds = self.elapsed.as_secs_f64();
        let ms = |quantile: f64| self.histogram.value_at_quantile(quantile) as f64 / 1_000.0;
        MixResult {
            bench: "http",
            mix,
            backend: backend.to_owned(),
            connections,
            seconds,
            requests,
            errors: self.errors,
            requests_per_sec: requests as f64 / seconds,
            p50_ms: ms(0.50),
            p90_ms: ms(0.90),
            p99_ms: ms(0.99),
            max_ms: self.histogram.max() as f64 / 1_000.0,
            exhausted: self.exhausted,
            entries_per_answer: match self.check {
                Check::BadgeHistory if requests > 0 => Some(self.entries as f64 / requests as f64),
                _ => None,
            },
            first_errors: self.first_errors,
            cpu: self.cpu,
        }
    }
}

/// Drives `endpoint` with `connections` keep-alive HTTP/1.1 connections for `duration`, on a
/// Tokio runtime of its own (one thread named `bench-client`, optionally pinned to
/// `client_cpus` with `taskset`): one thread costs the shared cores less than two (0.18
/// against 0.20 cores on the badge-history mix) and keeps up with 32 connections.
async fn drive(
    endpoint: String,
    workload: Workload,
    check: Check,
    connections: usize,
    duration: Duration,
    client_cpus: Option<String>,
) -> anyhow::Result<DriveOutcome> {
    let thread = std::thread::Builder::new()
        .name("bench-client".to_owned())
        .spawn(move || {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder
                .worker_threads(1)
                .thread_name("bench-client")
                .enable_all();
            if let Some(cpus) = client_cpus.clone() {
                builder.on_thread_start(move || pin_this_thread(&cpus));
            }
            if let Some(cpus) = &client_cpus {
                pin_this_thread(cpus);
            }
            let runtime = builder.build().context("the client's runtime")?;
            runtime.block_on(drive_on_this_runtime(
                endpoint,
                workload,
                check,
                connections,
                duration,
            ))
        })
        .context("starting the client thread")?;
    tokio::task::spawn_blocking(move || thread.join())
        .await
        .context("waiting for the client")?
        .map_err(|_| anyhow::anyhow!("the client thread panicked"))?
}

/// Pins the calling thread to `cpus` (a `taskset` CPU list). Linux only; a failure is reported
/// and the run goes on unpinned.
fn pin_this_thread(cpus: &str) {
    let pinned = std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|path| {
            path.file_name()
                .map(|tid| tid.to_string_lossy().into_owned())
        })
        .map(|tid| {
            std::process::Command::new("taskset")
                .args(["-p", "-c", cpus, &tid])
                .stdout(std::process::Stdio::null())
                .status()
        });
    if !matches!(pinned, Some(Ok(status)) if status.success()) {
        eprintln!("could not pin a client thread to CPUs {cpus} (taskset)");
    }
}

async fn drive_on_this_runtime(
    endpoint: String,
    workload: Workload,
    check: Check,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<DriveOutcome> {
    struct Shared {
        target: Target,
        workload: Workload,
        next: AtomicUsize,
        exhausted: AtomicBool,
        first_errors: Mutex<Vec<String>>,
    }
    // One request: Ok(entries) or Err(reason); None when the workload ran out.
    async fn one(
        shared: &Shared,
        connection: &mut Http1Connection,
        check: Check,
    ) -> Option<(Duration, Result<u64, String>)> {
        let index = shared.next.fetch_add(1, Ordering::Relaxed);
        let items = &shared.workload.items;
        let item = if shared.workload.cyclic {
            &items[index % items.len()]
        } else {
            match items.get(index) {
                Some(item) => item,
                None => {
                    shared.exhausted.store(true, Ordering::Relaxed);
                    return None;
                }
            }
        };
        let begun = Instant::now();
        let outcome = match connection
            .post(&shared.target, &shared.workload.tokens[item.0], &item.1)
            .await
        {
            Err(error) => Err(format!("HTTP: {error:#}")),
            Ok((status, body)) if status != hyper::StatusCode::OK => Err(format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            )),
            Ok((_, body)) => check.check(&body),
        };
        Some((begun.elapsed(), outcome))
    }
    let target = Target::parse(&endpoint)?;
    let shared = Arc::new(Shared {
        target,
        workload,
        next: AtomicUsize::new(0),
        exhausted: AtomicBool::new(false),
        first_errors: Mutex::new(Vec::new()),
    });
    // Everyone warms up, then the clock starts for all at once.
    let warmed = Arc::new(tokio::sync::Barrier::new(connections + 1));
    let (start_sender, start) = tokio::sync::watch::channel::<Option<Instant>>(None);
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (shared, warmed, mut start) = (shared.clone(), warmed.clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            let mut connection = Http1Connection::open(&shared.target).await?;
            for _ in 0..WARM_UP_PER_CONNECTION {
                if one(&shared, &mut connection, check).await.is_none() {
                    break;
                }
            }
            warmed.wait().await;
            let started = loop {
                if let Some(started) = *start.borrow_and_update() {
                    break started;
                }
                start.changed().await.context("the start signal")?;
            };
            let deadline = started + duration;
            let mut histogram =
                Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).expect("a valid histogram");
            let (mut errors, mut entries) = (0u64, 0u64);
            while Instant::now() < deadline {
                let Some((elapsed, outcome)) = one(&shared, &mut connection, check).await else {
                    break;
                };
                match outcome {
                    Ok(count) => {
                        histogram.record((elapsed.as_micros() as u64).max(1)).ok();
                        entries += count;
                    }
                    Err(reason) => {
                        errors += 1;
                        let mut first = shared.first_errors.lock().expect("not poisoned");
                        if first.len() < 5 && !first.contains(&reason) {
                            first.push(reason);
                        }
                    }
                }
            }
            Ok::<_, anyhow::Error>((histogram, errors, entries, Instant::now()))
        }));
    }
    warmed.wait().await;
    let before = CpuSample::take();
    let started = Instant::now();
    start_sender
        .send(Some(started))
        .map_err(|_| anyhow::anyhow!("every connection failed before the start"))?;
    let mut histogram =
        Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).expect("a valid histogram");
    let (mut errors, mut entries) = (0u64, 0u64);
    let mut ended = started;
    for task in tasks {
        let (part, part_errors, part_entries, part_ended) =
            task.await.context("a connection panicked")??;
        histogram.add(part).ok();
        errors += part_errors;
        entries += part_entries;
        ended = ended.max(part_ended);
    }
    let elapsed = ended - started;
    let cpu = CpuSample::take()
        .zip(before)
        .map(|(after, before)| after.since(&before, elapsed));
    let first_errors = shared.first_errors.lock().expect("not poisoned").clone();
    Ok(DriveOutcome {
        elapsed,
        histogram,
        errors,
        first_errors,
        entries,
        exhausted: shared.exhausted.load(Ordering::Relaxed),
        check,
        cpu,
    })
}

/// Where the requests go: the server's address, and the `Host` and path of each request.
struct Target {
    address: String,
    host: hyper::header::HeaderValue,
    path: hyper::Uri,
}

impl Target {
    /// `http://host:port/path` (the only form the benchmark makes).
    fn parse(endpoint: &str) -> anyhow::Result<Self> {
        let uri: hyper::Uri = endpoint.parse().context("the endpoint's URL")?;
        let authority = uri
            .authority()
            .context("the endpoint's URL has no host")?
            .as_str()
            .to_owned();
        Ok(Self {
            host: hyper::header::HeaderValue::from_str(&authority)
                .context("the endpoint's host")?,
            address: authority,
            path: hyper::Uri::try_from(uri.path()).context("the endpoint's path")?,
        })
    }
}

/// One keep-alive HTTP/1.1 connection, one request at a time: what a partner application's
/// client does, without a pool, a URL parse or a retry layer per request. The connection's
/// I/O runs on a task of its own, as hyper's client connections do.
struct Http1Connection {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
}

impl Http1Connection {
    async fn open(target: &Target) -> anyhow::Result<Self> {
        let stream = tokio::net::TcpStream::connect(&target.address)
            .await
            .with_context(|| format!("connecting to {}", target.address))?;
        stream.set_nodelay(true).context("TCP_NODELAY")?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .context("the HTTP/1.1 handshake")?;
        tokio::spawn(connection);
        Ok(Self { sender })
    }

    /// POSTs `body` (JSON) with the bearer `token`; the answer's status and whole body.
    async fn post(
        &mut self,
        target: &Target,
        token: &hyper::header::HeaderValue,
        body: &Bytes,
    ) -> anyhow::Result<(hyper::StatusCode, Bytes)> {
        use http_body_util::BodyExt as _;
        use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
        let request = hyper::Request::post(target.path.clone())
            .header(HOST, target.host.clone())
            .header(AUTHORIZATION, token.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(body.clone()))
            .context("a request")?;
        self.sender.ready().await.context("the connection")?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }
}

/// `writers` tasks append one event at a time (the event of `bench append`, built outside the
/// timed call) over `tenants` fresh tenants (50 streams each) for `duration`; each alone
/// (`EventStore::append`), or `grouped` (`append_grouped`, as commands append).
async fn store_append_run(
    store: Arc<dyn EventStore>,
    backend: &str,
    writers: usize,
    tenants: usize,
    pool_connections: u32,
    duration: Duration,
    grouped: bool,
) -> anyhow::Result<StoreResult> {
    let append = move |store: Arc<dyn EventStore>, request: AppendRequest| async move {
        if grouped {
            store.append_grouped(request).await
        } else {
            store.append(request).await
        }
    };
    let tenant_ids: Arc<Vec<TenantId>> = Arc::new((0..tenants).map(|_| TenantId::new()).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let request = move |index: usize, tenant_ids: &[TenantId]| AppendRequest {
        tenant_id: tenant_ids[index % tenant_ids.len()],
        stream_id: StreamId::for_aggregate("earner", (index / tenant_ids.len()) % 50),
        expected: ExpectedVersion::Any,
        events: vec![crate::bench::sample_event()],
        metadata: EventMetadata::new(ActorRef::System("bench".into())),
        idempotency_key: None,
        vault_entries: Vec::new(),
        shared_unchanged: Vec::new(),
    };
    // Warm-up, untimed: 10 appends per writer.
    for index in 0..writers * 10 {
        append(store.clone(), request(index, &tenant_ids))
            .await
            .context("append")?;
    }
    let before = CpuSample::take();
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for _ in 0..writers {
        let (store, tenant_ids, next) = (store.clone(), tenant_ids.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut histogram =
                Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).expect("a valid histogram");
            while Instant::now() < deadline {
                let request = request(next.fetch_add(1, Ordering::Relaxed), &tenant_ids);
                let begun = Instant::now();
                append(store.clone(), request).await.context("append")?;
                histogram
                    .record((begun.elapsed().as_micros() as u64).max(1))
                    .ok();
            }
            Ok::<_, anyhow::Error>((histogram, Instant::now()))
        }));
    }
    let mut histogram =
        Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).expect("a valid histogram");
    let mut ended = started;
    for task in tasks {
        let (part, part_ended) = task.await.context("a writer panicked")??;
        histogram.add(part).ok();
        ended = ended.max(part_ended);
    }
    let elapsed = ended - started;
    let cpu = CpuSample::take()
        .zip(before)
        .map(|(after, before)| after.since(&before, elapsed));
    let events = histogram.len();
    Ok(StoreResult {
        bench: if grouped {
            "http-store-append-grouped"
        } else {
            "http-store-append"
        },
        backend: backend.to_owned(),
        writers,
        pool_connections,
        tenants,
        events,
        seconds: elapsed.as_secs_f64(),
        events_per_sec: events as f64 / elapsed.as_secs_f64(),
        p50_ms: histogram.value_at_quantile(0.50) as f64 / 1_000.0,
        p99_ms: histogram.value_at_quantile(0.99) as f64 / 1_000.0,
        cpu,
    })
}

/// CPU counters from /proc (Linux), in clock ticks.
struct CpuSample {
    machine_busy: u64,
    machine_idle: u64,
    process: u64,
    client: u64,
}

/// The unit of /proc's CPU times (`USER_HZ`, 100 on Linux whatever the kernel's tick).
const TICKS_PER_SECOND: f64 = 100.0;

impl CpuSample {
    fn take() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let cpu: Vec<u64> = stat
            .lines()
            .next()?
            .split_whitespace()
            .skip(1)
            .filter_map(|field| field.parse().ok())
            .collect();
        // user nice system idle iowait irq softirq steal ...
        let idle = cpu.get(3)? + cpu.get(4).copied().unwrap_or(0);
        let busy = cpu.iter().take(8).sum::<u64>() - idle;
        let (process, client) = Self::threads()?;
        Some(Self {
            machine_busy: busy,
            machine_idle: idle,
            process,
            client,
        })
    }

    /// This process's CPU time, and that of its `bench-client` threads.
    fn threads() -> Option<(u64, u64)> {
        let times = |stat: &str| -> Option<(String, u64)> {
            // pid (comm) state ... utime(14) stime(15): comm may hold spaces, split after ')'.
            let open = stat.find('(')?;
            let close = stat.rfind(')')?;
            let name = stat[open + 1..close].to_owned();
            let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
            let utime: u64 = fields.get(11)?.parse().ok()?;
            let stime: u64 = fields.get(12)?.parse().ok()?;
            Some((name, utime + stime))
        };
        let (_, process) = times(&std::fs::read_to_string("/proc/self/stat").ok()?)?;
        let mut client = 0;
        for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
            if let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) {
                if let Some((name, ticks)) = times(&stat) {
                    if name.starts_with("bench-client") {
                        client += ticks;
                    }
                }
            }
        }
        Some((process, client))
    }

    fn since(&self, before: &Self, elapsed: Duration) -> CpuSplit {
        let seconds = elapsed.as_secs_f64().max(1e-9);
        let per_second = |ticks: u64| ticks as f64 / TICKS_PER_SECOND / seconds;
        let busy = self.machine_busy.saturating_sub(before.machine_busy);
        let process = self.process.saturating_sub(before.process);
        let client = self.client.saturating_sub(before.client);
        CpuSplit {
            client: per_second(client),
            server: per_second(process.saturating_sub(client)),
            other: per_second(busy.saturating_sub(process)),
            idle: per_second(self.machine_idle.saturating_sub(before.machine_idle)),
        }
    }
}

fn print_all(results: &[MixResult], stores: &[&StoreResult], verdict: &Verdict, json: bool) {
    if json {
        for result in results {
            println!(
                "{}",
                serde_json::to_string(result).expect("a result serialises")
            );
        }
        for store in stores {
            println!(
                "{}",
                serde_json::to_string(store).expect("a result serialises")
            );
        }
        println!(
            "{}",
            serde_json::to_string(verdict).expect("a result serialises")
        );
        return;
    }
    let cpu = |cpu: &Option<CpuSplit>| match cpu {
        Some(cpu) => format!(
            "; CPU (cores): client {:.2}, server {:.2}, database and rest {:.2}, idle {:.2}",
            cpu.client, cpu.server, cpu.other, cpu.idle
        ),
        None => String::new(),
    };
    for result in results {
        println!(
            "http {} on {}: {} requests in {:.2}s = {:.0} requests/s ({} connections); latency p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms; errors {}{}{}{}",
            result.mix,
            result.backend,
            result.requests,
            result.seconds,
            result.requests_per_sec,
            result.connections,
            result.p50_ms,
            result.p90_ms,
            result.p99_ms,
            result.max_ms,
            result.errors,
            result
                .entries_per_answer
                .map(|entries| format!("; {entries:.1} history entries per answer"))
                .unwrap_or_default(),
            if result.exhausted {
                "; the prepared requests ran out before the end"
            } else {
                ""
            },
            cpu(&result.cpu),
        );
        for error in &result.first_errors {
            println!("  error: {error}");
        }
    }
    for store in stores {
        println!(
        "store append on {}: {} events in {:.2}s = {:.0} events/s (writers {}, pool {}, tenants {}, one event per append{}); latency p50 {:.3} ms, p99 {:.3} ms{}",
        store.backend,
        store.events,
        store.seconds,
        store.events_per_sec,
        store.writers,
        store.pool_connections,
        store.tenants,
        if store.bench == "http-store-append-grouped" {
            ", grouped as commands' appends"
        } else {
            ", each alone"
        },
        store.p50_ms,
        store.p99_ms,
        cpu(&store.cpu),
    );
    }
    let met = |met: bool| if met { "met" } else { "MISSED" };
    if let (Some(ratio), Some(target)) = (
        verdict.request_badge_ratio,
        verdict.request_badge_target_met,
    ) {
        println!(
            "target request-badge (≥ {REQUEST_BADGE_MIN_RATIO} × store appends, each alone, p99 < {REQUEST_BADGE_MAX_P99_MS} ms, no error): ratio {ratio:.2}: {}",
            met(target)
        );
        if let Some(grouped) = verdict.request_badge_ratio_to_grouped {
            println!("request-badge over grouped store appends: ratio {grouped:.2}");
        }
    }
    if let Some(target) = verdict.badge_history_target_met {
        println!(
            "target badge-history (≥ {BADGE_HISTORY_MIN_RATE} requests/s, p99 < {BADGE_HISTORY_MAX_P99_MS} ms, no error): {}",
            met(target)
        );
    }
}
