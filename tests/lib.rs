//! Shared helpers live in `it/helpers.rs`; this library is empty on purpose.
