//! The blank node labelling of RDFC-1.0 (W3C RDF Dataset Canonicalization, section 4), with
//! SHA-256, as Digital Bazaar's rdf-canonize computes it.
//!
//! Why here and not in a crate: oxrdf 0.3.5's `Dataset::canonicalize` files the neighbours of
//! a blank node in a set during Hash N-Degree Quads (`h_n: BTreeMap<_, HashSet<_>>` in
//! `hash_n_degree_quads`, `h_n.entry(hash).or_default().insert(component)` in
//! `hash_related_blank_node_on_possible_component`), where the spec (4.8.3, step 3.1.2: "add a
//! mapping of hash to the blank node identifier for component", then step 5: "blank node
//! list") and rdf-canonize keep one entry per quad and position. A proof node whose statements
//! all sit in one blank graph (every embedded Data Integrity proof) relates that graph once
//! per statement: the paths `_:b1_:b1_:b1…` and `_:b1` hash differently, and look-alikes are
//! ordered, hence labelled, differently. oxrdf keeps its steps private, so that one step cannot
//! be swapped; the crates that implement RDFC-1.0 on their own were measured against
//! rdf-canonize and differ elsewhere (`rdf-canon` 0.15.3 files a quad twice under a blank node
//! that it names twice, and issues canonical labels in the string order of the temporary ones,
//! `b10` before `b2`; `sophia_c14n` 0.10 files neighbours in a set as oxrdf does). Hence this
//! module: the algorithm as the spec writes it, checked against rdf-canonize by the tests
//! (`tests/canonical.rs`, `tests/node_interop.rs`).
//!
//! Numbers in the comments are the spec's steps. Blank nodes are numbered in the order of
//! their first quad, terms are written as oxrdf writes N-Quads (the canonical form RDFC-1.0
//! hashes), and every hash is SHA-256 in lowercase hexadecimal.

use oxrdf::{Dataset, GraphNameRef, NamedOrBlankNodeRef, QuadRef, TermRef};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

/// Hash N-Degree Quads was called more than the limit allows.
#[derive(Debug)]
pub(super) struct LimitReached;

/// The canonical label (`c14n0`, `c14n1`, …) of each blank node of `dataset`, by its label in
/// `dataset`. Stops with [`LimitReached`] once Hash N-Degree Quads has been called
/// `max_hash_n_degree_calls` times: the exponential case (RDFC-1.0, "dataset poisoning").
pub(super) fn canonical_labels(
    dataset: &Dataset,
    max_hash_n_degree_calls: usize,
) -> Result<HashMap<String, String>, LimitReached> {
    let state = State::new(dataset);
    let mut canonical = Issuer::new(state.labels.len());
    // 3: the first-degree hash of each blank node. Computed once: it depends on the blank
    // node's quads only, and Hash Related Blank Node asks for it again and again.
    let first_degree: Vec<String> = (0..state.labels.len())
        .map(|node| state.hash_first_degree_quads(node))
        .collect();
    let mut by_hash: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (node, hash) in first_degree.iter().enumerate() {
        by_hash.entry(hash).or_default().push(node);
    }
    // 4: a hash that only one blank node has names it, in code point order of the hashes.
    for nodes in by_hash.values() {
        if let [node] = nodes[..] {
            canonical.issue(node);
        }
    }
    // 5: the look-alikes, group by group in code point order of their shared hash.
    let mut calls = 0;
    for nodes in by_hash.values().filter(|nodes| nodes.len() > 1) {
        let mut hash_path_list = Vec::new();
        for &node in nodes {
            // 5.2.1
            if canonical.get(node).is_some() {
                continue;
            }
            // 5.2.2 to 5.2.4
            let mut temporary = Issuer::new(state.labels.len());
            temporary.issue(node);
            let walk = Walk {
                state: &state,
                first_degree: &first_degree,
                canonical: &canonical,
                max_calls: max_hash_n_degree_calls,
            };
            hash_path_list.push(walk.hash_n_degree_quads(node, &temporary, &mut calls)?);
        }
        // 5.3: by hash (a stable sort: equal hashes keep the order of their blank nodes),
        // each result's blank nodes in the order its issuer named them.
        hash_path_list.sort_by(|(left, _), (right, _)| left.cmp(right));
        for (_, issuer) in &hash_path_list {
            for &node in &issuer.order {
                canonical.issue(node);
            }
        }
    }
    // 6
    Ok(state
        .labels
        .iter()
        .enumerate()
        .map(|(node, label)| {
            let id = canonical.get(node).expect("step 5 names every look-alike");
            ((*label).to_owned(), format!("c14n{id}"))
        })
        .collect())
}

