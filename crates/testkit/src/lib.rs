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
