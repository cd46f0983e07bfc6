//! The Open Badges 3.0 API over real HTTP, on SQLite and PostgreSQL: the service description,
//! dynamic client registration, the authorization code grant with PKCE from the consent page
//! to the tokens, the credentials and profile of the token's earner (and of nobody else),
//! refresh token rotation, revocation, and every refusal a client or an attacker should meet.
//!
//! The HTTP client never follows redirections: each answer of the authorization endpoint is
//! checked where it sends the browser.

use crate::api_workflow::{Client, RunningApi};
use crate::helpers::TestStore;
use ecusson_api::auth::DevSecret;
use ecusson_api::ob3_api::challenge_of;
use ecusson_app::credentials::{issue_credential, stored_credential, IssuedKeys, PublicSite};
use ecusson_app::RequestMeta;
use ecusson_badges::verify::{verify_credential, CheckCode, NoResolver, Outcome, VerifyEnv};
use ecusson_domain::{Actor, AwardId, CredentialId, Earner, PersonId, Role, TenantId};
use ecusson_store::{SqlValue, StreamId, Vault, VaultKey};
use reqwest::header::{
    HeaderMap, AUTHORIZATION, CACHE_CONTROL, COOKIE, LOCATION, WWW_AUTHENTICATE,
};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

const CREDENTIAL_READONLY: &str =
    "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly";
const PROFILE_READONLY: &str = "https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.readonly";
const REDIRECT: &str = "https://portefeuille.exemple.fr/retour";
/// A verifier of 43 characters, and another one.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const OTHER_VERIFIER: &str = "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE";

fn both_scopes() -> String {
    format!("{CREDENTIAL_READONLY} {PROFILE_READONLY}")
}

/// The API's HTTP client: no redirection followed.
struct Ob3 {
    http: reqwest::Client,
    base: String,
}

/// A registered client application.
#[derive(Clone)]
struct Registered {
    client_id: String,
    secret: String,
}

/// The answer of the authorization endpoint: a status, and where it sends the browser.
struct Answer {
    status: StatusCode,
    location: Option<BTreeMap<String, String>>,
    redirect_base: Option<String>,
    body: String,
}

/// An authorization request, as a client builds it.
struct Request<'a> {
    client: &'a Registered,
    redirect_uri: &'a str,
    scope: String,
    state: &'a str,
    verifier: &'a str,
}

impl<'a> Request<'a> {
    fn new(client: &'a Registered, scope: &str) -> Self {
        Self {
            client,
            redirect_uri: REDIRECT,
            scope: scope.to_owned(),
            state: "etat-26357667",
            verifier: VERIFIER,
        }
    }

    fn query(&self) -> Vec<(String, String)> {
        [
            ("response_type", "code".to_owned()),
            ("client_id", self.client.client_id.clone()),
            ("redirect_uri", self.redirect_uri.to_owned()),
            ("scope", self.scope.clone()),
            ("state", self.state.to_owned()),
            ("code_challenge", challenge_of(self.verifier)),
            ("code_challenge_method", "S256".to_owned()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
    }
}

impl Ob3 {
    fn new(base: &str) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_owned(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn register(&self, body: &Value) -> (StatusCode, HeaderMap, Value) {
        let response = self
            .http
            .post(self.url("/oauth/register"))
            .json(body)
            .send()
            .await
            .unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        (status, headers, response.json().await.unwrap())
    }

    /// Registers a client with the scopes and grant types given.
    async fn client(&self, scope: &str, grant_types: &[&str]) -> Registered {
        let (status, _, answer) = self.register(&registration(scope, grant_types)).await;
        assert_eq!(status, StatusCode::CREATED, "{answer:#}");
        Registered {
            client_id: answer["client_id"].as_str().unwrap().to_owned(),
            secret: answer["client_secret"].as_str().unwrap().to_owned(),
        }
    }

    async fn answer(response: reqwest::Response) -> Answer {
        let status = response.status();
        let location = response
            .headers()
            .get(LOCATION)
            .map(|value| reqwest::Url::parse(value.to_str().unwrap()).unwrap());
        let body = response.text().await.unwrap();
        Answer {
            status,
            redirect_base: location.as_ref().map(|url| {
                let mut base = url.clone();
                base.set_query(None);
                base.to_string()
            }),
            location: location.map(|url| url.query_pairs().into_owned().collect()),
            body,
        }
    }

    /// `GET /oauth/authorize` with the worker's session in the cookie the web app sets.
    async fn ask(&self, query: &[(String, String)], session: Option<&str>) -> Answer {
        let mut request = self.http.get(self.url("/oauth/authorize")).query(query);
        if let Some(session) = session {
            request = request.header(COOKIE, format!("theme=clair; ecusson_token={session}"));
        }
        Self::answer(request.send().await.unwrap()).await
    }

    /// `POST /oauth/authorize` with the fields of the consent page and the decision.
    async fn decide(&self, fields: &[(String, String)], decision: &str, session: &str) -> Answer {
        let mut form = fields.to_vec();
        form.push(("decision".into(), decision.into()));
        let response = self
            .http
            .post(self.url("/oauth/authorize"))
            .header(COOKIE, format!("ecusson_token={session}"))
            .form(&form)
            .send()
            .await
            .unwrap();
        Self::answer(response).await
    }

    /// The consent page's hidden fields for `request`, asked by the worker of `session`.
    async fn consent_fields(&self, request: &Request<'_>, session: &str) -> Vec<(String, String)> {
        let page = self.ask(&request.query(), Some(session)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page
            .body
            .contains("Partager vos badges avec une application"));
        hidden_fields(&page.body)
    }

    /// The whole authorization: the page, "Autoriser", and the code the browser brings back.
    async fn authorize(&self, request: &Request<'_>, session: &str) -> String {
        let fields = self.consent_fields(request, session).await;
        let answer = self.decide(&fields, "approve", session).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        assert_eq!(answer.redirect_base.as_deref(), Some(request.redirect_uri));
        let location = answer.location.unwrap();
        assert_eq!(location["state"], request.state);
        assert!(!location.contains_key("error"), "{location:?}");
        location["code"].clone()
    }

    async fn token_request(
        &self,
        client: &Registered,
        form: &[(&str, &str)],
    ) -> (StatusCode, HeaderMap, Value) {
        let response = self
            .http
            .post(self.url("/oauth/token"))
            .basic_auth(&client.client_id, Some(&client.secret))
            .form(form)
            .send()
            .await
            .unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        (status, headers, response.json().await.unwrap())
    }

    async fn exchange(
        &self,
        client: &Registered,
        code: &str,
        verifier: &str,
    ) -> (StatusCode, HeaderMap, Value) {
        self.token_request(
            client,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", verifier),
            ],
        )
        .await
    }

    /// Authorizes and exchanges the code: the token answer.
    async fn tokens(&self, client: &Registered, scope: &str, session: &str) -> Value {
        let code = self.authorize(&Request::new(client, scope), session).await;
        let (status, _, answer) = self.exchange(client, &code, VERIFIER).await;
        assert_eq!(status, StatusCode::OK, "{answer:#}");
        answer
    }

    async fn refresh(
        &self,
        client: &Registered,
        refresh_token: &str,
    ) -> (StatusCode, HeaderMap, Value) {
        self.token_request(
            client,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ],
        )
        .await
    }

    async fn revoke(&self, client: &Registered, token: &str, hint: &str) -> StatusCode {
        self.http
            .post(self.url("/oauth/revoke"))
            .basic_auth(&client.client_id, Some(&client.secret))
            .form(&[("token", token), ("token_type_hint", hint)])
            .send()
            .await
            .unwrap()
            .status()
    }

    /// A resource read with a bearer token: status, headers, body.
    async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, HeaderMap, Value) {
        let mut request = self.http.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        let body = response.text().await.unwrap();
        (
            status,
            headers,
            serde_json::from_str(&body).unwrap_or(Value::String(body)),
        )
    }

