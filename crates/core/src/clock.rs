//! Time is injected: the core never reads it; the shell passes `Clock::now()` in.

use chrono::{DateTime, Utc};

/// A source of the current time. `SystemClock` (runtime) in production; `ManualClock`
/// (testkit) in tests, which travel in time.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}
