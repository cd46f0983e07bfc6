//! Open Badges credentials end to end, on both backends, over real HTTP: the ledger issues a
//! signed credential for each award once its network has keys; a worker's name and evidence go
//! in only as they chose; the public documents let anyone verify a credential without trusting
//! us (our verifier on what it fetched, Digital Bazaar's independent one, 1EdTech's JSON
//! Schema); the VC-JWT verifies with the key its `kid` names; baked images carry the
//! credential; the badge page shows what the worker agreed to show; a revocation reaches the
//! revocation list, the verification endpoint, the Open Badges 2.0 assertion (410) and the
//! page; a key rotation leaves older credentials verifying.

use crate::api_workflow::{brochure, Client, RunningApi};
use crate::helpers::TestStore;
use ecusson_api::auth::DevSecret;
use ecusson_app::credentials;
use ecusson_app::keys;
use ecusson_badges::status::RevocationList;
use ecusson_badges::verify::{
    key_from_controller_document, verify_credential, verify_jwt, CheckCode, KeyResolver, Outcome,
    PublicKey, ResolvedKey, StatusResolver, Verdict, VerifyEnv,
};
use ecusson_store::VaultKey;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const AWARDS: &str = "query($id: ID) { earner(earnerId: $id) { requests { evidence { evidenceId kind content } } awards { awardId state pageUrl evidence { evidenceId kind content } credential { credentialId url jwtUrl pngUrl svgUrl digest json jwt } } } }";
const ISSUE: &str = "mutation($input: IssueCredentialInput!) { issueCredential(input: $input) { credential { credentialId url jwtUrl json jwt digest } outcome { position { lastSequence } } } }";

/// What a verifier fetched over HTTP from the documents a credential names.
struct Fetched {
    issuer_document: Value,
    jwk: Option<Value>,
    kid: Option<String>,
    list: Option<RevocationList>,
}

impl KeyResolver for Fetched {
    fn resolve(&self, verification_method: &str) -> Option<ResolvedKey> {
        if Some(verification_method) == self.kid.as_deref() {
            let key = ecusson_badges::jwt::public_key_from_jwk(self.jwk.as_ref()?).ok()?;
            let mut resolved = ResolvedKey::new(PublicKey::P256(key));
            resolved.controller = self.issuer_document["id"].as_str().map(str::to_owned);
            return Some(resolved);
        }
        key_from_controller_document(&self.issuer_document, verification_method).ok()
    }
}

impl StatusResolver for Fetched {
    fn status(
        &self,
        credential_id: Option<&str>,
        _entry: &Value,
    ) -> ecusson_badges::status::StatusAnswer {
        match (&self.list, credential_id) {
            (Some(list), Some(id)) => list.status_of(id),
            _ => ecusson_badges::status::StatusAnswer::Unknown {
                why: "not fetched".into(),
            },
        }
    }
}

async fn get(url: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(url)
        .send()
        .await
        .expect("the server answers")
}

async fn get_json(url: &str) -> Value {
    let response = get(url).await;
    assert_eq!(response.status(), 200, "{url}");
    response.json().await.expect("JSON")
}

async fn get_html(url: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .get(url)
        .header("accept", "text/html")
        .send()
        .await
        .expect("the server answers");
    (
        response.status().as_u16(),
        response.text().await.expect("a page"),
    )
}

/// Fetches what a credential names (its issuer's document, its JWT key, its status list) as an
/// outside verifier would.
async fn fetch_for(credential: &Value, jwt: Option<&str>) -> Fetched {
    let issuer = credential["issuer"]["id"].as_str().expect("an issuer id");
    let issuer_document = get_json(issuer).await;
    let (kid, jwk) = match jwt {
        Some(jwt) => {
            let kid = ecusson_badges::jwt::decode_unverified(jwt)
                .expect("a JWT")
                .kid()
                .expect("a kid")
                .to_owned();
            let jwk = get_json(&kid).await;
            (Some(kid), Some(jwk))
        }
        None => (None, None),
    };
    let list_url = credential["credentialStatus"]["id"]
        .as_str()
        .expect("a status");
    let list = RevocationList::from_json(&get_json(list_url).await).expect("a 1EdTech list");
    Fetched {
        issuer_document,
        jwk,
        kid,
        list: Some(list),
    }
}

