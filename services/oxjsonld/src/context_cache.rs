//! Patched (Écusson): processed contexts shared between documents.
//!
//! Upstream, every document processes its contexts from scratch: the bundled JSON of each
//! remote context is parsed again, every term definition created again, and the whole active
//! context cloned at each type-scoped context. For the Open Badges credentials Écusson signs
//! and verifies, that is some 85 % of the work (BENCHMARKS.md), for the same result every time.
//! Upstream plans to share its remote-context cache between parsers (`TODO: share in the
//! parser`); this goes one step further and shares the *processed* contexts.
//!
//! A processed context is the result of applying a local context to an active context. It is
//! cached under a key naming the active context (by identity: only contexts the cache itself
//! holds are named, so that an address is never reused while it is a key), what is applied (the
//! local context's events, or the term whose scoped context it is), and everything else the
//! processing reads (base URL, flags, processing mode, leniency). Only processing that raised no
//! error is cached. The cache is bounded: past [`MAX_ENTRIES`] it starts again from empty, and a
//! generation number keeps keys made before that from ever matching after it.
//!
//! Only contexts given by reference (URLs) are cached, and the scoped contexts they define, not
//! contexts written inline in a document: whatever a public verifier is sent, the cache holds
//! no more than what the loader's contexts define. One assumption, true in Écusson where the
//! only document loader serves contexts bundled with the binary: a remote context's URL always
//! loads the same document.

use crate::context::JsonLdContext;
use crate::error::JsonLdSyntaxError;
use crate::profile::JsonLdProcessingMode;
use oxiri::Iri;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// Processed contexts kept at most; beyond, the cache is emptied. A processed context of the
/// Open Badges vocabulary weighs some 250 KB (every term definition), and a public verifier can
/// be sent documents naming the bundled contexts in any order: the bound keeps that under
/// ~64 MB. Écusson's own credentials need a few dozen entries.
const MAX_ENTRIES: usize = 256;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Applied {
    /// A local context, by its JSON events.
    Local(String),
    /// The scoped context of a term of the active context.
    Scoped {
        term: String,
        override_protected: bool,
        propagate: bool,
    },
}

/// What a processed context is the result of.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    generation: u64,
    active: usize,
    applied: Applied,
    base_url: Option<String>,
    processing_mode: JsonLdProcessingMode,
    lenient: bool,
}

#[derive(Default)]
struct Cache {
    generation: u64,
    processed: HashMap<Key, Arc<JsonLdContext>>,
    /// Every context the cache holds, by address: what a key may name as its active context.
    known: HashMap<usize, Arc<JsonLdContext>>,
    roots: HashMap<Option<String>, Arc<JsonLdContext>>,
}

fn cache() -> MutexGuard<'static, Cache> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    CACHE
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn address(context: &JsonLdContext) -> usize {
    std::ptr::from_ref(context) as usize
}

/// The empty context with this base URL that documents start from, shared.
pub fn root(base_url: Option<&Iri<String>>) -> Arc<JsonLdContext> {
    let mut cache = cache();
    let name = base_url.map(|iri| iri.as_str().to_owned());
    if let Some(root) = cache.roots.get(&name) {
        return Arc::clone(root);
    }
    let root = Arc::new(JsonLdContext::new_empty(base_url.cloned()));
    cache.known.insert(address(&root), Arc::clone(&root));
    cache.roots.insert(name, Arc::clone(&root));
    root
}

impl Key {
    fn new(
        active: &JsonLdContext,
        applied: Applied,
        base_url: Option<&Iri<String>>,
        processing_mode: JsonLdProcessingMode,
        lenient: bool,
    ) -> Option<Self> {
        let cache = cache();
        let active = address(active);
        cache.known.contains_key(&active).then(|| Self {
            generation: cache.generation,
            active,
            applied,
            base_url: base_url.map(|iri| iri.as_str().to_owned()),
            processing_mode,
            lenient,
        })
    }

    /// A local context (given by its events' text) applied to `active`; `None` when `active`
    /// is not a context of the cache.
    pub fn local(
        active: &JsonLdContext,
        local: &str,
        base_url: Option<&Iri<String>>,
        processing_mode: JsonLdProcessingMode,
        lenient: bool,
    ) -> Option<Self> {
        Self::new(
            active,
            Applied::Local(local.to_owned()),
            base_url,
            processing_mode,
            lenient,
        )
    }

    /// The scoped context of `term` applied to `active`.
    pub fn scoped(
        active: &JsonLdContext,
        term: &str,
        override_protected: bool,
        propagate: bool,
        base_url: Option<&Iri<String>>,
        processing_mode: JsonLdProcessingMode,
        lenient: bool,
    ) -> Option<Self> {
        Self::new(
            active,
            Applied::Scoped {
                term: term.to_owned(),
                override_protected,
                propagate,
            },
            base_url,
            processing_mode,
            lenient,
        )
    }
}

/// The processed context of `key`, from the cache or processed now (and kept when the
/// processing raised no error).
pub fn get_or_process(
    key: Option<Key>,
    errors: &mut Vec<JsonLdSyntaxError>,
    process: impl FnOnce(&mut Vec<JsonLdSyntaxError>) -> JsonLdContext,
) -> Arc<JsonLdContext> {
    if let Some(key) = &key {
        if let Some(processed) = cache().processed.get(key) {
            return Arc::clone(processed);
        }
    }
    let errors_before = errors.len();
    let processed = Arc::new(process(errors));
    if let Some(key) = key {
        if errors.len() == errors_before {
            let mut cache = cache();
            if cache.processed.len() >= MAX_ENTRIES {
                let generation = cache.generation + 1;
                *cache = Cache {
                    generation,
                    ..Cache::default()
                };
            }
            if key.generation == cache.generation {
                // The context and the ones it reverts to (a type-scoped context keeps the
                // context before it, which nested nodes go back to): all may be active next.
                let mut next = Some(Arc::clone(&processed));
                while let Some(context) = next {
                    next = context.previous_context.as_ref().map(Arc::clone);
                    cache.known.insert(address(&context), context);
                }
                cache.processed.insert(key, Arc::clone(&processed));
            }
        }
    }
    processed
}
