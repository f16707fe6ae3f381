//! The ingest service: alarms in, incidents out.
//!
//! Consumes `tocsin.ingest.alarms` — every format published to exchange `tocsin.ingest`, the
//! routing key naming the format (`native`, `cloudwatch`, `sns`, `eventbridge`,
//! `alertmanager`, `pagerduty`) — and serves the HTTP endpoints that publish there
//! ([`http`]). Each alarm is parsed into one normalised shape (`tocsin_core::formats`),
//! routed to a response plan ([`route`]), and then:
//!
//! - a trigger creates the incident — or merges into the OPEN incident holding the same dedupe
//!   string — in one atomic store operation, then `incident.opened` / `incident.merged` goes to
//!   `tocsin.events`;
//! - a recovery resolves the open incident when the plan opts in (`autoResolve`), freeing the
//!   dedupe string and publishing `incident.resolved` (its engagements stop);
//! - other state changes are noted on the open incident's timeline.
//!
//! Redelivery is harmless: the alarm's idempotency key (client token, message id or body hash)
//! is recorded by the same atomic operation, so a replay returns the first outcome and only
//! republishes its event (consumers are idempotent too).

mod apply;
pub mod http;
pub mod keys;
pub mod route;
pub mod tenancy;

use std::sync::Arc;

use tocsin_bus::Delivery;
use tocsin_core::Ctx;
use tocsin_core::alarm::idempotency_key;
use tocsin_core::formats::{self, Normalized, ParseCtx, PlanRef};
use tocsin_proto::routing::QUEUE_INGEST;
use tocsin_runtime::consumer::{self, LoopConfig};
use tocsin_runtime::{Context, Handler, Outcome, Records};
use tokio_util::sync::CancellationToken;

pub use apply::{OpenError, dedupe_of, open_or_merge, title_of};

/// Body limit of PagerDuty events (PagerDuty's own).
pub const PAGERDUTY_MAX_BYTES: usize = 512 * 1024;

/// Handles deliveries of the ingest queue.
#[derive(Debug, Clone)]
pub struct Ingest {
    ctx: Context,
}

impl Ingest {
    /// An ingest handler on `ctx`.
    pub fn new(ctx: Context) -> Self {
        Self { ctx }
    }

    fn ctx_now(&self, account: String) -> Ctx {
        Ctx {
            actor: format!("arn:aws:iam::{account}:role/tocsin-ingest"),
            account,
            region: self.ctx.settings.region.clone(),
            now: self.ctx.clock.now(),
        }
    }

    async fn one(
        &self,
        c: &Ctx,
        records: &Records,
        alarm: &Normalized,
        key: &str,
        integration: Option<&str>,
    ) -> Outcome {
        let plan = match route::route(records, alarm, integration).await {
            Ok(route::Route::Plan(p)) => p,
            Ok(route::Route::Unrouted(reason)) => {
                if matches!(alarm.plan, PlanRef::Arn(_)) {
                    // A native alarm naming a plan that does not exist is a publisher's error.
                    return Outcome::Reject(reason);
                }
                tracing::warn!(format = %alarm.format, title = %alarm.title, %reason, "Unrouted alarm recorded.");
                metrics::counter!(tocsin_runtime::metrics::INGEST_ALARMS, "outcome" => "unrouted")
                    .increment(1);
                return match route::record_unrouted(records, alarm, key, &reason, c.now).await {
                    Ok(()) => Outcome::Ack,
                    Err(e) => Outcome::retry(apply::RETRY_AFTER, e),
                };
            }
            Err(e) if e.is_transient() => return Outcome::retry(apply::RETRY_AFTER, e),
            Err(e) => return Outcome::Reject(e.to_string()),
        };
        apply::apply(&self.ctx, c, records, &plan, alarm, key).await
    }
}

/// The body limit of `format`.
pub fn max_bytes(ctx: &Context, format: &str) -> usize {
    let base = ctx.settings.max_alarm_bytes;
    if format == formats::Format::PagerDuty.as_str() {
        base.max(PAGERDUTY_MAX_BYTES)
    } else {
        base
    }
}

impl Handler for Ingest {
    async fn handle(&self, delivery: &Delivery) -> Outcome {
        let limit = max_bytes(&self.ctx, &delivery.routing_key);
        if delivery.body.len() > limit {
            return Outcome::Reject(format!(
                "body is {} bytes; the limit is {limit} bytes (TOCSIN_MAX_ALARM_BYTES)",
                delivery.body.len()
            ));
        }
        let settings = &self.ctx.settings;
        let account =
            match tenancy::account_of(delivery, &settings.account_id, &settings.amqp_publishers) {
                Ok(a) => a,
                Err(reason) => return Outcome::Reject(reason),
            };
        let c = self.ctx_now(account);
        let pctx = ParseCtx {
            account: c.account.clone(),
            region: c.region.clone(),
            received_at: c.now,
        };
        let alarms = match formats::parse(&delivery.routing_key, &delivery.body, &pctx) {
            Ok(a) => a,
            Err(e) => {
                return Outcome::Reject(format!("invalid {} alarm: {e}", delivery.routing_key));
            }
        };
        let token = alarms.first().and_then(|a| a.client_token.as_deref());
        let base = idempotency_key(token, delivery.message_id.as_deref(), &delivery.body);
        let integration = delivery
            .headers
            .get(route::HEADER_INTEGRATION)
            .map(String::as_str);
        let records = Records::new(self.ctx.store.clone(), c.account.clone());
        let many = alarms.len() > 1;
        for (i, alarm) in alarms.iter().enumerate() {
            let key = if many {
                format!("{base}#{i}")
            } else {
                base.clone()
            };
            match self.one(&c, &records, alarm, &key, integration).await {
                Outcome::Ack => {}
                other => return other,
            }
        }
        Outcome::Ack
    }
}

/// Consumes the ingest queue and serves the HTTP endpoints until `shutdown`.
pub async fn run(ctx: Context, shutdown: CancellationToken) -> anyhow::Result<()> {
    let config = LoopConfig {
        queue: QUEUE_INGEST.into(),
        prefetch: ctx.settings.prefetch,
        max_attempts: 10,
        grace: ctx.settings.shutdown_grace,
    };
    if let Some(addr) = ctx.settings.ingest_addr {
        let local = http::serve(ctx.clone(), addr, shutdown.clone()).await?;
        tracing::info!(%local, "Ingest HTTP endpoints listening.");
    }
    consumer::run(
        ctx.bus.clone(),
        config,
        Arc::new(Ingest::new(ctx)),
        shutdown,
    )
    .await?;
    Ok(())
}
