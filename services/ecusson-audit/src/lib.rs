//! The verifiable audit trail, the parts that need no database: per tenant, an RFC 9162 Merkle
//! tree over the hashes of the tenant's events (leaf `i` is the event of `seq` = i + 1, its leaf
//! hash [`leaf_hash`] of the event's 32-byte chain hash), inclusion proofs (an event is in the
//! tree of a checkpoint) and consistency proofs (a checkpoint's tree extends an older one's), and
//! checkpoints: C2SP `tlog-checkpoint` texts in C2SP signed notes, signed with the network's
//! Ed25519 audit key.
//!
//! > **Architecture Invariant:** this crate does no I/O, reads no clock and draws no randomness
//! > (keys come in as arguments; Ed25519 signatures are deterministic), so the same inputs give
//! > the same bytes and every check runs offline. Storage reaches it through [`ProofPlan`] and
//! > [`Frontier`]: the caller fetches the nodes a plan names and hands their hashes back.
//!
//! - [`hash`]: `leaf_hash`, `node_hash`, the empty tree's root.
//! - [`tree`]: [`NodeId`] (a complete subtree), [`inclusion_plan`] and [`consistency_plan`]
//!   (which stored hashes a proof needs, and how to assemble it), [`Frontier`] (roots and
//!   appends), [`MemoryTree`] (every node in memory).
//! - [`verify`]: [`verify_inclusion`] and [`verify_consistency`] against a [`TreeHead`]; each
//!   failure says what is wrong (length, index, which root).
//! - [`note`]: signed notes and verifier keys (`<name>+<hex key ID>+<base64 key>`).
//! - [`checkpoint`]: [`Checkpoint::sign`] and [`Checkpoint::open`].
//!
//! # Storing the tree
//!
//! Store one row per complete subtree, written once — when its last leaf is appended — and
//! never changed, like the log itself:
//!
//! ```sql
//! create table audit_node (
//!     tenant_id uuid not null,
//!     level smallint not null,   -- 0: leaf hashes; n: the 2^n leaves from node_index·2^n
//!     node_index bigint not null,
//!     hash bytea not null,       -- 32 bytes
//!     primary key (tenant_id, level, node_index)
//! );
//! ```
//!
//! Every hash a proof needs is then one of these rows, found through the primary key: the
//! right-hand edge of the tree at a past size, which is not a complete subtree, is rebuilt from
//! the complete ones under it ([`ProofPlan::assemble`]). So an inclusion or consistency proof
//! at any size up to the stored one is a single query for at most 2·log₂ n rows (40 at a
//! million events), e.g. on PostgreSQL
//! `where tenant_id = $1 and (level, node_index) in (select * from unnest($2::smallint[],
//! $3::bigint[]))`, and SQLite takes `(level, node_index) in (values (?, ?), …)`. Proofs take
//! no lock and read only rows that never change.
//!
//! The sealer appends in batches: load the [`Frontier`] at the last sealed size (one row per
//! bit set in the size, at most 64), [`push`](Frontier::push) the new events' leaf hashes,
//! insert the nodes it returns (two per event on average), and sign a checkpoint of
//! [`Frontier::root`], all in one transaction; the checkpoint row (tenant, size, root, note)
//! names the size the nodes are complete to.
//!
//! The cost is 2n − popcount(n) rows per tenant: about two million rows for a million events,
//! some 150 bytes each on PostgreSQL with the primary key's index (roughly 300 MB). Should that
//! matter, the same nodes can be packed into tiles of 256 hashes per row (the C2SP
//! `tlog-tiles` layout, about 35 MB per million events, the right-most tile of each level
//! rewritten as it fills): the plans do not change, only how a [`NodeId`] maps to a row and
//! offset. Level 0 can also be left out and read from the events' hashes, at the price of a
//! second table in every proof query.
//!
//! # Why this code and not a crate
//!
//! The Merkle code and the note format are ours, with no dependency beyond the workspace's
//! `sha2`, `ed25519-dalek`, `base64` and `thiserror`. Evaluated and not taken:
//! - `ct-merkle` 0.2.0 (digest 0.10): an older line (0.3 needs digest 0.11); its
//!   `indices_for_*` name nodes of an in-order layout of the tree *at the proof's size*,
//!   including right-edge nodes whose hash changes as the log grows, so the database would have
//!   to rewrite rows or recompute them; its consistency check does not bind the tree sizes (its
//!   documentation says so), and it panics on out-of-range sizes.
//! - Cloudflare's `tlog_tiles` and `signed_note` 0.2.0 (ports of Go's `sumdb/tlog` and
//!   `sumdb/note`): close in design, but they bring second copies of `base64` (0.21) and
//!   `thiserror` (1.x), and `url` and `serde_json` into a crate that needs neither; the tree
//!   functions `assert!` (panic) when storage returns the wrong number of hashes and take a
//!   synchronous reader where our database is async; every failed proof is one opaque
//!   `InvalidProof` and every bad note one `MalformedNote`; and the upstream repository's code
//!   has since moved to a different API than the published 0.2.0.
//!
//! What is ours is checked against published vectors (transparency-dev/merkle for hashes, roots
//! and proofs; Go's `sumdb/note` for signatures and verifier keys; real checkpoints of
//! sum.golang.org), against RFC 9162's recursive definitions on every tree of 1 to 70 leaves,
//! and against tampered proofs and notes.

pub mod checkpoint;
pub mod hash;
pub mod note;
pub mod tree;
pub mod verify;

#[cfg(test)]
mod rfc9162_reference;

pub use checkpoint::{Checkpoint, CheckpointError};
pub use hash::{leaf_hash, node_hash, Hash, EMPTY_ROOT};
pub use note::{
    key_id, open_note, sign_note, NoteError, NoteVerifier, VerifiedNote, VerifierKeyError,
};
pub use tree::{
    consistency_plan, inclusion_plan, Frontier, MemoryTree, NodeId, ProofPlan, TreeError,
};
pub use verify::{verify_consistency, verify_inclusion, ProofError, TreeHead};
