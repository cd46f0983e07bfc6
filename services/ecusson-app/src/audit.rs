//! The verifiable audit trail: sealing each tenant's log into its Merkle tree and signing
//! checkpoints, the proofs a client checks against them, and the offline bundle a funder
//! verifies without us (`ecusson audit export|verify`).
//!
//! The tree's logic is `ecusson-audit` (pure); the rows are `ecusson_store::audit`'s. Here:
//!
//! - **The keys.** Each network signs the checkpoints of its own log and of its structures'
//!   logs with its Ed25519 audit key, derived from the installation's key
//!   (`Vault::derived_key("audit-key/<network>/1")`): nothing to store, nothing to lose
//!   between the key and its use, the same on every node. Its verifier key is
//!   `ecusson-audit/<network id>+<key id>+<base64>`, published at `/audit/networks/{id}/key`.
//! - **The log's identity.** A tenant's origin is `<public host>/audit/<tenant id>`, fixed at
//!   its first checkpoint: later checkpoints keep the origin the first one named, even if the
//!   installation moves to another address.
//! - **Sealing** ([`seal_tenant`]): when events wait, under the tenant's seal lock
//!   (PostgreSQL; on SQLite the writes are idempotent instead), load the tree's frontier at the last checkpoint and check
//!   its root against it, check that the last sealed event is still the one sealed, walk the new
//!   events with the log's own chain check, push their leaves, and write the completed nodes and
//!   the signed checkpoint in one transaction. Anything that does not match stops the seal and
//!   is reported with its position: the sealer never signs over a tampered log.
//! - **Proofs** ([`inclusion_proof`], [`consistency_proof`]) between signed checkpoints, from
//!   one query each.
//! - **Bundles** ([`export_bundle`], [`verify_bundle`]): JSON Lines, streamed both ways.

use crate::credentials::{network_of, PublicSite};
use crate::{AppError, Ledger};
use chrono::{DateTime, Utc};
use ecusson_audit::{
    consistency_plan, inclusion_plan, leaf_hash, verify_consistency, Checkpoint, Frontier, Hash,
    NodeId, NoteVerifier, TreeHead,
};
use ecusson_domain::TenantId;
use ecusson_store::audit::{self as rows, StoredCheckpoint};
use ecusson_store::verify::ChainWalk;
use ecusson_store::{EventStore, RawEvent, StoreError, Vault, Violation};
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{BufRead, Write};
use std::time::Duration;

/// The name of a network's audit key in its signatures and verifier key.
pub fn key_name(network: TenantId) -> String {
    format!("ecusson-audit/{network}")
}

/// The network's audit key.
pub fn signing_key(vault: &Vault, network: TenantId) -> SigningKey {
    let seed = vault.derived_key(&format!("audit-key/{network}/1"));
    SigningKey::from_bytes(&seed)
}

/// The network's verifier key (C2SP signed note), what a funder pins.
pub fn verifier(vault: &Vault, network: TenantId) -> NoteVerifier {
    NoteVerifier::new(
        &key_name(network),
        signing_key(vault, network).verifying_key(),
    )
    .expect("the key name has no space nor '+'")
}

/// The origin a tenant's first checkpoint takes.
pub fn new_origin(site: &PublicSite, tenant: TenantId) -> String {
    format!("{}/audit/{tenant}", site.host())
}

/// The origin line of a signed checkpoint (its first line), unverified.
pub fn note_origin(note: &str) -> Option<&str> {
    note.split('\n').next().filter(|line| !line.is_empty())
}

/// When a tenant's log is sealed: once `every_events` events wait, or once the oldest waiting
/// event has waited `every` (whichever comes first); at most `max_events` per seal.
#[derive(Clone, Copy, Debug)]
pub struct SealPolicy {
    pub every_events: u64,
    pub every: Duration,
    pub max_events: u64,
}

impl Default for SealPolicy {
    fn default() -> Self {
        Self {
            every_events: 1_000,
            every: Duration::from_secs(60),
            max_events: 100_000,
        }
    }
}

