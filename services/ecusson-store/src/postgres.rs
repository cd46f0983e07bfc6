//! The PostgreSQL backend (production).
//!
//! An append is one round trip to the `ecusson_append` function (schema/migrations/postgres),
//! which serialises the writers of a tenant, checks the expected version and idempotency key,
//! extends the hash chain and inserts the batch. The cross-tenant feed reads only rows whose
//! transaction is older than every running transaction, so it never skips a late commit.

use crate::coalesce::{Appends, CoalescedReads, Coalescer, SqlReads, StreamReads};
use crate::prepare::{
    append_outcome, decode_page, prepare_append, recorded_event, tenant_head, PreparedAppend,
};
use crate::read_model::{ReadModelTransaction, SqlValue};
use crate::types::*;
use crate::vault::SealedEntry;
use crate::{EventStore, StoreError};
use async_trait::async_trait;
use ecusson_domain::TenantId;
use sqlx::encode::IsNull;
use sqlx::postgres::{PgArgumentBuffer, PgPool, PgRow, PgTypeInfo, Postgres};
use sqlx::{Column, Row, TypeInfo, ValueRef};
use std::sync::Arc;
use tracing::Instrument;
use uuid::Uuid;

#[derive(Clone)]
pub struct PostgresEventStore {
    pool: PgPool,
    /// Concurrent single-statement reads of one statement go as one (see [`crate::coalesce`]).
    reads: Arc<Coalescer<SqlReads>>,
    /// Concurrent reads of several streams go as one.
    streams: Arc<Coalescer<StreamReads>>,
    /// Concurrent single-event appends of one tenant go as one ([`EventStore::append_grouped`]).
    appends: Arc<Coalescer<Appends>>,
}

impl PostgresEventStore {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            reads: Arc::default(),
            streams: Arc::default(),
            appends: Arc::default(),
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// How single-statement reads are being coalesced (see [`crate::coalesce`]).
    pub fn coalesced_reads(&self) -> CoalescedReads {
        self.reads.statistics()
    }

    /// How reads of several streams are being coalesced (see [`crate::coalesce`]).
    pub fn coalesced_stream_reads(&self) -> CoalescedReads {
        self.streams.statistics()
    }

    /// How single-event appends are being grouped ([`EventStore::append_grouped`]).
    pub fn grouped_appends(&self) -> CoalescedReads {
        self.appends.statistics()
    }
}

const EVENT_COLUMNS: &str = "tenant_id, seq, tx_id, stream_version, canonical";

fn decode_rows(rows: Vec<PgRow>) -> Result<Vec<RecordedEvent>, StoreError> {
    rows.into_iter()
        .map(|row| {
            let tenant_id: Uuid = row.try_get(0)?;
            let seq: i64 = row.try_get(1)?;
            let tx_id: i64 = row.try_get(2)?;
            let stream_version: i64 = row.try_get(3)?;
            let canonical: &[u8] = row.try_get(4)?;
            recorded_event(tenant_id, seq, tx_id, stream_version, canonical)
        })
        .collect()
}

/// Reads `reads` in one call of `ecusson_read_streams`: one page (at most `max` events) per
/// stream, in the order given, each with its tenant's shared sequence of the same snapshot.
pub(crate) async fn read_streams_once<'a>(
    pool: &PgPool,
    reads: impl Iterator<Item = &'a StreamRead>,
    max: usize,
) -> Result<Vec<StreamPage>, StoreError> {
    let mut tenants: Vec<Uuid> = Vec::new();
    let mut streams: Vec<&str> = Vec::new();
    let mut after: Vec<i64> = Vec::new();
    for read in reads {
        tenants.push(read.tenant_id.as_uuid());
        streams.push(read.stream_id.as_str());
        after.push(read.after_version as i64);
    }
    // One index range scan per stream, as `read_stream` does, in a function whose plan is
    // kept (schema/migrations/postgres/0014_read_streams.sql says why); each stream's rows
    // come after one that carries its tenant's shared sequence (0017).
    let rows = sqlx::query(
        "select tenant_id, seq, tx_id, stream_version, canonical, ordinal \
         from ecusson_read_streams($1, $2, $3, $4)",
    )
    .bind(&tenants)
    .bind(&streams)
    .bind(&after)
    .bind(limit(max))
    .fetch_all(pool)
    .await?;
    let mut pages: Vec<StreamPage> = tenants
        .iter()
        .map(|_| StreamPage {
            events: Vec::new(),
            shared_seq: 0,
        })
        .collect();
    for row in rows {
        let ordinal: i64 = row.try_get(5)?;
        let page = usize::try_from(ordinal - 1)
            .ok()
            .and_then(|index| pages.get_mut(index))
            .ok_or_else(|| StoreError::Corrupt(format!("stream read {ordinal}")))?;
        let stream_version: Option<i64> = row.try_get(3)?;
        if stream_version.is_none() {
            let seq: i64 = row.try_get(1)?;
            page.shared_seq = u64::try_from(seq)
                .map_err(|_| StoreError::Corrupt(format!("shared sequence {seq}")))?;
        } else {
            page.events.extend(decode_rows(vec![row])?);
        }
    }
    Ok(pages)
}

