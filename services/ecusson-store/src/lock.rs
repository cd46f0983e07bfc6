//! Database-wide locks held across transactions ([`EventStore::hold_locks`]).
//!
//! On PostgreSQL they are session-level advisory locks taken on a connection of their own,
//! detached from the pool: the pool never hands that session to anyone else, and if the process
//! dies or the connection breaks, the server ends the session and the locks go with it. SQLite
//! has no such lock; there the guard holds nothing (see `hold_locks`).
//!
//! [`EventStore::hold_locks`]: crate::EventStore::hold_locks

use crate::StoreError;
use sqlx::Connection;

/// Locks taken by [`EventStore::hold_locks`](crate::EventStore::hold_locks), held until
/// [`HeldLocks::release`] or until the guard is dropped (dropping closes the lock's connection:
/// the server releases the locks when it notices, at once for an idle session).
pub struct HeldLocks {
    postgres: Option<sqlx::PgConnection>,
    keys: Vec<i64>,
}

impl HeldLocks {
    /// A guard that holds nothing (the backend has no such lock).
    pub(crate) fn nothing() -> Self {
        Self {
            postgres: None,
            keys: Vec::new(),
        }
    }

    pub(crate) fn postgres(connection: sqlx::PgConnection, keys: Vec<i64>) -> Self {
        Self {
            postgres: Some(connection),
            keys,
        }
    }

    /// The keys held, in the order they were taken (ascending).
    pub fn keys(&self) -> &[i64] {
        &self.keys
    }

    /// Releases the locks now and closes their connection. If the connection is already
    /// broken, the server has ended the session, and the locks with it: the error only says so.
    pub async fn release(mut self) -> Result<(), StoreError> {
        if let Some(mut connection) = self.postgres.take() {
            sqlx::query("select pg_advisory_unlock_all()")
                .execute(&mut connection)
                .await?;
            connection.close().await?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for HeldLocks {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("HeldLocks")
            .field("keys", &self.keys)
            .field("held", &self.postgres.is_some())
            .finish()
    }
}

/// Takes session-level advisory locks on `keys` (ascending, without duplicates, so that two
/// holders of overlapping sets cannot deadlock) on a connection detached from `pool`, waiting
/// for each one another session holds.
pub(crate) async fn hold_postgres_locks(
    pool: &sqlx::PgPool,
    keys: &[i64],
) -> Result<HeldLocks, StoreError> {
    let mut keys = keys.to_vec();
    keys.sort_unstable();
    keys.dedup();
    // Detached: if this future is dropped while waiting, the connection is closed rather than
    // returned to the pool with a lock (or a pending lock request) on it.
    let mut connection = pool.acquire().await?.detach();
    for key in &keys {
        let taken: bool = sqlx::query_scalar("select pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut connection)
            .await?;
        if !taken {
            tracing::info!(lock.key = key, "waiting for a lock another session holds");
            sqlx::query("select pg_advisory_lock($1)")
                .bind(key)
                .execute(&mut connection)
                .await?;
        }
    }
    Ok(HeldLocks::postgres(connection, keys))
}
