//! Exponential backoff with jitter, for reconnects and publish retries.
//!
//! Every replica reconnects at once after a broker restart; the jitter spreads them out so the
//! broker is not hit by a thundering herd, and the cap keeps a long outage from turning into
//! minutes of idle waiting once the broker is back.

use std::time::Duration;

use rand::Rng;

/// Delays of `initial`, doubling up to `max`, each drawn uniformly from its upper half.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    current: Duration,
    max: Duration,
}

impl Backoff {
    /// Starts at `initial`, never exceeds `max`.
    pub(crate) fn new(initial: Duration, max: Duration) -> Self {
        Self {
            current: initial.min(max),
            max,
        }
    }

    /// The next delay to wait (equal jitter: between half and all of the nominal delay).
    pub(crate) fn next_delay(&mut self) -> Duration {
        let nominal = self.current;
        self.current = (self.current * 2).min(self.max);
        let half = nominal / 2;
        let spread = u64::try_from((nominal - half).as_micros()).unwrap_or(u64::MAX);
        half + Duration::from_micros(rand::rng().random_range(0..=spread))
    }
}

#[cfg(test)]
mod tests {
    use super::Backoff;
    use std::time::Duration;

    #[test]
    fn doubles_up_to_the_cap_with_jitter() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
        let mut nominal = Duration::from_millis(100);
        for _ in 0..12 {
            let delay = backoff.next_delay();
            assert!(
                delay >= nominal / 2 && delay <= nominal,
                "{delay:?} vs {nominal:?}"
            );
            nominal = (nominal * 2).min(Duration::from_secs(5));
        }
    }
}
