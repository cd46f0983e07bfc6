//! Building roots and proofs from stored hashes. The tree is never held whole: storage keeps
//! the hash of every *complete* subtree (a [`NodeId`]: 2^level leaves, aligned), which never
//! changes once the last of its leaves is appended, and everything else is computed from them.
//!
//! A proof is planned first ([`inclusion_plan`], [`consistency_plan`], [`Frontier::node_ids`]):
//! the plan names the complete subtrees it needs — at most 2·log₂(n) of them —, the caller
//! fetches them all at once (one SQL query), and [`ProofPlan::assemble`] puts the proof
//! together. Only one hash of an RFC 9162 proof can cover an incomplete subtree (the right edge
//! of the tree at that size, the "ephemeral" node of transparency-dev/merkle); it is rebuilt
//! from the complete subtrees under it.
//!
//! [`Frontier`] is the appending side: the complete subtrees that cover the whole tree (one per
//! bit set in its size), from which the root follows, and which yield the new nodes to store
//! when leaves are appended. [`MemoryTree`] keeps every node in memory: a reference store for
//! tests and for small logs checked offline.

use crate::hash::{node_hash, Hash, EMPTY_ROOT};

/// A complete subtree of a log's tree: the 2^`level` leaves starting at leaf
/// `index`·2^`level`. Level 0 nodes are the leaves themselves (their hashes are leaf hashes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    pub level: u8,
    pub index: u64,
}

impl NodeId {
    /// The leaf at `index` (0-based).
    pub const fn leaf(index: u64) -> Self {
        NodeId { level: 0, index }
    }

    /// The first leaf under this node.
    pub const fn first_leaf(self) -> u64 {
        self.index << self.level
    }
}

/// Why a root or a proof cannot be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TreeError {
    #[error("leaf {index} is not in a tree of {size} leaves")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("a tree of {new} leaves cannot extend a tree of {old} leaves")]
    SizesReversed { old: u64, new: u64 },
    #[error("the hash of the subtree at level {}, index {} is missing", .0.level, .0.index)]
    MissingNode(NodeId),
}

/// The complete subtrees a proof is made of, in the order the proof uses them, and how to put
/// the proof together once their hashes are fetched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProofPlan {
    nodes: Vec<NodeId>,
    /// How many consecutive entries of `nodes` make each hash of the proof (one, except for the
    /// hash of an incomplete subtree).
    parts: Vec<usize>,
}

impl ProofPlan {
    /// The nodes to fetch, each once, in proof order (any fetch order will do: [`assemble`]
    /// looks them up by id).
    ///
    /// [`assemble`]: ProofPlan::assemble
    pub fn nodes(&self) -> &[NodeId] {
        &self.nodes
    }

    /// How many hashes the proof will have.
    pub fn proof_len(&self) -> usize {
        self.parts.len()
    }

    /// The proof, given a way to find the hash of each node of [`nodes`](ProofPlan::nodes) (a
    /// map filled from the query's rows, a closure over a store, …).
    pub fn assemble(
        &self,
        mut lookup: impl FnMut(NodeId) -> Option<Hash>,
    ) -> Result<Vec<Hash>, TreeError> {
        let mut nodes = self.nodes.iter();
        let mut proof = Vec::with_capacity(self.parts.len());
        let mut part = Vec::new();
        for &count in &self.parts {
            part.clear();
            for &id in nodes.by_ref().take(count) {
                part.push(lookup(id).ok_or(TreeError::MissingNode(id))?);
            }
            proof.push(range_hash(&part));
        }
        Ok(proof)
    }

    fn from_ranges(ranges: &[(u64, u64)]) -> Self {
        let mut plan = ProofPlan {
            nodes: Vec::new(),
            parts: Vec::with_capacity(ranges.len()),
        };
        for &(start, end) in ranges {
            let before = plan.nodes.len();
            cover(start, end, &mut plan.nodes);
            plan.parts.push(plan.nodes.len() - before);
        }
        plan
    }
}

/// The plan of the inclusion proof of leaf `index` in the tree of the first `size` leaves
/// (RFC 9162 §2.1.3.1, PATH).
pub fn inclusion_plan(index: u64, size: u64) -> Result<ProofPlan, TreeError> {
    if index >= size {
        return Err(TreeError::IndexOutOfRange { index, size });
    }
    let mut ranges = Vec::new();
    inclusion_ranges(index, 0, size, &mut ranges);
    Ok(ProofPlan::from_ranges(&ranges))
}

