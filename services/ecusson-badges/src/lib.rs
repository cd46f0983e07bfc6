//! Open Badges 2.0 and 3.0, the parts that need no database: the JSON-LD contexts shipped with
//! the binary, RDF canonicalisation (RDFC-1.0), Data Integrity proofs (`eddsa-rdfc-2022`) and
//! the VC-JWT form (ES256), status lists, the verifier and its report in French and English,
//! baked PNG and SVG images, generated badge images, and the hosted OB 2.0 documents.
//!
//! Pure: no I/O, no clock (times are given), no randomness inside (keys and generators are
//! given; Ed25519 and RFC 6979 ECDSA are deterministic), so a credential signed twice with the
//! same inputs is the same bytes.

pub mod bake;
pub mod canonical;
pub mod contexts;
pub mod credential;
pub mod data_integrity;
pub mod image;
pub mod jwt;
pub mod multikey;
pub mod ob2;
pub mod status;
pub mod verify;

pub use canonical::{canonical_nquads, CanonicalError};
pub use credential::{
    Achievement, AchievementCredential, EndorsementCredential, EvidenceItem, Profile,
};
pub use data_integrity::{sign, verify, ProofError, ProofOptions};
