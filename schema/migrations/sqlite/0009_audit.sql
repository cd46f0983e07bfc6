-- The same tables as the PostgreSQL migration of the same number (blob for bytea).
-- The verifiable audit trail (ecusson-audit): per tenant, an RFC 9162 Merkle tree over the
-- chain hashes of the tenant's events, and the signed checkpoints of that tree.
--
-- One row per complete subtree, written once when its last leaf is sealed and never changed,
-- like the log: level 0 holds the leaf hashes (leaf i is the event of seq i + 1), level n the
-- 2^n leaves from node_index * 2^n. Every hash an inclusion or consistency proof needs at any
-- sealed size is one of these rows, found through the primary key.
create table audit_node (
    tenant_id text not null,
    level bigint not null,
    node_index bigint not null,
    hash blob not null,
    primary key (tenant_id, level, node_index)
);

-- A signed checkpoint: the tree of the tenant's first tree_size events has this root. `note`
-- is the C2SP signed note (tlog-checkpoint body, Ed25519 signature of the network's audit
-- key), exactly as signed; tree_size and root repeat its body for queries. The nodes of a
-- checkpoint are written in the same transaction, so the tree is complete up to the largest
-- checkpoint's size.
create table audit_checkpoint (
    tenant_id text not null,
    tree_size bigint not null,
    root blob not null,
    note text not null,
    signed_at text not null,
    primary key (tenant_id, tree_size)
);
