//! The access log of personal data on both backends, over real HTTP: every read of a worker's
//! data by someone else is logged once per request and kind, before it is answered; a worker
//! reading their own data is not; the network's administrators and the worker read the log,
//! nobody else.

use crate::api_workflow::{brochure, Client, RunningApi};
use crate::helpers::TestStore;
use ecusson_api::auth::DevSecret;
use ecusson_domain::{PersonId, Role, TenantId};
use ecusson_store::VaultKey;
use serde_json::{json, Value};

const RECORD: &str = "query($id: ID) { earner(earnerId: $id) { requests { evidence { content } } awards { evidence { content } } } }";
const EXPORT: &str = "query($structure: ID, $earner: ID!) { workerDataExport(structureId: $structure, earnerId: $earner) }";
const LOG: &str = "query($structure: ID, $earner: ID!, $before: ID) { personalDataAccess(structureId: $structure, earnerId: $earner, before: $before) { accessId accessedAt readerId readerTenantId readerRoles what channel } }";

fn entries(data: &Value) -> Vec<Value> {
    data["personalDataAccess"].as_array().unwrap().clone()
}

async fn reads_of_personal_data_are_logged(test_store: TestStore) {
    let secret = DevSecret::generate();
    let api = RunningApi::start(&test_store.url, &VaultKey::generate(), &secret).await;
    let client = Client::new(&api.base, &secret);
    let world = brochure(&client).await;
    api.caught_up(&[world.network, world.first]).await;
    let worker = &world.workers[0];
    let log_vars = json!({"structure": world.first.to_string(), "earner": worker.id()});
    let before = entries(&client.data(&world.admin_token, LOG, log_vars.clone()).await);

    // The counsellor reads the worker's evidence twice (two requests); the worker reads their
    // own once.
    for _ in 0..2 {
        let read = client
            .data(&world.counsellor.token, RECORD, json!({"id": worker.id()}))
            .await;
        assert!(
            read.to_string().contains("Trois mois sans retard"),
            "{read}"
        );
    }
    client.data(&worker.token, RECORD, json!({})).await;

    let after = entries(&client.data(&world.admin_token, LOG, log_vars.clone()).await);
    let new: Vec<&Value> = after
        .iter()
        .filter(|entry| !before.contains(entry))
        .collect();
    // One entry per request (the request has several pieces of evidence), the counsellor's.
    assert_eq!(new.len(), 2, "{new:#?}");
    for entry in &new {
        assert_eq!(entry["readerId"], json!(world.counsellor.id()));
        assert_eq!(entry["readerTenantId"], world.first.to_string());
        assert_eq!(entry["readerRoles"], json!(["COUNSELLOR"]));
        assert_eq!(entry["what"], "evidence");
        assert_eq!(entry["channel"], "graphql");
    }
    assert!(
        after
            .iter()
            .all(|entry| entry["readerId"] != json!(worker.id())),
        "a worker's reads of their own data are not logged"
    );
    // Newest first, and paged by `before`.
    assert!(after[0]["accessId"].as_str() > after[1]["accessId"].as_str());
    let older = entries(
        &client
            .data(
                &world.admin_token,
                LOG,
                json!({"structure": world.first.to_string(), "earner": worker.id(), "before": after[0]["accessId"]}),
            )
            .await,
    );
    assert_eq!(older, after[1..].to_vec());

    // The worker reads who read their data.
    let own = entries(
        &client
            .data(&worker.token, LOG, json!({"earner": worker.id()}))
            .await,
    );
    assert_eq!(own, after);

    // Nobody else does: staff, another worker, a funder (refused by role), another network
    // (which does not see the worker at all).
    for token in [
        world.counsellor.token.clone(),
        world.first_admin.token.clone(),
        world.workers[1].token.clone(),
    ] {
        assert_eq!(
            client.error(&token, LOG, log_vars.clone()).await,
            "FORBIDDEN"
        );
    }
    let other_network = client.token(TenantId::new(), &[Role::NetworkAdmin], PersonId::new());
    assert_eq!(
        client.error(&other_network, LOG, log_vars.clone()).await,
        "NOT_FOUND"
    );
    let funder = client.token(world.network, &[Role::Funder], PersonId::new());
    assert_eq!(
        client.error(&funder, LOG, log_vars.clone()).await,
        "FORBIDDEN"
    );

    // Access and portability: the worker's own export holds their stream and their vault's
    // texts; the network's on their behalf is logged.
    let own_export = client
        .data(&worker.token, EXPORT, json!({"earner": worker.id()}))
        .await["workerDataExport"]
        .clone();
    assert_eq!(own_export["format"], "ecusson-personal-data/1");
    assert_eq!(own_export["earnerId"], json!(worker.id()));
    let types: Vec<&str> = own_export["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["type"].as_str().unwrap())
        .collect();
    assert_eq!(types.first(), Some(&"earner.enrolled"), "{types:?}");
    assert!(types.contains(&"earner.badge_awarded"), "{types:?}");
    let texts = own_export["vault"].to_string();
    assert!(texts.contains("Trois mois sans retard"), "{texts}");
    assert!(texts.contains("Photo du planning tenu"), "{texts}");
    assert_eq!(own_export["accessLog"].as_array().unwrap().len(), own.len());
    let exported = client
        .data(&world.admin_token, EXPORT, log_vars.clone())
        .await["workerDataExport"]
        .clone();
    assert_eq!(exported["events"], own_export["events"]);
    let latest = entries(&client.data(&world.admin_token, LOG, log_vars.clone()).await);
    assert_eq!(latest[0]["what"], "export");
    assert_eq!(latest[0]["readerRoles"], json!(["NETWORK_ADMIN"]));
    for token in [
        world.counsellor.token.clone(),
        world.workers[1].token.clone(),
    ] {
        assert_eq!(
            client.error(&token, EXPORT, log_vars.clone()).await,
            "FORBIDDEN"
        );
    }
    assert_eq!(
        client.error(&other_network, EXPORT, log_vars.clone()).await,
        "NOT_FOUND"
    );
    assert_eq!(client.error(&funder, EXPORT, log_vars).await, "FORBIDDEN");
    api.stop().await;
}

/// The log is kept for its retention period: a purge deletes the entries written before the
/// cutoff, oldest first and at most a batch at a time, and keeps every later one.
async fn the_access_log_is_purged_after_its_retention(test_store: TestStore) {
    use ecusson_store::access_log::{of_subject, purge_before, record, AccessEntry};
    let store = test_store.store.as_ref();
    let (tenant, subject) = (TenantId::new(), PersonId::new());
    let now = chrono::Utc::now();
    let days_ago = [400, 380, 366, 364, 10, 0];
    for days in days_ago {
        record(
            store,
            &AccessEntry {
                tenant_id: tenant,
                subject_id: subject,
                access_id: uuid::Uuid::now_v7(),
                accessed_at: now - chrono::Duration::days(days),
                reader_tenant_id: tenant,
                reader_id: PersonId::new(),
                reader_roles: vec!["COUNSELLOR".to_owned()],
                what: "evidence".to_owned(),
                channel: "graphql".to_owned(),
            },
        )
        .await
        .expect("an entry");
    }
    let cutoff = now - chrono::Duration::days(365);
    assert_eq!(
        purge_before(store, cutoff, 2).await.unwrap(),
        2,
        "a batch at most"
    );
    assert_eq!(purge_before(store, cutoff, 2).await.unwrap(), 1);
    assert_eq!(purge_before(store, cutoff, 2).await.unwrap(), 0);
    let kept = of_subject(store, tenant, subject, None, 100).await.unwrap();
    assert_eq!(kept.len(), 3);
    assert!(kept.iter().all(|entry| entry.accessed_at >= cutoff));
}

crate::on_both_backends!(
    reads_of_personal_data_are_logged,
    the_access_log_is_purged_after_its_retention
);
