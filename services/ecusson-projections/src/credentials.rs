//! The credentials read model: every award with where it stands (active, revoked, expired) and
//! the latest signed credential issued for it, and every credential ever issued. It answers
//! the public side of the ledger, which knows an award or a credential by its id alone: which
//! tenant and earner an id belongs to, which awards still wait for their credential, and which
//! credentials a tenant's revocation list names.

use crate::bulk_statement::{select_by_tenant_and_ids, upsert_rows};
use crate::engine::{DecodedEvent, Projection, TableSpec};
use crate::row_codec::{
    bool_value, optional_timestamp_value, optional_uuid_value, timestamp_value, uuid_value,
    RowReader,
};
use crate::touched_rows::TouchedRows;
use crate::ProjectionError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ecusson_domain::{
    AwardId, BadgeClassId, CredentialId, DomainEvent, PersonId, ReasonCode, TenantId,
};
use ecusson_store::{ReadModelTransaction, SqlValue};
use std::collections::BTreeSet;

pub const NAME: &str = "credentials";

const AWARD: TableSpec = TableSpec {
    name: "credential_award",
    columns: &[
        "tenant_id",
        "award_id",
        "earner_id",
        "badge_class_id",
        "revision",
        "awarded_at",
        "expires_at",
        "state",
        "ended_at",
        "revocation_reason",
        "latest_credential_id",
        "erased",
    ],
    primary_key: &["tenant_id", "award_id"],
};

const ISSUED: TableSpec = TableSpec {
    name: "credential_issued",
    columns: &[
        "tenant_id",
        "credential_id",
        "award_id",
        "earner_id",
        "issued_at",
    ],
    primary_key: &["tenant_id", "credential_id"],
};

const TABLES: &[TableSpec] = &[AWARD, ISSUED];

/// Where an award stands, as its public documents tell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AwardStanding {
    Active,
    Revoked,
    Expired,
}

impl AwardStanding {
    pub fn as_str(self) -> &'static str {
        match self {
            AwardStanding::Active => "active",
            AwardStanding::Revoked => "revoked",
            AwardStanding::Expired => "expired",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(AwardStanding::Active),
            "revoked" => Some(AwardStanding::Revoked),
            "expired" => Some(AwardStanding::Expired),
            _ => None,
        }
    }
}

/// One award.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwardEntry {
    pub tenant_id: TenantId,
    pub award_id: AwardId,
    pub earner_id: PersonId,
    pub badge_class_id: BadgeClassId,
    pub revision: u32,
    pub awarded_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub state: AwardStanding,
    /// When the revocation or the expiry was recorded.
    pub ended_at: Option<DateTime<Utc>>,
    pub revocation_reason: Option<ReasonCode>,
    pub latest_credential_id: Option<CredentialId>,
    /// The earner's personal data was erased: the award stays counted, but nothing about it
    /// is public any more and no credential is issued for it.
    pub erased: bool,
}

/// One credential issued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedEntry {
    pub tenant_id: TenantId,
    pub credential_id: CredentialId,
    pub award_id: AwardId,
    pub earner_id: PersonId,
    pub issued_at: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct CredentialsProjection;

