//! Component tests of the notifier: each driver against a real protocol peer on loopback (an
//! SMTP relay speaking SMTP over TCP, an HTTP provider API of Twilio's shape, a webhook
//! receiver verifying signatures), and the `Notifier` handler on the embedded backends.

mod activation;
mod chat;
mod delivery;
mod email;
mod failures;
mod fixtures;
mod inbound;
mod pagerduty;
mod provider;
mod sms_voice;
mod smtp_process;
mod targets;
mod throttle;
mod verifier;
mod webhook;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use figment::Figment;
use figment::providers::Serialized;
use tocsin_core::clock::Clock;
use tocsin_notifier::{Incidents, Notifier};
use tocsin_proto::Envelope;
use tocsin_proto::messages::{Event, NotifyCommand, PageReceiptV1, SendPageV1};
use tocsin_proto::records::ChannelType;
use tocsin_proto::routing::{QUEUE_ENGAGEMENT, QUEUE_NOTIFIER, QUEUE_NOTIFIER_INCIDENTS};
use tocsin_runtime::publish::{self, Meta};
use tocsin_runtime::{Context, Handler, Outcome, Settings};
use tocsin_testkit::{Kind, ManualClock, TestBackends, wait_until};

pub(crate) const DEADLINE: Duration = Duration::from_secs(10);
pub(crate) const ACCOUNT: &str = "123456789012";

/// Settings from `pairs` (keys without the `TOCSIN_` prefix) over test defaults.
pub(crate) fn settings(pairs: &[(&str, &str)]) -> Settings {
    let mut map: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
    map.entry("webhook_timeout_ms".into())
        .or_insert_with(|| "2000".into());
    Settings::from_figment(Figment::new().merge(Serialized::defaults(map))).unwrap()
}

/// A page to `address` over `channel`, with a fresh page id.
pub(crate) fn page(channel: ChannelType, address: &str) -> SendPageV1 {
    let id = uuid::Uuid::new_v4();
    SendPageV1 {
        page_arn: format!("arn:aws:ssm-contacts:us-east-1:{ACCOUNT}:page/alice/{id}"),
        engagement_arn: format!("arn:aws:ssm-contacts:us-east-1:{ACCOUNT}:engagement/alice/e-1"),
        incident_id: "inc-1".into(),
        incident_arn: format!("arn:aws:ssm-incidents::{ACCOUNT}:incident-record/db-outage/inc-1"),
        contact_arn: format!("arn:aws:ssm-contacts:us-east-1:{ACCOUNT}:contact/alice"),
        contact_channel_arn: format!(
            "arn:aws:ssm-contacts:us-east-1:{ACCOUNT}:contact-channel/alice/c-1"
        ),
        channel_type: channel,
        address: address.into(),
        subject: "Database outage".into(),
        content: "Primary db-1 stopped answering.".into(),
        accept_code: "472913".into(),
    }
}

/// The page id (last segment of the ARN).
pub(crate) fn page_id(page: &SendPageV1) -> &str {
    page.page_arn.rsplit('/').next().unwrap()
}

/// The notifier handler on the embedded backends, driven one delivery at a time.
pub(crate) struct Harness {
    pub(crate) clock: ManualClock,
    pub(crate) ctx: Context,
    pub(crate) notifier: Notifier,
    pub(crate) incidents: Incidents,
    _backends: TestBackends,
}

impl Harness {
    pub(crate) async fn new(settings: Settings) -> Self {
        Self::on(Kind::Memory, settings).await
    }

    /// The handler on backends of `kind` (real: a fresh vhost and key namespace).
    pub(crate) async fn on(kind: Kind, settings: Settings) -> Self {
        let backends = TestBackends::new(kind).await.unwrap();
        let clock = ManualClock::default();
        let mut ctx = backends.context(Arc::new(clock.clone()));
        ctx.settings = Arc::new(settings);
        let notifier = Notifier::new(ctx.clone());
        let incidents = Incidents::new(ctx.clone());
        Self {
            clock,
            ctx,
            notifier,
            incidents,
            _backends: backends,
        }
    }

    /// Publishes a domain event, as the other services do.
    pub(crate) async fn publish_event(&self, key: &str, event: Event) {
        let meta = Meta {
            account: ACCOUNT,
            idempotency_key: key,
            now: self.clock.now(),
        };
        publish::event(&self.ctx.bus, &meta, event).await.unwrap();
    }

