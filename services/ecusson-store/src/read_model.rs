//! The seam through which projections write their read models: SQL text with `$1`-style
//! placeholders and dynamically typed values, executed in one transaction together with the
//! projection's checkpoint. Read-model tables use only `bigint`/`integer`, `text` and
//! `bytea`/`blob` columns, so the same statement runs on both backends.

use crate::StoreError;
use async_trait::async_trait;

/// A value bound to, or read from, a read-model statement.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SqlValue {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

impl SqlValue {
    pub fn as_int(&self) -> Option<i64> {
        match self {
            SqlValue::Int(value) => Some(*value),
            _ => None,
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            SqlValue::Text(value) => Some(value),
            _ => None,
        }
    }

    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            SqlValue::Bytes(value) => Some(value),
            _ => None,
        }
    }

    pub fn text(value: impl ToString) -> Self {
        SqlValue::Text(value.to_string())
    }

    pub fn opt_text(value: Option<impl ToString>) -> Self {
        value.map_or(SqlValue::Null, |value| SqlValue::Text(value.to_string()))
    }
}

impl From<i64> for SqlValue {
    fn from(value: i64) -> Self {
        SqlValue::Int(value)
    }
}

impl From<String> for SqlValue {
    fn from(value: String) -> Self {
        SqlValue::Text(value)
    }
}

impl From<&str> for SqlValue {
    fn from(value: &str) -> Self {
        SqlValue::Text(value.to_owned())
    }
}

/// One transaction over read-model tables. Dropping it without `commit` rolls back.
#[async_trait]
pub trait ReadModelTransaction: Send {
    /// Executes a statement, returning the number of rows affected.
    async fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<u64, StoreError>;

    /// Runs a query, returning every row as a vector of values in column order.
    async fn fetch_all(
        &mut self,
        sql: &str,
        params: &[SqlValue],
    ) -> Result<Vec<Vec<SqlValue>>, StoreError>;

    async fn commit(self: Box<Self>) -> Result<(), StoreError>;

    /// Rolls back now and waits for it, where dropping the transaction only starts the rollback
    /// (it completes when the connection is next used): for a caller that must see what the
    /// transaction held (its locks) released before going on.
    async fn rollback(self: Box<Self>) -> Result<(), StoreError>;
}

/// Rewrites `$1`-style placeholders into SQLite's numbered `?1` form.
pub(crate) fn to_sqlite_placeholders(sql: &str) -> String {
    replace_placeholder_sign(sql, "?")
}

/// Replaces the `$` of every `$n` placeholder with `prefix`, keeping the number. `$` never
/// appears elsewhere in our read-model SQL (no dollar quoting, no `$` in identifiers or
/// literals).
pub(crate) fn replace_placeholder_sign(sql: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(|next| next.is_ascii_digit()) {
            out.push_str(prefix);
        } else {
            out.push(c);
        }
    }
    out
}

/// Read-model queries run one statement at a time outside any transaction
/// ([`crate::EventStore::read_once`]), behind the transaction interface so that the typed
/// queries of the read models serve both. Only for reads made of a single statement: two
/// statements would see two snapshots. Writes are refused.
pub struct SingleStatements(pub std::sync::Arc<dyn crate::EventStore>);

#[async_trait]
impl ReadModelTransaction for SingleStatements {
    async fn execute(&mut self, _sql: &str, _params: &[SqlValue]) -> Result<u64, StoreError> {
        Err(StoreError::InvalidInput(
            "single-statement reads do not write".to_owned(),
        ))
    }

    async fn fetch_all(
        &mut self,
        sql: &str,
        params: &[SqlValue],
    ) -> Result<Vec<Vec<SqlValue>>, StoreError> {
        self.0.read_once(sql, params).await
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        Ok(())
    }

    async fn rollback(self: Box<Self>) -> Result<(), StoreError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_rewritten_for_sqlite() {
        assert_eq!(
            to_sqlite_placeholders("select a from t where b = $1 and c in ($2, $10)"),
            "select a from t where b = ?1 and c in (?2, ?10)"
        );
    }
}