/// What one seal did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SealOutcome {
    /// Every event is already sealed.
    UpToDate { tree_size: u64 },
    /// Events wait, but neither bound of the policy is reached yet.
    NotDue { tree_size: u64, waiting: u64 },
    /// A new checkpoint.
    Sealed { tree_size: u64, events: u64 },
    /// The tenant is neither a network nor a structure of one: no key signs its log.
    NoNetwork,
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The stored log or tree does not match what was sealed: nothing was signed.
    #[error("tenant {tenant}: {violation} (position {})", violation.position())]
    Tampered {
        tenant: TenantId,
        violation: Violation,
    },
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<StoreError> for AuditError {
    fn from(error: StoreError) -> Self {
        AuditError::App(error.into())
    }
}

/// The PostgreSQL advisory lock a tenant's sealer holds (first 8 bytes of
/// SHA-256("ecusson/audit-seal/<tenant>")).
fn seal_lock_key(tenant: TenantId) -> i64 {
    let digest = Sha256::new()
        .chain_update(b"ecusson/audit-seal/")
        .chain_update(tenant.to_string().as_bytes())
        .finalize();
    let mut bytes = [0_u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

const PAGE: usize = 5_000;

/// Seals a tenant's new events if the policy says so (`force`: whenever any event waits).
pub async fn seal_tenant(
    ledger: &Ledger,
    vault: &Vault,
    site: &PublicSite,
    tenant: TenantId,
    policy: SealPolicy,
    force: bool,
) -> Result<SealOutcome, AuditError> {
    let Some((network, _)) = network_of(ledger, tenant).await? else {
        return Ok(SealOutcome::NoNetwork);
    };
    let store = ledger.store().as_ref();
    let (latest, sealed, head) = seal_state(store, tenant).await?;
    if head <= sealed {
        return up_to_date(store, tenant, latest.as_ref(), sealed, head).await;
    }
    let waiting = head - sealed;
    let now = ledger.now();
    if !force && waiting < policy.every_events {
        let oldest_waiting = store
            .read_raw(tenant, sealed as i64, 1)
            .await?
            .first()
            .and_then(|row| ecusson_store::canonical::parse_envelope(&row.canonical).ok())
            .map(|envelope| envelope.recorded_at);
        let due = oldest_waiting.is_none_or(|at| {
            now.signed_duration_since(at).to_std().unwrap_or_default() >= policy.every
        });
        if !due {
            return Ok(SealOutcome::NotDue {
                tree_size: sealed,
                waiting,
            });
        }
    }
    // Only now the lock (a connection of its own on PostgreSQL), and a second look: another
    // node may have sealed these events while this one waited for it.
    let _lock = store.hold_locks(&[seal_lock_key(tenant)]).await?;
    let (latest, sealed, head) = seal_state(store, tenant).await?;
    if head <= sealed {
        return up_to_date(store, tenant, latest.as_ref(), sealed, head).await;
    }
    let tampered = |violation| AuditError::Tampered { tenant, violation };
    let (mut tree, mut walk) = resume(store, tenant, latest.as_ref())
        .await?
        .map_err(tampered)?;
    let until = head.min(sealed + policy.max_events.max(1));
    let mut nodes = Vec::new();
    while (walk.last_seq() as u64) < until {
        let want = usize::try_from(until - walk.last_seq() as u64)
            .unwrap_or(PAGE)
            .min(PAGE);
        let page = store.read_raw(tenant, walk.last_seq(), want).await?;
        if page.is_empty() {
            return Err(tampered(Violation::HeadMismatch {
                head_seq: head as i64,
                last_seq: walk.last_seq(),
            }));
        }
        for row in &page {
            let hash = walk.check(row).map_err(tampered)?;
            nodes.extend(tree.push(leaf_hash(&hash)));
        }
    }
    let origin = match &latest {
        Some(checkpoint) => note_origin(&checkpoint.note)
            .map(str::to_owned)
            .ok_or_else(|| {
                tampered(Violation::CheckpointMismatch {
                    tree_size: sealed as i64,
                })
            })?,
        None => new_origin(site, tenant),
    };
    let checkpoint = Checkpoint {
        origin,
        size: tree.size(),
        root: tree.root(),
        extensions: Vec::new(),
    };
    let note = checkpoint
        .sign(&key_name(network), &signing_key(vault, network))
        .map_err(|error| AppError::Internal(Box::new(error)))?;
    let stored = StoredCheckpoint {
        tree_size: tree.size(),
        root: checkpoint.root,
        note,
        signed_at: now,
    };
    rows::write_seal(store, tenant, &nodes, &stored).await?;
    Ok(SealOutcome::Sealed {
        tree_size: tree.size(),
        events: tree.size() - sealed,
    })
}

/// The latest checkpoint, the size it seals, and the log's head.
async fn seal_state(
    store: &dyn EventStore,
    tenant: TenantId,
) -> Result<(Option<StoredCheckpoint>, u64, u64), StoreError> {
    let latest = rows::latest_checkpoint(store, tenant).await?;
    let sealed = latest.as_ref().map_or(0, |checkpoint| checkpoint.tree_size);
    let head = store.tenant_head(tenant).await?.map_or(0, |head| head.seq);
    Ok((latest, sealed, head))
}

/// Nothing to seal: the log must still hold what was sealed, its last sealed event included (a
/// log cut and refilled to the same length is caught here, not only when new events come).
async fn up_to_date(
    store: &dyn EventStore,
    tenant: TenantId,
    latest: Option<&StoredCheckpoint>,
    sealed: u64,
    head: u64,
) -> Result<SealOutcome, AuditError> {
    if head < sealed {
        return Err(AuditError::Tampered {
            tenant,
            violation: Violation::SealedBeyondLog {
                tree_size: sealed as i64,
                last_seq: head as i64,
            },
        });
    }
    if let Err(violation) = resume(store, tenant, latest).await? {
        return Err(AuditError::Tampered { tenant, violation });
    }
    Ok(SealOutcome::UpToDate { tree_size: sealed })
}

/// The tree and the chain walk where the last checkpoint left them, after checking that the
/// stored frontier still has the checkpoint's root and that the last sealed event is still the
/// one sealed.
async fn resume(
    store: &dyn EventStore,
    tenant: TenantId,
    latest: Option<&StoredCheckpoint>,
) -> Result<Result<(Frontier, ChainWalk), Violation>, StoreError> {
    let Some(latest) = latest else {
        return Ok(Ok((Frontier::new(), ChainWalk::start(tenant))));
    };
    let size = latest.tree_size;
    let last_leaf = NodeId::leaf(size - 1);
    let mut ids = Frontier::node_ids(size);
    ids.push(last_leaf);
    let found = rows::nodes(store, tenant, &ids).await?;
    let mismatch = Violation::CheckpointMismatch {
        tree_size: size as i64,
    };
    let Ok(tree) = Frontier::load(size, |id| found.get(&id).copied()) else {
        return Ok(Err(mismatch));
    };
    if tree.root() != latest.root {
        return Ok(Err(mismatch));
    }
    let boundary = store.read_raw(tenant, size as i64 - 1, 1).await?;
    let Some(row) = boundary.first().filter(|row| row.seq == size as i64) else {
        let last_seq = store.tenant_head(tenant).await?.map_or(0, |head| head.seq) as i64;
        return Ok(Err(Violation::SealedBeyondLog {
            tree_size: size as i64,
            last_seq: last_seq.min(size as i64 - 1),
        }));
    };
    let Ok(hash) = Hash::try_from(row.hash.as_slice()) else {
        return Ok(Err(Violation::SealedLeafMismatch { seq: row.seq }));
    };
    if found.get(&last_leaf) != Some(&leaf_hash(&hash)) {
        return Ok(Err(Violation::SealedLeafMismatch { seq: row.seq }));
    }
    Ok(Ok((tree, ChainWalk::resume(tenant, row.seq, hash))))
}

/// What a sweep of every tenant did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SealSweep {
    pub sealed: Vec<(TenantId, u64)>,
    pub tampered: Vec<(TenantId, Violation)>,
}

/// Seals every tenant the policy says is due. A tampered tenant is reported and skipped (it
/// stays unsealed until someone looks); a failure on one tenant is logged and skipped.
pub async fn seal_all(
    ledger: &Ledger,
    vault: &Vault,
    site: &PublicSite,
    policy: SealPolicy,
    force: bool,
) -> Result<SealSweep, AppError> {
    let mut sweep = SealSweep::default();
    for tenant in ledger.store().tenants().await? {
        match seal_tenant(ledger, vault, site, tenant, policy, force).await {
            Ok(SealOutcome::Sealed { tree_size, .. }) => sweep.sealed.push((tenant, tree_size)),
            Ok(_) => {}
            Err(AuditError::Tampered { tenant, violation }) => {
                sweep.tampered.push((tenant, violation))
            }
            Err(AuditError::App(error)) => {
                tracing::error!(%tenant, error = %error, "sealing a tenant's log failed");
            }
        }
    }
    Ok(sweep)
}

/// An inclusion proof: the event at `seq` is leaf `seq - 1` of the checkpoint's tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InclusionProof {
    pub seq: u64,
    /// The event's chain hash (the leaf's data).
    pub event_hash: Hash,
    pub leaf_hash: Hash,
    pub hashes: Vec<Hash>,
    pub checkpoint: StoredCheckpoint,
}

