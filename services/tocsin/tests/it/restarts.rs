//! Real restarts of the backends, on server processes private to each test (the shared
//! RabbitMQ and Redis other tests use are never touched): a restart of RabbitMQ or of Redis
//! (with its append-only file) delays pages but loses none, and the workers ride it out,
//! reconnecting with backoff instead of crashing.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use chrono::Duration as Minutes;
use tocsin::roles::{self, Role, RoleSet};
use tocsin_bus::testing::TestVhost;
use tocsin_bus::{Bus, HEADER_DLQ_REASON, OutgoingMessage, retry_name};
use tocsin_engagement::TIMER_SET;
use tocsin_proto::records::{IncidentRecord, Page, TimelineEvent, kinds, timeline_types as tt};
use tocsin_proto::routing::*;
use tocsin_runtime::{Backends, Context, Records, Settings, topology};
use tocsin_store::Store;
use tocsin_store::testing::{isolated_redis, test_redis_url};
use tocsin_testkit::{
    ManualClock, PrivateRabbit, PrivateRedis, Receiver, private_settings, wait_until,
};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::escalation::ESCALATION;
use crate::fleet::{MANIFEST, alarm, id_of};

/// How long the fleet may take to catch up after a backend came back.
const PATIENCE: Duration = Duration::from_secs(30);

/// Ingest, engagement and notifier in this process, on backends the test built itself.
struct Workers {
    ctx: Context,
    clock: ManualClock,
    receiver: Receiver,
    running: Option<(CancellationToken, RoleSet)>,
}

impl Workers {
    /// A context on `bus` and `store`, a webhook receiver, `manifest` applied; nothing running.
    async fn new(
        settings: Settings,
        bus: Bus,
        store: Store,
        manifest: &str,
    ) -> anyhow::Result<Self> {
        let clock = ManualClock::default();
        let mut ctx = Context::new(settings, Backends { bus, store });
        ctx.clock = Arc::new(clock.clone());
        let receiver = crate::fleet::receiver_with_manifest(&ctx, manifest).await?;
        Ok(Self {
            ctx,
            clock,
            receiver,
            running: None,
        })
    }

    fn records(&self) -> Records {
        self.ctx.records()
    }

    fn start(&mut self) {
        let token = CancellationToken::new();
        let set = roles::start(
            &self.ctx,
            &[Role::Ingest, Role::Engagement, Role::Notifier],
            &token,
        );
        self.running = Some((token, set));
    }

    /// Graceful shutdown; fails if a role failed.
    async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some((token, set)) = self.running.take() {
            token.cancel();
            roles::join(set, &token).await?;
        }
        Ok(())
    }

    /// Every role started is still running: none returned, failed or panicked.
    fn assert_alive(&mut self) -> anyhow::Result<()> {
        let Some((_, set)) = self.running.as_mut() else {
            bail!("the workers are not running");
        };
        if let Some(ended) = set.try_join_next() {
            bail!("a role ended while it should be running: {ended:?}");
        }
        ensure!(set.len() == 3, "{} roles running, not 3", set.len());
        Ok(())
    }

    async fn publish_alarm(&self, token: &str) -> anyhow::Result<()> {
        Ok(self.ctx.bus.publish(alarm_message(token)?).await?)
    }

    async fn incidents(&self) -> Vec<IncidentRecord> {
        self.records()
            .list(kinds::INCIDENT)
            .await
            .unwrap_or_default()
    }

    async fn pages(&self) -> anyhow::Result<Vec<Page>> {
        Ok(self.records().list(kinds::PAGE).await?)
    }

    async fn timeline(&self, incident: &IncidentRecord) -> anyhow::Result<Vec<TimelineEvent>> {
        Ok(self.records().timeline(id_of(incident)).await?)
    }

    /// Waits until the incidents' timelines hold `n` "Page Delivered" events in all.
    async fn wait_delivered(&self, n: usize) -> anyhow::Result<()> {
        wait_until(&format!("{n} pages delivered"), PATIENCE, || async {
            let mut delivered = 0;
            for i in self.incidents().await {
                delivered += count(&self.timeline(&i).await.ok()?, tt::PAGE_DELIVERED);
            }
            (delivered == n).then_some(())
        })
        .await
    }

    /// Waits until every work queue is empty.
    async fn wait_drained(&self) -> anyhow::Result<()> {
        for queue in [QUEUE_INGEST, QUEUE_ENGAGEMENT, QUEUE_NOTIFIER] {
            wait_until(&format!("{queue} to drain"), PATIENCE, || async {
                (self.ctx.bus.message_count(queue).await.ok()? == 0).then_some(())
            })
            .await?;
        }
        Ok(())
    }

    fn pages_to(&self, who: &str) -> usize {
        let path = format!("/{who}");
        self.receiver
            .received()
            .iter()
            .filter(|r| r.path == path)
            .count()
    }
}

