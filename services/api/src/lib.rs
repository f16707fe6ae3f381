//! The API service: the native API (bearer token) and the AWS `ssm-incidents` restJson1
//! protocol (SigV4, see `aws`), on one listener. `ssm-contacts` mounts on the same router next.
//!
//! | route | what |
//! |---|---|
//! | `GET /healthz`, `GET /readyz` | probes (no auth) |
//! | `GET /v1/incidents` | incident records of the account |
//! | `GET /v1/incidents/{id}` | one incident record |
//! | `GET /v1/incidents/{id}/timeline` | its timeline, oldest first |
//! | `GET /v1/pages/{id}` | one page with its receipts |
//! | `POST /v1/pages/{id}/accept` | `AcceptPage`: `{"acceptCode", "acceptType": "READ"\|"DELIVERED", "acceptCodeValidation": "ENFORCE"\|"IGNORE", "note"}` |
//! | `GET /v1/engagements/{id}` | an engagement with its run state |
//! | `POST /v1/engagements/{id}/stop` | `StopEngagement`: `{"reason"}` |
//! | `POST /v1/integration-keys` | create an ingest key: `{"name", "format", "responsePlanArn"}`; the key is in the answer, once |
//! | `GET /v1/integration-keys` | the keys (ids and metadata, never the secrets) |
//! | `DELETE /v1/integration-keys/{keyId}` | revoke a key |
//! | `GET /v1/unrouted-events` | alarms no plan took |
//! | `GET /v1/audit` | the audit log, newest first: `since`, `until` (RFC 3339 or epoch seconds), `eventName`, `errors=true`, `maxResults`, `nextToken` |
//!
//! Every call of both APIs that passes authentication is recorded in the audit log ([`audit`]);
//! AWS-API access keys and their policies are in [`auth`].

pub mod audit;
pub mod auth;
mod aws;

use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use secrecy::ExposeSecret;
use serde_json::json;
use tocsin_core::ids::sha256_hex;
use tocsin_engagement::{AcceptError, AcceptPage, AcceptType};
use tocsin_proto::records::{Engagement, IncidentRecord, Page, kinds};
use tocsin_runtime::health::Health;
use tocsin_runtime::records::RecordsError;
use tocsin_runtime::{Context, Records};
use tokio_util::sync::CancellationToken;

/// One error type for every route: a status, a stable code and a message that never carries
/// internals (those are logged).
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn not_found(what: &str, id: &str) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            code: "ResourceNotFoundException",
            message: format!("{what} {id} does not exist"),
        }
    }
}

impl From<RecordsError> for ApiError {
    fn from(e: RecordsError) -> Self {
        tracing::error!(error = %e, "Store error serving a request.");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "InternalServerException",
            message: "internal error".into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({ "code": self.code, "message": self.message })),
        )
            .into_response()
    }
}

#[derive(Clone)]
struct AppState {
    ctx: Context,
    records: Records,
    /// SHA-256 of the bearer token: compared digest to digest, so timing says nothing about it.
    token_digest: Option<String>,
}

/// The API router on `ctx` (for `oneshot` tests and for [`run`]). A keys file that does not
/// validate is reported and its keys left out; [`run`] refuses to start with one instead.
pub fn router(ctx: &Context) -> Router {
    let keys = auth::keys::Keys::load(&ctx.settings).unwrap_or_else(|e| {
        tracing::error!(error = %e, "Keys file rejected; only the configured credentials apply.");
        let mut without_file = (*ctx.settings).clone();
        without_file.keys_file = None;
        auth::keys::Keys::load(&without_file).unwrap_or_default()
    });
    router_with_keys(ctx, auth::keys::KeyRing::new(keys))
}

