//! Parsed GraphQL documents, kept by their text.
//!
//! Partner apps and the web pages send the same few documents over and over, with different
//! variables. Parsing one with async-graphql's parser costs as much as executing a small
//! query (8 % of the server's time on the badge-history mix, BENCHMARKS.md). So a document is
//! parsed once, and each later request with the same text gets a copy of that parse.
//!
//! - Only documents that parse are kept. A text that does not parse is left to the schema,
//!   which reports the error as usual.
//! - The cache is bounded: at most [`CAPACITY`] documents, the least recently used one goes
//!   first. A text longer than [`MAX_CACHED_BYTES`] is parsed every time.
//! - Validation (depth, complexity, the schema's rules) still runs on every request, since the
//!   schema's rules depend on the variables.

use async_graphql::parser::types::ExecutableDocument;
use lru::LruCache;
use std::num::NonZeroUsize;
use std::sync::Mutex;

/// How many parsed documents are kept.
pub const CAPACITY: usize = 256;

/// The longest document text that is kept (a document of this size parses into a tree of
/// roughly ten times as many bytes, so the cache stays within a few tens of megabytes).
pub const MAX_CACHED_BYTES: usize = 8 * 1024;

pub struct ParsedDocuments(Mutex<LruCache<String, ExecutableDocument>>);

impl Default for ParsedDocuments {
    fn default() -> Self {
        Self(Mutex::new(LruCache::new(
            NonZeroUsize::new(CAPACITY).expect("a non-zero capacity"),
        )))
    }
}

impl ParsedDocuments {
    /// Gives `request` its parsed document: from the cache, or by parsing it and keeping the
    /// result when it parses.
    pub fn prepare(&self, request: &mut async_graphql::Request) {
        if request.query.len() > MAX_CACHED_BYTES {
            return;
        }
        let cached = self.lock().get(&request.query).cloned();
        if let Some(document) = cached {
            request.set_parsed_query(document);
            return;
        }
        if let Ok(document) = request.parsed_query() {
            let document = document.clone();
            self.lock().put(request.query.clone(), document);
        }
    }

    /// How many documents are kept.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<String, ExecutableDocument>> {
        // The cache holds no invariant a panicking holder could break.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUERY: &str = "query Viewer($x: ID) { viewer { personId } }";

    #[test]
    fn a_document_is_parsed_once_and_reused() {
        let documents = ParsedDocuments::default();
        let mut first = async_graphql::Request::new(QUERY);
        documents.prepare(&mut first);
        assert_eq!(documents.len(), 1);
        // Swap the kept parse for another document's: a later request with the same text
        // gets the kept one, so it was not parsed again.
        let other = async_graphql::parser::parse_query("{ other }").expect("the document parses");
        documents.lock().put(QUERY.to_owned(), other.clone());
        let mut second = async_graphql::Request::new(QUERY);
        documents.prepare(&mut second);
        assert_eq!(documents.len(), 1);
        assert_eq!(
            format!("{:?}", second.parsed_query().expect("a parsed document")),
            format!("{other:?}")
        );
    }

    #[test]
    fn a_document_that_does_not_parse_is_not_kept() {
        let documents = ParsedDocuments::default();
        let mut request = async_graphql::Request::new("query { viewer { ");
        documents.prepare(&mut request);
        assert!(documents.is_empty());
        // The schema still sees the error.
        assert!(request.parsed_query().is_err());
    }

    #[test]
    fn the_cache_is_bounded() {
        let documents = ParsedDocuments::default();
        for index in 0..CAPACITY + 10 {
            let mut request =
                async_graphql::Request::new(format!("query Q{index} {{ viewer {{ personId }} }}"));
            documents.prepare(&mut request);
        }
        assert_eq!(documents.len(), CAPACITY);
        let long = format!(
            "query {{ viewer {{ personId }} }} #{}",
            "x".repeat(MAX_CACHED_BYTES)
        );
        let fresh = ParsedDocuments::default();
        let mut request = async_graphql::Request::new(long);
        fresh.prepare(&mut request);
        assert!(fresh.is_empty());
        assert!(request.parsed_query().is_ok());
    }
}
