//! Every event shape the domain emits (one golden JSON per type and version in schema/events)
//! is canonicalised by the store exactly as the reference RFC 8785 implementation does.

use ecusson_domain::TenantId;
use ecusson_store::canonical::canonical_bytes;
use ecusson_store::*;
use uuid::Uuid;

#[test]
fn every_golden_event_canonicalises_as_the_reference_jcs() {
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/events");
    let mut checked = 0;
    for entry in std::fs::read_dir(folder).expect("schema/events exists") {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let payload: serde_json::Value = serde_json::from_str(&text).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let event_type = name.rsplitn(3, '.').nth(2).unwrap().to_owned();
        let event = NewEvent {
            event_id: Uuid::now_v7(),
            event_type,
            schema_version: 1,
            payload,
        };
        canonical::validate_new_event(&event).unwrap_or_else(|error| panic!("{name}: {error}"));
        let metadata = EventMetadata::new(ActorRef::System("tests".into()));
        let stream = StreamId::parse("earner-1").unwrap();
        let ours = canonical_bytes(
            TenantId::new(),
            &stream,
            &event,
            &metadata,
            canonical::truncate_to_micros(chrono::Utc::now()),
        )
        .unwrap();
        let parsed: serde_json::Value = serde_json::from_slice(&ours).unwrap();
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            serde_jcs::to_string(&parsed).unwrap(),
            "{name}"
        );
        checked += 1;
    }
    assert!(checked >= 33, "only {checked} golden events found");
}
