//! Walks a tenant's log and checks it against its hash chain: the sequence is gap-free from 1,
//! each row's columns agree with its canonical bytes, each hash is recomputed from the previous
//! one, and the log ends where the tenant's head says. The first position where stored data
//! does not match is reported (an edited, deleted, inserted or reordered row).

use crate::canonical::{chain_hash, parse_envelope, GENESIS_HASH};
use crate::{EventStore, StoreError};
use ecusson_domain::TenantId;
use serde::Serialize;

/// The first mismatch found in a tenant's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
}

impl Violation {
    /// The position where the log stops matching.
    pub fn position(&self) -> i64 {
        match self {
            Violation::SequenceBreak { expected_seq, .. } => *expected_seq,
            Violation::ColumnMismatch { seq, .. } | Violation::HashMismatch { seq } => *seq,
            Violation::HeadMismatch { head_seq, last_seq } => (*head_seq).min(*last_seq) + 1,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub tenant_id: TenantId,
    pub events_checked: u64,
    pub violation: Option<Violation>,
}

impl VerifyReport {
    pub fn is_intact(&self) -> bool {
        self.violation.is_none()
    }
}

const PAGE: usize = 5_000;

pub async fn verify_log(
    store: &dyn EventStore,
    tenant_id: TenantId,
) -> Result<VerifyReport, StoreError> {
    let mut previous_hash = GENESIS_HASH;
    let mut last_seq = 0i64;
    let mut checked = 0u64;
    let report = |checked, violation| {
        Ok(VerifyReport {
            tenant_id,
            events_checked: checked,
            violation: Some(violation),
        })
    };
    loop {
        let page = store.read_raw(tenant_id, last_seq, PAGE).await?;
        if page.is_empty() {
            break;
        }
        for row in &page {
            if row.seq != last_seq + 1 {
                return report(
                    checked,
                    Violation::SequenceBreak {
                        expected_seq: last_seq + 1,
                        found_seq: row.seq,
                    },
                );
            }
            let mismatch = |detail: &str| Violation::ColumnMismatch {
                seq: row.seq,
                detail: detail.to_owned(),
            };
            match parse_envelope(&row.canonical) {
                Err(_) => return report(checked, mismatch("canonical bytes do not parse")),
                Ok(envelope) => {
                    if envelope.tenant_id != tenant_id.as_uuid() {
                        return report(checked, mismatch("tenant differs from the bytes"));
                    }
                    if envelope.stream_id.as_str() != row.stream_id {
                        return report(checked, mismatch("stream differs from the bytes"));
                    }
                    if envelope.event_id != row.event_id {
                        return report(checked, mismatch("event id differs from the bytes"));
                    }
                    if envelope.event_type != row.event_type {
                        return report(checked, mismatch("event type differs from the bytes"));
                    }
                }
            }
            if row.stream_version < 1 {
                return report(checked, Violation::HashMismatch { seq: row.seq });
            }
            let hash = chain_hash(
                &previous_hash,
                row.seq as u64,
                row.stream_version as u64,
                &row.canonical,
            );
            if row.hash.as_slice() != hash.as_slice() {
                return report(checked, Violation::HashMismatch { seq: row.seq });
            }
            previous_hash = hash;
            last_seq = row.seq;
            checked += 1;
        }
    }
    let head = store.tenant_head(tenant_id).await?;
    let (head_seq, head_hash) = head.map_or((0, GENESIS_HASH), |head| (head.seq as i64, head.hash));
    if head_seq != last_seq || head_hash != previous_hash {
        return report(checked, Violation::HeadMismatch { head_seq, last_seq });
    }
    Ok(VerifyReport {
        tenant_id,
        events_checked: checked,
        violation: None,
    })
}
