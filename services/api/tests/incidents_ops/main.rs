//! The `ssm-incidents` operations beyond incidents and plans (timeline events, related items,
//! replication sets, resource policies, tags, findings, plan updates, record deletion), on
//! the embedded backends and on real RabbitMQ and Redis. Requests are signed with SigV4 the
//! way botocore signs them (the path encoded once more in the canonical request) and sent
//! through the router with `oneshot`; time moves through the injected `ManualClock`.

mod events;
mod records;
mod related;
mod replication;
mod tagging;

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use chrono::{DateTime, TimeZone, Utc};
use hmac::{Hmac, Mac};
use secrecy::SecretString;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tocsin_core::clock::Clock;
use tocsin_runtime::Context;
use tocsin_runtime::config::AwsCredential;
use tocsin_testkit::{Kind, ManualClock, TestBackends};
use tower::ServiceExt;

/// Runs each named `async fn(Kind)` on the embedded backends and on real RabbitMQ and Redis.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(tocsin_testkit::Kind::Memory).await })*
        }
        mod real {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(tocsin_testkit::Kind::Real).await })*
        }
    };
}
pub(crate) use on_both_backends;

/// Account of the first key.
pub const ACCOUNT: &str = "123456789012";
/// A second tenant.
pub const OTHER_ACCOUNT: &str = "210987654321";
const KEY_ID: &str = "AKIDTOCSINOPS00001";
const SECRET: &str = "ops-secret-for-the-first-tenant";
const OTHER_KEY_ID: &str = "AKIDTOCSINOPS00002";
const OTHER_SECRET: &str = "ops-secret-for-the-other-tenant";
const HOST: &str = "tocsin.test";

/// The API on one kind of backends, two tenants, a manual clock.
pub struct Api {
    router: Router,
    /// The clock of the context.
    pub clock: Arc<ManualClock>,
    _backends: TestBackends,
}

/// An answer: status, `x-amzn-ErrorType`, JSON body (Null when empty).
#[derive(Debug)]
pub struct Answer {
    /// Status.
    pub status: StatusCode,
    /// `x-amzn-ErrorType`.
    pub error_type: Option<String>,
    /// JSON body.
    pub body: Value,
}

impl Answer {
    /// Asserts the status and returns the body.
    #[track_caller]
    pub fn ok(self, status: StatusCode) -> Value {
        assert_eq!(self.status, status, "{self:?}");
        self.body
    }

    /// Asserts an error shape and status.
    #[track_caller]
    pub fn err(&self, status: StatusCode, code: &str) {
        assert_eq!(
            (self.status, self.error_type.as_deref()),
            (status, Some(code)),
            "{self:?}"
        );
    }
}

fn hmac(key: &[u8], msg: &str) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
    m.update(msg.as_bytes());
    m.finalize().into_bytes().to_vec()
}

/// RFC 3986 strict encoding (botocore's `quote(safe='-_.~')`), `/` kept when `path`.
pub fn encode(s: &str, path: bool) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b'/' if path => "/".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A request signed as `key_id` at `at`; `path` is already percent-encoded as sent.
fn signed(
    key_id: &str,
    secret: &str,
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    body: Vec<u8>,
    at: DateTime<Utc>,
) -> Request<Body> {
    let amz_date = at.format("%Y%m%dT%H%M%SZ").to_string();
    let day = &amz_date[..8];
    let payload_hash = hex::encode(Sha256::digest(&body));
    let mut q: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k, false), encode(v, false)))
        .collect();
    q.sort();
    let query_string = q.join("&");
    let canonical = format!(
        "{method}\n{}\n{query_string}\nhost:{HOST}\nx-amz-content-sha256:{payload_hash}\nx-amz-date:{amz_date}\n\nhost;x-amz-content-sha256;x-amz-date\n{payload_hash}",
        encode(path, true)
    );
    let scope = format!("{day}/us-east-1/ssm-incidents/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let mut k = hmac(format!("AWS4{secret}").as_bytes(), day);
    for part in ["us-east-1", "ssm-incidents", "aws4_request"] {
        k = hmac(&k, part);
    }
    let signature = hex::encode(hmac(&k, &to_sign));
    let uri = if query_string.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query_string}")
    };
    Request::builder()
        .method(method)
        .uri(uri)
        .header("host", HOST)
        .header("content-type", "application/json")
        .header("x-amz-date", &amz_date)
        .header("x-amz-content-sha256", &payload_hash)
        .header(
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential={key_id}/{scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={signature}"
            ),
        )
        .body(Body::from(body))
        .unwrap()
}

fn credential(id: &str, secret: &str, account: &str) -> AwsCredential {
    AwsCredential {
        access_key_id: id.into(),
        secret_access_key: SecretString::from(secret.to_string()),
        account_id: account.into(),
    }
}

impl Api {
    /// The API on `kind` backends at 2026-03-01 09:00 UTC.
    pub async fn new(kind: Kind) -> Self {
        let backends = TestBackends::new(kind).await.unwrap();
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap(),
        ));
        let mut ctx: Context = backends.context(clock.clone());
        let mut settings = (*ctx.settings).clone();
        settings.aws_credentials = vec![
            credential(KEY_ID, SECRET, ACCOUNT),
            credential(OTHER_KEY_ID, OTHER_SECRET, OTHER_ACCOUNT),
        ];
        ctx.settings = Arc::new(settings);
        Self {
            router: tocsin_api::router(&ctx),
            clock,
            _backends: backends,
        }
    }

    async fn send(&self, req: Request<Body>) -> Answer {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let error_type = res
            .headers()
            .get("x-amzn-errortype")
            .map(|v| v.to_str().unwrap().to_string());
        let bytes = to_bytes(res.into_body(), usize::MAX).await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        Answer {
            status,
            error_type,
            body,
        }
    }

    /// Any request as the first tenant.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Answer {
        let bytes = body
            .map(|b| serde_json::to_vec(&b).unwrap())
            .unwrap_or_default();
        let req = signed(KEY_ID, SECRET, method, path, query, bytes, self.clock.now());
        self.send(req).await
    }

    /// A JSON POST as the first tenant.
    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call("POST", path, &[], Some(body)).await
    }

    /// A JSON POST as the other tenant.
    pub async fn post_as_other(&self, path: &str, body: Value) -> Answer {
        let bytes = serde_json::to_vec(&body).unwrap();
        let req = signed(
            OTHER_KEY_ID,
            OTHER_SECRET,
            "POST",
            path,
            &[],
            bytes,
            self.clock.now(),
        );
        self.send(req).await
    }

    /// A GET with query parameters as the first tenant.
    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Answer {
        self.call("GET", path, query, None).await
    }
}

/// Creates response plan `name` and returns its ARN.
pub async fn plan(api: &Api, name: &str, dedupe: Option<&str>) -> String {
    let mut template = json!({ "title": format!("{name} trouble"), "impact": 3 });
    if let Some(d) = dedupe {
        template["dedupeString"] = d.into();
    }
    let body = api
        .post(
            "/createResponsePlan",
            json!({ "name": name, "incidentTemplate": template }),
        )
        .await
        .ok(StatusCode::CREATED);
    body["arn"].as_str().unwrap().to_string()
}

/// Starts an incident of `plan_arn` under `token` and returns its ARN.
pub async fn start(api: &Api, plan_arn: &str, token: &str) -> String {
    let body = api
        .post(
            "/startIncident",
            json!({ "responsePlanArn": plan_arn, "clientToken": token }),
        )
        .await
        .ok(StatusCode::OK);
    body["incidentRecordArn"].as_str().unwrap().to_string()
}
