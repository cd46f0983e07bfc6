//! Tenancy and roles through the GraphQL API: every operation on the objects of the brochure's
//! world, called by another network's people, by a funder, and by roles of the right tenant
//! that must not act. Objects of other tenants are NOT_FOUND (never FORBIDDEN: the answer must
//! not reveal that they exist), a funder is refused every write, reads of other tenants show
//! nothing of them, and after it all no tenant's log grew and the vault holds nothing more.

use crate::api_workflow::{brochure, Client, RunningApi, World};
use crate::helpers::{postgres_store, sqlite_store, TestStore};
use ecusson_api::auth::DevSecret;
use ecusson_domain::{PersonId, Role, TenantId};
use ecusson_store::{SqlValue, VaultKey};
use serde_json::{json, Value};

/// One operation with valid arguments naming objects of the world.
struct Case {
    name: &'static str,
    query: String,
    variables: Value,
}

fn case(name: &'static str, query: &str, variables: Value) -> Case {
    Case {
        name,
        query: query.to_owned(),
        variables,
    }
}

const CRITERION: &str = "{criterion: \"autre critère\", evidence: \"autre preuve\", evaluatorRoles: [DIRECTION], process: \"autre démarche\"}";

/// Every mutation that names an object of the world (a person, a class, a committee, a
/// request, an award...).
fn object_mutations(world: &World) -> Vec<Case> {
    let w1 = world.workers[0].id();
    let w2 = world.workers[1].id();
    let content = json!({
        "pathwayId": world.pathway, "name": "Autre nom", "description": "Autre description",
        "skillType": "SAVOIR_FAIRE", "criteriaNarrative": "Autres critères",
        "expectedEvidence": "Autre preuve", "imageRef": "sha256:01", "validityMonths": null,
    });
    vec![
        case("changeStaffRoles", "mutation($p: ID!) { changeStaffRoles(input: {personId: $p, roles: [DIRECTION]}) { member { personId } } }", json!({"p": world.counsellor.id()})),
        case("recordStaffDeparture", "mutation($p: ID!) { recordStaffDeparture(input: {personId: $p}) { member { personId } } }", json!({"p": world.counsellor.id()})),
        case("reviseBadgeClass", "mutation($c: ID!, $content: BadgeClassContentInput!) { reviseBadgeClass(input: {badgeClassId: $c, content: $content}) { revision } }", json!({"c": world.class, "content": content})),
        case("retireBadgeClass", "mutation($c: ID!) { retireBadgeClass(input: {badgeClassId: $c}) { retired } }", json!({"c": world.class})),
        case("adoptBadgeClass", &format!("mutation($c: ID!) {{ adoptBadgeClass(input: {{badgeClassId: $c, criterion: {CRITERION}}}) {{ adopted }} }}"), json!({"c": world.class})),
        case("reviseCriterion", &format!("mutation($c: ID!) {{ reviseCriterion(input: {{badgeClassId: $c, criterion: {CRITERION}}}) {{ adopted }} }}"), json!({"c": world.class})),
        case("setValidationMode", "mutation($c: ID!, $k: ID!) { setValidationMode(input: {badgeClassId: $c, mode: COMMITTEE, committeeId: $k}) { adopted } }", json!({"c": world.class, "k": world.committee})),
        case("formCommittee", "mutation($s: [ID!]!, $m: [ID!]!) { formCommittee(input: {structureIds: $s, memberIds: $m, quorum: 1}) { committee { committeeId } } }", json!({"s": [world.second.to_string(), world.third.to_string()], "m": [world.member_in_second.id()]})),
        case("changeCommitteeMembership", "mutation($k: ID!, $m: [ID!]!) { changeCommitteeMembership(input: {committeeId: $k, memberIds: $m, quorum: 1}) { committee { committeeId } } }", json!({"k": world.committee, "m": [world.member_in_third.id()]})),
        case("endorse (class)", "mutation($o: ID!, $c: ID!) { endorse(input: {organisationId: $o, badgeClassId: $c, statement: \"Bravo\"}) { active } }", json!({"o": world.endorser, "c": world.class})),
        case("endorse (issuer)", "mutation($o: ID!) { endorse(input: {organisationId: $o, statement: \"Bravo\"}) { active } }", json!({"o": world.endorser})),
        case("withdrawEndorsement", "mutation($e: ID!) { withdrawEndorsement(input: {endorsementId: $e}) { active } }", json!({"e": world.endorsement})),
        case("requestBadge", "mutation($w: ID!, $c: ID!) { requestBadge(input: {earnerId: $w, badgeClassId: $c, mode: COLLECTIVE_WORKSHOP, evidence: [{kind: NARRATIVE, content: \"Texte personnel témoin\"}]}) { request { requestId } } }", json!({"w": w2, "c": world.class})),
        case("withdrawRequest", "mutation($w: ID!, $r: ID!) { withdrawRequest(input: {earnerId: $w, requestId: $r, reason: {code: OTHER, note: \"Texte personnel témoin\"}}) { request { state } } }", json!({"w": w2, "r": world.pending_request})),
        case("decideRequest", "mutation($w: ID!, $r: ID!) { decideRequest(input: {earnerId: $w, requestId: $r, verdict: APPROVE, reason: {code: CRITERIA_MET}}) { request { state } } }", json!({"w": w2, "r": world.pending_request})),
        case("castCommitteeVote", "mutation($r: ID!) { castCommitteeVote(input: {requestId: $r, vote: REFUSE}) { request { state } } }", json!({"r": world.committee_request})),
        case("revokeBadge", "mutation($w: ID!, $a: ID!) { revokeBadge(input: {earnerId: $w, awardId: $a, reason: {code: MISCONDUCT}}) { award { state } } }", json!({"w": w1, "a": world.award})),
        case("expireBadge", "mutation($w: ID!, $a: ID!) { expireBadge(input: {earnerId: $w, awardId: $a}) { award { state } } }", json!({"w": w1, "a": world.award})),
        case("addEvidence", "mutation($w: ID!, $a: ID!) { addEvidence(input: {earnerId: $w, awardId: $a, evidence: {kind: NARRATIVE, content: \"Texte personnel témoin\"}}) { evidence { kind } } }", json!({"w": w1, "a": world.award})),
        case("askRecommendation", "mutation($w: ID!, $a: ID!, $r: ID!) { askRecommendation(input: {earnerId: $w, awardId: $a, recommenderId: $r, recommenderEmail: \"temoin@exemple.fr\"}) { recommendation { status } } }", json!({"w": w1, "a": world.award, "r": PersonId::new().to_string()})),
        case("giveRecommendation", "mutation($w: ID!, $a: ID!) { giveRecommendation(input: {earnerId: $w, awardId: $a, testimony: \"Texte personnel témoin\"}) { recommendation { status } } }", json!({"w": w1, "a": world.award})),
        case("declineRecommendation", "mutation($w: ID!, $r: ID!) { declineRecommendation(input: {earnerId: $w, recommendationId: $r}) { recommendation { status } } }", json!({"w": w1, "r": world.recommendation})),
        case("recordPathwayExit", "mutation($w: ID!) { recordPathwayExit(input: {earnerId: $w, outcome: OTHER, exitedOn: \"2026-11-01\"}) { earner { earnerId } } }", json!({"w": w2})),
        case("eraseWorker", "mutation($s: ID!, $w: ID!) { eraseWorker(input: {structureId: $s, earnerId: $w}) { erased } }", json!({"s": world.first.to_string(), "w": w1})),
        case("revokeCvShare", "mutation($w: ID!, $s: ID!) { revokeCvShare(input: {earnerId: $w, shareId: $s}) { share { revoked } } }", json!({"w": w1, "s": PersonId::new().to_string()})),
    ]
}