/// The quads of the dataset and, for each blank node, the quads it is a component of.
struct State<'a> {
    /// Blank node labels, numbered in the order of their first quad.
    labels: Vec<&'a str>,
    quads: Vec<Quad<'a>>,
    /// 2: each blank node's quads, each quad once even when it names the blank node twice
    /// (`_:x <p> _:x .`), as rdf-canonize keeps them in a set.
    quads_of: Vec<Vec<usize>>,
}

/// A quad, and the blank nodes of its subject, object and graph name.
struct Quad<'a> {
    quad: QuadRef<'a>,
    blank: [Option<usize>; 3],
}

/// The positions of [`Quad::blank`], as Hash Related Blank Node names them.
const POSITIONS: [&str; 3] = ["s", "o", "g"];

impl<'a> State<'a> {
    fn new(dataset: &'a Dataset) -> Self {
        let mut labels = Vec::new();
        let mut numbers: HashMap<&'a str, usize> = HashMap::new();
        let mut quads = Vec::new();
        let mut quads_of: Vec<Vec<usize>> = Vec::new();
        for quad in dataset.iter() {
            let labels_of_quad = [
                match quad.subject {
                    NamedOrBlankNodeRef::BlankNode(node) => Some(node.as_str()),
                    NamedOrBlankNodeRef::NamedNode(_) => None,
                },
                match quad.object {
                    TermRef::BlankNode(node) => Some(node.as_str()),
                    _ => None,
                },
                match quad.graph_name {
                    GraphNameRef::BlankNode(node) => Some(node.as_str()),
                    _ => None,
                },
            ];
            let blank = labels_of_quad.map(|label| {
                label.map(|label| {
                    *numbers.entry(label).or_insert_with(|| {
                        labels.push(label);
                        quads_of.push(Vec::new());
                        labels.len() - 1
                    })
                })
            });
            for (position, node) in blank.iter().enumerate() {
                if let Some(node) = *node {
                    if !blank[..position].contains(&Some(node)) {
                        quads_of[node].push(quads.len());
                    }
                }
            }
            quads.push(Quad { quad, blank });
        }
        Self {
            labels,
            quads,
            quads_of,
        }
    }

    /// 4.6 Hash First Degree Quads: the blank node's quads in N-Quads, itself written `_:a`
    /// and any other blank node `_:z`, sorted, concatenated, hashed.
    fn hash_first_degree_quads(&self, reference: usize) -> String {
        let mut nquads: Vec<String> = self.quads_of[reference]
            .iter()
            .map(|&index| {
                let Quad { quad, blank } = &self.quads[index];
                let blank_or = |node: Option<usize>, other: &dyn std::fmt::Display| match node {
                    Some(node) if node == reference => "_:a".to_owned(),
                    Some(_) => "_:z".to_owned(),
                    None => other.to_string(),
                };
                let subject = blank_or(blank[0], &quad.subject);
                let object = blank_or(blank[1], &quad.object);
                match quad.graph_name {
                    GraphNameRef::DefaultGraph => {
                        format!("{subject} {} {object} .\n", quad.predicate)
                    }
                    graph_name => format!(
                        "{subject} {} {object} {} .\n",
                        quad.predicate,
                        blank_or(blank[2], &graph_name)
                    ),
                }
            })
            .collect();
        nquads.sort();
        sha256_hex(&nquads.concat())
    }
}