fn report_outcome(report: &ecusson_badges::verify::Report, code: CheckCode) -> Option<Outcome> {
    report.outcome(code)
}

/// Posts a credential to the verification endpoint and returns its JSON report.
async fn verify_endpoint(base: &str, body: Vec<u8>, content_type: &str) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{base}/verify"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status(), 200);
    response.json().await.expect("a report")
}

async fn credentials_are_issued_published_and_verified(test_store: TestStore) {
    let secret = DevSecret::generate();
    let vault_key = VaultKey::generate();
    // The ledger's clock, which the test moves on a second before a key's compromise (below).
    let ahead = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
    let clock: ecusson_app::Clock = {
        let ahead = ahead.clone();
        std::sync::Arc::new(move || {
            chrono::Utc::now()
                + chrono::Duration::milliseconds(ahead.load(std::sync::atomic::Ordering::SeqCst))
        })
    };
    let api = RunningApi::start_with_clock(&test_store.url, &vault_key, &secret, clock).await;
    let client = Client::new(&api.base, &secret);
    let world = brochure(&client).await;
    let tenants = [world.network, world.first, world.second, world.third];
    api.caught_up(&tenants).await;

    // Without keys nothing is issued: the awards wait.
    let waiting = credentials::issue_pending(&api.ledger, &api.vault, &api.site, 100)
        .await
        .expect("a sweep");
    assert_eq!(waiting.issued, 0);
    assert!(waiting.waiting_for_key >= 3, "{waiting:?}");
    let worker = &world.workers[0];
    assert_eq!(
        client
            .error(
                &worker.token,
                ISSUE,
                json!({"input": {"awardId": world.award}})
            )
            .await,
        "CONFLICT"
    );

    // The network's keys: Ed25519 and P-256. The sweep issues every standing award's
    // credential, once.
    let activated = keys::activate_network_keys(&api.ledger, &api.vault, world.network, false)
        .await
        .expect("keys");
    assert_eq!(activated.len(), 2);
    // Pages of one award: the sweep goes through them all.
    let issued = credentials::issue_pending(&api.ledger, &api.vault, &api.site, 1)
        .await
        .expect("a sweep");
    assert_eq!(issued.issued, waiting.waiting_for_key, "{issued:?}");
    api.caught_up(&tenants).await;
    let again = credentials::issue_pending(&api.ledger, &api.vault, &api.site, 100)
        .await
        .expect("a sweep");
    assert_eq!(again, credentials::IssuanceReport::default());

    // The revoked award got none; the first worker's did.
    let third = client
        .data(
            &world.first_admin.token,
            AWARDS,
            json!({"id": world.workers[2].id()}),
        )
        .await;
    let revoked = &third["earner"]["awards"][0];
    assert_eq!(revoked["state"], "REVOKED");
    assert!(revoked["credential"].is_null());

    // The worker records their name, chooses what is public, and asks for a fresh copy.
    client
        .data(
            &world.counsellor.token,
            "mutation($input: RecordWorkerIdentityInput!) { recordWorkerIdentity(input: $input) { earnerId } }",
            json!({"input": {"earnerId": worker.id(), "name": "Camille Martin", "email": "camille.martin@example.org"}}),
        )
        .await;
    let record = client.data(&worker.token, AWARDS, json!({})).await;
    let narrative = record["earner"]["requests"][0]["evidence"][0].clone();
    assert_eq!(narrative["kind"], "NARRATIVE");
    let photo = record["earner"]["awards"][0]["evidence"][0].clone();
    assert_eq!(photo["kind"], "PHOTO");
    // Consent is the worker's own: their counsellor cannot give it.
    let consent = "mutation($input: SetPublicationConsentInput!) { setPublicationConsent(input: $input) { consent { showName showRecommendations publicEvidence } credentialsIssued } }";
    let choice = json!({"input": {"showName": true, "showRecommendations": true, "publicEvidence": [narrative["evidenceId"]]}});
    assert_eq!(
        client
            .error(&world.counsellor.token, consent, choice.clone())
            .await,
        "FORBIDDEN"
    );
    let chosen = client.data(&worker.token, consent, choice).await;
    assert_eq!(
        chosen["setPublicationConsent"]["consent"]["publicEvidence"],
        json!([narrative["evidenceId"]])
    );
    // The standing badge got a fresh credential showing what the worker now shows.
    assert_eq!(chosen["setPublicationConsent"]["credentialsIssued"], 1);
    let fresh = client
        .data(
            &worker.token,
            ISSUE,
            json!({"input": {"awardId": world.award}}),
        )
        .await["issueCredential"]["credential"]
        .clone();
    // Public URLs find a credential through the read models: they follow within moments.
    api.caught_up(&tenants).await;
    let text = fresh["json"].as_str().expect("the signed credential");
    let credential: Value = serde_json::from_str(text).expect("JSON");
    assert!(
        text.contains("Camille Martin"),
        "the name, in clear as chosen"
    );
    assert!(
        text.contains("Trois mois sans retard"),
        "the public evidence"
    );
    assert!(
        !text.contains("Photo du planning"),
        "never the private evidence"
    );
    assert!(!text.contains("camille.martin@example.org"));
    assert_eq!(
        fresh["digest"].as_str().unwrap(),
        hex::encode(Sha256::digest(text.as_bytes()))
    );
    assert_eq!(
        credential["credentialSubject"]["source"]["name"],
        "Atelier du Fleuve"
    );

    // Served at its id, byte for byte; 1EdTech's schema accepts it.
    let url = fresh["url"].as_str().unwrap();
    let served = get(&format!("{url}.json")).await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.text().await.unwrap(), text);
    let errors =
        ecusson_interop::schema_errors("ob3-schemas/achievementcredential.json", &credential);
    assert!(errors.is_empty(), "{errors:#?}");
    // A browser following the id lands on the badge's page.
    let redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(url)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status(), 303);
    assert_eq!(
        redirect.headers()["location"],
        api.site
            .badge_page(ecusson_domain::AwardId::parse(&world.award).unwrap())
            .as_str()
    );

    // An outside verifier: the documents it names, fetched over HTTP, are enough.
    let jwt = fresh["jwt"].as_str().expect("a VC-JWT");
    let fetched = fetch_for(&credential, Some(jwt)).await;
    let now = chrono::Utc::now();
    let env = VerifyEnv {
        now,
        keys: &fetched,
        status: &fetched,
    };
    let report = verify_credential(&credential, &env);
    assert_eq!(report.verdict, Verdict::Valid, "{:#}", report.to_json());
    let report = verify_jwt(jwt, &env);
    assert_eq!(report.verdict, Verdict::Valid, "{:#}", report.to_json());
    let mut tampered = credential.clone();
    tampered["credentialSubject"]["achievement"]["name"] = json!("Respecter les horairez");
    assert_eq!(
        report_outcome(&verify_credential(&tampered, &env), CheckCode::Proof),
        Some(Outcome::Failed)
    );
    // Digital Bazaar's implementation, on the issuer document we serve.
    let (verified, errors) = ecusson_interop::node_verify(&credential, &fetched.issuer_document);
    assert!(
        verified,
        "Digital Bazaar refuses our credential: {errors:?}"
    );
    let (verified, _) = ecusson_interop::node_verify(&tampered, &fetched.issuer_document);
    assert!(!verified);

    // The verification endpoint: the JSON, the JWT, the baked images; a tamper fails.
    let report = verify_endpoint(&api.base, text.as_bytes().to_vec(), "application/json").await;
    assert_eq!(report["verdict"], "valid", "{report:#}");
    let report = verify_endpoint(&api.base, jwt.as_bytes().to_vec(), "application/jwt").await;
    assert_eq!(report["verdict"], "valid", "{report:#}");
    let report = verify_endpoint(
        &api.base,
        tampered.to_string().into_bytes(),
        "application/json",
    )
    .await;
    assert_eq!(report["verdict"], "invalid");
    for (format, content_type) in [("png", "image/png"), ("svg", "image/svg+xml")] {
        let response = get(&format!("{url}.{format}")).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], content_type);
        let image = response.bytes().await.unwrap().to_vec();
        let baked = ecusson_badges::bake::extract(&image).expect("a baked badge");
        assert_eq!(baked.text(), text);
        let report = verify_endpoint(&api.base, image, content_type).await;
        assert_eq!(report["verdict"], "valid", "{format}: {report:#}");
    }

    // The badge page shows what the worker chose, and nothing else.
    let page_url = record["earner"]["awards"][0]["pageUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, page) = get_html(&page_url).await;
    assert_eq!(status, 200);
    assert!(page.contains("Respecter les horaires"));
    assert!(page.contains("Camille Martin"));
    assert!(page.contains("Trois mois sans retard"));
    assert!(!page.contains("Photo du planning"));
    // The recommendation was given without its author's consent to publication: private.
    assert!(!page.contains("Toujours à l'heure"));
    assert!(
        page.contains("Ce badge atteste une vraie compétence."),
        "the class's endorsement"
    );
    // With its signed copy among the downloads.
    assert!(page.contains(&api.site.endorsement(
        world.network,
        ecusson_domain::EndorsementId::parse(&world.endorsement).unwrap(),
    )));
    assert!(!page.contains("<script"));
    // Another worker who chose nothing: no name on their page.
    let committee_page = client
        .data(&world.committee_worker.token, AWARDS, json!({}))
        .await["earner"]["awards"][0]["pageUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, other_page) = get_html(&committee_page).await;
    assert!(
        other_page.contains("ne pas afficher son nom"),
        "{other_page}"
    );

    // The worker withdraws their consent to show their name: the credentials that show it are
    // no longer published (they keep their copy); a fresh one without it is, and the page
    // follows at once.
    let withdrawn = client
        .data(
            &worker.token,
            consent,
            json!({"input": {"showName": false, "showRecommendations": true, "publicEvidence": [narrative["evidenceId"]]}}),
        )
        .await;
    assert_eq!(withdrawn["setPublicationConsent"]["credentialsIssued"], 1);
    api.caught_up(&tenants).await;
    assert_eq!(get(&format!("{url}.json")).await.status(), 404);
    assert_eq!(get(&format!("{url}.png")).await.status(), 404);
    let latest = client.data(&worker.token, AWARDS, json!({})).await["earner"]["awards"][0]
        ["credential"]
        .clone();
    assert_ne!(latest["url"], url);
    assert!(!latest["json"].as_str().unwrap().contains("Camille Martin"));
    assert_eq!(
        get(&format!("{}.json", latest["url"].as_str().unwrap()))
            .await
            .status(),
        200
    );
    let (_, page) = get_html(&page_url).await;
    assert!(!page.contains("Camille Martin"));
    assert!(page.contains(latest["url"].as_str().unwrap()));

    // Open Badges 2.0: the hosted assertion, its badge class and issuer; the recipient is the
    // salted hash of the worker's address.
    let assertion_url = api
        .site
        .ob2_assertion(ecusson_domain::AwardId::parse(&world.award).unwrap());
    let assertion = get_json(&assertion_url).await;
    assert_eq!(assertion["type"], "Assertion");
    let salt = assertion["recipient"]["salt"].as_str().unwrap();
    assert_eq!(
        assertion["recipient"]["identity"],
        ecusson_badges::ob2::identity_hash("camille.martin@example.org", salt)
    );
    let badge_class = get_json(assertion["badge"].as_str().unwrap()).await;
    assert_eq!(badge_class["name"], "Respecter les horaires");
    let ob2_issuer = get_json(badge_class["issuer"].as_str().unwrap()).await;
    assert_eq!(ob2_issuer["name"], "Réseau Nouvelle-Aquitaine");
    let image = get(badge_class["image"].as_str().unwrap()).await;
    assert_eq!(image.headers()["content-type"], "image/png");

    // Key rotation: the older credential still verifies; a new one is signed by the new key.
    keys::activate_network_keys(&api.ledger, &api.vault, world.network, true)
        .await
        .expect("rotation");
    let after_rotation = fetch_for(&credential, None).await;
    let report = verify_credential(
        &credential,
        &VerifyEnv {
            now,
            keys: &after_rotation,
            status: &after_rotation,
        },
    );
    assert_eq!(report.verdict, Verdict::Valid, "{:#}", report.to_json());
    let committee_award = client
        .data(&world.committee_worker.token, AWARDS, json!({}))
        .await["earner"]["awards"][0]["awardId"]
        .clone();
    let newer = client
        .data(
            &world.committee_worker.token,
            ISSUE,
            json!({"input": {"awardId": committee_award}}),
        )
        .await["issueCredential"]["credential"]["json"]
        .as_str()
        .unwrap()
        .to_owned();
    let newer: Value = serde_json::from_str(&newer).unwrap();
    api.caught_up(&tenants).await;
    assert_ne!(
        newer["proof"][0]["verificationMethod"],
        credential["proof"][0]["verificationMethod"]
    );
    let fetched_newer = fetch_for(&newer, None).await;
    let report = verify_credential(
        &newer,
        &VerifyEnv {
            now,
            keys: &fetched_newer,
            status: &fetched_newer,
        },
    );
    assert_eq!(report.verdict, Verdict::Valid, "{:#}", report.to_json());

    // The class's endorsement, signed by the ledger in the endorser's name: the same bytes on
    // every fetch, valid against 1EdTech's schema, verified from the endorser's document (ours
    // and Digital Bazaar's), and by the verification endpoint.
    let endorsement_url = api.site.endorsement(
        world.network,
        ecusson_domain::EndorsementId::parse(&world.endorsement).unwrap(),
    );
    let endorsement_text = get(&endorsement_url).await.text().await.unwrap();
    assert_eq!(
        get(&endorsement_url).await.text().await.unwrap(),
        endorsement_text
    );
    let endorsement: Value = serde_json::from_str(&endorsement_text).unwrap();
    assert_eq!(
        endorsement["type"],
        json!(["VerifiableCredential", "EndorsementCredential"])
    );
    assert_eq!(
        endorsement["credentialSubject"]["endorsementComment"],
        "Ce badge atteste une vraie compétence."
    );
    let errors =
        ecusson_interop::schema_errors("ob3-schemas/endorsementcredential.json", &endorsement);
    assert!(errors.is_empty(), "{errors:#?}");
    let endorser_document = get_json(endorsement["issuer"]["id"].as_str().unwrap()).await;
    let endorser = Fetched {
        issuer_document: endorser_document.clone(),
        jwk: None,
        kid: None,
        list: None,
    };
    let report = verify_credential(
        &endorsement,
        &VerifyEnv {
            now,
            keys: &endorser,
            status: &endorser,
        },
    );
    assert_eq!(report.verdict, Verdict::Valid, "{:#}", report.to_json());
    let (verified, errors) = ecusson_interop::node_verify(&endorsement, &endorser_document);
    assert!(
        verified,
        "Digital Bazaar refuses our endorsement: {errors:?}"
    );
    let report =
        verify_endpoint(&api.base, endorsement_text.into_bytes(), "application/json").await;
    assert_eq!(report["verdict"], "valid", "{report:#}");
    // The brochure's recommendation was given without consent to publication: none.
    let recommendation_url = api.site.recommendation(
        ecusson_domain::AwardId::parse(&world.award).unwrap(),
        ecusson_domain::RecommendationId::parse(&world.recommendation).unwrap(),
    );
    assert_eq!(get(&recommendation_url).await.status(), 404);
    assert_eq!(
        get(&api
            .site
            .endorsement(world.network, ecusson_domain::EndorsementId::new()))
        .await
        .status(),
        404
    );

    // The first key is compromised from now on. The credential it signed before still
    // verifies, the ledger vouching for its issuance; a forgery made with the stolen key,
    // backdated and reusing the real credential's id, gets no such word from the ledger.
    let first_key = keys::issuer_keys(&api.ledger, world.network)
        .await
        .unwrap()
        .keys()
        .iter()
        .find(|key| key.algorithm == ecusson_domain::KeyAlgorithm::Ed25519)
        .unwrap()
        .clone();
    // Proofs are dated to the second and a revocation fails every proof of its own second
    // (the safe side): the ledger's clock moves on a second, so that the compromise is dated
    // after the credential's second however fast the steps above ran.
    ahead.store(1_000, std::sync::atomic::Ordering::SeqCst);
    let compromised_since = api.ledger.now();
    keys::revoke_key(
        &api.ledger,
        world.network,
        first_key.key_id,
        compromised_since,
        ecusson_domain::KeyRevocationReason::KeyCompromise,
    )
    .await
    .expect("revocation");
    let report = verify_endpoint(&api.base, text.as_bytes().to_vec(), "application/json").await;
    let key_check = |report: &Value| {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|check| check["code"] == "KEY_VALID_AT_SIGNING")
            .map(|check| check["outcome"].clone())
    };
    assert_eq!(key_check(&report), Some(json!("passed")), "{report:#}");
    let stolen = ed25519_dalek::SigningKey::from_bytes(
        &api.vault
            .issuer_secret(world.network, first_key.key_id)
            .await
            .unwrap()
            .unwrap(),
    );
    let mut forged = credential.clone();
    forged.as_object_mut().unwrap().remove("proof");
    forged["credentialSubject"]["achievement"]["name"] = json!("Conduire un chariot élévateur");
    let forged = ecusson_badges::sign(
        &forged,
        &stolen,
        &ecusson_badges::data_integrity::ProofOptions {
            verification_method: credential["proof"][0]["verificationMethod"]
                .as_str()
                .unwrap()
                .to_owned(),
            created: credential["proof"][0]["created"]
                .as_str()
                .unwrap()
                .to_owned(),
            proof_purpose: "assertionMethod".to_owned(),
        },
    )
    .unwrap();
    let report = verify_endpoint(
        &api.base,
        forged.to_string().into_bytes(),
        "application/json",
    )
    .await;
    assert_ne!(key_check(&report), Some(json!("passed")), "{report:#}");
    assert_ne!(report["verdict"], "valid", "{report:#}");

    // Revocation reaches the list, the verifiers, the OB 2.0 assertion and the page.
    client
        .data(
            &world.first_admin.token,
            "mutation($input: RevokeBadgeInput!) { revokeBadge(input: $input) { award { state } } }",
            json!({"input": {"earnerId": worker.id(), "awardId": world.award, "reason": {"code": "MISCONDUCT"}}}),
        )
        .await;
    api.caught_up(&tenants).await;
    let revoked_now = fetch_for(&credential, None).await;
    let listed: Vec<&str> = revoked_now
        .list
        .as_ref()
        .unwrap()
        .revoked_credentials
        .iter()
        .map(|entry| entry.id.as_str())
        .collect();
    // Every credential of the award: the ledger's first, the copies issued at each change of
    // consent and on request.
    assert_eq!(listed.len(), 4, "{listed:?}");
    assert!(listed.contains(&url));
    let report = verify_credential(
        &credential,
        &VerifyEnv {
            now,
            keys: &revoked_now,
            status: &revoked_now,
        },
    );
    assert_eq!(
        report_outcome(&report, CheckCode::Status),
        Some(Outcome::Failed)
    );
    let report = verify_endpoint(&api.base, text.as_bytes().to_vec(), "application/json").await;
    assert_eq!(report["verdict"], "invalid");
    let gone = get(&assertion_url).await;
    assert_eq!(gone.status(), 410);
    let gone: Value = gone.json().await.unwrap();
    assert_eq!(gone["revoked"], true);
    let (_, page) = get_html(&page_url).await;
    assert!(page.contains("retiré"), "{page}");

    // Unknown and malformed ids: 404, the same answer.
    for path in [
        format!("/credentials/{}", uuid::Uuid::new_v4()),
        "/credentials/not-an-id".to_owned(),
        format!("/badges/{}", uuid::Uuid::new_v4()),
        format!("/ob2/assertions/{}", uuid::Uuid::new_v4()),
        format!("/networks/{}", uuid::Uuid::new_v4()),
    ] {
        assert_eq!(
            get(&format!("{}{path}", api.base)).await.status(),
            404,
            "{path}"
        );
    }
    api.stop().await;
    drop(test_store);
}

