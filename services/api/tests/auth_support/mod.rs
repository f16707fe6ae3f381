//! What the `auth_*` suites share: the API served on a loopback port (with peer addresses, as
//! `tocsin_api::run` serves it) on either backend, a keys file with one key per built-in
//! policy, and signed calls of both protocols.

#![allow(dead_code)]

#[path = "../it/signer.rs"]
#[allow(dead_code, missing_docs)]
pub mod signer;

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use secrecy::SecretString;
use serde_json::Value;
use tocsin_core::clock::Clock;
use tocsin_runtime::Context;
use tocsin_runtime::config::AwsCredential;
use tocsin_testkit::{Kind, ManualClock, TestBackends};
use tokio_util::sync::CancellationToken;

/// Account A (the settings' default account).
pub const A: &str = "123456789012";
/// Account B.
pub const B: &str = "210987654321";
/// Account C.
pub const C: &str = "333344445555";

/// An access key of the tests.
#[derive(Debug, Clone, Copy)]
pub struct TestKey {
    /// Access key id.
    pub id: &'static str,
    /// Secret.
    pub secret: &'static str,
    /// Account.
    pub account: &'static str,
}

/// Administrator of A, from `TOCSIN_AWS_CREDENTIALS`.
pub const ADMIN_A: TestKey = TestKey {
    id: "AKIDAUTHADMINA00001",
    secret: "admin-a-secret-0123456789",
    account: A,
};
/// Administrator of B (keys file).
pub const ADMIN_B: TestKey = TestKey {
    id: "AKIDAUTHADMINB00001",
    secret: "admin-b-secret-0123456789",
    account: B,
};
/// Administrator of C (keys file).
pub const ADMIN_C: TestKey = TestKey {
    id: "AKIDAUTHADMINC00001",
    secret: "admin-c-secret-0123456789",
    account: C,
};
/// Resolver of A (keys file, secret in a file next to it).
pub const RESOLVER_A: TestKey = TestKey {
    id: "AKIDAUTHRESOLVERA01",
    secret: "resolver-a-secret-0123456789",
    account: A,
};
/// Read-only key of A (keys file).
pub const READER_A: TestKey = TestKey {
    id: "AKIDAUTHREADERA0001",
    secret: "reader-a-secret-0123456789",
    account: A,
};
/// Administrator of A with an explicit Deny of every `Delete*` (keys file).
pub const NO_DELETE_A: TestKey = TestKey {
    id: "AKIDAUTHNODELETEA01",
    secret: "no-delete-a-secret-0123456789",
    account: A,
};

/// The organisation of accounts A and B (C is in none).
pub const ORG: &str = "o-tocsintest01";
/// B's organisational unit.
pub const B_UNIT: &str = "o-tocsintest01/r-ab12/ou-ab12-11111111/";

/// The keys file of the suites (the resolver's secret is in `resolver.secret`).
pub const KEYS_FILE: &str = r#"
[accounts.123456789012]
organization = "o-tocsintest01"

[accounts.210987654321]
organization = "o-tocsintest01"
org_path = "o-tocsintest01/r-ab12/ou-ab12-11111111/"
[keys.AKIDAUTHADMINB00001]
account = "210987654321"
secret = "admin-b-secret-0123456789"
policy = "administrator"

[keys.AKIDAUTHADMINC00001]
account = "333344445555"
secret = "admin-c-secret-0123456789"
policy = "AdministratorAccess"

[keys.AKIDAUTHRESOLVERA01]
account = "123456789012"
secret_file = "resolver.secret"
policy = "AWSIncidentManagerResolverAccess"

[keys.AKIDAUTHREADERA0001]
account = "123456789012"
secret = "reader-a-secret-0123456789"
policy = "read-only"

[keys.AKIDAUTHNODELETEA01]
account = "123456789012"
secret = "no-delete-a-secret-0123456789"
policy = [
  "administrator",
  { Version = "2012-10-17", Statement = [
      { Sid = "NoDeletes", Effect = "Deny", Action = ["ssm-incidents:Delete*", "ssm-contacts:Delete*"], Resource = "*" },
  ] },
]
"#;

/// A signed call's answer.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// `x-amzn-ErrorType` (restJson1) or `__type` (JSON 1.1).
    pub error: Option<String>,
    /// `x-amzn-RequestId`.
    pub request_id: Option<String>,
    /// JSON body (Null when empty).
    pub body: Value,
}

impl Answer {
    /// Asserts success (2xx) and returns the body.
    pub fn ok(self) -> Value {
        assert!((200..300).contains(&self.status), "{self:?}");
        self.body
    }

    /// Asserts an error of `code` with `status`.
    pub fn err(self, status: u16, code: &str) -> Value {
        assert_eq!(
            (self.status, self.error.as_deref()),
            (status, Some(code)),
            "{self:?}"
        );
        self.body
    }
}

