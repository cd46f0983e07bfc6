//! Our Open Badges 2.0 hosted documents checked by 1EdTech's own validator (`openbadges` on
//! PyPI, openbadges-validator-core), on both backends, offline: the real server on 127.0.0.1,
//! the validator fetching the assertion, its badge class, issuer and image from it, and the
//! OB 2.0 JSON-LD context from the interop material (the harness is in `ecusson-interop`).
//!
//! A standing award's hosted assertion and its baked PNG are valid, with no error and no
//! warning, awarded to the worker's e-mail address (the recipient is its salted hash); the
//! validator finds the mismatch when given another address. A revoked award's URL answers 410
//! with `revoked: true`: the validator reads `revoked: true`, and its only complaints are the
//! properties a revoked assertion need not carry (it does not act on hosted revocation itself:
//! 1EdTech/openbadges-validator-core issues #212 and #236).

use crate::api_workflow::{brochure, Client, RunningApi};
use crate::helpers::TestStore;
use ecusson_api::auth::DevSecret;
use ecusson_app::{credentials, keys};
use ecusson_domain::AwardId;
use ecusson_interop::{run_python_validator, Ob2Input};
use ecusson_store::VaultKey;
use serde_json::{json, Value};
use std::path::PathBuf;

const EMAIL: &str = "camille.martin@example.org";
const AWARDS: &str = "query($id: ID) { earner(earnerId: $id) { requests { evidence { evidenceId kind } } awards { awardId state } } }";

/// What the validator is run on, owned so that it can move to a blocking thread.
enum Input {
    Url(String),
    File(PathBuf),
}

/// Runs the validator on a blocking thread: it fetches from the server running on this
/// runtime.
async fn validate(input: Input, recipient_email: Option<&'static str>) -> Value {
    tokio::task::spawn_blocking(move || {
        let input = match &input {
            Input::Url(url) => Ob2Input::Url(url),
            Input::File(path) => Ob2Input::File(path),
        };
        run_python_validator(input, recipient_email)
    })
    .await
    .expect("the validator's thread")
}

/// The URLs the validator fetched, with the HTTP status each answered.
fn fetched(report: &Value) -> Vec<(String, u64)> {
    report["fetched"]
        .as_array()
        .expect("a list of fetches")
        .iter()
        .map(|fetch| {
            (
                fetch["url"].as_str().expect("a URL").to_owned(),
                fetch["status"].as_u64().expect("a status"),
            )
        })
        .collect()
}

/// Valid, nothing to say, the recipient confirmed, nothing fetched beyond the bundled context
/// and the server under test.
fn assert_valid(report: &Value, assertion_url: &str) {
    assert_eq!(report["valid"], true, "{report:#}");
    assert_eq!(report["errorCount"], 0, "{report:#}");
    assert_eq!(report["errors"], json!([]), "{report:#}");
    assert_eq!(report["warnings"], json!([]), "{report:#}");
    assert_eq!(report["openBadgesVersion"], "2.0");
    assert_eq!(report["validationSubject"], assertion_url);
    assert_eq!(report["recipientProfile"], json!({"email": EMAIL}));
    assert_eq!(report["revoked"], false);
    assert_eq!(report["refused"], json!([]), "{report:#}");
}