/// Mutations that create something new in the caller's own tenant.
fn creating_mutations() -> Vec<Case> {
    let someone = json!({"p": PersonId::new().to_string()});
    vec![
        case("registerNetwork", "mutation { registerNetwork(input: {name: \"Réseau\"}) { networkId } }", json!({})),
        case("admitStructure", "mutation($p: ID!) { admitStructure(input: {structureId: $p, kind: ACI, name: \"Structure\"}) { structure { structureId } } }", someone.clone()),
        case("appointStaff", "mutation($p: ID!) { appointStaff(input: {personId: $p, roles: [COUNSELLOR]}) { member { personId } } }", someone.clone()),
        case("registerOrganisation", "mutation { registerOrganisation(input: {kind: HOST_COMPANY, name: \"Entreprise\"}) { organisationId } }", json!({})),
        case("definePathway", "mutation { definePathway(input: {rank: 2, name: \"Parcours\", description: \"Texte\"}) { pathwayId } }", json!({})),
        case("enrolWorker", "mutation($p: ID!) { enrolWorker(input: {earnerId: $p, enrolledOn: \"2026-10-01\"}) { earnerId } }", someone.clone()),
        // The caller's own CV (it names one of the caller's badges).
        case("shareCv", "mutation($p: ID!) { shareCv(input: {awardIds: [$p], showName: true, showRecommendations: true, showPathway: true}) { share { url } } }", someone),
    ]
}

