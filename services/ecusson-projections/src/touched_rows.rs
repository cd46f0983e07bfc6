//! The in-memory working set of one batch: the rows loaded from a table plus the rows the
//! batch created, keyed by primary key, remembering which ones changed so that only those are
//! written back.

use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug)]
pub(crate) struct TouchedRows<Key: Ord + Clone, Row> {
    rows: BTreeMap<Key, Row>,
    changed: BTreeSet<Key>,
}

impl<Key: Ord + Clone, Row> Default for TouchedRows<Key, Row> {
    fn default() -> Self {
        Self {
            rows: BTreeMap::new(),
            changed: BTreeSet::new(),
        }
    }
}

impl<Key: Ord + Clone, Row> TouchedRows<Key, Row> {
    /// Adds a row as it is in the database (not changed).
    pub(crate) fn loaded(&mut self, key: Key, row: Row) {
        self.rows.insert(key, row);
    }

    /// Adds or replaces a row, marking it changed.
    pub(crate) fn put(&mut self, key: Key, row: Row) {
        self.changed.insert(key.clone());
        self.rows.insert(key, row);
    }

    pub(crate) fn get(&self, key: &Key) -> Option<&Row> {
        self.rows.get(key)
    }

    /// A row to modify, marked changed.
    pub(crate) fn get_mut(&mut self, key: &Key) -> Option<&mut Row> {
        let row = self.rows.get_mut(key)?;
        self.changed.insert(key.clone());
        Some(row)
    }

    /// The changed rows, in key order (a deterministic statement for a given batch).
    pub(crate) fn changed_rows(&self) -> impl Iterator<Item = &Row> {
        self.changed.iter().filter_map(|key| self.rows.get(key))
    }
}
