-- The same tables as the PostgreSQL migration of the same number (blob for bytea, no collation:
-- SQLite compares text byte by byte already).
-- The OAuth 2.0 authorization server of the Open Badges 3.0 API: the client applications
-- (wallets, hosts) registered by dynamic client registration, the authorizations earners
-- gave them, and the tokens those led to. Secrets are never stored: a client secret, an
-- authorization code or a token is kept as the SHA-256 of its text (256 bits drawn at random,
-- so a hash without salt cannot be reversed by guessing).

-- A client is the installation's, not a tenant's: one registration serves the earners of
-- every structure (with Citus, a reference table). `metadata` is the registered metadata as
-- JSON text, what the registration answered, the secret left out.
create table oauth_client (
    client_id text not null,
    secret_hash blob not null,
    metadata text not null,
    registered_at text not null,
    primary key (client_id)
);

-- One authorization an earner gave a client: its code (single use, a minute), and the
-- binding every token issued from it keeps (client, redirect URI, earner, scope). Revoking a
-- grant ends every token issued from it. The code carries its tenant, so the lookup by code
-- names the tenant like every other key.
create table oauth_grant (
    tenant_id text not null,
    grant_id text not null,
    client_id text not null,
    person_id text not null,
    scope text not null,
    redirect_uri text not null,
    code_challenge text not null,
    code_hash blob not null,
    code_expires_at text not null,
    code_used_at text,
    revoked_at text,
    created_at text not null,
    primary key (tenant_id, grant_id)
);

create unique index oauth_grant_by_code on oauth_grant (tenant_id, code_hash);

-- Access tokens (an hour) and refresh tokens (rotated at each use), each bound to its grant.
-- `ended_at` is set when a token is revoked, or when a refresh token is used (`rotated`): a
-- rotated refresh token presented again revokes its grant.
create table oauth_token (
    tenant_id text not null,
    token_hash blob not null,
    grant_id text not null,
    -- access or refresh
    kind text not null,
    client_id text not null,
    person_id text not null,
    scope text not null,
    issued_at text not null,
    expires_at text not null,
    ended_at text,
    -- revoked or rotated
    end_reason text,
    primary key (tenant_id, token_hash)
);

create index oauth_token_by_grant on oauth_token (tenant_id, grant_id);
