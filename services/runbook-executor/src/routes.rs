//! Native HTTP routes of runbooks, mounted inside the API's bearer-authenticated router (the
//! token's account is the tenant):
//!
//! | route | what |
//! |---|---|
//! | `POST /v1/runbooks/documents` | register a document version (`name`, `content`, `makeDefault`); 400 names each line and rule |
//! | `GET /v1/runbooks/documents` | documents (built-ins included) |
//! | `GET /v1/runbooks/documents/{name}` | a document with every version |
//! | `POST /v1/runbooks/executions` | start one (`documentName`, `documentVersion`, `parameters`, `incidentId`) |
//! | `GET /v1/runbooks/executions` | executions (`?incidentId=` filters) |
//! | `GET /v1/runbooks/executions/{id}` | one execution: every step, the current one marked |
//! | `POST /v1/runbooks/executions/{id}/resume` | complete the paused step (`stepName`, `by`) |
//! | `POST /v1/runbooks/executions/{id}/approve` | approve or reject (`approver`, `approve`, `comment`) |
//! | `POST /v1/runbooks/executions/{id}/cancel` | cancel (`reason`) |
//! | `GET /v1/incidents/{id}/runbooks` | the incident's runbook tab: executions and the banner state |

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tocsin_proto::records::{RunbookExecution, RunbookStatus, runbook_kinds};
use tocsin_runtime::{Context, Records};

use crate::config::RunbookConfig;
use crate::core::Input;
use crate::docs::{self, DocsError};
use crate::drive::{DriveError, Engine};
use crate::start::{self, StartRequest};

#[derive(Clone)]
struct S {
    engine: Engine,
    records: Records,
}

struct ApiError(StatusCode, &'static str, Value);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "code": self.1 });
        if let (Some(b), Some(extra)) = (body.as_object_mut(), self.2.as_object()) {
            b.extend(extra.clone());
        }
        (self.0, Json(body)).into_response()
    }
}

fn msg(status: StatusCode, code: &'static str, m: impl std::fmt::Display) -> ApiError {
    ApiError(status, code, json!({ "message": m.to_string() }))
}

impl From<DocsError> for ApiError {
    fn from(e: DocsError) -> Self {
        match e {
            DocsError::Invalid(inv) => {
                let problems: Vec<Value> = inv
                    .0
                    .iter()
                    .map(|p| json!({"line": p.line, "path": p.path, "rule": p.rule}))
                    .collect();
                ApiError(
                    StatusCode::BAD_REQUEST,
                    "InvalidDocument",
                    json!({"message": inv.to_string(), "problems": problems}),
                )
            }
            DocsError::Name(_) => msg(StatusCode::BAD_REQUEST, "ValidationException", e),
            DocsError::BuiltIn(_) => msg(StatusCode::CONFLICT, "ConflictException", e),
            DocsError::NotFound { .. } => {
                msg(StatusCode::NOT_FOUND, "ResourceNotFoundException", e)
            }
            DocsError::Records(_) => msg(
                StatusCode::SERVICE_UNAVAILABLE,
                "InternalServerException",
                e,
            ),
        }
    }
}

impl From<DriveError> for ApiError {
    fn from(e: DriveError) -> Self {
        match e {
            DriveError::NotFound(_) => msg(StatusCode::NOT_FOUND, "ResourceNotFoundException", e),
            DriveError::Refused(_) => msg(StatusCode::CONFLICT, "ConflictException", e),
            DriveError::Store(_) => msg(
                StatusCode::SERVICE_UNAVAILABLE,
                "InternalServerException",
                e,
            ),
        }
    }
}

