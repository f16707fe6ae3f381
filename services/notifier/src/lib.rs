//! The notifier: pages out, receipts back.
//!
//! Consumes `tocsin.notifier.pages` (`page.send` commands from `tocsin.notify`), delivers each
//! page through its channel's driver, and publishes `page.delivered` or `page.failed` to
//! `tocsin.events`.
//!
//! Delivered once: before calling the provider the notifier claims `deliver:<page>` in the
//! store; a redelivered command whose claim is done only republishes the receipt. The page id
//! travels to the peer as `Idempotency-Key`, so a peer that honours it drops the duplicate of a
//! send whose outcome was lost. Transient failures (timeouts, 5xx, 429) are retried with
//! backoff; permanent ones (other 4xx, no driver) are reported at once.

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

pub use drivers::{Drivers, SendError};

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
    /// A notifier on `ctx` with the default drivers.
    pub fn new(ctx: Context) -> Self {
        let drivers = Drivers::new(ctx.settings.webhook_timeout);
        Self { ctx, drivers }
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
        let result = self.drivers.send(p).await;
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
            Err(SendError::Transient(detail))
                if delivery.attempt() + 1 < self.ctx.settings.send_attempts =>
            {
                let _ = self.ctx.store.release(account, &key).await;
                return Outcome::retry(RETRY_AFTER, detail);
            }
            Err(SendError::Transient(detail)) => Delivered {
                ok: false,
                detail: format!(
                    "gave up after {} attempts: {detail}",
                    self.ctx.settings.send_attempts
                ),
                at: now,
            },
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
    consumer::run(
        ctx.bus.clone(),
        config,
        Arc::new(Notifier::new(ctx)),
        shutdown,
    )
    .await?;
    Ok(())
}
