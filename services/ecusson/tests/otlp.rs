//! OpenTelemetry end to end: a small OTLP/HTTP collector runs in the test, `ecusson serve`
//! (the real binary, on SQLite) exports its traces to it, a mutation is sent with a W3C
//! `traceparent`, and the server is stopped by SIGTERM. The collector must have received the
//! GraphQL request's span (in the caller's trace), the use case's, the append's and a
//! projection batch's, and no span may hold the bearer token.

use actix_web::{web, App, HttpResponse, HttpServer};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{any_value, KeyValue};
use prost::Message as _;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::sync::mpsc;
use uuid::Uuid;

/// The caller's trace: W3C `traceparent` of version 00, sampled.
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN_ID: &str = "00f067aa0ba902b7";

/// How long the spans may take to arrive once the server has stopped (it exports them before
/// it exits, so this is a guard against a hang, not a delay).
const SPANS_TIMEOUT: Duration = Duration::from_secs(30);

/// The variables of the standard OpenTelemetry configuration that the test's own environment
/// could hold and that would send the spans elsewhere or change them.
const OTEL_VARIABLES: &[&str] = &[
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_EXPORTER_OTLP_COMPRESSION",
    "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_TRACES_SAMPLER",
    "OTEL_TRACES_SAMPLER_ARG",
    "OTEL_SDK_DISABLED",
];

/// One span as the collector received it.
#[derive(Debug, Clone)]
struct ReceivedSpan {
    name: String,
    trace_id: String,
    span_id: String,
    parent_span_id: String,
    attributes: HashMap<String, String>,
    /// The resource's `service.name`.
    service: String,
    /// Everything the span carried (attributes, events, links, resource), as text.
    text: String,
}

impl ReceivedSpan {
    fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }
}

