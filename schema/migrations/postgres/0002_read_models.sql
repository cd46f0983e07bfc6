-- Read models and projection checkpoints.
--
-- Every read model is rebuilt from the event log, so these tables hold nothing that cannot be
-- recomputed. Column types are limited to bigint, text and bytea so that the same SQL (and the
-- same checksum) works on PostgreSQL and SQLite; identifiers and timestamps are text (UUIDs in
-- their hyphenated form, timestamps in RFC 3339 UTC with microseconds, which sort as text).
-- Every key starts with tenant_id so that the tables can be distributed by tenant (Citus).
-- Key and index text columns use the "C" collation: byte order, as on SQLite, whatever the
-- server's default collation, and memcmp-fast comparisons in the indexes.

-- One row per projection: where it is in the cross-tenant feed. Updated in the same transaction
-- as the read-model rows, which gives an exactly-once effect. Not tenant-scoped: a projection
-- follows the feed of every tenant (a reference table under Citus).
create table projection_checkpoint (
    projection_name text collate "C" primary key,
    -- The feed cursor of the last applied event: (tx_id, tenant_id, seq). (-1, nil uuid, 0) before
    -- the first event.
    tx_id bigint not null,
    tenant_id text collate "C" not null,
    seq bigint not null,
    -- Feed events applied since the projection last started from the beginning.
    events_processed bigint not null,
    -- recorded_at of the last applied event (empty before the first event), for timestamp lag.
    last_event_recorded_at text not null,
    updated_at text not null
);

-- Catalogue: pathways of the network (from the network tenant).
create table catalogue_pathway (
    tenant_id text collate "C" not null,
    pathway_id text collate "C" not null,
    pathway_rank bigint not null,
    name text not null,
    description text not null,
    primary key (tenant_id, pathway_id)
);

-- Catalogue: the current revision of each badge class of the network (from the network tenant).
create table catalogue_badge_class (
    tenant_id text collate "C" not null,
    badge_class_id text collate "C" not null,
    revision bigint not null,
    name text not null,
    pathway_id text collate "C" not null,
    skill_type text not null,
    automatic_validation bigint not null,
    retired bigint not null,
    -- 0 when awards of this class never expire.
    validity_months bigint not null,
    published_at text not null,
    updated_at text not null,
    primary key (tenant_id, badge_class_id)
);

-- Catalogue: what one structure (the tenant) requires for a badge class it adopts.
create table catalogue_adoption (
    tenant_id text collate "C" not null,
    badge_class_id text collate "C" not null,
    criterion text not null,
    evidence text not null,
    -- JSON array of role names, e.g. ["counsellor","direction"].
    evaluator_roles text not null,
    process text not null,
    -- 'systematic', 'committee', or empty while the structure has not chosen yet.
    validation_mode text not null,
    committee_id text collate "C",
    adopted_at text not null,
    updated_at text not null,
    primary key (tenant_id, badge_class_id)
);

-- Request queue: one row per badge request with its decision and the resulting award.
create table request_queue (
    tenant_id text collate "C" not null,
    request_id text collate "C" not null,
    earner_id text collate "C" not null,
    badge_class_id text collate "C" not null,
    revision bigint not null,
    -- 'pair', 'collective_workshop' or 'individual'.
    request_mode text not null,
    -- 'pending', 'approved', 'refused' or 'withdrawn'.
    state text collate "C" not null,
    -- 'evaluator', 'committee' or 'automatic'.
    route_kind text not null,
    committee_id text collate "C",
    votes_for bigint not null,
    votes_against bigint not null,
    -- The tenant seq of the request event: the queue order inside a structure.
    requested_seq bigint not null,
    requested_at text collate "C" not null,
    decided_at text,
    award_id text collate "C",
    -- 'active', 'revoked' or 'expired' once awarded.
    award_state text,
    awarded_at text,
    expires_at text,
    primary key (tenant_id, request_id)
);

-- The queue of one structure, by state, in request order.
create index request_queue_by_state on request_queue (tenant_id, state, requested_seq);
-- The queue of one committee across the structures it serves, in request time order.
create index request_queue_by_committee on request_queue (committee_id, state, requested_at, tenant_id, request_id);
-- Revocation and expiry name only the award.
create index request_queue_by_award on request_queue (tenant_id, award_id);

-- Badge history: one row per event that touched a request or an award of an earner.
create table badge_history (
    tenant_id text collate "C" not null,
    earner_id text collate "C" not null,
    seq bigint not null,
    request_id text collate "C" not null,
    award_id text collate "C",
    event_type text not null,
    recorded_at text not null,
    -- A small JSON object with ids, codes and counts: never personal data.
    summary text not null,
    primary key (tenant_id, earner_id, seq)
);

-- The history projection's own index from requests and awards to earners: later events name
-- only the request or the award, and a projection reads no other projection's tables.
create table badge_history_subject (
    tenant_id text collate "C" not null,
    request_id text collate "C" not null,
    earner_id text collate "C" not null,
    award_id text collate "C",
    primary key (tenant_id, request_id)
);

create index badge_history_subject_by_award on badge_history_subject (tenant_id, award_id);
