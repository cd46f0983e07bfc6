-- The event store: one log per tenant, gap-free and commit-ordered, hash-chained.
-- Every key starts with tenant_id so that the tables can be distributed by tenant (Citus).

-- The head of each tenant's log: last sequence number and last chain hash.
create table tenant_log (
    tenant_id uuid primary key,
    head_seq bigint not null,
    head_hash bytea not null
);

create table event (
    tenant_id uuid not null,
    -- Gap-free per tenant, assigned under the tenant's append lock (commit order).
    seq bigint not null,
    -- The 64-bit id of the appending transaction (pg_current_xact_id). The cross-tenant feed
    -- reads only rows below the oldest running transaction, so it never skips a row that a
    -- slower writer commits later.
    tx_id bigint not null,
    stream_id text not null,
    stream_version bigint not null,
    event_id uuid not null,
    event_type text not null,
    schema_version integer not null,
    recorded_at timestamptz not null,
    -- The exact canonical bytes (RFC 8785) that were hashed; never jsonb, which reorders keys.
    canonical bytea not null,
    -- SHA-256(previous hash || be64(seq) || be64(stream_version) || canonical).
    hash bytea not null,
    primary key (tenant_id, seq)
);

create unique index event_stream_version_idx on event (tenant_id, stream_id, stream_version);
create unique index event_event_id_idx on event (tenant_id, event_id);
create index event_feed_idx on event (tx_id, tenant_id, seq);

-- What an idempotent append returned the first time.
create table idempotency_record (
    tenant_id uuid not null,
    idempotency_key text not null,
    fingerprint bytea not null,
    stream_id text not null,
    first_seq bigint not null,
    last_seq bigint not null,
    stream_version bigint not null,
    recorded_at timestamptz not null,
    primary key (tenant_id, idempotency_key)
);

-- Appends a batch of events to one stream in one round trip.
-- p_expected: -1 any, -2 no stream, -3 stream exists, n >= 1 exact version.
-- Returns o_status 'appended', 'replayed', 'wrong_version' or 'idempotency_conflict'; only
-- 'appended' wrote anything.
create function ecusson_append(
    p_tenant_id uuid,
    p_stream_id text,
    p_expected bigint,
    p_idempotency_key text,
    p_fingerprint bytea,
    p_event_ids uuid[],
    p_event_types text[],
    p_schema_versions integer[],
    p_recorded_at timestamptz,
    p_canonical bytea[],
    out o_status text,
    out o_first_seq bigint,
    out o_last_seq bigint,
    out o_stream_version bigint
)
language plpgsql
as $$
declare
    v_head_seq bigint;
    v_head_hash bytea;
    v_version bigint;
    v_tx_id bigint;
    v_count integer := cardinality(p_canonical);
    v_first_version bigint;
    v_hashes bytea[] := array[]::bytea[];
    v_bytes bytea;
    v_index integer := 0;
    v_record idempotency_record%rowtype;
begin
    -- Serialise the writers of one tenant. An advisory lock and not a row lock, because taking
    -- it does not assign a transaction id: the id is assigned by the first write below, after
    -- the lock, so within a tenant transaction ids grow in commit order and the feed, ordered
    -- by (tx_id, tenant_id, seq), keeps each tenant's order. Two tenants whose hashes collide
    -- merely share a lock. 1162041939 is an arbitrary class id ('ECUS') for this lock.
    perform pg_advisory_xact_lock(1162041939, hashtext(p_tenant_id::text));

    if p_idempotency_key is not null then
        select * into v_record
        from idempotency_record
        where tenant_id = p_tenant_id and idempotency_key = p_idempotency_key;
        if found then
            if v_record.fingerprint = p_fingerprint then
                o_status := 'replayed';
                o_first_seq := v_record.first_seq;
                o_last_seq := v_record.last_seq;
                o_stream_version := v_record.stream_version;
            else
                o_status := 'idempotency_conflict';
            end if;
            return;
        end if;
    end if;

    -- The stream's version and the tenant's head in one statement (each statement of a
    -- function is a full executor run: fewer statements, less CPU per append). It runs after
    -- the lock, so its snapshot sees every append committed before ours.
    select coalesce((select max(e.stream_version) from event e
                     where e.tenant_id = p_tenant_id and e.stream_id = p_stream_id), 0),
           t.head_seq, t.head_hash
    into v_version, v_head_seq, v_head_hash
    from (select 1) as one
    left join tenant_log t on t.tenant_id = p_tenant_id;

    if (p_expected = -2 and v_version <> 0)
        or (p_expected = -3 and v_version = 0)
        or (p_expected >= 0 and v_version <> p_expected) then
        o_status := 'wrong_version';
        o_stream_version := v_version;
        return;
    end if;

    if v_head_seq is null then
        v_head_seq := 0;
        v_head_hash := decode(repeat('00', 32), 'hex');
    end if;

    v_tx_id := pg_current_xact_id()::text::bigint;
    o_first_seq := v_head_seq + 1;
    v_first_version := v_version + 1;
    -- foreach and element assignment keep this linear in the batch size (no array copies).
    foreach v_bytes in array p_canonical loop
        v_index := v_index + 1;
        v_head_seq := v_head_seq + 1;
        v_version := v_version + 1;
        v_head_hash := sha256(v_head_hash || int8send(v_head_seq) || int8send(v_version) || v_bytes);
        v_hashes[v_index] := v_head_hash;
    end loop;

    -- The events, the new head and the idempotency record in one statement.
    with inserted as (
        insert into event (tenant_id, seq, tx_id, stream_id, stream_version, event_id, event_type,
                           schema_version, recorded_at, canonical, hash)
        select p_tenant_id, o_first_seq + s.n - 1, v_tx_id, p_stream_id, v_first_version + s.n - 1,
               s.event_id, s.event_type, s.schema_version, p_recorded_at, s.canonical, s.hash
        from unnest(p_event_ids, p_event_types, p_schema_versions, p_canonical, v_hashes)
            with ordinality as s(event_id, event_type, schema_version, canonical, hash, n)
    ), idempotency as (
        insert into idempotency_record (tenant_id, idempotency_key, fingerprint, stream_id,
                                        first_seq, last_seq, stream_version, recorded_at)
        select p_tenant_id, p_idempotency_key, p_fingerprint, p_stream_id,
               o_first_seq, v_head_seq, v_version, p_recorded_at
        where p_idempotency_key is not null
    )
    insert into tenant_log (tenant_id, head_seq, head_hash)
    values (p_tenant_id, v_head_seq, v_head_hash)
    on conflict (tenant_id) do update set head_seq = excluded.head_seq, head_hash = excluded.head_hash;

    o_status := 'appended';
    o_last_seq := v_head_seq;
    o_stream_version := v_version;
end;
$$;

-- The per-person vault. Each person's data is encrypted with a key of their own; the key is
-- stored wrapped by the installation's key-encryption key. Destroying the person_key row
-- makes every person_data row of that person unreadable (crypto-shredding) without touching
-- any event.
-- Ids are text here (as in SQLite) so that one set of statements serves both backends.
create table person_key (
    tenant_id text not null,
    person_id text not null,
    wrapped_key bytea not null,
    created_at text not null,
    primary key (tenant_id, person_id)
);

create table person_data (
    tenant_id text not null,
    person_id text not null,
    entry_id text not null,
    version bigint not null,
    nonce bytea not null,
    ciphertext bytea not null,
    created_at text not null,
    primary key (tenant_id, person_id, entry_id, version)
);
