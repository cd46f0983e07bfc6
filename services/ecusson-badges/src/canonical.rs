//! JSON-LD document → RDF dataset → canonical N-Quads (RDFC-1.0 with SHA-256), the form that
//! Data Integrity proofs hash.

use oxrdf::dataset::{CanonicalizationAlgorithm, CanonicalizationHashAlgorithm};
use oxrdf::Dataset;

/// Why a document could not be canonicalised.
#[derive(Debug, thiserror::Error)]
pub enum CanonicalError {
    #[error("the document is not valid JSON-LD: {0}")]
    JsonLd(String),
    #[error("the document names a context that is not bundled: {0}")]
    UnknownContext(String),
    #[error("the document has {0} blank nodes; at most {MAX_BLANK_NODES} are canonicalised")]
    TooComplex(usize),
}

/// RDFC-1.0's worst case is exponential in the blank nodes; credentials have a few dozen at
/// most. Anything beyond is refused before canonicalisation.
pub const MAX_BLANK_NODES: usize = 256;

/// The canonical N-Quads of a JSON-LD document, with contexts from [`crate::contexts`] only.
pub fn canonical_nquads(document: &serde_json::Value) -> Result<String, CanonicalError> {
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
    let blank_nodes = dataset
        .iter()
        .flat_map(|quad| {
            [
                matches!(quad.subject, oxrdf::NamedOrBlankNodeRef::BlankNode(_)),
                matches!(quad.object, oxrdf::TermRef::BlankNode(_)),
            ]
        })
        .filter(|is_blank| *is_blank)
        .count();
    if blank_nodes > MAX_BLANK_NODES {
        return Err(CanonicalError::TooComplex(blank_nodes));
    }
    dataset.canonicalize(CanonicalizationAlgorithm::Rdfc10 {
        hash_algorithm: CanonicalizationHashAlgorithm::Sha256,
    });
    let mut lines: Vec<String> = dataset.iter().map(|quad| format!("{quad} .\n")).collect();
    // Code point order, as RDFC-1.0 sorts the canonical N-Quads (UTF-8 bytes sort the same).
    lines.sort();
    lines.dedup();
    Ok(lines.concat())
}

#[derive(Debug)]
struct UnknownContext(String);

impl std::fmt::Display for UnknownContext {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "context that is not bundled: {}", self.0)
    }
}

impl std::error::Error for UnknownContext {}
