//! The HTTP face of ingest: `POST /v1/ingest/{format}` (`Authorization: Bearer <integration
//! key>`) and PagerDuty's `POST /v2/enqueue` (the key is the event's `routing_key`).
//!
//! The request path only authenticates (against an in-memory copy of the integration keys,
//! refreshed every few seconds — a new or revoked key takes effect within
//! [`KEY_REFRESH`]), rate-limits per key, validates the body with the same parser the worker
//! uses, publishes it to `tocsin.ingest` with a broker confirm, and answers `202` with an event
//! id. No store access happens while a request waits.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use tocsin_bus::OutgoingMessage;
use tocsin_core::formats::{self, Format, FormatError, ParseCtx};
use tocsin_proto::records::IntegrationKey;
use tocsin_proto::routing::EXCHANGE_INGEST;
use tocsin_runtime::Context;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::{keys, max_bytes, route::HEADER_INTEGRATION};

/// How often the in-memory copy of the integration keys is refreshed.
pub const KEY_REFRESH: Duration = Duration::from_secs(5);

#[derive(Clone)]
struct App {
    ctx: Context,
    keys: Arc<RwLock<HashMap<String, IntegrationKey>>>,
    buckets: Arc<Mutex<HashMap<String, Bucket>>>,
}

/// A token bucket per key: `rate` requests per minute, bursts up to the same number.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Serves the endpoints on `addr` until `shutdown`; returns the bound address once the keys
/// have been loaded the first time.
pub async fn serve(
    ctx: Context,
    addr: SocketAddr,
    shutdown: CancellationToken,
) -> anyhow::Result<SocketAddr> {
    let app = App {
        ctx: ctx.clone(),
        keys: Arc::default(),
        buckets: Arc::default(),
    };
    refresh(&app).await;
    let refresher = app.clone();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(KEY_REFRESH) => refresh(&refresher).await,
            }
        }
    });
    let limit = ctx.settings.max_alarm_bytes.max(crate::PAGERDUTY_MAX_BYTES) + 1024;
    let router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/metrics",
            get(|| async { tocsin_runtime::metrics::render() }),
        )
        .route("/v1/ingest/{format}", post(ingest))
        .route("/v2/enqueue", post(enqueue))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(app);
    Ok(tocsin_runtime::health::serve(addr, router, shutdown).await?)
}

async fn refresh(app: &App) {
    match keys::list(&app.ctx.records()).await {
        Ok(list) => {
            let map = list
                .into_iter()
                .filter(|k| !k.revoked)
                .map(|k| (k.key_hash.clone(), k))
                .collect();
            *app.keys.write().unwrap_or_else(|p| p.into_inner()) = map;
        }
        Err(e) => {
            tracing::warn!(error = %e, "Cannot refresh integration keys; keeping the last copy.")
        }
    }
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "message": message.into() }))).into_response()
}

impl App {
    fn key(&self, presented: &str) -> Option<IntegrationKey> {
        self.keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&keys::hash(presented))
            .cloned()
    }

    /// Takes one token of `key`; on refusal, the seconds until the next one.
    fn take(&self, key: &str) -> Result<(), u64> {
        let rate = f64::from(self.ctx.settings.ingest_rate_per_minute);
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let b = buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: rate,
            at: now,
        });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * rate / 60.0).min(rate);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - b.tokens) * 60.0 / rate).ceil().max(1.0) as u64)
        }
    }

    fn parse_ctx(&self) -> ParseCtx {
        ParseCtx {
            account: self.ctx.settings.account_id.clone(),
            region: self.ctx.settings.region.clone(),
            received_at: self.ctx.clock.now(),
        }
    }

    /// Publishes a validated body; the event id is the message id.
    async fn publish(
        &self,
        format: &str,
        key: &IntegrationKey,
        body: &[u8],
    ) -> Result<String, Response> {
        let event_id = uuid::Uuid::new_v4().to_string();
        let mut msg = OutgoingMessage::new(EXCHANGE_INGEST, format, body.to_vec())
            .with_message_id(event_id.clone())
            .with_header(HEADER_INTEGRATION, key.key_hash.clone());
        for (name, value) in tocsin_runtime::telemetry::trace_headers() {
            msg = msg.with_header(name, value);
        }
        match self.ctx.bus.publish(msg).await {
            Ok(()) => Ok(event_id),
            Err(e) => {
                tracing::error!(error = %e, "Cannot publish an alarm received over HTTP.");
                Err(error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the broker did not accept the alarm; retry",
                ))
            }
        }
    }
}