/// Every query.
fn queries(world: &World) -> Vec<Case> {
    vec![
        case("earner", "query($w: ID) { earner(earnerId: $w) { earnerId awards { awardId } } }", json!({"w": world.workers[0].id()})),
        case("requestQueue", "query($p: ID) { requestQueue(pathwayId: $p) { edges { node { requestId earnerId } } } }", json!({"p": world.pathway})),
        case("committeeAgenda", "{ committeeAgenda(state: null, fresh: true) { committee { committeeId } requests { edges { node { requestId } } } } }", json!({})),
        case("staff", "{ staff { personId roles } }", json!({})),
        case("catalogue", "{ catalogue { pathways { pathwayId } badgeClasses { badgeClassId adoption { criterion } } } }", json!({})),
        case("structures", "{ structures { structureId } }", json!({})),
        case("auditTrail", "query($s: ID) { auditTrail(structureId: $s) { tenantId checkpoint { treeSize } } }", json!({"s": world.first.to_string()})),
        case("personalDataAccess", "query($s: ID, $w: ID!) { personalDataAccess(structureId: $s, earnerId: $w) { readerId what } }", json!({"s": world.first.to_string(), "w": world.workers[0].id()})),
        case("report", "{ report { tenantIds figures } }", json!({})),
        case("programmeReport", "{ programmeReport(from: \"2026-T1\", until: \"2026-T4\") { lines { structureId structureName badgesAwarded { value } } } }", json!({})),
        case("workerDataExport", "query($s: ID, $w: ID!) { workerDataExport(structureId: $s, earnerId: $w) }", json!({"s": world.first.to_string(), "w": world.workers[0].id()})),
        case("employabilityReport", "query($w: ID) { employabilityReport(earnerId: $w) { name pathways { badges { evidence { text } } } } }", json!({"w": world.workers[0].id()})),
        case("cvShares", "query($w: ID) { cvShares(earnerId: $w) { url } }", json!({"w": world.workers[0].id()})),
    ]
}

/// What the world's logs and vault hold: must not change.
async fn footprint(api: &RunningApi, tenants: &[TenantId]) -> Vec<String> {
    let mut heads = Vec::new();
    for tenant in tenants {
        let head = api.store.tenant_head(*tenant).await.expect("head");
        heads.push(format!("{tenant}: {:?}", head.map(|head| head.seq)));
    }
    let mut transaction = api.store.begin_read_only().await.expect("read");
    let rows = transaction
        .fetch_all("select count(*) from person_data", &[])
        .await
        .expect("count the vault");
    heads.push(format!(
        "vault entries: {:?}",
        rows[0].first().and_then(SqlValue::as_int)
    ));
    heads
}

