//! GraphQL subscriptions over a real WebSocket (graphql-transport-ws) against the real server,
//! on SQLite and on PostgreSQL: a tenant's new events, in order and each once, filtered by
//! role; a replay from a position; refused connections and roles; the token's expiry.
//!
//! No assertion may pass vacuously: every wait is for an expected message (with a timeout),
//! and "nothing else arrived" is checked by writing a marker event after the expected ones and
//! requiring that the very next message is the marker.

use crate::api_workflow::{Client, Person, RunningApi};
use crate::helpers::TestStore;
use ecusson_api::auth::{mint_dev_token, AuthSettings, DevSecret};
use ecusson_domain::{PersonId, Role, TenantId};
use ecusson_store::VaultKey;
use futures::{SinkExt as _, StreamExt as _};
use serde_json::{json, Value};
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

crate::on_both_backends!(
    staff_receive_exactly_their_tenants_new_events,
    a_worker_receives_only_their_own_events,
    after_replays_the_log_then_continues_live,
    connections_without_a_valid_token_and_other_roles_are_refused,
    a_subscription_ends_when_its_token_expires,
);

/// The longest wait for a message that must come.
const WAIT: Duration = Duration::from_secs(30);

/// How long to wait for a marker before writing another, while a new subscription may not
/// have read its starting position yet.
const MARKER_WAIT: Duration = Duration::from_millis(500);

const EVENTS: &str = "subscription($after: Int) { events(after: $after) { sequence eventType streamCategory earnerId recordedAt summary } }";

const OUTCOME: &str = "outcome { eventTypes position { firstSequence lastSequence } }";

// ---------------------------------------------------------------------------------------------
// A graphql-transport-ws client
// ---------------------------------------------------------------------------------------------

/// What the server sent.
#[derive(Debug)]
enum Received {
    /// A protocol message (JSON text).
    Message(Value),
    /// A close frame, or the end of the connection.
    Closed(Option<CloseFrame>),
}

struct Socket {
    inner: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Socket {
    /// Opens a WebSocket on `/graphql` asking for graphql-transport-ws.
    async fn open(base: &str) -> Self {
        let url = format!("{}/graphql", base.replacen("http://", "ws://", 1));
        let mut request = url.into_client_request().expect("a WebSocket request");
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static("graphql-transport-ws"),
        );
        let (inner, response) = tokio_tungstenite::connect_async(request)
            .await
            .expect("the server accepts the WebSocket");
        assert_eq!(
            response
                .headers()
                .get("sec-websocket-protocol")
                .map(|value| value.to_str().unwrap()),
            Some("graphql-transport-ws")
        );
        Self { inner }
    }

    async fn send(&mut self, message: Value) {
        self.inner
            .send(Message::text(message.to_string()))
            .await
            .expect("send a message");
    }

