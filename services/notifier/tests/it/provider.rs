//! A fake SMS and voice provider implementing the slice of Twilio's REST API the notifier uses:
//! `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` and `.../Calls.json`, form-encoded,
//! HTTP basic auth, `I-Twilio-Idempotency-Token`, JSON answers with `sid` and `status`, and
//! Twilio's error shape (`code`, `message`, `status`).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

pub const SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const TOKEN: &str = "twilio-token-hunter2";

/// One request the provider got.
#[derive(Debug, Clone)]
pub struct Request {
    /// `Messages` or `Calls`.
    pub resource: String,
    /// The idempotency token header.
    pub idempotency_token: Option<String>,
    /// The form fields.
    pub form: HashMap<String, String>,
    /// What it answered.
    pub status: u16,
}

/// One message or call the provider created.
#[derive(Debug, Clone)]
pub struct Created {
    pub sid: String,
    pub resource: String,
    pub form: HashMap<String, String>,
}

#[derive(Debug, Default)]
struct Inner {
    script: VecDeque<u16>,
    requests: Vec<Request>,
    created: Vec<Created>,
    by_token: HashMap<String, usize>,
    hang: VecDeque<std::time::Duration>,
}

#[derive(Debug, Clone)]
pub struct FakeProvider {
    addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl FakeProvider {
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new()
            .route("/2010-04-01/Accounts/{account}/{file}", post(create))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, inner }
    }

    /// The base URL (`TOCSIN_SMS_PROVIDER_URL`).
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Answers the next authenticated, well-formed requests with these statuses first.
    pub fn script(&self, statuses: &[u16]) {
        self.lock().script.extend(statuses);
    }

    /// The next successful requests create their message, then answer only after these delays
    /// (a provider that acted but whose answer is lost past the caller's deadline).
    pub fn hang(&self, delays: &[std::time::Duration]) {
        self.lock().hang.extend(delays);
    }

    pub fn requests(&self) -> Vec<Request> {
        self.lock().requests.clone()
    }

    pub fn created(&self) -> Vec<Created> {
        self.lock().created.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap()
    }
}

fn error(status: StatusCode, code: u32, message: &str) -> Response {
    let body = json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status.as_u16(),
    });
    (status, Json(body)).into_response()
}

fn authorized(headers: &HeaderMap, account: &str) -> bool {
    let Some(value) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    else {
        return false;
    };
    let Ok(decoded) = STANDARD.decode(value) else {
        return false;
    };
    decoded == format!("{SID}:{TOKEN}").as_bytes() && account == SID
}

async fn create(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path((account, file)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (response, delay) = answer(&inner, &account, &file, &headers, &form);
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    response
}

fn answer(
    inner: &Mutex<Inner>,
    account: &str,
    file: &str,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> (Response, Option<std::time::Duration>) {
    let response = |r: Response| (r, None);
    let resource = match file {
        "Messages.json" => "Messages",
        "Calls.json" => "Calls",
        _ => {
            return response(error(
                StatusCode::NOT_FOUND,
                20404,
                "The requested resource was not found",
            ));
        }
    };
    let token = headers
        .get("i-twilio-idempotency-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut inner = inner.lock().unwrap();
    let record = |status: StatusCode, inner: &mut Inner| {
        inner.requests.push(Request {
            resource: resource.into(),
            idempotency_token: token.clone(),
            form: form.clone(),
            status: status.as_u16(),
        });
    };
    if !authorized(headers, account) {
        record(StatusCode::UNAUTHORIZED, &mut inner);
        return response(error(StatusCode::UNAUTHORIZED, 20003, "Authenticate"));
    }
    let content = if resource == "Messages" {
        "Body"
    } else {
        "Twiml"
    };
    for field in ["To", "From", content] {
        if form.get(field).is_none_or(|v| v.is_empty()) {
            record(StatusCode::BAD_REQUEST, &mut inner);
            return response(error(
                StatusCode::BAD_REQUEST,
                21604,
                &format!("A '{field}' parameter is required."),
            ));
        }
    }
    if let Some(status) = inner.script.pop_front() {
        let status = StatusCode::from_u16(status).unwrap();
        record(status, &mut inner);
        return response(error(status, 20500, "Scripted failure"));
    }
    // A repeated idempotency token returns what the first request created.
    let existing = token.as_ref().and_then(|t| inner.by_token.get(t).copied());
    let index = match existing {
        Some(i) => i,
        None => {
            let prefix = if resource == "Messages" { "SM" } else { "CA" };
            let sid = format!("{prefix}{:032x}", inner.created.len() + 1);
            inner.created.push(Created {
                sid,
                resource: resource.into(),
                form: form.clone(),
            });
            let i = inner.created.len() - 1;
            if let Some(t) = &token {
                inner.by_token.insert(t.clone(), i);
            }
            i
        }
    };
    record(StatusCode::CREATED, &mut inner);
    let created = inner.created[index].clone();
    let delay = inner.hang.pop_front();
    let body = json!({
        "sid": created.sid,
        "account_sid": SID,
        "to": created.form.get("To"),
        "from": created.form.get("From"),
        "status": "queued",
    });
    ((StatusCode::CREATED, Json(body)).into_response(), delay)
}
