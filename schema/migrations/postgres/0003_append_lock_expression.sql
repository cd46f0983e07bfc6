-- Appends with fewer executor runs (each statement of a PL/pgSQL function is one, with its
-- start-up and shutdown): the tenant lock is taken in an assignment, which PL/pgSQL evaluates
-- as a simple expression, instead of a PERFORM statement; and a new function appends one event
-- without an idempotency key (what most commands append) with scalar arguments, reading,
-- checking, hashing and writing in a single statement. Same results, same bytes, same hashes:
-- the store's conformance suite runs every case through both.

-- Appends a batch of events to one stream in one round trip.
-- p_expected: -1 any, -2 no stream, -3 stream exists, n >= 1 exact version.
-- Returns o_status 'appended', 'replayed', 'wrong_version' or 'idempotency_conflict'; only
-- 'appended' wrote anything.
create or replace function ecusson_append(
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
    v_locked text;
begin
    -- Serialise the writers of one tenant. An advisory lock and not a row lock, because taking
    -- it does not assign a transaction id: the id is assigned by the first write below, after
    -- the lock, so within a tenant transaction ids grow in commit order and the feed, ordered
    -- by (tx_id, tenant_id, seq), keeps each tenant's order. Two tenants whose hashes collide
    -- merely share a lock. 1162041939 is an arbitrary class id ('ECUS') for this lock.
    -- Taken in an assignment, which PL/pgSQL evaluates as a simple expression, rather than
    -- with PERFORM, which would be a full executor run (see BENCHMARKS.md). The statements
    -- below take their snapshots after it.
    v_locked := pg_advisory_xact_lock(1162041939, hashtext(p_tenant_id::text))::text;

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

-- One event without an idempotency key, in one statement after the lock. Data-modifying CTEs
-- run to completion whether or not the final select reads them; when the expected version does
-- not match, `accepted` is empty and nothing is written.
create function ecusson_append_one(
    p_tenant_id uuid,
    p_stream_id text,
    p_expected bigint,
    p_event_id uuid,
    p_event_type text,
    p_schema_version integer,
    p_recorded_at timestamptz,
    p_canonical bytea,
    out o_status text,
    out o_first_seq bigint,
    out o_last_seq bigint,
    out o_stream_version bigint
)
language plpgsql
as $$
declare
    v_version bigint;
    v_seq bigint;
    v_locked text;
begin
    -- The same lock as ecusson_append (see there).
    v_locked := pg_advisory_xact_lock(1162041939, hashtext(p_tenant_id::text))::text;

    with head as (
        select coalesce((select max(e.stream_version) from event e
                         where e.tenant_id = p_tenant_id and e.stream_id = p_stream_id), 0) as version,
               coalesce(t.head_seq, 0) as seq,
               coalesce(t.head_hash, decode(repeat('00', 32), 'hex')) as hash,
               t.tenant_id is not null as known
        from (select 1) as one
        left join tenant_log t on t.tenant_id = p_tenant_id
    ), accepted as (
        select h.known, h.seq + 1 as seq, h.version + 1 as version,
               sha256(h.hash || int8send(h.seq + 1) || int8send(h.version + 1) || p_canonical) as hash
        from head h
        where not ((p_expected = -2 and h.version <> 0)
                   or (p_expected = -3 and h.version = 0)
                   or (p_expected >= 0 and h.version <> p_expected))
    ), inserted as (
        insert into event (tenant_id, seq, tx_id, stream_id, stream_version, event_id, event_type,
                           schema_version, recorded_at, canonical, hash)
        select p_tenant_id, a.seq, pg_current_xact_id()::text::bigint, p_stream_id, a.version,
               p_event_id, p_event_type, p_schema_version, p_recorded_at,
               p_canonical, a.hash
        from accepted a
    ), head_moved as (
        -- A plain update for a known tenant (cheaper than an upsert's speculative insert);
        -- the tenant's first event creates the row (under the lock, nobody else can).
        update tenant_log t set head_seq = a.seq, head_hash = a.hash
        from accepted a
        where a.known and t.tenant_id = p_tenant_id
    ), head_created as (
        insert into tenant_log (tenant_id, head_seq, head_hash)
        select p_tenant_id, a.seq, a.hash from accepted a where not a.known
    )
    select h.version, a.seq, a.version
    into v_version, v_seq, o_stream_version
    from head h left join accepted a on true;
    if v_seq is null then
        o_status := 'wrong_version';
        o_stream_version := v_version;
    else
        o_status := 'appended';
        o_first_seq := v_seq;
        o_last_seq := v_seq;
    end if;
end;
$$;
