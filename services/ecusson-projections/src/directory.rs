//! The directory read model: the structures each network admitted, and so the network of each
//! structure (its catalogue, its committees). From the network tenants' `StructureAdmitted`
//! events.

use crate::bulk_statement::upsert_rows;
use crate::engine::{DecodedEvent, Projection, TableSpec};
use crate::row_codec::{enum_text, timestamp_value, uuid_value, RowReader};
use crate::ProjectionError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ecusson_domain::{DomainEvent, StructureKind, TenantId};
use ecusson_store::{ReadModelTransaction, SqlValue};

pub const NAME: &str = "directory";

const STRUCTURE: TableSpec = TableSpec {
    name: "directory_structure",
    columns: &["tenant_id", "structure_id", "kind", "name", "admitted_at"],
    primary_key: &["tenant_id", "structure_id"],
};

/// A structure admitted to a network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructureEntry {
    /// The network's tenant.
    pub network_id: TenantId,
    pub structure_id: TenantId,
    pub kind: StructureKind,
    pub name: String,
    pub admitted_at: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct DirectoryProjection;

#[async_trait]
impl Projection for DirectoryProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [TableSpec] {
        &[STRUCTURE]
    }

    async fn apply_batch(
        &self,
        transaction: &mut dyn ReadModelTransaction,
        events: &[DecodedEvent],
    ) -> Result<(), ProjectionError> {
        // A structure is admitted once (the network aggregate refuses a second admission):
        // every row is new, and nothing needs to be read first.
        let rows: Vec<Vec<SqlValue>> = events
            .iter()
            .filter_map(|decoded| match &decoded.event {
                DomainEvent::StructureAdmitted(admitted) => Some(vec![
                    uuid_value(decoded.recorded.tenant_id),
                    uuid_value(admitted.structure_id),
                    SqlValue::Text(enum_text(&admitted.kind)),
                    SqlValue::Text(admitted.name.clone()),
                    timestamp_value(&decoded.recorded.recorded_at),
                ]),
                _ => None,
            })
            .collect();
        upsert_rows(transaction, &STRUCTURE, rows)
            .await
            .map_err(ProjectionError::store(NAME))
    }
}

fn structure_from_row(row: &[SqlValue]) -> Result<StructureEntry, ProjectionError> {
    let reader = RowReader::new(STRUCTURE.name, row, STRUCTURE.columns.len())?;
    Ok(StructureEntry {
        network_id: reader.uuid(0)?,
        structure_id: reader.uuid(1)?,
        kind: reader.enumeration(2)?,
        name: reader.owned_text(3)?,
        admitted_at: reader.timestamp(4)?,
    })
}

/// The structures of a network, by name.
pub async fn structures_of_network(
    transaction: &mut dyn ReadModelTransaction,
    network_id: TenantId,
) -> Result<Vec<StructureEntry>, ProjectionError> {
    let rows = transaction
        .fetch_all(
            &format!(
                "select {} from directory_structure where tenant_id = $1 order by name, structure_id",
                STRUCTURE.columns.join(", ")
            ),
            &[uuid_value(network_id)],
        )
        .await
        .map_err(ProjectionError::store(NAME))?;
    rows.iter().map(|row| structure_from_row(row)).collect()
}

/// The directory entry of a structure: its network, kind and name.
pub async fn structure(
    transaction: &mut dyn ReadModelTransaction,
    structure_id: TenantId,
) -> Result<Option<StructureEntry>, ProjectionError> {
    let rows = transaction
        .fetch_all(
            &format!(
                "select {} from directory_structure where structure_id = $1",
                STRUCTURE.columns.join(", ")
            ),
            &[uuid_value(structure_id)],
        )
        .await
        .map_err(ProjectionError::store(NAME))?;
    rows.first().map(|row| structure_from_row(row)).transpose()
}