/// The append statement: the call of an append function, and, when the request carries vault
/// entries, their insertion in the same statement (so the same transaction), only when the
/// function appended. `first` is the number of the first parameter after the call's.
fn with_vault_entries(call: &str, first: usize, request: &AppendRequest) -> String {
    if request.vault_entries.is_empty() {
        return format!("select o_status, o_first_seq, o_last_seq, o_stream_version from {call}");
    }
    // `materialized`: the call runs once, before the insertion that depends on its status.
    // Each entry's key is checked as it is written, only when the function appended (`case`
    // fixes the order): a changed key raises, and the whole statement, the append with it, is
    // undone (schema/migrations/postgres/0015).
    let [tenant, person, entry, version, nonce, ciphertext, created_at, sealed_under] =
        std::array::from_fn(|index| format!("${}", first + index));
    format!(
        "with appended as materialized ( \
             select o_status, o_first_seq, o_last_seq, o_stream_version from {call}), \
         sealed as ( \
             insert into person_data (tenant_id, person_id, entry_id, version, nonce, ciphertext, created_at) \
             select {tenant}, v.person_id, v.entry_id, v.version, v.nonce, v.ciphertext, v.created_at \
             from unnest({person}::text[], {entry}::text[], {version}::bigint[], {nonce}::bytea[], \
                         {ciphertext}::bytea[], {created_at}::text[], {sealed_under}::bytea[]) \
                 as v(person_id, entry_id, version, nonce, ciphertext, created_at, sealed_under), \
                 appended \
             where case when appended.o_status = 'appended' \
                   then ecusson_person_key_is({tenant}, v.person_id, v.sealed_under) \
                   else false end) \
         select o_status, o_first_seq, o_last_seq, o_stream_version from appended"
    )
}

pub(crate) type AppendRow = (String, Option<i64>, Option<i64>, Option<i64>);
type AppendQuery<'q> = sqlx::query::QueryAs<'q, Postgres, AppendRow, sqlx::postgres::PgArguments>;

/// Binds the parameters that [`with_vault_entries`] numbered after the call's (sqlx numbers
/// parameters in the order they are bound, so this comes after the call's own).
fn bind_vault_entries<'q>(query: AppendQuery<'q>, request: &'q AppendRequest) -> AppendQuery<'q> {
    if request.vault_entries.is_empty() {
        return query;
    }
    let entries: Vec<&SealedEntry> = request.vault_entries.iter().collect();
    bind_entry_columns(query.bind(request.tenant_id.to_string()), &entries)
}

