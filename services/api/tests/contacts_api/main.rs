//! `ssm-contacts` over JSON 1.1, end to end: the real API router served on a loopback port,
//! requests signed by the independent test signer (`tests/it/signer.rs`) for the
//! `ssm-contacts` scope and sent over HTTP, on the embedded backends and on real RabbitMQ and
//! Redis. Activation codes and accept codes are read where a real peer would get them: from the
//! notifier's queue.

#[path = "../it/signer.rs"]
#[allow(dead_code, missing_docs)]
mod signer;

mod contacts;
mod engagements;
mod errors;
mod rotations;

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use secrecy::SecretString;
use serde_json::{Value, json};
use tocsin_core::clock::Clock;
use tocsin_proto::Envelope;
use tocsin_proto::messages::NotifyCommand;
use tocsin_proto::routing::QUEUE_NOTIFIER;
use tocsin_runtime::Context;
use tocsin_runtime::config::AwsCredential;
pub(crate) use tocsin_testkit::on_both_backends;
use tocsin_testkit::{Kind, ManualClock, TestBackends, wait_until};
use tokio_util::sync::CancellationToken;

/// Key of [`ACCOUNT`].
pub const KEY_ID: &str = "AKIDCONTACTSTEST0001";
/// Its secret.
pub const SECRET: &str = "contacts-test-secret-of-account-a";
/// Key of [`OTHER_ACCOUNT`].
pub const OTHER_KEY_ID: &str = "AKIDCONTACTSTEST0002";
/// Its secret.
pub const OTHER_SECRET: &str = "contacts-test-secret-of-account-b";
/// The first tenant.
pub const ACCOUNT: &str = "123456789012";
/// A second tenant.
pub const OTHER_ACCOUNT: &str = "210987654321";
/// Region of the test settings.
pub const REGION: &str = "us-east-1";

/// The API listening on a loopback port.
pub struct Server {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The injected clock.
    pub clock: Arc<ManualClock>,
    /// The context the router runs on.
    pub ctx: Context,
    http: reqwest::Client,
    shutdown: CancellationToken,
    _backends: TestBackends,
}

/// An answer: status, `__type` of an error, JSON body.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// `__type` (errors only).
    pub error: Option<String>,
    /// Body.
    pub body: Value,
}

impl Answer {
    /// The body of a 200 answer (panics with the answer otherwise).
    pub fn ok(self) -> Value {
        assert_eq!(self.status, 200, "{self:?}");
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

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Server {
    /// The API on backends of `kind`, with a key for each tenant.
    pub async fn start(kind: Kind) -> anyhow::Result<Self> {
        let backends = TestBackends::new(kind).await?;
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
        ));
        let mut ctx: Context = backends.context(clock.clone());
        let mut settings = (*ctx.settings).clone();
        settings.aws_credentials = vec![
            credential(KEY_ID, SECRET, ACCOUNT),
            credential(OTHER_KEY_ID, OTHER_SECRET, OTHER_ACCOUNT),
        ];
        settings.region = REGION.into();
        ctx.settings = Arc::new(settings);
        let shutdown = CancellationToken::new();
        let addr = "127.0.0.1:0".parse()?;
        let local =
            tocsin_runtime::health::serve(addr, tocsin_api::router(&ctx), shutdown.clone()).await?;
        Ok(Self {
            base: format!("http://{local}"),
            clock,
            ctx,
            http: reqwest::Client::new(),
            shutdown,
            _backends: backends,
        })
    }

    /// Calls `op` as account A.
    pub async fn call(&self, op: &str, body: Value) -> Answer {
        self.call_as(KEY_ID, SECRET, op, body).await
    }

    /// Calls `op` as account B.
    pub async fn call_b(&self, op: &str, body: Value) -> Answer {
        self.call_as(OTHER_KEY_ID, OTHER_SECRET, op, body).await
    }

    /// Calls `op` signed with a key, for the `ssm-contacts` scope.
    pub async fn call_as(&self, key: &str, secret: &str, op: &str, body: Value) -> Answer {
        let mut s = signer::Signer::new(key, secret);
        s.service = "ssm-contacts".into();
        self.send(&s, &format!("SSMContacts.{op}"), body).await
    }

    /// Sends a request signed by `s` with `X-Amz-Target: target`.
    pub async fn send(&self, s: &signer::Signer, target: &str, body: Value) -> Answer {
        let req = s.post("/", &body, self.clock.now());
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        let mut rb = self.http.post(format!("{}/", self.base));
        for (name, value) in &parts.headers {
            rb = rb.header(name.as_str(), value.to_str().unwrap());
        }
        let res = rb
            .header("x-amz-target", target)
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        let body: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        };
        let error = body["__type"].as_str().map(str::to_string);
        Answer {
            status,
            error,
            body,
        }
    }

    /// The next notify command on the notifier's queue matching `pick` (others are dropped).
    pub async fn next_command<T>(
        &self,
        what: &str,
        pick: impl Fn(&NotifyCommand) -> Option<T>,
    ) -> anyhow::Result<T> {
        let bus = self.ctx.bus.clone();
        wait_until(what, Duration::from_secs(10), || {
            let bus = bus.clone();
            let pick = &pick;
            async move {
                let d = bus.get(QUEUE_NOTIFIER).await.ok()??;
                let env: Envelope<NotifyCommand> = Envelope::decode(&d.body).ok()?;
                let _ = d.ack().await;
                pick(&env.payload)
            }
        })
        .await
    }

    /// The activation code last sent to `channel_arn`.
    pub async fn activation_code(&self, channel_arn: &str) -> anyhow::Result<String> {
        self.next_command("an activation code", |c| match c {
            NotifyCommand::SendActivationCode(a) if a.contact_channel_arn == channel_arn => {
                Some(a.activation_code.clone())
            }
            _ => None,
        })
        .await
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

/// Creates a personal contact `alias` with no plan yet; its ARN.
pub async fn personal(s: &Server, alias: &str) -> String {
    let a = s
        .call(
            "CreateContact",
            json!({ "Alias": alias, "DisplayName": format!("{alias} person"), "Type": "PERSONAL", "Plan": { "Stages": [] } }),
        )
        .await
        .ok();
    a["ContactArn"].as_str().unwrap().to_string()
}

/// Adds an activated SMS channel to `contact`; its ARN.
pub async fn activated_sms(s: &Server, contact: &str, number: &str) -> anyhow::Result<String> {
    let ch = s
        .call(
            "CreateContactChannel",
            json!({ "ContactId": contact, "Name": "phone", "Type": "SMS", "DeliveryAddress": { "SimpleAddress": number } }),
        )
        .await
        .ok();
    let arn = ch["ContactChannelArn"].as_str().unwrap().to_string();
    let code = s.activation_code(&arn).await?;
    s.call(
        "ActivateContactChannel",
        json!({ "ContactChannelId": arn, "ActivationCode": code }),
    )
    .await
    .ok();
    Ok(arn)
}
