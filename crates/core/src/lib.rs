//! The pure domain of Tocsin: given records, an alarm or a receipt, and the time, decide what
//! must happen. Services (the imperative shell) load the inputs, call these functions and carry
//! out the returned effects (store writes, bus publishes).
//!
//! - [`alarm`]: validation of incoming alarms and their idempotency key.
//! - [`incident`]: opening an incident from a response plan (title, impact, dedupe, timeline).
//! - [`engagement`]: engaging a contact: the engagement, its pages and their send commands.
//! - [`receipt`]: recording a delivery outcome on a page and the timeline.
//!
//! No I/O, no async, no clock reads: time comes in as an argument (see [`clock::Clock`] for how
//! the shell obtains it).

pub mod alarm;
pub mod clock;
pub mod contacts;
pub mod engagement;
pub mod engine;
pub mod formats;
pub mod ids;
pub mod incident;
pub mod pattern;
pub mod receipt;
pub mod rotation;
pub mod timeline;
pub mod validate;

use chrono::{DateTime, Utc};

/// Who, where and when a decision is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ctx {
    /// Account (tenant).
    pub account: String,
    /// Region of this deployment.
    pub region: String,
    /// Now, from the injected clock.
    pub now: DateTime<Utc>,
    /// Principal ARN recorded as creator/modifier.
    pub actor: String,
}
