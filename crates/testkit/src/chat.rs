//! Fake chat webhooks on loopback that check bodies the way the real services do: a Slack
//! incoming webhook (`text` or `blocks` required; answers `ok`, or 400 `invalid_payload` /
//! `no_text`), a Microsoft Teams workflow webhook (a `message` with an Adaptive Card
//! attachment; answers 202), an Amazon Chime webhook (`Content` required; answers 200).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

/// One message a chat peer accepted.
#[derive(Debug, Clone)]
pub struct ChatPost {
    /// `slack`, `teams` or `chime`.
    pub service: String,
    /// The body.
    pub json: serde_json::Value,
    /// The `Idempotency-Key` header, if any.
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Default)]
struct Inner {
    posts: Vec<ChatPost>,
    refused: usize,
    script: VecDeque<u16>,
}

/// Slack, Teams and Chime webhooks on one loopback port.
#[derive(Debug, Clone)]
pub struct ChatPeer {
    addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl ChatPeer {
    /// Starts the peer on `127.0.0.1:0`.
    pub async fn start() -> anyhow::Result<Self> {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new()
            .route("/{service}/{*hook}", post(receive))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, inner })
    }

    /// A Slack incoming webhook URL.
    pub fn slack_url(&self) -> String {
        format!("http://{}/slack/services/T000/B000/XXXXSECRET", self.addr)
    }

    /// A Teams workflow webhook URL.
    pub fn teams_url(&self) -> String {
        format!(
            "http://{}/teams/workflows/abc/triggers/manual/paths/invoke?sig=SECRET",
            self.addr
        )
    }

    /// A Chime webhook URL.
    pub fn chime_url(&self) -> String {
        format!(
            "http://{}/chime/incomingwebhooks/abc?token=SECRET",
            self.addr
        )
    }

    /// The next requests answer these statuses before being looked at (then normal answers).
    pub fn script(&self, statuses: &[u16]) {
        self.lock().script.extend(statuses);
    }

    /// Messages accepted so far.
    pub fn posts(&self) -> Vec<ChatPost> {
        self.lock().posts.clone()
    }

    /// Requests refused as malformed.
    pub fn refused(&self) -> usize {
        self.lock().refused
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn check(service: &str, v: &serde_json::Value) -> Result<StatusCode, (StatusCode, &'static str)> {
    match service {
        "slack" => {
            let text = v["text"].as_str().is_some_and(|t| !t.is_empty());
            let blocks = v["blocks"]
                .as_array()
                .is_some_and(|b| !b.is_empty() && b.iter().all(|x| x["type"].is_string()));
            if v.is_null() {
                Err((StatusCode::BAD_REQUEST, "invalid_payload"))
            } else if !text && !blocks {
                Err((StatusCode::BAD_REQUEST, "no_text"))
            } else {
                Ok(StatusCode::OK)
            }
        }
        "teams" => {
            let card = &v["attachments"][0];
            let ok = v["type"] == "message"
                && card["contentType"] == "application/vnd.microsoft.card.adaptive"
                && card["content"]["type"] == "AdaptiveCard"
                && card["content"]["body"].is_array();
            if ok {
                Ok(StatusCode::ACCEPTED)
            } else {
                Err((StatusCode::BAD_REQUEST, "not an adaptive card message"))
            }
        }
        "chime" => {
            if v["Content"]
                .as_str()
                .is_some_and(|c| !c.is_empty() && c.chars().count() <= 4096)
            {
                Ok(StatusCode::OK)
            } else {
                Err((StatusCode::BAD_REQUEST, "Content is required"))
            }
        }
        _ => Err((StatusCode::NOT_FOUND, "no_service")),
    }
}

async fn receive(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path((service, _hook)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut inner = inner.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(status) = inner.script.pop_front() {
        return StatusCode::from_u16(status)
            .unwrap_or(StatusCode::OK)
            .into_response();
    }
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    match check(&service, &json) {
        Ok(status) => {
            inner.posts.push(ChatPost {
                service,
                json,
                idempotency_key: headers
                    .get("idempotency-key")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string),
            });
            (status, "ok").into_response()
        }
        Err((status, reason)) => {
            inner.refused += 1;
            (status, reason).into_response()
        }
    }
}