/// A consistency proof: the checkpoint of `to` extends the one of `from`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsistencyProof {
    pub from: StoredCheckpoint,
    pub to: StoredCheckpoint,
    pub hashes: Vec<Hash>,
}

/// Why a proof cannot be given.
#[derive(Debug, thiserror::Error)]
pub enum ProofRefusal {
    #[error("no checkpoint of {0} events")]
    NoCheckpoint(u64),
    #[error("event {seq} is not in the tree of {tree_size} events")]
    NotCovered { seq: u64, tree_size: u64 },
    #[error("a tree of {to} events cannot extend one of {from}")]
    Reversed { from: u64, to: u64 },
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<StoreError> for ProofRefusal {
    fn from(error: StoreError) -> Self {
        ProofRefusal::App(error.into())
    }
}

async fn checkpoint_or_latest(
    store: &dyn EventStore,
    tenant: TenantId,
    size: Option<u64>,
) -> Result<StoredCheckpoint, ProofRefusal> {
    let found = match size {
        Some(size) => rows::checkpoint(store, tenant, size).await?,
        None => rows::latest_checkpoint(store, tenant).await?,
    };
    found.ok_or(ProofRefusal::NoCheckpoint(size.unwrap_or(0)))
}

fn stored_tree_error(error: ecusson_audit::TreeError) -> ProofRefusal {
    // The plan's sizes were checked; a missing node means the tree's rows were removed.
    ProofRefusal::App(AppError::Internal(Box::new(error)))
}

/// The proof that event `seq` is in the checkpoint of `tree_size` (the latest by default).
pub async fn inclusion_proof(
    store: &dyn EventStore,
    tenant: TenantId,
    seq: u64,
    tree_size: Option<u64>,
) -> Result<InclusionProof, ProofRefusal> {
    let checkpoint = checkpoint_or_latest(store, tenant, tree_size).await?;
    if seq == 0 || seq > checkpoint.tree_size {
        return Err(ProofRefusal::NotCovered {
            seq,
            tree_size: checkpoint.tree_size,
        });
    }
    let plan = inclusion_plan(seq - 1, checkpoint.tree_size).map_err(stored_tree_error)?;
    let mut ids = plan.nodes().to_vec();
    ids.push(NodeId::leaf(seq - 1));
    let found = rows::nodes(store, tenant, &ids).await?;
    let hashes = plan
        .assemble(|id| found.get(&id).copied())
        .map_err(stored_tree_error)?;
    let row = store.read_raw(tenant, seq as i64 - 1, 1).await?;
    let event_hash = row
        .first()
        .filter(|row| row.seq == seq as i64)
        .and_then(|row| Hash::try_from(row.hash.as_slice()).ok())
        .ok_or_else(|| StoreError::Corrupt(format!("sealed event {seq} is missing")))?;
    let leaf = found.get(&NodeId::leaf(seq - 1)).copied().ok_or_else(|| {
        stored_tree_error(ecusson_audit::TreeError::MissingNode(NodeId::leaf(seq - 1)))
    })?;
    Ok(InclusionProof {
        seq,
        event_hash,
        leaf_hash: leaf,
        hashes,
        checkpoint,
    })
}

/// The proof that the checkpoint of `to` (the latest by default) extends the one of `from`.
pub async fn consistency_proof(
    store: &dyn EventStore,
    tenant: TenantId,
    from: u64,
    to: Option<u64>,
) -> Result<ConsistencyProof, ProofRefusal> {
    let to = checkpoint_or_latest(store, tenant, to).await?;
    if from > to.tree_size {
        return Err(ProofRefusal::Reversed {
            from,
            to: to.tree_size,
        });
    }
    let from = rows::checkpoint(store, tenant, from)
        .await?
        .ok_or(ProofRefusal::NoCheckpoint(from))?;
    let hashes = proof_between(store, tenant, from.tree_size, to.tree_size).await?;
    Ok(ConsistencyProof { from, to, hashes })
}

async fn proof_between(
    store: &dyn EventStore,
    tenant: TenantId,
    from: u64,
    to: u64,
) -> Result<Vec<Hash>, ProofRefusal> {
    let plan = consistency_plan(from, to).map_err(stored_tree_error)?;
    let found = rows::nodes(store, tenant, plan.nodes()).await?;
    plan.assemble(|id| found.get(&id).copied())
        .map_err(stored_tree_error)
}

// ---------------------------------------------------------------------------------------
// Bundles
// ---------------------------------------------------------------------------------------

/// The bundle format's name and version, the header's `format`.
pub const BUNDLE_FORMAT: &str = "ecusson-audit-bundle/1";

/// The first line of a bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleHeader {
    pub format: String,
    pub tenant: TenantId,
    pub network: TenantId,
    /// The log's origin, as its checkpoints name it.
    pub origin: String,
    /// The network's verifier key, as the installation published it when exporting: a
    /// verifier compares it with the key they hold from the network.
    pub verifier_key: String,
    /// The bundle holds the events `1..=events`.
    pub events: u64,
    pub exported_at: DateTime<Utc>,
}

