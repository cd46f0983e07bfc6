-- Who read which person's personal data, and when (the access log, GDPR accountability): one
-- row per reader, person and kind of data per API request, written before the data is
-- answered. Append-only: the ledger never updates nor deletes a row (an erasure leaves the
-- log of who read the erased data, which holds none of it). Keyed by the person's tenant
-- first, like everything else.
create table personal_data_access (
    tenant_id text not null,
    subject_id text not null,
    access_id text not null,
    accessed_at text not null,
    reader_tenant_id text not null,
    reader_id text not null,
    -- The reader's roles, comma-separated, as their token gave them.
    reader_roles text not null,
    -- evidence, identity, testimony, credential, export
    what text not null,
    -- graphql or export
    channel text not null,
    primary key (tenant_id, subject_id, access_id)
);
