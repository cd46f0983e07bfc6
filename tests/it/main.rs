//! The one integration-test binary: a module per feature.

mod canonical_form;
mod feed_gaps;
mod helpers;
mod projections;
mod store_conformance;
mod use_cases;
