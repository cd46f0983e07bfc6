//! The brochure's whole workflow through the GraphQL API, over real HTTP, on SQLite and on
//! PostgreSQL: the network publishes its catalogue, structures adopt badge classes with their
//! own criteria, workers request badges in each mode, an evaluator and a pooled committee
//! decide, evidence, recommendations and endorsements enrich the badges, a badge is revoked
//! and a worker leaves the pathway. Then the server stops, a new one starts on the same
//! database, and every answer is the same and the read models equal a fresh rebuild.

use crate::helpers::{postgres_store, sqlite_store, TestStore};
use ecusson_api::auth::{mint_dev_token, AuthSettings, Authenticator, DevSecret};
use ecusson_api::{serve_on, ApiContext, ServerState};
use ecusson_app::credentials::PublicSite;
use ecusson_app::Ledger;
use ecusson_domain::{PersonId, Role, TenantId};
use ecusson_projections::{EngineSettings, ProjectionEngine, ProjectionSelection};
use ecusson_store::{connect, DatabaseUrl, EventStore, StreamId, Vault, VaultKey};
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::{watch, Notify};

/// A running API: the HTTP server and the projection runners of one "process".
pub struct RunningApi {
    pub base: String,
    pub ledger: Ledger,
    pub vault: Vault,
    pub site: PublicSite,
    pub engine: ProjectionEngine,
    pub store: Arc<dyn EventStore>,
    server: actix_web::dev::ServerHandle,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
    stop_runners: watch::Sender<bool>,
    runner: tokio::task::JoinHandle<Result<(), ecusson_projections::ProjectionError>>,
}

impl RunningApi {
    /// Opens the database at `url` with a pool of its own (as a new process would), starts
    /// the projection runners and the server on a free port of 127.0.0.1.
    pub async fn start(url: &str, vault_key: &VaultKey, secret: &DevSecret) -> Self {
        Self::start_with_clock(url, vault_key, secret, Arc::new(chrono::Utc::now)).await
    }

    /// [`Self::start`] with the ledger's clock given: commands are decided at its time.
    pub async fn start_with_clock(
        url: &str,
        vault_key: &VaultKey,
        secret: &DevSecret,
        clock: ecusson_app::Clock,
    ) -> Self {
        let stores = connect(&DatabaseUrl::parse(url).expect("a database URL"))
            .await
            .expect("open the database");
        let store = stores.events.clone();
        let engine =
            ProjectionEngine::new(store.clone(), EngineSettings::for_backend(stores.backend));
        let wake = Arc::new(Notify::new());
        let (stop_runners, stopped) = watch::channel(false);
        let runner = engine.spawn(wake.clone(), stopped);
        let ledger = Ledger::with_clock(store.clone(), clock);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let address = listener.local_addr().expect("the bound address");
        let vault = Vault::new(store.clone(), vault_key.clone());
        let site = PublicSite::new(&format!("http://{address}")).expect("a public address");
        let context = ApiContext {
            ledger: ledger.clone(),
            engine: engine.clone(),
            wake,
            vault: vault.clone(),
            site: site.clone(),
        };
        let authenticator = Authenticator::new(AuthSettings::development(secret.clone()))
            .await
            .expect("development authentication");
        let (server, address) = serve_on(ServerState::new(context, authenticator), listener)
            .expect("serve on the bound port");
        let handle = server.handle();
        let served = tokio::spawn(server);
        Self {
            base: format!("http://{address}"),
            ledger,
            vault,
            site,
            engine,
            store,
            server: handle,
            served,
            stop_runners,
            runner,
        }
    }

    /// Waits until the read models include everything appended to `tenants` so far.
    pub async fn caught_up(&self, tenants: &[TenantId]) {
        for tenant in tenants {
            if let Some(head) = self.store.tenant_head(*tenant).await.expect("head") {
                assert!(
                    self.engine
                        .wait_until_applied(*tenant, head.seq, std::time::Duration::from_secs(10))
                        .await
                        .expect("projections"),
                    "the read models did not reach {tenant}'s head"
                );
            }
        }
    }

    /// Stops gracefully: the server first (in-flight requests finish), then the runners.
    pub async fn stop(self) {
        self.server.stop(true).await;
        self.served
            .await
            .expect("the server task")
            .expect("the server ran");
        self.stop_runners.send(true).expect("runners listen");
        self.runner
            .await
            .expect("runner task")
            .expect("runner stopped cleanly");
    }
}

/// A GraphQL client with development tokens.
pub struct Client {
    http: reqwest::Client,
    pub base: String,
    secret: DevSecret,
}

