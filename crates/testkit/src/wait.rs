//! Waiting on conditions with a deadline.

use std::future::Future;
use std::time::Duration;

/// Polls `condition` until it returns `Some`, or fails after `deadline` with `what` in the
/// message. Polling (every 20 ms) observes state another process changes; it never stands in
/// for a sleep that hopes work is done.
pub async fn wait_until<T, F, Fut>(
    what: &str,
    deadline: Duration,
    mut condition: F,
) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let give_up = tokio::time::Instant::now() + deadline;
    loop {
        if let Some(v) = condition().await {
            return Ok(v);
        }
        if tokio::time::Instant::now() >= give_up {
            anyhow::bail!("timed out after {deadline:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
