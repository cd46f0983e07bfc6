-- Shared streams: the aggregates that commands on other streams read to decide (a badge class,
-- a structure's adoption of it, its staff, the network's committees; which streams these are is
-- `ecusson_domain::is_shared_stream`). Each tenant's log remembers the sequence number of the
-- last event appended to one of its shared streams. A command decided on shared aggregates held
-- in memory appends on condition that this number has not moved for each tenant it read, in the
-- append's own statement, instead of reading those aggregates again before deciding: one round
-- trip less on the hottest command (requestBadge), and no window between a read and the append.

alter table tenant_log add column shared_seq bigint not null default 0;

-- Existing logs: their shared sequence is that of their last event on a shared stream. (The
-- value only has to move when a shared stream does: any value read and compared later works.)
update tenant_log t set shared_seq = coalesce((
    select max(e.seq) from event e
    where e.tenant_id = t.tenant_id
      and (e.stream_id in ('staff', 'network')
           or e.stream_id like 'badge-class-%' or e.stream_id like 'adoption-%')), 0);

-- The general append (batches, idempotency keys, shared streams, conditions): as in 0003, with
-- p_shared (this stream is shared: the tenant's shared sequence moves to the last event) and
-- p_unchanged_tenants / p_unchanged_seqs (append only if each tenant's shared sequence is
-- still the one given; else o_status 'shared_changed' and nothing is written).
drop function ecusson_append(uuid, text, bigint, text, bytea, uuid[], text[], integer[],
                             timestamptz, bytea[]);

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
    p_shared boolean,
    p_unchanged_tenants uuid[],
    p_unchanged_seqs bigint[],
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
    v_shared_seq bigint;
    v_version bigint;
    v_tx_id bigint;
    v_first_version bigint;
    v_hashes bytea[] := array[]::bytea[];
    v_bytes bytea;
    v_index integer := 0;
    v_record idempotency_record%rowtype;
    v_locked text;
begin
    -- The tenant's lock, as in 0003 (see there for why an advisory lock, taken this way).
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

    select coalesce((select max(e.stream_version) from event e
                     where e.tenant_id = p_tenant_id and e.stream_id = p_stream_id), 0),
           t.head_seq, t.head_hash, coalesce(t.shared_seq, 0)
    into v_version, v_head_seq, v_head_hash, v_shared_seq
    from (select 1) as one
    left join tenant_log t on t.tenant_id = p_tenant_id;

    if (p_expected = -2 and v_version <> 0)
        or (p_expected = -3 and v_version = 0)
        or (p_expected >= 0 and v_version <> p_expected) then
        o_status := 'wrong_version';
        o_stream_version := v_version;
        return;
    end if;

    -- Another tenant's sequence is read without its lock: its appends are not ordered with
    -- ours, and what it committed before this statement's snapshot is what counts.
    if cardinality(p_unchanged_tenants) > 0 and exists (
        select 1
        from unnest(p_unchanged_tenants, p_unchanged_seqs) as u(tenant_id, seq)
        where u.seq <> case when u.tenant_id = p_tenant_id then v_shared_seq
                            else coalesce((select o.shared_seq from tenant_log o
                                           where o.tenant_id = u.tenant_id), 0) end) then
        o_status := 'shared_changed';
        return;
    end if;

    if v_head_seq is null then
        v_head_seq := 0;
        v_head_hash := decode(repeat('00', 32), 'hex');
    end if;

    v_tx_id := pg_current_xact_id()::text::bigint;
    o_first_seq := v_head_seq + 1;
    v_first_version := v_version + 1;
    foreach v_bytes in array p_canonical loop
        v_index := v_index + 1;
        v_head_seq := v_head_seq + 1;
        v_version := v_version + 1;
        v_head_hash := sha256(v_head_hash || int8send(v_head_seq) || int8send(v_version) || v_bytes);
        v_hashes[v_index] := v_head_hash;
    end loop;
    if p_shared then
        v_shared_seq := v_head_seq;
    end if;

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
    insert into tenant_log (tenant_id, head_seq, head_hash, shared_seq)
    values (p_tenant_id, v_head_seq, v_head_hash, v_shared_seq)
    on conflict (tenant_id) do update set head_seq = excluded.head_seq,
        head_hash = excluded.head_hash, shared_seq = excluded.shared_seq;

    o_status := 'appended';
    o_last_seq := v_head_seq;
    o_stream_version := v_version;
end;
$$;

-- One event without an idempotency key to a stream that is not shared, on condition that two
-- tenants' shared sequences have not moved (the same tenant twice when there is one; more go
-- through ecusson_append): `ecusson_append_one` (0003, left as it is for unconditional appends)
-- with the condition in its single statement. Scalar arguments, each used as it is (no arrays,
-- no `is null` alternatives): PostgreSQL then keeps one generic plan for the statement, where
-- with arrays it made a custom plan at every call, under the tenant's lock (BENCHMARKS.md,
-- fourteenth round). A `set plan_cache_mode` clause on the function would force a generic plan
-- too, at a cost at every call (the thirteenth round measured the store's own append 12 %
-- slower with one).
create function ecusson_append_one_if_unchanged(
    p_tenant_id uuid,
    p_stream_id text,
    p_expected bigint,
    p_event_id uuid,
    p_event_type text,
    p_schema_version integer,
    p_recorded_at timestamptz,
    p_canonical bytea,
    p_tenant_a uuid,
    p_shared_seq_a bigint,
    p_tenant_b uuid,
    p_shared_seq_b bigint,
    out o_status text,
    out o_first_seq bigint,
    out o_last_seq bigint,
    out o_stream_version bigint
)
language plpgsql
as $$
declare
    v_version bigint;
    v_unchanged boolean;
    v_seq bigint;
    v_locked text;
