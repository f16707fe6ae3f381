//! The `ssm-incidents` operations beyond incidents and plans (timeline events, related items,
//! replication sets, resource policies, tags, findings, plan updates, record deletion), on
//! the embedded backends and on real RabbitMQ and Redis. Requests are signed with SigV4 the
//! way botocore signs them (the path encoded once more in the canonical request) and sent
//! through the router with `oneshot`; time moves through the injected `ManualClock`.

#[path = "../it/answer.rs"]
mod answer;
mod events;
mod records;
mod related;
mod replication;
#[path = "../it/signer.rs"]
#[allow(dead_code, missing_docs)]
mod signer;
mod tagging;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{TimeZone, Utc};
use secrecy::SecretString;
use serde_json::{Value, json};
use tocsin_core::clock::Clock;
use tocsin_runtime::Context;
use tocsin_runtime::config::AwsCredential;
use tocsin_testkit::{Kind, ManualClock, TestBackends};

pub use answer::Answer;
use signer::Signer;
pub use signer::encode;
pub(crate) use tocsin_testkit::on_both_backends;

/// Account of the first key.
pub const ACCOUNT: &str = "123456789012";
/// A second tenant.
pub const OTHER_ACCOUNT: &str = "210987654321";
const KEY_ID: &str = "AKIDTOCSINOPS00001";
const SECRET: &str = "ops-secret-for-the-first-tenant";
const OTHER_KEY_ID: &str = "AKIDTOCSINOPS00002";
const OTHER_SECRET: &str = "ops-secret-for-the-other-tenant";

/// The API on one kind of backends, two tenants, a manual clock.
pub struct Api {
    router: Router,
    /// The clock of the context.
    pub clock: Arc<ManualClock>,
    _backends: TestBackends,
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
        answer::send(&self.router, req).await
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
        let req = Signer::new(KEY_ID, SECRET).request(method, path, query, bytes, self.clock.now());
        self.send(req).await
    }

    /// A JSON POST as the first tenant.
    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call("POST", path, &[], Some(body)).await
    }

    /// A JSON POST as the other tenant.
    pub async fn post_as_other(&self, path: &str, body: Value) -> Answer {
        let bytes = serde_json::to_vec(&body).unwrap();
        let req = Signer::new(OTHER_KEY_ID, OTHER_SECRET).request(
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
