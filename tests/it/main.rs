//! The one integration-test binary: a module per feature.

mod helpers;
mod canonical_form;
mod feed_gaps;
mod store_conformance;
