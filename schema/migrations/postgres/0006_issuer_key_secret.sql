-- The private halves of the network's issuer keys, wrapped (XChaCha20-Poly1305) by the
-- installation's key-encryption key, as person keys are. The public halves and the keys'
-- history are events (issuer_keys.*); a secret without its event (a crash between the two
-- writes) is never used.
create table issuer_key_secret (
    tenant_id text not null,
    key_id text not null,
    wrapped_key bytea not null,
    created_at text not null,
    primary key (tenant_id, key_id)
);
