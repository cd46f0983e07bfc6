//! The one integration-test binary: a module per feature.

mod access_log;
mod api_access;
mod api_subscriptions;
mod api_workflow;
mod audit;
mod canonical_form;
mod coalesced_reads;
mod credentials;
mod employability;
mod erasure;
mod feed_gaps;
mod grouped_appends;
mod helpers;
mod issuer_keys;
mod ob2_validator;
mod ob3_api;
mod projection_workers;
mod projections;
mod reports;
mod store_conformance;
mod use_cases;
