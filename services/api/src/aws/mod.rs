//! The AWS-protocol API, so the AWS CLI and SDKs can call Tocsin with `--endpoint-url`. Two
//! protocols share the listener:
//!
//! - `ssm-incidents` over restJson1: one path per operation ([`incidents`]);
//! - `ssm-contacts` over JSON 1.1: `POST /` with `X-Amz-Target: SSMContacts.<Operation>`
//!   ([`contacts`]).
//!
//! Every request goes through [`authenticate`]: the body is buffered and its SigV4 signature
//! verified ([`sigv4`]) against the access keys ([`crate::auth::keys`]) with the injected clock,
//! for the service its protocol names (a JSON 1.1 request must be signed for `ssm-contacts`,
//! any other for `ssm-incidents`); the key's policies are evaluated for the operation's action
//! and resources ([`crate::auth::authorize`], refusals are `AccessDeniedException` 403); the
//! operation then runs as a [`Caller`] of the key's account — or of the owner's account, for a
//! consumer's action on a resource shared with the key's account. Every authenticated call,
//! refused or not, is recorded in the audit log ([`crate::audit`]) and answered with an
//! `x-amzn-RequestId`.

mod contacts;
mod error;
mod incidents;
pub mod sigv4;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use tocsin_core::Ctx;
use tocsin_runtime::{Context, Records};

use crate::audit::{self, Recorder};
use crate::auth::actions::{self, Service, Target};
use crate::auth::keys::{self, Key, KeyRing};
use crate::auth::{self as authz, Access};
use error::AwsError;

/// Header naming a JSON 1.1 operation.
pub(crate) const X_AMZ_TARGET: &str = "x-amz-target";
/// Header carrying the request id of an answer.
const REQUEST_ID: &str = "x-amzn-requestid";
/// Largest request body buffered for verification.
const MAX_BODY: usize = 1024 * 1024;
/// Largest answer body buffered for the audit log's `responseElements`.
const MAX_RECORDED_ANSWER: usize = 256 * 1024;

/// State of the AWS routes.
#[derive(Clone)]
pub(crate) struct AwsState {
    ctx: Context,
    /// Signs and checks pagination tokens.
    tokens: wire::Tokens,
    /// The access keys.
    keys: KeyRing,
    /// The audit log.
    audit: Recorder,
}

/// Who the operation acts for: the account every record is read from and written to.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// The key's account, or the owner's for a consumer's call on a shared resource.
    pub account: String,
    /// Principal recorded as creator or modifier (the key's IAM ARN).
    pub principal: String,
    /// The key that signed the call.
    pub key: Arc<Key>,
}

impl Caller {
    /// The records of the caller's account.
    pub fn records(&self, ctx: &Context) -> Records {
        Records::new(ctx.store.clone(), self.account.clone())
    }

    /// The resources of other accounts shared with the key's account that it may view.
    pub async fn shared(
        &self,
        ctx: &Context,
        listing: authz::share::Listing,
    ) -> Result<Vec<(authz::share::Holder, String)>, tocsin_runtime::records::RecordsError> {
        let who = authz::principal_of(&self.key, &self.principal);
        authz::share::shared_with(&ctx.store, listing, who).await
    }

    /// The domain context of one operation, now.
    pub fn ctx(&self, ctx: &Context) -> Ctx {
        Ctx {
            account: self.account.clone(),
            region: ctx.settings.region.clone(),
            now: ctx.clock.now(),
            actor: self.principal.clone(),
        }
    }
}

/// The AWS-protocol routes on `ctx` (merged into the API router).
pub(crate) fn router(ctx: &Context, keys: KeyRing, audit: Recorder) -> Router {
    let state = AwsState {
        ctx: ctx.clone(),
        tokens: wire::Tokens::new(ctx.store.clone()),
        keys,
        audit,
    };
    incidents::routes()
        .merge(contacts::routes())
        .route_layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .with_state(state)
}

/// What the audit log needs of a request, taken before it is handed on.
struct Seen {
    service: Service,
    operation: String,
    source_ip: Option<String>,
    user_agent: Option<String>,
    parameters: Option<Value>,
    request_id: String,
}

