-- The credentials read model learns of erasures (earner.subject_erased): an erased earner's
-- awards stay counted, but are no longer public and wait for no credential. Expand only: the
-- column has a default, so the code before this migration still writes rows.
alter table credential_award add column erased bigint not null default 0;