/// The API on a loopback port.
pub struct Server {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The injected clock.
    pub clock: Arc<ManualClock>,
    /// The context.
    pub ctx: Context,
    http: reqwest::Client,
    shutdown: CancellationToken,
    _dir: tempfile::TempDir,
    _backends: TestBackends,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Server {
    /// The API on `kind` backends with [`ADMIN_A`] and the keys of [`KEYS_FILE`]; `token` is
    /// the native API's bearer token.
    pub async fn start(kind: Kind, token: Option<&str>) -> anyhow::Result<Self> {
        let backends = TestBackends::new(kind).await?;
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 3, 3, 9, 0, 0).unwrap(),
        ));
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join("keys.toml"), KEYS_FILE)?;
        std::fs::write(
            dir.path().join("resolver.secret"),
            format!("{}\n", RESOLVER_A.secret),
        )?;
        let mut ctx: Context = backends.context(clock.clone());
        let mut settings = (*ctx.settings).clone();
        settings.aws_credentials = vec![AwsCredential {
            access_key_id: ADMIN_A.id.into(),
            secret_access_key: SecretString::from(ADMIN_A.secret.to_string()),
            account_id: A.into(),
        }];
        settings.keys_file = Some(dir.path().join("keys.toml"));
        settings.api_token = token.map(|t| SecretString::from(t.to_string()));
        ctx.settings = Arc::new(settings);
        let keys = tocsin_api::auth::keys::Keys::load(&ctx.settings)?;
        let app = tocsin_api::router_with_keys(&ctx, tocsin_api::auth::keys::KeyRing::new(keys));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let local = listener.local_addr()?;
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(stop.cancelled_owned())
            .await
        });
        Ok(Self {
            base: format!("http://{local}"),
            clock,
            ctx,
            http: reqwest::Client::new(),
            shutdown,
            _dir: dir,
            _backends: backends,
        })
    }

    async fn send(&self, req: axum::http::Request<axum::body::Body>, json11: bool) -> Answer {
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        let url = format!("{}{}", self.base, parts.uri);
        let mut rb = self.http.request(parts.method.clone(), url);
        for (name, value) in &parts.headers {
            rb = rb.header(name.as_str(), value.to_str().unwrap());
        }
        let res = rb
            .header("user-agent", "auth-suite/1.0")
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let header = |n: &str| {
            res.headers()
                .get(n)
                .map(|v| v.to_str().unwrap().to_string())
        };
        let error_type = header("x-amzn-errortype");
        let request_id = header("x-amzn-requestid");
        let text = res.text().await.unwrap();
        let body: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        };
        let error = if json11 {
            body["__type"].as_str().map(str::to_string)
        } else {
            error_type
        };
        Answer {
            status,
            error,
            request_id,
            body,
        }
    }

    /// An `ssm-incidents` POST as `key`.
    pub async fn post(&self, key: TestKey, path: &str, body: Value) -> Answer {
        let req = signer::Signer::new(key.id, key.secret).post(path, &body, self.clock.now());
        self.send(req, false).await
    }

    /// An `ssm-incidents` GET as `key`.
    pub async fn get(&self, key: TestKey, path: &str, query: &[(&str, &str)]) -> Answer {
        let req = signer::Signer::new(key.id, key.secret).get(path, query, self.clock.now());
        self.send(req, false).await
    }

    /// An `ssm-contacts` operation as `key`.
    pub async fn contacts(&self, key: TestKey, op: &str, body: Value) -> Answer {
        let mut s = signer::Signer::new(key.id, key.secret);
        s.service = "ssm-contacts".into();
        let mut req = s.post("/", &body, self.clock.now());
        req.headers_mut()
            .insert("x-amz-target", format!("SSMContacts.{op}").parse().unwrap());
        self.send(req, true).await
    }

    /// A native API GET with a bearer token.
    pub async fn native(&self, token: &str, path: &str) -> (u16, Value) {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Every audit event of `account`, newest first.
    pub async fn audit(&self, account: &str) -> Vec<Value> {
        let q = tocsin_api::audit::query::Query {
            limit: 1000,
            ..Default::default()
        };
        tocsin_api::audit::query::query(&self.ctx.store, account, &q)
            .await
            .unwrap()
            .events
    }

    /// Creates response plan `name` as [`ADMIN_A`]; its ARN.
    pub async fn plan(&self, name: &str) -> String {
        let body = serde_json::json!({
            "name": name,
            "incidentTemplate": { "title": format!("{name} trouble"), "impact": 3 }
        });
        self.post(ADMIN_A, "/createResponsePlan", body).await.ok()["arn"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Creates a personal contact `alias` (no stages yet) as `key`; its ARN.
    pub async fn contact(&self, key: TestKey, alias: &str) -> String {
        let body =
            serde_json::json!({ "Alias": alias, "Type": "PERSONAL", "Plan": { "Stages": [] } });
        self.contacts(key, "CreateContact", body).await.ok()["ContactArn"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Starts an incident of `plan` as `key`; its ARN.
    pub async fn start_incident(&self, key: TestKey, plan: &str, token: &str) -> String {
        let body = serde_json::json!({ "responsePlanArn": plan, "clientToken": token });
        self.post(key, "/startIncident", body).await.ok()["incidentRecordArn"]
            .as_str()
            .unwrap()
            .to_string()
    }
}
