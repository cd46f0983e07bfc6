//! The figures of the reports, from the log's events alone (issue 5: employability reports,
//! the structures' and the network's reports, the funders' programme report).
//!
//! > **Architecture Invariant:** no I/O, no clock, no randomness. The same events give the
//! > same figures wherever they are folded — a read model today, a replay "as of" a past date,
//! > or `ecusson audit verify` recomputing a funder's figures from a bundle — so the three can
//! > be compared number for number.
//!
//! - [`facts`]: [`Facts`], what each event adds: requests, decisions, awards, their evidence
//!   and recommendations, enrolments and exits, the catalogue's pathways and skill types.
//!   Pseudonymous ids only; no personal data reaches this crate (events hold none).
//! - [`figures`]: [`Figures`] over a set of tenants and a [`Period`]: requests by state and
//!   mode, time from request to decision (median, p90), awards by pathway, skill type and
//!   class, evidence and recommendation rates, committee throughput, exits by category and
//!   badges earned, workers badged.
//! - [`disclosure`]: what a funder may be shown: counts of people under [`disclosure::K`]
//!   suppressed, the others rounded to a multiple of 5 so that no difference between two
//!   overlapping tables (a total minus a filtered part) gives back a small count.
//! - [`programme`]: a funder's programme report, quarter by quarter and structure by
//!   structure, as one wide table.
//! - [`table`]: the figures as French rows and CSV.

pub mod disclosure;
pub mod facts;
pub mod figures;
pub mod programme;
pub mod table;

pub use facts::Facts;
pub use figures::{Figures, Period};

#[cfg(test)]
mod tests;
