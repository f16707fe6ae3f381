//! Logs, spans and trace context through `tracing`. Every binary calls [`init`] once; messages
//! are fields-first, capitalised sentences; secrets never reach a field.
//!
//! ## Observability
//!
//! Every handled message runs in a `handle` span (queue, routing key, message id, attempt,
//! trace id). Spans are OpenTelemetry spans: the consumer loop continues the trace of the W3C
//! `traceparent` (and `tracestate`) AMQP headers of the delivery, and every message published
//! from a handler carries the handler's trace context in its `traceparent`/`tracestate`
//! headers and in the envelope's `traceparent` field, so one alarm is one trace across ingest,
//! engagement and notifier. HTTP calls carry the same headers ([`trace_headers`]).
//!
//! | variable | meaning |
//! |---|---|
//! | `OTEL_EXPORTER_OTLP_ENDPOINT` | OTLP/HTTP (protobuf) collector base URL, like `http://otel-collector:4318` (spans go to `<url>/v1/traces`; `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` gives the full URL instead). Unset: spans are not exported, trace context still propagates. |
//! | `OTEL_SERVICE_NAME` | `service.name` of the exported spans; default the binary's name (`tocsin-ingest`, ..., `tocsin`). |
//! | `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TIMEOUT`, `OTEL_BSP_*` | as the OpenTelemetry specification says. |
//!
//! Export needs the `otlp` cargo feature of `tocsin-runtime` (off by default; it speaks plain
//! HTTP, so point it at a collector on the node or in the pod). Spans at `INFO` and above are
//! traced whatever `TOCSIN_LOG` says; `TOCSIN_LOG` only filters the log lines. On shutdown the
//! pending spans are flushed ([`TelemetryGuard::shutdown`]).

use std::collections::BTreeMap;

use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{LogFormat, Settings};

/// Header carrying the W3C trace context of the publisher.
pub const HEADER_TRACEPARENT: &str = tocsin_bus::HEADER_TRACEPARENT;
/// Header carrying the vendor-specific part of the W3C trace context.
pub const HEADER_TRACESTATE: &str = "tracestate";

/// Name of the tracer (the instrumentation scope of Tocsin's spans).
const TRACER: &str = "tocsin";

/// Keeps the tracer provider of the process. [`TelemetryGuard::shutdown`] exports the spans
/// still buffered; dropping the guard does not (spans keep their ids until the process ends).
#[derive(Debug, Default)]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl TelemetryGuard {
    /// Flushes and stops the tracer provider (blocks up to the exporter's timeout). Spans
    /// started afterwards are not recorded.
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(e) = provider.shutdown()
        {
            tracing::warn!(error = %e, "Could not flush the trace exporter.");
        }
    }
}

/// Installs the global subscriber for `service`: log lines on stderr filtered by
/// `settings.log`, and OpenTelemetry spans (exported when configured, see the module docs).
/// Registers the W3C trace context propagator globally. Safe to call twice (tests): the second
/// call keeps the first subscriber and returns an empty guard.
pub fn init(settings: &Settings, service: &'static str) -> TelemetryGuard {
    let filter = EnvFilter::try_new(&settings.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt = match settings.log_format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_writer(std::io::stderr)
            .boxed(),
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .boxed(),
    };
    let (provider, export) = provider(service);
    let otel = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer(TRACER))
        .with_filter(LevelFilter::INFO);
    let installed = tracing_subscriber::registry()
        .with(fmt.with_filter(filter))
        .with(otel)
        .try_init();
    if installed.is_err() {
        let _ = provider.shutdown();
        return TelemetryGuard::default();
    }
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    opentelemetry::global::set_tracer_provider(provider.clone());
    match export {
        Export::Off => tracing::debug!(service, "Telemetry initialised; spans are not exported."),
        Export::Otlp => {
            tracing::info!(service, "Telemetry initialised; exporting spans over OTLP.")
        }
        Export::Failed(error) => {
            tracing::warn!(service, %error, "Spans are not exported.")
        }
    }
    TelemetryGuard {
        provider: Some(provider),
    }
}

/// Whether spans leave the process.
enum Export {
    Off,
    #[cfg_attr(not(feature = "otlp"), allow(dead_code))]
    Otlp,
    Failed(String),
}

/// The tracer provider of `service`: an OTLP batch exporter when built with `otlp` and an
/// endpoint is configured, else no exporter (spans still get real trace and span ids).
fn provider(service: &'static str) -> (SdkTracerProvider, Export) {
    let name = std::env::var("OTEL_SERVICE_NAME")
        .ok()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| service.to_string());
    let builder = SdkTracerProvider::builder()
        .with_resource(Resource::builder().with_service_name(name).build());
    let endpoint = [
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
    ]
    .iter()
    .any(|k| std::env::var_os(k).is_some_and(|v| !v.is_empty()));
    if !endpoint {
        return (builder.build(), Export::Off);
    }
    #[cfg(feature = "otlp")]
    {
        use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig};
        match SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .build()
        {
            Ok(exporter) => (builder.with_batch_exporter(exporter).build(), Export::Otlp),
            Err(e) => (builder.build(), Export::Failed(e.to_string())),
        }
    }
    #[cfg(not(feature = "otlp"))]
    (
        builder.build(),
        Export::Failed(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set but this binary was built without the otlp feature"
                .into(),
        ),
    )
}

