//! The HTTP server: `/graphql` (POST and GET, GraphiQL for browsers, subscriptions over
//! WebSocket), `/healthz`, `/readyz`, and the issuers' public key documents
//! (`/networks/{id}/did.json`, `/networks/{id}/jwks.json`, see [`crate::issuer`]).

use crate::auth::{bearer_token, Authenticator, Principal};
use crate::error::{code_unmarked_errors, coded};
use crate::schema::{build_schema, ApiContext, EcussonSchema};
use actix_web::http::header;
use actix_web::{guard, web, App, HttpRequest, HttpResponse, HttpServer, Responder};
use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::{DocumentOperations, Selection};
use async_graphql::Executor;
use async_graphql_actix_web::{GraphQLRequest, GraphQLResponse, GraphQLSubscription};
use ecusson_app::ErrorCode;
use ecusson_projections::ProjectionEngine;
use ecusson_store::Traceparent;
use futures::StreamExt as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument as _;

/// The largest request body accepted (a GraphQL document with its variables).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// `/readyz` fails when a projection is further behind the log than this.
pub const MAX_READY_LAG: u64 = 10_000;

/// How long in-flight requests get to finish on SIGTERM/SIGINT.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Everything the server shares between requests.
#[derive(Clone)]
pub struct ServerState {
    pub schema: EcussonSchema,
    pub authenticator: Arc<Authenticator>,
    pub engine: ProjectionEngine,
    /// For the public documents served outside GraphQL.
    pub ledger: ecusson_app::Ledger,
    pub vault: ecusson_store::Vault,
    pub site: ecusson_app::credentials::PublicSite,
    /// Wakes the projection runners after a write made outside GraphQL.
    pub wake: Arc<tokio::sync::Notify>,
    /// Verifications of uploaded badges running at once (CPU-bound: one per core).
    pub verifications: Arc<tokio::sync::Semaphore>,
    /// GraphQL documents parsed once and reused (see [`crate::documents`]).
    documents: Arc<crate::documents::ParsedDocuments>,
}

impl ServerState {
    /// `context.wake` is the projection runners' wake-up: mutations notify it.
    pub fn new(context: ApiContext, authenticator: Authenticator) -> Self {
        let engine = context.engine.clone();
        let ledger = context.ledger.clone();
        let vault = context.vault.clone();
        let site = context.site.clone();
        let wake = context.wake.clone();
        Self {
            schema: build_schema(context),
            authenticator: Arc::new(authenticator),
            engine,
            ledger,
            vault,
            site,
            wake,
            verifications: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
            )),
            documents: Arc::default(),
        }
    }
}

/// Binds `listen` and returns the server, ready to be awaited, and the address it bound (port
/// 0 picks a free one). The server stops gracefully on SIGTERM or SIGINT: it stops accepting,
/// lets in-flight requests finish, then returns.
pub fn bind(
    state: ServerState,
    listen: SocketAddr,
) -> std::io::Result<(actix_web::dev::Server, SocketAddr)> {
    serve_on(state, std::net::TcpListener::bind(listen)?)
}

/// [`bind`] on a listener already bound: the caller learns the address before building the
/// state (the public address credentials name may be the listener's own).
pub fn serve_on(
    state: ServerState,
    listener: std::net::TcpListener,
) -> std::io::Result<(actix_web::dev::Server, SocketAddr)> {
    let address = listener.local_addr()?;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .service(
                web::resource("/graphql")
                    .route(web::post().to(graphql))
                    .route(
                        web::get()
                            .guard(guard::fn_guard(is_websocket_upgrade))
                            .to(graphql_ws),
                    )
                    .route(web::get().to(graphql_get)),
            )
            .route("/healthz", web::get().to(healthz))
            .route("/readyz", web::get().to(readyz))
            .route(
                "/networks/{network}/did.json",
                web::get().to(crate::issuer::did_document),
            )
            .route(
                "/networks/{network}/jwks.json",
                web::get().to(crate::issuer::jwks),
            )
            .configure(crate::public::configure)
            .configure(crate::ob3_api::configure)
            .configure(crate::reports_http::configure)
            .configure(crate::employability_http::configure)
    })
    .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
    .listen(listener)?;
    Ok((server.run(), address))
}

/// The caller from the `Authorization` header: `None` without a header (public fields and
/// introspection still work), an UNAUTHENTICATED answer for a header that does not verify.
pub(crate) fn authenticate(
    state: &ServerState,
    request: &HttpRequest,
) -> Result<Option<Principal>, Unauthenticated> {
    let Some(value) = request.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let verified = value
        .to_str()
        .ok()
        .ok_or(())
        .and_then(|value| bearer_token(Some(value)).map_err(|_| ()))
        .and_then(|token| {
            state.authenticator.authenticate(token).map_err(|error| {
                // The reason is for the operator; the token itself is never logged.
                tracing::info!(reason = %error, "bearer token refused");
            })
        });
    verified.map(Some).map_err(|()| Unauthenticated)
}

