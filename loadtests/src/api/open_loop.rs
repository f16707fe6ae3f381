//! An open-loop request schedule: request `i` is sent at `begin + i / rate` whatever happened
//! to the earlier ones, and its latency runs from that scheduled instant to its answer, so a
//! slow server shows as queueing in the latency instead of slowing the sender down
//! (coordinated omission).

use std::future::Future;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::stats::Summary;

/// What a run of one case measured.
#[derive(Debug)]
pub struct Measured {
    /// Latency from the scheduled send to the answer, ms (answers that failed included).
    pub latency_ms: Summary,
    /// Requests answered with a success.
    pub ok: usize,
    /// Failed requests, with the first failure's description.
    pub errors: usize,
    /// First failure.
    pub first_error: Option<String>,
    /// Successful answers per second, from the first scheduled send to the last answer.
    pub achieved_rate: f64,
    /// Largest delay of the sender behind its schedule, ms (the client's own lag).
    pub max_send_lag_ms: f64,
}

/// Sends `count` requests at `rate` per second; `request(i)` makes request `i`, returning an
/// error description on failure. Every request is bounded by the client's own timeout.
pub async fn run<F, Fut>(rate: f64, count: usize, request: F) -> Measured
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let gap = Duration::from_secs_f64(1.0 / rate);
    let begin = Instant::now();
    let mut tasks = JoinSet::new();
    let mut max_send_lag = Duration::ZERO;
    for i in 0..count {
        let at = begin + gap.mul_f64(i as f64);
        tokio::time::sleep_until(at).await;
        max_send_lag = max_send_lag.max(at.elapsed());
        let fut = request(i);
        tasks.spawn(async move {
            let outcome = fut.await;
            (at.elapsed(), outcome, Instant::now())
        });
    }
    let mut latencies = Vec::with_capacity(count);
    let (mut ok, mut errors, mut first_error, mut last) = (0, 0, None, begin);
    while let Some(joined) = tasks.join_next().await {
        let (latency, outcome, done) = match joined {
            Ok(v) => v,
            Err(e) => (
                Duration::ZERO,
                Err(format!("task failed: {e}")),
                Instant::now(),
            ),
        };
        latencies.push(latency.as_secs_f64() * 1000.0);
        last = last.max(done);
        match outcome {
            Ok(()) => ok += 1,
            Err(e) => {
                errors += 1;
                first_error.get_or_insert(e);
            }
        }
    }
    Measured {
        latency_ms: Summary::of(latencies),
        ok,
        errors,
        first_error,
        achieved_rate: ok as f64 / (last - begin).as_secs_f64().max(1e-9),
        max_send_lag_ms: max_send_lag.as_secs_f64() * 1000.0,
    }
}
