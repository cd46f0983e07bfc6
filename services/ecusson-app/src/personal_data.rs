//! A worker's rights of access and portability (GDPR articles 15 and 20): everything the
//! ledger holds about one worker, as one JSON document — every event of their stream (the
//! facts: requests, decisions, awards, evidence, recommendations, consent, credentials, exit,
//! in the log's own machine-readable form), every entry of their vault with every version
//! (their name and address, the texts of their evidence, testimonies, their signed
//! credentials; rectified values keep their history), and who read their data (the access
//! log).

use crate::{AppError, Ledger};
use base64::Engine as _;
use ecusson_domain::{Earner, PersonId, TenantId};
use ecusson_store::{StreamId, Vault, VaultRead};
use serde_json::{json, Value};

/// The export's format name and version.
pub const EXPORT_FORMAT: &str = "ecusson-personal-data/1";

/// The export, or `None` when the worker is not enrolled in `tenant`.
pub async fn export_worker(
    ledger: &Ledger,
    vault: &Vault,
    tenant: TenantId,
    earner: PersonId,
) -> Result<Option<Value>, AppError> {
    let stream = StreamId::parse(Earner::stream_name(earner))?;
    let store = ledger.store();
    let mut events = Vec::new();
    let mut after = 0;
    loop {
        let page = store.read_stream(tenant, &stream, after, 1_000).await?;
        let Some(last) = page.last() else { break };
        after = last.stream_version;
        for event in &page {
            let payload: Value = serde_json::from_str(event.payload_json.get())
                .map_err(|error| AppError::Internal(Box::new(error)))?;
            events.push(json!({
                "sequence": event.seq,
                "streamVersion": event.stream_version,
                "type": event.event_type,
                "schemaVersion": event.schema_version,
                "recordedAt": event.recorded_at,
                "payload": payload,
            }));
        }
    }
    if events.is_empty() {
        return Ok(None);
    }
    let mut entries = Vec::new();
    for (entry_id, versions) in vault.entries_of(tenant, earner).await? {
        let versions: Vec<Value> = versions
            .into_iter()
            .filter_map(|read| match read {
                VaultRead::Present { version, plaintext } => Some(match String::from_utf8(plaintext) {
                    Ok(text) => json!({"version": version, "text": text}),
                    Err(bytes) => json!({
                        "version": version,
                        "base64": base64::engine::general_purpose::STANDARD.encode(bytes.as_bytes()),
                    }),
                }),
                VaultRead::Missing | VaultRead::Erased => None,
            })
            .collect();
        entries.push(json!({"entryId": entry_id, "versions": versions}));
    }
    let access: Vec<Value> =
        ecusson_store::access_log::of_subject(store.as_ref(), tenant, earner, None, 10_000)
            .await?
            .into_iter()
            .map(|entry| {
                json!({
                    "accessedAt": entry.accessed_at,
                    "readerId": entry.reader_id,
                    "readerTenantId": entry.reader_tenant_id,
                    "readerRoles": entry.reader_roles,
                    "what": entry.what,
                    "channel": entry.channel,
                })
            })
            .collect();
    Ok(Some(json!({
        "format": EXPORT_FORMAT,
        "exportedAt": ledger.now(),
        "tenantId": tenant,
        "earnerId": earner,
        "events": events,
        "vault": entries,
        "accessLog": access,
    })))
}
