//! Shared fixtures: the topology under test, bounded waits, a RabbitMQ harness.

use std::future::Future;
use std::time::Duration;

use anyhow::{Context, bail};
use tocsin_bus::testing::TestVhost;
use tocsin_bus::{Bus, Consumer, Delivery, OutgoingMessage, QueueSpec, Topology};

/// Topic exchange every test publishes to.
pub const EVENTS: &str = "tocsin.events";
/// Dead-letter exchange.
pub const DLX: &str = "tocsin.dlx";
/// Work queue bound to `incident.*`.
pub const INCIDENTS: &str = "incidents";
/// Work queue bound to `page.#`.
pub const PAGES: &str = "pages";
/// Work queue bound to `#.critical`.
pub const CRITICAL: &str = "critical";

/// How long a test waits for something that should happen.
pub const PATIENCE: Duration = Duration::from_secs(15);
/// How often a condition on a queue is checked while waiting for it.
pub const POLL: Duration = Duration::from_millis(20);
/// How long a test waits to be confident something does not happen.
pub const QUIET: Duration = Duration::from_millis(500);

pub fn topology() -> Topology {
    Topology {
        exchanges: vec![EVENTS.into()],
        dead_letter_exchange: DLX.into(),
        queues: vec![
            QueueSpec::new(INCIDENTS).bind(EVENTS, "incident.*"),
            QueueSpec::new(PAGES).bind(EVENTS, "page.#"),
            QueueSpec::new(CRITICAL).bind(EVENTS, "#.critical"),
        ],
    }
}

/// A message to [`EVENTS`] with an id.
pub fn event(routing_key: &str, id: &str) -> OutgoingMessage {
    OutgoingMessage::new(EVENTS, routing_key, format!("{{\"id\":\"{id}\"}}")).with_message_id(id)
}

/// The next delivery, failing the test if none comes within [`PATIENCE`].
pub async fn next(consumer: &mut Consumer) -> anyhow::Result<Delivery> {
    tokio::time::timeout(PATIENCE, consumer.next())
        .await
        .context("no delivery in time")?
        .context("consumer ended")
}

/// Fails if a delivery arrives within [`QUIET`].
pub async fn nothing_more(consumer: &mut Consumer) -> anyhow::Result<()> {
    if let Ok(Some(delivery)) = tokio::time::timeout(QUIET, consumer.next()).await {
        bail!("unexpected delivery {:?}", delivery.message_id);
    }
    Ok(())
}

/// Polls `get` until a message is there (a dead letter or a requeue may take a moment).
pub async fn get_soon(bus: &Bus, queue: &str) -> anyhow::Result<Delivery> {
    let mut poll = tokio::time::interval(POLL);
    tokio::time::timeout(PATIENCE, async {
        loop {
            poll.tick().await;
            if let Some(delivery) = bus.get(queue).await? {
                return Ok(delivery);
            }
        }
    })
    .await
    .with_context(|| format!("nothing arrived in {queue}"))?
}

/// Waits until `queue` has `expected` ready messages.
pub async fn count_soon(bus: &Bus, queue: &str, expected: u32) -> anyhow::Result<()> {
    let mut last = 0;
    let mut poll = tokio::time::interval(POLL);
    let reached = tokio::time::timeout(PATIENCE, async {
        loop {
            poll.tick().await;
            last = bus.message_count(queue).await?;
            if last == expected {
                return anyhow::Ok(());
            }
        }
    })
    .await;
    match reached {
        Ok(result) => result,
        Err(_) => bail!("{queue} has {last} ready messages, expected {expected}"),
    }
}

/// Runs `test` on a bus connected to a fresh vhost, then closes the bus and drops the vhost.
pub async fn with_rabbitmq<F, Fut>(test: F) -> anyhow::Result<()>
where
    F: FnOnce(Bus) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let vhost = TestVhost::create().await?;
    let bus = Bus::amqp(vhost.config()).await?;
    let result = test(bus.clone()).await;
    bus.close().await;
    result
}
