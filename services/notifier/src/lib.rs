//! The notifier: pages out, receipts back.
//!
//! Consumes `tocsin.notifier.pages` (`page.send` commands from `tocsin.notify`), delivers each
//! page through its channel's driver, and publishes `page.delivered` or `page.failed` to
//! `tocsin.events`.
//!
//! ```text
//! page.send ──► Notifier ── claim deliver:<page> ──► gate (slots, circuit) ──► driver ──► peer
//!                  │                                                             │
//!                  └──── page.delivered / page.failed ◄── outcome recorded ◄─────┘
//! ```
//!
//! # Channels
//!
//! | channel | peer | settings |
//! |---|---|---|
//! | `WEBHOOK` | `POST` of the page as JSON to the channel's URL; `Idempotency-Key` and `webhook-id` are the page id; Standard Webhooks `webhook-timestamp` and `webhook-signature` when a secret is set | `TOCSIN_WEBHOOK_SECRET` |
//! | `EMAIL` | a mail through an SMTP relay (plain, STARTTLS or TLS, optional AUTH) with the subject, content, accept code and acknowledge link; without a relay the mail is logged and reported "logged (no SMTP relay configured)" | `TOCSIN_SMTP_URL`, `TOCSIN_SMTP_FROM` |
//! | `SMS` | Twilio-shaped `Messages.json` (`To`, `From`, `Body`, `StatusCallback`), basic auth, `I-Twilio-Idempotency-Token` = page id | `TOCSIN_SMS_PROVIDER_URL`, `TOCSIN_SMS_ACCOUNT_SID`, `TOCSIN_SMS_AUTH_TOKEN`, `TOCSIN_SMS_FROM` |
//! | `VOICE` | Twilio-shaped `Calls.json` (`To`, `From`, `Twiml` saying the page and "press 1 to acknowledge") | the SMS provider's settings |
//!
//! `TOCSIN_PUBLIC_URL` adds the acknowledge link `<url>/v1/pages/<page id>/accept?code=<code>`
//! to mails, texts and calls, and the provider's `StatusCallback`. `TOCSIN_WEBHOOK_TIMEOUT_MS`
//! is the deadline of one call on every channel.
//!
//! # Delivery
//!
//! Delivered once: before calling the peer the notifier claims `deliver:<page>` in the store; a
//! redelivered command whose claim is done only republishes the receipt. The page id travels
//! to the peer as its idempotency key, so a peer that honours it drops the duplicate of a send
//! whose outcome was lost. Transient failures (timeouts, connection errors, 408, 429, 5xx, SMTP
//! 4xx) are retried with backoff up to `TOCSIN_SEND_ATTEMPTS`; permanent ones (other 4xx, SMTP
//! 5xx, bad address, unconfigured channel) are reported at once.
//!
//! Each driver has its own gate: at most `TOCSIN_NOTIFIER_CONCURRENCY` calls in flight, and a
//! circuit breaker that opens after `TOCSIN_NOTIFIER_BREAKER_FAILURES` consecutive transient
//! failures for `TOCSIN_NOTIFIER_BREAKER_COOLDOWN_SECS`. A page turned away by an open circuit
//! is not sent and not failed: its claim is released and it goes back to the queue until the
//! cool-down ends. Its last attempt passes the circuit, so a page is only ever reported failed
//! on the peer's own answer.

mod drivers;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tocsin_bus::Delivery;
use tocsin_proto::Envelope;
use tocsin_proto::messages::{Event, NotifyCommand, PageReceiptV1, SendPageV1};
use tocsin_proto::routing::QUEUE_NOTIFIER;
use tocsin_runtime::consumer::{self, LoopConfig};
use tocsin_runtime::publish::{self, Meta};
use tocsin_runtime::{Context, Handler, Outcome};
use tocsin_store::Claim;
use tokio_util::sync::CancellationToken;

pub use drivers::{Admission, Drivers, SendError};

/// How long a delivery outcome is remembered.
const DONE_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// First retry delay after a transient failure.
const RETRY_AFTER: Duration = Duration::from_millis(500);

/// The recorded outcome of one page delivery.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Delivered {
    ok: bool,
    detail: String,
    at: chrono::DateTime<chrono::Utc>,
}

/// Handles deliveries of the notifier queue.
#[derive(Debug, Clone)]
pub struct Notifier {
    ctx: Context,
    drivers: Drivers,
}

impl Notifier {
    /// A notifier on `ctx` with the drivers its settings configure.
    pub fn new(ctx: Context) -> Self {
        let drivers = Drivers::from_settings(&ctx.settings, ctx.clock.clone());
        Self { ctx, drivers }
    }

    /// A notifier on `ctx` with these drivers.
    pub fn with_drivers(ctx: Context, drivers: Drivers) -> Self {
        Self { ctx, drivers }
    }

    /// Its drivers.
    pub fn drivers(&self) -> &Drivers {
        &self.drivers
    }

