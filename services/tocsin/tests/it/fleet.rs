//! A fleet of roles on test backends, with a webhook receiver and a manifest applied.

use std::sync::Arc;
use std::time::Duration;

use tocsin::manifest;
use tocsin::roles::{self, Role, RoleSet};
use tocsin_bus::{Bus, ConsumeOptions, OutgoingMessage};
use tocsin_proto::records::{IncidentRecord, Page, TimelineEvent, kinds};
use tocsin_proto::routing::{EXCHANGE_INGEST, RK_NATIVE};
use tocsin_runtime::{Context, Handler, Outcome, Records};
use tocsin_testkit::{Kind, ManualClock, Receiver, TestBackends, wait_until};
use tokio_util::sync::CancellationToken;

pub const PLAN: &str = "arn:aws:ssm-incidents::123456789012:response-plan/db-outage";
pub const DEADLINE: Duration = Duration::from_secs(20);

pub const MANIFEST: &str = r#"
contacts:
  - alias: alice
    channels:
      - { name: hook, type: WEBHOOK, address: "{receiver}/page" }
    stages:
      - { durationInMinutes: 0, targets: [hook] }
responsePlans:
  - name: db-outage
    incidentTemplate: { title: Database outage, impact: 2 }
    engagements: [alice]
"#;

pub struct Fleet {
    pub clock: ManualClock,
    pub backends: TestBackends,
    pub ctx: Context,
    pub receiver: Receiver,
    running: Option<(CancellationToken, RoleSet)>,
}

impl Fleet {
    /// Backends, receiver and manifest; no role running yet.
    pub async fn new(kind: Kind) -> anyhow::Result<Self> {
        Self::with_manifest(kind, MANIFEST).await
    }

    /// Like [`Fleet::new`] with another manifest (`{receiver}` is the receiver's base URL).
    pub async fn with_manifest(kind: Kind, manifest: &str) -> anyhow::Result<Self> {
        let backends = TestBackends::new(kind).await?;
        let clock = ManualClock::default();
        let ctx = backends.context(Arc::new(clock.clone()));
        let receiver = crate::fleet::receiver_with_manifest(&ctx, manifest).await?;
        Ok(Self {
            clock,
            backends,
            ctx,
            receiver,
            running: None,
        })
    }

    pub fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use tocsin_core::clock::Clock;
        self.clock.now()
    }

    pub fn records(&self) -> Records {
        self.ctx.records()
    }

    /// Starts ingest, engagement and notifier.
    pub fn start(&mut self) {
        let token = CancellationToken::new();
        let set = roles::start(
            &self.ctx,
            &[Role::Ingest, Role::Engagement, Role::Notifier],
            &token,
        );
        self.running = Some((token, set));
    }

    /// Death of every running role at once (no drain, no ack): what `kill -9` does to a
    /// process. Unacked messages go back to their queues; claimed timers fire again after their
    /// visibility period.
    pub async fn kill(&mut self) {
        if let Some((token, mut set)) = self.running.take() {
            set.abort_all();
            while set.join_next().await.is_some() {}
            token.cancel();
        }
    }

    /// Graceful shutdown of the running roles; every in-flight handler finishes.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some((token, set)) = self.running.take() {
            token.cancel();
            roles::join(set, &token).await?;
        }
        Ok(())
    }

    pub async fn publish_alarm(
        &self,
        body: serde_json::Value,
        message_id: &str,
    ) -> anyhow::Result<()> {
        let msg = OutgoingMessage::new(EXCHANGE_INGEST, RK_NATIVE, serde_json::to_vec(&body)?)
            .with_message_id(message_id);
        Ok(self.ctx.bus.publish(msg).await?)
    }

    pub async fn incidents(&self) -> Vec<IncidentRecord> {
        self.records().list(kinds::INCIDENT).await.unwrap()
    }

    pub async fn pages(&self) -> Vec<Page> {
        self.records().list(kinds::PAGE).await.unwrap()
    }

    pub async fn timeline(&self, incident: &IncidentRecord) -> Vec<TimelineEvent> {
        self.records().timeline(id_of(incident)).await.unwrap()
    }

    /// Waits until some incident's timeline has an event of `event_type`; returns that incident.
    pub async fn wait_for_event(&self, event_type: &str) -> anyhow::Result<IncidentRecord> {
        wait_until(
            &format!("a timeline event {event_type:?}"),
            DEADLINE,
            || async {
                for i in self.incidents().await {
                    if self
                        .timeline(&i)
                        .await
                        .iter()
                        .any(|e| e.event_type == event_type)
                    {
                        return Some(i);
                    }
                }
                None
            },
        )
        .await
    }

    /// Waits until `queue` has no ready message.
    pub async fn wait_drained(&self, queue: &str) -> anyhow::Result<()> {
        wait_until(&format!("{queue} to drain"), DEADLINE, || async {
            (self.ctx.bus.message_count(queue).await.ok()? == 0).then_some(())
        })
        .await
    }

    /// A worker of `queue` on its own connection that takes one delivery, carries out the
    /// handler's effects, and dies before acking.
    pub async fn crash_after_effect<H: Handler>(
        &self,
        queue: &str,
        handler: H,
    ) -> anyhow::Result<()> {
        let bus: Bus = self.backends.another_bus().await?;
        let mut consumer = bus
            .consume(
                queue,
                ConsumeOptions {
                    prefetch: 1,
                    tag: "doomed".into(),
                },
            )
            .await?;
        let delivery = tokio::time::timeout(DEADLINE, consumer.next())
            .await?
            .ok_or_else(|| anyhow::anyhow!("no delivery on {queue}"))?;
        assert_eq!(
            handler.handle(&delivery).await,
            Outcome::Ack,
            "the effect happened"
        );
        // Death: no ack. The broker (or the memory bus) requeues on the consumer's end.
        drop(delivery);
        drop(consumer);
        if self.backends.kind == Kind::Real {
            bus.close().await;
        }
        Ok(())
    }
}

/// A webhook receiver, and `manifest` applied with `{receiver}` replaced by its base URL.
pub async fn receiver_with_manifest(
    ctx: &tocsin_runtime::Context,
    manifest: &str,
) -> anyhow::Result<Receiver> {
    let receiver = Receiver::start().await?;
    let base = receiver.url("");
    let m = manifest::parse(&manifest.replace("{receiver}", base.trim_end_matches('/')))?;
    let resolved = manifest::resolve(&m, &ctx.settings.account_id, &ctx.settings.region)?;
    manifest::apply(&ctx.records(), &resolved).await?;
    Ok(receiver)
}

pub fn id_of(incident: &IncidentRecord) -> &str {
    incident.arn.rsplit('/').next().unwrap_or_default()
}

pub fn alarm(dedupe: Option<&str>, token: &str) -> serde_json::Value {
    let mut a = serde_json::json!({ "responsePlanArn": PLAN, "title": "db-primary unreachable", "clientToken": token });
    if let Some(d) = dedupe {
        a["dedupeString"] = d.into();
    }
    a
}
