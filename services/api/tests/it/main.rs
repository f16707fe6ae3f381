//! Component tests of the AWS-protocol API on the embedded backends: requests are signed by
//! an independent SigV4 signer ([`signer`]) and sent through the router with `oneshot`.

#[allow(dead_code)]
mod answer;
mod auth;
mod incidents;
mod plans;
mod signer;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{TimeZone, Utc};
use secrecy::SecretString;
use serde_json::Value;
use tocsin_core::clock::Clock;
use tocsin_runtime::Context;
use tocsin_runtime::config::AwsCredential;
use tocsin_testkit::{Kind, ManualClock, TestBackends};

pub use answer::Answer;

/// Key of account [`ACCOUNT`].
pub const KEY_ID: &str = "AKIDTOCSINTEST0001";
/// Its secret.
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// Key of [`OTHER_ACCOUNT`].
pub const OTHER_KEY_ID: &str = "AKIDTOCSINTEST0002";
/// Its secret.
pub const OTHER_SECRET: &str = "another-secret-for-the-other-tenant";
/// Account of the default settings.
pub const ACCOUNT: &str = "123456789012";
/// A second tenant.
pub const OTHER_ACCOUNT: &str = "210987654321";

/// The API on memory backends with a manual clock and two access keys.
pub struct Api {
    /// The API router.
    pub router: Router,
    /// The clock of the context.
    pub clock: Arc<ManualClock>,
    _backends: TestBackends,
}

impl Api {
    /// With both test keys.
    pub async fn new() -> Self {
        Self::with_credentials(vec![
            credential(KEY_ID, SECRET, ACCOUNT),
            credential(OTHER_KEY_ID, OTHER_SECRET, OTHER_ACCOUNT),
        ])
        .await
    }

    /// With these keys.
    pub async fn with_credentials(creds: Vec<AwsCredential>) -> Self {
        let backends = TestBackends::new(Kind::Memory).await.unwrap();
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap(),
        ));
        let mut ctx: Context = backends.context(clock.clone());
        let mut settings = (*ctx.settings).clone();
        settings.aws_credentials = creds;
        ctx.settings = Arc::new(settings);
        Self {
            router: tocsin_api::router(&ctx),
            clock,
            _backends: backends,
        }
    }

    /// Sends a request as is.
    pub async fn send(&self, req: Request<Body>) -> Answer {
        answer::send(&self.router, req).await
    }

    /// POSTs `body` to `path`, signed with the first key now.
    pub async fn post(&self, path: &str, body: Value) -> Answer {
        let req = signer::Signer::new(KEY_ID, SECRET).post(path, &body, self.clock.now());
        self.send(req).await
    }

    /// GETs `path?arn=<arn>`, signed with the first key now.
    pub async fn get(&self, path: &str, arn: &str) -> Answer {
        let req = signer::Signer::new(KEY_ID, SECRET).get(path, &[("arn", arn)], self.clock.now());
        self.send(req).await
    }
}

/// A configured access key.
pub fn credential(id: &str, secret: &str, account: &str) -> AwsCredential {
    AwsCredential {
        access_key_id: id.into(),
        secret_access_key: SecretString::from(secret.to_string()),
        account_id: account.into(),
    }
}

/// Creates plan `name` (no dedupe string unless given) and returns its ARN.
pub async fn plan(api: &Api, name: &str, dedupe: Option<&str>) -> String {
    let mut template = serde_json::json!({ "title": format!("{name} trouble"), "impact": 3 });
    if let Some(d) = dedupe {
        template["dedupeString"] = d.into();
    }
    let a = api
        .post(
            "/createResponsePlan",
            serde_json::json!({ "name": name, "incidentTemplate": template }),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{a:?}");
    a.body["arn"].as_str().unwrap().to_string()
}