/// Every line after the header: the checkpoints first (smallest first), then the events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum BundleLine {
    Checkpoint {
        /// The signed note.
        note: String,
        /// The consistency proof from the previous checkpoint of the bundle (base64 hashes;
        /// empty for the first).
        consistency: Vec<String>,
    },
    Event {
        seq: i64,
        stream_id: String,
        stream_version: i64,
        event_id: uuid::Uuid,
        event_type: String,
        /// The exact canonical bytes (RFC 8785 JSON) that were hashed.
        canonical: String,
        /// The chain hash, hex.
        hash: String,
    },
}

fn base64(hash: &Hash) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(hash)
}

fn write_line(out: &mut impl Write, value: &impl Serialize) -> Result<(), AppError> {
    serde_json::to_writer(&mut *out, value).map_err(|error| AppError::Internal(Box::new(error)))?;
    out.write_all(b"\n")
        .map_err(|error| AppError::Internal(Box::new(error)))
}

/// What an export wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportSummary {
    pub events: u64,
    pub checkpoints: u64,
}

/// Writes a tenant's bundle: its events `1..=until` (every event by default), the checkpoints
/// up to `until` with the consistency proof from each one to the next, and the network's
/// verifier key. Streams: memory does not grow with the log.
pub async fn export_bundle(
    ledger: &Ledger,
    vault: &Vault,
    tenant: TenantId,
    until: Option<u64>,
    out: &mut impl Write,
) -> Result<ExportSummary, AppError> {
    let store = ledger.store().as_ref();
    let Some((network, _)) = network_of(ledger, tenant).await? else {
        return Err(AppError::NotFound(format!(
            "tenant {tenant} has no network"
        )));
    };
    let head = store.tenant_head(tenant).await?.map_or(0, |head| head.seq);
    let until = until.map_or(head, |until| until.min(head));
    let first = rows::checkpoints(store, tenant, 0, until, 1).await?;
    let origin = first
        .first()
        .and_then(|checkpoint| note_origin(&checkpoint.note))
        .map(str::to_owned)
        .unwrap_or_default();
    write_line(
        out,
        &BundleHeader {
            format: BUNDLE_FORMAT.to_owned(),
            tenant,
            network,
            origin,
            verifier_key: verifier(vault, network).to_string(),
            events: until,
            exported_at: ledger.now(),
        },
    )?;
    let mut summary = ExportSummary {
        events: 0,
        checkpoints: 0,
    };
    let mut previous = 0u64;
    loop {
        let page = rows::checkpoints(store, tenant, previous, until, 1_000).await?;
        if page.is_empty() {
            break;
        }
        for checkpoint in page {
            let consistency = proof_between(store, tenant, previous, checkpoint.tree_size)
                .await
                .map_err(|refusal| match refusal {
                    ProofRefusal::App(error) => error,
                    other => AppError::Internal(Box::new(other)),
                })?;
            write_line(
                out,
                &BundleLine::Checkpoint {
                    note: checkpoint.note.clone(),
                    consistency: consistency.iter().map(base64).collect(),
                },
            )?;
            previous = checkpoint.tree_size;
            summary.checkpoints += 1;
        }
    }
    let mut after = 0i64;
    while (after as u64) < until {
        let want = usize::try_from(until - after as u64)
            .unwrap_or(PAGE)
            .min(PAGE);
        let page = store.read_raw(tenant, after, want).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for row in page {
            write_line(out, &event_line(row))?;
            summary.events += 1;
        }
    }
    out.flush()
        .map_err(|error| AppError::Internal(Box::new(error)))?;
    Ok(summary)
}

