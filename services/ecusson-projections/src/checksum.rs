//! A SHA-256 over every row of a projection's tables, to prove that a rebuilt read model equals
//! the incrementally maintained one.
//!
//! Rows are read in primary-key order, a page at a time (keyset pagination with a row-value
//! comparison, which both backends support), and every value is fed with a type tag and a
//! length prefix, so that no two different tables can hash alike by shifting bytes between
//! columns. The checkpoint is not hashed: it says where the projection is, not what it holds.

use crate::bulk_statement::placeholders;
use crate::engine::TableSpec;
use crate::ProjectionError;
use ecusson_store::{ReadModelTransaction, SqlValue};
use sha2::{Digest, Sha256};

const PAGE_SIZE: usize = 5_000;

pub(crate) async fn checksum_tables(
    transaction: &mut dyn ReadModelTransaction,
    projection: &str,
    tables: &[TableSpec],
) -> Result<String, ProjectionError> {
    let mut hasher = Sha256::new();
    for table in tables {
        hash_bytes(&mut hasher, b'T', table.name.as_bytes());
        let key_positions: Vec<usize> = table
            .primary_key
            .iter()
            .map(|key| {
                table
                    .columns
                    .iter()
                    .position(|column| column == key)
                    .ok_or_else(|| ProjectionError::MalformedRow {
                        table: table.name.to_owned(),
                        detail: format!("primary key column {key} is not among the columns"),
                    })
            })
            .collect::<Result<_, _>>()?;
        let columns = table.columns.join(", ");
        let order = table.primary_key.join(", ");
        let mut last_key: Option<Vec<SqlValue>> = None;
        loop {
            let (sql, params) = match &last_key {
                None => (format!("select {columns} from {} order by {order} limit {PAGE_SIZE}", table.name), Vec::new()),
                Some(key) => (
                    format!(
                        "select {columns} from {} where ({order}) > ({}) order by {order} limit {PAGE_SIZE}",
                        table.name,
                        placeholders(1, key.len())
                    ),
                    key.clone(),
                ),
            };
            let rows = transaction
                .fetch_all(&sql, &params)
                .await
                .map_err(ProjectionError::store(projection))?;
            for row in &rows {
                hasher.update([b'R']);
                for value in row {
                    hash_value(&mut hasher, value);
                }
            }
            match rows.last() {
                Some(row) if rows.len() == PAGE_SIZE => {
                    let key = key_positions
                        .iter()
                        .map(|position| {
                            row.get(*position).cloned().ok_or_else(|| {
                                ProjectionError::MalformedRow {
                                    table: table.name.to_owned(),
                                    detail: format!("a row has no column {position}"),
                                }
                            })
                        })
                        .collect::<Result<_, _>>()?;
                    last_key = Some(key);
                }
                _ => break,
            }
        }
    }
    Ok(hex::encode(hasher.finalize()))
}

fn hash_value(hasher: &mut Sha256, value: &SqlValue) {
    match value {
        SqlValue::Null => hasher.update([b'N']),
        SqlValue::Int(number) => {
            hasher.update([b'I']);
            hasher.update(number.to_be_bytes());
        }
        SqlValue::Text(text) => hash_bytes(hasher, b'S', text.as_bytes()),
        SqlValue::Bytes(bytes) => hash_bytes(hasher, b'B', bytes),
    }
}

fn hash_bytes(hasher: &mut Sha256, tag: u8, bytes: &[u8]) {
    hasher.update([tag]);
    hasher.update((bytes.len() as u64).to_be_bytes());
    hasher.update(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(values: &[SqlValue]) -> Vec<u8> {
        let mut hasher = Sha256::new();
        for value in values {
            hash_value(&mut hasher, value);
        }
        hasher.finalize().to_vec()
    }

    #[test]
    fn shifting_bytes_between_values_changes_the_hash() {
        assert_ne!(
            digest(&["ab".into(), "c".into()]),
            digest(&["a".into(), "bc".into()])
        );
        assert_ne!(digest(&[SqlValue::Null]), digest(&["".into()]));
        assert_ne!(digest(&[SqlValue::Int(1)]), digest(&["1".into()]));
    }
}
