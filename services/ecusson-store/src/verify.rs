//! Walks a tenant's log and checks it against its hash chain: the sequence is gap-free from 1,
//! each row's columns agree with its canonical bytes, each hash is recomputed from the previous
//! one, and the log ends where the tenant's head says. Where the tenant's log has been sealed
//! into the audit tree, each row's hash must also be the sealed leaf of its position, and the
//! tree of the first n rows must have the root each checkpoint of size n states: so a log
//! rewritten with a freshly recomputed chain is caught too. The first position where stored
//! data does not match is reported (an edited, deleted, inserted or reordered row).
//!
//! [`ChainWalk`] is the row-by-row check, shared with the audit sealer (which checks the rows
//! it seals) and the offline bundle verifier.

use crate::audit;
use crate::canonical::{chain_hash, parse_envelope, Envelope, GENESIS_HASH};
use crate::{EventStore, RawEvent, StoreError};
use ecusson_audit::{leaf_hash, Frontier, Hash};
use ecusson_domain::TenantId;
use serde::Serialize;
use std::collections::VecDeque;

/// The first mismatch found in a tenant's log.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Violation {
    /// A sequence number is missing or repeated: a row was deleted or inserted.
    SequenceBreak { expected_seq: i64, found_seq: i64 },
    /// The stored bytes do not parse, or disagree with the row's columns.
    ColumnMismatch { seq: i64, detail: String },
    /// The recomputed hash differs: the bytes, the positions or the order were changed.
    HashMismatch { seq: i64 },
    /// The log ends before or after the tenant's recorded head.
    HeadMismatch { head_seq: i64, last_seq: i64 },
    /// The row's hash is not the leaf the audit tree sealed at its position: the log was
    /// rewritten (chain included) after it was sealed.
    SealedLeafMismatch { seq: i64 },
    /// The tree of the first `tree_size` events does not have the root its checkpoint states.
    CheckpointMismatch { tree_size: i64 },
    /// A checkpoint covers `tree_size` events but the log ends at `last_seq`: sealed events
    /// were deleted.
    SealedBeyondLog { tree_size: i64, last_seq: i64 },
}

impl Violation {
    /// The position where the log stops matching.
    pub fn position(&self) -> i64 {
        match self {
            Violation::SequenceBreak { expected_seq, .. } => *expected_seq,
            Violation::ColumnMismatch { seq, .. }
            | Violation::HashMismatch { seq }
            | Violation::SealedLeafMismatch { seq } => *seq,
            Violation::HeadMismatch { head_seq, last_seq } => (*head_seq).min(*last_seq) + 1,
            Violation::CheckpointMismatch { tree_size } => *tree_size,
            Violation::SealedBeyondLog { last_seq, .. } => *last_seq + 1,
        }
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Violation::SequenceBreak {
                expected_seq,
                found_seq,
            } => write!(f, "expected event {expected_seq}, found {found_seq}"),
            Violation::ColumnMismatch { seq, detail } => write!(f, "event {seq}: {detail}"),
            Violation::HashMismatch { seq } => write!(f, "event {seq}: the hash chain breaks"),
            Violation::HeadMismatch { head_seq, last_seq } => {
                write!(f, "the log ends at {last_seq} but its head says {head_seq}")
            }
            Violation::SealedLeafMismatch { seq } => {
                write!(f, "event {seq}: not the event the audit tree sealed")
            }
            Violation::CheckpointMismatch { tree_size } => write!(
                f,
                "the tree of the first {tree_size} events differs from its checkpoint"
            ),
            Violation::SealedBeyondLog {
                tree_size,
                last_seq,
            } => write!(
                f,
                "a checkpoint covers {tree_size} events but the log ends at {last_seq}"
            ),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub tenant_id: TenantId,
    pub events_checked: u64,
    /// How many of them the audit tree has sealed (and were checked against it).
    pub events_sealed: u64,
    pub violation: Option<Violation>,
}

impl VerifyReport {
    pub fn is_intact(&self) -> bool {
        self.violation.is_none()
    }
}

/// The row-by-row check of a tenant's log: each row must follow the previous one.
#[derive(Clone, Debug)]
pub struct ChainWalk {
    tenant_id: TenantId,
    previous_hash: Hash,
    last_seq: i64,
}

impl ChainWalk {
    /// A walk from the log's first event.
    pub fn start(tenant_id: TenantId) -> Self {
        Self::resume(tenant_id, 0, GENESIS_HASH)
    }

    /// A walk continuing after the event `seq` whose hash is `hash` (trusted: a sealed leaf).
    pub fn resume(tenant_id: TenantId, seq: i64, hash: Hash) -> Self {
        Self {
            tenant_id,
            previous_hash: hash,
            last_seq: seq,
        }
    }

    pub fn last_seq(&self) -> i64 {
        self.last_seq
    }

    pub fn last_hash(&self) -> Hash {
        self.previous_hash
    }

