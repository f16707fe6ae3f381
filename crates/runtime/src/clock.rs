//! The production clock.

use chrono::{DateTime, Utc};
use tocsin_core::clock::Clock;

/// Reads the system clock. The only place in the fleet allowed to.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
