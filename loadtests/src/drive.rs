//! What `ingest` and `ceiling` share once their workers consume: publish the alarms (as fast
//! as confirms allow, or at a fixed rate) from a connection of their own, watch every alarm
//! reach its event, and measure.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use futures_util::StreamExt;
use tocsin_bus::{Bus, OutgoingMessage};
use tocsin_core::clock::Clock;
use tocsin_proto::routing::{EXCHANGE_INGEST, QUEUE_INGEST, RK_NATIVE};
use tocsin_runtime::SystemClock;
use tokio::time::Instant;

use crate::LoadArgs;
use crate::alarms::Workload;
use crate::cpu::Sample;
use crate::env::Env;
use crate::observer::{Observer, Seen, SendTimes};
use crate::stats::Summary;

/// The measurements of one run.
#[derive(Debug)]
pub struct Measured {
    /// Alarms published.
    pub published: usize,
    /// Publishes that failed (not confirmed).
    pub publish_errors: usize,
    /// From the first publish to the last confirm.
    pub publish_time: Duration,
    /// From the first publish to the last alarm's event.
    pub total_time: Duration,
    /// Publish-to-event latency of each alarm seen, in ms.
    pub latency: Summary,
    /// What the watch saw.
    pub seen: Seen,
    /// Ready messages left in the work queue when the last event arrived.
    pub left_in_queue: u32,
    /// CPU and Redis command rows, first publish to last event.
    pub cost: Vec<(String, String)>,
}

impl Measured {
    /// Sustained alarms per second, first publish to last event.
    pub fn rate(&self) -> f64 {
        let secs = self.total_time.as_secs_f64();
        if secs > 0.0 {
            self.seen.done() as f64 / secs
        } else {
            0.0
        }
    }
}

/// Waits for `replicas` consumers, publishes the workload and waits for every alarm's event.
pub async fn drive(
    env: &Env,
    observer: &mut Observer,
    workload: Arc<Workload>,
    args: &LoadArgs,
) -> anyhow::Result<Measured> {
    let replicas = u32::try_from(args.replicas).context("--replicas")?;
    observer
        .wait_consumers(QUEUE_INGEST, replicas, Duration::from_secs(30))
        .await?;
    let publisher = env.bus("tocsin-load-publisher").await?;
    let n = workload.len();
    let deadline = Instant::now() + Duration::from_secs(args.timeout_secs);
    observer.collect(n, deadline)?;
    let sent = Arc::new(SendTimes::new(n));
    let errors = Arc::new(AtomicUsize::new(0));
    let redis = env.redis_pool()?;
    let before = Sample::take(&redis).await;
    let started = Instant::now();
    let job = Publish {
        bus: publisher.clone(),
        workload: workload.clone(),
        sent: sent.clone(),
        errors: errors.clone(),
    };
    match args.rate {
        None => job.as_fast_as_confirms(args.inflight).await,
        Some(rate) => job.at_rate(rate, args.inflight).await?,
    }
    let publish_time = started.elapsed();
    publisher.close().await;
    let seen = observer.seen().await?;
    let after = Sample::take(&redis).await;
    let (left_in_queue, _) = observer.queue_state(QUEUE_INGEST).await?;
    let end = seen.last().unwrap_or(started);
    let latencies = (0..n)
        .filter_map(|i| Some(seen.at[i]? - sent.at(i)?))
        .map(|d| d.as_secs_f64() * 1000.0)
        .collect();
    Ok(Measured {
        published: n,
        publish_errors: errors.load(Ordering::Relaxed),
        publish_time,
        total_time: end.saturating_duration_since(started),
        latency: Summary::of(latencies),
        seen,
        left_in_queue,
        cost: before.rows(&after, n),
    })
}

/// The publishing side of a run.
#[derive(Clone)]
struct Publish {
    bus: Bus,
    workload: Arc<Workload>,
    sent: Arc<SendTimes>,
    errors: Arc<AtomicUsize>,
}

impl Publish {
    /// Publishes alarm `i` and waits for its confirm.
    async fn one(&self, i: usize) {
        let body = self.workload.body(i, SystemClock.now());
        let message = OutgoingMessage::new(EXCHANGE_INGEST, RK_NATIVE, body)
            .with_message_id(Workload::message_id(i));
        self.sent.mark(i);
        if self.bus.publish(message).await.is_err() {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Keeps `inflight` publishes awaiting their confirm until every alarm is out.
    async fn as_fast_as_confirms(&self, inflight: usize) {
        futures_util::stream::iter(0..self.workload.len())
            .for_each_concurrent(inflight.max(1), |i| self.one(i))
            .await;
    }

    /// Starts one publish every `1/rate` s (at most `inflight` unconfirmed).
    async fn at_rate(&self, rate: f64, inflight: usize) -> anyhow::Result<()> {
        anyhow::ensure!(rate > 0.0 && rate.is_finite(), "--rate must be positive");
        let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let slots = Arc::new(tokio::sync::Semaphore::new(inflight.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..self.workload.len() {
            tick.tick().await;
            // Reap finished publishes, so memory stays flat however long the run.
            while tasks.try_join_next().is_some() {}
            let permit = slots.clone().acquire_owned().await?;
            let job = self.clone();
            tasks.spawn(async move {
                job.one(i).await;
                drop(permit);
            });
        }
        while tasks.join_next().await.is_some() {}
        Ok(())
    }
}

/// The worker tasks of a run and their buses.
#[derive(Default)]
pub struct Workers {
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<()>>>,
    buses: Vec<Bus>,
}

impl Workers {
    /// Adds a running worker.
    pub fn push(&mut self, task: tokio::task::JoinHandle<anyhow::Result<()>>, bus: Bus) {
        self.tasks.push(task);
        self.buses.push(bus);
    }

    /// Cancels `token`, waits for the workers (each drains within its grace period) and
    /// closes their connections.
    pub async fn stop(self, token: &tokio_util::sync::CancellationToken) {
        token.cancel();
        for task in self.tasks {
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => eprintln!("tocsin-load: a worker failed: {e:#}"),
                Err(e) => eprintln!("tocsin-load: a worker panicked: {e}"),
            }
        }
        for bus in self.buses {
            bus.close().await;
        }
    }
}