    async fn send_page(
        &self,
        env: &Envelope<NotifyCommand>,
        delivery: &Delivery,
        p: &SendPageV1,
    ) -> Outcome {
        let account = env.account_id.as_str();
        let key = format!("deliver:{}", p.page_arn);
        // The claim outlives one send attempt, so a crashed sender's claim expires in time for
        // the redelivery to take it over.
        let claim_ttl = self.ctx.settings.webhook_timeout * 2 + Duration::from_secs(5);
        match self.ctx.store.claim(account, &key, claim_ttl).await {
            Ok(Claim::Done(result)) => {
                return match serde_json::from_str::<Delivered>(&result) {
                    Ok(d) => self.receipt(env, p, &d).await,
                    Err(e) => {
                        Outcome::Reject(format!("corrupt delivery record for {}: {e}", p.page_arn))
                    }
                };
            }
            Ok(Claim::InFlight) => {
                return Outcome::retry(
                    claim_ttl,
                    format!("{} is being delivered elsewhere", p.page_arn),
                );
            }
            Ok(Claim::New) => {}
            Err(e) => return Outcome::retry(RETRY_AFTER, e),
        }
        let last_attempt = delivery.attempt() + 1 >= self.ctx.settings.send_attempts;
        let admission = if last_attempt {
            Admission::LastAttempt
        } else {
            Admission::Normal
        };
        let result = self.drivers.send_with(p, admission).await;
        let now = self.ctx.clock.now();
        let delivered = match result {
            Ok(detail) => Delivered {
                ok: true,
                detail,
                at: now,
            },
            Err(SendError::Permanent(detail)) => Delivered {
                ok: false,
                detail,
                at: now,
            },
            Err(SendError::Deferred { after, reason }) if !last_attempt => {
                // Nothing reached the peer: free the claim and come back when the driver may
                // take the page. The page waits; it is not dropped.
                let _ = self.ctx.store.release(account, &key).await;
                tracing::info!(page_arn = %p.page_arn, %reason, "Page deferred; it goes back to the queue, not dropped.");
                // A quarter more, since the consumer loop's jitter may take a fifth off.
                return Outcome::retry(after.max(RETRY_AFTER).mul_f64(1.25), reason);
            }
            Err(SendError::Transient(detail)) if !last_attempt => {
                let _ = self.ctx.store.release(account, &key).await;
                return Outcome::retry(RETRY_AFTER, detail);
            }
            Err(SendError::Transient(detail) | SendError::Deferred { reason: detail, .. }) => {
                Delivered {
                    ok: false,
                    detail: format!(
                        "gave up after {} attempts: {detail}",
                        self.ctx.settings.send_attempts
                    ),
                    at: now,
                }
            }
        };
        let record = serde_json::to_string(&delivered).unwrap_or_default();
        if let Err(e) = self
            .ctx
            .store
            .complete(account, &key, &record, DONE_TTL)
            .await
        {
            // The page went out but the record did not: keep the claim in flight so it expires
            // and a retry finds the peer's idempotency key rather than a free slot right away.
            return Outcome::retry(claim_ttl, e);
        }
        tracing::info!(page_arn = %p.page_arn, ok = delivered.ok, detail = %delivered.detail, "Page delivery finished.");
        self.receipt(env, p, &delivered).await
    }

    async fn receipt(
        &self,
        env: &Envelope<NotifyCommand>,
        p: &SendPageV1,
        d: &Delivered,
    ) -> Outcome {
        let receipt = PageReceiptV1 {
            page_arn: p.page_arn.clone(),
            engagement_arn: p.engagement_arn.clone(),
            incident_id: p.incident_id.clone(),
            contact_channel_arn: p.contact_channel_arn.clone(),
            at: d.at,
            detail: d.detail.clone(),
        };
        let event = if d.ok {
            Event::PageDelivered(receipt)
        } else {
            Event::PageFailed(receipt)
        };
        let key = format!("receipt:{}:{}", p.page_arn, d.ok);
        let meta = Meta {
            account: &env.account_id,
            idempotency_key: &key,
            now: self.ctx.clock.now(),
        };
        match publish::event(&self.ctx.bus, &meta, event).await {
            Ok(()) => Outcome::Ack,
            Err(e) => Outcome::retry(RETRY_AFTER, e),
        }
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
        }
    }
}

/// Consumes the notifier queue until `shutdown`.
pub async fn run(ctx: Context, shutdown: CancellationToken) -> anyhow::Result<()> {
    let config = LoopConfig {
        queue: QUEUE_NOTIFIER.into(),
        prefetch: ctx.settings.prefetch,
        // The handler itself turns the last transient failure into a PageFailed receipt.
        max_attempts: ctx.settings.send_attempts + 1,
        grace: ctx.settings.shutdown_grace,
    };
    let notifier = Notifier::new(ctx);
    tracing::info!(channels = %notifier.drivers.describe(), "Notifier drivers ready.");
    consumer::run(
        notifier.ctx.bus.clone(),
        config,
        Arc::new(notifier),
        shutdown,
    )
    .await?;
    Ok(())
}