fn alarm_message(token: &str) -> anyhow::Result<OutgoingMessage> {
    let body = serde_json::to_vec(&alarm(None, token))?;
    Ok(
        OutgoingMessage::new(EXCHANGE_INGEST, RK_NATIVE, body)
            .with_message_id(format!("m-{token}")),
    )
}

fn count(events: &[TimelineEvent], t: &str) -> usize {
    events.iter().filter(|e| e.event_type == t).count()
}

/// Prints how long a step took (shown with `--no-capture` and on failure).
fn lap(step: &str, since: &mut Instant) {
    eprintln!("[restarts] {step}: {:.1?}", since.elapsed());
    *since = Instant::now();
}

/// RabbitMQ restarts twice under a running fleet: an alarm published while it is down waits
/// for it (and is paged once it is back), and an alarm persisted but not consumed before a
/// restart is still there, and paged, after it. Nothing is lost, nothing is paged twice, and
/// no worker dies: they reconnect and re-subscribe on their own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_survives_a_broker_restart() -> anyhow::Result<()> {
    tocsin_runtime::telemetry::init_for_tests();
    let started = Instant::now();
    let mut t = Instant::now();
    let mut rabbit = PrivateRabbit::start().await?;
    lap("private RabbitMQ booted", &mut t);
    let bus = Bus::amqp(rabbit.bus_config()).await?;
    bus.declare(&topology()).await?;
    let (store, namespace) = isolated_redis().await?;
    let settings = private_settings(&[
        ("amqp_url", rabbit.url()),
        ("redis_url", test_redis_url()),
        ("namespace", namespace.namespace().to_owned()),
    ])?;
    let mut w = Workers::new(settings, bus, Store::Redis(store), MANIFEST).await?;
    w.start();
    w.publish_alarm("before").await?;
    w.wait_delivered(1).await?;
    lap("first page delivered", &mut t);

    // The broker goes away under the running fleet; an alarm is published meanwhile.
    rabbit.stop().await?;
    lap("RabbitMQ stopped", &mut t);
    let publishing = tokio::spawn({
        let bus = w.ctx.bus.clone();
        let message = alarm_message("during")?;
        async move { bus.publish(message).await }
    });
    w.assert_alive()?;
    ensure!(
        !publishing.is_finished(),
        "the publish gave up while the broker was down: {:?}",
        publishing.await
    );
    rabbit.start_again().await?;
    lap("RabbitMQ started again", &mut t);
    publishing
        .await?
        .context("the publish made during the outage should wait for the broker")?;
    w.wait_delivered(2).await?;
    lap("the alarm published during the outage was paged", &mut t);
    w.assert_alive()?;

    // A message persisted, not consumed, when the broker restarts is there after the restart.
    w.stop().await?;
    w.publish_alarm("parked").await?;
    // A quorum queue's count trails its confirms by a moment.
    wait_until("the alarm parked in its queue", PATIENCE, || async {
        (w.ctx.bus.message_count(QUEUE_INGEST).await.ok()? == 1).then_some(())
    })
    .await?;
    rabbit.restart().await?;
    lap("RabbitMQ restarted with an alarm parked", &mut t);
    wait_until("the parked alarm after the restart", PATIENCE, || async {
        (w.ctx.bus.message_count(QUEUE_INGEST).await.ok()? == 1).then_some(())
    })
    .await?;
    w.start();
    w.wait_delivered(3).await?;
    lap("the parked alarm was paged", &mut t);
    w.wait_drained().await?;
    w.assert_alive()?;
    w.stop().await?;

    let incidents = w.incidents().await;
    ensure!(incidents.len() == 3, "3 incidents, got {}", incidents.len());
    for incident in &incidents {
        let timeline = w.timeline(incident).await?;
        for t in [
            tt::INCIDENT_CREATED,
            tt::CONTACT_ENGAGED,
            tt::PAGE_DELIVERED,
        ] {
            ensure!(count(&timeline, t) == 1, "{t} once on {}", incident.arn);
        }
    }
    let received = w.receiver.received();
    ensure!(
        received.len() == 3,
        "3 webhook calls, got {}",
        received.len()
    );
    let mut keys: Vec<_> = received
        .iter()
        .map(|r| r.header("idempotency-key").unwrap_or_default().to_owned())
        .collect();
    keys.sort();
    keys.dedup();
    ensure!(keys.len() == 3, "a page was sent twice: {keys:?}");
    let pages = w.pages().await?;
    ensure!(pages.len() == 3, "3 pages, got {}", pages.len());
    ensure!(pages.iter().all(|p| p.receipts.len() == 1), "{pages:#?}");
    w.ctx.bus.close().await;
    eprintln!("[restarts] broker test took {:.1?}", started.elapsed());
    Ok(())
}

