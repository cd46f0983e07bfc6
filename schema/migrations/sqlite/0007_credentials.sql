-- The credentials read model: every award with where it stands and the latest signed Open
-- Badges credential issued for it, and every credential ever issued. Public URLs name an award
-- (the badge page, the Open Badges 2.0 assertion) or a credential (its id), never a tenant:
-- the lookups by award and by credential are the cross-tenant reads here (with Citus, a small
-- reference table from those ids to their tenant would route them).
create table credential_award (
    tenant_id text not null,
    award_id text not null,
    earner_id text not null,
    badge_class_id text not null,
    revision bigint not null,
    awarded_at text not null,
    expires_at text,
    -- active, revoked or expired
    state text not null,
    -- when the revocation or the expiry was recorded
    ended_at text,
    -- the reason code of a revocation (never its note: that is personal data)
    revocation_reason text,
    latest_credential_id text,
    primary key (tenant_id, award_id)
);

create unique index credential_award_by_award on credential_award (award_id);
-- The issuer's question: which standing awards have no credential yet.
create index credential_award_to_issue on credential_award (tenant_id, award_id)
    where state = 'active' and latest_credential_id is null;
-- A tenant's revocation list.
create index credential_award_by_state on credential_award (tenant_id, state);

create table credential_issued (
    tenant_id text not null,
    credential_id text not null,
    award_id text not null,
    earner_id text not null,
    issued_at text not null,
    primary key (tenant_id, credential_id)
);

create unique index credential_issued_by_credential on credential_issued (credential_id);
create index credential_issued_by_award on credential_issued (tenant_id, award_id);
