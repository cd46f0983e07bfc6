//! JSON-LD document → RDF dataset → canonical N-Quads (RDFC-1.0 with SHA-256), the form that
//! Data Integrity proofs hash.
//!
//! The verifier behind the public endpoint canonicalises documents sent by anybody, and
//! RDFC-1.0 is exponential on crafted inputs (the spec's "dataset poisoning"): the work goes
//! into blank nodes that their own statements do not tell apart, each group of look-alikes
//! being tried in every order. Two caps keep that bounded before any canonicalisation starts:
//! the number of blank nodes, and the number of look-alikes that would have to be permuted.
//! A third bound stops the labelling itself after a number of steps, should a shape slip past
//! the first two.
//!
//! The labelling is the `rdfc10` module's, not oxrdf's `Dataset::canonicalize`, which labels
//! some documents otherwise than RDFC-1.0 and Digital Bazaar's rdf-canonize (any with two
//! identical embedded proofs, 1EdTech's `complete.json` among them): see that module for why.
//!
//! [`undefined_terms`] lists what JSON-LD would drop, unsigned, from a document.

mod rdfc10;

use oxrdf::{
    BlankNode, Dataset, GraphName, GraphNameRef, NamedOrBlankNode, NamedOrBlankNodeRef, Quad, Term,
    TermRef,
};

/// Why a document could not be canonicalised.
#[derive(Debug, thiserror::Error)]
pub enum CanonicalError {
    #[error("the document is not valid JSON-LD: {0}")]
    JsonLd(String),
    #[error("the document names a context that is not bundled: {0}")]
    UnknownContext(String),
    #[error("the document has {0} blank nodes; at most {MAX_BLANK_NODES} are canonicalised")]
    TooComplex(usize),
    #[error(
        "the document has {0} linked blank nodes that nothing but their order tells apart; \
         at most {MAX_AMBIGUOUS_BLANK_NODES} are canonicalised"
    )]
    TooAmbiguous(usize),
    #[error(
        "the document's blank nodes took more than {0} steps of RDFC-1.0's Hash N-Degree \
         Quads to tell apart; canonicalisation was stopped"
    )]
    TooLong(usize),
}

/// RDFC-1.0's worst case is exponential in the blank nodes; credentials have a few dozen at
/// most. Anything beyond is refused before canonicalisation.
pub const MAX_BLANK_NODES: usize = 256;

/// RDFC-1.0 tries every order of a blank node's neighbours that nothing tells apart (same
/// statements of their own, other blank nodes left anonymous) and recurses through them: a
/// factorial. Six such nodes linked in a clique take tens of milliseconds, eight take seconds,
/// ten take minutes. Credentials have none: their look-alikes are list cells and identical items
/// hanging off named nodes, which never need more than one order (see
/// `interchangeable_look_alikes`).
pub const MAX_AMBIGUOUS_BLANK_NODES: usize = 6;

/// A last bound, on the work itself, should a shape get past the two caps above: how many times
/// RDFC-1.0's Hash N-Degree Quads may run (each run hashes one blank node's statements and
/// tries the orders of its neighbours). Our credentials need none, 1EdTech's `complete.json`
/// 20, six blank nodes all linked to one another (the worst shape the caps let through) 3,606,
/// some 40 ms in a release build.
pub const MAX_HASH_N_DEGREE_CALLS: usize = 20_000;

/// The canonical N-Quads of a JSON-LD document, with contexts from [`crate::contexts`] only.
pub fn canonical_nquads(document: &serde_json::Value) -> Result<String, CanonicalError> {
    canonical_nquads_within(document, MAX_HASH_N_DEGREE_CALLS)
}

/// [`canonical_nquads`], Hash N-Degree Quads being allowed `max_hash_n_degree_calls` runs.
fn canonical_nquads_within(
    document: &serde_json::Value,
    max_hash_n_degree_calls: usize,
) -> Result<String, CanonicalError> {
    let dataset = to_dataset(document)?;
    // Occurrences, not distinct nodes: an upper bound that needs no set, counted in the graph
    // names too (an embedded proof is a named graph whose name is a blank node).
    let blank_nodes = dataset
        .iter()
        .map(|quad| blank_components(&quad).iter().flatten().count())
        .sum::<usize>();
    if blank_nodes > MAX_BLANK_NODES {
        return Err(CanonicalError::TooComplex(blank_nodes));
    }
    let interchangeable = interchangeable_look_alikes(&dataset);
    if interchangeable > MAX_AMBIGUOUS_BLANK_NODES {
        return Err(CanonicalError::TooAmbiguous(interchangeable));
    }
    let labels = rdfc10::canonical_labels(&dataset, max_hash_n_degree_calls)
        .map_err(|rdfc10::LimitReached| CanonicalError::TooLong(max_hash_n_degree_calls))?;
    let relabel = |label: &str| BlankNode::new_unchecked(labels[label].as_str());
    let mut lines: Vec<String> = dataset
        .iter()
        .map(|quad| {
            let subject: NamedOrBlankNode = match quad.subject {
                NamedOrBlankNodeRef::BlankNode(node) => relabel(node.as_str()).into(),
                other => other.into_owned(),
            };
            let object: Term = match quad.object {
                TermRef::BlankNode(node) => relabel(node.as_str()).into(),
                other => other.into_owned(),
            };
            let graph_name: GraphName = match quad.graph_name {
                GraphNameRef::BlankNode(node) => relabel(node.as_str()).into(),
                other => other.into_owned(),
            };
            format!(
                "{} .\n",
                Quad::new(subject, quad.predicate, object, graph_name)
            )
        })
        .collect();
    // Code point order, as RDFC-1.0 sorts the canonical N-Quads (UTF-8 bytes sort the same).
    lines.sort();
    lines.dedup();
    Ok(lines.concat())
}

