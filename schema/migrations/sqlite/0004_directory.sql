-- The directory read model: which network each structure (tenant) belongs to (see the
-- PostgreSQL migration of the same number; 0003 there changed the append function only).
create table directory_structure (
    tenant_id text not null,
    structure_id text not null,
    kind text not null,
    name text not null,
    admitted_at text not null,
    primary key (tenant_id, structure_id)
);

create unique index directory_structure_by_structure on directory_structure (structure_id);
