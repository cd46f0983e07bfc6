//! The stored audit tree (migration 0009): one row per complete subtree of each tenant's
//! Merkle tree (`audit_node`), and the signed checkpoints (`audit_checkpoint`). The tree's
//! logic is `ecusson-audit`'s; this module only reads and writes the rows, through the
//! read-model seam so that the same statements run on both backends.
//!
//! A seal writes the nodes completed by the new leaves and the checkpoint that covers them in
//! one transaction, so the tree is complete up to the largest checkpoint's size. Rows are
//! written once: two sealers racing over the same events compute the same nodes and the same
//! checkpoint (Ed25519 signatures are deterministic), and the second one's inserts do nothing.

use crate::read_model::SqlValue;
use crate::{EventStore, StoreError};
use chrono::{DateTime, SecondsFormat, Utc};
use ecusson_audit::{Hash, NodeId};
use ecusson_domain::TenantId;
use std::collections::HashMap;

/// A checkpoint as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub tree_size: u64,
    pub root: Hash,
    /// The signed note, exactly as signed.
    pub note: String,
    pub signed_at: DateTime<Utc>,
}

const CHECKPOINT_COLUMNS: &str = "tree_size, root, note, signed_at";

/// The checkpoints of a tenant that `condition` selects (after `tenant_id = $1`; its own
/// parameters from `$2`), in the order and number it says.
async fn select_checkpoints(
    store: &dyn EventStore,
    tenant_id: TenantId,
    condition: &str,
    params: &[SqlValue],
) -> Result<Vec<StoredCheckpoint>, StoreError> {
    let mut all = Vec::with_capacity(1 + params.len());
    all.push(SqlValue::text(tenant_id));
    all.extend_from_slice(params);
    let rows = store
        .read_once(
            &format!(
                "select {CHECKPOINT_COLUMNS} from audit_checkpoint where tenant_id = $1 {condition}"
            ),
            &all,
        )
        .await?;
    rows.iter().map(|row| checkpoint_row(row)).collect()
}

/// The checkpoint of the largest tree, if the tenant has been sealed.
pub async fn latest_checkpoint(
    store: &dyn EventStore,
    tenant_id: TenantId,
) -> Result<Option<StoredCheckpoint>, StoreError> {
    let found =
        select_checkpoints(store, tenant_id, "order by tree_size desc limit 1", &[]).await?;
    Ok(found.into_iter().next())
}

/// The checkpoint of exactly `tree_size` leaves.
pub async fn checkpoint(
    store: &dyn EventStore,
    tenant_id: TenantId,
    tree_size: u64,
) -> Result<Option<StoredCheckpoint>, StoreError> {
    let found = select_checkpoints(
        store,
        tenant_id,
        "and tree_size = $2",
        &[size_value(tree_size)?],
    )
    .await?;
    Ok(found.into_iter().next())
}

/// The checkpoints with `after < tree_size <= until`, smallest first, at most `limit`.
pub async fn checkpoints(
    store: &dyn EventStore,
    tenant_id: TenantId,
    after: u64,
    until: u64,
    limit: usize,
) -> Result<Vec<StoredCheckpoint>, StoreError> {
    select_checkpoints(
        store,
        tenant_id,
        "and tree_size > $2 and tree_size <= $3 order by tree_size limit $4",
        &[
            size_value(after)?,
            size_value(until)?,
            SqlValue::Int(i64::try_from(limit).unwrap_or(i64::MAX)),
        ],
    )
    .await
}

/// The stored hashes of `ids` (at most a few hundred: a proof's or a frontier's nodes), in one
/// statement. A node that is not stored is absent from the map.
pub async fn nodes(
    store: &dyn EventStore,
    tenant_id: TenantId,
    ids: &[NodeId],
) -> Result<HashMap<NodeId, Hash>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut params = Vec::with_capacity(1 + 2 * ids.len());
    params.push(SqlValue::text(tenant_id));
    let mut pairs = Vec::with_capacity(ids.len());
    for id in ids {
        let n = params.len();
        pairs.push(format!("(${}, ${})", n + 1, n + 2));
        params.push(SqlValue::Int(i64::from(id.level)));
        params.push(size_value(id.index)?);
    }
    let sql = format!(
        "select level, node_index, hash from audit_node where tenant_id = $1 \
         and (level, node_index) in (values {})",
        pairs.join(", ")
    );
    let rows = store.read_once(&sql, &params).await?;
    rows.iter()
        .map(|row| {
            let level = int(row, 0)?;
            let index = int(row, 1)?;
            let id = NodeId {
                level: u8::try_from(level).map_err(|_| corrupt("a node level out of range"))?,
                index: u64::try_from(index).map_err(|_| corrupt("a negative node index"))?,
            };
            Ok((id, hash(row, 2)?))
        })
        .collect()
}

