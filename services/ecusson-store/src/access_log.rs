//! The access log of personal data (migration 0011): who read which person's data, when, and
//! what kind of it. Append-only, and kept for a retention period only ([`purge_before`],
//! migration 0013); keyed by the person's tenant. Written by the API before it
//! answers the data (a failed write answers nothing), read by the network's administrators and
//! by the person themself.

use crate::read_model::SqlValue;
use crate::{EventStore, StoreError};
use chrono::{DateTime, SecondsFormat, Utc};
use ecusson_domain::{PersonId, TenantId};
use uuid::Uuid;

/// One read of one person's data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessEntry {
    pub tenant_id: TenantId,
    pub subject_id: PersonId,
    /// A UUIDv7: entries of one person sort by it in the order they were written.
    pub access_id: Uuid,
    pub accessed_at: DateTime<Utc>,
    pub reader_tenant_id: TenantId,
    pub reader_id: PersonId,
    pub reader_roles: Vec<String>,
    pub what: String,
    pub channel: String,
}

pub async fn record(store: &dyn EventStore, entry: &AccessEntry) -> Result<(), StoreError> {
    let mut transaction = store.begin_read_model().await?;
    transaction
        .execute(
            "insert into personal_data_access (tenant_id, subject_id, access_id, accessed_at, \
             reader_tenant_id, reader_id, reader_roles, what, channel) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                SqlValue::text(entry.tenant_id),
                SqlValue::text(entry.subject_id),
                SqlValue::text(entry.access_id),
                SqlValue::text(
                    entry
                        .accessed_at
                        .to_rfc3339_opts(SecondsFormat::Micros, true),
                ),
                SqlValue::text(entry.reader_tenant_id),
                SqlValue::text(entry.reader_id),
                SqlValue::text(entry.reader_roles.join(",")),
                SqlValue::text(&entry.what),
                SqlValue::text(&entry.channel),
            ],
        )
        .await?;
    transaction.commit().await
}

/// How long the access log is kept by default: the CNIL's guidance for access logs is six
/// months to a year; a year lets a worker ask "who read my file this past year".
pub const DEFAULT_RETENTION_DAYS: u32 = 365;

/// Deletes the entries written before `cutoff`, at most `limit` of them (the oldest first),
/// and says how many went. Run again while it deletes `limit`.
pub async fn purge_before(
    store: &dyn EventStore,
    cutoff: DateTime<Utc>,
    limit: usize,
) -> Result<u64, StoreError> {
    let mut transaction = store.begin_read_model().await?;
    let deleted = transaction
        .execute(
            "delete from personal_data_access where (tenant_id, subject_id, access_id) in \
             (select tenant_id, subject_id, access_id from personal_data_access \
              where accessed_at < $1 order by accessed_at limit $2)",
            &[
                SqlValue::text(cutoff.to_rfc3339_opts(SecondsFormat::Micros, true)),
                SqlValue::Int(i64::try_from(limit).unwrap_or(i64::MAX)),
            ],
        )
        .await?;
    transaction.commit().await?;
    Ok(deleted)
}

/// The reads of one person's data, newest first, before `before` (an access id), at most
/// `limit`.
pub async fn of_subject(
    store: &dyn EventStore,
    tenant_id: TenantId,
    subject_id: PersonId,
    before: Option<Uuid>,
    limit: usize,
) -> Result<Vec<AccessEntry>, StoreError> {
    let before = before.map_or_else(|| "~".to_owned(), |id| id.to_string());
    let rows = store
        .read_once(
            "select access_id, accessed_at, reader_tenant_id, reader_id, reader_roles, what, \
             channel from personal_data_access where tenant_id = $1 and subject_id = $2 \
             and access_id < $3 order by access_id desc limit $4",
            &[
                SqlValue::text(tenant_id),
                SqlValue::text(subject_id),
                SqlValue::text(before),
                SqlValue::Int(i64::try_from(limit).unwrap_or(i64::MAX)),
            ],
        )
        .await?;
    rows.iter()
        .map(|row| {
            let text = |index: usize| {
                row.get(index)
                    .and_then(SqlValue::as_text)
                    .ok_or_else(|| corrupt("a missing column"))
            };
            let uuid = |index: usize| {
                Uuid::parse_str(text(index)?).map_err(|_| corrupt("an id that is not a UUID"))
            };
            let roles = text(4)?;
            Ok(AccessEntry {
                tenant_id,
                subject_id,
                access_id: uuid(0)?,
                accessed_at: DateTime::parse_from_rfc3339(text(1)?)
                    .map_err(|_| corrupt("a time that is not RFC 3339"))?
                    .with_timezone(&Utc),
                reader_tenant_id: TenantId(uuid(2)?),
                reader_id: PersonId(uuid(3)?),
                reader_roles: roles
                    .split(',')
                    .filter(|role| !role.is_empty())
                    .map(str::to_owned)
                    .collect(),
                what: text(5)?.to_owned(),
                channel: text(6)?.to_owned(),
            })
        })
        .collect()
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} in the access log"))
}
