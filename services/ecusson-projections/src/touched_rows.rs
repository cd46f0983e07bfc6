//! The in-memory working set of one batch: the rows loaded from a table plus the rows the
//! batch created, keyed by primary key, remembering which ones changed so that only those are
//! written back.

use ecusson_domain::{AwardId, RequestId, TenantId};
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

    /// Modifies every row `select` picks, marking those changed.
    pub(crate) fn update_where(
        &mut self,
        select: impl Fn(&Key, &Row) -> bool,
        mut update: impl FnMut(&mut Row),
    ) {
        for (key, row) in self.rows.iter_mut() {
            if select(key, row) {
                update(row);
                self.changed.insert(key.clone());
            }
        }
    }

    /// The changed rows, in key order (a deterministic statement for a given batch).
    pub(crate) fn changed_rows(&self) -> impl Iterator<Item = &Row> {
        self.changed.iter().filter_map(|key| self.rows.get(key))
    }
}

/// What an event says about the request or award rows of a projection keyed by request.
#[derive(Clone, Copy, Debug)]
pub(crate) enum SubjectReference {
    /// A new request: its row is created by the event itself.
    Creates(RequestId),
    /// An award: names the request, and the award later events will name.
    Awards(RequestId, AwardId),
    Request(RequestId),
    Award(AwardId),
}

/// Which rows of earlier batches one batch must load: the requests and awards it refers to
/// but did not create itself (a request made, or an award granted, in this batch is already
/// in memory when later events of the batch need it).
#[derive(Debug, Default)]
pub(crate) struct RowsToLoad {
    requested_in_batch: BTreeSet<(TenantId, RequestId)>,
    awarded_in_batch: BTreeSet<(TenantId, AwardId)>,
    /// (tenant, request id) of rows to load by request.
    pub(crate) request_keys: BTreeSet<(String, String)>,
    /// (tenant, award id) of rows to load by award.
    pub(crate) award_keys: BTreeSet<(String, String)>,
}

impl RowsToLoad {
    /// Records one event's reference, in feed order.
    pub(crate) fn note(&mut self, tenant: TenantId, reference: SubjectReference) {
        match reference {
            SubjectReference::Creates(request_id) => {
                self.requested_in_batch.insert((tenant, request_id));
            }
            SubjectReference::Awards(request_id, award_id) => {
                self.awarded_in_batch.insert((tenant, award_id));
                self.note_request(tenant, request_id);
            }
            SubjectReference::Request(request_id) => self.note_request(tenant, request_id),
            SubjectReference::Award(award_id) => {
                if !self.awarded_in_batch.contains(&(tenant, award_id)) {
                    self.award_keys
                        .insert((tenant.to_string(), award_id.to_string()));
                }
            }
        }
    }

    fn note_request(&mut self, tenant: TenantId, request_id: RequestId) {
        if !self.requested_in_batch.contains(&(tenant, request_id)) {
            self.request_keys
                .insert((tenant.to_string(), request_id.to_string()));
        }
    }

    /// True when the batch touches no request or award at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.requested_in_batch.is_empty()
            && self.awarded_in_batch.is_empty()
            && self.request_keys.is_empty()
            && self.award_keys.is_empty()
    }
}