/// The API router with the AWS-API keys of `keys` (reloaded by whoever holds the ring).
pub fn router_with_keys(ctx: &Context, keys: auth::keys::KeyRing) -> Router {
    let recorder = audit::Recorder::new(ctx);
    let native_audit = audit::native::NativeAudit::new(ctx, recorder.clone());
    let state = AppState {
        ctx: ctx.clone(),
        records: ctx.records(),
        token_digest: ctx
            .settings
            .api_token
            .as_ref()
            .map(|t| sha256_hex(t.expose_secret().as_bytes())),
    };
    let v1 = Router::new()
        .route("/v1/incidents", get(list_incidents))
        .route("/v1/incidents/{id}", get(get_incident))
        .route("/v1/incidents/{id}/timeline", get(get_timeline))
        .route("/v1/pages/{id}", get(get_page))
        .route("/v1/pages/{id}/accept", post(accept))
        .route("/v1/engagements/{id}", get(get_engagement))
        .route("/v1/engagements/{id}/stop", post(stop))
        .route("/v1/integration-keys", post(create_key).get(list_keys))
        .route(
            "/v1/integration-keys/{id}",
            axum::routing::delete(revoke_key),
        )
        .route("/v1/unrouted-events", get(unrouted))
        .route(
            "/v1/audit",
            get(audit::native::route).with_state(native_audit.clone()),
        )
        .merge(tocsin_runbook::router(ctx))
        .route_layer(middleware::from_fn_with_state(
            native_audit,
            audit::native::layer,
        ))
        .route_layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .with_state(state);
    Health::new(ctx.store.clone())
        .router()
        .merge(v1)
        .merge(aws::router(ctx, keys, recorder))
        .merge(tocsin_notifier::inbound_router(ctx))
}

async fn authenticate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(expected) = &state.token_digest else {
        return ApiError {
            status: StatusCode::UNAUTHORIZED,
            code: "UnauthorizedException",
            message: "the native API is disabled: set TOCSIN_API_TOKEN".into(),
        }
        .into_response();
    };
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match presented {
        Some(token) if &sha256_hex(token.as_bytes()) == expected => next.run(request).await,
        _ => ApiError {
            status: StatusCode::UNAUTHORIZED,
            code: "UnauthorizedException",
            message: "missing or wrong bearer token in the Authorization header".into(),
        }
        .into_response(),
    }
}

async fn list_incidents(State(s): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let mut incidents: Vec<IncidentRecord> = s.records.list(kinds::INCIDENT).await?;
    incidents.sort_by_key(|i| std::cmp::Reverse(i.creation_time));
    Ok(Json(json!({ "incidentRecords": incidents })))
}

async fn get_incident(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    match s.records.incident(&id).await? {
        Some((record, _)) => Ok(Json(json!({ "incidentRecord": record }))),
        None => Err(ApiError::not_found("incident", &id)),
    }
}

async fn get_timeline(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if s.records.incident(&id).await?.is_none() {
        return Err(ApiError::not_found("incident", &id));
    }
    let events = s.records.timeline(&id).await?;
    Ok(Json(json!({ "timelineEvents": events })))
}

async fn get_page(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    match s.records.get::<Page>(kinds::PAGE, &id).await? {
        Some((page, _)) => Ok(Json(json!({ "page": page }))),
        None => Err(ApiError::not_found("page", &id)),
    }
}

fn bad_request(message: String) -> ApiError {
    ApiError {
        status: StatusCode::BAD_REQUEST,
        code: "ValidationException",
        message,
    }
}

impl From<AcceptError> for ApiError {
    fn from(e: AcceptError) -> Self {
        match e {
            AcceptError::NotFound(what) => ApiError {
                status: StatusCode::NOT_FOUND,
                code: "ResourceNotFoundException",
                message: format!("{what} does not exist"),
            },
            AcceptError::WrongCode | AcceptError::Invalid(_) => bad_request(e.to_string()),
            AcceptError::Unavailable(cause) => {
                tracing::error!(%cause, "Accept or stop failed.");
                ApiError {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    code: "InternalServerException",
                    message: "internal error".into(),
                }
            }
        }
    }
}

/// Body of `POST /v1/pages/{id}/accept`.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AcceptBody {
    accept_code: String,
    #[serde(default)]
    accept_type: Option<String>,
    #[serde(default)]
    accept_code_validation: Option<String>,
    #[serde(default)]
    contact_channel_id: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