/// The runbook routes on `ctx`, for the API's authenticated router (any state type: they carry
/// their own).
pub fn router<T: Clone + Send + Sync + 'static>(ctx: &Context) -> Router<T> {
    let state = S {
        engine: Engine::new(ctx.clone(), RunbookConfig::default()),
        records: ctx.records(),
    };
    Router::new()
        .route("/v1/runbooks/documents", post(register).get(list_documents))
        .route("/v1/runbooks/documents/{name}", get(get_document))
        .route(
            "/v1/runbooks/executions",
            post(start_execution).get(list_executions),
        )
        .route("/v1/runbooks/executions/{id}", get(get_execution))
        .route("/v1/runbooks/executions/{id}/resume", post(resume))
        .route("/v1/runbooks/executions/{id}/approve", post(approve))
        .route("/v1/runbooks/executions/{id}/cancel", post(cancel))
        .route("/v1/incidents/{id}/runbooks", get(incident_runbooks))
        .with_state(state)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegisterBody {
    name: String,
    content: String,
    #[serde(default)]
    make_default: bool,
}

async fn register(
    State(s): State<S>,
    Json(b): Json<RegisterBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let now = s.engine.ctx.clock.now();
    let (head, version) =
        docs::register(&s.records, &b.name, &b.content, b.make_default, now).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"document": head, "documentVersion": version.document_version})),
    ))
}

async fn list_documents(State(s): State<S>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "documents": docs::list(&s.records).await? })))
}

async fn get_document(
    State(s): State<S>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (head, versions) = docs::versions(&s.records, &name).await?;
    Ok(Json(json!({ "document": head, "versions": versions })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartBody {
    document_name: String,
    #[serde(default)]
    document_version: Option<String>,
    #[serde(default)]
    parameters: BTreeMap<String, Value>,
    #[serde(default)]
    incident_id: Option<String>,
    #[serde(default)]
    executed_by: Option<String>,
    #[serde(default)]
    cancel_on_resolve: bool,
}

async fn start_execution(
    State(s): State<S>,
    Json(b): Json<StartBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let id = uuid_like(&s, &b.document_name);
    let req = StartRequest {
        document_name: b.document_name,
        document_version: b.document_version,
        parameters: b.parameters,
        dynamic: BTreeMap::new(),
        cancel_on_resolve: b.cancel_on_resolve,
        executed_by: b
            .executed_by
            .unwrap_or_else(|| format!("arn:aws:iam::{}:user/api", s.records.account())),
    };
    let exec = start::manual(&s.engine, &s.records, &id, &req, b.incident_id.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(view(&exec))))
}

/// A fresh execution id (time-ordered, unique per call).
fn uuid_like(s: &S, name: &str) -> String {
    let now = s.engine.ctx.clock.now();
    let nonce = NONCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    tocsin_core::ids::derive(&[
        "manual-execution",
        s.records.account(),
        name,
        &now.to_rfc3339(),
        &std::process::id().to_string(),
        &nonce.to_string(),
        &format!("{:p}", &NONCE),
    ])
}

static NONCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    #[serde(default)]
    incident_id: Option<String>,
}

async fn executions_of(s: &S, incident: Option<&str>) -> Result<Vec<RunbookExecution>, ApiError> {
    let mut all: Vec<RunbookExecution> =
        s.records
            .list(runbook_kinds::EXECUTION)
            .await
            .map_err(|e| {
                msg(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "InternalServerException",
                    e,
                )
            })?;
    all.retain(|e| incident.is_none() || e.incident_id.as_deref() == incident);
    all.sort_by_key(|e| e.execution_start_time);
    Ok(all)
}

async fn list_executions(
    State(s): State<S>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let all = executions_of(&s, q.incident_id.as_deref()).await?;
    Ok(Json(
        json!({ "automationExecutions": all.iter().map(view).collect::<Vec<_>>() }),
    ))
}

/// An execution as the runbook tab shows it: each step says whether it is past, current or to
/// come.
pub fn view(e: &RunbookExecution) -> Value {
    let mut v = serde_json::to_value(e).unwrap_or_default();
    if let Some(m) = v.as_object_mut() {
        m.remove("document");
        m.remove("outbox");
        let current = e.current_step_index;
        let steps: Vec<Value> = e
            .step_executions
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut sv = serde_json::to_value(s).unwrap_or_default();
                let place = match current {
                    Some(c) if c == i && !e.automation_execution_status.is_terminal() => "current",
                    _ if s.step_status == RunbookStatus::Pending => "future",
                    _ => "past",
                };
                if let Some(o) = sv.as_object_mut() {
                    o.insert("place".into(), json!(place));
                }
                sv
            })
            .collect();
        m.insert("stepExecutions".into(), Value::Array(steps));
    }
    v
}

