//! The notifier: pages out, receipts back; incidents told to chat and PagerDuty; replies in.
//!
//! Consumes `tocsin.notifier.pages` (`page.send` and `activation.send` commands from
//! `tocsin.notify`), delivers each page through its channel's driver, and publishes
//! `page.delivered` or `page.failed` to `tocsin.events`; activation codes go out the same way,
//! logged rather than receipted (see `activation.rs`). Consumes `tocsin.notifier.incidents` (`incident.opened`, `.merged`,
//! `.resolved` and `page.accepted` from `tocsin.events`) and posts to the incident's chat
//! webhooks, its notification targets (signed webhooks) and its response plan's PagerDuty
//! service ([`incidents`]). Serves the inbound
//! routes people and providers call back on ([`inbound_router`], mounted by the API).
//!
//! ```text
//! page.send ──► Notifier ── claim deliver:<page> ─ throttle ─► gate (slots, circuit) ─► driver ─► peer
//!                  │                                                                     │
//!                  └──── page.delivered / page.failed ◄──────── outcome recorded ◄───────┘
//! incident.* ──► Incidents ── claim per (incident, event, target) ──► Slack · Teams · Chime · targets · PagerDuty
//! /v1/inbound/* ◄── mail link · SMS reply · key press · status callback · Slack slash command
//! ```
//!
//! # Channels
//!
//! | channel | peer | settings |
//! |---|---|---|
//! | `WEBHOOK` | `POST` of the page as JSON to the channel's URL; `Idempotency-Key` and `webhook-id` are the page id; Standard Webhooks `webhook-timestamp` and `webhook-signature` when a secret is set | `TOCSIN_WEBHOOK_SECRET` |
//! | `EMAIL` | a mail through an SMTP relay (plain, STARTTLS or TLS, optional AUTH) with the subject, content, accept code and one-click acknowledge link; without a relay the mail is logged and reported "logged (no SMTP relay configured)" | `TOCSIN_SMTP_URL`, `TOCSIN_SMTP_FROM` |
//! | `SMS` | Twilio-shaped `Messages.json` (`To`, `From`, `Body`, `StatusCallback`), basic auth, `I-Twilio-Idempotency-Token` = page id | `TOCSIN_SMS_PROVIDER_URL`, `TOCSIN_SMS_ACCOUNT_SID`, `TOCSIN_SMS_AUTH_TOKEN`, `TOCSIN_SMS_FROM` |
//! | `VOICE` | Twilio-shaped `Calls.json` (`To`, `From`, `Twiml` saying the page and "press 1 to acknowledge") | the SMS provider's settings |
//! | chat | Slack incoming webhook (`text` + `blocks`), Teams workflow webhook (Adaptive Card attachment), Chime webhook (`Content`) from the incident's `chatChannel.webhooks` | `TOCSIN_PUBLIC_URL` for the incident link |
//! | notification targets | `POST` of `incident.opened` / `.updated` / `.resolved` to the webhook each `notificationTargets` topic ARN maps to, Standard Webhooks signed, `webhook-id` derived from (incident, event, topic) | `TOCSIN_NOTIFICATION_TARGETS`, `TOCSIN_SECRETS_FILE` |
//! | PagerDuty | REST API: an incident per incident, timeline events as notes (≤ 2,000), resolved with it | `TOCSIN_PAGERDUTY_URL`, `TOCSIN_SECRETS_FILE` |
//!
//! `TOCSIN_PUBLIC_URL` adds the acknowledge link ([`links`]) to mails and texts, the key-press
//! callback to calls and the provider's `StatusCallback`. `TOCSIN_WEBHOOK_TIMEOUT_MS` is the
//! deadline of one call on every channel.
//!
//! # Delivery
//!
//! Delivered once ([`pages`]): before calling the peer the notifier claims `deliver:<page>` in
//! the store; a redelivered command whose claim is done only republishes the receipt. The page
//! id travels to the peer as its idempotency key, so a peer that honours it drops the
//! duplicate of a send whose outcome was lost; such resends are counted, never silent.
//! Transient failures (connection errors, 408, 429, 5xx, SMTP 4xx) are retried with backoff up
//! to `TOCSIN_SEND_ATTEMPTS`; a deadline passed after the request went out is an unknown
//! outcome, recorded and retried only with the same key; permanent failures (other 4xx, SMTP
//! 5xx, bad address, unconfigured channel, opted-out number) are reported at once.
//!
//! Each driver has its own gate: at most `TOCSIN_NOTIFIER_CONCURRENCY` calls in flight, and a
//! circuit breaker that opens after `TOCSIN_NOTIFIER_BREAKER_FAILURES` consecutive transient
//! failures for `TOCSIN_NOTIFIER_BREAKER_COOLDOWN_SECS`. A page turned away by an open circuit
//! or by its channel's throttle ([`throttle`]) is not sent and not failed: its claim is
//! released and it goes back to the queue until it may go. Its last attempt passes the
//! circuit, so a page is only ever reported failed on the peer's own answer.

