//! A worker's employability report and the CV they share, on both backends, over real HTTP:
//! the report gathers the badges by pathway with their evidence and recommendations; the
//! worker and their staff read it (a staff read is logged), nobody else; the page and the PDF
//! show it with a QR code and a link to each badge's page; a shared link shows only what the
//! worker chose, to anyone, until the worker revokes it or is erased.

use crate::api_workflow::{brochure, Client, RunningApi, World};
use crate::helpers::TestStore;
use ecusson_api::auth::DevSecret;
use ecusson_store::VaultKey;
use serde_json::{json, Value};

const REPORT: &str = "query($id: ID) { employabilityReport(earnerId: $id) { earnerId name structureName networkName enrolledOn daysInPathway savoirFaire savoirEtre htmlUrl pdfUrl pathways { rank name badges { awardId name skillType standing awardedAt pageUrl evidence { evidenceId kind text } recommendations { organisation testimony public } } underWay nextSteps } } }";
const SHARE: &str = "mutation($input: ShareCvInput!) { shareCv(input: $input) { share { shareId url pdfUrl open revoked awardIds showName } outcome { eventTypes } } }";
const REVOKE: &str = "mutation($input: RevokeCvShareInput!) { revokeCvShare(input: $input) { share { open revoked } outcome { eventTypes } } }";
const SHARES: &str = "query($id: ID) { cvShares(earnerId: $id) { shareId url open revoked } }";
const LOG: &str = "query($structure: ID, $earner: ID!) { personalDataAccess(structureId: $structure, earnerId: $earner) { readerId what channel } }";

/// Whether the access log has the counsellor's read of the first worker's report through
/// `channel`.
async fn counsellor_read_logged(client: &Client, world: &World, channel: &str) -> bool {
    let variables = json!({"structure": world.first.to_string(), "earner": world.workers[0].id()});
    let log = client.data(&world.admin_token, LOG, variables).await;
    log["personalDataAccess"]
        .as_array()
        .unwrap()
        .iter()
        .any(|entry| {
            entry["readerId"] == json!(world.counsellor.id())
                && entry["what"] == "employability_report"
                && entry["channel"] == channel
        })
}

async fn get(url: &str, token: Option<&str>) -> (u16, String, Vec<u8>) {
    let http = reqwest::Client::new();
    let mut request = http.get(url).header("accept", "text/html");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (
        status,
        content_type,
        response.bytes().await.unwrap().to_vec(),
    )
}

