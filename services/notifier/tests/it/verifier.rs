//! A webhook receiver that verifies Standard Webhooks signatures with its own HMAC (built here
//! from SHA-256, independent of the notifier's `hmac` crate): 204 to correctly signed, fresh
//! requests, 401 to the rest, or the scripted statuses first.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// HMAC-SHA256 as RFC 2104 writes it.
pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub(crate) struct Got {
    pub(crate) path: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) verified: bool,
}

impl Got {
    pub(crate) fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }
}

#[derive(Clone)]
struct Verifier {
    key: Vec<u8>,
    now: i64,
    got: Arc<Mutex<Vec<Got>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
}

/// A verifying receiver on loopback.
#[derive(Clone)]
pub(crate) struct SignedReceiver {
    addr: SocketAddr,
    got: Arc<Mutex<Vec<Got>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
}

impl SignedReceiver {
    /// Verifies with `key`, taking `now` (Unix seconds) as its clock.
    pub(crate) async fn start(key: Vec<u8>, now: i64) -> Self {
        let got = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::new()));
        let state = Verifier {
            key,
            now,
            got: got.clone(),
            script: script.clone(),
        };
        let app = Router::new()
            .route("/{*path}", post(verify))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, got, script }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}/{}", self.addr, path.trim_start_matches('/'))
    }

    /// Answers the next verified requests with these statuses first.
    pub(crate) fn script(&self, statuses: &[u16]) {
        self.script.lock().unwrap().extend(statuses);
    }

    pub(crate) fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }
}

/// The receiver of the webhook driver's tests: `/hook`, no script.
pub(crate) async fn start_verifier(key: Vec<u8>, now: i64) -> (SocketAddr, Arc<Mutex<Vec<Got>>>) {
    let r = SignedReceiver::start(key, now).await;
    (r.addr, r.got)
}

async fn verify(
    State(v): State<Verifier>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (id, timestamp, signatures) = (
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
    );
    let fresh = timestamp
        .parse::<i64>()
        .is_ok_and(|t| (t - v.now).abs() <= 300);
    let mut signed = format!("{id}.{timestamp}.").into_bytes();
    signed.extend_from_slice(&body);
    let expected = STANDARD.encode(hmac_sha256(&v.key, &signed));
    let verified = fresh
        && !id.is_empty()
        && signatures
            .split(' ')
            .filter_map(|s| s.split_once(','))
            .any(|(version, sig)| version == "v1" && sig == expected);
    v.got.lock().unwrap().push(Got {
        path: uri.path().to_string(),
        headers: headers.clone(),
        body,
        verified,
    });
    if !verified {
        return StatusCode::UNAUTHORIZED;
    }
    match v.script.lock().unwrap().pop_front() {
        Some(s) => StatusCode::from_u16(s).unwrap(),
        None => StatusCode::NO_CONTENT,
    }
}