/// A fleet on a private Redis (store) and a fresh vhost of the shared RabbitMQ (bus).
async fn on_private_redis(manifest: &str) -> anyhow::Result<(PrivateRedis, TestVhost, Workers)> {
    tocsin_runtime::telemetry::init_for_tests();
    let redis = PrivateRedis::start().await?;
    let vhost = TestVhost::create().await?;
    let bus = Bus::amqp(vhost.config()).await?;
    bus.declare(&topology()).await?;
    let namespace = "tocsin-restarts";
    let store = Store::Redis(redis.store(namespace).await?);
    let settings = private_settings(&[
        ("amqp_url", vhost.url()),
        ("redis_url", redis.url()),
        ("namespace", namespace.to_owned()),
    ])?;
    let workers = Workers::new(settings, bus, store, manifest).await?;
    Ok((redis, vhost, workers))
}

/// Redis is killed (`SIGKILL`) between escalation stages, stage 2 falls due while it is down,
/// and it starts again from its append-only file: the stage-2 timer survived and pages bob
/// once, stage 3 stays pending, and no worker died meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalation_survives_a_redis_restart() -> anyhow::Result<()> {
    let started = Instant::now();
    let mut t = Instant::now();
    let (mut redis, _vhost, mut w) = on_private_redis(ESCALATION).await?;
    lap("private Redis and vhost ready", &mut t);
    w.start();
    w.publish_alarm("esc-1").await?;
    wait_until("stage 1 to page ann", PATIENCE, || async {
        (w.pages_to("ann") == 1).then_some(())
    })
    .await?;
    ensure!(w.pages_to("bob") == 0, "stage 2 waits for its time");
    ensure!(
        w.ctx.store.timer_count(TIMER_SET).await? >= 1,
        "stage 2's timer is pending"
    );
    let before = w.incidents().await;
    ensure!(before.len() == 1);
    lap("stage 1 paged", &mut t);

    // Redis dies with stage 2's timer in it; stage 2 falls due while it is down.
    redis.kill().await?;
    ensure!(w.ctx.store.ping().await.is_err(), "Redis is down");
    w.clock.advance(Minutes::minutes(5));
    w.assert_alive()?;
    redis.start_again().await?;
    // A client may see one failed operation on a connection the restart broke; then it
    // reconnects and the data is there.
    let back = wait_until("the incident to be readable again", PATIENCE, || async {
        let all = w.incidents().await;
        (!all.is_empty()).then_some(all)
    })
    .await?;
    ensure!(
        back.iter().any(|i| i.arn == before[0].arn),
        "the incident came back from the append-only file"
    );
    lap("Redis killed and started again", &mut t);

    wait_until("stage 2 to page bob", PATIENCE, || async {
        (w.pages_to("bob") == 1).then_some(())
    })
    .await?;
    w.wait_delivered(2).await?;
    lap("stage 2 paged", &mut t);
    w.wait_drained().await?;
    w.assert_alive()?;
    w.stop().await?;

    ensure!(w.pages_to("ann") == 1, "ann paged once");
    ensure!(w.pages_to("bob") == 1, "bob paged once");
    ensure!(w.pages_to("cid") == 0, "stage 3 is not due");
    ensure!(
        w.ctx.store.timer_count(TIMER_SET).await? >= 1,
        "stage 3's timer is pending"
    );
    let incidents = w.incidents().await;
    ensure!(incidents.len() == 1, "1 incident, got {}", incidents.len());
    let timeline = w.timeline(&incidents[0]).await?;
    ensure!(
        count(&timeline, tt::ESCALATION_STAGE) == 2,
        "stages 1 and 2"
    );
    ensure!(count(&timeline, tt::PAGE_DELIVERED) == 2, "{timeline:#?}");
    w.ctx.bus.close().await;
    eprintln!(
        "[restarts] Redis escalation test took {:.1?}",
        started.elapsed()
    );
    Ok(())
}