/// The vocabulary that catches terms no context defines (see [`undefined_terms`]).
const UNDEFINED_VOCABULARY: &str = "urn:ecusson:undefined-term:";

/// The terms of `document` (properties and types) that its contexts do not define, sorted.
///
/// JSON-LD drops such terms when it turns the document into RDF, so they are outside what a
/// Data Integrity proof signs: anybody can add or change them without breaking the signature
/// (Digital Bazaar's "safe mode" refuses such documents for that reason). They are found by
/// reading the document once more with a catch-all `@vocab` added after its own contexts: what
/// lands in that vocabulary is what would have been dropped.
pub fn undefined_terms(document: &serde_json::Value) -> Result<Vec<String>, CanonicalError> {
    use serde_json::{json, Value};
    let mut probe = document.clone();
    if let Value::Object(members) = &mut probe {
        let catch_all = json!({ "@vocab": UNDEFINED_VOCABULARY });
        let contexts = match members.remove("@context") {
            None => vec![catch_all],
            Some(Value::Array(mut contexts)) => {
                contexts.push(catch_all);
                contexts
            }
            Some(context) => vec![context, catch_all],
        };
        members.insert("@context".into(), Value::Array(contexts));
    }
    let dataset = to_dataset(&probe)?;
    let mut terms = std::collections::BTreeSet::new();
    for quad in dataset.iter() {
        let mut note = |iri: &str| {
            if let Some(term) = iri.strip_prefix(UNDEFINED_VOCABULARY) {
                terms.insert(term.to_owned());
            }
        };
        note(quad.predicate.as_str());
        if let oxrdf::TermRef::NamedNode(node) = quad.object {
            note(node.as_str());
        }
    }
    Ok(terms.into_iter().collect())
}

/// JSON-LD → RDF, contexts from [`crate::contexts`] only.
fn to_dataset(document: &serde_json::Value) -> Result<Dataset, CanonicalError> {
    let bytes =
        serde_json::to_vec(document).map_err(|error| CanonicalError::JsonLd(error.to_string()))?;
    let parser = oxjsonld::JsonLdParser::new()
        .for_slice(&bytes)
        .with_load_document_callback(|url, _options| match crate::contexts::bundled(url) {
            Some(document) => Ok(oxjsonld::JsonLdRemoteDocument {
                document: document.to_vec(),
                document_url: url.to_owned(),
            }),
            None => Err(Box::new(UnknownContext(url.to_owned()))),
        });
    let mut dataset = Dataset::new();
    for quad in parser {
        let quad = quad.map_err(|error| {
            let message = error.to_string();
            match message.split("context that is not bundled: ").nth(1) {
                Some(url) => CanonicalError::UnknownContext(url.to_owned()),
                None => CanonicalError::JsonLd(message),
            }
        })?;
        dataset.insert(&quad);
    }
    Ok(dataset)
}

/// The blank node identifiers of a quad's subject, object and graph name.
fn blank_components<'a>(quad: &oxrdf::QuadRef<'a>) -> [Option<&'a str>; 3] {
    [
        match quad.subject {
            oxrdf::NamedOrBlankNodeRef::BlankNode(node) => Some(node.as_str()),
            _ => None,
        },
        match quad.object {
            oxrdf::TermRef::BlankNode(node) => Some(node.as_str()),
            _ => None,
        },
        match quad.graph_name {
            oxrdf::GraphNameRef::BlankNode(node) => Some(node.as_str()),
            _ => None,
        },
    ]
}