/// The plan of the proof that the tree of `new_size` leaves extends the tree of `old_size`
/// (RFC 9162 §2.1.4.1, PROOF). Empty when the sizes are equal or the old tree is empty: there
/// is nothing to prove.
pub fn consistency_plan(old_size: u64, new_size: u64) -> Result<ProofPlan, TreeError> {
    if old_size > new_size {
        return Err(TreeError::SizesReversed {
            old: old_size,
            new: new_size,
        });
    }
    let mut ranges = Vec::new();
    if old_size > 0 {
        consistency_ranges(old_size, 0, new_size, true, &mut ranges);
    }
    Ok(ProofPlan::from_ranges(&ranges))
}

/// PATH(index, D[start:end]) as leaf ranges, each the subtree whose hash is the next element of
/// the proof (innermost first).
fn inclusion_ranges(index: u64, start: u64, end: u64, out: &mut Vec<(u64, u64)>) {
    if end - start == 1 {
        return;
    }
    let split = start + largest_power_of_two_below(end - start);
    if index < split {
        inclusion_ranges(index, start, split, out);
        out.push((split, end));
    } else {
        inclusion_ranges(index, split, end, out);
        out.push((start, split));
    }
}

/// SUBPROOF(old_end - start, D[start:end], whole) as leaf ranges; `whole` says the subtree is
/// the old tree itself, whose root the verifier already has.
fn consistency_ranges(old_end: u64, start: u64, end: u64, whole: bool, out: &mut Vec<(u64, u64)>) {
    if old_end == end {
        if !whole {
            out.push((start, end));
        }
        return;
    }
    let split = start + largest_power_of_two_below(end - start);
    if old_end <= split {
        consistency_ranges(old_end, start, split, whole, out);
        out.push((split, end));
    } else {
        consistency_ranges(old_end, split, end, false, out);
        out.push((start, split));
    }
}

/// The largest power of two strictly below `n` (n ≥ 2): where RFC 9162 splits a tree of n
/// leaves.
fn largest_power_of_two_below(n: u64) -> u64 {
    1 << (n - 1).ilog2()
}

/// Appends the complete subtrees covering leaves [start, end), left to right. Every range this
/// crate asks for is a subtree of an RFC 9162 tree, so it starts at a multiple of its largest
/// power-of-two part and is covered by one complete subtree per bit set in its length.
fn cover(mut start: u64, end: u64, out: &mut Vec<NodeId>) {
    while start < end {
        let level = (end - start).ilog2();
        debug_assert_eq!(start % (1 << level), 0, "ranges of the tree are aligned");
        out.push(NodeId {
            level: level as u8,
            index: start >> level,
        });
        start += 1 << level;
    }
}

/// The hash of a range from the hashes of the complete subtrees covering it, left to right:
/// the tree splits off its largest complete subtree on the left, so fold from the right.
fn range_hash(parts: &[Hash]) -> Hash {
    let Some((last, rest)) = parts.split_last() else {
        return EMPTY_ROOT;
    };
    rest.iter()
        .rev()
        .fold(*last, |right, left| node_hash(left, &right))
}

/// The complete subtrees covering a whole tree, largest first: its root, and what appending
/// needs. At most 64 nodes (one per bit of the size), 20 for a million leaves.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    nodes: Vec<(NodeId, Hash)>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The nodes to fetch to [`load`](Frontier::load) the frontier of a tree of `size` leaves
    /// (also all that its root needs).
    pub fn node_ids(size: u64) -> Vec<NodeId> {
        let mut ids = Vec::new();
        cover(0, size, &mut ids);
        ids
    }

    /// The frontier of the tree of `size` leaves, from the hashes of
    /// [`node_ids(size)`](Frontier::node_ids).
    pub fn load(
        size: u64,
        mut lookup: impl FnMut(NodeId) -> Option<Hash>,
    ) -> Result<Self, TreeError> {
        let nodes = Self::node_ids(size)
            .into_iter()
            .map(|id| {
                lookup(id)
                    .map(|hash| (id, hash))
                    .ok_or(TreeError::MissingNode(id))
            })
            .collect::<Result<_, _>>()?;
        Ok(Frontier { size, nodes })
    }

    /// How many leaves the tree has.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The tree's root (RFC 9162 §2.1.1 MTH); [`EMPTY_ROOT`] for the empty tree.
    pub fn root(&self) -> Hash {
        let hashes: Vec<Hash> = self.nodes.iter().map(|(_, hash)| *hash).collect();
        range_hash(&hashes)
    }

    /// Appends a leaf, given its leaf hash ([`leaf_hash`](crate::leaf_hash) of the event's
    /// hash), and returns the nodes to store: the leaf, then every subtree it completes, from
    /// the lowest level up (two on average).
    pub fn push(&mut self, leaf_hash: Hash) -> Vec<(NodeId, Hash)> {
        let mut node = (NodeId::leaf(self.size), leaf_hash);
        let mut completed = vec![node];
        while let Some(&(left_id, left_hash)) = self.nodes.last() {
            if left_id.level != node.0.level {
                break;
            }
            self.nodes.pop();
            node = (
                NodeId {
                    level: left_id.level + 1,
                    index: left_id.index / 2,
                },
                node_hash(&left_hash, &node.1),
            );
            completed.push(node);
        }
        self.nodes.push(node);
        self.size += 1;
        completed
    }
}