async fn the_validator_accepts_our_hosted_assertions(test_store: TestStore) {
    let secret = DevSecret::generate();
    let vault_key = VaultKey::generate();
    let api = RunningApi::start(&test_store.url, &vault_key, &secret).await;
    let client = Client::new(&api.base, &secret);
    let world = brochure(&client).await;
    let tenants = [world.network, world.first, world.second, world.third];
    keys::activate_network_keys(&api.ledger, &api.vault, world.network, false)
        .await
        .expect("keys");
    credentials::issue_pending(&api.ledger, &api.vault, &api.site, 100)
        .await
        .expect("a sweep");
    api.caught_up(&tenants).await;

    // The worker's address is recorded (the recipient becomes its salted hash) and a piece of
    // evidence made public (the assertion then carries it).
    let worker = &world.workers[0];
    client
        .data(
            &world.counsellor.token,
            "mutation($input: RecordWorkerIdentityInput!) { recordWorkerIdentity(input: $input) { earnerId } }",
            json!({"input": {"earnerId": worker.id(), "name": "Camille Martin", "email": EMAIL}}),
        )
        .await;
    let record = client.data(&worker.token, AWARDS, json!({})).await;
    let narrative = record["earner"]["requests"][0]["evidence"][0]["evidenceId"].clone();
    client
        .data(
            &worker.token,
            "mutation($input: SetPublicationConsentInput!) { setPublicationConsent(input: $input) { consent { publicEvidence } } }",
            json!({"input": {"showName": true, "showRecommendations": true, "publicEvidence": [narrative]}}),
        )
        .await;
    api.caught_up(&tenants).await;

    // The hosted assertion: valid, awarded to the address; the validator fetched the badge
    // class, its image and the issuer from the server, each answering 200.
    let assertion_url = api
        .site
        .ob2_assertion(AwardId::parse(&world.award).expect("an award id"));
    let assertion: Value = reqwest::get(&assertion_url)
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("JSON");
    assert!(assertion["evidence"].is_array(), "{assertion:#}");
    let report = validate(Input::Url(assertion_url.clone()), Some(EMAIL)).await;
    assert_valid(&report, &assertion_url);
    let fetches = fetched(&report);
    let badge_class = assertion["badge"].as_str().expect("a badge class URL");
    let badge_class_document: Value = reqwest::get(badge_class)
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("JSON");
    for url in [
        assertion_url.as_str(),
        badge_class,
        badge_class_document["issuer"].as_str().expect("an issuer"),
        badge_class_document["image"].as_str().expect("an image"),
    ] {
        assert!(
            fetches.contains(&(url.to_owned(), 200)),
            "{url} not fetched: {fetches:?}"
        );
    }

    // Another address does not match the recipient's hash.
    let stranger = validate(
        Input::Url(assertion_url.clone()),
        Some("someone@example.org"),
    )
    .await;
    assert_eq!(stranger["valid"], false, "{stranger:#}");
    assert!(
        stranger["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .any(|error| error.as_str().unwrap_or_default().contains("did not match")),
        "{stranger:#}"
    );

    // The baked PNG: the validator extracts the assertion, then verifies it at its URL.
    let png = reqwest::get(format!("{assertion_url}.png"))
        .await
        .expect("the server answers");
    assert_eq!(png.status(), 200);
    assert_eq!(png.headers()["content-type"], "image/png");
    let baked = std::env::temp_dir().join(format!("ecusson-ob2-{}.png", world.award));
    std::fs::write(&baked, png.bytes().await.expect("the image")).expect("a temporary file");
    let report = validate(Input::File(baked.clone()), Some(EMAIL)).await;
    let _ = std::fs::remove_file(&baked);
    assert_valid(&report, &assertion_url);

    // The brochure revoked the third worker's award: 410 and `revoked: true`. The validator
    // reads the flag; what it counts as errors is only what a revoked assertion may leave out
    // ("only id and revoked are required", OB 2.0 § Revoking Hosted Assertions), and its own
    // crash on the missing `badge` (a format string short of an argument, graph.py).
    let third = client
        .data(
            &world.first_admin.token,
            AWARDS,
            json!({"id": world.workers[2].id()}),
        )
        .await;
    let revoked = &third["earner"]["awards"][0];
    assert_eq!(revoked["state"], "REVOKED");
    let revoked_url = api.site.ob2_assertion(
        AwardId::parse(revoked["awardId"].as_str().expect("an award id")).expect("an award id"),
    );
    let report = validate(Input::Url(revoked_url.clone()), None).await;
    assert_eq!(report["revoked"], true, "{report:#}");
    assert_eq!(report["validationSubject"], revoked_url);
    assert!(fetched(&report).contains(&(revoked_url.clone(), 410)));
    assert_eq!(report["refused"], json!([]), "{report:#}");
    let errors: Vec<&str> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|error| error.as_str().expect("a message"))
        .collect();
    let missing = |property: &str| {
        format!("Required property {property} not present in unknown type node {revoked_url}")
    };
    for property in ["recipient", "badge", "verification", "issuedOn"] {
        assert!(errors.contains(&missing(property).as_str()), "{report:#}");
    }
    for error in &errors {
        assert!(
            ["recipient", "badge", "verification", "issuedOn"]
                .iter()
                .any(|property| *error == missing(property))
                || *error == "Task could not run due to unmet prerequisites."
                || error.contains("IndexError"),
            "an unexpected error: {error}\n{report:#}"
        );
    }

    api.stop().await;
    drop(test_store);
}

crate::on_both_backends!(the_validator_accepts_our_hosted_assertions);
