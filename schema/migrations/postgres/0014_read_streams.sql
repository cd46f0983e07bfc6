-- Several streams in one statement (`read_streams`: what a command needs of other aggregates
-- and its own, read together). As a prepared statement of its own, this query was planned
-- again at every execution: the planner, knowing the arrays' lengths, found each custom plan
-- cheaper than the generic one (which assumes 10 streams), although both are the same plan (one
-- index range scan per stream). Planning then cost more than executing (pg_stat_statements
-- during `ecusson bench http`: 0.105 ms of planning against 0.057 ms of execution per call).
-- In a function the plan is kept for the session, and forced generic.
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
    select e.tenant_id, e.seq, e.tx_id, e.stream_version, e.canonical, s.ordinal
    from unnest(p_tenant_ids, p_stream_ids, p_after_versions) with ordinality
        as s(tenant_id, stream_id, after_version, ordinal)
    cross join lateral (
        select event.tenant_id, event.seq, event.tx_id, event.stream_version, event.canonical
        from event
        where event.tenant_id = s.tenant_id and event.stream_id = s.stream_id
          and event.stream_version > s.after_version
        order by event.stream_version
        limit p_limit) e
    order by s.ordinal, e.stream_version;
end;
$$;
