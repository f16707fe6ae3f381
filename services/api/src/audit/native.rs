//! The audit log of the native API (bearer token): a layer recording every call that passed
//! the token check, and `GET /v1/audit`, the log's query route.
//!
//! Native events have `eventSource` `tocsin.native`, an identity of type `TocsinApiToken` in
//! the deployment's account (`TOCSIN_ACCOUNT_ID`), and names from [`NAMES`] (other routes, such
//! as the runbook ones, are named `<METHOD> <route>`).

use std::net::SocketAddr;

use axum::Json;
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, MatchedPath, Query, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tocsin_runtime::Context;

use super::query::{self, QueryError};
use super::{Call, Identity, Recorder};

/// `eventSource` of native calls.
pub const SOURCE: &str = "tocsin.native";
/// Largest request or answer body kept for the event.
const MAX_RECORDED: usize = 256 * 1024;

/// Event names of the native routes: (method, route, name).
pub const NAMES: &[(&str, &str, &str)] = &[
    ("GET", "/v1/incidents", "ListIncidents"),
    ("GET", "/v1/incidents/{id}", "GetIncident"),
    ("GET", "/v1/incidents/{id}/timeline", "GetIncidentTimeline"),
    ("GET", "/v1/pages/{id}", "GetPage"),
    ("POST", "/v1/pages/{id}/accept", "AcceptPage"),
    ("GET", "/v1/engagements/{id}", "GetEngagement"),
    ("POST", "/v1/engagements/{id}/stop", "StopEngagement"),
    ("POST", "/v1/integration-keys", "CreateIntegrationKey"),
    ("GET", "/v1/integration-keys", "ListIntegrationKeys"),
    (
        "DELETE",
        "/v1/integration-keys/{id}",
        "RevokeIntegrationKey",
    ),
    ("GET", "/v1/unrouted-events", "ListUnroutedEvents"),
    ("GET", "/v1/audit", "LookupEvents"),
];

/// State of the native audit layer and route.
#[derive(Clone)]
pub struct NativeAudit {
    ctx: Context,
    recorder: Recorder,
}

impl NativeAudit {
    /// On `ctx`.
    pub fn new(ctx: &Context, recorder: Recorder) -> Self {
        Self {
            ctx: ctx.clone(),
            recorder,
        }
    }
}

fn event_name(method: &Method, route: &str) -> String {
    NAMES
        .iter()
        .find(|(m, r, _)| *m == method.as_str() && *r == route)
        .map_or_else(|| format!("{method} {route}"), |(_, _, n)| (*n).to_string())
}

/// Records the call (put inside the token check, so only authenticated calls are stored).
pub async fn layer(State(s): State<NativeAudit>, request: Request, next: Next) -> Response {
    let time = s.ctx.clock.now();
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, MAX_RECORDED).await.unwrap_or_default();
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map_or_else(|| parts.uri.path().to_string(), |m| m.as_str().to_string());
    let name = event_name(&parts.method, &route);
    let read_only = parts.method == Method::GET;
    let mut params = match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    params.insert("path".into(), json!(parts.uri.path()));
    if let Some(q) = parts.uri.query() {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(q).unwrap_or_default();
        for (k, v) in pairs {
            params.insert(k, Value::String(v));
        }
    }
    let source_ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let failed = response.status().is_client_error() || response.status().is_server_error();
    let (response, answer) = if failed || !read_only {
        let (rp, body) = response.into_parts();
        let b = to_bytes(body, MAX_RECORDED).await.unwrap_or_default();
        let v = serde_json::from_slice::<Value>(&b).ok();
        (Response::from_parts(rp, Body::from(b)), v)
    } else {
        (response, None)
    };
    let account = s.ctx.settings.account_id.clone();
    let request_id = uuid::Uuid::new_v4().to_string();
    let text = |a: &Option<Value>, k: &str| {
        a.as_ref()
            .and_then(|v| v.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let call = Call {
        time,
        source: SOURCE,
        name,
        region: s.ctx.settings.region.clone(),
        source_ip,
        user_agent,
        identity: Identity {
            kind: "TocsinApiToken",
            account: account.clone(),
            access_key_id: None,
            arn: format!("arn:aws:iam::{account}:user/native-api"),
            user_name: "native-api".into(),
        },
        request: Some(Value::Object(params)),
        error_code: failed.then(|| {
            text(&answer, "code").unwrap_or_else(|| response.status().as_u16().to_string())
        }),
        error_message: if failed {
            text(&answer, "message")
        } else {
            None
        },
        response: if failed || read_only { None } else { answer },
        request_id,
        event_id: uuid::Uuid::new_v4().to_string(),
        read_only,
        recipient_account: account,
    };
    s.recorder.record(call).await;
    response
}

/// Query of `GET /v1/audit`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditParams {
    /// RFC 3339 time or epoch seconds: events at or after.
    since: Option<String>,
    /// RFC 3339 time or epoch seconds: events at or before.
    until: Option<String>,
    /// Only this event name.
    event_name: Option<String>,
    /// `true`: only failed calls.
    errors: Option<bool>,
    /// Page size (default 50).
    max_results: Option<usize>,
    /// The previous page's `nextToken`.
    next_token: Option<String>,
}

/// An RFC 3339 time or epoch seconds; `field` names it in the error.
pub fn parse_time(v: &str, field: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(t.with_timezone(&Utc));
    }
    v.parse::<i64>()
        .ok()
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .ok_or_else(|| format!("{field}: must be an RFC 3339 time or epoch seconds, got {v:?}"))
}

fn bad(message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "code": "ValidationException", "message": message })),
    )
        .into_response()
}

/// `GET /v1/audit?since=&until=&eventName=&errors=&maxResults=&nextToken=`: the deployment
/// account's events, newest first: `{"events": [...], "nextToken"?}`.
pub async fn route(
    State(s): State<NativeAudit>,
    params: Result<Query<AuditParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(p)) = params else {
        return bad(
            "query: known parameters are since, until, eventName, errors, maxResults, nextToken"
                .into(),
        );
    };
    let time = |v: &Option<String>, f| v.as_deref().map(|t| parse_time(t, f)).transpose();
    let (since, until) = match (time(&p.since, "since"), time(&p.until, "until")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return bad(e),
    };
    let q = query::Query {
        since,
        until,
        name: p.event_name,
        errors_only: p.errors.unwrap_or(false),
        limit: p.max_results.unwrap_or(50),
        next_token: p.next_token,
    };
    match query::query(&s.ctx.store, &s.ctx.settings.account_id, &q).await {
        Ok(page) => {
            let mut out = json!({ "events": page.events });
            if let Some(t) = page.next_token {
                out["nextToken"] = json!(t);
            }
            Json(out).into_response()
        }
        Err(QueryError::Invalid(m)) => bad(m),
        Err(QueryError::Store(e)) => {
            tracing::error!(error = %e, "Audit query failed.");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({ "code": "InternalServerException", "message": "internal error" })),
            )
                .into_response()
        }
    }
}