/// The columns of vault entries, one array each, in the order the insertion of
/// [`with_vault_entries`] and [`append_each`] unnests them.
fn bind_entry_columns<'q, O>(
    query: sqlx::query::QueryAs<'q, Postgres, O, sqlx::postgres::PgArguments>,
    entries: &[&'q SealedEntry],
) -> sqlx::query::QueryAs<'q, Postgres, O, sqlx::postgres::PgArguments> {
    let column = |value: fn(&'q SealedEntry) -> &'q [u8]| {
        entries.iter().map(|entry| value(entry)).collect::<Vec<_>>()
    };
    query
        .bind(
            entries
                .iter()
                .map(|entry| entry.person_id.to_string())
                .collect::<Vec<_>>(),
        )
        .bind(
            entries
                .iter()
                .map(|entry| entry.entry_id.to_string())
                .collect::<Vec<_>>(),
        )
        .bind(
            entries
                .iter()
                .map(|entry| entry.version)
                .collect::<Vec<_>>(),
        )
        .bind(column(|entry| entry.nonce.as_slice()))
        .bind(column(|entry| entry.ciphertext.as_slice()))
        .bind(
            entries
                .iter()
                .map(|entry| entry.created_at.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(column(|entry| entry.sealed_under.as_slice()))
}

/// An append of one event to a stream that is not shared, without idempotency key, on at
/// most two tenants' shared sequences: what most commands append, in one statement of scalar
/// arguments ([`append_one`]), and what concurrent commands group ([`append_each`]).
fn is_single_event(request: &AppendRequest) -> bool {
    request.events.len() == 1
        && request.idempotency_key.is_none()
        && request.shared_unchanged.len() <= 2
        && !ecusson_domain::is_shared_stream(request.stream_id.as_str())
}

/// The condition of a single-event append as two (tenant, sequence) pairs, the same twice when
/// it names one tenant (migrations 0017, 0018); `None` without a condition.
fn condition_pair(request: &AppendRequest) -> Option<(SharedAt, SharedAt)> {
    match request.shared_unchanged.as_slice() {
        [a] => Some((*a, *a)),
        [a, b] => Some((*a, *b)),
        _ => None,
    }
}

/// One event ([`is_single_event`]) in one statement: `ecusson_append_one`, or
/// `ecusson_append_one_if_unchanged` with a condition, and the vault entries.
pub(crate) async fn append_one(
    pool: &PgPool,
    request: &AppendRequest,
    prepared: &PreparedAppend,
) -> Result<AppendRow, StoreError> {
    let (Some(event), Some(canonical)) = (request.events.first(), prepared.canonical.first())
    else {
        return Err(StoreError::InvalidInput(
            "an append needs at least one event".into(),
        ));
    };
    let pair = condition_pair(request);
    let sql = match pair {
        None => with_vault_entries(
            "ecusson_append_one($1, $2, $3, $4, $5, $6, $7, $8)",
            9,
            request,
        ),
        Some(_) => with_vault_entries(
            "ecusson_append_one_if_unchanged($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            13,
            request,
        ),
    };
    let mut query = sqlx::query_as(&sql)
        .bind(request.tenant_id.as_uuid())
        .bind(request.stream_id.as_str())
        .bind(request.expected.to_code())
        .bind(event.event_id)
        .bind(event.event_type.as_str())
        .bind(i32::from(event.schema_version))
        .bind(prepared.recorded_at)
        .bind(canonical.as_slice());
    if let Some((a, b)) = pair {
        query = query
            .bind(a.tenant_id.as_uuid())
            .bind(a.seq as i64)
            .bind(b.tenant_id.as_uuid())
            .bind(b.seq as i64);
    }
    bind_vault_entries(query, request)
        .fetch_one(pool)
        .await
        .map_err(|error| crate::append_failed(request, error))
}

/// Single-event appends of one tenant ([`is_single_event`]), from concurrent callers, in one
/// statement and one transaction (`ecusson_append_each`, migration 0018): each decided as
/// [`append_one`] would decide it alone, in the order given; their vault entries in the same
/// statement, each written only if its own append was. One answer per append, in order. An
/// error (a person's key changed under one of them, say) undoes them all: the caller then runs
/// each alone, so that it stays that append's own.
pub(crate) async fn append_each(
    pool: &PgPool,
    tenant_id: TenantId,
    appends: &[&GroupedAppend],
) -> Result<Vec<AppendRow>, StoreError> {
    let count = appends.len();
    let mut stream_ids = Vec::with_capacity(count);
    let mut expected = Vec::with_capacity(count);
    let mut event_ids = Vec::with_capacity(count);
    let mut event_types = Vec::with_capacity(count);
    let mut schema_versions = Vec::with_capacity(count);
    let mut recorded_at = Vec::with_capacity(count);
    let mut canonical = Vec::with_capacity(count);
    let mut tenants_a = Vec::with_capacity(count);
    let mut seqs_a = Vec::with_capacity(count);
    let mut tenants_b = Vec::with_capacity(count);
    let mut seqs_b = Vec::with_capacity(count);
    let mut entries: Vec<(i32, &SealedEntry)> = Vec::new();
    for (index, append) in appends.iter().enumerate() {
        let (request, prepared) = (&append.request, &append.prepared);
        let (Some(event), Some(bytes), true) = (
            request.events.first(),
            prepared.canonical.first(),
            request.tenant_id == tenant_id && is_single_event(request),
        ) else {
            return Err(StoreError::InvalidInput(
                "only single-event appends of one tenant go together".into(),
            ));
        };
        stream_ids.push(request.stream_id.as_str());
        expected.push(request.expected.to_code());
        event_ids.push(event.event_id);
        event_types.push(event.event_type.as_str());
        schema_versions.push(i32::from(event.schema_version));
        recorded_at.push(prepared.recorded_at);
        canonical.push(bytes.as_slice());
        let pair = condition_pair(request);
        tenants_a.push(pair.map(|(a, _)| a.tenant_id.as_uuid()));
        seqs_a.push(pair.map(|(a, _)| a.seq as i64));
        tenants_b.push(pair.map(|(_, b)| b.tenant_id.as_uuid()));
        seqs_b.push(pair.map(|(_, b)| b.seq as i64));
        let item = i32::try_from(index + 1).map_err(StoreError::internal)?;
        entries.extend(request.vault_entries.iter().map(|entry| (item, entry)));
    }
    const CALL: &str = "ecusson_append_each($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    let sql = if entries.is_empty() {
        format!(
            "select o_index, o_status, o_first_seq, o_last_seq, o_stream_version \
             from {CALL} order by o_index"
        )
    } else {
        // As in `with_vault_entries`, each entry joined to its own append's answer.
        format!(
            "with appended as materialized ( \
                 select o_index, o_status, o_first_seq, o_last_seq, o_stream_version from {CALL}), \
             sealed as ( \
                 insert into person_data (tenant_id, person_id, entry_id, version, nonce, ciphertext, created_at) \
                 select $13, v.person_id, v.entry_id, v.version, v.nonce, v.ciphertext, v.created_at \
                 from unnest($14::integer[], $15::text[], $16::text[], $17::bigint[], $18::bytea[], \
                             $19::bytea[], $20::text[], $21::bytea[]) \
                     as v(item, person_id, entry_id, version, nonce, ciphertext, created_at, sealed_under) \
                 join appended a on a.o_index = v.item \
                 where case when a.o_index = v.item and a.o_status = 'appended' \
                       then ecusson_person_key_is($13, v.person_id, v.sealed_under) \
                       else false end) \
             select o_index, o_status, o_first_seq, o_last_seq, o_stream_version \
             from appended order by o_index"
        )
    };
    let mut query = sqlx::query_as::<_, (i32, String, Option<i64>, Option<i64>, Option<i64>)>(&sql)
        .bind(tenant_id.as_uuid())
        .bind(stream_ids)
        .bind(expected)
        .bind(event_ids)
        .bind(event_types)
        .bind(schema_versions)
        .bind(recorded_at)
        .bind(canonical)
        .bind(tenants_a)
        .bind(seqs_a)
        .bind(tenants_b)
        .bind(seqs_b);
    if !entries.is_empty() {
        let items: Vec<i32> = entries.iter().map(|(item, _)| *item).collect();
        let sealed: Vec<&SealedEntry> = entries.iter().map(|(_, entry)| *entry).collect();
        query = bind_entry_columns(query.bind(tenant_id.to_string()).bind(items), &sealed);
    }
    let rows = query.fetch_all(pool).await?;
    if rows.len() != count
        || rows
            .iter()
            .enumerate()
            .any(|(index, row)| usize::try_from(row.0) != Ok(index + 1))
    {
        return Err(StoreError::Corrupt(format!(
            "{} answers to {count} grouped appends",
            rows.len()
        )));
    }
    Ok(rows
        .into_iter()
        .map(|(_, status, first_seq, last_seq, stream_version)| {
            (status, first_seq, last_seq, stream_version)
        })
        .collect())
}

/// A single-event append waiting to go with others of its tenant (see [`append_each`]).
pub(crate) struct GroupedAppend {
    pub(crate) request: AppendRequest,
    pub(crate) prepared: PreparedAppend,
}

fn limit(limit: usize) -> i64 {
    limit.min(100_000) as i64
}

#[async_trait]
impl EventStore for PostgresEventStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    // The stream's category only: its full name holds an aggregate id (a person's, for some).
    #[tracing::instrument(
        name = "store.append",
        skip_all,
        fields(
            store.backend = "postgres",
            tenant.id = %request.tenant_id,
            stream.category = request.stream_id.category(),
            events = request.events.len(),
        )
    )]
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        let prepared = prepare_append(&request)?;
        if is_single_event(&request) {
            // What most commands append: scalar arguments, one statement after the lock; the
            // condition on shared streams, when there is one, in the same statement.
            let (status, first_seq, last_seq, stream_version) =
                append_one(&self.pool, &request, &prepared).await?;
            return append_outcome(
                request.expected,
                &status,
                first_seq,
                last_seq,
                stream_version,
            );
        }
        let shared = ecusson_domain::is_shared_stream(request.stream_id.as_str());
        let (unchanged_tenants, unchanged_seqs): (Vec<Uuid>, Vec<i64>) = request
            .shared_unchanged
            .iter()
            .map(|at| (at.tenant_id.as_uuid(), at.seq as i64))
            .unzip();
        let event_ids: Vec<Uuid> = request.events.iter().map(|event| event.event_id).collect();
        let event_types: Vec<&str> = request
            .events
            .iter()
            .map(|event| event.event_type.as_str())
            .collect();
        let schema_versions: Vec<i32> = request
            .events
            .iter()
            .map(|event| i32::from(event.schema_version))
            .collect();
        let (status, first_seq, last_seq, stream_version): (
            String,
            Option<i64>,
            Option<i64>,
            Option<i64>,
        ) = bind_vault_entries(
            sqlx::query_as(&with_vault_entries(
                "ecusson_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                14,
                &request,
            ))
            .bind(request.tenant_id.as_uuid())
            .bind(request.stream_id.as_str())
            .bind(request.expected.to_code())
            .bind(request.idempotency_key.as_ref().map(|key| key.key.as_str()))
            .bind(
                request
                    .idempotency_key
                    .as_ref()
                    .map(|key| key.fingerprint.to_vec()),
            )
            .bind(&event_ids)
            .bind(&event_types)
            .bind(&schema_versions)
            .bind(prepared.recorded_at)
            .bind(&prepared.canonical)
            .bind(shared)
            .bind(&unchanged_tenants)
            .bind(&unchanged_seqs),
            &request,
        )
        .fetch_one(&self.pool)
        .await
        .map_err(|error| crate::append_failed(&request, error))?;
        append_outcome(
            request.expected,
            &status,
            first_seq,
            last_seq,
            stream_version,
        )
    }

    async fn append_grouped(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        if !is_single_event(&request) {
            return self.append(request).await;
        }
        // `append`'s span, marked grouped (made here, not by an attribute, so that the
        // appends that do not group get `append`'s alone, not one inside another).
        let span = tracing::info_span!(
            "store.append",
            store.backend = "postgres",
            tenant.id = %request.tenant_id,
            stream.category = request.stream_id.category(),
            events = request.events.len(),
            grouped = true,
        );
        let prepared = span.in_scope(|| prepare_append(&request))?;
        let expected = request.expected;
        let tenant_id = request.tenant_id;
        let append = Arc::new(GroupedAppend { request, prepared });
        let (appends, pool) = (self.appends.clone(), self.pool.clone());
        // A task of its own: a caller that goes away (a cancelled request) neither cancels a
        // statement that carries other callers' appends nor leaves them unanswered.
        let task = tokio::spawn(
            async move { appends.run(&pool, tenant_id, append).await }.instrument(span),
        );
        let (status, first_seq, last_seq, stream_version) =
            task.await.map_err(StoreError::internal)??;
        append_outcome(expected, &status, first_seq, last_seq, stream_version)
    }

    async fn read_stream(
        &self,
        tenant_id: TenantId,
        stream_id: &StreamId,
        after_version: u64,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let rows = sqlx::query(&format!(
            "select {EVENT_COLUMNS} from event \
             where tenant_id = $1 and stream_id = $2 and stream_version > $3 \
             order by stream_version limit $4"
        ))
        .bind(tenant_id.as_uuid())
        .bind(stream_id.as_str())
        .bind(after_version as i64)
        .bind(limit(max))
        .fetch_all(&self.pool)
        .await?;
        decode_rows(rows)
    }

    async fn read_streams(
        &self,
        reads: &[StreamRead],
        max: usize,
    ) -> Result<Vec<StreamPage>, StoreError> {
        self.streams.run(&self.pool, max, reads.to_vec()).await
    }

    async fn shared_seq(&self, tenant_id: TenantId) -> Result<u64, StoreError> {
        let seq: Option<i64> =
            sqlx::query_scalar("select shared_seq from tenant_log where tenant_id = $1")
                .bind(tenant_id.as_uuid())
                .fetch_optional(&self.pool)
                .await?;
        Ok(seq.map_or(0, |seq| seq as u64))
    }

    async fn read_tenant(
        &self,
        tenant_id: TenantId,
        after_seq: u64,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        // Within a tenant, sequence numbers are handed out under the tenant's lock and
        // committed before it is released, so `seq > after` never skips a later commit.
        let rows = sqlx::query(&format!(
            "select {EVENT_COLUMNS} from event where tenant_id = $1 and seq > $2 order by seq limit $3"
        ))
        .bind(tenant_id.as_uuid())
        .bind(after_seq as i64)
        .bind(limit(max))
        .fetch_all(&self.pool)
        .await?;
        decode_rows(rows)
    }

    async fn read_all(
        &self,
        after: FeedCursor,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        // The horizon is the oldest transaction still running: every row with a smaller
        // tx_id is final (committed or rolled back), and any transaction that has not yet
        // written will get a larger id. Rows at or above the horizon wait for the next read.
        let rows = sqlx::query(&format!(
            "with horizon as (select pg_snapshot_xmin(pg_current_snapshot())::text::bigint as xmin) \
             select {EVENT_COLUMNS} from event, horizon \
             where (tx_id, tenant_id, seq) > ($1, $2, $3) and tx_id < horizon.xmin \
             order by tx_id, tenant_id, seq limit $4"
        ))
        .bind(after.tx_id)
        .bind(after.tenant_id)
        .bind(after.seq)
        .bind(limit(max))
        .fetch_all(&self.pool)
        .await?;
        decode_page(rows, decode_rows).await
    }

    async fn read_raw(
        &self,
        tenant_id: TenantId,
        after_seq: i64,
        max: usize,
    ) -> Result<Vec<RawEvent>, StoreError> {
        let rows = sqlx::query(
            "select seq, stream_id, stream_version, event_id, event_type, canonical, hash \
             from event where tenant_id = $1 and seq > $2 order by seq limit $3",
        )
        .bind(tenant_id.as_uuid())
        .bind(after_seq)
        .bind(limit(max))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(RawEvent {
                    seq: row.try_get(0)?,
                    stream_id: row.try_get(1)?,
                    stream_version: row.try_get(2)?,
                    event_id: row.try_get(3)?,
                    event_type: row.try_get(4)?,
                    canonical: row.try_get(5)?,
                    hash: row.try_get(6)?,
                })
            })
            .collect()
    }

    async fn tenant_head(&self, tenant_id: TenantId) -> Result<Option<TenantHead>, StoreError> {
        let row: Option<(i64, Vec<u8>)> =
            sqlx::query_as("select head_seq, head_hash from tenant_log where tenant_id = $1")
                .bind(tenant_id.as_uuid())
                .fetch_optional(&self.pool)
                .await?;
        row.map(|(seq, hash)| tenant_head(tenant_id, seq, hash))
            .transpose()
    }

    async fn tenants(&self) -> Result<Vec<TenantId>, StoreError> {
        let rows: Vec<(Uuid,)> =
            sqlx::query_as("select tenant_id from tenant_log order by tenant_id")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(|(id,)| TenantId(id)).collect())
    }

    async fn stream_version(
        &self,
        tenant_id: TenantId,
        stream_id: &StreamId,
    ) -> Result<u64, StoreError> {
        let (version,): (i64,) = sqlx::query_as("select coalesce(max(stream_version), 0) from event where tenant_id = $1 and stream_id = $2")
            .bind(tenant_id.as_uuid())
            .bind(stream_id.as_str())
            .fetch_one(&self.pool)
            .await?;
        Ok(version as u64)
    }

    async fn idempotency_record(
        &self,
        tenant_id: TenantId,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let row: Option<(Vec<u8>, String, i64, i64, i64)> = sqlx::query_as(
            "select fingerprint, stream_id, first_seq, last_seq, stream_version \
             from idempotency_record where tenant_id = $1 and idempotency_key = $2",
        )
        .bind(tenant_id.as_uuid())
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(fingerprint, stream_id, first, last, version)| {
            crate::prepare::idempotency_record(
                tenant_id,
                fingerprint,
                stream_id,
                (first, last, version),
            )
        })
        .transpose()
    }

    async fn begin_read_model(&self) -> Result<Box<dyn ReadModelTransaction>, StoreError> {
        Ok(Box::new(PostgresReadModelTransaction {
            transaction: self.pool.begin().await?,
        }))
    }

    async fn begin_read_only(&self) -> Result<Box<dyn ReadModelTransaction>, StoreError> {
        let mut transaction = self.pool.begin().await?;
        sqlx::query("set transaction isolation level repeatable read, read only")
            .execute(&mut *transaction)
            .await?;
        Ok(Box::new(PostgresReadModelTransaction { transaction }))
    }

    async fn hold_locks(&self, keys: &[i64]) -> Result<crate::HeldLocks, StoreError> {
        crate::lock::hold_postgres_locks(&self.pool, keys).await
    }

    async fn read_once(
        &self,
        sql: &str,
        params: &[SqlValue],
    ) -> Result<Vec<Vec<SqlValue>>, StoreError> {
        self.reads.read(&self.pool, sql, params).await
    }

    async fn write_once(
        &self,
        sql: &str,
        params: &[SqlValue],
    ) -> Result<Vec<Vec<SqlValue>>, StoreError> {
        // Outside an explicit transaction, PostgreSQL commits the statement by itself.
        let rows = bind_all(sqlx::query(sql), params)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| row_values(row, 0)).collect()
    }
}

