//! The right to erasure on both backends, over real HTTP: a worker's name, address, evidence
//! and the testimony about them are readable (API, badge page, signed credential); the network
//! erases them at their request; from then on none of it can be read anywhere — the API, the
//! public pages and documents, the credentials served, the audit bundle, a full dump of the
//! database — while the log, its audit trail and every count stay as they were.

use crate::api_workflow::{brochure, Client, RunningApi};
use crate::helpers::TestStore;
use ecusson_api::auth::DevSecret;
use ecusson_app::audit::{self, SealPolicy};
use ecusson_app::{credentials, keys};
use ecusson_domain::{PersonId, Role, TenantId};
use ecusson_store::{verify_log, Backend, VaultKey};
use serde_json::json;

const RECORD: &str = "query($id: ID) { earner(earnerId: $id) { identity { name email } requests { evidence { kind content } } awards { awardId state pageUrl evidence { content } credential { url json } } recommendations { testimony } } }";
const QUEUE: &str =
    "{ requestQueue(first: 100) { edges { node { requestId state awardState } } } }";
const ERASE: &str = "mutation($input: EraseWorkerInput!) { eraseWorker(input: $input) { earnerId erased outcome { eventTypes } } }";

/// Everything the database holds, as text: `pg_dump` of the whole database, or the SQLite
/// file and its write-ahead log as they are on disk.
fn dump(store: &TestStore) -> String {
    match store.backend {
        Backend::Postgres => {
            let url = store.url.split('?').next().unwrap().to_owned();
            let output = std::process::Command::new("pg_dump")
                .arg("--no-owner")
                .arg(&url)
                .output()
                .expect("pg_dump runs");
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            String::from_utf8_lossy(&output.stdout).into_owned()
        }
        Backend::Sqlite => {
            let path = store.url.trim_start_matches("sqlite://").to_owned();
            let mut bytes = std::fs::read(&path).expect("the database file");
            if let Ok(wal) = std::fs::read(format!("{path}-wal")) {
                bytes.extend(wal);
            }
            String::from_utf8_lossy(&bytes).into_owned()
        }
    }
}

async fn public_get(url: &str) -> reqwest::Response {
    reqwest::get(url).await.expect("the server answers")
}

