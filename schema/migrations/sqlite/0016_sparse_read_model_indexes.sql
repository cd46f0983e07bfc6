-- Partial indexes for the read models' lookups on columns that most rows leave empty. A new
-- request has no committee when an evaluator decides it, and no award, award state or expiry
-- date until it is awarded (and most badges never expire); a request's history subject has no
-- award until then either. Indexing only the rows that have the value keeps these indexes
-- small and spares every new request their insertions (three on request_queue, one on
-- badge_history_subject). Each lookup names the column with `=`, `in (...)` or `is not null`,
-- which implies the index's predicate on both backends, so each can still use its index
-- (tests/it/projections.rs explains the queries to check it).

drop index request_queue_by_committee;
create index request_queue_by_committee on request_queue (committee_id, state, requested_at, tenant_id, request_id)
    where committee_id is not null;

drop index request_queue_by_award;
create index request_queue_by_award on request_queue (tenant_id, award_id)
    where award_id is not null;

drop index request_queue_by_expiry;
create index request_queue_by_expiry on request_queue (award_state, expires_at)
    where expires_at is not null;

drop index badge_history_subject_by_award;
create index badge_history_subject_by_award on badge_history_subject (tenant_id, award_id)
    where award_id is not null;