#[async_trait]
impl Projection for CredentialsProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [TableSpec] {
        TABLES
    }

    async fn apply_batch(
        &self,
        transaction: &mut dyn ReadModelTransaction,
        events: &[DecodedEvent],
    ) -> Result<(), ProjectionError> {
        // Awards granted in this batch are in memory when later events of the batch name
        // them; only awards of earlier batches are loaded.
        let mut awarded_in_batch = BTreeSet::new();
        let mut to_load = BTreeSet::new();
        for decoded in events {
            let tenant_id = decoded.recorded.tenant_id;
            let award_id = match &decoded.event {
                DomainEvent::BadgeAwarded(awarded) => {
                    awarded_in_batch.insert((tenant_id, awarded.award_id));
                    continue;
                }
                DomainEvent::BadgeRevoked(revoked) => revoked.award_id,
                DomainEvent::BadgeExpired(expired) => expired.award_id,
                DomainEvent::CredentialIssued(issued) => issued.award_id,
                _ => continue,
            };
            if !awarded_in_batch.contains(&(tenant_id, award_id)) {
                to_load.insert((tenant_id.to_string(), award_id.to_string()));
            }
        }
        let mut awards: TouchedRows<(TenantId, AwardId), AwardEntry> = TouchedRows::default();
        if !to_load.is_empty() {
            let rows = select_by_tenant_and_ids(transaction, &AWARD, "award_id", &to_load)
                .await
                .map_err(ProjectionError::store(NAME))?;
            for row in &rows {
                let entry = award_from_row(row)?;
                awards.loaded((entry.tenant_id, entry.award_id), entry);
            }
        }
        let mut issued_rows = Vec::new();
        for decoded in events {
            let tenant_id = decoded.recorded.tenant_id;
            let at = decoded.recorded.recorded_at;
            let unknown_award = |award_id: AwardId| ProjectionError::Inconsistent {
                projection: NAME.to_owned(),
                tenant_id,
                seq: decoded.recorded.seq,
                detail: format!("event about unknown award {award_id}"),
            };
            match &decoded.event {
                DomainEvent::BadgeAwarded(awarded) => awards.put(
                    (tenant_id, awarded.award_id),
                    AwardEntry {
                        tenant_id,
                        award_id: awarded.award_id,
                        earner_id: awarded.earner_id,
                        badge_class_id: awarded.badge_class_id,
                        revision: awarded.revision,
                        awarded_at: awarded.awarded_at,
                        expires_at: awarded.expires_at,
                        state: AwardStanding::Active,
                        ended_at: None,
                        revocation_reason: None,
                        latest_credential_id: None,
                        erased: false,
                    },
                ),
                DomainEvent::BadgeRevoked(revoked) => {
                    let entry = awards
                        .get_mut(&(tenant_id, revoked.award_id))
                        .ok_or_else(|| unknown_award(revoked.award_id))?;
                    entry.state = AwardStanding::Revoked;
                    entry.ended_at = Some(at);
                    entry.revocation_reason = Some(revoked.reason.code);
                }
                DomainEvent::BadgeExpired(expired) => {
                    let entry = awards
                        .get_mut(&(tenant_id, expired.award_id))
                        .ok_or_else(|| unknown_award(expired.award_id))?;
                    entry.state = AwardStanding::Expired;
                    entry.ended_at = Some(at);
                }
                DomainEvent::CredentialIssued(issued) => {
                    let entry = awards
                        .get_mut(&(tenant_id, issued.award_id))
                        .ok_or_else(|| unknown_award(issued.award_id))?;
                    entry.latest_credential_id = Some(issued.credential_id);
                    issued_rows.push(vec![
                        uuid_value(tenant_id),
                        uuid_value(issued.credential_id),
                        uuid_value(issued.award_id),
                        uuid_value(entry.earner_id),
                        timestamp_value(&issued.issued_at),
                    ]);
                }
                DomainEvent::SubjectErased(erased) => {
                    // The rows of this batch, then the stored ones it did not load.
                    awards.update_where(
                        |(tenant, _), entry| {
                            *tenant == tenant_id && entry.earner_id == erased.earner_id
                        },
                        |entry| entry.erased = true,
                    );
                    transaction
                        .execute(
                            "update credential_award set erased = 1 \
                             where tenant_id = $1 and earner_id = $2",
                            &[uuid_value(tenant_id), uuid_value(erased.earner_id)],
                        )
                        .await
                        .map_err(ProjectionError::store(NAME))?;
                }
                _ => {}
            }
        }
        let changed = awards.changed_rows().map(award_to_row).collect();
        upsert_rows(transaction, &AWARD, changed)
            .await
            .map_err(ProjectionError::store(NAME))?;
        // A credential is issued once: its row is new (an upsert keeps a replay harmless).
        upsert_rows(transaction, &ISSUED, issued_rows)
            .await
            .map_err(ProjectionError::store(NAME))
    }
}

fn reason_text(code: ReasonCode) -> String {
    crate::row_codec::enum_text(&code)
}

fn award_to_row(entry: &AwardEntry) -> Vec<SqlValue> {
    vec![
        uuid_value(entry.tenant_id),
        uuid_value(entry.award_id),
        uuid_value(entry.earner_id),
        uuid_value(entry.badge_class_id),
        SqlValue::Int(i64::from(entry.revision)),
        timestamp_value(&entry.awarded_at),
        optional_timestamp_value(&entry.expires_at),
        SqlValue::Text(entry.state.as_str().to_owned()),
        optional_timestamp_value(&entry.ended_at),
        entry
            .revocation_reason
            .map_or(SqlValue::Null, |code| SqlValue::Text(reason_text(code))),
        optional_uuid_value(entry.latest_credential_id),
        bool_value(entry.erased),
    ]
}

fn award_from_row(row: &[SqlValue]) -> Result<AwardEntry, ProjectionError> {
    let reader = RowReader::new(AWARD.name, row, AWARD.columns.len())?;
    let revocation_reason = match reader.optional_text(9)? {
        None => None,
        Some(text) => Some(reader.known(9, crate::row_codec::parse_enum_text(text))?),
    };
    Ok(AwardEntry {
        tenant_id: reader.uuid(0)?,
        award_id: reader.uuid(1)?,
        earner_id: reader.uuid(2)?,
        badge_class_id: reader.uuid(3)?,
        revision: reader.unsigned(4)?,
        awarded_at: reader.timestamp(5)?,
        expires_at: reader.optional_timestamp(6)?,
        state: reader.known(7, AwardStanding::parse(reader.text(7)?))?,
        ended_at: reader.optional_timestamp(8)?,
        revocation_reason,
        latest_credential_id: reader.optional_uuid(10)?,
        erased: reader.bool(11)?,
    })
}