/// An alarm that arrives while Redis is down is retried, not lost: once Redis is back it opens
/// its incident and pages, exactly once, and nothing is dead-lettered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_met_by_a_redis_outage_is_paged_after_it() -> anyhow::Result<()> {
    let started = Instant::now();
    let (mut redis, _vhost, mut w) = on_private_redis(MANIFEST).await?;
    w.start();
    redis.kill().await?;
    ensure!(w.ctx.store.ping().await.is_err(), "Redis is down");
    w.publish_alarm("during").await?;
    let retries = retry_name(QUEUE_INGEST);
    wait_until("ingest to meet the outage and retry", PATIENCE, || async {
        (w.ctx.bus.message_count(&retries).await.ok()? >= 1).then_some(())
    })
    .await?;
    w.assert_alive()?;
    redis.start_again().await?;
    // Paged, or lost to the dead-letter queue (then fail at once, with the reason).
    let dlq = format!("{QUEUE_INGEST}.dlq");
    let lost = wait_until(
        "the alarm to be paged or dead-lettered",
        PATIENCE,
        || async {
            if w.ctx.bus.message_count(&dlq).await.ok()? > 0 {
                return Some(true);
            }
            (w.receiver.received().len() == 1).then_some(false)
        },
    )
    .await?;
    if lost {
        let reason = match w.ctx.bus.get(&dlq).await? {
            Some(d) => d.headers.get(HEADER_DLQ_REASON).cloned(),
            None => None,
        };
        bail!("the alarm that met the outage was dead-lettered: {reason:?}");
    }
    w.wait_delivered(1).await?;
    w.wait_drained().await?;
    w.assert_alive()?;
    w.stop().await?;

    ensure!(w.incidents().await.len() == 1);
    ensure!(w.receiver.received().len() == 1, "paged once");
    for queue in [QUEUE_INGEST, QUEUE_ENGAGEMENT, QUEUE_NOTIFIER] {
        let dlq = format!("{queue}.dlq");
        ensure!(w.ctx.bus.message_count(&dlq).await? == 0, "{dlq} is empty");
    }
    w.ctx.bus.close().await;
    eprintln!("[restarts] Redis alarm test took {:.1?}", started.elapsed());
    Ok(())
}