fn event_line(row: RawEvent) -> BundleLine {
    BundleLine::Event {
        seq: row.seq,
        stream_id: row.stream_id,
        stream_version: row.stream_version,
        event_id: row.event_id,
        event_type: row.event_type,
        // Canonical bytes are UTF-8 JSON; bytes that are not would fail the bundle's checks.
        canonical: String::from_utf8_lossy(&row.canonical).into_owned(),
        hash: hex::encode(row.hash),
    }
}

/// What checking a bundle found.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleReport {
    pub tenant: Option<TenantId>,
    pub origin: String,
    /// The key that signed the checkpoints (the bundle's, unless the caller pinned one).
    pub verifier_key: String,
    /// Whether the caller pinned the key (otherwise it is the bundle's own word).
    pub key_pinned: bool,
    pub events: u64,
    pub checkpoints: u64,
    /// Events covered by the largest checkpoint; those after it are checked by the chain only.
    pub sealed_events: u64,
    pub failure: Option<BundleFailure>,
    /// The funders' figures of the tenant, recomputed from the bundle's events (protected as a
    /// funder sees them), to compare with the figures they were given for the same tenant and
    /// period. Events the installation does not know (none in a ledger's log) are not counted.
    pub figures: Option<ecusson_reports::disclosure::ProtectedFigures>,
    /// Events whose type this verifier does not know, left out of the figures.
    pub uncounted_events: u64,
}