/// A bearer token was sent and does not verify.
pub(crate) struct Unauthenticated;

impl Unauthenticated {
    fn response(self) -> HttpResponse {
        let error = coded("invalid bearer token", ErrorCode::Unauthenticated);
        let body = async_graphql::Response::from_errors(vec![
            error.into_server_error(async_graphql::Pos::default())
        ]);
        HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
            .json(body)
    }
}

async fn execute(
    state: &ServerState,
    http: &HttpRequest,
    mut request: async_graphql::Request,
) -> Result<async_graphql::Response, Unauthenticated> {
    state.documents.prepare(&mut request);
    let span = request_span(http, &mut request);
    async move {
        if let Some(principal) = authenticate(state, http)? {
            request = request.data(principal);
        }
        request = request.data(crate::schema::personal_data::AccessRecorder::default());
        if let Some(traceparent) = http
            .headers()
            .get("traceparent")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| Traceparent::parse(value).ok())
        {
            request = request.data(traceparent);
        }
        let response = code_unmarked_errors(state.schema.execute(request).await);
        // A success leaves the status unset, as OpenTelemetry asks of instrumentations.
        if !response.errors.is_empty() {
            let span = tracing::Span::current();
            span.record("graphql.errors", response.errors.len());
            span.record("otel.status_code", "error");
        }
        Ok(response)
    }
    .instrument(span)
    .await
}

/// The span of one GraphQL request: the operation's type and name and the names of its root
/// fields; never its document, its arguments, its variables or the caller's token. When the request carries
/// a W3C `traceparent` (and traces are exported), the span continues the caller's trace.
fn request_span(http: &HttpRequest, request: &mut async_graphql::Request) -> tracing::Span {
    use tracing::field::Empty;
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    // The document was parsed (or found parsed) before, and is kept in the request for the
    // schema; a document that does not parse is reported by the schema as usual.
    let operation_name = request.operation_name.clone();
    let document = request.parsed_query().ok();
    let operation =
        document.and_then(
            |document| match (&document.operations, operation_name.as_deref()) {
                (DocumentOperations::Single(operation), _) => Some((None, &operation.node)),
                (DocumentOperations::Multiple(operations), Some(name)) => operations
                    .get_key_value(name)
                    .map(|(name, operation)| (Some(name.as_str()), &operation.node)),
                (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
                    operations
                        .iter()
                        .next()
                        .map(|(name, operation)| (Some(name.as_str()), &operation.node))
                }
                (DocumentOperations::Multiple(_), None) => None,
            },
        );
    // The name as the document spells it (not any text the client sent beside it). The fields
    // are all given when the span is made (the log layer formats a span's fields at each
    // record: one record instead of four), as values that `tracing` formats only when some
    // subscriber takes the span, whatever its filter looks at.
    let span = tracing::info_span!(
        "graphql.request",
        otel.kind = "server",
        otel.status_code = Empty,
        graphql.operation.name = operation.and_then(|(name, _)| name),
        graphql.operation.type = operation.map(|(_, operation)| display(operation.ty)),
        graphql.fields = operation.map(|(_, operation)| display(RootFields(operation))),
        graphql.errors = Empty,
    );
    if span.is_disabled() {
        return span;
    }
    let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&HeaderExtractor(http.headers()))
    });
    // Fails only when the span is not exported: nothing to continue then.
    let _ = span.set_parent(parent);
    span
}

/// The names of an operation's root fields, comma-separated (fragments left out).
struct RootFields<'a>(&'a async_graphql::parser::types::OperationDefinition);

impl std::fmt::Display for RootFields<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = self
            .0
            .selection_set
            .node
            .items
            .iter()
            .filter_map(|selection| match &selection.node {
                Selection::Field(field) => Some(field.node.name.node.as_str()),
                Selection::FragmentSpread(_) | Selection::InlineFragment(_) => None,
            });
        for (index, name) in names.enumerate() {
            if index > 0 {
                formatter.write_str(",")?;
            }
            formatter.write_str(name)?;
        }
        Ok(())
    }
}

/// Reads the W3C trace context (`traceparent`, `tracestate`) from the request's headers.
struct HeaderExtractor<'a>(&'a header::HeaderMap);

impl opentelemetry::propagation::Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|name| name.as_str()).collect()
    }
}

