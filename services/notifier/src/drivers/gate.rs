//! What stands between a page and its driver: a concurrency limit and a circuit breaker.
//!
//! - **Concurrency.** At most `TOCSIN_NOTIFIER_CONCURRENCY` calls per driver are in flight, so a
//!   slow provider holds only its own slots and never starves the other channels. A send that
//!   waits longer than the call deadline for a slot is deferred, not failed.
//! - **Circuit breaker.** After `TOCSIN_NOTIFIER_BREAKER_FAILURES` consecutive transient
//!   failures the circuit opens for `TOCSIN_NOTIFIER_BREAKER_COOLDOWN_SECS`: sends fail fast as
//!   [`SendError::Deferred`] ("circuit open") and go back to the queue to be retried later —
//!   never dropped. After the cool-down one probe goes through; its success closes the circuit,
//!   its failure opens it again. A success or a permanent failure (the peer answered) resets
//!   the count. The page's last attempt passes even an open circuit ([`Admission::LastAttempt`]).
//!
//! Time is `tokio::time::Instant`, so tests drive the breaker with paused time.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::{Admission, SendError};

/// Extra time the outer deadline gives a driver over its own timeouts, so that the driver's
/// own, more precise error normally wins.
const DEADLINE_GRACE: Duration = Duration::from_secs(1);

/// When a circuit opens and for how long.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BreakerRules {
    /// Consecutive transient failures that open the circuit.
    pub failures: u32,
    /// How long it stays open.
    pub cooldown: Duration,
}

/// The concurrency limit and circuit breaker of one driver.
pub(crate) struct Gate {
    name: &'static str,
    slots: Semaphore,
    capacity: usize,
    deadline: Duration,
    breaker: Mutex<Breaker>,
}

impl Gate {
    /// A gate for `name` with `capacity` slots; a call may take `deadline`.
    pub(crate) fn new(
        name: &'static str,
        capacity: usize,
        deadline: Duration,
        rules: BreakerRules,
    ) -> Self {
        let capacity = capacity.max(1);
        Self {
            name,
            slots: Semaphore::new(capacity),
            capacity,
            deadline,
            // A probe that never reports back (its task was cancelled) frees the circuit after
            // the longest a call can take.
            breaker: Mutex::new(Breaker::new(rules, deadline * 2 + DEADLINE_GRACE)),
        }
    }

    /// Runs `send` under the gate. Time spent waiting for a slot plus the call stays within
    /// twice the deadline plus a second, inside the notifier's delivery claim.
    pub(crate) async fn run(
        &self,
        admission: Admission,
        send: impl Future<Output = Result<String, SendError>>,
    ) -> Result<String, SendError> {
        let Ok(Ok(_permit)) = tokio::time::timeout(self.deadline, self.slots.acquire()).await
        else {
            return Err(SendError::Deferred {
                after: self.deadline,
                reason: format!(
                    "all {} {} slots stayed busy for {:?}",
                    self.capacity, self.name, self.deadline
                ),
            });
        };
        if admission == Admission::Normal {
            let admitted = self.lock().admit(Instant::now());
            if let Err(after) = admitted {
                return Err(SendError::Deferred {
                    after,
                    reason: format!(
                        "{} circuit open after repeated transient failures; retrying in {}s",
                        self.name,
                        after.as_secs().max(1)
                    ),
                });
            }
        }
        let result = match tokio::time::timeout(self.deadline + DEADLINE_GRACE, send).await {
            Ok(r) => r,
            Err(_) => Err(SendError::Unknown(format!(
                "{} call timed out after {:?}",
                self.name, self.deadline
            ))),
        };
        let transient = matches!(result, Err(SendError::Transient(_) | SendError::Unknown(_)));
        let change = self.lock().record(transient, Instant::now());
        match change {
            Some(Change::Opened { failures, cooldown }) => tracing::warn!(
                driver = self.name,
                failures,
                cooldown_secs = cooldown.as_secs(),
                "Circuit opened: sends through this driver are deferred until the cool-down ends."
            ),
            Some(Change::Closed) => {
                tracing::info!(
                    driver = self.name,
                    "Circuit closed: the peer answers again."
                )
            }
            None => {}
        }
        result
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Breaker> {
        self.breaker.lock().unwrap_or_else(|p| p.into_inner())
    }
}

// === impl Breaker ===

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
    },
    /// One call went through after the cool-down; the others wait for its outcome.
    Probing {
        since: Instant,
    },
}

/// A state change worth a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Opened { failures: u32, cooldown: Duration },
    Closed,
}

#[derive(Debug)]
struct Breaker {
    rules: BreakerRules,
    probe_timeout: Duration,
    state: State,
}

impl Breaker {
    fn new(rules: BreakerRules, probe_timeout: Duration) -> Self {
        Self {
            rules,
            probe_timeout,
            state: State::Closed { failures: 0 },
        }
    }

    /// `Ok` lets a call through; `Err(wait)` turns it away for about `wait`.
    fn admit(&mut self, now: Instant) -> Result<(), Duration> {
        match self.state {
            State::Closed { .. } => Ok(()),
            State::Open { until } if now < until => Err(until - now),
            State::Probing { since } if now.duration_since(since) < self.probe_timeout => {
                Err(self.probe_timeout - now.duration_since(since))
            }
            State::Open { .. } | State::Probing { .. } => {
                self.state = State::Probing { since: now };
                Ok(())
            }
        }
    }

