//! Watches `tocsin.events` for the `incident.*` event each alarm ends in, to time every alarm
//! from its publish to the moment its incident or merge is stored (the worker publishes the
//! event after the store write) and to see when the last one is done.
//!
//! The watch queue is a classic, transient, exclusive queue consumed without acks: it adds
//! next to no broker work (a persistent message in a non-durable queue is not written to
//! disk), unlike a quorum queue, which would cost as much as the work queue itself.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use futures_util::StreamExt;
use lapin::options::{BasicConsumeOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{Channel, Connection, ConnectionProperties, Consumer};
use tocsin_proto::routing::{EXCHANGE_EVENTS, RK_INCIDENT_MERGED, RK_INCIDENT_OPENED};
use tokio::time::Instant;

use crate::alarms::Workload;

/// Name of the watch queue (exclusive to its connection, gone with it).
const WATCH_QUEUE: &str = "tocsin-load.watch";

/// When each alarm was handed to the publisher, as nanoseconds after `base` plus one (0 = not
/// yet).
#[derive(Debug)]
pub struct SendTimes {
    base: Instant,
    sent: Vec<AtomicU64>,
}

impl SendTimes {
    /// Room for `n` alarms.
    pub fn new(n: usize) -> Self {
        Self {
            base: Instant::now(),
            sent: (0..n).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Records that alarm `i` is being published now.
    pub fn mark(&self, i: usize) {
        let nanos = u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX - 1);
        self.sent[i].store(nanos + 1, Ordering::Relaxed);
    }

    /// When alarm `i` was published.
    pub fn at(&self, i: usize) -> Option<Instant> {
        match self.sent[i].load(Ordering::Relaxed) {
            0 => None,
            t => Some(self.base + Duration::from_nanos(t - 1)),
        }
    }
}

/// What the watch saw.
#[derive(Debug)]
pub struct Seen {
    /// When each alarm's event arrived (first copy).
    pub at: Vec<Option<Instant>>,
    /// Distinct alarms that opened an incident.
    pub opened: usize,
    /// Distinct alarms that merged.
    pub merged: usize,
    /// Extra copies (redeliveries republish the first outcome's event).
    pub repeats: usize,
    /// Events that named no alarm of the run.
    pub foreign: usize,
}

impl Seen {
    /// Distinct alarms done.
    pub fn done(&self) -> usize {
        self.opened + self.merged
    }

    /// Arrival of the last alarm's event.
    pub fn last(&self) -> Option<Instant> {
        self.at.iter().flatten().max().copied()
    }
}

/// Longest wait for one broker request of the observer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// A connection of its own to the vhost, with the watch queue bound.
pub struct Observer {
    connection: Connection,
    /// For queue inspections; the watch consumer has a channel of its own.
    channel: Channel,
    consumer: Option<Consumer>,
    /// The collect task; it hands the consumer back so it lives until [`Observer::close`]
    /// (dropping it would cancel it and delete the auto-delete queue mid-run).
    collector: Option<tokio::task::JoinHandle<(Seen, Consumer)>>,
}

impl Observer {
    /// Declares and binds the watch queue and starts consuming it. The exchange must exist.
    pub async fn start(url: &str) -> anyhow::Result<Self> {
        let props =
            ConnectionProperties::default().with_connection_name("tocsin-load-watch".into());
        let connection = Connection::connect(url, props)
            .await
            .context("observer connection")?;
        let watch = connection.create_channel().await?;
        let options = QueueDeclareOptions {
            exclusive: true,
            auto_delete: true,
            ..QueueDeclareOptions::default()
        };
        watch
            .queue_declare(WATCH_QUEUE.into(), options, FieldTable::default())
            .await?;
        watch
            .queue_bind(
                WATCH_QUEUE.into(),
                EXCHANGE_EVENTS.into(),
                "incident.*".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
        let options = BasicConsumeOptions {
            no_ack: true,
            ..BasicConsumeOptions::default()
        };
        let consumer = watch
            .basic_consume(
                WATCH_QUEUE.into(),
                "tocsin-load".into(),
                options,
                FieldTable::default(),
            )
            .await?;
        let channel = connection.create_channel().await?;
        Ok(Self {
            connection,
            channel,
            consumer: Some(consumer),
            collector: None,
        })
    }

    /// Ready messages and consumers of `queue`.
    pub async fn queue_state(&self, queue: &str) -> anyhow::Result<(u32, u32)> {
        let options = QueueDeclareOptions {
            passive: true,
            ..QueueDeclareOptions::default()
        };
        let declare = self
            .channel
            .queue_declare(queue.into(), options, FieldTable::default());
        let q = tokio::time::timeout(REQUEST_TIMEOUT, declare)
            .await
            .with_context(|| format!("no answer about queue {queue}"))?
            .with_context(|| format!("queue {queue}"))?;
        Ok((q.message_count(), q.consumer_count()))
    }

    /// Waits (at most `limit`) until `queue` has `n` consumers.
    pub async fn wait_consumers(&self, queue: &str, n: u32, limit: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + limit;
        loop {
            let (_, consumers) = self.queue_state(queue).await?;
            if consumers >= n {
                return Ok(());
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "{queue} has {consumers} consumers after {limit:?}; expected {n}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Collects events until all `n` alarms are seen or `deadline` passes. Runs as its own
    /// task while the publisher works.
    pub fn collect(&mut self, n: usize, deadline: Instant) -> anyhow::Result<()> {
        let mut consumer = self
            .consumer
            .take()
            .context("the watch is collected once per run")?;
        self.collector = Some(tokio::spawn(async move {
            let mut seen = Seen {
                at: vec![None; n],
                opened: 0,
                merged: 0,
                repeats: 0,
                foreign: 0,
            };
            while seen.done() < n {
                let next = tokio::time::timeout_at(deadline, consumer.next()).await;
                let Ok(Some(Ok(delivery))) = next else { break };
                let now = Instant::now();
                let index = serde_json::from_slice::<serde_json::Value>(&delivery.data)
                    .ok()
                    .and_then(|v| v["idempotency_key"].as_str().and_then(Workload::index_of))
                    .filter(|&i| i < n);
                let Some(i) = index else {
                    seen.foreign += 1;
                    continue;
                };
                if seen.at[i].is_some() {
                    seen.repeats += 1;
                    continue;
                }
                seen.at[i] = Some(now);
                match delivery.routing_key.as_str() {
                    RK_INCIDENT_OPENED => seen.opened += 1,
                    RK_INCIDENT_MERGED => seen.merged += 1,
                    _ => seen.foreign += 1,
                }
            }
            (seen, consumer)
        }));
        Ok(())
    }

    /// Waits for the collect task (it ends by itself at its deadline).
    pub async fn seen(&mut self) -> anyhow::Result<Seen> {
        let task = self.collector.take().context("the watch was not started")?;
        let (seen, consumer) = task.await.context("watch task")?;
        self.consumer = Some(consumer);
        Ok(seen)
    }

    /// Closes the connection (the watch queue goes with it).
    pub async fn close(self) {
        let close = self.connection.close(200, "done".into());
        let _ = tokio::time::timeout(REQUEST_TIMEOUT, close).await;
        drop(self.consumer);
    }
}
