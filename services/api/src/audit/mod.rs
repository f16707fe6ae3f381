//! The audit log: every call of the AWS-protocol and native APIs, reads included, as a
//! CloudTrail-shaped JSON event ([`event`]) appended to the account's capped audit stream in
//! the store and written to the logs (tracing target `audit`); read back newest first with
//! filters ([`query`]: `GET /v1/audit`, `tocsin audit`).
//!
//! A call on another account's shared resource is recorded for both accounts (the caller's
//! and the owner's, CloudTrail's `recipientAccountId`). Requests that fail authentication name
//! no trustworthy account: they are logged (target `audit`) but not stored. A failure to store
//! an event is logged and never fails the call.

pub mod event;
pub mod native;
pub mod query;

use tocsin_runtime::Context;
use tocsin_store::Store;

pub use event::{Call, Identity};

/// Records events of one deployment.
#[derive(Debug, Clone)]
pub struct Recorder {
    store: Store,
    max_len: usize,
}

impl Recorder {
    /// A recorder on `ctx`'s store, keeping `TOCSIN_AUDIT_MAX_EVENTS` per account.
    pub fn new(ctx: &Context) -> Self {
        Self {
            store: ctx.store.clone(),
            max_len: usize::try_from(ctx.settings.audit_max_events).unwrap_or(usize::MAX),
        }
    }

    /// Stores and logs the event of `call`.
    pub async fn record(&self, call: Call) {
        let time_ms = call.time.timestamp_millis();
        let mut accounts = vec![call.identity.account.clone()];
        if call.recipient_account != call.identity.account {
            accounts.push(call.recipient_account.clone());
        }
        let event = event::record(call);
        let text = event.to_string();
        tracing::info!(target: "audit", event = %text, "API call.");
        for account in accounts {
            if let Err(e) = self
                .store
                .append_audit(&account, time_ms, &text, self.max_len)
                .await
            {
                tracing::error!(error = %e, %account, "Audit event not stored.");
            }
        }
    }

    /// Logs the event of a call that failed authentication (nothing is stored).
    pub fn log_refused(&self, call: Call) {
        let text = event::record(call).to_string();
        tracing::info!(target: "audit", event = %text, "API call refused before authentication.");
    }
}