/// Authenticates, authorises, runs and records one call.
async fn authenticate(State(state): State<AwsState>, request: Request, next: Next) -> Response {
    let json11 = request.headers().contains_key(X_AMZ_TARGET);
    let service = if json11 {
        Service::Contacts
    } else {
        Service::Incidents
    };
    let refuse = |e: AwsError| {
        if json11 {
            e.into_json11(Default::default())
        } else {
            e.into_response()
        }
    };
    let keys = state.keys.keys();
    if keys.is_empty() {
        return refuse(AwsError::new(
            StatusCode::FORBIDDEN,
            "UnrecognizedClientException",
            "the AWS API is disabled: set TOCSIN_AWS_CREDENTIALS or TOCSIN_KEYS_FILE",
        ));
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return refuse(AwsError::validation(format!(
            "request body: larger than {MAX_BODY} bytes"
        )));
    };
    let seen = seen(&parts, &bytes, service);
    let headers: Vec<(&str, &str)> = parts
        .headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
        .collect();
    let signed = sigv4::SignedRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or_default(),
        headers,
        body: &bytes,
    };
    let settings = &state.ctx.settings;
    let mut key: Option<Arc<Key>> = None;
    let verified = sigv4::verify(
        &signed,
        &settings.region,
        service.prefix(),
        state.ctx.clock.now(),
        |id| {
            let k = keys.get(id)?;
            let secret = keys::secret_text(&k);
            key = Some(k);
            Some(secret)
        },
    );
    let key = match (verified, key) {
        (Ok(_), Some(key)) => key,
        (Err(e), _) => {
            tracing::info!(reason = %e, path = %parts.uri.path(), "AWS request refused.");
            let e = AwsError::from(e);
            state
                .audit
                .log_refused(unauthenticated(&state, &seen, e.code, &e.message));
            return with_request_id(refuse(e), &seen.request_id);
        }
        (Ok(_), None) => return refuse(AwsError::from(sigv4::SigError::UnknownKey)),
    };
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let target = actions::target(
        service,
        &seen.operation,
        actions::Input {
            body: &serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            query: &query,
            path_arn: tags_arn(parts.uri.path()).as_deref(),
        },
        &key.account,
        &settings.region,
    );
    let access = match &target {
        None => Ok(Access::Own),
        Some(t) => authz::authorize(&state.ctx.store, &key, t).await,
    };
    let (response, recipient) = match access {
        Ok(Access::Denied(message)) => (
            refuse(AwsError::new(
                StatusCode::FORBIDDEN,
                "AccessDeniedException",
                message,
            )),
            key.account.clone(),
        ),
        Err(e) => (refuse(AwsError::internal(&e)), key.account.clone()),
        Ok(access) => {
            let account = match access {
                Access::Shared { owner } => owner,
                _ => key.account.clone(),
            };
            let caller = Caller {
                principal: authz::principal_arn(&key),
                account: account.clone(),
                key: key.clone(),
            };
            let mut request = Request::from_parts(parts, Body::from(bytes));
            request.extensions_mut().insert(caller);
            (next.run(request).await, account)
        }
    };
    let read_only = target
        .as_ref()
        .map_or_else(|| actions::is_read_only(&seen.operation), |t| t.read_only);
    record(
        &state,
        &key,
        seen,
        target.as_ref(),
        read_only,
        recipient,
        response,
    )
    .await
}

