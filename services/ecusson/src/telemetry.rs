//! Logs and traces. Logs go to standard error, as text or JSON, filtered by `ECUSSON_LOG`.
//! When `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, the
//! spans of the Écusson crates are also exported as OpenTelemetry traces by OTLP over HTTP
//! (protobuf; `OTEL_SERVICE_NAME`, default `ecusson`, and the other standard `OTEL_*`
//! variables apply), and an incoming W3C `traceparent` is continued.
//!
//! Spans carry identifiers (tenant, projection, aggregate type, operation and field names),
//! never a token, a GraphQL document or its variables, nor a stream's full name.

use crate::cli::LogFormat;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

/// The service name when `OTEL_SERVICE_NAME` (or `service.name` in
/// `OTEL_RESOURCE_ATTRIBUTES`) does not give one.
const SERVICE_NAME: &str = "ecusson";

/// The crates whose spans are exported (at `info` and above): ours, and nothing else, so that
/// neither the exporter's own logs nor a dependency's spans come back into the traces.
const TRACED_TARGETS: &str = "ecusson";

/// What [`init`] set up; [`Telemetry::shutdown`] sends the spans still buffered.
#[must_use = "call shutdown() before the process exits, or buffered spans are lost"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

/// Installs the global subscriber: the log layer, and the OpenTelemetry layer when an OTLP
/// endpoint is configured. Must run inside the Tokio runtime (the span exporter runs on it).
pub fn init(format: LogFormat) -> Telemetry {
    let filter = EnvFilter::try_from_env("ECUSSON_LOG")
        .unwrap_or_else(|_| EnvFilter::new("warn,ecusson=info"));
    let logs = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let logs = match format {
        LogFormat::Text => logs.boxed(),
        LogFormat::Json => logs.json().boxed(),
    }
    .with_filter(filter);
    let (provider, failure) = if otlp_configured() {
        match tracer_provider() {
            Ok(provider) => (Some(provider), None),
            Err(error) => (None, Some(error)),
        }
    } else {
        (None, None)
    };
    let traces = provider.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("ecusson"))
            .with_filter(Targets::new().with_target(TRACED_TARGETS, LevelFilter::INFO))
    });
    tracing_subscriber::registry()
        .with(logs)
        .with(traces)
        .init();
    if provider.is_some() {
        // The API continues the caller's trace from its `traceparent` header.
        opentelemetry::global::set_text_map_propagator(
            opentelemetry_sdk::propagation::TraceContextPropagator::new(),
        );
        tracing::info!("exporting traces by OTLP");
    }
    if let Some(error) = failure {
        // Tracing must not stop the service: it runs, without exporting traces.
        tracing::error!(error = %error, "OpenTelemetry traces are not exported");
    }
    Telemetry { provider }
}

impl Telemetry {
    /// Exports the spans still buffered and stops the exporter (waits for at most its
    /// timeout, `OTEL_EXPORTER_OTLP_TIMEOUT`, 10 s by default). Nothing to do without OTLP.
    pub async fn shutdown(self) {
        let Some(provider) = self.provider else {
            return;
        };
        // The provider blocks its thread until the export task, which runs on the runtime,
        // has finished: call it from a blocking thread so that a worker stays free for it.
        let result = tokio::task::spawn_blocking(move || provider.shutdown()).await;
        match result {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(error = %error, "flushing the traces failed"),
            Err(error) => tracing::warn!(error = %error, "flushing the traces panicked"),
        }
    }
}

/// The standard variables that name an OTLP endpoint for traces.
fn otlp_configured() -> bool {
    let set = |name| std::env::var_os(name).is_some_and(|value| !value.is_empty());
    let disabled = std::env::var("OTEL_SDK_DISABLED")
        .is_ok_and(|value| value.trim().eq_ignore_ascii_case("true"));
    !disabled && (set("OTEL_EXPORTER_OTLP_ENDPOINT") || set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
}

/// The OTLP/HTTP exporter (its endpoint, headers, timeout and protocol come from the standard
/// variables) behind a batch processor running on the Tokio runtime.
fn tracer_provider() -> anyhow::Result<SdkTracerProvider> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()?;
    let processor =
        opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor::builder(
            exporter,
            opentelemetry_sdk::runtime::Tokio,
        )
        .build();
    Ok(SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_resource(resource())
        .build())
}

/// The standard resource (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`), named `ecusson`
/// unless they name it, with the binary's version.
fn resource() -> opentelemetry_sdk::Resource {
    use opentelemetry::{Key, KeyValue};
    let detected = opentelemetry_sdk::Resource::builder().build();
    let named = detected
        .get(&Key::from_static_str("service.name"))
        .is_some_and(|name| !name.as_str().starts_with("unknown_service"));
    let builder = opentelemetry_sdk::Resource::builder()
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")));
    if named {
        builder.build()
    } else {
        builder.with_service_name(SERVICE_NAME).build()
    }
}