impl Client {
    pub fn new(base: &str, secret: &DevSecret) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: base.to_owned(),
            secret: secret.clone(),
        }
    }

    pub fn token(&self, tenant: TenantId, roles: &[Role], person: PersonId) -> String {
        mint_dev_token(
            &self.secret,
            AuthSettings::DEFAULT_ISSUER,
            AuthSettings::DEFAULT_AUDIENCE,
            tenant,
            roles,
            person,
            chrono::Duration::hours(1),
        )
        .expect("mint a development token")
    }

    /// The whole answer.
    pub async fn call(&self, token: &str, query: &str, variables: Value) -> Value {
        self.http
            .post(format!("{}/graphql", self.base))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("the server answers")
            .json()
            .await
            .expect("a JSON answer")
    }

    /// `data`, after checking there is no error.
    pub async fn data(&self, token: &str, query: &str, variables: Value) -> Value {
        let answer = self.call(token, query, variables).await;
        assert!(answer.get("errors").is_none(), "{query}\n{answer:#}");
        answer["data"].clone()
    }

    /// The error code of an answer that must fail.
    pub async fn error(&self, token: &str, query: &str, variables: Value) -> String {
        let answer = self.call(token, query, variables).await;
        answer["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("expected an error: {query}\n{answer:#}"))
            .to_owned()
    }
}

/// A person of the world: their id, tenant and token.
#[derive(Clone)]
pub struct Person {
    pub id: PersonId,
    pub token: String,
}

impl Person {
    fn new(client: &Client, tenant: TenantId, roles: &[Role]) -> Self {
        let id = PersonId::new();
        Self {
            id,
            token: client.token(tenant, roles, id),
        }
    }

    pub fn id(&self) -> String {
        self.id.to_string()
    }
}

/// Everything the workflow created, for the checks after it.
pub struct World {
    pub network: TenantId,
    /// The network admin's token.
    pub admin_token: String,
    /// Decides systematically.
    pub first: TenantId,
    /// Its requests go to the pooled committee, which serves `third` too.
    pub second: TenantId,
    pub third: TenantId,
    pub first_admin: Person,
    pub counsellor: Person,
    pub supervisor: Person,
    pub director: Person,
    pub second_counsellor: Person,
    pub member_in_second: Person,
    pub member_in_third: Person,
    pub recommender: Person,
    pub workers: Vec<Person>,
    pub committee_worker: Person,
    pub class: String,
    pub pathway: String,
    pub committee: String,
    pub endorser: String,
    /// Of the class, still active.
    pub endorsement: String,
    /// The first worker's award, recommended and enriched.
    pub award: String,
    /// A request of the second worker that nobody has decided yet.
    pub pending_request: String,
    /// Decided by the pooled committee.
    pub committee_request: String,
    /// Asked of `recommender`, given.
    pub recommendation: String,
    /// The position of the last write: reads wait for it.
    pub last: i64,
}

fn last_sequence(payload: &Value) -> i64 {
    payload["outcome"]["position"]["lastSequence"]
        .as_i64()
        .unwrap_or_else(|| panic!("a position: {payload:#}"))
}

const CRITERION: &str = r#"{criterion: "a passé la période d'essai", evidence: "copie du contrat, données personnelles masquées", evaluatorRoles: [DIRECTION, TECHNICAL_SUPERVISOR], process: "demande avec le ou la conseiller·ère après le renouvellement"}"#;

const REQUEST: &str = "mutation($input: RequestBadgeInput!) { requestBadge(input: $input) { request { requestId state route mode counsellorId committeeId evidence { kind content } } award { awardId state } outcome { eventTypes position { lastSequence } } } }";
const DECIDE: &str = "mutation($input: DecideRequestInput!) { decideRequest(input: $input) { request { state } award { awardId state } outcome { eventTypes position { lastSequence } } } }";
const VOTE: &str = "mutation($input: CastCommitteeVoteInput!) { castCommitteeVote(input: $input) { request { state votesFor votesAgainst } award { awardId state } outcome { eventTypes position { lastSequence } } } }";

/// Runs the brochure on a fresh server and returns what it made.
pub async fn brochure(client: &Client) -> World {
    let network = TenantId::new();
    let (first, second, third) = (TenantId::new(), TenantId::new(), TenantId::new());
    let admin = Person::new(client, network, &[Role::NetworkAdmin]);

    // The network, its structures and its catalogue.
    client
        .data(&admin.token, r#"mutation { registerNetwork(input: {name: "Réseau Nouvelle-Aquitaine"}) { networkId } }"#, json!({}))
        .await;
    let mut admitted = 0;
    for (structure, kind, name) in [
        (first, "ACI", "Atelier du Fleuve"),
        (second, "EI", "Entreprise des Coteaux"),
        (third, "AI", "Association du Bassin"),
    ] {
        let answer = client
            .data(
                &admin.token,
                &format!("mutation($id: ID!) {{ admitStructure(input: {{structureId: $id, kind: {kind}, name: \"{name}\"}}) {{ structure {{ structureId }} outcome {{ position {{ lastSequence }} }} }} }}"),
                json!({"id": structure.to_string()}),
            )
            .await;
        admitted = last_sequence(&answer["admitStructure"]);
    }
    // A structure finds its network in the directory, a read model: the structures adopt
    // badge classes below only once it has them.
    client
        .data(
            &admin.token,
            "query($at: Int) { structures(atLeast: $at) { structureId } }",
            json!({"at": admitted}),
        )
        .await;
    let pathway = client
        .data(&admin.token, r#"mutation { definePathway(input: {rank: 1, name: "Découvrir le monde du travail", description: "Premiers pas"}) { pathwayId } }"#, json!({}))
        .await["definePathway"]["pathwayId"]
        .as_str()
        .unwrap()
        .to_owned();
    let publish = "mutation($input: PublishBadgeClassInput!) { publishBadgeClass(input: $input) { badgeClassId revision } }";
    let content = |name: &str, validity: Option<i32>| {
        json!({
            "pathwayId": pathway,
            "name": name,
            "description": "Savoir se présenter et tenir un poste",
            "skillType": "SAVOIR_ETRE",
            "criteriaNarrative": "Les critères de la structure",
            "expectedEvidence": "Une attestation",
            "imageRef": "sha256:00",
            "validityMonths": validity,
        })
    };
    let class = client
        .data(
            &admin.token,
            publish,
            json!({"input": {"content": content("Respecter les horaires", Some(24))}}),
        )
        .await["publishBadgeClass"]["badgeClassId"]
        .as_str()
        .unwrap()
        .to_owned();
    let supporter_class = client
        .data(&admin.token, publish, json!({"input": {"content": content("Soutien du réseau", None), "automaticValidation": true}}))
        .await["publishBadgeClass"]["badgeClassId"]
        .as_str()
        .unwrap()
        .to_owned();

    // Staff, who hold their roles in their tokens; the rosters record them.
    let first_admin = Person::new(client, first, &[Role::StructureAdmin]);
    let counsellor = Person::new(client, first, &[Role::Counsellor]);
    let supervisor = Person::new(client, first, &[Role::TechnicalSupervisor]);
    let director = Person::new(client, first, &[Role::Direction]);
    let second_admin = Person::new(client, second, &[Role::StructureAdmin]);
    let second_counsellor = Person::new(client, second, &[Role::Counsellor]);
    let member_in_second = Person::new(client, second, &[Role::CommitteeMember]);
    let member_in_third = Person::new(client, third, &[Role::CommitteeMember]);
    let other_member = Person::new(client, third, &[Role::CommitteeMember]);
    let appoint = "mutation($person: ID!, $roles: [Role!]!) { appointStaff(input: {personId: $person, roles: $roles}) { member { personId } } }";
    for (boss, person, role) in [
        (&first_admin, &counsellor, "COUNSELLOR"),
        (&first_admin, &supervisor, "TECHNICAL_SUPERVISOR"),
        (&first_admin, &director, "DIRECTION"),
        (&second_admin, &second_counsellor, "COUNSELLOR"),
        (&second_admin, &member_in_second, "COMMITTEE_MEMBER"),
    ] {
        client
            .data(
                &boss.token,
                appoint,
                json!({"person": person.id(), "roles": [role]}),
            )
            .await;
    }

    // Committees: one pooled between the second and third structures, quorum 2.
    let committee = client
        .data(
            &admin.token,
            "mutation($structures: [ID!]!, $members: [ID!]!) { formCommittee(input: {structureIds: $structures, memberIds: $members, quorum: 2}) { committee { committeeId quorum } } }",
            json!({"structures": [second.to_string(), third.to_string()], "members": [member_in_second.id(), member_in_third.id(), other_member.id()]}),
        )
        .await["formCommittee"]["committee"]["committeeId"]
        .as_str()
        .unwrap()
        .to_owned();

    // Step 1: each structure adopts the class with its own criterion and validation mode.
    for (boss, mode) in [(&first_admin, "SYSTEMATIC"), (&second_admin, "COMMITTEE")] {
        client
            .data(
                &boss.token,
                &format!("mutation($class: ID!) {{ adoptBadgeClass(input: {{badgeClassId: $class, criterion: {CRITERION}}}) {{ adopted }} }}"),
                json!({"class": class}),
            )
            .await;
        let committee_id = (mode == "COMMITTEE").then(|| committee.clone());
        let set = client
            .data(
                &boss.token,
                "mutation($class: ID!, $mode: ValidationMode!, $committee: ID) { setValidationMode(input: {badgeClassId: $class, mode: $mode, committeeId: $committee}) { validation { mode committeeId } } }",
                json!({"class": class, "mode": mode, "committee": committee_id}),
            )
            .await;
        assert_eq!(set["setValidationMode"]["validation"]["mode"], mode);
    }
    let revised = client
        .data(
            &first_admin.token,
            "mutation($class: ID!) { reviseCriterion(input: {badgeClassId: $class, criterion: {criterion: \"a tenu ses horaires trois mois\", evidence: \"relevé d'heures\", evaluatorRoles: [DIRECTION, TECHNICAL_SUPERVISOR], process: \"bilan mensuel\"}}) { adopted outcome { eventTypes } } }",
            json!({"class": class}),
        )
        .await;
    assert_eq!(
        revised["reviseCriterion"]["outcome"]["eventTypes"],
        json!(["adoption.criterion_revised"])
    );

    // Step 2: accounts. Workers are enrolled by their counsellor.
    let enrol = "mutation($id: ID!) { enrolWorker(input: {earnerId: $id, enrolledOn: \"2026-09-01\"}) { earnerId } }";
    let workers: Vec<Person> = (0..3)
        .map(|_| Person::new(client, first, &[Role::Earner]))
        .collect();
    for worker in &workers {
        client
            .data(&counsellor.token, enrol, json!({"id": worker.id()}))
            .await;
    }
    let committee_worker = Person::new(client, second, &[Role::Earner]);
    client
        .data(
            &second_counsellor.token,
            enrol,
            json!({"id": committee_worker.id()}),
        )
        .await;

    // Step 3: requests in each mode.
    let pair = client
        .data(
            &counsellor.token,
            REQUEST,
            json!({"input": {"earnerId": workers[0].id(), "badgeClassId": class, "mode": "PAIR", "counsellorId": counsellor.id(),
                "evidence": [{"kind": "NARRATIVE", "content": "Trois mois sans retard, d'après le tuteur."}]}}),
        )
        .await["requestBadge"]
        .clone();
    assert_eq!(pair["request"]["state"], "PENDING");
    assert_eq!(pair["request"]["route"], "EVALUATOR");
    assert_eq!(pair["request"]["counsellorId"], counsellor.id());
    assert_eq!(
        pair["request"]["evidence"],
        json!([{"kind": "NARRATIVE", "content": "Trois mois sans retard, d'après le tuteur."}])
    );
    assert_eq!(
        pair["outcome"]["eventTypes"],
        json!(["earner.badge_requested"])
    );
    let workshop = client
        .data(
            &supervisor.token,
            REQUEST,
            json!({"input": {"earnerId": workers[1].id(), "badgeClassId": class, "mode": "COLLECTIVE_WORKSHOP"}}),
        )
        .await["requestBadge"]
        .clone();
    let alone = client
        .data(
            &workers[2].token,
            REQUEST,
            json!({"input": {"badgeClassId": class, "mode": "INDIVIDUAL",
                "evidence": [{"kind": "LINK", "content": "https://exemple.fr/attestation"}]}}),
        )
        .await["requestBadge"]
        .clone();
    assert_eq!(alone["request"]["mode"], "INDIVIDUAL");

    // Step 4: systematic validation by an evaluator who did not make the request.
    let approve = json!({"code": "CRITERIA_MET"});
    let decided = client
        .data(
            &director.token,
            DECIDE,
            json!({"input": {"earnerId": workers[0].id(), "requestId": pair["request"]["requestId"], "verdict": "APPROVE", "reason": approve}}),
        )
        .await["decideRequest"]
        .clone();
    assert_eq!(decided["request"]["state"], "APPROVED");
    assert_eq!(decided["award"]["state"], "ACTIVE");
    assert_eq!(
        decided["outcome"]["eventTypes"],
        json!(["earner.request_approved", "earner.badge_awarded"])
    );
    let first_award = decided["award"]["awardId"].as_str().unwrap().to_owned();
    // The supervisor made the workshop request: someone else decides it.
    assert_eq!(
        client
            .error(&supervisor.token, DECIDE, json!({"input": {"earnerId": workers[1].id(), "requestId": workshop["request"]["requestId"], "verdict": "REFUSE", "reason": {"code": "EVIDENCE_INSUFFICIENT"}}}))
            .await,
        "FORBIDDEN"
    );
    let refused = client
        .data(
            &director.token,
            DECIDE,
            json!({"input": {"earnerId": workers[1].id(), "requestId": workshop["request"]["requestId"], "verdict": "REFUSE",
                "reason": {"code": "EVIDENCE_INSUFFICIENT", "note": "Revenir avec le relevé d'heures."}}}),
        )
        .await["decideRequest"]
        .clone();
    assert_eq!(refused["request"]["state"], "REFUSED");
    assert!(refused["award"].is_null());
    let third_award = client
        .data(
            &supervisor.token,
            DECIDE,
            json!({"input": {"earnerId": workers[2].id(), "requestId": alone["request"]["requestId"], "verdict": "APPROVE", "reason": approve}}),
        )
        .await["decideRequest"]["award"]["awardId"]
        .as_str()
        .unwrap()
        .to_owned();

    // A refused worker asks again, then withdraws the request.
    let again = client
        .data(
            &workers[1].token,
            REQUEST,
            json!({"input": {"badgeClassId": class, "mode": "INDIVIDUAL"}}),
        )
        .await["requestBadge"]
        .clone();
    let withdrawn = client
        .data(
            &workers[1].token,
            "mutation($input: WithdrawRequestInput!) { withdrawRequest(input: $input) { request { state } } }",
            json!({"input": {"requestId": again["request"]["requestId"], "reason": {"code": "REQUESTED_BY_EARNER"}}}),
        )
        .await;
    assert_eq!(
        withdrawn["withdrawRequest"]["request"]["state"],
        "WITHDRAWN"
    );

    // Committee validation: a pair request in the second structure, decided by the pooled
    // committee; a member from the third structure sees it on the agenda.
    let committee_request = client
        .data(
            &second_counsellor.token,
            REQUEST,
            json!({"input": {"earnerId": committee_worker.id(), "badgeClassId": class, "mode": "PAIR", "counsellorId": second_counsellor.id(),
                "evidence": [{"kind": "DOCUMENT", "content": "Attestation de l'employeur"}]}}),
        )
        .await["requestBadge"]
        .clone();
    assert_eq!(committee_request["request"]["route"], "COMMITTEE");
    assert_eq!(
        committee_request["request"]["committeeId"],
        committee.as_str()
    );
    let request_id = committee_request["request"]["requestId"].clone();
    let agenda = client
        .data(
            &member_in_third.token,
            "{ committeeAgenda(fresh: true) { committee { committeeId } requests(first: 10) { edges { node { requestId earnerId evidence { kind content } } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        agenda["committeeAgenda"][0]["committee"]["committeeId"],
        committee.as_str()
    );
    assert_eq!(
        agenda["committeeAgenda"][0]["requests"]["edges"][0]["node"]["requestId"],
        request_id
    );
    // The members who decide see the evidence, from the worker's vault in the other structure.
    assert_eq!(
        agenda["committeeAgenda"][0]["requests"]["edges"][0]["node"]["evidence"],
        json!([{"kind": "DOCUMENT", "content": "Attestation de l'employeur"}])
    );
    let first_vote = client
        .data(
            &member_in_second.token,
            VOTE,
            json!({"input": {"requestId": request_id, "vote": "APPROVE"}}),
        )
        .await["castCommitteeVote"]
        .clone();
    assert_eq!(first_vote["request"]["state"], "PENDING");
    assert_eq!(
        first_vote["outcome"]["eventTypes"],
        json!(["earner.committee_vote_cast"])
    );
    // One vote each.
    assert_eq!(
        client
            .error(
                &member_in_second.token,
                VOTE,
                json!({"input": {"requestId": request_id, "vote": "APPROVE"}})
            )
            .await,
        "CONFLICT"
    );
    let quorum_vote = client
        .data(
            &member_in_third.token,
            VOTE,
            json!({"input": {"requestId": request_id, "vote": "APPROVE"}}),
        )
        .await["castCommitteeVote"]
        .clone();
    assert_eq!(quorum_vote["request"]["state"], "APPROVED");
    assert_eq!(quorum_vote["request"]["votesFor"], 2);
    assert_eq!(quorum_vote["award"]["state"], "ACTIVE");

    // Enrichment: evidence on the award, a recommendation given and one declined.
    let added = client
        .data(
            &workers[0].token,
            "mutation($input: AddEvidenceInput!) { addEvidence(input: $input) { evidence { kind content } } }",
            json!({"input": {"awardId": first_award, "evidence": {"kind": "PHOTO", "content": "Photo du planning tenu"}}}),
        )
        .await;
    assert_eq!(
        added["addEvidence"]["evidence"]["content"],
        "Photo du planning tenu"
    );
    let host = client
        .data(&admin.token, r#"mutation { registerOrganisation(input: {kind: HOST_COMPANY, name: "Menuiserie Durand"}) { organisationId } }"#, json!({}))
        .await["registerOrganisation"]["organisationId"]
        .clone();
    let recommender = Person::new(client, first, &[Role::Recommender]);
    let ask = "mutation($input: AskRecommendationInput!) { askRecommendation(input: $input) { recommendation { recommendationId status } } }";
    let asked = client
        .data(
            &workers[0].token,
            ask,
            json!({"input": {"awardId": first_award, "recommenderId": recommender.id(), "organisationId": host, "recommenderEmail": "tuteur@menuiserie-durand.fr"}}),
        )
        .await["askRecommendation"]["recommendation"]
        .clone();
    assert_eq!(asked["status"], "ASKED");
    let given = client
        .data(
            &recommender.token,
            "mutation($input: GiveRecommendationInput!) { giveRecommendation(input: $input) { recommendation { status testimony } } }",
            json!({"input": {"earnerId": workers[0].id(), "awardId": first_award, "recommendationId": asked["recommendationId"], "organisationId": host,
                "testimony": "Toujours à l'heure, fiable avec l'équipe."}}),
        )
        .await["giveRecommendation"]["recommendation"]
        .clone();
    assert_eq!(
        given,
        json!({"status": "GIVEN", "testimony": "Toujours à l'heure, fiable avec l'équipe."})
    );
    let busy = Person::new(client, first, &[Role::Recommender]);
    let asked_busy = client
        .data(
            &counsellor.token,
            ask,
            json!({"input": {"earnerId": workers[0].id(), "awardId": first_award, "recommenderId": busy.id(), "recommenderEmail": "chef@exemple.fr"}}),
        )
        .await["askRecommendation"]["recommendation"]["recommendationId"]
        .clone();
    let declined = client
        .data(
            &busy.token,
            "mutation($input: DeclineRecommendationInput!) { declineRecommendation(input: $input) { recommendation { status } } }",
            json!({"input": {"earnerId": workers[0].id(), "recommendationId": asked_busy}}),
        )
        .await;
    assert_eq!(
        declined["declineRecommendation"]["recommendation"]["status"],
        "DECLINED"
    );

    // Endorsements: of the issuer and of the badge class; one is withdrawn.
    let endorser = client
        .data(&admin.token, r#"mutation { registerOrganisation(input: {kind: ENDORSING_ORGANISATION, name: "Fédération régionale"}) { organisationId } }"#, json!({}))
        .await["registerOrganisation"]["organisationId"]
        .as_str()
        .unwrap()
        .to_owned();
    let endorse = "mutation($input: EndorseInput!) { endorse(input: $input) { endorsementId active outcome { eventTypes } } }";
    let of_issuer = client
        .data(
            &admin.token,
            endorse,
            json!({"input": {"organisationId": endorser, "statement": "Un réseau sérieux."}}),
        )
        .await["endorse"]
        .clone();
    assert_eq!(
        of_issuer["outcome"]["eventTypes"],
        json!(["network.issuer_endorsed"])
    );
    let of_class = client
        .data(&admin.token, endorse, json!({"input": {"organisationId": endorser, "badgeClassId": class, "statement": "Ce badge atteste une vraie compétence."}}))
        .await["endorse"]
        .clone();
    assert_eq!(of_class["active"], true);
    let withdrawn_endorsement = client
        .data(
            &admin.token,
            "mutation($id: ID!) { withdrawEndorsement(input: {endorsementId: $id}) { active } }",
            json!({"id": of_issuer["endorsementId"]}),
        )
        .await;
    assert_eq!(
        withdrawn_endorsement["withdrawEndorsement"]["active"],
        false
    );

    // Revocation, then the supporter badge of a network supporter, then an exit.
    let revoked = client
        .data(
            &first_admin.token,
            "mutation($input: RevokeBadgeInput!) { revokeBadge(input: $input) { award { state } } }",
            json!({"input": {"earnerId": workers[2].id(), "awardId": third_award, "reason": {"code": "ISSUED_IN_ERROR", "note": "Attribué au mauvais dossier."}}}),
        )
        .await;
    assert_eq!(revoked["revokeBadge"]["award"]["state"], "REVOKED");
    let supporter = Person::new(client, network, &[Role::Earner]);
    client
        .data(&supporter.token, enrol, json!({"id": supporter.id()}))
        .await;
    let supported = client
        .data(
            &supporter.token,
            REQUEST,
            json!({"input": {"badgeClassId": supporter_class, "mode": "INDIVIDUAL"}}),
        )
        .await["requestBadge"]
        .clone();
    assert_eq!(supported["request"]["route"], "AUTOMATIC");
    assert_eq!(supported["award"]["state"], "ACTIVE");
    let exit = client
        .data(
            &counsellor.token,
            "mutation($input: RecordPathwayExitInput!) { recordPathwayExit(input: $input) { earner { exit { outcome exitedOn } } outcome { position { lastSequence } } } }",
            json!({"input": {"earnerId": workers[0].id(), "outcome": "DURABLE_EMPLOYMENT", "exitedOn": "2026-11-20"}}),
        )
        .await["recordPathwayExit"]
        .clone();
    assert_eq!(
        exit["earner"]["exit"],
        json!({"outcome": "DURABLE_EMPLOYMENT", "exitedOn": "2026-11-20"})
    );
    let pending = client
        .data(
            &workers[1].token,
            REQUEST,
            json!({"input": {"badgeClassId": class, "mode": "INDIVIDUAL"}}),
        )
        .await["requestBadge"]
        .clone();
    let last = last_sequence(&pending);
    let text = |value: &Value| value.as_str().unwrap().to_owned();

    World {
        network,
        admin_token: admin.token.clone(),
        first,
        second,
        third,
        first_admin,
        counsellor,
        supervisor,
        director,
        second_counsellor,
        member_in_second,
        member_in_third,
        recommender,
        workers,
        committee_worker,
        class,
        pathway,
        committee,
        endorser,
        endorsement: text(&of_class["endorsementId"]),
        award: first_award,
        pending_request: text(&pending["request"]["requestId"]),
        committee_request: text(&request_id),
        recommendation: text(&asked["recommendationId"]),
        last,
    }
}

const EARNER: &str = "query($id: ID, $at: Int) { earner(earnerId: $id, atLeast: $at) { earnerId enrolledOn exit { outcome exitedOn } requests { requestId state mode route evidence { kind content } awardId } awards { awardId state evidence { kind content } } recommendations { status testimony recommenderId } history(first: 100) { edges { cursor node { eventType requestId awardId summary } } pageInfo { hasNextPage } } } }";
const QUEUE: &str = "query($at: Int, $pathway: ID) { requestQueue(atLeast: $at, first: 100, pathwayId: $pathway) { edges { cursor node { requestId earnerId state mode route awardState votesFor } } } }";

/// What the read side shows of the world: compared before and after a restart.
async fn read_side(client: &Client, world: &World) -> Value {
    let at = json!(world.last);
    let mut answers = Vec::new();
    for worker in &world.workers {
        answers.push(
            client
                .data(
                    &world.counsellor.token,
                    EARNER,
                    json!({"id": worker.id(), "at": at}),
                )
                .await,
        );
    }
    answers.push(
        client
            .data(
                &world.first_admin.token,
                QUEUE,
                json!({"at": at, "pathway": world.pathway}),
            )
            .await,
    );
    answers.push(
        client
            .data(
                &world.second_counsellor.token,
                EARNER,
                json!({"id": world.committee_worker.id()}),
            )
            .await,
    );
    Value::Array(answers)
}

async fn the_brochure_through_http(test_store: TestStore) {
    let url = test_store.url.clone();
    let secret = DevSecret::generate();
    let vault_key = VaultKey::generate();
    let api = RunningApi::start(&url, &vault_key, &secret).await;
    let client = Client::new(&api.base, &secret);
    let world = brochure(&client).await;

    // The worker sees their own record; the history shows every step in order.
    let own = client
        .data(&world.workers[0].token, EARNER, json!({"at": world.last}))
        .await["earner"]
        .clone();
    assert_eq!(own["exit"]["outcome"], "DURABLE_EMPLOYMENT");
    assert_eq!(
        own["awards"][0]["evidence"][0]["content"],
        "Photo du planning tenu"
    );
    let steps: Vec<&str> = own["history"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["eventType"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "earner.badge_requested",
            "earner.request_approved",
            "earner.badge_awarded",
            "earner.evidence_added",
            "earner.recommendation_asked",
            "earner.recommendation_given",
            "earner.recommendation_asked",
            "earner.recommendation_declined",
        ]
    );
    // Each summary is answered as a JSON object (not as text), with its ids, codes and counts.
    let summaries: Vec<&Value> = own["history"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| &edge["node"]["summary"])
        .collect();
    assert!(
        summaries.iter().all(|summary| summary.is_object()),
        "{summaries:?}"
    );
    assert!(
        summaries[0]["evidence_count"].is_u64(),
        "{:?}",
        summaries[0]
    );
    assert!(
        summaries[0]["badge_class_id"].is_string(),
        "{:?}",
        summaries[0]
    );
    assert_eq!(
        summaries[2]["badge_class_id"],
        summaries[0]["badge_class_id"]
    );
    assert!(summaries[2]["expires"].is_boolean(), "{:?}", summaries[2]);
    assert!(
        summaries[1]["decided_by"]["kind"].is_string(),
        "{:?}",
        summaries[1]
    );
    let history_text = own["history"].to_string();
    assert!(
        !history_text.contains("Toujours à l'heure") && !history_text.contains("menuiserie"),
        "the history read model holds no personal data: {history_text}"
    );
    // A worker does not see another worker's record, even by id.
    assert_eq!(
        client
            .error(
                &world.workers[0].token,
                EARNER,
                json!({"id": world.workers[1].id()})
            )
            .await,
        "NOT_FOUND"
    );
    // The queue of the first structure, filtered by pathway, holds its four requests.
    let queue = client
        .data(
            &world.first_admin.token,
            QUEUE,
            json!({"at": world.last, "pathway": world.pathway}),
        )
        .await;
    let states: Vec<(&str, &str)> = queue["requestQueue"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| {
            (
                edge["node"]["state"].as_str().unwrap(),
                edge["node"]["awardState"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("APPROVED", "ACTIVE"),
            ("REFUSED", "-"),
            ("APPROVED", "REVOKED"),
            ("WITHDRAWN", "-"),
            ("PENDING", "-"),
        ]
    );

    let before = read_side(&client, &world).await;
    let log_before = api.store.tenant_head(world.first).await.expect("head");
    api.stop().await;

    // A new process on the same database: nothing lost, the same answers, and read models
    // equal to a rebuild from the log.
    let api = RunningApi::start(&url, &vault_key, &secret).await;
    let client = Client::new(&api.base, &secret);
    assert_eq!(
        api.store.tenant_head(world.first).await.expect("head"),
        log_before
    );
    let after = read_side(&client, &world).await;
    assert_eq!(before, after);
    api.engine
        .catch_up(ProjectionSelection::All)
        .await
        .expect("caught up");
    let mut live = Vec::new();
    for name in api.engine.projection_names() {
        live.push(api.engine.checksum(name).await.expect("checksum"));
    }
    api.engine
        .rebuild(ProjectionSelection::All, &mut |_, _| {})
        .await
        .expect("rebuild");
    for (name, checksum) in api.engine.projection_names().into_iter().zip(live) {
        assert_eq!(
            api.engine.checksum(name).await.expect("checksum"),
            checksum,
            "{name} after a restart equals its rebuild"
        );
    }
    api.stop().await;
    drop(test_store);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_brochure_through_http_on_sqlite() {
    the_brochure_through_http(sqlite_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_brochure_through_http_on_postgres() {
    the_brochure_through_http(postgres_store().await).await;
}

/// A request is decided on the log as it stands, though the server holds the badge class, the
/// adoption and the worker's record in memory from the requests before: once the network has
/// retired the class, the next request is refused, and nothing of it is written. Retired
/// through the same server (which then reads before trusting what it holds), or, `elsewhere`,
/// through a second server on the same database (another node: the first decides on what it
/// holds, its append is refused because the network's shared streams moved, and it decides
/// again on a fresh read).
async fn a_request_sees_a_change_made_since_the_server_held_its_inputs(
    test_store: TestStore,
    elsewhere: bool,
) {
    let secret = DevSecret::generate();
    let vault_key = VaultKey::generate();
    let api = RunningApi::start(&test_store.url, &vault_key, &secret).await;
    let client = Client::new(&api.base, &secret);
    let world = brochure(&client).await;
    let worker = Person::new(&client, world.first, &[Role::Earner]);
    client
        .data(
            &world.counsellor.token,
            "mutation($id: ID!) { enrolWorker(input: {earnerId: $id, enrolledOn: \"2026-09-01\"}) { earnerId } }",
            json!({"id": worker.id()}),
        )
        .await;
    // A request and its withdrawal: the server now holds the class, its adoption and the
    // worker's record as they stand.
    let request = json!({"input": {"badgeClassId": world.class, "mode": "INDIVIDUAL"}});
    let first = client.data(&worker.token, REQUEST, request.clone()).await["requestBadge"].clone();
    assert_eq!(first["request"]["state"], "PENDING");
    client
        .data(
            &worker.token,
            "mutation($input: WithdrawRequestInput!) { withdrawRequest(input: $input) { request { state } } }",
            json!({"input": {"requestId": first["request"]["requestId"], "reason": {"code": "REQUESTED_BY_EARNER"}}}),
        )
        .await;
    let record = StreamId::parse(format!("earner-{}", worker.id())).unwrap();
    let version = api
        .store
        .stream_version(world.first, &record)
        .await
        .unwrap();

    let other = match elsewhere {
        true => Some(RunningApi::start(&test_store.url, &vault_key, &secret).await),
        false => None,
    };
    Client::new(&other.as_ref().unwrap_or(&api).base, &secret)
        .data(
            &world.admin_token,
            "mutation($c: ID!) { retireBadgeClass(input: {badgeClassId: $c}) { retired } }",
            json!({"c": world.class}),
        )
        .await;
    let answer = client.call(&worker.token, REQUEST, request).await;
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "CONFLICT",
        "{answer:#}"
    );
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("retired"),
        "{answer:#}"
    );
    assert_eq!(
        api.store
            .stream_version(world.first, &record)
            .await
            .unwrap(),
        version
    );
    if let Some(other) = other {
        other.stop().await;
    }
    api.stop().await;
    drop(test_store);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_sees_a_change_made_since_the_server_held_its_inputs_on_sqlite() {
    a_request_sees_a_change_made_since_the_server_held_its_inputs(sqlite_store().await, false)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_sees_a_change_made_since_the_server_held_its_inputs_on_postgres() {
    a_request_sees_a_change_made_since_the_server_held_its_inputs(postgres_store().await, false)
        .await;
}

/// Two API nodes on one PostgreSQL database (as deployed behind a load balancer).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_sees_a_change_made_on_another_node_on_postgres() {
    a_request_sees_a_change_made_since_the_server_held_its_inputs(postgres_store().await, true)
        .await;
}

/// The expiry sweeper records `BadgeExpired` for active awards past their date, once, and
/// leaves revoked awards and badges that do not expire alone.
async fn awards_past_their_date_expire(test_store: TestStore) {
    let secret = DevSecret::generate();
    let vault_key = VaultKey::generate();
    // The clock moves on when the test says so.
    let offset = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let clock: ecusson_app::Clock = {
        let offset = offset.clone();
        Arc::new(move || {
            chrono::Utc::now()
                + chrono::Duration::days(offset.load(std::sync::atomic::Ordering::SeqCst))
        })
    };
    let api = RunningApi::start_with_clock(&test_store.url, &vault_key, &secret, clock).await;
    let client = Client::new(&api.base, &secret);
    let world = brochure(&client).await;

    // Nothing is due yet.
    let report = ecusson_app::expire_due_awards(&api.ledger, 100)
        .await
        .expect("sweep");
    assert_eq!(report, ecusson_app::ExpiryReport::default());

    // 25 months later, the 24-month badges have expired: the first worker's and the one the
    // committee awarded in the second structure; the revoked one stays revoked.
    offset.store(25 * 31, std::sync::atomic::Ordering::SeqCst);
    let report = ecusson_app::expire_due_awards(&api.ledger, 100)
        .await
        .expect("sweep");
    assert_eq!(report.expired, 2, "{report:?}");
    let record = client
        .data(
            &world.counsellor.token,
            EARNER,
            json!({"id": world.workers[0].id()}),
        )
        .await;
    assert_eq!(record["earner"]["awards"][0]["state"], "EXPIRED");

    // The read model follows; a second sweep finds nothing left to do.
    api.caught_up(&[world.first, world.second]).await;
    let queue = client
        .data(
            &world.first_admin.token,
            QUEUE,
            json!({"pathway": world.pathway}),
        )
        .await;
    let award_states: Vec<&str> = queue["requestQueue"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|edge| edge["node"]["awardState"].as_str())
        .collect();
    assert_eq!(award_states, ["EXPIRED", "REVOKED"]);
    let history = client
        .data(
            &world.counsellor.token,
            EARNER,
            json!({"id": world.workers[0].id()}),
        )
        .await;
    let expiries: Vec<&Value> = history["earner"]["history"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|edge| edge["node"]["eventType"] == "earner.badge_expired")
        .collect();
    assert_eq!(expiries.len(), 1, "{history:#}");
    assert_eq!(expiries[0]["node"]["awardId"], world.award.as_str());
    let first_head = api.store.tenant_head(world.first).await.unwrap();
    let report = ecusson_app::expire_due_awards(&api.ledger, 100)
        .await
        .expect("sweep");
    assert_eq!(report, ecusson_app::ExpiryReport::default());
    assert_eq!(
        api.store.tenant_head(world.first).await.unwrap(),
        first_head
    );
    api.stop().await;
    drop(test_store);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awards_past_their_date_expire_on_sqlite() {
    awards_past_their_date_expire(sqlite_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awards_past_their_date_expire_on_postgres() {
    awards_past_their_date_expire(postgres_store().await).await;
}