fn text_of(value: &Option<opentelemetry_proto::tonic::common::v1::AnyValue>) -> String {
    match value.as_ref().and_then(|value| value.value.as_ref()) {
        Some(any_value::Value::StringValue(text)) => text.clone(),
        Some(any_value::Value::BoolValue(flag)) => flag.to_string(),
        Some(any_value::Value::IntValue(number)) => number.to_string(),
        Some(any_value::Value::DoubleValue(number)) => number.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

fn attributes(pairs: &[KeyValue]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|pair| (pair.key.clone(), text_of(&pair.value)))
        .collect()
}

/// A collector of OTLP/HTTP traces (protobuf) on a free port of 127.0.0.1: every span it
/// receives goes to the channel. Returns its base URL.
async fn start_collector(spans: mpsc::UnboundedSender<ReceivedSpan>) -> String {
    async fn traces(
        spans: web::Data<mpsc::UnboundedSender<ReceivedSpan>>,
        body: web::Bytes,
    ) -> HttpResponse {
        let Ok(request) = ExportTraceServiceRequest::decode(body.as_ref()) else {
            return HttpResponse::BadRequest().finish();
        };
        for resource_spans in &request.resource_spans {
            let resource = resource_spans
                .resource
                .as_ref()
                .map(|resource| attributes(&resource.attributes))
                .unwrap_or_default();
            for scope_spans in &resource_spans.scope_spans {
                for span in &scope_spans.spans {
                    let _ = spans.send(ReceivedSpan {
                        name: span.name.clone(),
                        trace_id: hex(&span.trace_id),
                        span_id: hex(&span.span_id),
                        parent_span_id: hex(&span.parent_span_id),
                        attributes: attributes(&span.attributes),
                        service: resource.get("service.name").cloned().unwrap_or_default(),
                        text: format!("{span:?} {resource_spans:?}"),
                    });
                }
            }
        }
        HttpResponse::Ok()
            .content_type("application/x-protobuf")
            .body(ExportTraceServiceResponse::default().encode_to_vec())
    }

    let spans = web::Data::new(spans);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(spans.clone())
            .app_data(web::PayloadConfig::new(16 * 1024 * 1024))
            .route("/v1/traces", web::post().to(traces))
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .expect("the collector binds a free port");
    let address = server.addrs()[0];
    tokio::spawn(server.run());
    format!("http://{address}")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A test secret, generated per test run: 32 random bytes.
fn dev_secret() -> String {
    use base64::Engine as _;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn ecusson() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ecusson"));
    command
        .env_remove("ECUSSON_JWKS")
        .env_remove("ECUSSON_VAULT_KEY");
    for variable in OTEL_VARIABLES {
        command.env_remove(variable);
    }
    command
}

/// `ecusson serve`, killed if the test fails before it is stopped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traces_reach_an_otlp_collector() {
    let (sender, mut received) = mpsc::unbounded_channel();
    let collector = start_collector(sender).await;

    let directory = std::env::temp_dir().join(format!("ecusson-otlp-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&directory).unwrap();
    let url = format!("sqlite://{}", directory.join("ledger.db").display());
    let secret = dev_secret();

    let mut child = ecusson()
        .current_dir(&directory)
        .env("ECUSSON_DEV_SECRET", &secret)
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &collector)
        .args(["--database-url", &url, "serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let server = Server(child);
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        let line = lines
            .next()
            .expect("the server prints its address before anything else")
            .expect("readable stdout");
        if let Some(rest) = line.split("http://").nth(1) {
            break format!("http://{}", rest.split('/').next().unwrap());
        }
    };

    let network = Uuid::new_v4();
    let output = ecusson()
        .env("ECUSSON_DEV_SECRET", &secret)
        .args(["token", "--tenant", &network.to_string()])
        .args([
            "--role",
            "network_admin",
            "--sub",
            &Uuid::new_v4().to_string(),
        ])
        .output()
        .expect("ecusson token runs");
    assert!(
        output.status.success(),
        "token: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();

    let http = reqwest::Client::new();
    let graphql = |query: &str, traceparent: Option<String>| {
        let mut request = http
            .post(format!("{base}/graphql"))
            .bearer_auth(&token)
            .json(&json!({ "query": query }));
        if let Some(traceparent) = traceparent {
            request = request.header("traceparent", traceparent);
        }
        async move {
            let response = request.send().await.expect("the server answers");
            assert_eq!(response.status().as_u16(), 200);
            response.json::<Value>().await.expect("a JSON body")
        }
    };
    let body = graphql(
        r#"mutation { registerNetwork(input: {name: "Réseau test"}) { networkId outcome { position { lastSequence } } } }"#,
        Some(format!("00-{TRACE_ID}-{PARENT_SPAN_ID}-01")),
    )
    .await;
    assert_eq!(
        body["data"]["registerNetwork"]["networkId"],
        network.to_string(),
        "{body}"
    );
    // Read-your-writes: this answers once the projections have applied the registration, so
    // that a projection batch has run before the server stops.
    let last = &body["data"]["registerNetwork"]["outcome"]["position"]["lastSequence"];
    let body = graphql(
        &format!("query Directory {{ structures(atLeast: {last}) {{ structureId }} }}"),
        None,
    )
    .await;
    assert!(body["errors"].is_null(), "{body}");

    let mut child = server;
    let status = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let status = tokio::task::block_in_place(|| child.0.wait()).expect("the server exits");
    assert!(status.success(), "the server stops cleanly: {status}");

    // The spans, until each expected one has come (they were exported before the exit).
    let mut spans: Vec<ReceivedSpan> = Vec::new();
    let wanted = [
        "graphql.request",
        "use_case",
        "store.append",
        "projection.batch",
    ];
    while !wanted
        .iter()
        .all(|name| spans.iter().any(|span| span.name == *name))
    {
        match tokio::time::timeout(SPANS_TIMEOUT, received.recv()).await {
            Ok(Some(span)) => spans.push(span),
            Ok(None) => panic!("the collector stopped"),
            Err(_) => panic!(
                "missing spans after {SPANS_TIMEOUT:?}; received: {:?}",
                spans.iter().map(|span| &span.name).collect::<Vec<_>>()
            ),
        }
    }
    while let Ok(span) = received.try_recv() {
        spans.push(span);
    }

    // The mutation's request span continues the caller's trace.
    let request = spans
        .iter()
        .find(|span| {
            span.name == "graphql.request"
                && span.attribute("graphql.operation.type") == Some("mutation")
        })
        .unwrap_or_else(|| panic!("no span for the mutation: {spans:#?}"));
    assert_eq!(request.trace_id, TRACE_ID, "{request:#?}");
    assert_eq!(request.parent_span_id, PARENT_SPAN_ID, "{request:#?}");
    assert_eq!(request.attribute("graphql.fields"), Some("registerNetwork"));
    assert_eq!(request.service, "ecusson");

    // A named operation is named in its span; the query started a trace of its own.
    let query = spans
        .iter()
        .find(|span| {
            span.name == "graphql.request"
                && span.attribute("graphql.operation.type") == Some("query")
        })
        .unwrap_or_else(|| panic!("no span for the query: {spans:#?}"));
    assert_eq!(query.attribute("graphql.operation.name"), Some("Directory"));
    assert_eq!(query.attribute("graphql.fields"), Some("structures"));
    assert_ne!(query.trace_id, TRACE_ID);
    assert_eq!(request.attribute("graphql.operation.name"), None);

    // The use case runs inside the request, and the append inside the use case.
    let use_case = spans
        .iter()
        .find(|span| span.name == "use_case" && span.parent_span_id == request.span_id)
        .unwrap_or_else(|| panic!("no use case under the request: {spans:#?}"));
    assert_eq!(use_case.trace_id, TRACE_ID);
    assert_eq!(
        use_case.attribute("tenant.id"),
        Some(network.to_string().as_str())
    );
    assert_eq!(use_case.attribute("aggregate"), Some("Network"));
    assert_eq!(use_case.attribute("attempts"), Some("1"));
    let append = spans
        .iter()
        .find(|span| span.name == "store.append" && span.parent_span_id == use_case.span_id)
        .unwrap_or_else(|| panic!("no append under the use case: {spans:#?}"));
    assert_eq!(append.trace_id, TRACE_ID);
    assert_eq!(append.attribute("store.backend"), Some("sqlite"));
    assert_eq!(append.attribute("events"), Some("1"));

    // The projections applied the registration.
    let batch = spans
        .iter()
        .find(|span| span.name == "projection.batch")
        .unwrap();
    assert!(batch.attribute("projection.name").is_some(), "{batch:#?}");

    // The bearer token (nor its signature alone) is in no span, attribute, event or resource.
    let signature = token.rsplit('.').next().unwrap();
    for span in &spans {
        assert!(
            !span.text.contains(&token) && !span.text.contains(signature),
            "a span holds the token: {span:#?}"
        );
    }
    let _ = std::fs::remove_dir_all(&directory);
}