    /// Records the outcome of a call that went through.
    fn record(&mut self, transient: bool, now: Instant) -> Option<Change> {
        let open = |failures| {
            (
                State::Open {
                    until: now + self.rules.cooldown,
                },
                Some(Change::Opened {
                    failures,
                    cooldown: self.rules.cooldown,
                }),
            )
        };
        let (next, change) = match (self.state, transient) {
            (State::Closed { .. }, false) => (State::Closed { failures: 0 }, None),
            (_, false) => (State::Closed { failures: 0 }, Some(Change::Closed)),
            (State::Closed { failures }, true) if failures + 1 >= self.rules.failures => {
                open(failures + 1)
            }
            (State::Closed { failures }, true) => (
                State::Closed {
                    failures: failures + 1,
                },
                None,
            ),
            (State::Open { .. } | State::Probing { .. }, true) => open(self.rules.failures),
        };
        self.state = next;
        change
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: BreakerRules = BreakerRules {
        failures: 3,
        cooldown: Duration::from_secs(30),
    };

    fn transient() -> Result<String, SendError> {
        Err(SendError::Transient("peer down".into()))
    }

    #[tokio::test(start_paused = true)]
    async fn opens_after_consecutive_transient_failures_and_recovers_through_one_probe() {
        let gate = Gate::new("test", 4, Duration::from_secs(1), RULES);
        for _ in 0..3 {
            assert!(matches!(
                gate.run(Admission::Normal, async { transient() }).await,
                Err(SendError::Transient(_))
            ));
        }
        // Open: fail fast, the send is never polled.
        let r = gate
            .run(Admission::Normal, async { unreachable!("circuit is open") })
            .await;
        let Err(SendError::Deferred { after, reason }) = r else {
            panic!("{r:?}")
        };
        assert!(reason.contains("circuit open"), "{reason}");
        assert!(after <= Duration::from_secs(30) && after > Duration::from_secs(29));

        // The last attempt of a page passes anyway.
        let r = gate
            .run(Admission::LastAttempt, async { Ok("sent".to_string()) })
            .await;
        assert_eq!(r, Ok("sent".into()));
        assert_eq!(gate.lock().state, State::Closed { failures: 0 });

        // Open again; after the cool-down one probe goes through, a failed probe reopens.
        for _ in 0..3 {
            let _ = gate.run(Admission::Normal, async { transient() }).await;
        }
        tokio::time::advance(Duration::from_secs(31)).await;
        assert!(matches!(
            gate.run(Admission::Normal, async { transient() }).await,
            Err(SendError::Transient(_))
        ));
        assert!(matches!(
            gate.run(Admission::Normal, async { Ok(String::new()) })
                .await,
            Err(SendError::Deferred { .. })
        ));
        tokio::time::advance(Duration::from_secs(31)).await;
        assert_eq!(
            gate.run(Admission::Normal, async { Ok("back".to_string()) })
                .await,
            Ok("back".into())
        );
        assert_eq!(gate.lock().state, State::Closed { failures: 0 });
    }

    #[tokio::test(start_paused = true)]
    async fn permanent_failures_and_successes_reset_the_count() {
        let gate = Gate::new("test", 1, Duration::from_secs(1), RULES);
        for _ in 0..5 {
            let _ = gate.run(Admission::Normal, async { transient() }).await;
            let _ = gate.run(Admission::Normal, async { transient() }).await;
            let _ = gate
                .run(Admission::Normal, async {
                    Err(SendError::Permanent("bad address".into()))
                })
                .await;
        }
        assert_eq!(gate.lock().state, State::Closed { failures: 0 });
    }

    #[tokio::test(start_paused = true)]
    async fn slots_bound_concurrency_and_a_long_wait_defers() {
        let gate = std::sync::Arc::new(Gate::new("test", 1, Duration::from_secs(1), RULES));
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
        let holder = {
            let gate = gate.clone();
            tokio::spawn(async move {
                gate.run(Admission::Normal, async move {
                    let _ = started_tx.send(());
                    let _ = release_rx.await;
                    Ok("first".to_string())
                })
                .await
            })
        };
        started_rx.await.unwrap();
        // The only slot is taken: the second send waits out the deadline and is deferred.
        let r = gate
            .run(Admission::Normal, async { unreachable!("no slot") })
            .await;
        assert!(
            matches!(&r, Err(SendError::Deferred { reason, .. }) if reason.contains("busy")),
            "{r:?}"
        );
        let _ = release_tx.send(());
        assert_eq!(holder.await.unwrap(), Ok("first".into()));
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_past_the_deadline_has_an_unknown_outcome() {
        let gate = Gate::new("test", 1, Duration::from_secs(1), RULES);
        let r = gate.run(Admission::Normal, std::future::pending()).await;
        assert!(
            matches!(&r, Err(SendError::Unknown(m)) if m.contains("timed out")),
            "{r:?}"
        );
    }
}
