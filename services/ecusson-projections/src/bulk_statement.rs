//! Multi-row statements, so that a batch of thousands of events costs a handful of round trips:
//! one query loads every row the batch touches, one statement per few thousand rows writes them
//! back. Statements stay under [`MAX_PARAMETERS_PER_STATEMENT`] bound values, below SQLite's
//! limit of 32,766.

use crate::engine::TableSpec;
use ecusson_store::{ReadModelTransaction, SqlValue, StoreError};
use std::collections::BTreeSet;
use std::fmt::Write as _;

pub(crate) const MAX_PARAMETERS_PER_STATEMENT: usize = 30_000;

/// The size of one multi-row write, in bound values. Measured on a rebuild: SQLite (through
/// sqlx) slows down sharply beyond a few thousand values per statement, while PostgreSQL wants
/// statements of a thousand values or more; two thousand suits both.
const PARAMETERS_PER_WRITE: usize = 2_000;

/// Writes rows (each in the column order of `table`), replacing any row with the same primary
/// key: `insert ... on conflict (primary key) do update set <every other column>`.
pub(crate) async fn upsert_rows(
    transaction: &mut dyn ReadModelTransaction,
    table: &TableSpec,
    rows: Vec<Vec<SqlValue>>,
) -> Result<(), StoreError> {
    write_rows(transaction, table, rows, true).await
}

/// Inserts rows that must be new (a duplicate key is an error, not an overwrite).
pub(crate) async fn insert_rows(
    transaction: &mut dyn ReadModelTransaction,
    table: &TableSpec,
    rows: Vec<Vec<SqlValue>>,
) -> Result<(), StoreError> {
    write_rows(transaction, table, rows, false).await
}

async fn write_rows(
    transaction: &mut dyn ReadModelTransaction,
    table: &TableSpec,
    rows: Vec<Vec<SqlValue>>,
    replace_existing: bool,
) -> Result<(), StoreError> {
    let rows_per_statement =
        (PARAMETERS_PER_WRITE.min(MAX_PARAMETERS_PER_STATEMENT) / table.columns.len()).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<SqlValue>> = rows.by_ref().take(rows_per_statement).collect();
        let sql = insert_statement(table, chunk.len(), replace_existing);
        let params: Vec<SqlValue> = chunk.into_iter().flatten().collect();
        transaction.execute(&sql, &params).await?;
    }
    Ok(())
}

fn insert_statement(table: &TableSpec, row_count: usize, replace_existing: bool) -> String {
    let column_count = table.columns.len();
    let mut sql = format!(
        "insert into {} ({}) values ",
        table.name,
        table.columns.join(", ")
    );
    for row in 0..row_count {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..column_count {
            if column > 0 {
                sql.push_str(", ");
            }
            // Writing to a String cannot fail.
            let _ = write!(sql, "${}", row * column_count + column + 1);
        }
        sql.push(')');
    }
    if replace_existing {
        let updates: Vec<String> = table
            .columns
            .iter()
            .filter(|column| !table.primary_key.contains(column))
            .map(|column| format!("{column} = excluded.{column}"))
            .collect();
        let conflict_target = table.primary_key.join(", ");
        if updates.is_empty() {
            let _ = write!(sql, " on conflict ({conflict_target}) do nothing");
        } else {
            let _ = write!(
                sql,
                " on conflict ({conflict_target}) do update set {}",
                updates.join(", ")
            );
        }
    }
    sql
}

/// Loads the rows of `table` whose `(tenant_id, id_column)` is one of `keys`, in as few queries
/// as the parameter limit allows. The query asks for `tenant_id in (...) and id in (...)`,
/// which both backends answer from the `(tenant_id, id)` index; the cross product may return a
/// row whose pair was not asked for, so rows are filtered on the exact pairs afterwards.
pub(crate) async fn select_by_tenant_and_ids(
    transaction: &mut dyn ReadModelTransaction,
    table: &TableSpec,
    id_column: &str,
    keys: &BTreeSet<(String, String)>,
) -> Result<Vec<Vec<SqlValue>>, StoreError> {
    let id_index = table
        .columns
        .iter()
        .position(|column| *column == id_column)
        .ok_or_else(|| {
            StoreError::InvalidInput(format!("{} has no column {id_column}", table.name))
        })?;
    let tenant_index = table
        .columns
        .iter()
        .position(|column| *column == "tenant_id")
        .ok_or_else(|| {
            StoreError::InvalidInput(format!("{} has no tenant_id column", table.name))
        })?;
    let keys: Vec<&(String, String)> = keys.iter().collect();
    let mut found = Vec::new();
    // Half the budget for tenants and half for ids keeps every chunk under the limit.
    for chunk in keys.chunks(MAX_PARAMETERS_PER_STATEMENT / 2) {
        let tenants: BTreeSet<&str> = chunk.iter().map(|(tenant, _)| tenant.as_str()).collect();
        let ids: BTreeSet<&str> = chunk.iter().map(|(_, id)| id.as_str()).collect();
        let mut params: Vec<SqlValue> = Vec::with_capacity(tenants.len() + ids.len());
        params.extend(tenants.iter().map(|tenant| SqlValue::from(*tenant)));
        params.extend(ids.iter().map(|id| SqlValue::from(*id)));
        let sql = format!(
            "select {} from {} where tenant_id in ({}) and {id_column} in ({})",
            table.columns.join(", "),
            table.name,
            placeholders(1, tenants.len()),
            placeholders(tenants.len() + 1, ids.len()),
        );
        let wanted: BTreeSet<(&str, &str)> = chunk
            .iter()
            .map(|(tenant, id)| (tenant.as_str(), id.as_str()))
            .collect();
        for row in transaction.fetch_all(&sql, &params).await? {
            let pair = (
                row.get(tenant_index).and_then(SqlValue::as_text),
                row.get(id_index).and_then(SqlValue::as_text),
            );
            if let (Some(tenant), Some(id)) = pair {
                if wanted.contains(&(tenant, id)) {
                    found.push(row);
                }
            }
        }
    }
    Ok(found)
}

/// `$first, $first+1, ...` for `count` parameters.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|index| format!("${index}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: TableSpec = TableSpec {
        name: "thing",
        columns: &["tenant_id", "thing_id", "label"],
        primary_key: &["tenant_id", "thing_id"],
    };

    #[test]
    fn upserts_update_every_column_outside_the_key() {
        assert_eq!(
            insert_statement(&TABLE, 2, true),
            "insert into thing (tenant_id, thing_id, label) values ($1, $2, $3), ($4, $5, $6) \
             on conflict (tenant_id, thing_id) do update set label = excluded.label"
        );
        assert_eq!(
            insert_statement(&TABLE, 1, false),
            "insert into thing (tenant_id, thing_id, label) values ($1, $2, $3)"
        );
    }

    #[test]
    fn placeholders_are_numbered_from_the_first() {
        assert_eq!(placeholders(3, 3), "$3, $4, $5");
        assert_eq!(placeholders(1, 0), "");
    }
}