/// POST: the body is read whole under [`MAX_BODY_BYTES`] (413 beyond), then parsed as one
/// GraphQL request (400 with BAD_USER_INPUT when it is not one).
async fn graphql(
    state: web::Data<ServerState>,
    http: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            let error = coded(
                format!("the body is not a GraphQL request in JSON: {error}"),
                ErrorCode::BadUserInput,
            );
            return HttpResponse::BadRequest().json(async_graphql::Response::from_errors(vec![
                error.into_server_error(async_graphql::Pos::default()),
            ]));
        }
    };
    match execute(&state, &http, request).await {
        Ok(response) => GraphQLResponse::from(response)
            .respond_to(&http)
            .map_into_boxed_body(),
        Err(refusal) => refusal.response(),
    }
}

/// GET: GraphiQL for a browser, otherwise a query in the URL (mutations are refused over GET
/// by async-graphql).
async fn graphql_get(
    state: web::Data<ServerState>,
    http: HttpRequest,
    request: Option<GraphQLRequest>,
) -> HttpResponse {
    let wants_html = http
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    match request {
        Some(request) if !wants_html => match execute(&state, &http, request.into_inner()).await {
            Ok(response) => GraphQLResponse::from(response)
                .respond_to(&http)
                .map_into_boxed_body(),
            Err(refusal) => refusal.response(),
        },
        _ => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(GraphiQLSource::build().endpoint("/graphql").finish()),
    }
}

/// A GET asking to switch to WebSocket (`Upgrade: websocket`, in any case).
fn is_websocket_upgrade(context: &guard::GuardContext<'_>) -> bool {
    context
        .head()
        .headers()
        .get(header::UPGRADE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("websocket"))
}

/// GET with `Upgrade: websocket`: subscriptions (and any other operation) over WebSocket, in
/// the graphql-transport-ws protocol (graphql-ws, its predecessor, too), as the client's
/// `Sec-WebSocket-Protocol` asks. The token comes in the `connection_init` payload
/// (`{"Authorization": "Bearer <jwt>"}`; `authorization` and `token` are read too): without a
/// token that verifies and has time left, the connection is closed before any
/// `connection_ack`.
async fn graphql_ws(
    state: web::Data<ServerState>,
    http: HttpRequest,
    payload: web::Payload,
) -> actix_web::Result<HttpResponse> {
    let authenticator = state.authenticator.clone();
    GraphQLSubscription::new(WebSocketExecutor(state.schema.clone()))
        .on_connection_init(move |init| async move {
            let principal = connection_principal(&authenticator, &init)?;
            let mut data = async_graphql::Data::default();
            data.insert(principal);
            Ok(data)
        })
        .start(&http, payload)
}

/// The caller of a WebSocket connection, from its `connection_init` payload.
fn connection_principal(
    authenticator: &Authenticator,
    init: &serde_json::Value,
) -> async_graphql::Result<Principal> {
    let refused = || coded("invalid bearer token", ErrorCode::Unauthenticated);
    let value = ["Authorization", "authorization", "token"]
        .iter()
        .find_map(|key| init.get(key))
        .ok_or_else(|| {
            coded(
                "a bearer token is required in the connection_init payload",
                ErrorCode::Unauthenticated,
            )
        })?
        .as_str()
        .ok_or_else(refused)?
        .trim();
    // `token` may carry the token alone; `Authorization` is a header value, `Bearer <jwt>`.
    let token = if value.contains(' ') {
        bearer_token(Some(value)).map_err(|_| refused())?
    } else {
        value
    };
    let principal = authenticator.authenticate(token).map_err(|error| {
        // The reason is for the operator; the token itself is never logged.
        tracing::info!(reason = %error, "bearer token refused on a WebSocket");
        refused()
    })?;
    // The leeway for clock skew lets a just-expired token through over HTTP; a connection
    // lives no longer than its token, so one with no time left is refused.
    if principal.expires_at <= chrono::Utc::now() {
        return Err(coded("the token has expired", ErrorCode::Unauthenticated));
    }
    Ok(principal)
}

/// The schema as served over WebSocket: errors get their code as over HTTP, and once the
/// connection's token has expired every new operation is refused as UNAUTHENTICATED (a
/// running subscription ends by itself at that moment).
#[derive(Clone)]
struct WebSocketExecutor(EcussonSchema);

impl Executor for WebSocketExecutor {
    async fn execute(&self, request: async_graphql::Request) -> async_graphql::Response {
        code_unmarked_errors(self.0.execute(request).await)
    }

