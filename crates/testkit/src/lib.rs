//! Test support for Tocsin (a dev-dependency only).
//!
//! - [`ManualClock`]: time that moves only when a test says so.
//! - [`TestBackends`]: the embedded backends, or real RabbitMQ and Redis isolated per test
//!   (a fresh vhost and a fresh key namespace, both removed when dropped). Which one a suite
//!   runs on is the test's choice; suites are written once and run on both.
//! - [`Receiver`]: an HTTP peer on `127.0.0.1:0` recording what it receives, answering with
//!   scripted statuses.
//! - [`SmtpSink`]: an SMTP relay on `127.0.0.1:0` speaking real SMTP, recording the mails it
//!   accepts, answering with scripted reply codes.
//! - [`chat::ChatPeer`]: Slack, Teams and Chime webhooks checking message formats;
//!   [`pagerduty::PagerDutyPeer`]: PagerDuty's REST API (incidents, notes, resolve).
//! - [`wait_until`]: wait on a condition with a deadline, never a fixed sleep.

mod backends;
pub mod chat;
mod clock;
pub mod pagerduty;
mod private;
mod receiver;
mod smtp;
mod wait;

pub use backends::{Kind, TestBackends};
pub use clock::ManualClock;
pub use private::{PrivateRabbit, PrivateRedis, private_settings};
pub use receiver::{Received, Receiver};
pub use smtp::{Mail, SmtpSink};
pub use wait::wait_until;

/// What a test body ends with: nothing (it asserts as it goes), or a result that must be `Ok`.
pub trait TestOutcome {
    /// Panics on an error.
    fn check(self);
}

impl TestOutcome for () {
    fn check(self) {}
}

impl<E: std::fmt::Debug> TestOutcome for Result<(), E> {
    fn check(self) {
        if let Err(e) = self {
            panic!("{e:?}");
        }
    }
}

/// Runs each named `async fn(Kind)` of the calling module (returning nothing or a
/// `Result<(), _>`) twice: on the embedded backends (`memory::<name>`) and on real RabbitMQ and
/// Redis (`real::<name>`), so every behaviour suite is the same suite on both.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { $crate::TestOutcome::check(super::$name($crate::Kind::Memory).await) })*
        }
        mod real {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { $crate::TestOutcome::check(super::$name($crate::Kind::Real).await) })*
        }
    };
}