/// The first thing in a bundle that does not hold, with where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleFailure {
    /// The bundle's line (1-based).
    pub line: u64,
    /// The event's position, when the fault is an event's or a tree's.
    pub position: Option<i64>,
    pub message: String,
}

impl BundleReport {
    pub fn is_valid(&self) -> bool {
        self.failure.is_none()
    }
}

/// Checks a bundle offline: the checkpoints' signatures (by `pinned` when given, else by the
/// bundle's key), each consistency proof between them, every event's chain hash, and the tree
/// of the events against every checkpoint's root. Reads line by line: memory does not grow with
/// the log.
pub fn verify_bundle(input: impl BufRead, pinned: Option<&NoteVerifier>) -> BundleReport {
    let mut report = BundleReport::default();
    if let Err(failure) = check_bundle(input, pinned, &mut report) {
        report.failure = Some(failure);
    }
    report
}

fn check_bundle(
    input: impl BufRead,
    pinned: Option<&NoteVerifier>,
    report: &mut BundleReport,
) -> Result<(), BundleFailure> {
    let fail = |line: u64, position: Option<i64>, message: String| BundleFailure {
        line,
        position,
        message,
    };
    let mut lines = input.lines();
    let mut number = 1u64;
    let header_text = lines
        .next()
        .ok_or_else(|| fail(1, None, "the bundle is empty".into()))?
        .map_err(|error| fail(1, None, format!("unreadable: {error}")))?;
    let header: BundleHeader = serde_json::from_str(&header_text)
        .map_err(|error| fail(1, None, format!("not a bundle header: {error}")))?;
    if header.format != BUNDLE_FORMAT {
        return Err(fail(
            1,
            None,
            format!(
                "unknown format {:?}, expected {BUNDLE_FORMAT}",
                header.format
            ),
        ));
    }
    report.tenant = Some(header.tenant);
    report.origin = header.origin.clone();
    let bundled: NoteVerifier = header
        .verifier_key
        .parse()
        .map_err(|error| fail(1, None, format!("the verifier key is invalid: {error}")))?;
    let verifier = match pinned {
        Some(pinned) => {
            report.key_pinned = true;
            pinned.clone()
        }
        None => bundled,
    };
    report.verifier_key = verifier.to_string();
    let expected_origin = format!("/audit/{}", header.tenant);
    let mut heads: Vec<TreeHead> = Vec::new();
    let mut facts = ecusson_reports::Facts::new();
    let mut walk = ChainWalk::start(header.tenant);
    let mut tree = Frontier::new();
    let mut next_head = 0usize;
    for line in lines {
        number += 1;
        let line = line.map_err(|error| fail(number, None, format!("unreadable: {error}")))?;
        let parsed: BundleLine = serde_json::from_str(&line)
            .map_err(|error| fail(number, None, format!("not a bundle line: {error}")))?;
        match parsed {
            BundleLine::Checkpoint { note, consistency } => {
                if report.events > 0 {
                    return Err(fail(number, None, "a checkpoint after the events".into()));
                }
                if !header.origin.ends_with(&expected_origin) {
                    return Err(fail(
                        number,
                        None,
                        format!("the origin {:?} is not this tenant's log", header.origin),
                    ));
                }
                let checkpoint =
                    Checkpoint::open(&note, &header.origin, std::slice::from_ref(&verifier))
                        .map_err(|error| fail(number, None, format!("checkpoint: {error}")))?;
                let proof = consistency
                    .iter()
                    .map(|text| decode_hash(text))
                    .collect::<Option<Vec<Hash>>>()
                    .ok_or_else(|| fail(number, None, "a proof hash is not base64".into()))?;
                let old = heads.last().copied().unwrap_or(TreeHead {
                    size: 0,
                    root: ecusson_audit::EMPTY_ROOT,
                });
                verify_consistency(&old, &checkpoint.tree_head(), &proof).map_err(|error| {
                    fail(
                        number,
                        Some(checkpoint.size as i64),
                        format!(
                            "the checkpoint of {} events does not extend the one of {}: {error}",
                            checkpoint.size, old.size
                        ),
                    )
                })?;
                if checkpoint.size > header.events {
                    return Err(fail(
                        number,
                        Some(checkpoint.size as i64),
                        format!(
                            "a checkpoint of {} events in a bundle of {}",
                            checkpoint.size, header.events
                        ),
                    ));
                }
                heads.push(checkpoint.tree_head());
                report.checkpoints += 1;
            }
            BundleLine::Event {
                seq,
                stream_id,
                stream_version,
                event_id,
                event_type,
                canonical,
                hash,
            } => {
                let row = RawEvent {
                    seq,
                    stream_id,
                    stream_version,
                    event_id,
                    event_type,
                    canonical: canonical.into_bytes(),
                    hash: hex::decode(&hash).unwrap_or_default(),
                };
                let (hash, envelope) = walk.check_envelope(&row).map_err(|violation| {
                    fail(number, Some(violation.position()), violation.to_string())
                })?;
                tree.push(leaf_hash(&hash));
                report.events += 1;
                match ecusson_domain::DomainEvent::decode_json(
                    &envelope.event_type,
                    envelope.schema_version,
                    envelope.payload.get(),
                ) {
                    Ok(event) => facts.apply(header.tenant, envelope.recorded_at, &event),
                    Err(_) => report.uncounted_events += 1,
                }
                if let Some(head) = heads.get(next_head) {
                    if head.size == tree.size() {
                        if head.root != tree.root() {
                            return Err(fail(
                                number,
                                Some(seq),
                                format!(
                                    "the events 1..={} do not make the tree their checkpoint signed",
                                    head.size
                                ),
                            ));
                        }
                        report.sealed_events = head.size;
                        next_head += 1;
                    }
                }
            }
        }
    }
    report.figures = Some(ecusson_reports::disclosure::protect(
        &ecusson_reports::figures::figures(
            &facts,
            &std::collections::BTreeSet::from([header.tenant]),
            ecusson_reports::Period::default(),
        ),
    ));
    if report.events != header.events {
        return Err(fail(
            number,
            Some(report.events as i64 + 1),
            format!(
                "the bundle holds {} events, its header says {}",
                report.events, header.events
            ),
        ));
    }
    Ok(())
}

fn decode_hash(text: &str) -> Option<Hash> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()
        .and_then(|bytes| Hash::try_from(bytes.as_slice()).ok())
}

/// Base64 of a hash, as proofs travel over HTTP and GraphQL.
pub fn hash_text(hash: &Hash) -> String {
    base64(hash)
}