async fn get_execution(
    State(s): State<S>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    match s
        .records
        .get::<RunbookExecution>(runbook_kinds::EXECUTION, &id)
        .await
    {
        Ok(Some((e, _))) => Ok(Json(view(&e))),
        Ok(None) => Err(msg(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            format!("execution {id} does not exist"),
        )),
        Err(e) => Err(msg(
            StatusCode::SERVICE_UNAVAILABLE,
            "InternalServerException",
            e,
        )),
    }
}

async fn signal(s: &S, id: &str, input: Input) -> Result<Json<Value>, ApiError> {
    let exec = s.engine.drive(&s.records, id, input, false).await?;
    Ok(Json(view(&exec)))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ResumeBody {
    #[serde(default)]
    step_name: Option<String>,
    #[serde(default)]
    by: Option<String>,
}

async fn resume(
    State(s): State<S>,
    Path(id): Path<String>,
    body: Option<Json<ResumeBody>>,
) -> Result<Json<Value>, ApiError> {
    let b = body.map(|b| b.0).unwrap_or_default();
    let by = b.by.unwrap_or_else(|| "api".into());
    signal(
        &s,
        &id,
        Input::Resume {
            step: b.step_name,
            by,
        },
    )
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApproveBody {
    approver: String,
    #[serde(default = "yes")]
    approve: bool,
    #[serde(default)]
    comment: Option<String>,
}

fn yes() -> bool {
    true
}

async fn approve(
    State(s): State<S>,
    Path(id): Path<String>,
    Json(b): Json<ApproveBody>,
) -> Result<Json<Value>, ApiError> {
    signal(
        &s,
        &id,
        Input::Approve {
            by: b.approver,
            approve: b.approve,
            comment: b.comment,
        },
    )
    .await
}

#[derive(Deserialize, Default)]
struct CancelBody {
    #[serde(default)]
    reason: Option<String>,
}

async fn cancel(
    State(s): State<S>,
    Path(id): Path<String>,
    body: Option<Json<CancelBody>>,
) -> Result<Json<Value>, ApiError> {
    let reason = body
        .and_then(|b| b.0.reason)
        .unwrap_or_else(|| "cancelled through the API".into());
    signal(&s, &id, Input::Cancel { reason }).await
}

/// The banner state of an incident's runbooks: awaiting input, success, not successful (or in
/// progress, which the console does not name).
fn banner(all: &[RunbookExecution]) -> &'static str {
    use RunbookStatus::*;
    if all.iter().any(|e| e.automation_execution_status == Waiting) {
        "AwaitingInput"
    } else if all
        .iter()
        .any(|e| matches!(e.automation_execution_status, Failed | TimedOut | Cancelled))
    {
        "NotSuccessful"
    } else if !all.is_empty() && all.iter().all(|e| e.automation_execution_status == Success) {
        "Success"
    } else if all.is_empty() {
        "None"
    } else {
        "InProgress"
    }
}

async fn incident_runbooks(
    State(s): State<S>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let all = executions_of(&s, Some(&id)).await?;
    let top: Vec<&RunbookExecution> = all.iter().filter(|e| e.parent.is_none()).collect();
    let owned: Vec<RunbookExecution> = top.iter().map(|e| (*e).clone()).collect();
    Ok(Json(json!({
        "runbookStatus": banner(&owned),
        "automationExecutions": top.iter().map(|e| view(e)).collect::<Vec<_>>(),
    })))
}
