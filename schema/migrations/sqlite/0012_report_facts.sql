-- The same tables as the PostgreSQL migration of the same number.
-- The reports' read model (projection `reports`): the facts ecusson-reports folds from the log
-- (`Facts::apply`), one row per request, award, worker, badge class and pathway, by
-- pseudonymous id. Reports load the rows of their tenants and compute their figures in Rust,
-- with the same code as a replay "as of" a past date. No personal data.
create table report_request (
    tenant_id text not null,
    request_id text not null,
    earner_id text not null,
    badge_class_id text not null,
    mode text not null,
    route text not null,
    committee_id text,
    requested_at text not null,
    evidence integer not null,
    state text not null,
    ended_at text,
    primary key (tenant_id, request_id)
);

create table report_award (
    tenant_id text not null,
    award_id text not null,
    request_id text not null,
    earner_id text not null,
    badge_class_id text not null,
    awarded_at text not null,
    evidence_added integer not null,
    recommendations integer not null,
    revoked_at text,
    expired_at text,
    primary key (tenant_id, award_id)
);

create table report_earner (
    tenant_id text not null,
    earner_id text not null,
    enrolled_on text not null,
    exit_outcome text,
    exited_on text,
    exit_recorded_at text,
    primary key (tenant_id, earner_id)
);

-- The catalogue, in the network's tenant.
create table report_class (
    tenant_id text not null,
    badge_class_id text not null,
    name text not null,
    pathway_id text not null,
    skill_type text not null,
    primary key (tenant_id, badge_class_id)
);

create table report_pathway (
    tenant_id text not null,
    pathway_id text not null,
    rank integer not null,
    primary key (tenant_id, pathway_id)
);
