-- pgbench transaction: insert one row shaped like an Écusson event (same table definition,
-- same indexes, ~600-byte canonical bytes and a SHA-256) in its own transaction, into one of
-- 100 tenants. The baseline for `ecusson bench append --batch 1` (see compare-with-pgbench.sh).
\set t random(1, 100)
insert into pgbench_event (tenant_id, seq, tx_id, stream_id, stream_version, event_id, event_type,
                           schema_version, recorded_at, canonical, hash)
select ('00000000-0000-4000-8000-' || lpad(:t::text, 12, '0'))::uuid, s.n,
       pg_current_xact_id()::text::bigint, 'earner-' || (s.n % 50), s.n, gen_random_uuid(),
       'earner.badge_requested', 1, now(), s.c, sha256(s.c)
from (select nextval('pgbench_event_seq') as n, convert_to(repeat('x', 600), 'UTF8') as c) as s;
