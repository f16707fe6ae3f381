//! A fake PagerDuty REST API v2 on loopback: `POST /incidents` (refuses a second open incident
//! with the same `incident_key`, as PagerDuty does), `GET /incidents?incident_key=`,
//! `POST /incidents/{id}/notes`, `PUT /incidents/{id}`. Every request must carry
//! `Authorization: Token token=<token>`, the v2 `Accept` header and a `From` email.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::{Value, json};

/// One incident the fake holds.
#[derive(Debug, Clone)]
pub struct PdIncident {
    /// PagerDuty id.
    pub id: String,
    /// The `incident_key`.
    pub key: String,
    /// Title.
    pub title: String,
    /// Service id.
    pub service: String,
    /// `triggered` or `resolved`.
    pub status: String,
    /// Notes, in order.
    pub notes: Vec<String>,
}

#[derive(Debug)]
struct Inner {
    token: String,
    incidents: Vec<PdIncident>,
    unauthorized: usize,
    fail_next: Vec<u16>,
}

/// The fake PagerDuty.
#[derive(Debug, Clone)]
pub struct PagerDutyPeer {
    addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl PagerDutyPeer {
    /// Starts it on `127.0.0.1:0`, accepting `token`.
    pub async fn start(token: &str) -> anyhow::Result<Self> {
        let inner = Arc::new(Mutex::new(Inner {
            token: token.to_string(),
            incidents: Vec::new(),
            unauthorized: 0,
            fail_next: Vec::new(),
        }));
        let app = Router::new()
            .route("/incidents", post(create).get(list))
            .route("/incidents/{id}", put(update))
            .route("/incidents/{id}/notes", post(note))
            .route("/health", get(|| async { "ok" }))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, inner })
    }

    /// Its base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The incidents so far.
    pub fn incidents(&self) -> Vec<PdIncident> {
        self.lock().incidents.clone()
    }

    /// Requests refused for a wrong or missing token.
    pub fn unauthorized(&self) -> usize {
        self.lock().unauthorized
    }

    /// The next requests answer these statuses (then normal answers).
    pub fn script(&self, statuses: &[u16]) {
        self.lock().fail_next.extend(statuses);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

type Shared = State<Arc<Mutex<Inner>>>;

fn gate(inner: &mut Inner, headers: &HeaderMap) -> Option<Response> {
    if !inner.fail_next.is_empty() {
        let s = inner.fail_next.remove(0);
        return Some(
            StatusCode::from_u16(s)
                .unwrap_or(StatusCode::OK)
                .into_response(),
        );
    }
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    if h("authorization") != format!("Token token={}", inner.token) {
        inner.unauthorized += 1;
        return Some(
            (
                StatusCode::UNAUTHORIZED,
                Json(json!({"error": {"message": "Unauthorized", "code": 2006}})),
            )
                .into_response(),
        );
    }
    if h("accept") != "application/vnd.pagerduty+json;version=2" || !h("from").contains('@') {
        return Some(
            (StatusCode::BAD_REQUEST, Json(json!({"error": {"message": "Invalid Input Provided", "code": 2001, "errors": ["From or Accept header"]}})))
                .into_response(),
        );
    }
    None
}

async fn create(State(inner): Shared, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let mut inner = inner.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(r) = gate(&mut inner, &headers) {
        return r;
    }
    let i = &body["incident"];
    let key = i["incident_key"].as_str().unwrap_or_default().to_string();
    if inner
        .incidents
        .iter()
        .any(|x| x.key == key && x.status != "resolved")
    {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": {"message": "Invalid Input Provided", "code": 2001, "errors": ["Open incident with key already exists"]}})))
            .into_response();
    }
    let id = format!("PD{:05}", inner.incidents.len() + 1);
    inner.incidents.push(PdIncident {
        id: id.clone(),
        key,
        title: i["title"].as_str().unwrap_or_default().to_string(),
        service: i["service"]["id"].as_str().unwrap_or_default().to_string(),
        status: "triggered".into(),
        notes: Vec::new(),
    });
    (
        StatusCode::CREATED,
        Json(json!({"incident": {"id": id, "type": "incident", "status": "triggered"}})),
    )
        .into_response()
}

async fn list(
    State(inner): Shared,
    headers: HeaderMap,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let mut inner = inner.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(r) = gate(&mut inner, &headers) {
        return r;
    }
    let found: Vec<Value> = inner
        .incidents
        .iter()
        .filter(|x| {
            q.get("incident_key")
                .map(String::as_str)
                .is_none_or(|k| k == x.key)
        })
        .map(|x| json!({"id": x.id, "status": x.status, "incident_key": x.key}))
        .collect();
    Json(json!({"incidents": found})).into_response()
}

async fn update(
    State(inner): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    let mut inner = inner.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(r) = gate(&mut inner, &headers) {
        return r;
    }
    let Some(x) = inner.incidents.iter_mut().find(|x| x.id == id) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": {"message": "Not Found", "code": 2100}})),
        )
            .into_response();
    };
    if let Some(s) = body["incident"]["status"].as_str() {
        x.status = s.to_string();
    }
    Json(json!({"incident": {"id": x.id, "status": x.status}})).into_response()
}

async fn note(
    State(inner): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    let mut inner = inner.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(r) = gate(&mut inner, &headers) {
        return r;
    }
    let Some(x) = inner.incidents.iter_mut().find(|x| x.id == id) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": {"message": "Not Found", "code": 2100}})),
        )
            .into_response();
    };
    x.notes.push(
        body["note"]["content"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    );
    (
        StatusCode::CREATED,
        Json(json!({"note": {"id": format!("N{}", x.notes.len())}})),
    )
        .into_response()
}