/// An identifier issuer (4.3): the number given to each blank node (its label is `c14n` or
/// `b` followed by it), and the blank nodes in the order they were named.
#[derive(Clone)]
struct Issuer {
    issued: Vec<Option<usize>>,
    order: Vec<usize>,
}

impl Issuer {
    fn new(blank_nodes: usize) -> Self {
        Self {
            issued: vec![None; blank_nodes],
            order: Vec::new(),
        }
    }

    fn get(&self, node: usize) -> Option<usize> {
        self.issued[node]
    }

    /// 4.5 Issue Identifier.
    fn issue(&mut self, node: usize) -> usize {
        *self.issued[node].get_or_insert_with(|| {
            self.order.push(node);
            self.order.len() - 1
        })
    }
}

/// What Hash N-Degree Quads reads: the dataset, the first-degree hashes, the canonical issuer
/// as it stands.
struct Walk<'s, 'a> {
    state: &'s State<'a>,
    first_degree: &'s [String],
    canonical: &'s Issuer,
    max_calls: usize,
}

impl Walk<'_, '_> {
    /// 4.7 Hash Related Blank Node.
    fn hash_related_blank_node(
        &self,
        related: usize,
        quad: &QuadRef<'_>,
        issuer: &Issuer,
        position: &str,
    ) -> String {
        // 1, 2
        let mut input = position.to_owned();
        if position != "g" {
            write!(input, "{}", quad.predicate).expect("writing to a String");
        }
        // 3, 4
        if let Some(id) = self.canonical.get(related) {
            write!(input, "_:c14n{id}").expect("writing to a String");
        } else if let Some(id) = issuer.get(related) {
            write!(input, "_:b{id}").expect("writing to a String");
        } else {
            input.push_str(&self.first_degree[related]);
        }
        // 5
        sha256_hex(&input)
    }

    /// 4.8 Hash N-Degree Quads: the hash of a blank node and of the paths to its neighbours,
    /// each group of neighbours that its own statements do not tell apart taken in the order
    /// that gives the smallest path.
    fn hash_n_degree_quads(
        &self,
        identifier: usize,
        issuer: &Issuer,
        calls: &mut usize,
    ) -> Result<(String, Issuer), LimitReached> {
        *calls += 1;
        if *calls > self.max_calls {
            return Err(LimitReached);
        }
        let mut issuer = issuer.clone();
        // 1 to 3: related hash → related blank nodes, one entry per quad and position, so a
        // neighbour linked by three quads is listed three times. This list is where oxrdf
        // 0.3.5 keeps a set.
        let mut related_by_hash: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for &index in &self.state.quads_of[identifier] {
            let Quad { quad, blank } = &self.state.quads[index];
            for (position, related) in POSITIONS.iter().zip(blank) {
                if let Some(related) = related.filter(|related| *related != identifier) {
                    let hash = self.hash_related_blank_node(related, quad, &issuer, position);
                    related_by_hash.entry(hash).or_default().push(related);
                }
            }
        }
        // 4, 5: in code point order of the related hashes.
        let mut data_to_hash = String::new();
        for (related_hash, mut blank_nodes) in related_by_hash {
            data_to_hash.push_str(&related_hash);
            let mut chosen_path = String::new();
            let mut chosen_issuer = None;
            // 5.4: every permutation. Permutations that only swap repeated entries give the
            // same path and issuer, so each distinct one is tried once (in lexicographic
            // order, from the sorted list): a neighbour listed six times is one order, not
            // 720. (rdf-canonize's permuter skips some distinct orders when two different
            // neighbours are each listed twice or more under one related hash, 5 of the 6
            // orders of `aabb`; that needs two look-alikes each linked to this node by two
            // identical links, which no credential has.)
            blank_nodes.sort_unstable();
            loop {
                if let Some((path, issuer_copy)) =
                    self.try_permutation(&blank_nodes, &issuer, &chosen_path, calls)?
                {
                    // 5.4.6
                    if chosen_path.is_empty() || path < chosen_path {
                        chosen_path = path;
                        chosen_issuer = Some(issuer_copy);
                    }
                }
                if !next_permutation(&mut blank_nodes) {
                    break;
                }
            }
            // 5.5, 5.6
            data_to_hash.push_str(&chosen_path);
            issuer = chosen_issuer.expect("the first permutation is never skipped");
        }
        // 6
        Ok((sha256_hex(&data_to_hash), issuer))
    }

