//! Open Badges credentials, the parts that need no database: the JSON-LD contexts shipped with
//! the binary, RDF canonicalisation (RDFC-1.0) and Data Integrity proofs with the
//! `eddsa-rdfc-2022` cryptosuite that Open Badges 3.0 credentials carry.
//!
//! Pure: no I/O, no clock (the proof's creation time is given), no randomness (Ed25519 is
//! deterministic), so a credential signed twice with the same inputs is the same bytes.

pub mod canonical;
pub mod contexts;
pub mod credential;
pub mod data_integrity;
pub mod multikey;

pub use canonical::{canonical_nquads, CanonicalError};
pub use credential::{Achievement, AchievementCredential, EvidenceItem, Profile};
pub use data_integrity::{sign, verify, ProofError, ProofOptions};