    /// The raw text of a credentials page (to compare the credentials byte for byte).
    async fn credentials_text(&self, token: &str, query: &str) -> String {
        let response = self
            .http
            .get(self.url(&format!("/ims/ob/v3p0/credentials{query}")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.text().await.unwrap()
    }
}

fn registration(scope: &str, grant_types: &[&str]) -> Value {
    json!({
        "client_name": "Mon Portefeuille",
        "client_uri": "https://portefeuille.exemple.fr/",
        "logo_uri": "https://portefeuille.exemple.fr/logo.png",
        "tos_uri": "https://portefeuille.exemple.fr/conditions",
        "policy_uri": "https://portefeuille.exemple.fr/confidentialite",
        "software_id": "c88b6ed8-269e-448e-99be-7e2ff47167d1",
        "software_version": "v4.0.30319",
        "redirect_uris": [REDIRECT, "http://127.0.0.1:8765/retour"],
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": grant_types,
        "response_types": ["code"],
        "scope": scope,
        "contacts": ["dev@portefeuille.exemple.fr"],
    })
}

/// The `<input type="hidden">` fields of a page, as maud writes them, unescaped.
fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let unescape = |text: &str| {
        text.replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    html.split("<input type=\"hidden\" ")
        .skip(1)
        .map(|rest| {
            let tag = &rest[..rest.find('>').unwrap()];
            let attribute = |name: &str| {
                let start = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                let end = start + tag[start..].find('"').unwrap();
                unescape(&tag[start..end])
            };
            (attribute("name"), attribute("value"))
        })
        .collect()
}

fn with_field(fields: &[(String, String)], name: &str, value: &str) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(field, old)| {
            (
                field.clone(),
                if field == name {
                    value.to_owned()
                } else {
                    old.clone()
                },
            )
        })
        .collect()
}

/// An OAuth error answer: its code, after checking its description keeps to RFC 6749's
/// characters and that nothing may cache it.
fn oauth_error(
    status: StatusCode,
    headers: &HeaderMap,
    answer: &Value,
    expected_status: StatusCode,
) -> String {
    assert_eq!(status, expected_status, "{answer:#}");
    assert_eq!(headers.get(CACHE_CONTROL).unwrap(), "no-store");
    let description = answer["error_description"].as_str().unwrap_or_default();
    assert!(
        description.bytes().all(|b| b == 0x20
            || b == 0x21
            || (0x23..=0x5b).contains(&b)
            || (0x5d..=0x7e).contains(&b)),
        "{description}"
    );
    answer["error"].as_str().unwrap().to_owned()
}