    /// 5.4.1 to 5.4.5 for one permutation: its path and issuer, or `None` once the path can
    /// only end greater than `chosen_path`.
    fn try_permutation(
        &self,
        permutation: &[usize],
        issuer: &Issuer,
        chosen_path: &str,
        calls: &mut usize,
    ) -> Result<Option<(String, Issuer)>, LimitReached> {
        // 5.4.4.3 and 5.4.5.5.
        let hopeless = |path: &str| {
            !chosen_path.is_empty() && path.len() >= chosen_path.len() && path > chosen_path
        };
        let mut issuer_copy = issuer.clone();
        let mut path = String::new();
        let mut recursion_list = Vec::new();
        // 5.4.4
        for &related in permutation {
            if let Some(id) = self.canonical.get(related) {
                write!(path, "_:c14n{id}").expect("writing to a String");
            } else {
                if issuer_copy.get(related).is_none() {
                    recursion_list.push(related);
                }
                let id = issuer_copy.issue(related);
                write!(path, "_:b{id}").expect("writing to a String");
            }
            if hopeless(&path) {
                return Ok(None);
            }
        }
        // 5.4.5
        for related in recursion_list {
            let (hash, result_issuer) = self.hash_n_degree_quads(related, &issuer_copy, calls)?;
            let id = issuer_copy.issue(related);
            write!(path, "_:b{id}<{hash}>").expect("writing to a String");
            issuer_copy = result_issuer;
            if hopeless(&path) {
                return Ok(None);
            }
        }
        Ok(Some((path, issuer_copy)))
    }
}

/// The next permutation of `items` in lexicographic order, `false` after the last one. Equal
/// items are not told apart, so each distinct permutation comes once.
fn next_permutation(items: &mut [usize]) -> bool {
    let Some(pivot) = (1..items.len()).rev().find(|&i| items[i - 1] < items[i]) else {
        return false;
    };
    let successor = (pivot..items.len())
        .rev()
        .find(|&j| items[j] > items[pivot - 1])
        .expect("items[pivot] is greater than items[pivot - 1]");
    items.swap(pivot - 1, successor);
    items[pivot..].reverse();
    true
}

fn sha256_hex(input: &str) -> String {
    let mut hex = String::with_capacity(64);
    for byte in Sha256::digest(input.as_bytes()) {
        write!(hex, "{byte:02x}").expect("writing to a String");
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_permutations_come_once_each() {
        let mut items = vec![1, 1, 2, 2];
        let mut seen = vec![items.clone()];
        while next_permutation(&mut items) {
            seen.push(items.clone());
        }
        assert_eq!(
            seen,
            [
                [1, 1, 2, 2],
                [1, 2, 1, 2],
                [1, 2, 2, 1],
                [2, 1, 1, 2],
                [2, 1, 2, 1],
                [2, 2, 1, 1]
            ]
        );
        let mut three = vec![0, 1, 2];
        let mut count = 1;
        while next_permutation(&mut three) {
            count += 1;
        }
        assert_eq!(count, 6);
        assert!(!next_permutation(&mut [7, 7, 7]));
        assert!(!next_permutation(&mut []));
    }
}