/// The leaf hashes (level 0) of leaves `from..from + limit`, in order, as stored.
pub async fn leaves(
    store: &dyn EventStore,
    tenant_id: TenantId,
    from: u64,
    limit: usize,
) -> Result<Vec<(u64, Hash)>, StoreError> {
    let rows = store
        .read_once(
            "select node_index, hash from audit_node where tenant_id = $1 and level = 0 \
             and node_index >= $2 order by node_index limit $3",
            &[
                SqlValue::text(tenant_id),
                size_value(from)?,
                SqlValue::Int(i64::try_from(limit).unwrap_or(i64::MAX)),
            ],
        )
        .await?;
    rows.iter()
        .map(|row| {
            let index =
                u64::try_from(int(row, 0)?).map_err(|_| corrupt("a negative node index"))?;
            Ok((index, hash(row, 1)?))
        })
        .collect()
}

/// Rows per insert statement: three parameters each, under SQLite's 32,766 and PostgreSQL's
/// 65,535 parameters per statement.
const NODES_PER_STATEMENT: usize = 2_000;

/// Writes a seal: the nodes completed since the last checkpoint and the new checkpoint, in one
/// transaction. Returns whether the checkpoint is new (false: a concurrent sealer wrote the
/// same one first).
pub async fn write_seal(
    store: &dyn EventStore,
    tenant_id: TenantId,
    nodes: &[(NodeId, Hash)],
    checkpoint: &StoredCheckpoint,
) -> Result<bool, StoreError> {
    let mut transaction = store.begin_read_model().await?;
    for chunk in nodes.chunks(NODES_PER_STATEMENT) {
        let mut params = Vec::with_capacity(1 + 3 * chunk.len());
        params.push(SqlValue::text(tenant_id));
        let mut rows = Vec::with_capacity(chunk.len());
        for (id, hash) in chunk {
            let n = params.len();
            rows.push(format!("($1, ${}, ${}, ${})", n + 1, n + 2, n + 3));
            params.push(SqlValue::Int(i64::from(id.level)));
            params.push(size_value(id.index)?);
            params.push(SqlValue::Bytes(hash.to_vec()));
        }
        let sql = format!(
            "insert into audit_node (tenant_id, level, node_index, hash) values {} \
             on conflict do nothing",
            rows.join(", ")
        );
        transaction.execute(&sql, &params).await?;
    }
    let inserted = transaction
        .execute(
            "insert into audit_checkpoint (tenant_id, tree_size, root, note, signed_at) \
             values ($1, $2, $3, $4, $5) on conflict do nothing",
            &[
                SqlValue::text(tenant_id),
                size_value(checkpoint.tree_size)?,
                SqlValue::Bytes(checkpoint.root.to_vec()),
                SqlValue::text(&checkpoint.note),
                SqlValue::text(
                    checkpoint
                        .signed_at
                        .to_rfc3339_opts(SecondsFormat::Micros, true),
                ),
            ],
        )
        .await?;
    transaction.commit().await?;
    Ok(inserted == 1)
}

fn checkpoint_row(row: &[SqlValue]) -> Result<StoredCheckpoint, StoreError> {
    let signed_at = row
        .get(3)
        .and_then(SqlValue::as_text)
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        .ok_or_else(|| corrupt("a checkpoint time that is not RFC 3339"))?;
    Ok(StoredCheckpoint {
        tree_size: u64::try_from(int(row, 0)?).map_err(|_| corrupt("a negative tree size"))?,
        root: hash(row, 1)?,
        note: row
            .get(2)
            .and_then(SqlValue::as_text)
            .ok_or_else(|| corrupt("a checkpoint without its note"))?
            .to_owned(),
        signed_at: signed_at.with_timezone(&Utc),
    })
}

fn size_value(size: u64) -> Result<SqlValue, StoreError> {
    i64::try_from(size)
        .map(SqlValue::Int)
        .map_err(|_| StoreError::InvalidInput("a tree size beyond 2^63".to_owned()))
}

fn int(row: &[SqlValue], index: usize) -> Result<i64, StoreError> {
    row.get(index)
        .and_then(SqlValue::as_int)
        .ok_or_else(|| corrupt("a missing integer column"))
}

fn hash(row: &[SqlValue], index: usize) -> Result<Hash, StoreError> {
    row.get(index)
        .and_then(SqlValue::as_bytes)
        .and_then(|bytes| Hash::try_from(bytes).ok())
        .ok_or_else(|| corrupt("a hash that is not 32 bytes"))
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} in the audit tables"))
}