/// A host company answers through the single-use link the worker sent: the form, the
/// recommendation recorded in the recommender's name and public as agreed; the link works
/// once; a forged link, a declined one, all get the same page.
async fn a_host_company_recommends_through_a_single_use_link(test_store: TestStore) {
    let secret = DevSecret::generate();
    let vault_key = VaultKey::generate();
    let api = RunningApi::start(&test_store.url, &vault_key, &secret).await;
    let client = Client::new(&api.base, &secret);
    let world = brochure(&client).await;
    let worker = &world.workers[0];
    let host = client
        .data(&world.admin_token, r#"mutation { registerOrganisation(input: {kind: HOST_COMPANY, name: "Jardins de la Garonne"}) { organisationId } }"#, json!({}))
        .await["registerOrganisation"]["organisationId"]
        .clone();
    let ask = "mutation($input: AskRecommendationInput!) { askRecommendation(input: $input) { recommendation { recommendationId status link } } }";
    let asked = |recommender: String| {
        let client = &client;
        let host = host.clone();
        let award = world.award.clone();
        let token = worker.token.clone();
        async move {
            client
                .data(
                    &token,
                    ask,
                    json!({"input": {"awardId": award, "recommenderId": recommender, "organisationId": host, "recommenderEmail": "tutrice@jardins.example.org"}}),
                )
                .await["askRecommendation"]["recommendation"]
                .clone()
        }
    };
    let first = asked(uuid::Uuid::new_v4().to_string()).await;
    assert_eq!(first["status"], "ASKED");
    let link = first["link"].as_str().expect("a link").to_owned();
    assert!(link.starts_with(&format!("{}/recommend/", api.base)));

    let (status, form) = get_html(&link).await;
    assert_eq!(status, 200);
    assert!(form.contains("Respecter les horaires"));
    assert!(form.contains("Jardins de la Garonne"));
    let post = |url: String, fields: Vec<(&'static str, &'static str)>| async move {
        let response = reqwest::Client::new()
            .post(url)
            .form(&fields)
            .send()
            .await
            .expect("the server answers");
        (response.status().as_u16(), response.text().await.unwrap())
    };
    // An empty testimony: the form again, with the reason, nothing recorded.
    let (status, again) = post(link.clone(), vec![("action", "give"), ("testimony", "  ")]).await;
    assert_eq!(status, 400);
    assert!(again.contains("Écrivez votre témoignage"));
    let (status, done) = post(
        link.clone(),
        vec![
            ("action", "give"),
            (
                "testimony",
                "Ponctuelle et attentive, elle a tenu le planning tout l'été.",
            ),
            ("consent", "yes"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{done}");
    // The link is used: the same answer as for any unusable link.
    let (used, _) = post(link.clone(), vec![("action", "decline")]).await;
    assert_eq!(used, 410);
    assert_eq!(get_html(&link).await.0, 410);
    let mut forged = link.clone();
    forged.pop();
    forged.push(if link.ends_with('A') { 'B' } else { 'A' });
    assert_eq!(get_html(&forged).await.0, 410);

    // Recorded in the recommender's name, public as agreed, in the worker's record.
    let record = client
        .data(
            &worker.token,
            "{ earner { recommendations { recommendationId status public testimony link } } }",
            json!({}),
        )
        .await;
    let given = record["earner"]["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|recommendation| recommendation["recommendationId"] == first["recommendationId"])
        .unwrap()
        .clone();
    assert_eq!(
        given,
        json!({"recommendationId": first["recommendationId"], "status": "GIVEN", "public": true,
            "testimony": "Ponctuelle et attentive, elle a tenu le planning tout l'été.", "link": null})
    );

    // Declining through a second link.
    let second = asked(uuid::Uuid::new_v4().to_string()).await;
    let (status, _) = post(
        second["link"].as_str().unwrap().to_owned(),
        vec![("action", "decline")],
    )
    .await;
    assert_eq!(status, 200);
    let record = client
        .data(
            &worker.token,
            "{ earner { recommendations { recommendationId status } } }",
            json!({}),
        )
        .await;
    assert!(record["earner"]["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .any(
            |recommendation| recommendation["recommendationId"] == second["recommendationId"]
                && recommendation["status"] == "DECLINED"
        ));

    // The worker shows their recommendations: the public testimony is on the badge page.
    client
        .data(
            &worker.token,
            "mutation { setPublicationConsent(input: {showName: false, showRecommendations: true, publicEvidence: []}) { consent { showRecommendations } } }",
            json!({}),
        )
        .await;
    let page_url = api
        .site
        .badge_page(ecusson_domain::AwardId::parse(&world.award).unwrap());
    let (_, page) = get_html(&page_url).await;
    assert!(page.contains("Ponctuelle et attentive"), "{page}");
    assert!(page.contains("Jardins de la Garonne"));
    // And as an endorsement credential signed in the company's name, once the network has keys.
    let recommendation_url = api.site.recommendation(
        ecusson_domain::AwardId::parse(&world.award).unwrap(),
        ecusson_domain::RecommendationId::parse(first["recommendationId"].as_str().unwrap())
            .unwrap(),
    );
    assert_eq!(get(&recommendation_url).await.status(), 404, "no key yet");
    keys::activate_network_keys(&api.ledger, &api.vault, world.network, false)
        .await
        .expect("keys");
    let recommendation = get_json(&recommendation_url).await;
    assert_eq!(recommendation["issuer"]["name"], "Jardins de la Garonne");
    let (_, page) = get_html(&page_url).await;
    assert!(
        page.contains(&recommendation_url),
        "the signed copy is offered"
    );
    assert_eq!(
        recommendation["credentialSubject"]["endorsementComment"],
        "Ponctuelle et attentive, elle a tenu le planning tout l'été."
    );
    let company_document = get_json(recommendation["issuer"]["id"].as_str().unwrap()).await;
    let (verified, errors) = ecusson_interop::node_verify(&recommendation, &company_document);
    assert!(
        verified,
        "Digital Bazaar refuses the recommendation: {errors:?}"
    );
    let report = verify_endpoint(
        &api.base,
        recommendation.to_string().into_bytes(),
        "application/json",
    )
    .await;
    assert_eq!(report["verdict"], "valid", "{report:#}");
    // The brochure's recommendation was given without consent to publication: still private.
    assert!(!page.contains("Toujours à l'heure"));
    api.stop().await;
    drop(test_store);
}

crate::on_both_backends!(
    credentials_are_issued_published_and_verified,
    a_host_company_recommends_through_a_single_use_link,
);