fn too_many(retry_after: u64, body: serde_json::Value) -> Response {
    let mut r = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

fn field_errors(e: &FormatError) -> serde_json::Value {
    let fields: Vec<_> = e
        .field_errors()
        .iter()
        .map(|f| json!({ "field": f.field, "rule": f.rule }))
        .collect();
    json!({ "message": e.to_string(), "errors": fields })
}

#[tracing::instrument(name = "ingest_http", skip_all, fields(format = %format))]
async fn ingest(
    State(app): State<App>,
    Path(format): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if Format::from_key(&format).is_none() {
        return error(
            StatusCode::NOT_FOUND,
            format!("unknown alarm format {format:?}"),
        );
    }
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let Some(key) = presented.and_then(|p| app.key(p)) else {
        return error(
            StatusCode::UNAUTHORIZED,
            "missing, unknown or revoked integration key (Authorization: Bearer <key>)",
        );
    };
    if key.format != format {
        return error(
            StatusCode::FORBIDDEN,
            format!(
                "this integration key publishes {} alarms, not {format}",
                key.format
            ),
        );
    }
    let limit = max_bytes(&app.ctx, &format);
    if body.len() > limit {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("body is {} bytes; the limit is {limit}", body.len()),
        );
    }
    if let Err(wait) = app.take(&key.key_hash) {
        return too_many(
            wait,
            json!({ "message": "rate limit of this integration key exceeded" }),
        );
    }
    if let Err(e) = formats::parse(&format, &body, &app.parse_ctx()) {
        return (StatusCode::BAD_REQUEST, Json(field_errors(&e))).into_response();
    }
    match app.publish(&format, &key, &body).await {
        Ok(id) => (StatusCode::ACCEPTED, Json(json!({ "eventId": id }))).into_response(),
        Err(r) => r,
    }
}

fn pd_invalid(errors: Vec<String>) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "status": "invalid event", "message": "Event object is invalid", "errors": errors })))
        .into_response()
}

/// PagerDuty Events API v2, with its response shapes.
async fn enqueue(State(app): State<App>, body: axum::body::Bytes) -> Response {
    if body.len() > crate::PAGERDUTY_MAX_BYTES {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            Json(json!({ "status": "invalid event", "message": "Request too large" })),
        )
            .into_response();
    }
    let value: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return pd_invalid(vec![format!("malformed JSON: {e}")]),
    };
    let Some(key) = value
        .get("routing_key")
        .and_then(|k| k.as_str())
        .and_then(|k| app.key(k))
    else {
        return pd_invalid(vec![
            "routing_key: unknown or revoked integration key".into(),
        ]);
    };
    if key.format != Format::PagerDuty.as_str() {
        return pd_invalid(vec![format!(
            "routing_key: this integration key publishes {} alarms",
            key.format
        )]);
    }
    if let Err(wait) = app.take(&key.key_hash) {
        return too_many(
            wait,
            json!({ "status": "throttle event", "message": "Requests for this service are arriving too quickly. Please retry later." }),
        );
    }
    let parsed = match formats::parse_value(Format::PagerDuty, value.clone(), &app.parse_ctx()) {
        Ok(p) => p,
        Err(e) => {
            let errors = if e.field_errors().is_empty() {
                vec![e.to_string()]
            } else {
                e.field_errors().iter().map(ToString::to_string).collect()
            };
            return pd_invalid(errors);
        }
    };
    match app.publish(Format::PagerDuty.as_str(), &key, &body).await {
        Ok(id) => {
            let dedup = parsed.first().and_then(|n| n.dedupe.clone()).unwrap_or(id);
            (StatusCode::ACCEPTED, Json(json!({ "status": "success", "message": "Event processed", "dedup_key": dedup })))
                .into_response()
        }
        Err(r) => r,
    }
}
