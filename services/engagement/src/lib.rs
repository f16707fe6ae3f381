//! The engagement service: who gets paged, when, until someone acknowledges.
//!
//! Consumes `tocsin.engagement.events`, bound to `tocsin.events`:
//! - `incident.opened` → a root engagement per contact of the response plan, started;
//! - `page.delivered` / `page.failed` → the receipt on the page and the timeline;
//! - `page.accepted` (READ) → the engagement is acknowledged: its plan stops, and its parent's
//!   if it is essential there;
//! - `engagement.stop` → the engagement and what it started stop.
//!
//! Each replica also polls the stage timers (a Redis sorted set, [`timers`]) and runs a
//! self-audit. The state machine is `tocsin_core::engine`; this crate loads its inputs, writes
//! its state and outbox with compare-and-set, and carries its effects out idempotently
//! ([`drive`]): pages to `tocsin.notify` (`page.send`), nested engagements, timers, timeline.

mod accept;
mod drive;
mod receipts;
mod start;
pub mod timers;
mod world;

use std::sync::Arc;

use tocsin_bus::Delivery;
use tocsin_core::Ctx;
use tocsin_core::engine::{self, Command};
use tocsin_proto::Envelope;
use tocsin_proto::messages::{Event, IncidentOpenedV1};
use tocsin_proto::routing::QUEUE_ENGAGEMENT;
use tocsin_runtime::consumer::{self, LoopConfig};
use tocsin_runtime::{Context, Handler, Outcome, Records};
use tokio_util::sync::CancellationToken;

pub use accept::{AcceptError, AcceptPage, AcceptType, accept_page, stop_engagement};
pub use drive::TIMER_SET;
pub use start::{StartEngagement, StartError, start_engagement, stop_engagement_now};
pub use world::override_id;

use drive::{create, drive, last_segment, outcome_of};

/// Handles deliveries of the engagement queue.
#[derive(Debug, Clone)]
pub struct Engagements {
    ctx: Context,
}

impl Engagements {
    /// An engagement handler on `ctx`.
    pub fn new(ctx: Context) -> Self {
        Self { ctx }
    }

    async fn incident_opened(&self, records: &Records, e: &IncidentOpenedV1) -> Outcome {
        let incident = match records.incident(&e.incident_id).await {
            Ok(Some((r, _))) => r,
            Ok(None) => {
                return Outcome::Reject(format!("incident {} does not exist", e.incident_id));
            }
            Err(err) => return outcome_of(err),
        };
        let c = Ctx {
            account: records.account().to_string(),
            region: self.ctx.settings.region.clone(),
            now: self.ctx.clock.now(),
            actor: format!("arn:aws:iam::{}:role/tocsin-engagement", records.account()),
        };
        let subject = format!("[Impact {}] {}", incident.impact, incident.title);
        let content = match &incident.summary {
            Some(s) => format!("{}\n{}\nIncident: {}", incident.title, s, incident.arn),
            None => format!("{}\nIncident: {}", incident.title, incident.arn),
        };
        for contact_arn in &e.engagements {
            let root = engine::root(
                &c,
                &e.incident_id,
                &incident.arn,
                &incident.response_plan_arn,
                &subject,
                &content,
                contact_arn,
            );
            if let Err(outcome) = create(records, &root).await {
                return outcome;
            }
            if let Err(outcome) = drive(
                &self.ctx,
                records,
                engine::engagement_id(&root),
                Command::Start,
            )
            .await
            {
                return outcome;
            }
            tracing::info!(incident_id = %e.incident_id, contact_arn, "Contact engaged.");
        }
        Outcome::Ack
    }
}

impl Engagements {
    /// Stops the root engagements of a resolved incident (and, through them, everything they
    /// started): nobody is paged for a resolved incident.
    async fn incident_resolved(&self, records: &Records, incident_id: &str) -> Result<(), Outcome> {
        let all: Vec<tocsin_proto::records::Engagement> = records
            .list(tocsin_proto::records::kinds::ENGAGEMENT)
            .await
            .map_err(outcome_of)?;
        for e in all.iter().filter(|e| {
            e.tocsin.parent.is_none() && e.tocsin.incident_record_id.as_deref() == Some(incident_id)
        }) {
            let reason = "incident resolved".to_string();
            drive(
                &self.ctx,
                records,
                engine::engagement_id(e),
                Command::Stop { reason },
            )
            .await?;
        }
        Ok(())
    }
}

impl Handler for Engagements {
    async fn handle(&self, delivery: &Delivery) -> Outcome {
        let env: Envelope<Event> = match Envelope::decode(&delivery.body) {
            Ok(e) => e,
            Err(e) => return Outcome::Reject(e.to_string()),
        };
        let records = Records::new(self.ctx.store.clone(), env.account_id.clone());
        let result = match &env.payload {
            Event::IncidentOpened(e) => return self.incident_opened(&records, e).await,
            Event::PageDelivered(r) => return receipts::record(&self.ctx, &env, r, true).await,
            Event::PageFailed(r) => {
                let recorded = receipts::record(&self.ctx, &env, r, false).await;
                if !matches!(recorded, Outcome::Ack) {
                    return recorded;
                }
                // The engagement retries the page if its target has a RetryIntervalInMinutes.
                let cmd = Command::PageFailed {
                    page_arn: r.page_arn.clone(),
                    contact_channel_arn: r.contact_channel_arn.clone(),
                };
                drive(&self.ctx, &records, last_segment(&r.engagement_arn), cmd).await
            }
            Event::PageAccepted(a) if a.accept_type == "READ" => {
                let cmd = Command::Acknowledged {
                    contact_arn: a.contact_arn.clone(),
                    page_arn: a.page_arn.clone(),
                };
                drive(&self.ctx, &records, last_segment(&a.engagement_arn), cmd).await
            }
            Event::IncidentResolved(r) => self.incident_resolved(&records, &r.incident_id).await,
            Event::EngagementStopRequested(s) => {
                let reason = s.reason.clone().unwrap_or_else(|| "stopped".into());
                drive(
                    &self.ctx,
                    &records,
                    last_segment(&s.engagement_arn),
                    Command::Stop { reason },
                )
                .await
            }
            Event::PageAccepted(_) | Event::IncidentMerged(_) => Ok(()),
        };
        match result {
            Ok(()) => Outcome::Ack,
            Err(outcome) => outcome,
        }
    }
}

/// Consumes the engagement queue, polls timers and audits until `shutdown`.
pub async fn run(ctx: Context, shutdown: CancellationToken) -> anyhow::Result<()> {
    let config = LoopConfig {
        queue: QUEUE_ENGAGEMENT.into(),
        prefetch: ctx.settings.prefetch,
        max_attempts: 20,
        grace: ctx.settings.shutdown_grace,
    };
    let poller = tokio::spawn(timers::poll(ctx.clone(), shutdown.clone()));
    let audit = tokio::spawn(timers::audit_loop(ctx.clone(), shutdown.clone()));
    let result = consumer::run(
        ctx.bus.clone(),
        config,
        Arc::new(Engagements::new(ctx)),
        shutdown,
    )
    .await;
    let _ = poller.await;
    let _ = audit.await;
    result?;
    Ok(())
}