    /// Checks the next row, returning its hash.
    pub fn check(&mut self, row: &RawEvent) -> Result<Hash, Violation> {
        self.check_envelope(row).map(|(hash, _)| hash)
    }

    /// [`check`](Self::check), also handing back the envelope parsed from the row's bytes
    /// (for callers that read the event too: they need not parse it again).
    pub fn check_envelope(&mut self, row: &RawEvent) -> Result<(Hash, Envelope), Violation> {
        if row.seq != self.last_seq + 1 {
            return Err(Violation::SequenceBreak {
                expected_seq: self.last_seq + 1,
                found_seq: row.seq,
            });
        }
        let mismatch = |detail: &str| Violation::ColumnMismatch {
            seq: row.seq,
            detail: detail.to_owned(),
        };
        let envelope =
            parse_envelope(&row.canonical).map_err(|_| mismatch("canonical bytes do not parse"))?;
        if envelope.tenant_id != self.tenant_id.as_uuid() {
            return Err(mismatch("tenant differs from the bytes"));
        }
        if envelope.stream_id.as_str() != row.stream_id {
            return Err(mismatch("stream differs from the bytes"));
        }
        if envelope.event_id != row.event_id {
            return Err(mismatch("event id differs from the bytes"));
        }
        if envelope.event_type != row.event_type {
            return Err(mismatch("event type differs from the bytes"));
        }
        if row.stream_version < 1 {
            return Err(Violation::HashMismatch { seq: row.seq });
        }
        let hash = chain_hash(
            &self.previous_hash,
            row.seq as u64,
            row.stream_version as u64,
            &row.canonical,
        );
        if row.hash.as_slice() != hash.as_slice() {
            return Err(Violation::HashMismatch { seq: row.seq });
        }
        self.previous_hash = hash;
        self.last_seq = row.seq;
        Ok((hash, envelope))
    }
}

const PAGE: usize = 5_000;

pub async fn verify_log(
    store: &dyn EventStore,
    tenant_id: TenantId,
) -> Result<VerifyReport, StoreError> {
    let mut walk = ChainWalk::start(tenant_id);
    let mut checked = 0u64;
    let latest = audit::latest_checkpoint(store, tenant_id).await?;
    let sealed = latest.as_ref().map_or(0, |checkpoint| checkpoint.tree_size);
    let mut tree = Frontier::new();
    let mut pending_checkpoints = VecDeque::new();
    let mut checkpoints_read_to = 0u64;
    let report = |checked, violation| {
        Ok(VerifyReport {
            tenant_id,
            events_checked: checked,
            events_sealed: sealed,
            violation: Some(violation),
        })
    };
    loop {
        let page = store.read_raw(tenant_id, walk.last_seq(), PAGE).await?;
        if page.is_empty() {
            break;
        }
        let from = walk.last_seq() as u64;
        let sealed_leaves = if from < sealed {
            audit::leaves(store, tenant_id, from, page.len()).await?
        } else {
            Vec::new()
        };
        let mut sealed_leaves = sealed_leaves.into_iter();
        for row in &page {
            let hash = match walk.check(row) {
                Ok(hash) => hash,
                Err(violation) => return report(checked, violation),
            };
            let leaf = leaf_hash(&hash);
            let index = row.seq as u64 - 1;
            if index < sealed {
                match sealed_leaves.next() {
                    Some((stored_index, stored)) if stored_index == index && stored == leaf => {}
                    _ => return report(checked, Violation::SealedLeafMismatch { seq: row.seq }),
                }
                tree.push(leaf);
                if pending_checkpoints.is_empty() && checkpoints_read_to < sealed {
                    let next =
                        audit::checkpoints(store, tenant_id, checkpoints_read_to, sealed, 1_000)
                            .await?;
                    checkpoints_read_to = next.last().map_or(sealed, |last| last.tree_size);
                    pending_checkpoints.extend(next);
                }
                if let Some(checkpoint) = pending_checkpoints.front() {
                    if checkpoint.tree_size == tree.size() {
                        if checkpoint.root != tree.root() {
                            return report(
                                checked,
                                Violation::CheckpointMismatch {
                                    tree_size: checkpoint.tree_size as i64,
                                },
                            );
                        }
                        pending_checkpoints.pop_front();
                    }
                }
            }
            checked += 1;
        }
    }
    let last_seq = walk.last_seq();
    if (last_seq as u64) < sealed {
        return report(
            checked,
            Violation::SealedBeyondLog {
                tree_size: sealed as i64,
                last_seq,
            },
        );
    }
    let head = store.tenant_head(tenant_id).await?;
    let (head_seq, head_hash) = head.map_or((0, GENESIS_HASH), |head| (head.seq as i64, head.hash));
    if head_seq != last_seq || head_hash != walk.last_hash() {
        return report(checked, Violation::HeadMismatch { head_seq, last_seq });
    }
    Ok(VerifyReport {
        tenant_id,
        events_checked: checked,
        events_sealed: sealed,
        violation: None,
    })
}