begin
    v_locked := pg_advisory_xact_lock(1162041939, hashtext(p_tenant_id::text))::text;

    with head as (
        select coalesce((select max(e.stream_version) from event e
                         where e.tenant_id = p_tenant_id and e.stream_id = p_stream_id), 0) as version,
               coalesce(t.head_seq, 0) as seq,
               coalesce(t.head_hash, decode(repeat('00', 32), 'hex')) as hash,
               t.tenant_id is not null as known,
               coalesce((select a.shared_seq from tenant_log a
                         where a.tenant_id = p_tenant_a), 0) = p_shared_seq_a
               and coalesce((select b.shared_seq from tenant_log b
                             where b.tenant_id = p_tenant_b), 0) = p_shared_seq_b as unchanged
        from (select 1) as one
        left join tenant_log t on t.tenant_id = p_tenant_id
    ), accepted as (
        select h.known, h.seq + 1 as seq, h.version + 1 as version,
               sha256(h.hash || int8send(h.seq + 1) || int8send(h.version + 1) || p_canonical) as hash
        from head h
        where h.unchanged
          and not ((p_expected = -2 and h.version <> 0)
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
        update tenant_log t set head_seq = a.seq, head_hash = a.hash
        from accepted a
        where a.known and t.tenant_id = p_tenant_id
    ), head_created as (
        insert into tenant_log (tenant_id, head_seq, head_hash)
        select p_tenant_id, a.seq, a.hash from accepted a where not a.known
    )
    select h.version, h.unchanged, a.seq, a.version
    into v_version, v_unchanged, v_seq, o_stream_version
    from head h left join accepted a on true;
    if v_seq is not null then
        o_status := 'appended';
        o_first_seq := v_seq;
        o_last_seq := v_seq;
    elsif (p_expected = -2 and v_version <> 0)
        or (p_expected = -3 and v_version = 0)
        or (p_expected >= 0 and v_version <> p_expected) then
        o_status := 'wrong_version';
        o_stream_version := v_version;
    else
        o_status := 'shared_changed';
    end if;
end;
$$;

-- Several streams in one statement (0014), each with its tenant's shared sequence read in the
-- same snapshot: every element of the arrays gets one row with a null stream version carrying
-- it, before its events.
drop function ecusson_read_streams(uuid[], text[], bigint[], bigint);

create function ecusson_read_streams(
    p_tenant_ids uuid[],
    p_stream_ids text[],
    p_after_versions bigint[],
    p_limit bigint
)
returns table (
    tenant_id uuid,
    seq bigint,
    tx_id bigint,
    stream_version bigint,
    canonical bytea,
    ordinal bigint
)
language plpgsql
stable
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
begin
    return query
    select s.tenant_id, e.seq, e.tx_id, e.stream_version, e.canonical, s.ordinal
    from unnest(p_tenant_ids, p_stream_ids, p_after_versions) with ordinality
        as s(tenant_id, stream_id, after_version, ordinal)
    cross join lateral (
        select coalesce((select t.shared_seq from tenant_log t
                         where t.tenant_id = s.tenant_id), 0) as seq,
               null::bigint as tx_id, null::bigint as stream_version, null::bytea as canonical
        union all
        (select event.seq, event.tx_id, event.stream_version, event.canonical
         from event
         where event.tenant_id = s.tenant_id and event.stream_id = s.stream_id
           and event.stream_version > s.after_version
         order by event.stream_version
         limit p_limit)) e
    order by s.ordinal, e.stream_version nulls first;
end;
$$;