/// The operation, the audit fields of the request, and a new request id.
fn seen(parts: &axum::http::request::Parts, body: &Bytes, service: Service) -> Seen {
    let header = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let operation = match service {
        Service::Contacts => header(X_AMZ_TARGET)
            .map(|t| t.strip_prefix("SSMContacts.").unwrap_or(&t).to_string())
            .unwrap_or_default(),
        Service::Incidents => {
            let path = parts
                .extensions
                .get::<MatchedPath>()
                .map_or(parts.uri.path(), MatchedPath::as_str);
            actions::rest_operation(parts.method.as_str(), path)
                .unwrap_or_else(|| format!("{} {}", parts.method, parts.uri.path()))
        }
    };
    let mut parameters = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    if let Some(q) = parts.uri.query() {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(q).unwrap_or_default();
        for (k, v) in pairs {
            parameters.insert(k, Value::String(v));
        }
    }
    if let Some(arn) = tags_arn(parts.uri.path()) {
        parameters.insert("resourceArn".into(), Value::String(arn));
    }
    Seen {
        service,
        operation,
        source_ip: parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string()),
        user_agent: header(header::USER_AGENT.as_str()),
        parameters: (!parameters.is_empty()).then_some(Value::Object(parameters)),
        request_id: uuid::Uuid::new_v4().to_string(),
    }
}

/// The decoded ARN of `/tags/{resourceArn}`.
fn tags_arn(path: &str) -> Option<String> {
    let raw = path.strip_prefix("/tags/")?;
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(&format!("a={}", raw.replace('+', "%2B"))).ok()?;
    pairs.into_iter().next().map(|(_, v)| v)
}

fn with_request_id(mut response: Response, id: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(id) {
        response.headers_mut().insert(REQUEST_ID, v);
    }
    response
}

/// The event of a request whose signature did not verify (logged only).
fn unauthenticated(state: &AwsState, seen: &Seen, code: &str, message: &str) -> audit::Call {
    audit::Call {
        time: state.ctx.clock.now(),
        source: seen.service.event_source(),
        name: seen.operation.clone(),
        region: state.ctx.settings.region.clone(),
        source_ip: seen.source_ip.clone(),
        user_agent: seen.user_agent.clone(),
        identity: audit::Identity {
            kind: "Unknown",
            account: String::new(),
            access_key_id: None,
            arn: String::new(),
            user_name: String::new(),
        },
        request: None,
        response: None,
        error_code: Some(code.to_string()),
        error_message: Some(message.to_string()),
        request_id: seen.request_id.clone(),
        event_id: uuid::Uuid::new_v4().to_string(),
        read_only: actions::is_read_only(&seen.operation),
        recipient_account: String::new(),
    }
}

/// Records the call in the audit log and returns the answer with its request id.
async fn record(
    state: &AwsState,
    key: &Key,
    seen: Seen,
    target: Option<&Target>,
    read_only: bool,
    recipient: String,
    response: Response,
) -> Response {
    let error_code = response
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // Answers are read back only when recorded: errors (their message) and writes.
    let (response, answer) = if error_code.is_some() || !read_only {
        let (parts, body) = response.into_parts();
        match to_bytes(body, MAX_RECORDED_ANSWER).await {
            Ok(b) => {
                let v = serde_json::from_slice::<Value>(&b).ok();
                (Response::from_parts(parts, Body::from(b)), v)
            }
            Err(_) => (
                AwsError::internal(&"answer too large to record").into_response(),
                None,
            ),
        }
    } else {
        (response, None)
    };
    let error_message = error_code.as_ref().and(answer.as_ref()).and_then(|a| {
        a.get("message")
            .or_else(|| a.get("Message"))
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    let response_elements = match (&error_code, answer) {
        (None, Some(a)) if !read_only => Some(a),
        _ => None,
    };
    let name = target.map_or(seen.operation.clone(), |t| t.operation.clone());
    let call = audit::Call {
        time: state.ctx.clock.now(),
        source: seen.service.event_source(),
        name,
        region: state.ctx.settings.region.clone(),
        source_ip: seen.source_ip,
        user_agent: seen.user_agent,
        identity: audit::Identity {
            kind: "IAMUser",
            account: key.account.clone(),
            access_key_id: Some(key.access_key_id.clone()),
            arn: authz::principal_arn(key),
            user_name: key.access_key_id.clone(),
        },
        request: seen.parameters,
        response: response_elements,
        error_code,
        error_message,
        request_id: seen.request_id.clone(),
        event_id: uuid::Uuid::new_v4().to_string(),
        read_only,
        recipient_account: recipient,
    };
    state.audit.record(call).await;
    with_request_id(response, &seen.request_id)
}