async fn employability_report_and_shared_cv(test_store: TestStore) {
    let secret = DevSecret::generate();
    let api = RunningApi::start(&test_store.url, &VaultKey::generate(), &secret).await;
    let client = Client::new(&api.base, &secret);
    let world = brochure(&client).await;
    api.caught_up(&[world.network, world.first]).await;
    let worker = &world.workers[0];
    let name = "Samia Haddad";
    client
        .data(
            &worker.token,
            "mutation($input: RecordWorkerIdentityInput!) { recordWorkerIdentity(input: $input) { earnerId } }",
            json!({"input": {"name": name}}),
        )
        .await;
    // A host company's spontaneous recommendation, which its author agrees to publish.
    let before_public = chrono::Utc::now();
    let public_testimony = "Rigoureuse et attentive aux autres.";
    client
        .data(
            &world.recommender.token,
            "mutation($input: GiveRecommendationInput!) { giveRecommendation(input: $input) { recommendation { status } } }",
            json!({"input": {"earnerId": worker.id(), "awardId": world.award, "testimony": public_testimony, "public": true}}),
        )
        .await;

    // The worker's own report: the badge, its pathway, evidence and recommendations.
    let own = client.data(&worker.token, REPORT, json!({})).await["employabilityReport"].clone();
    assert_eq!(own["name"], name);
    assert_eq!(own["earnerId"], worker.id());
    assert!(own["enrolledOn"].is_string());
    assert!(own["daysInPathway"].as_i64().unwrap() >= 0);
    let badges: Vec<&Value> = own["pathways"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|pathway| pathway["badges"].as_array().unwrap())
        .collect();
    let badge = badges
        .iter()
        .find(|badge| badge["awardId"] == json!(world.award))
        .expect("the worker's badge is in the report");
    assert_eq!(badge["standing"], "ACTIVE");
    assert!(badge["pageUrl"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/badges/{}", world.award)));
    let evidence = badge["evidence"].to_string();
    assert!(evidence.contains("Trois mois sans retard"), "{evidence}");
    assert!(evidence.contains("Photo du planning tenu"), "{evidence}");
    let recommendations = badge["recommendations"].as_array().unwrap();
    assert!(recommendations.iter().any(|r| r["testimony"]
        == "Toujours à l'heure, fiable avec l'équipe."
        && r["public"] == false
        && r["organisation"] == "Menuiserie Durand"));
    assert!(recommendations
        .iter()
        .any(|r| r["testimony"] == public_testimony && r["public"] == true));
    let standing = badges
        .iter()
        .filter(|badge| badge["standing"] == "ACTIVE")
        .count() as i64;
    assert_eq!(
        own["savoirFaire"].as_i64().unwrap() + own["savoirEtre"].as_i64().unwrap(),
        standing
    );

    // As of before the public recommendation: the record as it stood then, replayed.
    const AS_OF: &str = "query($asOf: DateTime) { employabilityReport(asOf: $asOf) { asOf pathways { badges { awardId recommendations { testimony } } nextSteps } } }";
    let then = client
        .data(
            &worker.token,
            AS_OF,
            json!({"asOf": before_public.to_rfc3339()}),
        )
        .await["employabilityReport"]
        .clone();
    let testimonies = then["pathways"].to_string();
    assert!(testimonies.contains("Toujours à l'heure"), "{testimonies}");
    assert!(!testimonies.contains(public_testimony), "{testimonies}");
    let now = client
        .data(
            &worker.token,
            AS_OF,
            json!({"asOf": chrono::Utc::now().to_rfc3339()}),
        )
        .await["employabilityReport"]
        .clone();
    let badge_ids = |report: &Value| -> Vec<Value> {
        report["pathways"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|pathway| {
                pathway["badges"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|badge| badge["awardId"].clone())
            })
            .collect()
    };
    assert_eq!(
        badge_ids(&now),
        badge_ids(&own),
        "as of now, the live report's badges"
    );
    assert!(now.to_string().contains(public_testimony));
    assert_eq!(
        client
            .error(
                &worker.token,
                AS_OF,
                json!({"asOf": "2000-01-01T00:00:00Z"})
            )
            .await,
        "NOT_FOUND",
        "not enrolled then"
    );

    // Their counsellor reads the same report (logged); nobody else reads it.
    let by_counsellor = client
        .data(&world.counsellor.token, REPORT, json!({"id": worker.id()}))
        .await["employabilityReport"]
        .clone();
    assert_eq!(by_counsellor["pathways"], own["pathways"]);
    assert!(counsellor_read_logged(&client, &world, "graphql").await);
    let other_worker = &world.workers[1];
    assert_eq!(
        client
            .error(&other_worker.token, REPORT, json!({"id": worker.id()}))
            .await,
        "NOT_FOUND"
    );
    assert_eq!(
        client
            .error(
                &world.second_counsellor.token,
                REPORT,
                json!({"id": worker.id()})
            )
            .await,
        "NOT_FOUND",
        "another structure's staff learn nothing"
    );
    assert_eq!(
        client
            .error(&world.recommender.token, REPORT, json!({"id": worker.id()}))
            .await,
        "FORBIDDEN"
    );

    // The printable page and the PDF, with the same token.
    let html_url = own["htmlUrl"].as_str().unwrap();
    let pdf_url = own["pdfUrl"].as_str().unwrap();
    assert_eq!(get(html_url, None).await.0, 401);
    assert_eq!(get(pdf_url, Some(&other_worker.token)).await.0, 404);
    let (status, content_type, page) = get(html_url, Some(&worker.token)).await;
    assert_eq!(
        (status, content_type.as_str()),
        (200, "text/html; charset=utf-8")
    );
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains(&format!("Compétences de {name}")));
    assert!(page.contains("Photo du planning tenu"));
    assert!(page.contains("class=\"qr-code\""));
    let (status, content_type, pdf) = get(pdf_url, Some(&world.counsellor.token)).await;
    assert_eq!((status, content_type.as_str()), (200, "application/pdf"));
    let (text, links) = ecusson_interop::read_pdf(&pdf);
    assert!(text.contains(name), "{text}");
    // A page or a PDF may be handed to anyone: only testimonies whose authors agreed.
    assert!(text.contains(public_testimony), "{text}");
    assert!(!text.contains("Toujours à l'heure"), "{text}");
    assert!(!page.contains("Toujours à l'heure"));
    assert!(
        links.contains(&badge["pageUrl"].as_str().unwrap().to_owned()),
        "{links:?}"
    );
    assert!(counsellor_read_logged(&client, &world, "http").await);

    // A shared CV: the badge and its public recommendations, no name, no evidence, no dates.
    assert_eq!(
        client
            .error(&world.counsellor.token, SHARE, json!({"input": {"awardIds": [world.award], "showName": true, "showRecommendations": true, "showPathway": true}}))
            .await,
        "FORBIDDEN",
        "only the worker shares their CV"
    );
    let shared = client
        .data(
            &worker.token,
            SHARE,
            json!({"input": {"awardIds": [world.award], "showName": false, "showRecommendations": true, "showPathway": false}}),
        )
        .await["shareCv"]
        .clone();
    assert_eq!(shared["outcome"]["eventTypes"], json!(["earner.cv_shared"]));
    assert_eq!(shared["share"]["open"], true);
    let url = shared["share"]["url"].as_str().unwrap().to_owned();
    let (status, _, page) = get(&url, None).await;
    assert_eq!(status, 200);
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains(badge["name"].as_str().unwrap()));
    assert!(page.contains(public_testimony));
    for hidden in [
        name,
        "Toujours à l'heure",
        "Trois mois sans retard",
        "Photo du planning",
        "Entrée en parcours",
        "Atelier du Fleuve",
        "valable jusqu'au",
    ] {
        assert!(!page.contains(hidden), "the shared CV shows {hidden:?}");
    }
    let (status, content_type, pdf) = get(&format!("{url}.pdf"), None).await;
    assert_eq!((status, content_type.as_str()), (200, "application/pdf"));
    let (text, _) = ecusson_interop::read_pdf(&pdf);
    assert!(text.contains(public_testimony), "{text}");
    assert!(
        !text.contains(name) && !text.contains("Photo du planning"),
        "{text}"
    );
    // No event carries the link's secret.
    let token = url.rsplit('/').next().unwrap();
    let stream = api
        .ledger
        .store()
        .read_stream(
            world.first,
            &ecusson_store::StreamId::parse(format!("earner-{}", worker.id())).unwrap(),
            0,
            1_000,
        )
        .await
        .expect("the worker's stream");
    assert!(stream
        .iter()
        .any(|event| event.event_type == "earner.cv_shared"));
    assert!(stream
        .iter()
        .all(|event| !event.payload_json.get().contains(token)));

    // A second link shows the name, the photo (not the narrative) and the pathway; the
    // worker's list has both, their staff see the choices but not the links.
    let photo = badge["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|piece| piece["text"] == "Photo du planning tenu")
        .expect("the photo")["evidenceId"]
        .clone();
    let named = client
        .data(
            &worker.token,
            SHARE,
            json!({"input": {"awardIds": [world.award], "showName": true, "evidenceIds": [photo], "showRecommendations": false, "showPathway": true, "expiresOn": "2999-12-31"}}),
        )
        .await["shareCv"]["share"]
        .clone();
    let named_url = named["url"].as_str().unwrap().to_owned();
    let page = String::from_utf8(get(&named_url, None).await.2).unwrap();
    assert!(page.contains(name) && page.contains("Photo du planning tenu"));
    assert!(
        !page.contains("Trois mois sans retard"),
        "a piece not chosen"
    );
    assert!(page.contains("Atelier du Fleuve"), "the pathway shown");
    assert!(page.contains("31 décembre 2999"));
    assert!(
        !page.contains(public_testimony),
        "recommendations not chosen"
    );
    let shares = client.data(&worker.token, SHARES, json!({})).await["cvShares"].clone();
    assert_eq!(shares.as_array().unwrap().len(), 2);
    assert!(shares[0]["url"].is_string());
    let seen_by_staff = client
        .data(&world.counsellor.token, SHARES, json!({"id": worker.id()}))
        .await["cvShares"]
        .clone();
    assert_eq!(seen_by_staff.as_array().unwrap().len(), 2);
    assert!(seen_by_staff
        .as_array()
        .unwrap()
        .iter()
        .all(|share| share["url"].is_null()));

    // A forged link, and a revoked one, open nothing.
    let mut forged = url.clone().into_bytes();
    let last = forged.len() - 3;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    let (status, _, page) = get(&String::from_utf8(forged).unwrap(), None).await;
    assert_eq!(status, 404);
    assert!(String::from_utf8(page).unwrap().contains("CV introuvable"));
    let revoked = client
        .data(
            &world.counsellor.token,
            REVOKE,
            json!({"input": {"earnerId": worker.id(), "shareId": shared["share"]["shareId"]}}),
        )
        .await["revokeCvShare"]
        .clone();
    assert_eq!(revoked["share"], json!({"open": false, "revoked": true}));
    assert_eq!(get(&url, None).await.0, 404);
    assert_eq!(get(&format!("{url}.pdf"), None).await.0, 404);
    assert_eq!(
        get(&named_url, None).await.0,
        200,
        "the other link stays open"
    );

    // Erasure closes every link.
    client
        .data(
            &world.admin_token,
            "mutation($input: EraseWorkerInput!) { eraseWorker(input: $input) { erased } }",
            json!({"input": {"structureId": world.first.to_string(), "earnerId": worker.id()}}),
        )
        .await;
    assert_eq!(get(&named_url, None).await.0, 404);
    let after = client
        .data(&world.counsellor.token, REPORT, json!({"id": worker.id()}))
        .await["employabilityReport"]
        .clone();
    assert_eq!(after["name"], Value::Null);
    assert!(!after.to_string().contains("Photo du planning"));
    api.stop().await;
}

crate::on_both_backends!(employability_report_and_shared_cv);
