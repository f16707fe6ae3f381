//! The consumer loop shared by every worker. A handler decides; the loop settles:
//!
//! | outcome | what the loop does |
//! |---|---|
//! | [`Outcome::Ack`] | ack (the effect is durable) |
//! | [`Outcome::Retry`] | republish to `<queue>.retry` with an exponential, jittered delay; after `max_attempts` dead-letter with the last reason |
//! | [`Outcome::Reject`] | dead-letter with the reason (poison: malformed, unknown version, invalid) |
//! | handler panic | dead-letter with the panic message: a poison message never crash-loops a worker |
//!
//! Concurrency equals the prefetch: at most `prefetch` handlers run at once. On shutdown the
//! loop stops taking deliveries, lets in-flight handlers finish within the grace period and
//! returns; anything unsettled goes back to the queue when the consumer closes.
//!
//! Each delivery is handled in a `handle` span that continues the trace of its W3C
//! `traceparent` header, so what the handler publishes stays in the same trace.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use rand::Rng;
use tocsin_bus::{Bus, BusError, ConsumeOptions, Delivery};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

/// What a handler decided about one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done (or nothing to do): remove the message.
    Ack,
    /// A transient failure (backend down, peer 5xx): try again after at least `after`.
    Retry {
        /// Base delay; the loop grows it exponentially with the attempt number.
        after: Duration,
        /// Why, for logs and the eventual dead letter.
        reason: String,
    },
    /// The message can never succeed: dead-letter it with this reason.
    Reject(String),
}

impl Outcome {
    /// A retry after `after` for `reason`.
    pub fn retry(after: Duration, reason: impl std::fmt::Display) -> Self {
        Outcome::Retry {
            after,
            reason: reason.to_string(),
        }
    }
}

/// Handles deliveries of one queue.
pub trait Handler: Send + Sync + 'static {
    /// Decides what to do with a delivery. Must be idempotent: it may see the same message again.
    fn handle(&self, delivery: &Delivery) -> impl Future<Output = Outcome> + Send;
}

/// Where and how a loop consumes.
#[derive(Debug, Clone)]
pub struct LoopConfig {
    /// Queue.
    pub queue: String,
    /// Prefetch and concurrency.
    pub prefetch: u16,
    /// Attempts before a retried message is dead-lettered.
    pub max_attempts: u32,
    /// How long in-flight handlers may run after shutdown starts.
    pub grace: Duration,
}

/// Longest delay between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Consumes `config.queue` until `shutdown` is cancelled or the bus closes.
pub async fn run<H: Handler>(
    bus: Bus,
    config: LoopConfig,
    handler: Arc<H>,
    shutdown: CancellationToken,
) -> Result<(), BusError> {
    // Workers count what they do from their first delivery on.
    crate::metrics::install();
    let options = ConsumeOptions {
        prefetch: config.prefetch,
        tag: format!("tocsin:{}", config.queue),
    };
    let mut consumer = bus.consume(&config.queue, options).await?;
    let slots = Arc::new(tokio::sync::Semaphore::new(usize::from(
        config.prefetch.max(1),
    )));
    let tracker = TaskTracker::new();
    tracing::info!(queue = %config.queue, prefetch = config.prefetch, "Consuming.");
    loop {
        let permit = tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
        };
        let delivery = tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            d = consumer.next() => match d { Some(d) => d, None => break },
        };
        let handler = handler.clone();
        let max_attempts = config.max_attempts;
        tracker.spawn(async move {
            settle(&*handler, delivery, max_attempts).await;
            drop(permit);
        });
    }
    tracker.close();
    if tokio::time::timeout(config.grace, tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!(queue = %config.queue, "Grace period over with handlers still running; their messages will be redelivered.");
    }
    drop(consumer);
    tracing::info!(queue = %config.queue, "Stopped consuming.");
    Ok(())
}

/// Runs the handler on one delivery and settles it.
pub async fn settle<H: Handler>(handler: &H, delivery: Delivery, max_attempts: u32) {
    let span = tracing::info_span!(
        "handle",
        queue = %delivery.queue,
        routing_key = %delivery.routing_key,
        message_id = delivery.message_id.as_deref().unwrap_or(""),
        attempt = delivery.attempt(),
        redelivered = delivery.redelivered,
        trace_id = tracing::field::Empty,
    );
    // Continue the publisher's trace (W3C `traceparent`/`tracestate` headers).
    crate::telemetry::set_remote_parent(&span, &delivery.headers);
    if let Some(trace_id) = crate::telemetry::trace_id(&span) {
        span.record("trace_id", trace_id);
    }
    async move {
        let outcome = match AssertUnwindSafe(handler.handle(&delivery)).catch_unwind().await {
            Ok(o) => o,
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".into());
                Outcome::Reject(format!("handler panicked: {msg}"))
            }
        };
        let attempt = delivery.attempt();
        let result = match outcome {
            Outcome::Ack => delivery.ack().await,
            Outcome::Retry { reason, .. } if attempt + 1 >= max_attempts => {
                tracing::warn!(%reason, attempt, "Giving up after the last attempt; dead-lettering.");
                delivery.dead_letter(&format!("gave up after {} attempts: {reason}", attempt + 1)).await
            }
            Outcome::Retry { after, reason } => {
                let delay = backoff(after, attempt);
                tracing::info!(%reason, attempt, delay_ms = delay.as_millis() as u64, "Retrying later.");
                delivery.retry(delay, &reason).await
            }
            Outcome::Reject(reason) => {
                tracing::warn!(%reason, "Dead-lettering a message that cannot be processed.");
                delivery.dead_letter(&reason).await
            }
        };
        if let Err(e) = result {
            // Unsettled: the broker redelivers it, and handlers are idempotent.
            tracing::warn!(error = %e, "Could not settle a delivery; it will be redelivered.");
        }
    }
    .instrument(span)
    .await
}

/// `after · 2^attempt`, capped, with ±20 % jitter so retries of a burst spread out.
pub fn backoff(after: Duration, attempt: u32) -> Duration {
    let exp = after
        .saturating_mul(2u32.saturating_pow(attempt.min(16)))
        .min(MAX_BACKOFF);
    let jitter = rand::rng().random_range(0.8..1.2);
    exp.mul_f64(jitter).max(Duration::from_millis(1))
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use std::time::Duration;

    #[test]
    fn backoff_grows_and_is_capped() {
        let a = backoff(Duration::from_millis(100), 0);
        assert!(
            a >= Duration::from_millis(80) && a <= Duration::from_millis(120),
            "{a:?}"
        );
        let b = backoff(Duration::from_millis(100), 3);
        assert!(
            b >= Duration::from_millis(640) && b <= Duration::from_millis(960),
            "{b:?}"
        );
        assert!(backoff(Duration::from_secs(10), 30) <= Duration::from_secs(360));
    }
}