    /// The next protocol message or the close, within [`WAIT`]. Cancel-safe (used under a
    /// timeout): nothing is consumed until a whole message is there.
    async fn receive_within(&mut self, wait: Duration) -> Option<Received> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.inner.next())
                .await
                .ok()?;
            return Some(match frame {
                Some(Ok(Message::Text(text))) => Received::Message(
                    serde_json::from_str(text.as_str()).expect("a JSON protocol message"),
                ),
                Some(Ok(Message::Close(frame))) => Received::Closed(frame),
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                Some(Ok(Message::Binary(bytes))) => panic!("unexpected binary message {bytes:?}"),
                Some(Err(_)) | None => Received::Closed(None),
            });
        }
    }

    async fn receive(&mut self) -> Received {
        self.receive_within(WAIT)
            .await
            .expect("a message from the server in time")
    }

    /// Sends `connection_init` with `payload` and returns the server's answer.
    async fn init(&mut self, payload: Option<Value>) -> Received {
        let mut message = json!({"type": "connection_init"});
        if let Some(payload) = payload {
            message["payload"] = payload;
        }
        self.send(message).await;
        self.receive().await
    }

    /// Opens a connection authenticated by `token` (`Authorization: Bearer`), acknowledged.
    async fn connect(base: &str, token: &str) -> Self {
        let mut socket = Self::open(base).await;
        match socket
            .init(Some(json!({"Authorization": format!("Bearer {token}")})))
            .await
        {
            Received::Message(message) if message["type"] == "connection_ack" => socket,
            other => panic!("expected connection_ack, got {other:?}"),
        }
    }

    /// Starts the `events` subscription as operation `id`.
    async fn subscribe(&mut self, id: &str, after: Option<i64>) {
        self.send(json!({
            "id": id,
            "type": "subscribe",
            "payload": {"query": EVENTS, "variables": {"after": after}},
        }))
        .await;
    }

    /// The next `next` message of operation `id`: its payload.
    async fn next_payload(&mut self, id: &str) -> Value {
        match self.receive().await {
            Received::Message(message) if message["type"] == "next" && message["id"] == id => {
                message["payload"].clone()
            }
            other => panic!("expected next for {id}, got {other:?}"),
        }
    }

    /// The next event of operation `id`.
    async fn next_event(&mut self, id: &str) -> Value {
        let payload = self.next_payload(id).await;
        assert!(payload.get("errors").is_none(), "{payload:#}");
        payload["data"]["events"].clone()
    }

    /// The error code of the next message of operation `id`, which must be an error.
    async fn next_error(&mut self, id: &str) -> String {
        let payload = self.next_payload(id).await;
        payload["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("expected an error: {payload:#}"))
            .to_owned()
    }

    async fn expect_complete(&mut self, id: &str) {
        match self.receive().await {
            Received::Message(message) if message["type"] == "complete" && message["id"] == id => {}
            other => panic!("expected complete for {id}, got {other:?}"),
        }
    }

    async fn close(mut self) {
        // The server may already have closed: either way the connection ends here.
        let _ = self.inner.close(None).await;
        while let Some(Ok(_)) = self.inner.next().await {}
    }
}

/// Opens a connection, sends `connection_init` with `payload`, and checks that the server
/// closes it without acknowledging it.
async fn assert_refused(base: &str, payload: Option<Value>) {
    let mut socket = Socket::open(base).await;
    match socket.init(payload.clone()).await {
        Received::Closed(frame) => {
            // A close code in the 4xxx range or the protocol-error code, never "normal".
            if let Some(frame) = frame {
                assert_ne!(u16::from(frame.code), 1000, "{payload:?}: {frame:?}");
            }
        }
        Received::Message(message) => panic!("{payload:?}: expected a close, got {message}"),
    }
    // Nothing else: not even an acknowledgement after the close.
    if let Some(Received::Message(message)) = socket.receive_within(Duration::from_secs(1)).await {
        panic!("{payload:?}: a message after the refusal: {message}");
    }
}

// ---------------------------------------------------------------------------------------------
// The world
// ---------------------------------------------------------------------------------------------

/// (sequence, event type) of each event a mutation appended, from its outcome.
fn appended(outcome: &Value) -> Vec<(i64, String)> {
    let first = outcome["position"]["firstSequence"]
        .as_i64()
        .unwrap_or_else(|| panic!("a position: {outcome:#}"));
    let last = outcome["position"]["lastSequence"].as_i64().unwrap();
    let types: Vec<String> = outcome["eventTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|value| value.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(types.len() as i64, last - first + 1, "{outcome:#}");
    (first..=last).zip(types).collect()
}

fn person(client: &Client, tenant: TenantId, roles: &[Role]) -> Person {
    let id = PersonId::new();
    Person {
        id,
        token: client.token(tenant, roles, id),
    }
}

/// A network with two structures; the first adopted a badge class decided systematically.
struct World {
    api: RunningApi,
    client: Client,
    secret: DevSecret,
    first: TenantId,
    second: TenantId,
    class: String,
    counsellor: Person,
    director: Person,
    second_counsellor: Person,
}

impl World {
    async fn start(test_store: &TestStore) -> Self {
        let secret = DevSecret::generate();
        let api = RunningApi::start(&test_store.url, &VaultKey::generate(), &secret).await;
        let client = Client::new(&api.base, &secret);
        let network = TenantId::new();
        let (first, second) = (TenantId::new(), TenantId::new());
        let admin = person(&client, network, &[Role::NetworkAdmin]);
        client
            .data(
                &admin.token,
                r#"mutation { registerNetwork(input: {name: "Réseau"}) { networkId } }"#,
                json!({}),
            )
            .await;
        for (structure, kind) in [(first, "ACI"), (second, "EI")] {
            client
                .data(
                    &admin.token,
                    &format!("mutation($id: ID!) {{ admitStructure(input: {{structureId: $id, kind: {kind}, name: \"Structure\"}}) {{ structure {{ structureId }} }} }}"),
                    json!({"id": structure.to_string()}),
                )
                .await;
        }
        let pathway = client
            .data(&admin.token, r#"mutation { definePathway(input: {rank: 1, name: "Découvrir", description: "Premiers pas"}) { pathwayId } }"#, json!({}))
            .await["definePathway"]["pathwayId"]
            .clone();
        let class = client
            .data(
                &admin.token,
                "mutation($input: PublishBadgeClassInput!) { publishBadgeClass(input: $input) { badgeClassId } }",
                json!({"input": {"content": {
                    "pathwayId": pathway, "name": "Respecter les horaires", "description": "Tenir un poste",
                    "skillType": "SAVOIR_ETRE", "criteriaNarrative": "Les critères", "expectedEvidence": "Une attestation",
                    "imageRef": "sha256:00", "validityMonths": 24}}}),
            )
            .await["publishBadgeClass"]["badgeClassId"]
            .as_str()
            .unwrap()
            .to_owned();
        // A structure finds its network in the directory (a read model): wait for it.
        let network_head = api
            .store
            .tenant_head(network)
            .await
            .expect("the head")
            .expect("the network's log")
            .seq;
        assert!(api
            .engine
            .wait_until_applied(network, network_head, WAIT)
            .await
            .expect("the projections run"));
        let first_admin = person(&client, first, &[Role::StructureAdmin]);
        let second_admin = person(&client, second, &[Role::StructureAdmin]);
        client
            .data(
                &first_admin.token,
                "mutation($class: ID!) { adoptBadgeClass(input: {badgeClassId: $class, criterion: {criterion: \"trois mois\", evidence: \"relevé\", evaluatorRoles: [DIRECTION], process: \"bilan\"}}) { adopted } }",
                json!({"class": class}),
            )
            .await;
        client
            .data(
                &first_admin.token,
                "mutation($class: ID!) { setValidationMode(input: {badgeClassId: $class, mode: SYSTEMATIC}) { validation { mode } } }",
                json!({"class": class}),
            )
            .await;
        let counsellor = person(&client, first, &[Role::Counsellor]);
        let director = person(&client, first, &[Role::Direction]);
        let second_counsellor = person(&client, second, &[Role::Counsellor]);
        let world = Self {
            api,
            client,
            secret,
            first,
            second,
            class,
            counsellor,
            director,
            second_counsellor,
        };
        world
            .appoint(&first_admin, &world.counsellor, "COUNSELLOR")
            .await;
        world
            .appoint(&first_admin, &world.director, "DIRECTION")
            .await;
        world
            .appoint(&second_admin, &world.second_counsellor, "COUNSELLOR")
            .await;
        world
    }

    async fn appoint(&self, boss: &Person, member: &Person, role: &str) -> Vec<(i64, String)> {
        let answer = self
            .client
            .data(
                &boss.token,
                &format!("mutation($person: ID!, $roles: [Role!]!) {{ appointStaff(input: {{personId: $person, roles: $roles}}) {{ {OUTCOME} }} }}"),
                json!({"person": member.id(), "roles": [role]}),
            )
            .await;
        appended(&answer["appointStaff"]["outcome"])
    }

    /// A new worker enrolled in `counsellor`'s structure.
    async fn enrol(&self, counsellor: &Person, tenant: TenantId) -> (Person, Vec<(i64, String)>) {
        let worker = person(&self.client, tenant, &[Role::Earner]);
        let answer = self
            .client
            .data(
                &counsellor.token,
                &format!("mutation($id: ID!) {{ enrolWorker(input: {{earnerId: $id, enrolledOn: \"2026-09-01\"}}) {{ {OUTCOME} }} }}"),
                json!({"id": worker.id()}),
            )
            .await;
        (worker, appended(&answer["enrolWorker"]["outcome"]))
    }

    /// A worker's own individual request of the class: its id and events.
    async fn request(&self, worker: &Person) -> (String, Vec<(i64, String)>) {
        let answer = self
            .client
            .data(
                &worker.token,
                &format!("mutation($class: ID!) {{ requestBadge(input: {{badgeClassId: $class, mode: INDIVIDUAL, evidence: [{{kind: NARRATIVE, content: \"Trois mois sans retard, d'après le tuteur.\"}}]}}) {{ request {{ requestId }} {OUTCOME} }} }}"),
                json!({"class": self.class}),
            )
            .await;
        (
            answer["requestBadge"]["request"]["requestId"]
                .as_str()
                .unwrap()
                .to_owned(),
            appended(&answer["requestBadge"]["outcome"]),
        )
    }

    /// The director approves a request: its award id and events.
    async fn approve(&self, worker: &Person, request: &str) -> (String, Vec<(i64, String)>) {
        let answer = self
            .client
            .data(
                &self.director.token,
                &format!("mutation($earner: ID!, $request: ID!) {{ decideRequest(input: {{earnerId: $earner, requestId: $request, verdict: APPROVE, reason: {{code: CRITERIA_MET}}}}) {{ award {{ awardId }} {OUTCOME} }} }}"),
                json!({"earner": worker.id(), "request": request}),
            )
            .await;
        (
            answer["decideRequest"]["award"]["awardId"]
                .as_str()
                .unwrap()
                .to_owned(),
            appended(&answer["decideRequest"]["outcome"]),
        )
    }

    /// The worker adds evidence to their pending request (`{"requestId": ...}`) or to their
    /// award (`{"awardId": ...}`): one event in their stream.
    async fn add_evidence(&self, worker: &Person, to: Value) -> Vec<(i64, String)> {
        let mut input = to;
        input["evidence"] = json!({"kind": "NARRATIVE", "content": "Le planning de Jeanne Martin"});
        let answer = self
            .client
            .data(
                &worker.token,
                &format!("mutation($input: AddEvidenceInput!) {{ addEvidence(input: $input) {{ {OUTCOME} }} }}"),
                json!({"input": input}),
            )
            .await;
        appended(&answer["addEvidence"]["outcome"])
    }

    async fn head(&self, tenant: TenantId) -> i64 {
        self.api
            .store
            .tenant_head(tenant)
            .await
            .expect("the head")
            .map_or(0, |head| head.seq as i64)
    }

    fn token_for(&self, tenant: TenantId, roles: &[Role], ttl: chrono::Duration) -> String {
        mint_dev_token(
            &self.secret,
            AuthSettings::DEFAULT_ISSUER,
            AuthSettings::DEFAULT_AUDIENCE,
            tenant,
            roles,
            PersonId::new(),
            ttl,
        )
        .expect("a token")
    }
}

/// Brings a subscription started without `after` to the point where it is certainly live:
/// writes one-event markers (in the subscriber's scope) until one is delivered, then takes
/// the markers written after it. The server reads the head when it starts the subscription,
/// which the client cannot observe; a marker committed before that is not delivered, and
/// must not be. Returns the sequence of the last marker, the last event delivered.
async fn until_live<F, Fut>(socket: &mut Socket, id: &str, mut marker: F) -> i64
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Vec<(i64, String)>>,
{
    let mut markers: Vec<(i64, String)> = Vec::new();
    for _ in 0..40 {
        let written = marker().await;
        assert_eq!(written.len(), 1, "a marker is one event");
        markers.extend(written);
        let first = match tokio::time::timeout(MARKER_WAIT, socket.next_event(id)).await {
            Ok(event) => event,
            Err(_) => continue,
        };
        // The first event delivered is a marker (nothing older), and every marker after it
        // follows, in order.
        let index = markers
            .iter()
            .position(|(seq, _)| first["sequence"] == *seq)
            .unwrap_or_else(|| panic!("the first event is a marker: {first:#} {markers:?}"));
        assert_eq!(first["eventType"], markers[index].1.as_str());
        for (seq, event_type) in &markers[index + 1..] {
            let event = socket.next_event(id).await;
            assert_eq!(
                (
                    event["sequence"].as_i64().unwrap(),
                    event["eventType"].as_str().unwrap()
                ),
                (*seq, event_type.as_str())
            );
        }
        return markers.last().unwrap().0;
    }
    panic!("the subscription never delivered a marker");
}

/// Receives `expected.len()` events and checks them against `expected`, in order.
async fn receive_exactly(socket: &mut Socket, id: &str, expected: &[(i64, String)]) -> Vec<Value> {
    let mut events = Vec::new();
    for _ in expected {
        events.push(socket.next_event(id).await);
    }
    let received: Vec<(i64, String)> = events
        .iter()
        .map(|event| {
            (
                event["sequence"].as_i64().unwrap(),
                event["eventType"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(received, expected);
    events
}

fn event_of<'a>(events: &'a [Value], event_type: &str) -> &'a Value {
    events
        .iter()
        .find(|event| event["eventType"] == event_type)
        .unwrap_or_else(|| panic!("a {event_type} event in {events:#?}"))
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

async fn staff_receive_exactly_their_tenants_new_events(test_store: TestStore) {
    let world = World::start(&test_store).await;
    let head_before = world.head(world.first).await;
    let mut socket = Socket::connect(&world.api.base, &world.counsellor.token).await;
    socket.subscribe("1", None).await;
    let live = until_live(&mut socket, "1", || async {
        world.enrol(&world.counsellor, world.first).await.1
    })
    .await;
    assert!(live > head_before);

    // Writes in both structures, interleaved: only the first's reach the subscriber.
    let mut expected = Vec::new();
    let (worker, events) = world.enrol(&world.counsellor, world.first).await;
    expected.extend(events);
    let (other, _) = world.enrol(&world.second_counsellor, world.second).await;
    let (request, events) = world.request(&worker).await;
    expected.extend(events);
    let second_admin = person(&world.client, world.second, &[Role::StructureAdmin]);
    let second_supervisor = person(&world.client, world.second, &[Role::TechnicalSupervisor]);
    world
        .appoint(&second_admin, &second_supervisor, "TECHNICAL_SUPERVISOR")
        .await;
    let (award, events) = world.approve(&worker, &request).await;
    expected.extend(events);
    world.enrol(&world.second_counsellor, world.second).await;
    let supervisor = person(&world.client, world.first, &[Role::TechnicalSupervisor]);
    let admin = person(&world.client, world.first, &[Role::StructureAdmin]);
    expected.extend(
        world
            .appoint(&admin, &supervisor, "TECHNICAL_SUPERVISOR")
            .await,
    );

    // Contiguous from the last marker: no gap, nothing twice.
    let sequences: Vec<i64> = expected.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(
        sequences,
        (live + 1..=live + expected.len() as i64).collect::<Vec<_>>()
    );
    let events = receive_exactly(&mut socket, "1", &expected).await;

    // What each event says: ids and codes, the worker for earner events, nothing personal.
    let enrolled = event_of(&events, "earner.enrolled");
    assert_eq!(enrolled["streamCategory"], "earner");
    assert_eq!(enrolled["earnerId"], worker.id());
    assert_eq!(enrolled["summary"], json!({}));
    let requested = event_of(&events, "earner.badge_requested");
    assert_eq!(requested["earnerId"], worker.id());
    assert_eq!(requested["summary"], json!({"requestId": request}));
    let awarded = event_of(&events, "earner.badge_awarded");
    assert_eq!(
        awarded["summary"],
        json!({"requestId": request, "awardId": award})
    );
    let appointed = event_of(&events, "staff.appointed");
    assert_eq!(appointed["streamCategory"], "staff");
    assert!(appointed["earnerId"].is_null() && appointed["summary"].is_null());
    assert!(appointed["recordedAt"].as_str().is_some());
    let text = Value::Array(events).to_string();
    assert!(
        !text.contains("Trois mois") && !text.contains(&other.id()),
        "{text}"
    );

    // Nothing more: the next message is a new marker of the first structure, not anything
    // of the second.
    world.enrol(&world.second_counsellor, world.second).await;
    let (_, marker) = world.enrol(&world.counsellor, world.first).await;
    receive_exactly(&mut socket, "1", &marker).await;

    socket.close().await;
    world.api.stop().await;
    drop(test_store);
}

async fn a_worker_receives_only_their_own_events(test_store: TestStore) {
    let world = World::start(&test_store).await;
    let (worker, _) = world.enrol(&world.counsellor, world.first).await;
    let (colleague, _) = world.enrol(&world.counsellor, world.first).await;
    let (request, _) = world.request(&worker).await;

    let mut socket = Socket::connect(&world.api.base, &worker.token).await;
    socket.subscribe("own", None).await;
    until_live(&mut socket, "own", || {
        world.add_evidence(&worker, json!({"requestId": request}))
    })
    .await;

    // The colleague's events and the staff's are in the same log; only the worker's own
    // stream reaches them.
    let mut expected = Vec::new();
    let (colleague_request, _) = world.request(&colleague).await;
    expected.extend(
        world
            .add_evidence(&worker, json!({"requestId": request}))
            .await,
    );
    let supervisor = person(&world.client, world.first, &[Role::TechnicalSupervisor]);
    let admin = person(&world.client, world.first, &[Role::StructureAdmin]);
    world
        .appoint(&admin, &supervisor, "TECHNICAL_SUPERVISOR")
        .await;
    let (colleague_award, _) = world.approve(&colleague, &colleague_request).await;
    let (award, events) = world.approve(&worker, &request).await;
    expected.extend(events);
    world.enrol(&world.counsellor, world.first).await;
    let events = receive_exactly(&mut socket, "own", &expected).await;
    for event in &events {
        assert_eq!(event["earnerId"], worker.id());
        assert_eq!(event["summary"]["requestId"], request.as_str());
    }
    assert_eq!(
        event_of(&events, "earner.badge_awarded")["summary"]["awardId"],
        award.as_str()
    );
    let text = Value::Array(events).to_string();
    assert!(!text.contains("Jeanne Martin") && !text.contains(&colleague.id()));

    // Nothing more: after more of the others' events, the next message is the worker's own
    // marker.
    world
        .add_evidence(&colleague, json!({"awardId": colleague_award}))
        .await;
    world.enrol(&world.counsellor, world.first).await;
    let marker = world.add_evidence(&worker, json!({"awardId": award})).await;
    let event = receive_exactly(&mut socket, "own", &marker).await;
    assert_eq!(
        event[0]["summary"],
        json!({"requestId": request, "awardId": award})
    );

    socket.close().await;
    world.api.stop().await;
    drop(test_store);
}

async fn after_replays_the_log_then_continues_live(test_store: TestStore) {
    let world = World::start(&test_store).await;
    // More than one read's worth of events (100), so that the catch-up reads several times.
    for _ in 0..101 {
        world.enrol(&world.counsellor, world.first).await;
    }
    let head = world.head(world.first).await;
    let log = world
        .api
        .store
        .read_tenant(world.first, 0, 1_000)
        .await
        .expect("the log");
    assert_eq!(log.len() as i64, head);
    let whole: Vec<(i64, String)> = log
        .iter()
        .map(|event| (event.seq as i64, event.event_type.clone()))
        .collect();

    // From the beginning, and from a position in the middle.
    let mut from_start = Socket::connect(&world.api.base, &world.director.token).await;
    from_start.subscribe("all", Some(0)).await;
    let mut from_middle = Socket::connect(&world.api.base, &world.counsellor.token).await;
    let middle = head - 3;
    from_middle.subscribe("tail", Some(middle)).await;
    receive_exactly(&mut from_start, "all", &whole).await;
    receive_exactly(&mut from_middle, "tail", &whole[middle as usize..]).await;

    // Then live, the second structure's writes left out.
    world.enrol(&world.second_counsellor, world.second).await;
    let (_, live) = world.enrol(&world.counsellor, world.first).await;
    assert_eq!(live[0].0, head + 1);
    world.enrol(&world.second_counsellor, world.second).await;
    let (_, marker) = world.enrol(&world.counsellor, world.first).await;
    let expected = [live, marker].concat();
    receive_exactly(&mut from_start, "all", &expected).await;
    receive_exactly(&mut from_middle, "tail", &expected).await;

    // A position that is not one of the tenant's is the client's error.
    let head = world.head(world.first).await;
    for bad in [head + 1, -1] {
        from_middle.subscribe("bad", Some(bad)).await;
        assert_eq!(from_middle.next_error("bad").await, "BAD_USER_INPUT");
        from_middle.expect_complete("bad").await;
    }

    from_start.close().await;
    from_middle.close().await;
    world.api.stop().await;
    drop(test_store);
}

async fn connections_without_a_valid_token_and_other_roles_are_refused(test_store: TestStore) {
    let world = World::start(&test_store).await;
    let base = world.api.base.clone();
    let other_secret = DevSecret::generate();
    let forged = Client::new(&base, &other_secret).token(
        world.first,
        &[Role::Counsellor],
        world.counsellor.id,
    );
    for payload in [
        None,
        Some(json!({})),
        Some(json!({"Authorization": ""})),
        Some(json!({"Authorization": "Bearer not-a-token"})),
        Some(json!({"Authorization": format!("Basic {}", world.counsellor.token)})),
        Some(json!({"Authorization": format!("Bearer {forged}")})),
        Some(json!({"token": forged})),
        Some(json!({"Authorization": 42})),
    ] {
        assert_refused(&base, payload).await;
    }

    // The other spellings of the token are read.
    for payload in [
        json!({"authorization": format!("Bearer {}", world.counsellor.token)}),
        json!({"token": world.counsellor.token}),
        json!({"token": format!("Bearer {}", world.counsellor.token)}),
    ] {
        let mut socket = Socket::open(&base).await;
        match socket.init(Some(payload)).await {
            Received::Message(message) if message["type"] == "connection_ack" => {}
            other => panic!("expected connection_ack, got {other:?}"),
        }
        // The counsellor's tenant: its last event, replayed.
        let head = world.head(world.first).await;
        socket.subscribe("1", Some(head - 1)).await;
        assert_eq!(socket.next_event("1").await["sequence"], head);
        socket.close().await;
    }

    // Authenticated, but not a role that follows the log.
    for roles in [
        &[Role::Funder][..],
        &[Role::CommitteeMember],
        &[Role::Recommender],
        &[Role::Funder, Role::Recommender],
    ] {
        let token = world.token_for(world.first, roles, chrono::Duration::hours(1));
        let mut socket = Socket::connect(&base, &token).await;
        socket.subscribe("1", None).await;
        assert_eq!(socket.next_error("1").await, "FORBIDDEN", "{roles:?}");
        socket.expect_complete("1").await;
        socket.close().await;
    }

    // The tenant is the token's: there is no argument to name another.
    let mut socket = Socket::connect(&base, &world.counsellor.token).await;
    socket
        .send(json!({"id": "2", "type": "subscribe", "payload": {"query": format!("subscription {{ events(tenantId: \"{}\") {{ sequence }} }}", world.second)}}))
        .await;
    assert_eq!(socket.next_error("2").await, "BAD_USER_INPUT");
    socket.expect_complete("2").await;
    socket.close().await;

    // A plain GET still serves GraphiQL and queries.
    let http = reqwest::Client::new();
    let page = http
        .get(format!("{base}/graphql"))
        .header("Accept", "text/html")
        .send()
        .await
        .expect("GraphiQL");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("graphiql"));
    let viewer: Value = http
        .get(format!("{base}/graphql"))
        .query(&[("query", "{ viewer { tenantId } }")])
        .bearer_auth(&world.counsellor.token)
        .send()
        .await
        .expect("a query over GET")
        .json()
        .await
        .unwrap();
    assert_eq!(
        viewer["data"]["viewer"]["tenantId"],
        world.first.to_string()
    );

    world.api.stop().await;
    drop(test_store);
}

async fn a_subscription_ends_when_its_token_expires(test_store: TestStore) {
    let world = World::start(&test_store).await;
    let token = world.token_for(
        world.first,
        &[Role::Counsellor],
        chrono::Duration::seconds(5),
    );
    let mut socket = Socket::connect(&world.api.base, &token).await;
    let head = world.head(world.first).await;
    socket.subscribe("1", Some(head)).await;
    let (_, written) = world.enrol(&world.counsellor, world.first).await;
    receive_exactly(&mut socket, "1", &written).await;
    // The token's lifetime is 5 s: the subscription ends with UNAUTHENTICATED then.
    assert_eq!(socket.next_error("1").await, "UNAUTHENTICATED");
    socket.expect_complete("1").await;
    // Every new operation on the connection is refused from now on.
    socket.subscribe("2", None).await;
    assert_eq!(socket.next_error("2").await, "UNAUTHENTICATED");
    socket.expect_complete("2").await;
    socket.close().await;
    // And the expired token opens no new connection (though HTTP still allows it the clock
    // skew leeway).
    assert_refused(
        &world.api.base,
        Some(json!({"Authorization": format!("Bearer {token}")})),
    )
    .await;

    world.api.stop().await;
    drop(test_store);
}
