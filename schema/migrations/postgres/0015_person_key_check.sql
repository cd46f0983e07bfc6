-- An append that writes vault entries (personal data its events refer to) writes them only if
-- each was sealed under the key its person still has: a vault keeps recently used keys in
-- memory, so a key destroyed meanwhile (erasure, by any process) must stop the append, not
-- leave behind an entry encrypted under a key that no longer exists, or under an older one.
-- Called for each entry inside the append's statement; the share lock keeps the key's row as it
-- was checked until the append commits (an erasure's delete waits, then deletes the entry too).
-- Raises SQLSTATE EK001, which aborts the whole statement: nothing is appended.
create function ecusson_person_key_is(p_tenant_id text, p_person_id text, p_wrapped_key bytea)
returns boolean
language plpgsql
volatile
as $$
begin
    perform 1 from person_key
    where tenant_id = p_tenant_id and person_id = p_person_id and wrapped_key = p_wrapped_key
    for share;
    if not found then
        raise exception 'a vault entry was sealed under a person key that changed'
            using errcode = 'EK001';
    end if;
    return true;
end;
$$;