/// A whole tree in memory: every complete subtree's hash, by level. The reference store (tests,
/// small logs checked offline); a database keeps the same nodes in a table.
#[derive(Clone, Debug, Default)]
pub struct MemoryTree {
    frontier: Frontier,
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many leaves the tree has.
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// Appends a leaf, given its leaf hash.
    pub fn push(&mut self, leaf_hash: Hash) {
        for (id, hash) in self.frontier.push(leaf_hash) {
            let level = usize::from(id.level);
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            debug_assert_eq!(self.levels[level].len() as u64, id.index);
            self.levels[level].push(hash);
        }
    }

    /// The hash of a complete subtree, if the tree has it.
    pub fn node(&self, id: NodeId) -> Option<Hash> {
        let index = usize::try_from(id.index).ok()?;
        self.levels.get(usize::from(id.level))?.get(index).copied()
    }

    /// The root of the tree of the first `size` leaves.
    pub fn root(&self, size: u64) -> Result<Hash, TreeError> {
        Ok(Frontier::load(size, |id| self.node(id))?.root())
    }

    /// The inclusion proof of leaf `index` in the tree of the first `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, TreeError> {
        inclusion_plan(index, size)?.assemble(|id| self.node(id))
    }

    /// The proof that the tree of the first `new_size` leaves extends that of `old_size`.
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, TreeError> {
        consistency_plan(old_size, new_size)?.assemble(|id| self.node(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use crate::rfc9162_reference as reference;
    use std::collections::HashMap;

    fn leaves(count: u64) -> Vec<Hash> {
        (0..count).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    fn tree_of(leaves: &[Hash]) -> MemoryTree {
        let mut tree = MemoryTree::new();
        for leaf in leaves {
            tree.push(*leaf);
        }
        tree
    }

    /// Every root, inclusion proof and consistency proof of trees of 1 to 70 leaves, against
    /// the RFC's recursive definitions.
    #[test]
    fn matches_the_rfc_definitions() {
        let all = leaves(70);
        let tree = tree_of(&all);
        assert_eq!(tree.root(0).unwrap(), EMPTY_ROOT);
        for size in 1..=70u64 {
            let data = &all[..size as usize];
            assert_eq!(
                tree.root(size).unwrap(),
                reference::mth(data),
                "root({size})"
            );
            for index in 0..size {
                assert_eq!(
                    tree.inclusion_proof(index, size).unwrap(),
                    reference::path(index as usize, data),
                    "inclusion({index}, {size})"
                );
            }
            for old in 1..=size {
                assert_eq!(
                    tree.consistency_proof(old, size).unwrap(),
                    reference::proof(old as usize, data),
                    "consistency({old}, {size})"
                );
            }
            assert!(tree.consistency_proof(0, size).unwrap().is_empty());
        }
    }

    /// The plans need few nodes: at most two per level for any proof.
    #[test]
    fn plans_are_logarithmic() {
        for size in [1u64, 2, 3, 7, 8, 1000, 1 << 20, 1_000_003, (1 << 40) - 1] {
            let bound = 2 * (64 - size.leading_zeros() as usize);
            for index in [0, size / 3, size / 2, size - 1] {
                let plan = inclusion_plan(index, size).unwrap();
                assert!(plan.nodes().len() <= bound, "inclusion({index}, {size})");
            }
            for old in [1, size / 3, size / 2, size - 1, size] {
                let plan = consistency_plan(old.max(1), size).unwrap();
                assert!(plan.nodes().len() <= bound, "consistency({old}, {size})");
            }
            assert!(Frontier::node_ids(size).len() <= 64 - size.leading_zeros() as usize);
        }
    }

    /// Node sets of transparency-dev/merkle's `proof/proof_test.go` (`TestInclusion`,
    /// `TestConsistency`), with its ephemeral nodes expanded into the complete subtrees under
    /// them (our plans list the nodes to fetch in proof order; the Go test lists the same nodes
    /// with the ephemeral node's children reversed).
    #[test]
    fn plans_match_transparency_dev_node_sets() {
        let id = |level, index| NodeId { level, index };
        let sorted = |mut ids: Vec<NodeId>| {
            ids.sort();
            ids
        };
        let cases = [
            (inclusion_plan(1, 3), vec![id(0, 0), id(0, 2)]),
            (
                inclusion_plan(0, 7),
                vec![id(0, 1), id(1, 1), id(0, 6), id(1, 2)],
            ),
            (inclusion_plan(4, 7), vec![id(0, 5), id(0, 6), id(2, 0)]),
            (inclusion_plan(6, 7), vec![id(1, 2), id(2, 0)]),
            (inclusion_plan(3, 5), vec![id(0, 2), id(1, 0), id(0, 4)]),
            (
                inclusion_plan(10, 15),
                vec![id(0, 11), id(1, 4), id(0, 14), id(1, 6), id(3, 0)],
            ),
            (
                inclusion_plan(81, 95),
                vec![
                    id(0, 80),
                    id(1, 41),
                    id(2, 21),
                    id(0, 94),
                    id(1, 46),
                    id(2, 22),
                    id(4, 4),
                    id(6, 0),
                ],
            ),
            (consistency_plan(1, 6), vec![id(0, 1), id(1, 1), id(1, 2)]),
            (
                consistency_plan(3, 7),
                vec![id(0, 2), id(0, 3), id(1, 0), id(0, 6), id(1, 2)],
            ),
            (consistency_plan(4, 7), vec![id(0, 6), id(1, 2)]),
            (
                consistency_plan(5, 7),
                vec![id(0, 4), id(0, 5), id(0, 6), id(2, 0)],
            ),
            (
                consistency_plan(7, 8),
                vec![id(0, 6), id(0, 7), id(1, 2), id(2, 0)],
            ),
            (
                consistency_plan(24, 31),
                vec![id(3, 2), id(0, 30), id(1, 14), id(2, 6), id(4, 0)],
            ),
            (
                consistency_plan(81, 95),
                vec![
                    id(0, 80),
                    id(0, 81),
                    id(1, 41),
                    id(2, 21),
                    id(0, 94),
                    id(1, 46),
                    id(2, 22),
                    id(4, 4),
                    id(6, 0),
                ],
            ),
            (consistency_plan(8, 8), vec![]),
        ];
        for (plan, want) in cases {
            assert_eq!(sorted(plan.unwrap().nodes().to_vec()), sorted(want));
        }
    }

    #[test]
    fn frontier_reloads_and_appends() {
        let all = leaves(40);
        let tree = tree_of(&all);
        let mut stored: HashMap<NodeId, Hash> = HashMap::new();
        let mut frontier = Frontier::new();
        for (i, leaf) in all.iter().enumerate() {
            let size = i as u64;
            // Reloading from storage gives the frontier kept in memory.
            assert_eq!(
                Frontier::load(size, |id| stored.get(&id).copied()),
                Ok(frontier.clone())
            );
            let new_nodes = frontier.push(*leaf);
            assert_eq!(new_nodes[0], (NodeId::leaf(size), *leaf));
            assert_eq!(new_nodes.len(), 1 + (size + 1).trailing_zeros() as usize);
            for (id, hash) in new_nodes {
                assert_eq!(tree.node(id), Some(hash), "{id:?}");
                assert!(stored.insert(id, hash).is_none(), "{id:?} stored twice");
            }
            assert_eq!(frontier.root(), reference::mth(&all[..=i]));
        }
        // Exactly the complete subtrees: 2n − popcount(n) nodes.
        assert_eq!(stored.len(), 2 * 40 - 40u32.count_ones() as usize);
    }

    #[test]
    fn refuses_bad_arguments() {
        let tree = tree_of(&leaves(5));
        assert_eq!(
            inclusion_plan(5, 5),
            Err(TreeError::IndexOutOfRange { index: 5, size: 5 })
        );
        assert_eq!(
            inclusion_plan(0, 0),
            Err(TreeError::IndexOutOfRange { index: 0, size: 0 })
        );
        assert_eq!(
            consistency_plan(6, 5),
            Err(TreeError::SizesReversed { old: 6, new: 5 })
        );
        // Beyond what the store holds: the missing node is named.
        assert_eq!(
            tree.inclusion_proof(0, 6),
            Err(TreeError::MissingNode(NodeId { level: 1, index: 2 }))
        );
        assert!(matches!(tree.root(8), Err(TreeError::MissingNode(_))));
        assert_eq!(
            inclusion_plan(0, 3).unwrap().assemble(|_| None),
            Err(TreeError::MissingNode(NodeId { level: 0, index: 1 }))
        );
    }
}