/// A NULL whose type PostgreSQL infers from the statement (parameter type oid 0), so that one
/// `SqlValue::Null` fits a `bigint`, `text` or `bytea` column alike.
struct UntypedNull;

impl sqlx::Type<Postgres> for UntypedNull {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(sqlx::postgres::types::Oid(0))
    }
}

impl sqlx::Encode<'_, Postgres> for UntypedNull {
    fn encode_by_ref(
        &self,
        _buffer: &mut PgArgumentBuffer,
    ) -> Result<IsNull, sqlx::error::BoxDynError> {
        Ok(IsNull::Yes)
    }
}

struct PostgresReadModelTransaction {
    transaction: sqlx::Transaction<'static, Postgres>,
}

pub(crate) fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>,
    params: &'q [SqlValue],
) -> sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments> {
    for param in params {
        query = match param {
            SqlValue::Null => query.bind(UntypedNull),
            SqlValue::Int(value) => query.bind(*value),
            SqlValue::Text(value) => query.bind(value.as_str()),
            SqlValue::Bytes(value) => query.bind(value.as_slice()),
        };
    }
    query
}

/// The values of a row from column `first` on.
pub(crate) fn row_values(row: &PgRow, first: usize) -> Result<Vec<SqlValue>, StoreError> {
    (first..row.columns().len())
        .map(|index| {
            let raw = row.try_get_raw(index)?;
            if raw.is_null() {
                return Ok(SqlValue::Null);
            }
            let type_info = raw.type_info();
            Ok(match type_info.name() {
                "INT8" => SqlValue::Int(row.try_get::<i64, _>(index)?),
                "INT4" => SqlValue::Int(i64::from(row.try_get::<i32, _>(index)?)),
                "INT2" => SqlValue::Int(i64::from(row.try_get::<i16, _>(index)?)),
                "BYTEA" => SqlValue::Bytes(row.try_get::<Vec<u8>, _>(index)?),
                "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" => {
                    SqlValue::Text(row.try_get::<String, _>(index)?)
                }
                other => {
                    return Err(StoreError::InvalidInput(format!(
                        "read-model column {} has type {other}; use bigint, text or bytea",
                        row.columns()[index].name()
                    )))
                }
            })
        })
        .collect()
}

#[async_trait]
impl ReadModelTransaction for PostgresReadModelTransaction {
    async fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<u64, StoreError> {
        let result = bind_all(sqlx::query(sql), params)
            .execute(&mut *self.transaction)
            .await?;
        Ok(result.rows_affected())
    }

    async fn fetch_all(
        &mut self,
        sql: &str,
        params: &[SqlValue],
    ) -> Result<Vec<Vec<SqlValue>>, StoreError> {
        let rows = bind_all(sqlx::query(sql), params)
            .fetch_all(&mut *self.transaction)
            .await?;
        rows.iter().map(|row| row_values(row, 0)).collect()
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.transaction.commit().await?;
        Ok(())
    }

    async fn rollback(self: Box<Self>) -> Result<(), StoreError> {
        self.transaction.rollback().await?;
        Ok(())
    }
}
