-- The directory read model: which network each structure (tenant) belongs to. Keyed by the
-- network tenant like every table; the lookup by structure is the one cross-tenant read (with
-- Citus, a reference table: a few rows per structure, replicated to every node).
create table directory_structure (
    tenant_id text collate "C" not null,
    structure_id text collate "C" not null,
    kind text not null,
    name text not null,
    admitted_at text not null,
    primary key (tenant_id, structure_id)
);

create unique index directory_structure_by_structure on directory_structure (structure_id);
