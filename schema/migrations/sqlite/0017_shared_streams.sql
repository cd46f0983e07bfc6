-- Shared streams (see the PostgreSQL migration of the same number): each tenant's log
-- remembers the sequence number of the last event appended to one of its shared streams, which
-- a conditional append compares (services/ecusson-store/src/sqlite_writer.rs).

alter table tenant_log add column shared_seq integer not null default 0;

update tenant_log set shared_seq = coalesce((
    select max(e.seq) from event e
    where e.tenant_id = tenant_log.tenant_id
      and (e.stream_id in ('staff', 'network')
           or e.stream_id like 'badge-class-%' or e.stream_id like 'adoption-%')), 0);