/// A blank node is a look-alike when another blank node has the same first-degree description
/// (RDFC-1.0, 4.6.3: its quads, itself written `_:a`, every other blank node `_:z`, sorted);
/// the descriptions are kept as text rather than hashed, since equal texts are what equal
/// hashes stand for. Look-alikes are named by "Hash N-Degree Quads", which files each
/// neighbour under a related hash made of its position (s, o or g), the predicate (except for
/// g) and the neighbour's identity or description, then tries every order of the neighbours
/// filed together, recursing through them.
///
/// When no look-alike has two distinct look-alike neighbours filed together (a list, a chain,
/// identical items hanging off named nodes, a neighbour filed several times) there is one order
/// and the walk is polynomial: the answer is zero. Otherwise it is the number of look-alikes
/// linked to another one, which bounds the factorials.
fn interchangeable_look_alikes(dataset: &Dataset) -> usize {
    use std::collections::{BTreeMap, BTreeSet};
    let mut descriptions: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut quads_of: BTreeMap<&str, Vec<oxrdf::QuadRef<'_>>> = BTreeMap::new();
    for quad in dataset.iter() {
        let nodes: BTreeSet<&str> = blank_components(&quad).into_iter().flatten().collect();
        for node in nodes {
            descriptions
                .entry(node)
                .or_default()
                .push(first_degree_line(&quad, node));
            quads_of.entry(node).or_default().push(quad);
        }
    }
    let mut class_sizes: BTreeMap<Vec<String>, usize> = BTreeMap::new();
    for lines in descriptions.values_mut() {
        lines.sort();
        *class_sizes.entry(lines.clone()).or_default() += 1;
    }
    let look_alike = |node: &str| {
        descriptions
            .get(node)
            .and_then(|lines| class_sizes.get(lines))
            .is_some_and(|members| *members > 1)
    };
    let mut linked = BTreeSet::new();
    let mut several_filed_together = false;
    for (node, quads) in &quads_of {
        if !look_alike(node) {
            continue;
        }
        // (position, predicate unless g, neighbour's description) → look-alike neighbours.
        let mut groups: BTreeMap<(usize, &str, &Vec<String>), BTreeSet<&str>> = BTreeMap::new();
        for quad in quads {
            for (position, neighbour) in blank_components(quad).into_iter().enumerate() {
                let Some(neighbour) = neighbour.filter(|neighbour| neighbour != node) else {
                    continue;
                };
                let predicate = if position == 2 {
                    ""
                } else {
                    quad.predicate.as_str()
                };
                if look_alike(neighbour) {
                    linked.insert(*node);
                    linked.insert(neighbour);
                    groups
                        .entry((position, predicate, &descriptions[neighbour]))
                        .or_default()
                        .insert(neighbour);
                }
            }
        }
        several_filed_together |= groups.values().any(|members| members.len() > 1);
    }
    if several_filed_together {
        linked.len()
    } else {
        0
    }
}

/// One line of a blank node's first-degree description (RDFC-1.0, 4.6.3).
fn first_degree_line(quad: &oxrdf::QuadRef<'_>, reference: &str) -> String {
    let blank = |node: &str| if node == reference { "_:a" } else { "_:z" };
    let subject = match quad.subject {
        oxrdf::NamedOrBlankNodeRef::BlankNode(node) => blank(node.as_str()).to_owned(),
        other => other.to_string(),
    };
    let object = match quad.object {
        oxrdf::TermRef::BlankNode(node) => blank(node.as_str()).to_owned(),
        other => other.to_string(),
    };
    let graph = match quad.graph_name {
        oxrdf::GraphNameRef::BlankNode(node) => blank(node.as_str()).to_owned(),
        oxrdf::GraphNameRef::DefaultGraph => String::new(),
        other => other.to_string(),
    };
    format!("{subject} {} {object} {graph}", quad.predicate)
}

#[derive(Debug)]
struct UnknownContext(String);

impl std::fmt::Display for UnknownContext {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "context that is not bundled: {}", self.0)
    }
}

impl std::error::Error for UnknownContext {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// `size` blank nodes, each linked to every other one by the same predicate.
    fn clique(size: usize) -> Value {
        let nodes: Vec<Value> = (0..size)
            .map(|node| {
                let others: Vec<Value> = (0..size)
                    .filter(|other| *other != node)
                    .map(|other| json!({"@id": format!("_:n{other}")}))
                    .collect();
                json!({"@id": format!("_:n{node}"), "https://example.com/knows": others})
            })
            .collect();
        json!({ "@graph": nodes })
    }

    #[test]
    fn the_labelling_stops_at_its_step_limit() {
        // Five look-alikes linked to one another pass the caps and need 485 runs of Hash
        // N-Degree Quads: done within the limit, stopped under a lower one.
        let five = clique(5);
        let canonical = canonical_nquads(&five).unwrap();
        assert_eq!(canonical.lines().count(), 20);
        assert!(canonical.starts_with("_:c14n0 <https://example.com/knows> _:c14n1 .\n"));
        assert!(canonical_nquads_within(&five, 485).is_ok());
        match canonical_nquads_within(&five, 484) {
            Err(error @ CanonicalError::TooLong(484)) => {
                assert!(error.to_string().contains("more than 484 steps"))
            }
            other => panic!("not stopped: {other:?}"),
        }
        // Seven are refused before any labelling.
        assert!(matches!(
            canonical_nquads(&clique(7)),
            Err(CanonicalError::TooAmbiguous(7))
        ));
    }
}