    fn execute_stream(
        &self,
        request: async_graphql::Request,
        session_data: Option<Arc<async_graphql::Data>>,
    ) -> futures::stream::BoxStream<'static, async_graphql::Response> {
        let expired = session_data
            .as_ref()
            .and_then(|data| data.get(&std::any::TypeId::of::<Principal>()))
            .and_then(|principal| principal.downcast_ref::<Principal>())
            .is_some_and(|principal| principal.expires_at <= chrono::Utc::now());
        if expired {
            let error = coded("the token has expired", ErrorCode::Unauthenticated);
            let response = async_graphql::Response::from_errors(vec![
                error.into_server_error(async_graphql::Pos::default())
            ]);
            return futures::stream::once(async move { response }).boxed();
        }
        Executor::execute_stream(&self.0, request, session_data)
            .map(code_unmarked_errors)
            .boxed()
    }
}

/// The process is up.
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// The database answers, its migrations ran (at start-up, before binding), and no projection
/// is more than [`MAX_READY_LAG`] events behind.
async fn readyz(state: web::Data<ServerState>) -> HttpResponse {
    match state.engine.status().await {
        Ok(statuses) => {
            let lagging: Vec<_> = statuses
                .iter()
                .filter(|status| status.events_behind > MAX_READY_LAG)
                .map(|status| {
                    serde_json::json!({"projection": status.projection, "events_behind": status.events_behind})
                })
                .collect();
            if lagging.is_empty() {
                HttpResponse::Ok().json(serde_json::json!({"status": "ready"}))
            } else {
                HttpResponse::ServiceUnavailable()
                    .json(serde_json::json!({"status": "projections behind", "lagging": lagging}))
            }
        }
        Err(error) => {
            tracing::warn!(error = %error, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .json(serde_json::json!({"status": "database unavailable"}))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id};
    use tracing_subscriber::layer::{Context, SubscriberExt as _};
    use tracing_subscriber::Layer;

    /// Keeps the fields of every span it is given, by span name.
    #[derive(Clone, Default)]
    struct Fields(Arc<Mutex<BTreeMap<String, BTreeMap<String, String>>>>);

    struct Record<'a>(&'a mut BTreeMap<String, String>);

    impl Visit for Record<'_> {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            self.0.insert(field.name().to_owned(), format!("{value:?}"));
        }

        fn record_str(&mut self, field: &Field, value: &str) {
            self.0.insert(field.name().to_owned(), value.to_owned());
        }
    }

    impl<S: tracing::Subscriber> Layer<S> for Fields {
        fn on_new_span(&self, attributes: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
            let mut fields = BTreeMap::new();
            attributes.record(&mut Record(&mut fields));
            self.0
                .lock()
                .unwrap()
                .insert(attributes.metadata().name().to_owned(), fields);
        }
    }

    fn spans_of(
        filter: impl Fn(&tracing::Metadata<'_>) -> bool + Send + Sync + 'static,
        query: &str,
    ) -> BTreeMap<String, BTreeMap<String, String>> {
        let fields = Fields::default();
        let subscriber = tracing_subscriber::registry().with(
            fields
                .clone()
                .with_filter(tracing_subscriber::filter::filter_fn(filter)),
        );
        let http = actix_web::test::TestRequest::default().to_http_request();
        let mut request = async_graphql::Request::new(query).operation_name("Second");
        tracing::subscriber::with_default(subscriber, || {
            drop(request_span(&http, &mut request));
        });
        let spans = fields.0.lock().unwrap();
        spans.clone()
    }

    const QUERY: &str = "query First { viewer { personId } } \
                         query Second { viewer { personId } ...Rest catalogue { totalCount } } \
                         fragment Rest on Query { viewer { tenantId } }";

    #[test]
    fn the_request_span_names_the_operation_and_its_root_fields_under_a_filter_by_span_name() {
        // A filter that looks at the span's name only, as `[graphql.request]` directives do.
        let spans = spans_of(|metadata| metadata.name() == "graphql.request", QUERY);
        let span = &spans["graphql.request"];
        assert_eq!(span["graphql.operation.name"], "Second");
        assert_eq!(span["graphql.operation.type"], "query");
        assert_eq!(span["graphql.fields"], "viewer,catalogue");
        assert_eq!(span["otel.kind"], "server");
    }

    #[test]
    fn the_request_span_is_not_made_when_no_subscriber_wants_it() {
        let spans = spans_of(|metadata| metadata.name() != "graphql.request", QUERY);
        assert!(!spans.contains_key("graphql.request"), "{spans:?}");
    }

    #[test]
    fn a_document_that_does_not_parse_gives_a_span_without_operation() {
        let spans = spans_of(|_| true, "query {");
        let span = &spans["graphql.request"];
        assert!(!span.contains_key("graphql.operation.type"), "{span:?}");
        assert!(!span.contains_key("graphql.fields"), "{span:?}");
    }
}
