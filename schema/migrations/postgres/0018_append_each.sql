-- Group commit: several single-event appends of one tenant, from concurrent commands, in one
-- statement and one transaction (one lock, one head update, one commit and its WAL flush,
-- instead of one of each per command). Each element is decided exactly as
-- `ecusson_append_one_if_unchanged` (0017) would decide it alone, in the order given, so that
-- a later element sees the earlier ones (two appends to one stream: the second finds the
-- version the first left). Its outcome is one row: o_index (the element's position, from 1)
-- and the same status, positions and version. p_tenants_a[i] null: element i has no condition;
-- else it appends only if the shared sequences of tenants a and b (the same tenant twice when
-- there is one) are still the ones given. No element may be an append to a shared stream (the
-- caller sends those alone): the shared sequences do not move during the call.
--
-- Scalar variables in every statement, as in 0017: PostgreSQL keeps generic plans.
create function ecusson_append_each(
    p_tenant_id uuid,
    p_stream_ids text[],
    p_expected bigint[],
    p_event_ids uuid[],
    p_event_types text[],
    p_schema_versions integer[],
    p_recorded_at timestamptz[],
    p_canonical bytea[],
    p_tenants_a uuid[],
    p_shared_seqs_a bigint[],
    p_tenants_b uuid[],
    p_shared_seqs_b bigint[]
)
returns table (
    o_index integer,
    o_status text,
    o_first_seq bigint,
    o_last_seq bigint,
    o_stream_version bigint
)
language plpgsql
as $$
declare
    v_locked text;
    v_known boolean;
    v_head_seq bigint;
    v_head_hash bytea;
    v_start_seq bigint;
    v_tx_id bigint;
    v_stream text;
    v_expected bigint;
    v_version bigint;
    v_tenant_a uuid;
    v_tenant_b uuid;
    v_seq_a bigint;
    v_seq_b bigint;
    v_canonical bytea;
begin
    -- The same lock as ecusson_append (0003).
    v_locked := pg_advisory_xact_lock(1162041939, hashtext(p_tenant_id::text))::text;

    select t.head_seq, t.head_hash into v_head_seq, v_head_hash
    from tenant_log t where t.tenant_id = p_tenant_id;
    v_known := found;
    if not v_known then
        v_head_seq := 0;
        v_head_hash := decode(repeat('00', 32), 'hex');
    end if;
    v_start_seq := v_head_seq;
    v_tx_id := pg_current_xact_id()::text::bigint;

    for i in 1 .. coalesce(cardinality(p_stream_ids), 0) loop
        o_index := i;
        o_first_seq := null;
        o_last_seq := null;
        v_stream := p_stream_ids[i];
        v_expected := p_expected[i];
        select coalesce(max(e.stream_version), 0) into v_version
        from event e where e.tenant_id = p_tenant_id and e.stream_id = v_stream;
        v_tenant_a := p_tenants_a[i];
        v_tenant_b := p_tenants_b[i];
        v_seq_a := p_shared_seqs_a[i];
        v_seq_b := p_shared_seqs_b[i];
        if (v_expected = -2 and v_version <> 0)
            or (v_expected = -3 and v_version = 0)
            or (v_expected >= 0 and v_version <> v_expected) then
            o_status := 'wrong_version';
            o_stream_version := v_version;
        elsif v_tenant_a is not null and (
            coalesce((select a.shared_seq from tenant_log a where a.tenant_id = v_tenant_a), 0)
                <> v_seq_a
            or coalesce((select b.shared_seq from tenant_log b where b.tenant_id = v_tenant_b), 0)
                <> v_seq_b) then
            o_status := 'shared_changed';
            o_stream_version := null;
        else
            v_canonical := p_canonical[i];
            v_head_seq := v_head_seq + 1;
            v_version := v_version + 1;
            v_head_hash := sha256(v_head_hash || int8send(v_head_seq) || int8send(v_version)
                                  || v_canonical);
            insert into event (tenant_id, seq, tx_id, stream_id, stream_version, event_id,
                               event_type, schema_version, recorded_at, canonical, hash)
            values (p_tenant_id, v_head_seq, v_tx_id, v_stream, v_version, p_event_ids[i],
                    p_event_types[i], p_schema_versions[i], p_recorded_at[i], v_canonical,
                    v_head_hash);
            o_status := 'appended';
            o_first_seq := v_head_seq;
            o_last_seq := v_head_seq;
            o_stream_version := v_version;
        end if;
        return next;
    end loop;

    if v_head_seq > v_start_seq then
        if v_known then
            update tenant_log set head_seq = v_head_seq, head_hash = v_head_hash
            where tenant_id = p_tenant_id;
        else
            insert into tenant_log (tenant_id, head_seq, head_hash)
            values (p_tenant_id, v_head_seq, v_head_hash);
        end if;
    end if;
end;
$$;
