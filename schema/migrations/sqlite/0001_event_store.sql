-- The event store on SQLite: the same tables as on PostgreSQL. SQLite has one writer at a
-- time (BEGIN IMMEDIATE), so commit order is simply the order of appends: each event's rowid
-- is assigned in that order, and tx_id is the rowid.
-- UUIDs are stored as lowercase text.

create table tenant_log (
    tenant_id text primary key,
    head_seq integer not null,
    head_hash blob not null
);

create table event (
    tenant_id text not null,
    seq integer not null,
    tx_id integer not null,
    stream_id text not null,
    stream_version integer not null,
    event_id text not null,
    event_type text not null,
    schema_version integer not null,
    recorded_at text not null,
    canonical blob not null,
    hash blob not null
);

-- A plain rowid table with unique indexes, not WITHOUT ROWID: events are ~1 KB, and in a
-- WITHOUT ROWID b-tree rows that large spill onto an overflow page each (5x the disk, and
-- several times slower appends).
create unique index event_seq_idx on event (tenant_id, seq);
create unique index event_stream_version_idx on event (tenant_id, stream_id, stream_version);
create unique index event_event_id_idx on event (tenant_id, event_id);
-- No feed index: with one writer at a time, rowid order is commit order, so the feed follows
-- the rowid (the table's own b-tree) and tx_id is set equal to it.

create table idempotency_record (
    tenant_id text not null,
    idempotency_key text not null,
    fingerprint blob not null,
    stream_id text not null,
    first_seq integer not null,
    last_seq integer not null,
    stream_version integer not null,
    recorded_at text not null,
    primary key (tenant_id, idempotency_key)
);

create table person_key (
    tenant_id text not null,
    person_id text not null,
    wrapped_key blob not null,
    created_at text not null,
    primary key (tenant_id, person_id)
);

create table person_data (
    tenant_id text not null,
    person_id text not null,
    entry_id text not null,
    version integer not null,
    nonce blob not null,
    ciphertext blob not null,
    created_at text not null,
    primary key (tenant_id, person_id, entry_id, version)
);