fn issued_from_row(row: &[SqlValue]) -> Result<IssuedEntry, ProjectionError> {
    let reader = RowReader::new(ISSUED.name, row, ISSUED.columns.len())?;
    Ok(IssuedEntry {
        tenant_id: reader.uuid(0)?,
        credential_id: reader.uuid(1)?,
        award_id: reader.uuid(2)?,
        earner_id: reader.uuid(3)?,
        issued_at: reader.timestamp(4)?,
    })
}

async fn select_awards(
    transaction: &mut dyn ReadModelTransaction,
    condition: &str,
    params: &[SqlValue],
) -> Result<Vec<AwardEntry>, ProjectionError> {
    let rows = transaction
        .fetch_all(
            &format!(
                "select {} from credential_award where {condition}",
                AWARD.columns.join(", ")
            ),
            params,
        )
        .await
        .map_err(ProjectionError::store(NAME))?;
    rows.iter().map(|row| award_from_row(row)).collect()
}

/// An award by its id alone (public URLs carry no tenant).
pub async fn award_by_id(
    transaction: &mut dyn ReadModelTransaction,
    award_id: AwardId,
) -> Result<Option<AwardEntry>, ProjectionError> {
    Ok(
        select_awards(transaction, "award_id = $1", &[uuid_value(award_id)])
            .await?
            .into_iter()
            .next(),
    )
}

/// A credential by its id alone.
pub async fn credential_by_id(
    transaction: &mut dyn ReadModelTransaction,
    credential_id: CredentialId,
) -> Result<Option<IssuedEntry>, ProjectionError> {
    let rows = transaction
        .fetch_all(
            &format!(
                "select {} from credential_issued where credential_id = $1",
                ISSUED.columns.join(", ")
            ),
            &[uuid_value(credential_id)],
        )
        .await
        .map_err(ProjectionError::store(NAME))?;
    rows.first().map(|row| issued_from_row(row)).transpose()
}

/// Standing awards that have no credential yet, across tenants, oldest first within a tenant.
/// Standing awards that have no credential yet, across tenants, in (tenant, award) order,
/// after `after` (a page's last entry), at most `limit`.
pub async fn awards_awaiting_credential(
    transaction: &mut dyn ReadModelTransaction,
    after: Option<(TenantId, AwardId)>,
    limit: usize,
) -> Result<Vec<AwardEntry>, ProjectionError> {
    let limit = SqlValue::Int(i64::try_from(limit).unwrap_or(i64::MAX));
    match after {
        None => {
            select_awards(
                transaction,
                "state = 'active' and latest_credential_id is null and erased = 0 \
                 order by tenant_id, award_id limit $1",
                &[limit],
            )
            .await
        }
        Some((tenant, award)) => {
            select_awards(
                transaction,
                "state = 'active' and latest_credential_id is null and erased = 0 \
                 and (tenant_id > $1 or (tenant_id = $1 and award_id > $2)) \
                 order by tenant_id, award_id limit $3",
                &[uuid_value(tenant), uuid_value(award), limit],
            )
            .await
        }
    }
}

/// Every credential issued for a revoked award of a tenant, with the award's revocation: what
/// the tenant's revocation list says. One statement.
pub async fn revoked_credentials(
    transaction: &mut dyn ReadModelTransaction,
    tenant_id: TenantId,
) -> Result<Vec<(IssuedEntry, AwardEntry)>, ProjectionError> {
    let columns = |alias: &str, table: &TableSpec| {
        table
            .columns
            .iter()
            .map(|column| format!("{alias}.{column}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let rows = transaction
        .fetch_all(
            &format!(
                "select {}, {} from credential_issued i join credential_award a \
                 on a.tenant_id = i.tenant_id and a.award_id = i.award_id \
                 where a.tenant_id = $1 and a.state = 'revoked' \
                 order by i.award_id, i.issued_at, i.credential_id",
                columns("i", &ISSUED),
                columns("a", &AWARD)
            ),
            &[uuid_value(tenant_id)],
        )
        .await
        .map_err(ProjectionError::store(NAME))?;
    rows.iter()
        .map(|row| {
            let (issued, award) = row.split_at(ISSUED.columns.len().min(row.len()));
            Ok((issued_from_row(issued)?, award_from_row(award)?))
        })
        .collect()
}

/// Every credential issued for one award, oldest first.
pub async fn credentials_of_award(
    transaction: &mut dyn ReadModelTransaction,
    tenant_id: TenantId,
    award_id: AwardId,
) -> Result<Vec<IssuedEntry>, ProjectionError> {
    let rows = transaction
        .fetch_all(
            &format!(
                "select {} from credential_issued where tenant_id = $1 and award_id = $2 \
                 order by issued_at, credential_id",
                ISSUED.columns.join(", ")
            ),
            &[uuid_value(tenant_id), uuid_value(award_id)],
        )
        .await
        .map_err(ProjectionError::store(NAME))?;
    rows.iter().map(|row| issued_from_row(row)).collect()
}