/// The OpenTelemetry context of the current `tracing` span (or, when that span is not traced,
/// of the innermost traced one). Empty outside any traced span.
pub fn current_context() -> Context {
    let cx = tracing::Span::current().context();
    if cx.span().span_context().is_valid() {
        cx
    } else {
        Context::current()
    }
}

/// The W3C headers (`traceparent`, and `tracestate` when not empty) of the current span, for
/// an outgoing AMQP message or HTTP request. Empty outside any traced span.
pub fn trace_headers() -> BTreeMap<String, String> {
    let mut headers = BTreeMap::new();
    TraceContextPropagator::new().inject_context(&current_context(), &mut Carrier(&mut headers));
    headers.retain(|_, v| !v.is_empty());
    headers
}

/// The W3C `traceparent` of the current span, if it is traced.
pub fn current_traceparent() -> Option<String> {
    trace_headers().remove(HEADER_TRACEPARENT)
}

/// The remote parent carried by W3C `traceparent`/`tracestate` headers (names in lower case,
/// as AMQP and HTTP/2 carry them). Its span context is invalid when the headers are missing or
/// malformed.
pub fn context_from_headers(headers: &BTreeMap<String, String>) -> Context {
    TraceContextPropagator::new().extract(&ReadCarrier(headers))
}

/// Makes `span` a child of the remote parent in `headers`, if they carry a valid one; else
/// `span` keeps its local parent. Must run before the span is first entered.
pub fn set_remote_parent(span: &tracing::Span, headers: &BTreeMap<String, String>) {
    let parent = context_from_headers(headers);
    if parent.span().span_context().is_valid() {
        // Fails only when no OpenTelemetry layer is installed (tests): nothing to continue.
        let _ = span.set_parent(parent);
    }
}

/// The trace id of `span`, if it is traced.
pub fn trace_id(span: &tracing::Span) -> Option<String> {
    let cx = span.context();
    let sc = cx.span().span_context().clone();
    sc.is_valid().then(|| sc.trace_id().to_string())
}

struct Carrier<'a>(&'a mut BTreeMap<String, String>);

impl Injector for Carrier<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key.to_string(), value);
    }
}

struct ReadCarrier<'a>(&'a BTreeMap<String, String>);

impl Extractor for ReadCarrier<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

/// Logs for tests: only when `TEST_LOG` is set, so test output stays readable.
pub fn init_for_tests() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("debug")),
            )
            .with_test_writer()
            .try_init();
    }
}

/// A subscriber with an OpenTelemetry layer on a tracer provider without exporter, for tests
/// that look at trace context (install it per thread with `tracing::subscriber::set_default`).
#[cfg(test)]
pub(crate) fn test_subscriber() -> impl tracing::Subscriber + Send + Sync {
    let provider = SdkTracerProvider::builder().build();
    tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer(TRACER)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    fn parts(traceparent: &str) -> (String, String, String) {
        let p: Vec<&str> = traceparent.split('-').collect();
        assert_eq!(p.len(), 4, "{traceparent}");
        (p[1].to_string(), p[2].to_string(), p[3].to_string())
    }

    #[test]
    fn a_span_continues_the_extracted_trace() {
        let _guard = tracing::subscriber::set_default(test_subscriber());
        assert_eq!(current_traceparent(), None, "no span, no trace context");

        let headers = BTreeMap::from([
            (HEADER_TRACEPARENT.to_string(), PARENT.to_string()),
            (HEADER_TRACESTATE.to_string(), "vendor=x".to_string()),
        ]);
        let span = tracing::info_span!("handle");
        set_remote_parent(&span, &headers);
        let (injected, inner) = span.in_scope(|| {
            let inner = tracing::info_span!("inner").in_scope(current_traceparent);
            (trace_headers(), inner)
        });
        let (trace, span_id, flags) = parts(&injected[HEADER_TRACEPARENT]);
        assert_eq!(trace, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_ne!(span_id, "00f067aa0ba902b7");
        assert_eq!(flags, "01");
        assert_eq!(injected[HEADER_TRACESTATE], "vendor=x");
        assert_eq!(trace_id(&span).as_deref(), Some(trace.as_str()));

        let (inner_trace, inner_span, _) = parts(&inner.unwrap());
        assert_eq!(inner_trace, trace);
        assert_ne!(inner_span, span_id);

        // A malformed header starts a new trace instead.
        let bad = BTreeMap::from([(HEADER_TRACEPARENT.to_string(), "00-abc".to_string())]);
        let root = tracing::info_span!("handle");
        set_remote_parent(&root, &bad);
        let fresh = root.in_scope(current_traceparent).unwrap();
        assert_ne!(parts(&fresh).0, trace);
    }
}