/// The `imsx_codeMinorFieldValue` of an `Imsx_StatusInfo`.
fn imsx_minor(body: &Value) -> &str {
    assert!(body["imsx_codeMajor"].is_string(), "{body:#}");
    body["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]
        .as_str()
        .unwrap()
}

fn ids_of(page: &Value) -> Vec<String> {
    page["credential"]
        .as_array()
        .unwrap()
        .iter()
        .map(|credential| credential["id"].as_str().unwrap().to_owned())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The service description and registration
// ---------------------------------------------------------------------------------------------

async fn discovery_and_registration(test_store: TestStore) {
    let secret = DevSecret::generate();
    let api = RunningApi::start(&test_store.url, &VaultKey::generate(), &secret).await;
    let ob3 = Ob3::new(&api.base);

    let (status, headers, document) = ob3.get("/ims/ob/v3p0/discovery", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    assert!(document["openapi"].as_str().unwrap().starts_with("3.0"));
    let info = &document["info"];
    assert_eq!(info["title"], "Écusson");
    assert!(info["termsOfService"].as_str().unwrap().starts_with("http"));
    assert!(info["x-imssf-privacyPolicyUrl"]
        .as_str()
        .unwrap()
        .starts_with("http"));
    assert!(info["version"].is_string());
    let scheme = &document["components"]["securitySchemes"]["OAuth2ACG"];
    assert_eq!(scheme["type"], "oauth2");
    assert_eq!(
        scheme["x-imssf-registrationUrl"],
        ob3.url("/oauth/register")
    );
    let flow = &scheme["flows"]["authorizationCode"];
    assert_eq!(flow["authorizationUrl"], ob3.url("/oauth/authorize"));
    assert_eq!(flow["tokenUrl"], ob3.url("/oauth/token"));
    assert_eq!(flow["refreshUrl"], ob3.url("/oauth/token"));
    let mut scopes: Vec<&str> = flow["scopes"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    scopes.sort_unstable();
    assert_eq!(scopes, [CREDENTIAL_READONLY, PROFILE_READONLY]);
    assert_eq!(
        document["paths"]["/credentials"]["get"]["operationId"],
        "getCredentials"
    );
    assert_eq!(
        document["paths"]["/profile"]["get"]["operationId"],
        "getProfile"
    );
    assert_eq!(
        document["paths"]["/credentials"]["get"]["security"][0]["OAuth2ACG"][0],
        CREDENTIAL_READONLY
    );

    // A valid registration: 201, the metadata echoed, a client id and a secret given once.
    let request = registration(
        &format!("{CREDENTIAL_READONLY} https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert offline_access"),
        &["authorization_code", "refresh_token"],
    );
    let (status, headers, answer) = ob3.register(&request).await;
    assert_eq!(status, StatusCode::CREATED, "{answer:#}");
    assert_eq!(headers.get(CACHE_CONTROL).unwrap(), "no-store");
    let client_id = answer["client_id"].as_str().unwrap();
    let client_secret = answer["client_secret"].as_str().unwrap();
    assert!(client_secret.len() >= 43);
    assert!(answer["client_id_issued_at"].as_i64().unwrap() > 1_700_000_000);
    assert_eq!(answer["client_secret_expires_at"], 0);
    for field in [
        "client_name",
        "client_uri",
        "logo_uri",
        "tos_uri",
        "policy_uri",
        "software_id",
        "software_version",
        "redirect_uris",
        "token_endpoint_auth_method",
        "grant_types",
        "response_types",
        "contacts",
    ] {
        assert_eq!(answer[field], request[field], "{field}");
    }
    // Only what this server grants is registered.
    assert_eq!(answer["scope"], CREDENTIAL_READONLY);
    // The secret is stored as a digest only (SHA-256, checked by the unit tests): nothing
    // stored holds it.
    let rows = api
        .store
        .read_once(
            "select client_id, secret_hash, metadata, registered_at from oauth_client \
             where client_id = $1",
            &[SqlValue::text(client_id)],
        )
        .await
        .unwrap();
    let SqlValue::Bytes(hash) = &rows[0][1] else {
        panic!("a digest")
    };
    assert_eq!(hash.len(), 32);
    for column in [&rows[0][0], &rows[0][2], &rows[0][3]] {
        assert!(!column.as_text().unwrap().contains(client_secret));
    }

    // Redirect URIs: https, or http on the loopback interface only, never a fragment.
    for redirect in [
        "http://portefeuille.exemple.fr/retour",
        "https://portefeuille.exemple.fr/retour#fragment",
        "com.exemple.portefeuille:/retour",
    ] {
        let mut bad = registration(CREDENTIAL_READONLY, &["authorization_code"]);
        bad["redirect_uris"] = json!([redirect]);
        let (status, headers, answer) = ob3.register(&bad).await;
        assert_eq!(
            oauth_error(status, &headers, &answer, StatusCode::BAD_REQUEST),
            "invalid_redirect_uri",
            "{redirect}"
        );
    }
    // Required metadata, and methods the spec does not allow.
    let mut missing = registration(CREDENTIAL_READONLY, &["authorization_code"]);
    missing.as_object_mut().unwrap().remove("policy_uri");
    let mut post = registration(CREDENTIAL_READONLY, &["authorization_code"]);
    post["token_endpoint_auth_method"] = json!("client_secret_post");
    let upsert_only = registration(
        "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert",
        &["authorization_code"],
    );
    for bad in [missing, post, upsert_only] {
        let (status, headers, answer) = ob3.register(&bad).await;
        assert_eq!(
            oauth_error(status, &headers, &answer, StatusCode::BAD_REQUEST),
            "invalid_client_metadata"
        );
    }
    api.stop().await;
}

// ---------------------------------------------------------------------------------------------
// The whole flow, with badges
// ---------------------------------------------------------------------------------------------

/// A network, one structure, two workers: the first with three awards and a recorded name, the
/// second with one award.
struct World {
    network: TenantId,
    structure: TenantId,
    first: (PersonId, String),
    second: (PersonId, String),
    /// The first worker's awards, and the second's.
    first_awards: Vec<AwardId>,
    second_award: AwardId,
    /// The structure's administrator, who may revoke a badge.
    boss: String,
}

const CRITERION: &str = "{criterion: \"tient ses horaires\", evidence: \"relevé d'heures\", evaluatorRoles: [DIRECTION], process: \"bilan mensuel\"}";

async fn world(graphql: &Client) -> World {
    let (network, structure) = (TenantId::new(), TenantId::new());
    let admin = graphql.token(network, &[Role::NetworkAdmin], PersonId::new());
    graphql
        .data(
            &admin,
            r#"mutation { registerNetwork(input: {name: "Réseau Bretagne"}) { networkId } }"#,
            json!({}),
        )
        .await;
    let admitted = graphql
        .data(
            &admin,
            "mutation($id: ID!) { admitStructure(input: {structureId: $id, kind: ACI, name: \"Atelier de l'Aber\"}) { outcome { position { lastSequence } } } }",
            json!({"id": structure.to_string()}),
        )
        .await;
    let at = admitted["admitStructure"]["outcome"]["position"]["lastSequence"].clone();
    graphql
        .data(
            &admin,
            "query($at: Int) { structures(atLeast: $at) { structureId } }",
            json!({"at": at}),
        )
        .await;
    let pathway = graphql
        .data(&admin, r#"mutation { definePathway(input: {rank: 1, name: "Découvrir le monde du travail", description: "Premiers pas"}) { pathwayId } }"#, json!({}))
        .await["definePathway"]["pathwayId"]
        .clone();
    let boss = graphql.token(structure, &[Role::StructureAdmin], PersonId::new());
    let mut classes = Vec::new();
    for name in [
        "Respecter les horaires",
        "Travailler en équipe",
        "Prendre soin du matériel",
    ] {
        let class = graphql
            .data(
                &admin,
                "mutation($input: PublishBadgeClassInput!) { publishBadgeClass(input: $input) { badgeClassId } }",
                json!({"input": {"content": {
                    "pathwayId": pathway, "name": name, "description": "Une compétence du parcours",
                    "skillType": "SAVOIR_ETRE", "criteriaNarrative": "Les critères de la structure",
                    "expectedEvidence": "Une attestation", "imageRef": "sha256:00", "validityMonths": null,
                }}}),
            )
            .await["publishBadgeClass"]["badgeClassId"]
            .clone();
        graphql
            .data(
                &boss,
                &format!("mutation($class: ID!) {{ adoptBadgeClass(input: {{badgeClassId: $class, criterion: {CRITERION}}}) {{ adopted }} }}"),
                json!({"class": class}),
            )
            .await;
        graphql
            .data(
                &boss,
                "mutation($class: ID!) { setValidationMode(input: {badgeClassId: $class, mode: SYSTEMATIC}) { adopted } }",
                json!({"class": class}),
            )
            .await;
        classes.push(class);
    }
    let (counsellor, director) = (PersonId::new(), PersonId::new());
    for (person, role) in [(counsellor, "COUNSELLOR"), (director, "DIRECTION")] {
        graphql
            .data(
                &boss,
                "mutation($person: ID!, $roles: [Role!]!) { appointStaff(input: {personId: $person, roles: $roles}) { member { personId } } }",
                json!({"person": person.to_string(), "roles": [role]}),
            )
            .await;
    }
    let counsellor = graphql.token(structure, &[Role::Counsellor], counsellor);
    let director = graphql.token(structure, &[Role::Direction], director);
    let mut workers = Vec::new();
    for _ in 0..2 {
        let id = PersonId::new();
        graphql
            .data(
                &counsellor,
                "mutation($id: ID!) { enrolWorker(input: {earnerId: $id, enrolledOn: \"2026-09-01\"}) { earnerId } }",
                json!({"id": id.to_string()}),
            )
            .await;
        workers.push((id, graphql.token(structure, &[Role::Earner], id)));
    }
    let award = |worker: (PersonId, String), class: Value| {
        let director = director.clone();
        async move {
            let request = graphql
                .data(
                    &worker.1,
                    "mutation($input: RequestBadgeInput!) { requestBadge(input: $input) { request { requestId } } }",
                    json!({"input": {"badgeClassId": class, "mode": "INDIVIDUAL"}}),
                )
                .await["requestBadge"]["request"]["requestId"]
                .clone();
            let decided = graphql
                .data(
                    &director,
                    "mutation($input: DecideRequestInput!) { decideRequest(input: $input) { award { awardId } } }",
                    json!({"input": {"earnerId": worker.0.to_string(), "requestId": request, "verdict": "APPROVE", "reason": {"code": "CRITERIA_MET"}}}),
                )
                .await;
            AwardId::parse(
                decided["decideRequest"]["award"]["awardId"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap()
        }
    };
    let first_awards = vec![
        award(workers[0].clone(), classes[0].clone()).await,
        award(workers[0].clone(), classes[1].clone()).await,
        award(workers[0].clone(), classes[2].clone()).await,
    ];
    let second_award = award(workers[1].clone(), classes[0].clone()).await;
    graphql
        .data(
            &workers[0].1,
            "mutation($input: RecordWorkerIdentityInput!) { recordWorkerIdentity(input: $input) { earnerId } }",
            json!({"input": {"name": "Samira Benali"}}),
        )
        .await;
    World {
        network,
        structure,
        first: workers[0].clone(),
        second: workers[1].clone(),
        first_awards,
        second_award,
        boss,
    }
}

/// Issues a credential for an award, as the ledger's issuer does.
async fn issue(
    api: &RunningApi,
    vault: &Vault,
    world: &World,
    earner: PersonId,
    award: AwardId,
) -> CredentialId {
    let site = PublicSite::new(&api.base).unwrap();
    issue_credential(
        &api.ledger,
        vault,
        &site,
        &Actor::ledger(world.structure),
        earner,
        award,
        RequestMeta::default(),
    )
    .await
    .expect("issue a credential")
    .expect("the network has keys and the award exists")
    .1
}

async fn an_earner_shares_their_latest_credentials_and_profile(test_store: TestStore) {
    let secret = DevSecret::generate();
    let vault_key = VaultKey::generate();
    let api = RunningApi::start(&test_store.url, &vault_key, &secret).await;
    let graphql = Client::new(&api.base, &secret);
    let ob3 = Ob3::new(&api.base);
    let vault = Vault::new(api.store.clone(), vault_key.clone());
    let site = PublicSite::new(&api.base).unwrap();
    let world = world(&graphql).await;
    ecusson_app::keys::activate_network_keys(&api.ledger, &vault, world.network, false)
        .await
        .expect("issuer keys");
    let superseded = issue(&api, &vault, &world, world.first.0, world.first_awards[0]).await;
    let first_credentials = [
        issue(&api, &vault, &world, world.first.0, world.first_awards[0]).await,
        issue(&api, &vault, &world, world.first.0, world.first_awards[1]).await,
    ];
    let second_credential = issue(&api, &vault, &world, world.second.0, world.second_award).await;
    // A badge revoked after its credential was issued is no longer listed.
    let revoked = issue(&api, &vault, &world, world.first.0, world.first_awards[2]).await;
    let answer = graphql
        .data(
            &world.boss,
            "mutation($input: RevokeBadgeInput!) { revokeBadge(input: $input) { award { state } } }",
            json!({"input": {"earnerId": world.first.0.to_string(), "awardId": world.first_awards[2].to_string(), "reason": {"code": "ISSUED_IN_ERROR"}}}),
        )
        .await;
    assert_eq!(answer["revokeBadge"]["award"]["state"], "REVOKED");

    let wallet = ob3
        .client(&both_scopes(), &["authorization_code", "refresh_token"])
        .await;
    let tokens = ob3.tokens(&wallet, &both_scopes(), &world.first.1).await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(tokens["scope"], both_scopes());
    let access = tokens["access_token"].as_str().unwrap();

    // Exactly the first worker's latest credential of each award, oldest first.
    let (status, headers, page) = ob3.get("/ims/ob/v3p0/credentials", Some(access)).await;
    assert_eq!(status, StatusCode::OK, "{page:#}");
    assert_eq!(headers.get("x-total-count").unwrap(), "2");
    assert_eq!(headers.get(CACHE_CONTROL).unwrap(), "no-store");
    let expected: Vec<String> = first_credentials
        .iter()
        .map(|id| site.credential(*id))
        .collect();
    assert_eq!(ids_of(&page), expected);
    assert!(!ids_of(&page).contains(&site.credential(superseded)));
    assert!(!ids_of(&page).contains(&site.credential(revoked)));
    assert_eq!(page["compactJwsString"], json!([]));
    // Each is the signed document byte for byte, and verifies against the ledger's keys.
    let text = ob3.credentials_text(access, "").await;
    let earner = api
        .ledger
        .load::<Earner>(
            world.structure,
            &StreamId::parse(Earner::stream_name(world.first.0)).unwrap(),
        )
        .await
        .unwrap()
        .state;
    let keys = ecusson_app::keys::issuer_keys(&api.ledger, world.network)
        .await
        .unwrap();
    for (credential_id, credential) in first_credentials
        .iter()
        .zip(page["credential"].as_array().unwrap())
    {
        let issued = earner.credential(*credential_id).unwrap();
        let stored = stored_credential(&vault, world.structure, issued)
            .await
            .unwrap()
            .unwrap();
        assert!(
            text.contains(&stored.json),
            "the signed bytes are served as they are"
        );
        let resolver = IssuedKeys::new(&site, world.network, &keys)
            .with_issuance(site.credential(*credential_id), issued.issued_at);
        let report = verify_credential(
            credential,
            &VerifyEnv {
                now: api.ledger.now(),
                keys: &resolver,
                status: &NoResolver,
            },
        );
        assert_eq!(
            report.outcome(CheckCode::Proof),
            Some(Outcome::Passed),
            "{report:?}"
        );
        assert!(report.failed().is_empty(), "{report:?}");
    }

    // Paging: limit, offset, since, X-Total-Count and Link.
    let (_, headers, page) = ob3
        .get("/ims/ob/v3p0/credentials?limit=1", Some(access))
        .await;
    assert_eq!(ids_of(&page), expected[..1]);
    assert_eq!(headers.get("x-total-count").unwrap(), "2");
    let link = headers.get("link").unwrap().to_str().unwrap();
    let credentials_url = ob3.url("/ims/ob/v3p0/credentials");
    assert!(
        link.contains(&format!(
            "<{credentials_url}?limit=1&offset=1>; rel=\"next\""
        )),
        "{link}"
    );
    assert!(
        link.contains(&format!(
            "<{credentials_url}?limit=1&offset=1>; rel=\"last\""
        )),
        "{link}"
    );
    assert!(
        link.contains(&format!(
            "<{credentials_url}?limit=1&offset=0>; rel=\"first\""
        )),
        "{link}"
    );
    assert!(!link.contains("rel=\"prev\""), "{link}");
    let (_, headers, page) = ob3
        .get("/ims/ob/v3p0/credentials?limit=1&offset=1", Some(access))
        .await;
    assert_eq!(ids_of(&page), expected[1..]);
    let link = headers.get("link").unwrap().to_str().unwrap();
    assert!(
        link.contains(&format!(
            "<{credentials_url}?limit=1&offset=0>; rel=\"prev\""
        )),
        "{link}"
    );
    assert!(!link.contains("rel=\"next\""), "{link}");
    let first_issued = earner.credential(first_credentials[0]).unwrap().issued_at;
    let since = first_issued.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    let (status, headers, page) = ob3
        .get(
            &format!(
                "/ims/ob/v3p0/credentials?since={}",
                since.replace(':', "%3A")
            ),
            Some(access),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page:#}");
    assert_eq!(ids_of(&page), expected[1..]);
    assert_eq!(headers.get("x-total-count").unwrap(), "1");
    for bad in ["limit=0", "offset=-1", "since=hier", "limit=1&limit=2"] {
        let (status, _, body) = ob3
            .get(&format!("/ims/ob/v3p0/credentials?{bad}"), Some(access))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(imsx_minor(&body), "invalid_query_parameter");
    }

    // The profile: an identifier for this client, and the name the worker recorded.
    let (status, _, profile) = ob3.get("/ims/ob/v3p0/profile", Some(access)).await;
    assert_eq!(status, StatusCode::OK, "{profile:#}");
    assert_eq!(profile["type"], "Profile");
    assert_eq!(profile["name"], "Samira Benali");
    assert_eq!(
        profile["@context"],
        json!(["https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"])
    );
    let profile_id = profile["id"].as_str().unwrap();
    assert!(profile_id.starts_with("urn:uuid:"));
    assert!(!profile.to_string().contains(&world.first.0.to_string()));

    // The second worker's authorization, by the same client, sees only the second's.
    let second = ob3.tokens(&wallet, &both_scopes(), &world.second.1).await;
    let second_access = second["access_token"].as_str().unwrap();
    let (_, headers, page) = ob3
        .get("/ims/ob/v3p0/credentials", Some(second_access))
        .await;
    assert_eq!(ids_of(&page), [site.credential(second_credential)]);
    assert_eq!(headers.get("x-total-count").unwrap(), "1");
    let (_, _, profile) = ob3.get("/ims/ob/v3p0/profile", Some(second_access)).await;
    assert!(
        profile.get("name").is_none(),
        "no name recorded: {profile:#}"
    );
    assert_ne!(profile["id"], profile_id);
    // And the first worker's list did not change.
    let (_, _, page) = ob3.get("/ims/ob/v3p0/credentials", Some(access)).await;
    assert_eq!(ids_of(&page), expected);

    // Scopes: a token for the credentials only cannot read the profile.
    let narrow = ob3
        .tokens(&wallet, CREDENTIAL_READONLY, &world.first.1)
        .await;
    assert_eq!(narrow["scope"], CREDENTIAL_READONLY);
    let narrow_access = narrow["access_token"].as_str().unwrap();
    let (status, headers, body) = ob3.get("/ims/ob/v3p0/profile", Some(narrow_access)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(imsx_minor(&body), "forbidden");
    assert!(headers
        .get(WWW_AUTHENTICATE)
        .unwrap()
        .to_str()
        .unwrap()
        .contains("insufficient_scope"));
    let (status, _, _) = ob3
        .get("/ims/ob/v3p0/credentials", Some(narrow_access))
        .await;
    assert_eq!(status, StatusCode::OK);
    // A client that registered the credentials scope only cannot ask for the profile.
    let reader = ob3
        .client(CREDENTIAL_READONLY, &["authorization_code"])
        .await;
    let asked = ob3
        .ask(
            &Request::new(&reader, &both_scopes()).query(),
            Some(&world.first.1),
        )
        .await;
    assert_eq!(asked.status, StatusCode::FOUND);
    assert_eq!(asked.location.unwrap()["error"], "invalid_scope");
    // Nor get a refresh token, nor use that grant.
    let reader_tokens = ob3
        .tokens(&reader, CREDENTIAL_READONLY, &world.first.1)
        .await;
    assert!(reader_tokens.get("refresh_token").is_none());
    let (status, headers, answer) = ob3
        .token_request(
            &reader,
            &[("grant_type", "refresh_token"), ("refresh_token", "x")],
        )
        .await;
    assert_eq!(
        oauth_error(status, &headers, &answer, StatusCode::BAD_REQUEST),
        "unauthorized_client"
    );

    // Refresh rotation: a new pair each time; the old refresh token is spent.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let (status, _, rotated) = ob3.refresh(&wallet, refresh).await;
    assert_eq!(status, StatusCode::OK, "{rotated:#}");
    let (new_access, new_refresh) = (
        rotated["access_token"].as_str().unwrap(),
        rotated["refresh_token"].as_str().unwrap(),
    );
    assert_ne!(new_refresh, refresh);
    assert_ne!(new_access, access);
    assert_eq!(rotated["scope"], both_scopes());
    assert_eq!(
        ob3.get("/ims/ob/v3p0/credentials", Some(new_access))
            .await
            .0,
        StatusCode::OK
    );
    // A narrower access token on refresh; a wider one is refused.
    let (status, _, narrower) = ob3
        .token_request(
            &wallet,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", new_refresh),
                ("scope", PROFILE_READONLY),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{narrower:#}");
    assert_eq!(narrower["scope"], PROFILE_READONLY);
    let latest_refresh = narrower["refresh_token"].as_str().unwrap().to_owned();
    let narrow_refresh = narrow["refresh_token"].as_str().unwrap();
    let (status, headers, answer) = ob3
        .token_request(
            &wallet,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", narrow_refresh),
                ("scope", &both_scopes()),
            ],
        )
        .await;
    assert_eq!(
        oauth_error(status, &headers, &answer, StatusCode::BAD_REQUEST),
        "invalid_scope"
    );
    // A spent refresh token presented again revokes its grant: every token of it stops.
    let (status, headers, answer) = ob3.refresh(&wallet, refresh).await;
    assert_eq!(
        oauth_error(status, &headers, &answer, StatusCode::BAD_REQUEST),
        "invalid_grant"
    );
    let (status, _, body) = ob3.get("/ims/ob/v3p0/credentials", Some(new_access)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(imsx_minor(&body), "unauthorizedrequest");
    assert_eq!(
        ob3.refresh(&wallet, &latest_refresh).await.0,
        StatusCode::BAD_REQUEST
    );
    // The other grants of the same worker and client are untouched.
    assert_eq!(
        ob3.get("/ims/ob/v3p0/credentials", Some(narrow_access))
            .await
            .0,
        StatusCode::OK
    );

    // Revocation (RFC 7009): an access token, then a refresh token with its grant.
    assert_eq!(
        ob3.revoke(&wallet, narrow_access, "access_token").await,
        StatusCode::OK
    );
    assert_eq!(
        ob3.get("/ims/ob/v3p0/credentials", Some(narrow_access))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _, refreshed) = ob3.refresh(&wallet, narrow_refresh).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "revoking an access token leaves its refresh token: {refreshed:#}"
    );
    let (status, _, _) = ob3
        .get("/ims/ob/v3p0/credentials", Some(second_access))
        .await;
    assert_eq!(status, StatusCode::OK);
    let second_refresh = second["refresh_token"].as_str().unwrap();
    assert_eq!(
        ob3.revoke(&wallet, second_refresh, "refresh_token").await,
        StatusCode::OK
    );
    assert_eq!(
        ob3.get("/ims/ob/v3p0/credentials", Some(second_access))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        ob3.refresh(&wallet, second_refresh).await.0,
        StatusCode::BAD_REQUEST
    );
    // Unknown tokens and other clients' tokens: 200, and nothing happens.
    assert_eq!(
        ob3.revoke(&wallet, "n'importe quoi", "access_token").await,
        StatusCode::OK
    );
    let refreshed_access = refreshed["access_token"].as_str().unwrap();
    assert_eq!(
        ob3.revoke(&reader, refreshed_access, "access_token").await,
        StatusCode::OK
    );
    assert_eq!(
        ob3.get("/ims/ob/v3p0/credentials", Some(refreshed_access))
            .await
            .0,
        StatusCode::OK
    );
    // Revocation needs the client's authentication.
    let response = ob3
        .http
        .post(ob3.url("/oauth/revoke"))
        .form(&[("token", refreshed_access)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    api.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Refusals
// ---------------------------------------------------------------------------------------------

async fn codes_and_tokens_are_refused_when_they_should_be(test_store: TestStore) {
    let secret = DevSecret::generate();
    // The clock moves on when the test says so (seconds).
    let offset = Arc::new(AtomicI64::new(0));
    let clock: ecusson_app::Clock = {
        let offset = offset.clone();
        Arc::new(move || {
            chrono::Utc::now() + chrono::Duration::seconds(offset.load(Ordering::SeqCst))
        })
    };
    let api =
        RunningApi::start_with_clock(&test_store.url, &VaultKey::generate(), &secret, clock).await;
    let graphql = Client::new(&api.base, &secret);
    let ob3 = Ob3::new(&api.base);
    let structure = TenantId::new();
    // A worker needs no record to authorize: their list is then empty.
    let worker = graphql.token(structure, &[Role::Earner], PersonId::new());
    let other_worker = graphql.token(structure, &[Role::Earner], PersonId::new());
    let staff = graphql.token(
        structure,
        &[Role::Counsellor, Role::StructureAdmin],
        PersonId::new(),
    );
    let wallet = ob3
        .client(&both_scopes(), &["authorization_code", "refresh_token"])
        .await;
    let other = ob3
        .client(&both_scopes(), &["authorization_code", "refresh_token"])
        .await;
    let request = Request::new(&wallet, CREDENTIAL_READONLY);

    // Nobody signed in: a page that says to sign in first; nothing is sent to the client.
    let answer = ob3.ask(&request.query(), None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.body.contains("Connectez-vous d'abord"));
    assert!(answer.location.is_none());
    let answer = ob3.ask(&request.query(), Some("not.a.jwt")).await;
    assert!(answer.body.contains("Connectez-vous"));
    // Staff cannot authorize, neither by the page nor by posting the form.
    let answer = ob3.ask(&request.query(), Some(&staff)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.location.is_none());
    let fields = ob3.consent_fields(&request, &worker).await;
    let answer = ob3.decide(&fields, "approve", &staff).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.location.is_none());
    // The page may not be framed, nor cached.
    let response = ob3
        .http
        .get(ob3.url("/oauth/authorize"))
        .query(&request.query())
        .header(COOKIE, format!("ecusson_token={worker}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers().get("x-frame-options").unwrap(), "DENY");
    assert!(response
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert_eq!(response.headers().get(CACHE_CONTROL).unwrap(), "no-store");
    // The session may come in an Authorization header too.
    let response = ob3
        .http
        .get(ob3.url("/oauth/authorize"))
        .query(&request.query())
        .header(AUTHORIZATION, format!("Bearer {worker}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    // An unknown client, or a redirect URI it did not register exactly: a page, no redirection.
    let unknown = Registered {
        client_id: "inconnu".into(),
        secret: String::new(),
    };
    for query in [
        Request::new(&unknown, CREDENTIAL_READONLY).query(),
        Request {
            redirect_uri: "https://portefeuille.exemple.fr/retour/",
            ..Request::new(&wallet, CREDENTIAL_READONLY)
        }
        .query(),
        Request {
            redirect_uri: "https://evil.exemple/retour",
            ..Request::new(&wallet, CREDENTIAL_READONLY)
        }
        .query(),
    ] {
        let answer = ob3.ask(&query, Some(&worker)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        assert!(answer.location.is_none());
        assert!(answer.body.contains("Demande non reconnue"));
    }
    // Other faults go back to the client with its state.
    let fault = |name: &str, value: Option<&str>| {
        let mut query: Vec<(String, String)> = request
            .query()
            .into_iter()
            .filter(|(field, _)| field != name)
            .collect();
        if let Some(value) = value {
            query.push((name.to_owned(), value.to_owned()));
        }
        query
    };
    for (query, error) in [
        (fault("code_challenge", None), "invalid_request"),
        (
            fault("code_challenge_method", Some("plain")),
            "invalid_request",
        ),
        (fault("code_challenge_method", None), "invalid_request"),
        (
            fault("code_challenge", Some("trop-court")),
            "invalid_request",
        ),
        (
            fault("response_type", Some("token")),
            "unsupported_response_type",
        ),
        (fault("scope", None), "invalid_scope"),
        (
            fault(
                "scope",
                Some("https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert"),
            ),
            "invalid_scope",
        ),
    ] {
        let answer = ob3.ask(&query, Some(&worker)).await;
        assert_eq!(answer.status, StatusCode::FOUND, "{error}: {}", answer.body);
        assert_eq!(answer.redirect_base.as_deref(), Some(REDIRECT));
        let location = answer.location.unwrap();
        assert_eq!(location["error"], error, "{query:?}");
        assert_eq!(location["state"], request.state);
    }
    let answer = ob3.ask(&fault("state", None), Some(&worker)).await;
    assert_eq!(answer.location.unwrap()["error"], "invalid_request");

    // The worker says no.
    let fields = ob3.consent_fields(&request, &worker).await;
    let answer = ob3.decide(&fields, "deny", &worker).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let location = answer.location.unwrap();
    assert_eq!(location["error"], "access_denied");
    assert_eq!(location["state"], request.state);
    assert!(!location.contains_key("code"));

    // The form's token: made for this worker and this request, ten minutes at most.
    let answer = ob3
        .decide(
            &with_field(&fields, "consent_token", "0.AAAA"),
            "approve",
            &worker,
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.location.is_none());
    let answer = ob3.decide(&fields, "approve", &other_worker).await;
    assert_eq!(
        answer.status,
        StatusCode::FORBIDDEN,
        "another worker's session"
    );
    let answer = ob3
        .decide(
            &with_field(&fields, "scope", &both_scopes()),
            "approve",
            &worker,
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::FORBIDDEN,
        "a scope the page did not ask"
    );
    let answer = ob3
        .decide(&with_field(&fields, "state", "autre"), "approve", &worker)
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let mut form = fields.clone();
    form.push(("decision".into(), "approve".into()));
    let response = ob3
        .http
        .post(ob3.url("/oauth/authorize"))
        .header(COOKIE, format!("ecusson_token={worker}"))
        .header("origin", "https://evil.exemple")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "another site's form"
    );
    offset.store(11 * 60, Ordering::SeqCst);
    let answer = ob3.decide(&fields, "approve", &worker).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "an expired page");
    assert!(answer.body.contains("Cette page a expiré"));
    offset.store(0, Ordering::SeqCst);

    // A wrong verifier, another client, another redirect URI: invalid_grant, and the code
    // still works for its own client afterwards (a failed attempt does not spend it).
    let code = ob3.authorize(&request, &worker).await;
    let (status, headers, answer) = ob3.exchange(&wallet, &code, OTHER_VERIFIER).await;
    assert_eq!(
        oauth_error(status, &headers, &answer, StatusCode::BAD_REQUEST),
        "invalid_grant"
    );
    let (status, headers, answer) = ob3.exchange(&other, &code, VERIFIER).await;
    assert_eq!(
        oauth_error(status, &headers, &answer, StatusCode::BAD_REQUEST),
        "invalid_grant"
    );
    let (status, headers, answer) = ob3
        .token_request(
            &wallet,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "http://127.0.0.1:8765/retour"),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_eq!(
        oauth_error(status, &headers, &answer, StatusCode::BAD_REQUEST),
        "invalid_grant"
    );
    let (status, missing_verifier, answer) = ob3
        .token_request(
            &wallet,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
            ],
        )
        .await;
    assert_eq!(
        oauth_error(status, &missing_verifier, &answer, StatusCode::BAD_REQUEST),
        "invalid_request"
    );
    let (status, _, tokens) = ob3.exchange(&wallet, &code, VERIFIER).await;
    assert_eq!(status, StatusCode::OK, "{tokens:#}");
    let access = tokens["access_token"].as_str().unwrap();
    let (status, headers, page) = ob3.get("/ims/ob/v3p0/credentials", Some(access)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["credential"], json!([]));
    assert_eq!(headers.get("x-total-count").unwrap(), "0");
    // The code again: refused, and the tokens issued from it are revoked.
    let (status, headers, answer) = ob3.exchange(&wallet, &code, VERIFIER).await;
    assert_eq!(
        oauth_error(status, &headers, &answer, StatusCode::BAD_REQUEST),
        "invalid_grant"
    );
    let (status, _, body) = ob3.get("/ims/ob/v3p0/credentials", Some(access)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(imsx_minor(&body), "unauthorizedrequest");
    let (status, headers, answer) = ob3
        .refresh(&wallet, tokens["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(
        oauth_error(status, &headers, &answer, StatusCode::BAD_REQUEST),
        "invalid_grant"
    );

    // A code lives a minute.
    let code = ob3.authorize(&request, &worker).await;
    offset.store(61, Ordering::SeqCst);
    let (status, headers, answer) = ob3.exchange(&wallet, &code, VERIFIER).await;
    assert_eq!(
        oauth_error(status, &headers, &answer, StatusCode::BAD_REQUEST),
        "invalid_grant"
    );
    offset.store(0, Ordering::SeqCst);
    // Unknown codes, and a token where a code is expected.
    for bad in ["inconnu", access] {
        let (status, headers, answer) = ob3.exchange(&wallet, bad, VERIFIER).await;
        assert_eq!(
            oauth_error(status, &headers, &answer, StatusCode::BAD_REQUEST),
            "invalid_grant"
        );
    }

    // An access token lives an hour.
    let tokens = ob3.tokens(&wallet, CREDENTIAL_READONLY, &worker).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        ob3.get("/ims/ob/v3p0/credentials", Some(access)).await.0,
        StatusCode::OK
    );
    offset.store(3601, Ordering::SeqCst);
    let (status, headers, body) = ob3.get("/ims/ob/v3p0/credentials", Some(access)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(imsx_minor(&body), "unauthorizedrequest");
    assert!(headers
        .get(WWW_AUTHENTICATE)
        .unwrap()
        .to_str()
        .unwrap()
        .contains("invalid_token"));
    // Its refresh token gives a new one.
    let (status, _, refreshed) = ob3
        .refresh(&wallet, tokens["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(status, StatusCode::OK, "{refreshed:#}");
    let refreshed_access = refreshed["access_token"].as_str().unwrap();
    assert_eq!(
        ob3.get("/ims/ob/v3p0/credentials", Some(refreshed_access))
            .await
            .0,
        StatusCode::OK
    );
    offset.store(0, Ordering::SeqCst);

    // Bearers that are not access tokens of ours.
    let refresh_token = refreshed["refresh_token"].as_str().unwrap();
    for (token, status) in [
        (None, StatusCode::UNAUTHORIZED),
        (Some("inconnu"), StatusCode::UNAUTHORIZED),
        (Some(refresh_token), StatusCode::UNAUTHORIZED),
        (Some(worker.as_str()), StatusCode::UNAUTHORIZED),
    ] {
        let (answered, headers, body) = ob3.get("/ims/ob/v3p0/credentials", token).await;
        assert_eq!(answered, status);
        assert_eq!(imsx_minor(&body), "unauthorizedrequest");
        assert!(headers
            .get(WWW_AUTHENTICATE)
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("Bearer"));
    }
    // The write operations are not offered.
    let response = ob3
        .http
        .post(ob3.url("/ims/ob/v3p0/credentials"))
        .bearer_auth(refreshed_access)
        .header("content-type", "text/plain")
        .body("header.payload.signature")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["imsx_codeMajor"], "unsupported");

    // Client authentication at the token endpoint: HTTP Basic, the right secret.
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    let response = ob3
        .http
        .post(ob3.url("/oauth/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response
        .headers()
        .get(WWW_AUTHENTICATE)
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("Basic"));
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );
    let wrong = Registered {
        secret: "faux".into(),
        ..wallet.clone()
    };
    let (status, headers, answer) = ob3.token_request(&wrong, &form).await;
    assert_eq!(
        oauth_error(status, &headers, &answer, StatusCode::UNAUTHORIZED),
        "invalid_client"
    );
    let response = ob3
        .http
        .post(ob3.url("/oauth/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", &wallet.client_id),
            ("client_secret", &wallet.secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "client_secret_post is not allowed"
    );
    // A refresh token of one client is not another's.
    let (status, headers, answer) = ob3.refresh(&other, refresh_token).await;
    assert_eq!(
        oauth_error(status, &headers, &answer, StatusCode::BAD_REQUEST),
        "invalid_grant"
    );
    let (status, headers, answer) = ob3
        .token_request(&wallet, &[("grant_type", "password")])
        .await;
    assert_eq!(
        oauth_error(status, &headers, &answer, StatusCode::BAD_REQUEST),
        "unsupported_grant_type"
    );
    let (status, headers, answer) = ob3.token_request(&wallet, &[("code", "x")]).await;
    assert_eq!(
        oauth_error(status, &headers, &answer, StatusCode::BAD_REQUEST),
        "invalid_request"
    );
    // And the refresh token, used by its own client, still works: none of the above spent it.
    assert_eq!(ob3.refresh(&wallet, refresh_token).await.0, StatusCode::OK);
    api.stop().await;
}

crate::on_both_backends!(
    discovery_and_registration,
    an_earner_shares_their_latest_credentials_and_profile,
    codes_and_tokens_are_refused_when_they_should_be,
);
