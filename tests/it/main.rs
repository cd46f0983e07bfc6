//! The one integration-test binary: a module per feature.

mod helpers;
mod store_conformance;