async fn erasure_removes_every_trace(test_store: TestStore) {
    let secret = DevSecret::generate();
    let api = RunningApi::start(&test_store.url, &VaultKey::generate(), &secret).await;
    let client = Client::new(&api.base, &secret);
    let world = brochure(&client).await;
    let tenants = [world.network, world.first, world.second, world.third];
    api.caught_up(&tenants).await;
    keys::activate_network_keys(&api.ledger, &api.vault, world.network, false)
        .await
        .expect("keys");
    credentials::issue_pending(&api.ledger, &api.vault, &api.site, 100)
        .await
        .expect("a sweep");
    let worker = &world.workers[0];
    let name = "Camille Martin";
    let email = "camille.martin@example.org";
    client
        .data(
            &world.counsellor.token,
            "mutation($input: RecordWorkerIdentityInput!) { recordWorkerIdentity(input: $input) { earnerId } }",
            json!({"input": {"earnerId": worker.id(), "name": name, "email": email}}),
        )
        .await;
    let consent = "mutation($input: SetPublicationConsentInput!) { setPublicationConsent(input: $input) { credentialsIssued } }";
    let choice =
        json!({"input": {"showName": true, "showRecommendations": true, "publicEvidence": []}});
    client.data(&worker.token, consent, choice.clone()).await;
    api.caught_up(&tenants).await;

    // Before: readable everywhere it should be.
    let staff_view = client
        .data(&world.counsellor.token, RECORD, json!({"id": worker.id()}))
        .await;
    let secrets: Vec<String> = vec![
        name.to_owned(),
        email.to_owned(),
        "Trois mois sans retard, d'après le tuteur.".to_owned(),
        "Photo du planning tenu".to_owned(),
        "Toujours à l'heure, fiable avec l'équipe.".to_owned(),
    ];
    let before = staff_view.to_string();
    for secret in &secrets {
        assert!(
            before.contains(secret.as_str()),
            "{secret} before: {before}"
        );
    }
    let award = staff_view["earner"]["awards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|award| award["awardId"] == json!(world.award))
        .cloned()
        .expect("the enriched award");
    let page_url = award["pageUrl"].as_str().unwrap().to_owned();
    let credential_url = award["credential"]["url"].as_str().unwrap().to_owned();
    let page = public_get(&page_url).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains(name));
    let served = public_get(&format!("{credential_url}.json")).await;
    assert_eq!(served.status(), 200);
    assert!(served.text().await.unwrap().contains(name));
    let ob2 = format!("{}/ob2/assertions/{}", api.base, world.award);
    assert_eq!(public_get(&ob2).await.status(), 200);
    let queue_before = client
        .data(&world.first_admin.token, QUEUE, json!({}))
        .await;
    // Nothing of it in clear in the database: personal data is only ever stored encrypted.
    let dumped = dump(&test_store);
    assert!(dumped.contains(&world.award), "the dump holds the data");
    for secret in &secrets {
        assert!(
            !dumped.contains(secret.as_str()),
            "{secret} in clear in the database"
        );
    }

    // Who may erase: the worker's network, nobody else; another network sees nothing.
    let input = json!({"input": {"structureId": world.first.to_string(), "earnerId": worker.id()}});
    assert_eq!(
        client
            .error(&world.first_admin.token, ERASE, input.clone())
            .await,
        "NOT_FOUND",
        "a structure's staff cannot name its structure as a network would"
    );
    let stranger = client.token(TenantId::new(), &[Role::NetworkAdmin], PersonId::new());
    assert_eq!(
        client.error(&stranger, ERASE, input.clone()).await,
        "NOT_FOUND"
    );
    let network_funder = client.token(world.network, &[Role::Funder], PersonId::new());
    assert_eq!(
        client.error(&network_funder, ERASE, input.clone()).await,
        "FORBIDDEN"
    );
    let unknown = json!({"input": {"structureId": world.first.to_string(), "earnerId": PersonId::new().to_string()}});
    assert_eq!(
        client.error(&world.admin_token, ERASE, unknown).await,
        "NOT_FOUND"
    );
    let head_before = api
        .store
        .tenant_head(world.first)
        .await
        .unwrap()
        .unwrap()
        .seq;
    assert_eq!(
        api.store
            .tenant_head(world.first)
            .await
            .unwrap()
            .unwrap()
            .seq,
        head_before,
        "refusals append nothing"
    );

    let erased = client.data(&world.admin_token, ERASE, input.clone()).await;
    assert_eq!(erased["eraseWorker"]["erased"], true);
    assert_eq!(
        erased["eraseWorker"]["outcome"]["eventTypes"],
        json!(["earner.subject_erased"])
    );
    api.caught_up(&tenants).await;

    // After: nothing readable, anywhere.
    let after = client
        .data(&world.counsellor.token, RECORD, json!({"id": worker.id()}))
        .await;
    let after_text = after.to_string();
    for secret in &secrets {
        assert!(
            !after_text.contains(secret.as_str()),
            "{secret} after: {after_text}"
        );
    }
    assert!(after["earner"]["identity"].is_null(), "{after}");
    let own_view = client.data(&worker.token, RECORD, json!({})).await;
    for secret in &secrets {
        assert!(!own_view.to_string().contains(secret.as_str()));
    }
    assert_eq!(public_get(&page_url).await.status(), 404);
    for suffix in ["", ".json", ".jwt", ".png", ".svg"] {
        assert_eq!(
            public_get(&format!("{credential_url}{suffix}"))
                .await
                .status(),
            404,
            "{credential_url}{suffix}"
        );
    }
    assert_eq!(public_get(&ob2).await.status(), 404);
    // Nothing more is recorded about them; no credential is issued for their awards.
    assert_eq!(
        client.error(&worker.token, consent, choice).await,
        "CONFLICT"
    );
    let sweep = credentials::issue_pending(&api.ledger, &api.vault, &api.site, 100)
        .await
        .expect("a sweep");
    assert_eq!(sweep.issued, 0, "{sweep:?}");
    // The facts stay: the same requests, decisions and awards.
    let queue_after = client
        .data(&world.first_admin.token, QUEUE, json!({}))
        .await;
    assert_eq!(queue_before, queue_after);
    // The log and its audit trail are intact, and seal on.
    assert!(verify_log(api.store.as_ref(), world.first)
        .await
        .unwrap()
        .is_intact());
    audit::seal_tenant(
        &api.ledger,
        &api.vault,
        &api.site,
        world.first,
        SealPolicy::default(),
        true,
    )
    .await
    .expect("the log seals");
    let mut bundle = Vec::new();
    audit::export_bundle(&api.ledger, &api.vault, world.first, None, &mut bundle)
        .await
        .unwrap();
    assert!(audit::verify_bundle(bundle.as_slice(), None).is_valid());
    let bundle = String::from_utf8(bundle).unwrap();
    assert!(bundle.contains("earner.subject_erased"));
    let export = client
        .data(
            &world.admin_token,
            "query($s: ID, $e: ID!) { workerDataExport(structureId: $s, earnerId: $e) }",
            json!({"s": world.first.to_string(), "e": worker.id()}),
        )
        .await["workerDataExport"]
        .to_string();
    assert!(export.contains("earner.subject_erased"), "{export}");
    let dumped = dump(&test_store);
    assert!(dumped.contains(&world.award));
    for secret in &secrets {
        assert!(!export.contains(secret.as_str()), "{secret} in the export");
        assert!(!bundle.contains(secret.as_str()), "{secret} in the bundle");
        assert!(
            !dumped.contains(secret.as_str()),
            "{secret} in the database"
        );
    }
    // No vault key and no ciphertext of theirs is left.
    let remaining = test_store
        .execute_raw(&format!(
            "delete from person_data where person_id = '{}'",
            worker.id()
        ))
        .await;
    assert_eq!(remaining, 0);
    // Asking again finishes an interrupted erasure and appends nothing.
    let again = client.data(&world.admin_token, ERASE, input).await;
    assert_eq!(again["eraseWorker"]["erased"], true);
    assert_eq!(again["eraseWorker"]["outcome"]["eventTypes"], json!([]));
    api.stop().await;
}

crate::on_both_backends!(erasure_removes_every_trace);
