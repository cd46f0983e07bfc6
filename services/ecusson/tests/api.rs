//! `ecusson serve` end to end, on SQLite and on PostgreSQL: the real binary on a free port,
//! real HTTP GraphQL calls with development tokens, tenant isolation, error codes, idempotent
//! retries, a graceful stop on SIGTERM and a restart that lost nothing.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use uuid::Uuid;

const POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable";

/// A test secret, generated per test run: 32 random bytes.
fn dev_secret() -> String {
    use base64::Engine as _;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

struct Server {
    child: Child,
    base: String,
    /// The rest of the server's standard output, line by line.
    lines: std::io::Lines<BufReader<std::process::ChildStdout>>,
}

impl Server {
    /// Starts `ecusson serve` on a free port of 127.0.0.1 and waits for its "listening" line.
    fn start(directory: &std::path::Path, url: &str, secret: &str) -> Self {
        Self::start_with(directory, url, secret, &[])
    }

    fn start_with(directory: &std::path::Path, url: &str, secret: &str, extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ecusson"))
            .current_dir(directory)
            .env_remove("ECUSSON_JWKS")
            .env_remove("ECUSSON_VAULT_KEY")
            .env("ECUSSON_DEV_SECRET", secret)
            .args(["--database-url", url, "serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("the server prints its address before anything else")
                .expect("readable stdout");
            if let Some(rest) = line.split("http://").nth(1) {
                let address = rest.split('/').next().unwrap().to_owned();
                break format!("http://{address}");
            }
        };
        Self { child, base, lines }
    }

    /// SIGTERM, then the exit status (the server stops gracefully).
    fn stop(mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        self.child.wait().expect("the server exits")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Client {
    http: reqwest::Client,
    base: String,
    secret: String,
}

impl Client {
    fn token(&self, tenant: Uuid, roles: &[&str], subject: Uuid) -> String {
        let output = Command::new(env!("CARGO_BIN_EXE_ecusson"))
            .env("ECUSSON_DEV_SECRET", &self.secret)
            .env_remove("ECUSSON_JWKS")
            .args([
                "token",
                "--tenant",
                &tenant.to_string(),
                "--sub",
                &subject.to_string(),
            ])
            .args(roles.iter().flat_map(|role| ["--role", role]))
            .output()
            .expect("ecusson token runs");
        assert!(
            output.status.success(),
            "token: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }

    async fn graphql(&self, token: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.base))
            .json(&json!({"query": query, "variables": variables}));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON body"))
    }
}

fn error_code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

const REGISTER: &str = "mutation($name: String!) { registerNetwork(input: {name: $name}) { networkId outcome { position { firstSequence lastSequence } replayed } } }";
const ADMIT: &str = "mutation($id: ID!) { admitStructure(input: {structureId: $id, kind: ACI, name: \"Atelier du Fleuve\"}) { structure { structureId kind } outcome { position { lastSequence } } } }";
const STRUCTURES: &str = "query($at: Int) { structures(atLeast: $at) { structureId kind } }";
const APPOINT: &str = "mutation($person: ID!, $key: String) { appointStaff(input: {personId: $person, roles: [COUNSELLOR], idempotencyKey: $key}) { member { personId roles } outcome { position { lastSequence } replayed } } }";
const STAFF: &str = "{ staff { personId roles } }";

async fn the_workflow_through_http(url: String) {
    let directory = std::env::temp_dir().join(format!("ecusson-api-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&directory).unwrap();
    let secret = dev_secret();
    let server = Server::start(&directory, &url, &secret);
    let client = Client {
        http: reqwest::Client::new(),
        base: server.base.clone(),
        secret: secret.clone(),
    };

    let health = client
        .http
        .get(format!("{}/healthz", client.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let ready = client
        .http
        .get(format!("{}/readyz", client.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status().as_u16(), 200);

    let network = Uuid::new_v4();
    let structure = Uuid::new_v4();
    let network_admin = client.token(network, &["network_admin"], Uuid::new_v4());
    let structure_admin = client.token(structure, &["structure_admin"], Uuid::new_v4());
    let counsellor = client.token(structure, &["counsellor"], Uuid::new_v4());

    // The network registers itself and admits a structure.
    let (_, body) = client
        .graphql(
            Some(&network_admin),
            REGISTER,
            json!({"name": "Réseau test"}),
        )
        .await;
    assert_eq!(
        body["data"]["registerNetwork"]["networkId"],
        network.to_string(),
        "{body}"
    );
    assert_eq!(
        body["data"]["registerNetwork"]["outcome"]["position"]["firstSequence"],
        1
    );
    let (_, body) = client
        .graphql(
            Some(&network_admin),
            ADMIT,
            json!({"id": structure.to_string()}),
        )
        .await;
    assert_eq!(
        body["data"]["admitStructure"]["structure"]["kind"], "ACI",
        "{body}"
    );
    let admitted = body["data"]["admitStructure"]["outcome"]["position"]["lastSequence"].clone();
    let (_, body) = client
        .graphql(Some(&network_admin), STRUCTURES, json!({"at": admitted}))
        .await;
    assert_eq!(
        body["data"]["structures"],
        json!([{"structureId": structure.to_string(), "kind": "ACI"}])
    );

    // The network defines a pathway and publishes a badge class; a catalogue query that waits
    // for the publication's position sees it (read-your-writes).
    let (_, body) = client
        .graphql(
            Some(&network_admin),
            "mutation { definePathway(input: {rank: 1, name: \"Premiers pas\", description: \"Découvrir le travail\"}) { pathwayId } }",
            json!({}),
        )
        .await;
    let pathway = body["data"]["definePathway"]["pathwayId"]
        .as_str()
        .unwrap()
        .to_owned();
    let publish = "mutation($pathway: ID!) { publishBadgeClass(input: {content: {pathwayId: $pathway, \
        name: \"Ponctualité\", description: \"Arriver à l'heure\", skillType: SAVOIR_ETRE, \
        criteriaNarrative: \"Un mois sans retard\", expectedEvidence: \"Attestation\", imageRef: \"ponctualite.png\"}}) \
        { badgeClassId revision outcome { position { lastSequence } } } }";
    let (_, body) = client
        .graphql(Some(&network_admin), publish, json!({"pathway": pathway}))
        .await;
    assert_eq!(body["data"]["publishBadgeClass"]["revision"], 1, "{body}");
    let class = body["data"]["publishBadgeClass"]["badgeClassId"].clone();
    let written = body["data"]["publishBadgeClass"]["outcome"]["position"]["lastSequence"].clone();
    let (_, body) = client
        .graphql(
            Some(&network_admin),
            "query($at: Int) { catalogue(atLeast: $at) { pathways { name rank } badgeClasses { badgeClassId name skillType revision } } }",
            json!({"at": written}),
        )
        .await;
    assert_eq!(
        body["data"]["catalogue"]["badgeClasses"],
        json!([{"badgeClassId": class, "name": "Ponctualité", "skillType": "SAVOIR_ETRE", "revision": 1}]),
        "{body}"
    );
    assert_eq!(body["data"]["catalogue"]["pathways"][0]["rank"], 1);
    let (_, body) = client
        .graphql(
            Some(&network_admin),
            "{ catalogue(atLeast: 999999) { pathways { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    let (_, body) = client
        .graphql(Some(&structure_admin), publish, json!({"pathway": pathway}))
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");

    // The structure adopts the class with its own criterion and chooses systematic validation;
    // its catalogue shows them, its counsellor too.
    let adopt = "mutation($class: ID!) { adoptBadgeClass(input: {badgeClassId: $class, criterion: { \
        criterion: \"Un mois sans retard\", evidence: \"Relevé de présence\", evaluatorRoles: [COUNSELLOR], \
        process: \"Bilan avec le conseiller\"}}) { adopted outcome { position { lastSequence } } } }";
    let (_, body) = client
        .graphql(Some(&structure_admin), adopt, json!({"class": class}))
        .await;
    assert_eq!(body["data"]["adoptBadgeClass"]["adopted"], true, "{body}");
    let (_, body) = client
        .graphql(
            Some(&structure_admin),
            "mutation($class: ID!) { setValidationMode(input: {badgeClassId: $class, mode: SYSTEMATIC}) { validation { mode } outcome { position { lastSequence } } } }",
            json!({"class": class}),
        )
        .await;
    assert_eq!(
        body["data"]["setValidationMode"]["validation"]["mode"], "SYSTEMATIC",
        "{body}"
    );
    let chosen = body["data"]["setValidationMode"]["outcome"]["position"]["lastSequence"].clone();
    let (_, body) = client
        .graphql(
            Some(&counsellor),
            "query($at: Int) { catalogue(atLeast: $at) { badgeClasses { name adoption { criterion evaluatorRoles validation { mode } } } } }",
            json!({"at": chosen}),
        )
        .await;
    assert_eq!(
        body["data"]["catalogue"]["badgeClasses"],
        json!([{"name": "Ponctualité", "adoption": {"criterion": "Un mois sans retard",
            "evaluatorRoles": ["COUNSELLOR"], "validation": {"mode": "SYSTEMATIC"}}}]),
        "{body}"
    );
    let (_, body) = client
        .graphql(
            Some(&structure_admin),
            "mutation($class: ID!) { setValidationMode(input: {badgeClassId: $class, mode: COMMITTEE}) { adopted } }",
            json!({"class": class}),
        )
        .await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");

    // The network registers a host company and forms a committee for the structure; the
    // structure then hands the class to that committee. A counsellor enrols a worker.
    let (_, body) = client
        .graphql(
            Some(&network_admin),
            "mutation { registerOrganisation(input: {kind: HOST_COMPANY, name: \"Maraîchage du Val\"}) { organisationId } }",
            json!({}),
        )
        .await;
    assert!(
        body["data"]["registerOrganisation"]["organisationId"].is_string(),
        "{body}"
    );
    let member = Uuid::new_v4().to_string();
    let second_member = Uuid::new_v4().to_string();
    let (_, body) = client
        .graphql(
            Some(&network_admin),
            "mutation($s: ID!, $m: ID!) { formCommittee(input: {structureIds: [$s], memberIds: [$m], quorum: 1}) { committee { committeeId quorum structureIds } } }",
            json!({"s": structure.to_string(), "m": member}),
        )
        .await;
    let committee = body["data"]["formCommittee"]["committee"]["committeeId"].clone();
    assert_eq!(
        body["data"]["formCommittee"]["committee"]["quorum"], 1,
        "{body}"
    );
    let (_, body) = client
        .graphql(
            Some(&network_admin),
            "mutation($c: ID!, $m: ID!, $n: ID!) { changeCommitteeMembership(input: {committeeId: $c, memberIds: [$m, $n], quorum: 2}) { committee { memberIds quorum } } }",
            json!({"c": committee, "m": member, "n": second_member}),
        )
        .await;
    assert_eq!(
        body["data"]["changeCommitteeMembership"]["committee"],
        json!({"memberIds": [member, second_member], "quorum": 2}),
        "{body}"
    );
    let (_, body) = client
        .graphql(
            Some(&structure_admin),
            "mutation($class: ID!, $c: ID!) { setValidationMode(input: {badgeClassId: $class, mode: COMMITTEE, committeeId: $c}) { validation { mode committeeId } } }",
            json!({"class": class, "c": committee}),
        )
        .await;
    assert_eq!(
        body["data"]["setValidationMode"]["validation"],
        json!({"mode": "COMMITTEE", "committeeId": committee}),
        "{body}"
    );
    let worker = Uuid::new_v4().to_string();
    let enrol = "mutation($w: ID!) { enrolWorker(input: {earnerId: $w, enrolledOn: \"2026-09-01\"}) { earnerId outcome { eventTypes } } }";
    let (_, body) = client
        .graphql(Some(&counsellor), enrol, json!({"w": worker}))
        .await;
    assert_eq!(
        body["data"]["enrolWorker"]["outcome"]["eventTypes"],
        json!(["earner.enrolled"]),
        "{body}"
    );
    let (_, body) = client
        .graphql(Some(&counsellor), enrol, json!({"w": worker}))
        .await;
    assert_eq!(
        error_code(&body),
        Some("CONFLICT"),
        "a second enrolment: {body}"
    );

    // The structure appoints a counsellor, idempotently.
    let person = Uuid::new_v4();
    let variables = json!({"person": person.to_string(), "key": "appoint-1"});
    let (_, first) = client
        .graphql(Some(&structure_admin), APPOINT, variables.clone())
        .await;
    assert_eq!(
        first["data"]["appointStaff"]["member"]["roles"],
        json!(["COUNSELLOR"]),
        "{first}"
    );
    let (_, retry) = client
        .graphql(Some(&structure_admin), APPOINT, variables)
        .await;
    assert_eq!(
        retry["data"]["appointStaff"]["outcome"]["replayed"], true,
        "{retry}"
    );
    assert_eq!(
        retry["data"]["appointStaff"]["outcome"]["position"],
        first["data"]["appointStaff"]["outcome"]["position"]
    );

    // The same key and the same input sent to another mutation is another request: refused.
    let (_, body) = client
        .graphql(
            Some(&structure_admin),
            "mutation($person: ID!, $key: String) { changeStaffRoles(input: {personId: $person, roles: [COUNSELLOR], idempotencyKey: $key}) { outcome { replayed } } }",
            json!({"person": person.to_string(), "key": "appoint-1"}),
        )
        .await;
    assert_eq!(error_code(&body), Some("CONFLICT"), "{body}");

    // Tenancy: the network's token sees the network's roster, not the structure's.
    let (_, body) = client.graphql(Some(&network_admin), STAFF, json!({})).await;
    assert_eq!(body["data"]["staff"], json!([]), "{body}");
    let (_, body) = client
        .graphql(Some(&structure_admin), STAFF, json!({}))
        .await;
    assert_eq!(
        body["data"]["staff"],
        json!([{"personId": person.to_string(), "roles": ["COUNSELLOR"]}])
    );

    // Refusals carry a code and append nothing.
    let (_, body) = client
        .graphql(
            Some(&counsellor),
            APPOINT,
            json!({"person": Uuid::new_v4().to_string()}),
        )
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let (_, body) = client
        .graphql(
            Some(&structure_admin),
            APPOINT,
            json!({"person": "not-a-uuid"}),
        )
        .await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    let (_, body) = client
        .graphql(
            Some(&structure_admin),
            "mutation { appointStaff(input: {personId: \"x\", roles: [WIZARD]}) { outcome { replayed } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    let (_, body) = client.graphql(None, STAFF, json!({})).await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
    let (status, body) = client.graphql(Some("not.a.token"), STAFF, json!({})).await;
    assert_eq!((status, error_code(&body)), (401, Some("UNAUTHENTICATED")));
    // Too deep (introspection nests as deep as one asks) and too complex (many aliases).
    let deep = format!(
        "{{ __schema {{ types {{ fields {{ type {} name {} }} }} }} }}",
        "{ ofType ".repeat(12),
        "}".repeat(12)
    );
    let (_, body) = client
        .graphql(Some(&structure_admin), &deep, json!({}))
        .await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("deep"),
        "{body}"
    );
    let complex = format!(
        "{{ {} }}",
        (0..600)
            .map(|index| format!("a{index}: viewer {{ roles }}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let (_, body) = client
        .graphql(Some(&structure_admin), &complex, json!({}))
        .await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("complex"),
        "{body}"
    );
    let oversized = client
        .http
        .post(format!("{}/graphql", client.base))
        .header("content-type", "application/json")
        .body(format!("{{\"query\": \"{}\"}}", " ".repeat(300 * 1024)))
        .send()
        .await
        .unwrap();
    assert_eq!(oversized.status().as_u16(), 413);
    let not_json = client
        .http
        .post(format!("{}/graphql", client.base))
        .header("content-type", "application/json")
        .body("{\"query\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status().as_u16(), 400);
    let body: Value = not_json.json().await.unwrap();
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    let (_, body) = client
        .graphql(Some(&structure_admin), STAFF, json!({}))
        .await;
    assert_eq!(body["data"]["staff"].as_array().map(Vec::len), Some(1));

    // A graceful stop, a restart, and nothing lost.
    let status = server.stop();
    assert!(
        status.success(),
        "the server exits cleanly on SIGTERM: {status}"
    );
    let server = Server::start(&directory, &url, &secret);
    let client = Client {
        base: server.base.clone(),
        ..client
    };
    let (_, body) = client
        .graphql(Some(&structure_admin), STAFF, json!({}))
        .await;
    assert_eq!(
        body["data"]["staff"],
        json!([{"personId": person.to_string(), "roles": ["COUNSELLOR"]}])
    );
    let (_, body) = client
        .graphql(Some(&network_admin), STRUCTURES, json!({"at": admitted}))
        .await;
    assert_eq!(body["data"]["structures"].as_array().map(Vec::len), Some(1));
    assert!(server.stop().success());
    let _ = std::fs::remove_dir_all(&directory);
}

/// `serve --demo` loads the demonstration network into an empty database and prints a
/// working token per role; started again on the same database, it serves what is there.
#[tokio::test]
async fn serve_demo_loads_the_network_and_prints_working_tokens() {
    let directory = std::env::temp_dir().join(format!("ecusson-demo-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&directory).unwrap();
    let url = format!("sqlite://{}", directory.join("ledger.db").display());
    let secret = dev_secret();
    for run in 0..2 {
        let mut server = Server::start_with(&directory, &url, &secret, &["--demo"]);
        let mut tokens = Vec::new();
        for line in server.lines.by_ref() {
            let line = line.unwrap();
            if let Some((label, token)) = line.trim().split_once(": ") {
                if token.starts_with("ey") {
                    tokens.push((label.to_owned(), token.to_owned()));
                    if label.starts_with("earner") {
                        break;
                    }
                }
            }
        }
        let labels: Vec<&str> = tokens.iter().map(|(label, _)| label.as_str()).collect();
        assert!(
            labels
                .iter()
                .any(|label| label.starts_with("structure_admin")),
            "{labels:?}"
        );
        assert!(
            labels.iter().any(|label| label.starts_with("counsellor")),
            "{labels:?}"
        );
        let client = Client {
            http: reqwest::Client::new(),
            base: server.base.clone(),
            secret: secret.clone(),
        };
        let admin = &tokens
            .iter()
            .find(|(label, _)| label.starts_with("structure_admin"))
            .unwrap()
            .1;
        let (_, body) = client.graphql(Some(admin), STAFF, json!({})).await;
        let staff = body["data"]["staff"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(staff.len() >= 3, "the demo structure has staff: {body}");
        // The structure's request queue, as a Relay connection, page by page and by state.
        let queue = "query($after: String, $state: RequestState) { requestQueue(first: 3, after: $after, state: $state) \
            { edges { cursor node { requestId state } } nodes { requestId } \
            pageInfo { hasPreviousPage hasNextPage startCursor endCursor } } }";
        let (_, first_page) = client.graphql(Some(admin), queue, json!({})).await;
        let page = &first_page["data"]["requestQueue"];
        assert_eq!(
            page["edges"].as_array().map(Vec::len),
            Some(3),
            "{first_page}"
        );
        assert_eq!(page["pageInfo"]["hasNextPage"], true);
        assert_eq!(page["pageInfo"]["hasPreviousPage"], false);
        // `nodes` are the edges' nodes, and the page's cursors its first and last edges'.
        let edge_ids: Vec<&Value> = page["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|edge| &edge["node"]["requestId"])
            .collect();
        let node_ids: Vec<&Value> = page["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|node| &node["requestId"])
            .collect();
        assert_eq!(edge_ids, node_ids, "{first_page}");
        assert_eq!(page["pageInfo"]["startCursor"], page["edges"][0]["cursor"]);
        assert_eq!(page["pageInfo"]["endCursor"], page["edges"][2]["cursor"]);
        let (_, second_page) = client
            .graphql(
                Some(admin),
                queue,
                json!({"after": page["pageInfo"]["endCursor"]}),
            )
            .await;
        let ids = |page: &Value| -> Vec<String> {
            page["data"]["requestQueue"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|edge| edge["node"]["requestId"].as_str().unwrap().to_owned())
                .collect()
        };
        assert!(!ids(&second_page).is_empty(), "{second_page}");
        assert_eq!(
            second_page["data"]["requestQueue"]["pageInfo"]["hasPreviousPage"],
            true
        );
        assert!(ids(&second_page)
            .iter()
            .all(|id| !ids(&first_page).contains(id)));
        let (_, approved) = client
            .graphql(Some(admin), queue, json!({"state": "APPROVED"}))
            .await;
        let states: Vec<&Value> = approved["data"]["requestQueue"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|edge| &edge["node"]["state"])
            .collect();
        assert!(
            !states.is_empty() && states.iter().all(|state| *state == "APPROVED"),
            "{approved}"
        );
        let (_, body) = client
            .graphql(
                Some(admin),
                "{ requestQueue(first: 1000) { edges { cursor } } }",
                json!({}),
            )
            .await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
        let earner = &tokens
            .iter()
            .find(|(label, _)| label.starts_with("earner"))
            .unwrap()
            .1;
        let (_, body) = client
            .graphql(
                Some(earner),
                "{ requestQueue { edges { cursor } } }",
                json!({}),
            )
            .await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");

        // A committee member's agenda: the requests of the committees they sit on.
        let member = &tokens
            .iter()
            .find(|(label, _)| label.starts_with("committee_member"))
            .expect("the demo has a committee member")
            .1;
        let (_, body) = client
            .graphql(
                Some(member),
                "{ committeeAgenda(state: null, fresh: true) { committee { committeeId } requests(first: 100) { edges { node { route } } } } }",
                json!({}),
            )
            .await;
        let agendas = body["data"]["committeeAgenda"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let routes: Vec<Value> = agendas
            .iter()
            .flat_map(|agenda| {
                agenda["requests"]["edges"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .map(|edge| edge["node"]["route"].clone())
            .collect();
        assert!(!routes.is_empty(), "{body}");
        assert!(routes.iter().all(|route| route == "COMMITTEE"), "{body}");
        let (_, body) = client
            .graphql(
                Some(admin),
                "{ committeeAgenda { requests { edges { node { route } } } } }",
                json!({}),
            )
            .await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");

        // Every standing award of the demonstration is signed before the tokens are printed:
        // a worker's credential, fetched from its URL by `ecusson verify` with the keys and
        // the revocation list the server publishes, verifies in both forms; its page shows.
        // (On the first run only: the second listens on another free port, and the
        // credentials name the public address of the first, as they must.)
        let (_, body) = client
            .graphql(
                Some(admin),
                "{ requestQueue(first: 100, state: APPROVED) { edges { node { earnerId awardState } } } }",
                json!({}),
            )
            .await;
        let earner_id = body["data"]["requestQueue"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|edge| edge["node"]["awardState"] == "ACTIVE")
            .map(|edge| edge["node"]["earnerId"].clone())
            .expect("the demo has an active award");
        let (_, body) = client
            .graphql(
                Some(admin),
                "query($id: ID) { earner(earnerId: $id) { awards { state pageUrl credential { url jwtUrl } } } }",
                json!({"id": earner_id}),
            )
            .await;
        let award = body["data"]["earner"]["awards"]
            .as_array()
            .unwrap()
            .iter()
            .find(|award| award["state"] == "ACTIVE")
            .cloned()
            .unwrap_or_else(|| panic!("{body}"));
        let urls = if run == 0 {
            vec![&award["credential"]["url"], &award["credential"]["jwtUrl"]]
        } else {
            vec![]
        };
        for url in urls {
            let url = url.as_str().unwrap_or_else(|| panic!("{award}"));
            let verified = Command::new(env!("CARGO_BIN_EXE_ecusson"))
                .args(["verify", url])
                .output()
                .expect("ecusson verify runs");
            assert!(
                verified.status.success(),
                "{url}:\n{}\n{}",
                String::from_utf8_lossy(&verified.stdout),
                String::from_utf8_lossy(&verified.stderr)
            );
            assert!(String::from_utf8_lossy(&verified.stdout).contains("verdict: valid"));
        }
        let page = client
            .http
            .get(award["pageUrl"].as_str().unwrap())
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("Badge valide"));

        let network_admin = &tokens[0].1;
        // The demonstration's logs are sealed before the tokens are printed.
        let (_, body) = client
            .graphql(
                Some(network_admin),
                "{ auditTrail { tenantId checkpoint { treeSize note } } }",
                json!({}),
            )
            .await;
        let trail = &body["data"]["auditTrail"];
        assert!(trail["checkpoint"]["treeSize"].as_i64() > Some(0), "{body}");
        let note = client
            .http
            .get(format!(
                "{}/audit/{}/checkpoint",
                server.base,
                trail["tenantId"].as_str().unwrap()
            ))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(trail["checkpoint"]["note"], note);
        let (_, body) = client
            .graphql(Some(network_admin), STRUCTURES, json!({}))
            .await;
        assert_eq!(
            body["data"]["structures"].as_array().map(Vec::len),
            Some(3),
            "{body}"
        );
        assert!(server.stop().success());
    }
    let _ = std::fs::remove_dir_all(&directory);
}

#[tokio::test]
async fn the_api_on_sqlite() {
    let directory =
        std::env::temp_dir().join(format!("ecusson-api-db-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&directory).unwrap();
    let url = format!("sqlite://{}", directory.join("ledger.db").display());
    the_workflow_through_http(url).await;
    let _ = std::fs::remove_dir_all(&directory);
}

#[tokio::test]
async fn the_api_on_postgres() {
    use sqlx::Connection as _;
    let admin_url = std::env::var("ECUSSON_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| POSTGRES_ADMIN_URL.to_owned());
    let database = format!("ecusson_api_{}", Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("PostgreSQL must be reachable: these tests never skip");
    sqlx::query(&format!("create database {database}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let url = admin_url.replacen("/postgres?", &format!("/{database}?"), 1);
    the_workflow_through_http(url).await;
    sqlx::query(&format!("drop database if exists {database} with (force)"))
        .execute(&mut admin)
        .await
        .unwrap();
}