mod activation;
mod drivers;
pub mod inbound;
pub mod incidents;
pub mod links;
pub mod pages;
pub mod secrets;
pub mod throttle;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tocsin_bus::Delivery;
use tocsin_proto::Envelope;
use tocsin_proto::messages::NotifyCommand;
use tocsin_proto::routing::{QUEUE_NOTIFIER, QUEUE_NOTIFIER_INCIDENTS};
use tocsin_runtime::consumer::{self, LoopConfig};
use tocsin_runtime::{Context, Handler, Outcome};
use tokio_util::sync::CancellationToken;

pub use drivers::{Admission, Drivers, Message, SendError};
pub use inbound::inbound_router;
pub use incidents::Incidents;

/// Counters of one notifier process (cheap to clone; clones share the counts).
#[derive(Debug, Clone, Default)]
pub struct Stats(Arc<[AtomicU64; 6]>);

impl Stats {
    fn bump(&self, i: usize) {
        self.0[i].fetch_add(1, Ordering::Relaxed);
    }
    fn count_delivery(&self, ok: bool) {
        self.bump(if ok { 0 } else { 1 });
    }
    fn count_throttled(&self) {
        self.bump(2);
    }
    fn count_possible_duplicate(&self) {
        self.bump(3);
    }
    fn count_activation(&self, ok: bool) {
        self.bump(if ok { 4 } else { 5 });
    }
    /// Pages delivered.
    pub fn delivered(&self) -> u64 {
        self.0[0].load(Ordering::Relaxed)
    }
    /// Pages failed.
    pub fn failed(&self) -> u64 {
        self.0[1].load(Ordering::Relaxed)
    }
    /// Times a page was put back by its throttle.
    pub fn throttled(&self) -> u64 {
        self.0[2].load(Ordering::Relaxed)
    }
    /// Sends repeated after an unknown outcome (possible duplicates at peers that ignore the
    /// idempotency key).
    pub fn possible_duplicates(&self) -> u64 {
        self.0[3].load(Ordering::Relaxed)
    }
    /// Activation codes delivered.
    pub fn activations_sent(&self) -> u64 {
        self.0[4].load(Ordering::Relaxed)
    }
    /// Activation codes that could not be delivered.
    pub fn activations_failed(&self) -> u64 {
        self.0[5].load(Ordering::Relaxed)
    }
}

/// Handles deliveries of the notifier's page queue.
#[derive(Debug, Clone)]
pub struct Notifier {
    ctx: Context,
    drivers: Drivers,
    stats: Stats,
}

impl Notifier {
    /// A notifier on `ctx` with the drivers its settings configure.
    pub fn new(ctx: Context) -> Self {
        let drivers = Drivers::from_settings(&ctx.settings, ctx.clock.clone());
        Self::with_drivers(ctx, drivers)
    }

    /// A notifier on `ctx` with these drivers.
    pub fn with_drivers(ctx: Context, drivers: Drivers) -> Self {
        Self {
            ctx,
            drivers,
            stats: Stats::default(),
        }
    }

    /// Its drivers.
    pub fn drivers(&self) -> &Drivers {
        &self.drivers
    }

    /// Its counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }
}

impl Handler for Notifier {
    async fn handle(&self, delivery: &Delivery) -> Outcome {
        let env: Envelope<NotifyCommand> = match Envelope::decode(&delivery.body) {
            Ok(e) => e,
            Err(e) => return Outcome::Reject(e.to_string()),
        };
        match &env.payload {
            NotifyCommand::SendPage(p) => self.send_page(&env, delivery, p).await,
            NotifyCommand::SendActivationCode(a) => self.send_activation(&env, delivery, a).await,
        }
    }
}

/// Consumes the notifier's queues (pages, incident events) until `shutdown`.
pub async fn run(ctx: Context, shutdown: CancellationToken) -> anyhow::Result<()> {
    let pages = LoopConfig {
        queue: QUEUE_NOTIFIER.into(),
        prefetch: ctx.settings.prefetch,
        // The handler itself turns the last transient failure into a PageFailed receipt.
        max_attempts: ctx.settings.send_attempts + 1,
        grace: ctx.settings.shutdown_grace,
    };
    let incidents = LoopConfig {
        queue: QUEUE_NOTIFIER_INCIDENTS.into(),
        prefetch: ctx.settings.prefetch,
        max_attempts: ctx.settings.send_attempts + 1,
        grace: ctx.settings.shutdown_grace,
    };
    let notifier = Notifier::new(ctx.clone());
    tracing::info!(channels = %notifier.drivers.describe(), "Notifier drivers ready.");
    let told = Incidents::new(ctx.clone());
    let (a, b) = tokio::join!(
        consumer::run(ctx.bus.clone(), pages, Arc::new(notifier), shutdown.clone()),
        consumer::run(ctx.bus.clone(), incidents, Arc::new(told), shutdown),
    );
    a?;
    b?;
    Ok(())
}
