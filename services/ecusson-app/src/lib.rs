//! The use cases of Écusson: what a GraphQL mutation (or any other driver) runs.
//!
//! Every command takes the same path ([`Ledger::execute`]): load the aggregate's stream, let
//! the caller build the command from the state (gathering the snapshots it needs from other
//! aggregates), `decide`, and append the events with the version that was read. When another
//! writer got there first, the append is refused (`WrongExpectedVersion`) and the whole path
//! runs again on the new state, a few times at most. An idempotency key makes a retried
//! request return the first outcome without appending anything.

pub mod audit;
pub mod credentials;
pub mod employability;
pub mod endorsements;
mod error;
pub mod expiry;
pub mod keys;
mod ledger;
pub mod links;
pub mod personal_data;
pub mod reports;

pub use error::{AppError, ErrorCode};
pub use expiry::{expire_due_awards, ExpiryReport};
pub use ledger::{Batch, Batched, Clock, Executed, Ledger, Loaded, Position, RequestMeta, Slot};
