//! The reports over GraphQL on both backends, after the brochure's workflow: the live figures
//! (from the `reports` read model) equal a replay of the logs "as of" now, a replay before the
//! first event is empty, each caller sees the tenants they may, and a funder sees only protected
//! counts.

use crate::api_workflow::{brochure, Client, RunningApi};
use crate::helpers::TestStore;
use ecusson_api::auth::DevSecret;
use ecusson_domain::{PersonId, Role, TenantId};
use ecusson_store::VaultKey;
use serde_json::{json, Value};

const REPORT: &str = "query($s: ID, $from: DateTime, $until: DateTime, $asOf: DateTime) { report(structureId: $s, from: $from, until: $until, asOf: $asOf) { tenantIds from until asOf protected figures indicators { awardsTotal { value suppressed } workersBadged { value suppressed } evidenceRate requests { state count { value suppressed } } awards { badgeClassName count { value suppressed } } exits { outcome badges count { value suppressed } } } } }";

fn total_requests(figures: &Value) -> u64 {
    figures["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["count"].as_u64().unwrap())
        .sum()
}

async fn reports_live_and_as_of(test_store: TestStore) {
    let secret = DevSecret::generate();
    let api = RunningApi::start(&test_store.url, &VaultKey::generate(), &secret).await;
    let client = Client::new(&api.base, &secret);
    let before_everything = chrono::Utc::now() - chrono::Duration::seconds(1);
    let world = brochure(&client).await;
    let tenants = [world.network, world.first, world.second, world.third];
    api.caught_up(&tenants).await;

    let network = client.data(&world.admin_token, REPORT, json!({})).await["report"].clone();
    let covered: Vec<&str> = network["tenantIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap())
        .collect();
    for tenant in tenants {
        assert!(
            covered.contains(&tenant.to_string().as_str()),
            "{covered:?}"
        );
    }
    assert_eq!(network["protected"], false);
    let figures = &network["figures"];
    assert!(figures["awardsTotal"].as_u64().unwrap() >= 3, "{figures:#}");
    assert!(total_requests(figures) >= figures["awardsTotal"].as_u64().unwrap());
    assert!(figures["workersBadged"].as_u64().unwrap() >= 2);
    assert!(figures["decisionTime"]["count"].as_u64().unwrap() >= 3);
    assert!(
        figures["awardsWithRecommendation"].as_u64().unwrap() >= 1,
        "the brochure's recommendation"
    );
    assert!(
        !figures["exits"].as_array().unwrap().is_empty(),
        "the brochure's exit"
    );

    // The same figures replayed from the logs as they stand now; nothing before the first event.
    let as_of_now = chrono::Utc::now() + chrono::Duration::seconds(1);
    let replayed = client
        .data(&world.admin_token, REPORT, json!({"asOf": as_of_now}))
        .await["report"]
        .clone();
    assert_eq!(replayed["figures"], network["figures"]);
    assert!(replayed["asOf"].as_str().is_some());
    let empty = client
        .data(
            &world.admin_token,
            REPORT,
            json!({"asOf": before_everything}),
        )
        .await["report"]["figures"]
        .clone();
    assert_eq!(empty["awardsTotal"], 0);
    assert_eq!(total_requests(&empty), 0);
    // A period that ends before the brochure: nothing either, live.
    let period = client
        .data(
            &world.admin_token,
            REPORT,
            json!({"until": before_everything}),
        )
        .await["report"]["figures"]
        .clone();
    assert_eq!(period["awardsTotal"], 0);

    // One structure: the network's view of it equals its staff's.
    let first = json!({"s": world.first.to_string()});
    let from_network =
        client.data(&world.admin_token, REPORT, first.clone()).await["report"].clone();
    let from_staff = client
        .data(&world.first_admin.token, REPORT, json!({}))
        .await["report"]
        .clone();
    assert_eq!(from_network["figures"], from_staff["figures"]);
    assert_eq!(from_staff["tenantIds"], json!([world.first.to_string()]));
    assert!(
        total_requests(&from_staff["figures"]) < total_requests(&network["figures"]),
        "a structure's requests are part of the network's"
    );
    let counsellor = client
        .data(&world.counsellor.token, REPORT, json!({}))
        .await;
    assert_eq!(counsellor["report"]["figures"], from_staff["figures"]);

    // Who may not.
    let second = json!({"s": world.second.to_string()});
    assert_eq!(
        client.error(&world.first_admin.token, REPORT, second).await,
        "NOT_FOUND"
    );
    assert_eq!(
        client
            .error(&world.workers[0].token, REPORT, json!({}))
            .await,
        "FORBIDDEN"
    );
    let stranger = client.token(TenantId::new(), &[Role::NetworkAdmin], PersonId::new());
    assert_eq!(client.error(&stranger, REPORT, first).await, "NOT_FOUND");
    assert_eq!(
        client
            .error(
                &world.admin_token,
                REPORT,
                json!({"from": as_of_now, "until": before_everything})
            )
            .await,
        "BAD_USER_INPUT"
    );

    // A funder: protected counts only (0, "<5" or a multiple of 5), no person anywhere, over
    // whole calendar quarters only.
    let funder = client.token(world.network, &[Role::Funder], PersonId::new());
    assert_eq!(
        client
            .error(&funder, REPORT, json!({"from": "2026-02-01T00:00:00Z"}))
            .await,
        "BAD_USER_INPUT"
    );
    let quarter = client
        .data(
            &funder,
            REPORT,
            json!({"from": "2020-01-01T00:00:00Z", "until": "2040-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(quarter["report"]["protected"], true);
    let protected = client.data(&funder, REPORT, json!({})).await["report"].clone();
    assert_eq!(protected["protected"], true);
    let shown = |value: &Value| match value {
        Value::Number(number) => number.as_u64().is_some_and(|n| n % 5 == 0),
        Value::String(text) => text == "<5",
        _ => false,
    };
    let figures = &protected["figures"];
    assert!(shown(&figures["awardsTotal"]), "{figures:#}");
    assert!(shown(&figures["workersBadged"]));
    for row in figures["requests"].as_array().unwrap() {
        assert!(shown(&row["count"]), "{row}");
    }
    for row in figures["exits"].as_array().unwrap() {
        assert!(shown(&row["count"]), "{row}");
    }
    assert_eq!(
        figures["exits"][0]["count"], "<5",
        "one exit in the brochure"
    );
    assert!(
        figures["decisionTime"]["medianHours"].is_null()
            || figures["decisionTime"]["count"] != "<5"
    );
    // The typed indicators say the same as the JSON figures, for staff and for funders.
    let same = |json: &Value, typed: &Value| match json {
        Value::String(text) => {
            text == "<5" && typed["suppressed"] == true && typed["value"].is_null()
        }
        number => typed["value"] == *number && typed["suppressed"] == false,
    };
    for report in [&network, &protected] {
        let (figures, indicators) = (&report["figures"], &report["indicators"]);
        assert!(
            same(&figures["awardsTotal"], &indicators["awardsTotal"]),
            "{report:#}"
        );
        assert!(
            same(&figures["workersBadged"], &indicators["workersBadged"]),
            "{report:#}"
        );
        for (json, typed) in figures["exits"]
            .as_array()
            .unwrap()
            .iter()
            .zip(indicators["exits"].as_array().unwrap())
        {
            assert!(same(&json["count"], &typed["count"]), "{json} {typed}");
        }
        assert!(indicators["awards"]
            .as_array()
            .unwrap()
            .iter()
            .all(|award| award["badgeClassName"].is_string()));
    }
    let text = protected.to_string();
    for worker in &world.workers {
        assert!(
            !text.contains(&worker.id()),
            "a worker's id in a funder's report"
        );
    }

    // A funder checks the figures of a structure they were given against the structure's
    // audit bundle: `audit verify` recomputes them from the events.
    let given = client
        .data(&funder, REPORT, json!({"s": world.first.to_string()}))
        .await["report"]["figures"]
        .clone();
    ecusson_app::audit::seal_tenant(
        &api.ledger,
        &api.vault,
        &api.site,
        world.first,
        ecusson_app::audit::SealPolicy::default(),
        true,
    )
    .await
    .expect("seal");
    let mut bundle = Vec::new();
    ecusson_app::audit::export_bundle(&api.ledger, &api.vault, world.first, None, &mut bundle)
        .await
        .expect("export");
    let checked = ecusson_app::audit::verify_bundle(
        bundle.as_slice(),
        Some(&ecusson_app::audit::verifier(&api.vault, world.network)),
    );
    assert!(checked.is_valid(), "{checked:?}");
    assert_eq!(checked.uncounted_events, 0);
    let recomputed = serde_json::to_value(checked.figures.expect("figures")).unwrap();
    for field in [
        "awardsTotal",
        "workersBadged",
        "requests",
        "decisionTime",
        "exits",
        "evidenceRate",
    ] {
        assert_eq!(recomputed[field], given[field], "{field}");
    }

    // The downloads: the same figures as CSV for French spreadsheets, and as a page.
    let http = reqwest::Client::new();
    let download = |path: String, token: Option<String>| {
        let request = http.get(format!("{}{path}", api.base));
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        async move { request.send().await.unwrap() }
    };
    let csv = download(
        "/reports/report.csv".to_owned(),
        Some(world.admin_token.clone()),
    )
    .await;
    assert_eq!(csv.status(), 200);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let bytes = csv.bytes().await.unwrap();
    assert!(
        bytes.starts_with("\u{feff}".as_bytes()),
        "a byte order mark"
    );
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(text.contains("Indicateur;Critère 1;Critère 2;Critère 3;Valeur\r\n"));
    assert!(
        text.contains(&format!(
            "Badges attribués;Total;;;{}\r\n",
            network["figures"]["awardsTotal"]
        )),
        "{text}"
    );
    let funder_csv = download("/reports/report.csv".to_owned(), Some(funder.clone()))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        funder_csv.contains("Sorties de parcours;Emploi durable;"),
        "{funder_csv}"
    );
    assert!(funder_csv.contains(";<5\r\n"), "{funder_csv}");
    let page = download(
        format!("/reports/report.html?structureId={}", world.first),
        Some(world.admin_token.clone()),
    )
    .await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Rapport de la structure") && html.contains("<svg"),
        "{html}"
    );
    assert!(html.contains("Badges attribués, par parcours"));
    // Refusals: no token, a worker, another network's structure, a malformed instant.
    assert_eq!(
        download("/reports/report.csv".to_owned(), None)
            .await
            .status(),
        401
    );
    assert_eq!(
        download(
            "/reports/report.csv".to_owned(),
            Some(world.workers[0].token.clone())
        )
        .await
        .status(),
        403
    );
    assert_eq!(
        download(
            format!("/reports/report.csv?structureId={}", world.first),
            Some(stranger.clone())
        )
        .await
        .status(),
        404
    );
    let malformed = download(
        "/reports/report.csv?from=hier".to_owned(),
        Some(world.admin_token.clone()),
    )
    .await;
    assert_eq!(malformed.status(), 400);
    assert_eq!(
        malformed.json::<Value>().await.unwrap()["error"],
        "BAD_USER_INPUT"
    );

    // The programme report: the quarter before this one (empty) and this one, per structure.
    use chrono::Datelike;
    let today = chrono::Utc::now();
    let (year, quarter) = (today.year(), (today.month() - 1) / 3 + 1);
    let (previous_year, previous) = if quarter == 1 {
        (year - 1, 4)
    } else {
        (year, quarter - 1)
    };
    let start =
        |year: i32, quarter: u32| format!("{year}-{:02}-01T00:00:00Z", (quarter - 1) * 3 + 1);
    let (next_year, next) = if quarter == 4 {
        (year + 1, 1)
    } else {
        (year, quarter + 1)
    };
    let (from, until) = (
        format!("{previous_year}-T{previous}"),
        format!("{year}-T{quarter}"),
    );
    const PROGRAMME: &str = "query($from: String!, $until: String!) { programmeReport(from: $from, until: $until) { quarters protected csvUrl htmlUrl lines { period structureId structureName structuresDeployed workersBadged { value suppressed } badgesAwarded { value suppressed } badgesByPathway { value suppressed } evidenceRate recommendationRate exits { outcome count { value suppressed } } } } }";
    let programme = client
        .data(
            &world.admin_token,
            PROGRAMME,
            json!({"from": from, "until": until}),
        )
        .await["programmeReport"]
        .clone();
    assert_eq!(programme["quarters"], json!([from, until]));
    assert_eq!(programme["protected"], false);
    let lines = programme["lines"].as_array().unwrap();
    assert_eq!(
        lines.len(),
        3 * 4,
        "two quarters and the total, the programme and 3 structures"
    );
    let line = |period: &str, structure: Option<TenantId>| {
        lines
            .iter()
            .find(|line| {
                line["period"] == period
                    && line["structureId"]
                        == structure.map_or(Value::Null, |s| json!(s.to_string()))
            })
            .unwrap_or_else(|| panic!("no line {period} {structure:?}"))
            .clone()
    };
    let value = |count: &Value| count["value"].as_i64().unwrap();
    // The quarter before is empty; the total is this quarter's.
    assert_eq!(value(&line(&from, None)["badgesAwarded"]), 0);
    assert_eq!(line(&from, None)["structuresDeployed"], 0);
    assert_eq!(
        line("Total", None)["badgesAwarded"],
        line(&until, None)["badgesAwarded"]
    );
    // Each cell is the structure's own report over the same quarter.
    let period = json!({"from": start(year, quarter), "until": start(next_year, next)});
    for structure in [None, Some(world.first), Some(world.second)] {
        let mut variables = period.clone();
        if let Some(structure) = structure {
            variables["s"] = json!(structure.to_string());
        }
        let figures =
            client.data(&world.admin_token, REPORT, variables).await["report"]["figures"].clone();
        let cells = line(&until, structure);
        assert_eq!(
            value(&cells["badgesAwarded"]) as u64,
            figures["awardsTotal"].as_u64().unwrap()
        );
        assert_eq!(
            value(&cells["workersBadged"]) as u64,
            figures["workersBadged"].as_u64().unwrap()
        );
        let by_pathway: i64 = cells["badgesByPathway"]
            .as_array()
            .unwrap()
            .iter()
            .map(value)
            .sum();
        assert!(by_pathway <= value(&cells["badgesAwarded"]));
    }
    assert_eq!(
        line(&until, Some(world.first))["structureName"],
        "Atelier du Fleuve"
    );
    assert!(value(&line(&until, None)["badgesAwarded"]) >= 3);
    // As of now, replayed from the logs: the same lines.
    const PROGRAMME_AS_OF: &str = "query($from: String!, $until: String!, $asOf: DateTime) { programmeReport(from: $from, until: $until, asOf: $asOf) { asOf lines { period structureId structureName structuresDeployed workersBadged { value suppressed } badgesAwarded { value suppressed } badgesByPathway { value suppressed } evidenceRate recommendationRate exits { outcome count { value suppressed } } } } }";
    let replayed = client
        .data(
            &world.admin_token,
            PROGRAMME_AS_OF,
            json!({"from": from, "until": until, "asOf": chrono::Utc::now().to_rfc3339()}),
        )
        .await["programmeReport"]
        .clone();
    assert_eq!(replayed["lines"], programme["lines"]);
    assert!(replayed["asOf"].is_string());
    let funder_as_of =
        json!({"from": from, "until": until, "asOf": chrono::Utc::now().to_rfc3339()});
    assert_eq!(
        client.error(&funder, PROGRAMME_AS_OF, funder_as_of).await,
        "BAD_USER_INPUT",
        "a funder's as-of is a quarter's start"
    );
    // A funder: protected counts; a structure's staff and bad quarters are refused.
    let funded = client
        .data(&funder, PROGRAMME, json!({"from": from, "until": until}))
        .await["programmeReport"]
        .clone();
    assert_eq!(funded["protected"], true);
    for cells in funded["lines"].as_array().unwrap() {
        for count in [&cells["workersBadged"], &cells["badgesAwarded"]] {
            assert!(
                count["suppressed"] == true || count["value"].as_i64().unwrap() % 5 == 0,
                "{cells}"
            );
        }
    }
    assert_eq!(
        client
            .error(
                &world.first_admin.token,
                PROGRAMME,
                json!({"from": from, "until": until})
            )
            .await,
        "FORBIDDEN"
    );
    for (from, until) in [
        ("2026-T5", "2026-T1"),
        ("2026-T3", "2026-T1"),
        ("2020-T1", "2026-T1"),
    ] {
        assert_eq!(
            client
                .error(&funder, PROGRAMME, json!({"from": from, "until": until}))
                .await,
            "BAD_USER_INPUT",
            "{from} to {until}"
        );
    }
    let csv_url = programme["csvUrl"]
        .as_str()
        .unwrap()
        .trim_start_matches(&api.base)
        .to_owned();
    let csv = download(csv_url, Some(funder.clone()))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.starts_with("\u{feff}Période;Périmètre;Structures déployées;"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 1 + 12, "{csv}");
    assert!(
        csv.contains(&format!("\r\n{until};Atelier du Fleuve;")),
        "{csv}"
    );
    let html_url = programme["htmlUrl"]
        .as_str()
        .unwrap()
        .trim_start_matches(&api.base)
        .to_owned();
    let page = download(html_url, Some(world.admin_token.clone())).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Rapport de programme") && html.contains("Personnes badgées, par trimestre")
    );
    assert_eq!(
        download(
            format!("/reports/programme.csv?from={from}&until=demain"),
            Some(funder.clone())
        )
        .await
        .status(),
        400
    );
    api.stop().await;
}

crate::on_both_backends!(reports_live_and_as_of);