async fn every_operation_keeps_to_its_tenant_and_roles(test_store: TestStore) {
    let secret = DevSecret::generate();
    let vault_key = VaultKey::generate();
    let api = RunningApi::start(&test_store.url, &vault_key, &secret).await;
    let client = Client::new(&api.base, &secret);
    let world = brochure(&client).await;

    // Another network with a structure of its own, whose people hold every role there.
    let (other_network, other_structure) = (TenantId::new(), TenantId::new());
    let other_admin = client.token(other_network, &[Role::NetworkAdmin], PersonId::new());
    client
        .data(
            &other_admin,
            "mutation { registerNetwork(input: {name: \"Autre réseau\"}) { networkId } }",
            json!({}),
        )
        .await;
    client
        .data(
            &other_admin,
            "mutation($s: ID!) { admitStructure(input: {structureId: $s, kind: EI, name: \"Autre structure\"}) { structure { structureId } } }",
            json!({"s": other_structure.to_string()}),
        )
        .await;
    let outsider = client.token(
        other_structure,
        &[
            Role::StructureAdmin,
            Role::Direction,
            Role::Counsellor,
            Role::TechnicalSupervisor,
            Role::CommitteeMember,
            Role::Recommender,
        ],
        PersonId::new(),
    );
    let outsider_worker = client.token(other_structure, &[Role::Earner], PersonId::new());
    let tenants = [
        world.network,
        world.first,
        world.second,
        world.third,
        other_network,
        other_structure,
    ];
    // Let the other network's writes reach the read models before the reads below.
    api.caught_up(&tenants).await;
    let before = footprint(&api, &tenants).await;

    // Other tenants: NOT_FOUND for every object, whatever the roles.
    for case in object_mutations(&world) {
        for (who, token) in [
            ("other network's admin", &other_admin),
            ("other structure's staff", &outsider),
            ("other structure's worker", &outsider_worker),
        ] {
            let code = client
                .error(token, &case.query, case.variables.clone())
                .await;
            let expected = if who.ends_with("worker")
                && ![
                    "requestBadge",
                    "withdrawRequest",
                    "addEvidence",
                    "askRecommendation",
                ]
                .contains(&case.name)
            {
                // A worker may not do the rest at all: refused before anything is looked up,
                // or not found; either way nothing of the object shows.
                vec!["NOT_FOUND", "FORBIDDEN"]
            } else {
                vec!["NOT_FOUND"]
            };
            assert!(
                expected.contains(&code.as_str()),
                "{} by the {who}: {code}",
                case.name
            );
        }
    }
    // A read of another tenant answers NOT_FOUND or shows nothing of the world.
    let world_ids = [
        world.class.clone(),
        world.pathway.clone(),
        world.committee.clone(),
        world.award.clone(),
        world.pending_request.clone(),
        world.committee_request.clone(),
        world.workers[0].id(),
        world.counsellor.id(),
        world.first.to_string(),
    ];
    for case in queries(&world) {
        for token in [&other_admin, &outsider, &outsider_worker] {
            let answer = client
                .call(token, &case.query, case.variables.clone())
                .await;
            // Error messages may echo the caller's own arguments; the data must show nothing.
            let text = answer["data"].to_string();
            for id in &world_ids {
                assert!(
                    !text.contains(id.as_str()),
                    "{} leaks {id}: {text}",
                    case.name
                );
            }
            if case.name == "earner" && token == &outsider {
                assert_eq!(
                    answer["errors"][0]["extensions"]["code"], "NOT_FOUND",
                    "{answer}"
                );
            }
        }
    }

    // A funder reads aggregates only: every write is refused, in every tenant of the world.
    for tenant in [world.network, world.first, world.second] {
        let funder = client.token(tenant, &[Role::Funder], PersonId::new());
        for case in object_mutations(&world)
            .into_iter()
            .chain(creating_mutations())
        {
            assert_eq!(
                client
                    .error(&funder, &case.query, case.variables.clone())
                    .await,
                "FORBIDDEN",
                "{} by a funder",
                case.name
            );
        }
        for case in queries(&world) {
            // Funders read the network's structures, its audit trails (hashes and counts) and
            // its protected reports.
            if ["structures", "auditTrail", "report", "programmeReport"].contains(&case.name) {
                continue;
            }
            assert_eq!(
                client
                    .error(&funder, &case.query, case.variables.clone())
                    .await,
                "FORBIDDEN",
                "{} read by a funder",
                case.name
            );
        }
    }

    // Roles of the right tenant that must not act.
    let by_name = |name: &str| {
        object_mutations(&world)
            .into_iter()
            .chain(creating_mutations())
            .chain(queries(&world))
            .find(|case| case.name == name)
            .unwrap_or_else(|| panic!("no case {name}"))
    };
    let worker = &world.workers[1];
    let recommender = &world.recommender;
    let refusals: Vec<(&str, &str, &str)> = vec![
        // (case, who, token)
        ("changeStaffRoles", "a worker", &worker.token),
        ("adoptBadgeClass", "a worker", &worker.token),
        ("reviseCriterion", "a counsellor", &world.counsellor.token),
        ("setValidationMode", "a counsellor", &world.counsellor.token),
        ("decideRequest", "the worker themself", &worker.token),
        (
            "decideRequest",
            "a counsellor (not an evaluator)",
            &world.counsellor.token,
        ),
        ("decideRequest", "a recommender", &recommender.token),
        (
            "castCommitteeVote",
            "a director (no committee)",
            &world.director.token,
        ),
        (
            "castCommitteeVote",
            "a counsellor of the committee's structure",
            &world.second_counsellor.token,
        ),
        ("revokeBadge", "a counsellor", &world.counsellor.token),
        (
            "revokeBadge",
            "a technical supervisor",
            &world.supervisor.token,
        ),
        (
            "recordPathwayExit",
            "a technical supervisor",
            &world.supervisor.token,
        ),
        ("recordPathwayExit", "the worker themself", &worker.token),
        ("requestBadge", "a recommender", &recommender.token),
        ("addEvidence", "a recommender", &recommender.token),
        ("askRecommendation", "another worker", &worker.token),
        (
            "giveRecommendation",
            "a counsellor",
            &world.counsellor.token,
        ),
        (
            "declineRecommendation",
            "a counsellor",
            &world.counsellor.token,
        ),
        (
            "retireBadgeClass",
            "a structure admin",
            &world.first_admin.token,
        ),
        (
            "withdrawEndorsement",
            "a structure admin",
            &world.first_admin.token,
        ),
        (
            "changeCommitteeMembership",
            "a committee member",
            &world.member_in_second.token,
        ),
        (
            "admitStructure",
            "a structure admin",
            &world.first_admin.token,
        ),
        (
            "registerOrganisation",
            "a counsellor",
            &world.counsellor.token,
        ),
        ("shareCv", "a counsellor", &world.counsellor.token),
        (
            "employabilityReport",
            "a recommender",
            &world.recommender.token,
        ),
        (
            "cvShares",
            "a committee member",
            &world.member_in_second.token,
        ),
    ];
    for (name, who, token) in refusals {
        let case = by_name(name);
        let code = client
            .error(token, &case.query, case.variables.clone())
            .await;
        assert!(
            code == "FORBIDDEN" || code == "NOT_FOUND",
            "{name} by {who}: {code}"
        );
    }
    // A worker's own record, but nobody else's; a committee member sees no queue.
    assert_eq!(
        client
            .error(
                &worker.token,
                "query($w: ID) { earner(earnerId: $w) { earnerId } }",
                json!({"w": world.workers[0].id()})
            )
            .await,
        "NOT_FOUND"
    );
    assert_eq!(
        client
            .error(
                &world.member_in_second.token,
                "{ requestQueue { edges { cursor } } }",
                json!({})
            )
            .await,
        "FORBIDDEN"
    );
    assert_eq!(
        client
            .error(
                &world.recommender.token,
                "query($w: ID) { earner(earnerId: $w) { earnerId } }",
                json!({"w": world.workers[0].id()})
            )
            .await,
        "FORBIDDEN"
    );

    assert_eq!(
        footprint(&api, &tenants).await,
        before,
        "nothing was appended or kept"
    );
    api.stop().await;
    drop(test_store);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_keeps_to_its_tenant_and_roles_on_sqlite() {
    every_operation_keeps_to_its_tenant_and_roles(sqlite_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_keeps_to_its_tenant_and_roles_on_postgres() {
    every_operation_keeps_to_its_tenant_and_roles(postgres_store().await).await;
}

/// Bad input of every kind: a clear error with BAD_USER_INPUT, nothing appended, nothing left
/// in the vault (personal data is checked before it is sealed, and only an append writes it).
async fn bad_input_is_refused_and_leaves_nothing(test_store: TestStore) {
    let secret = DevSecret::generate();
    let vault_key = VaultKey::generate();
    let api = RunningApi::start(&test_store.url, &vault_key, &secret).await;
    let client = Client::new(&api.base, &secret);
    let world = brochure(&client).await;
    let tenants = [world.network, world.first, world.second, world.third];
    let before = footprint(&api, &tenants).await;

    let w1 = world.workers[0].id();
    let long_text = "é".repeat(4001);
    let long_name = "n".repeat(201);
    let evidence = |kind: &str, content: &str| json!({"input": {"earnerId": w1, "awardId": world.award, "evidence": {"kind": kind, "content": content}}});
    let add_evidence =
        "mutation($input: AddEvidenceInput!) { addEvidence(input: $input) { evidence { kind } } }";
    let ask = "mutation($input: AskRecommendationInput!) { askRecommendation(input: $input) { recommendation { status } } }";
    let cases: Vec<(&str, &String, String, Value)> = vec![
        ("empty evidence", &world.counsellor.token, add_evidence.into(), evidence("NARRATIVE", "   ")),
        ("oversized evidence", &world.counsellor.token, add_evidence.into(), evidence("NARRATIVE", &long_text)),
        ("a link that is not one", &world.counsellor.token, add_evidence.into(), evidence("LINK", "javascript:alert(1)")),
        ("an unknown evidence kind", &world.counsellor.token, add_evidence.into(), evidence("VIDEO", "film")),
        ("a malformed award id", &world.counsellor.token, add_evidence.into(), json!({"input": {"earnerId": w1, "awardId": "not-an-id", "evidence": {"kind": "NARRATIVE", "content": "texte"}}})),
        ("a malformed earner id", &world.counsellor.token, add_evidence.into(), json!({"input": {"earnerId": "42", "awardId": world.award, "evidence": {"kind": "NARRATIVE", "content": "texte"}}})),
        ("evidence for a request and an award at once", &world.counsellor.token, add_evidence.into(), json!({"input": {"earnerId": w1, "awardId": world.award, "requestId": world.pending_request, "evidence": {"kind": "NARRATIVE", "content": "texte"}}})),
        ("an invalid e-mail", &world.counsellor.token, ask.into(), json!({"input": {"earnerId": w1, "awardId": world.award, "recommenderId": PersonId::new().to_string(), "recommenderEmail": "tuteur@"}})),
        ("an oversized reason note", &world.director.token, "mutation($input: DecideRequestInput!) { decideRequest(input: $input) { request { state } } }".into(),
            json!({"input": {"earnerId": world.workers[1].id(), "requestId": world.pending_request, "verdict": "REFUSE", "reason": {"code": "OTHER", "note": long_text}}})),
        ("a reason that does not fit the verdict", &world.director.token, "mutation($input: DecideRequestInput!) { decideRequest(input: $input) { request { state } } }".into(),
            json!({"input": {"earnerId": world.workers[1].id(), "requestId": world.pending_request, "verdict": "APPROVE", "reason": {"code": "MISCONDUCT", "note": "note personnelle"}}})),
        ("a pair request without its counsellor", &world.counsellor.token, "mutation($input: RequestBadgeInput!) { requestBadge(input: $input) { request { state } } }".into(),
            json!({"input": {"earnerId": world.workers[2].id(), "badgeClassId": world.class, "mode": "PAIR", "evidence": [{"kind": "NARRATIVE", "content": "texte personnel"}]}})),
        ("an oversized organisation name", &world.admin_token, format!("mutation {{ registerOrganisation(input: {{kind: HOST_COMPANY, name: \"{long_name}\"}}) {{ organisationId }} }}"), json!({})),
        ("a page too large", &world.first_admin.token, "{ requestQueue(first: 1000) { edges { cursor } } }".into(), json!({})),
        ("a malformed cursor", &world.first_admin.token, "{ requestQueue(after: \"zzz\") { edges { cursor } } }".into(), json!({})),
        ("an exit in the future", &world.counsellor.token, "mutation($w: ID!) { recordPathwayExit(input: {earnerId: $w, outcome: OTHER, exitedOn: \"2999-01-01\"}) { earner { earnerId } } }".into(), json!({"w": world.workers[1].id()})),
    ];
    for (what, token, query, variables) in cases {
        let answer = client.call(token, &query, variables).await;
        assert_eq!(
            answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{what}: {answer}"
        );
        assert!(
            answer["errors"][0]["message"]
                .as_str()
                .is_some_and(|message| !message.is_empty()),
            "{what}: a message says what is wrong"
        );
    }
    assert_eq!(
        footprint(&api, &tenants).await,
        before,
        "nothing was appended or kept"
    );
    api.stop().await;
    drop(test_store);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_and_leaves_nothing_on_sqlite() {
    bad_input_is_refused_and_leaves_nothing(sqlite_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_and_leaves_nothing_on_postgres() {
    bad_input_is_refused_and_leaves_nothing(postgres_store().await).await;
}