    /// Handles the next delivery of the notifier's incident queue and settles it.
    pub(crate) async fn step_incidents(&self) -> Outcome {
        let d = wait_until("an incident event", DEADLINE, || async {
            self.ctx
                .bus
                .get(QUEUE_NOTIFIER_INCIDENTS)
                .await
                .ok()
                .flatten()
        })
        .await
        .unwrap();
        let outcome = self.incidents.handle(&d).await;
        match &outcome {
            Outcome::Ack => d.ack().await,
            Outcome::Retry { reason, .. } => d.retry(Duration::from_millis(1), reason).await,
            Outcome::Reject(reason) => d.dead_letter(reason).await,
        }
        .unwrap();
        outcome
    }

    /// Takes the events on the engagement queue (receipts, acceptances) off it.
    pub(crate) async fn events(&self) -> Vec<Event> {
        let mut out = Vec::new();
        while let Some(d) = self.ctx.bus.get(QUEUE_ENGAGEMENT).await.unwrap() {
            let env: Envelope<Event> = Envelope::decode(&d.body).unwrap();
            out.push(env.payload);
            d.ack().await.unwrap();
        }
        out
    }

    /// Publishes `page.send` for `page`, as the engagement service does.
    pub(crate) async fn publish(&self, page: &SendPageV1) {
        let key = format!("send:{}", page.page_arn);
        let meta = Meta {
            account: ACCOUNT,
            idempotency_key: &key,
            now: self.clock.now(),
        };
        publish::command(&self.ctx.bus, &meta, NotifyCommand::SendPage(page.clone()))
            .await
            .unwrap();
    }

    /// Publishes `command` (an activation code, a page), as the API and engagement do.
    pub(crate) async fn command(&self, key: &str, command: NotifyCommand) {
        let meta = Meta {
            account: ACCOUNT,
            idempotency_key: key,
            now: self.clock.now(),
        };
        publish::command(&self.ctx.bus, &meta, command)
            .await
            .unwrap();
    }

    /// Handles the next `page.send` delivery and settles it as the consumer loop would, with
    /// retries coming back after 1 ms.
    pub(crate) async fn step(&self) -> Outcome {
        self.step_with(|_| Duration::from_millis(1)).await
    }

    /// Like [`Harness::step`], with retries coming back after the delay the handler asked.
    pub(crate) async fn step_honouring_delays(&self) -> Outcome {
        self.step_with(|after| after).await
    }

    async fn step_with(&self, delay: impl Fn(Duration) -> Duration) -> Outcome {
        let d = wait_until("a page.send delivery", DEADLINE, || async {
            self.ctx.bus.get(QUEUE_NOTIFIER).await.ok().flatten()
        })
        .await
        .unwrap();
        let outcome = self.notifier.handle(&d).await;
        match &outcome {
            Outcome::Ack => d.ack().await,
            Outcome::Retry { after, reason } => d.retry(delay(*after), reason).await,
            Outcome::Reject(reason) => d.dead_letter(reason).await,
        }
        .unwrap();
        outcome
    }

    /// Receipts published so far (taken off the engagement queue).
    pub(crate) async fn receipts(&self) -> Vec<(bool, PageReceiptV1)> {
        let mut out = Vec::new();
        while let Some(d) = self.ctx.bus.get(QUEUE_ENGAGEMENT).await.unwrap() {
            let env: Envelope<Event> = Envelope::decode(&d.body).unwrap();
            match env.payload {
                Event::PageDelivered(r) => out.push((true, r)),
                Event::PageFailed(r) => out.push((false, r)),
                other => panic!("unexpected event {other:?}"),
            }
            d.ack().await.unwrap();
        }
        out
    }

    /// Whether the delivery claim of `page` is free (nothing in flight, nothing recorded).
    pub(crate) async fn claim_is_free(&self, page: &SendPageV1) -> bool {
        let key = format!("deliver:{}", page.page_arn);
        let claim = self
            .ctx
            .store
            .claim(ACCOUNT, &key, Duration::from_secs(1))
            .await
            .unwrap();
        let free = matches!(claim, tocsin_store::Claim::New);
        if free {
            self.ctx.store.release(ACCOUNT, &key).await.unwrap();
        }
        free
    }
}