async fn accept(
    State(s): State<AppState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    let b: AcceptBody =
        serde_json::from_slice(&body).map_err(|e| bad_request(format!("invalid body: {e}")))?;
    let accept_type = match b.accept_type.as_deref().unwrap_or("READ") {
        "READ" => AcceptType::Read,
        "DELIVERED" => AcceptType::Delivered,
        other => {
            return Err(bad_request(format!(
                "acceptType: must be READ or DELIVERED, got {other:?}"
            )));
        }
    };
    let enforce_code = match b.accept_code_validation.as_deref().unwrap_or("IGNORE") {
        "ENFORCE" => true,
        "IGNORE" => false,
        other => {
            return Err(bad_request(format!(
                "acceptCodeValidation: must be ENFORCE or IGNORE, got {other:?}"
            )));
        }
    };
    let req = AcceptPage {
        page_id: id,
        contact_channel_id: b.contact_channel_id,
        accept_type,
        note: b.note,
        accept_code: b.accept_code,
        enforce_code,
    };
    tocsin_engagement::accept_page(&s.ctx, &s.records, &req).await?;
    Ok(StatusCode::OK)
}

async fn get_engagement(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    match s.records.get::<Engagement>(kinds::ENGAGEMENT, &id).await? {
        Some((e, _)) => Ok(Json(json!({ "engagement": e }))),
        None => Err(ApiError::not_found("engagement", &id)),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StopBody {
    #[serde(default)]
    reason: Option<String>,
}

async fn stop(
    State(s): State<AppState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    let b: StopBody = if body.is_empty() {
        StopBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| bad_request(format!("invalid body: {e}")))?
    };
    tocsin_engagement::stop_engagement(&s.ctx, &s.records, &id, b.reason).await?;
    Ok(StatusCode::OK)
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KeyBody {
    name: String,
    format: String,
    #[serde(default)]
    response_plan_arn: Option<String>,
}

async fn create_key(
    State(s): State<AppState>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let b: KeyBody =
        serde_json::from_slice(&body).map_err(|e| bad_request(format!("invalid body: {e}")))?;
    let now = s.ctx.clock.now();
    match tocsin_ingest::keys::create(
        &s.records,
        &b.name,
        &b.format,
        b.response_plan_arn.as_deref(),
        now,
    )
    .await
    {
        Ok(k) => Ok((
            StatusCode::CREATED,
            Json(json!({ "key": k.key, "integrationKey": k.record })),
        )),
        Err(tocsin_ingest::keys::KeyError::Invalid(m)) => Err(bad_request(m)),
        Err(tocsin_ingest::keys::KeyError::Records(e)) => Err(e.into()),
    }
}

async fn list_keys(State(s): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(
        json!({ "integrationKeys": tocsin_ingest::keys::list(&s.records).await? }),
    ))
}

async fn revoke_key(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if tocsin_ingest::keys::revoke(&s.records, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("integration key", &id))
    }
}

async fn unrouted(State(s): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let mut events: Vec<tocsin_proto::records::UnroutedEvent> =
        s.records.list(kinds::UNROUTED_EVENT).await?;
    events.sort_by_key(|e| std::cmp::Reverse(e.received_at));
    Ok(Json(json!({ "unroutedEvents": events })))
}

/// Serves the API on `TOCSIN_API_ADDR` until `shutdown`. The keys file must validate; it is
/// reloaded on SIGHUP and when it changes. Peers' addresses reach the audit log.
pub async fn run(ctx: Context, shutdown: CancellationToken) -> anyhow::Result<()> {
    let keys = auth::keys::KeyRing::new(auth::keys::Keys::load(&ctx.settings)?);
    auth::reload::spawn(keys.clone(), ctx.settings.clone(), shutdown.clone());
    let app = router_with_keys(&ctx, keys);
    let listener = tokio::net::TcpListener::bind(ctx.settings.api_addr).await?;
    let local = listener.local_addr()?;
    tracing::info!(%local, "API listening.");
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown.cancelled_owned())
    .await;
    if let Err(e) = served {
        tracing::error!(error = %e, "HTTP server failed.");
    }
    Ok(())
}
