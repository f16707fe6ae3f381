//! The engagement service: who gets paged, and what happened to each page.
//!
//! Consumes `tocsin.engagement.events`, bound to `tocsin.events`:
//! - `incident.opened` → engage each contact of the plan: an engagement record, one page per
//!   activated channel of the first stage (each with an accept code), a "Contact Engaged"
//!   timeline event, and a `page.send` command per page to `tocsin.notify`.
//! - `page.delivered` / `page.failed` → the receipt on the page and a timeline event.
//!
//! Every id is derived from the incident, contact, channel and attempt, and every write is
//! conditional or idempotent, so a redelivered event re-creates nothing and re-sends only
//! commands the notifier will recognise as already delivered. A per-(incident, contact)
//! claim keeps two replicas from engaging the same contact at the same moment.

mod receipts;

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tocsin_bus::Delivery;
use tocsin_core::Ctx;
use tocsin_core::engagement::{engage, send_command};
use tocsin_proto::Envelope;
use tocsin_proto::messages::{Event, IncidentOpenedV1, NotifyCommand};
use tocsin_proto::records::{Page, kinds};
use tocsin_proto::routing::QUEUE_ENGAGEMENT;
use tocsin_runtime::consumer::{self, LoopConfig};
use tocsin_runtime::publish::{self, Meta};
use tocsin_runtime::records::RecordsError;
use tocsin_runtime::{Context, Handler, Outcome, Records};
use tocsin_store::{Claim, Expect, StoreError};
use tokio_util::sync::CancellationToken;

/// How long a claim on engaging one contact protects the work of the replica holding it.
const CLAIM_TTL: Duration = Duration::from_secs(30);
/// How long a finished engagement is remembered (redeliveries come within minutes).
const DONE_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// First retry delay.
const RETRY_AFTER: Duration = Duration::from_millis(250);

/// Handles deliveries of the engagement queue.
#[derive(Debug, Clone)]
pub struct Engagements {
    ctx: Context,
}

/// A failed step, classified for the consumer loop.
fn outcome_of(e: RecordsError) -> Outcome {
    if e.is_transient() {
        Outcome::retry(RETRY_AFTER, e)
    } else {
        Outcome::Reject(e.to_string())
    }
}

/// A 6-digit accept code.
fn accept_code() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000))
}

impl Engagements {
    /// An engagement handler on `ctx`.
    pub fn new(ctx: Context) -> Self {
        Self { ctx }
    }

    async fn incident_opened(&self, env: &Envelope<Event>, e: &IncidentOpenedV1) -> Outcome {
        let records = Records::new(self.ctx.store.clone(), env.account_id.clone());
        let incident = match records.incident(&e.incident_id).await {
            Ok(Some((r, _))) => r,
            Ok(None) => {
                return Outcome::Reject(format!("incident {} does not exist", e.incident_id));
            }
            Err(err) => return outcome_of(err),
        };
        for contact_arn in &e.engagements {
            let key = format!("engage:{}:{contact_arn}", e.incident_id);
            let store = records.store();
            match store.claim(records.account(), &key, CLAIM_TTL).await {
                Ok(Claim::Done(_)) => continue,
                Ok(Claim::InFlight) => {
                    return Outcome::retry(
                        Duration::from_secs(1),
                        format!("{key} is being engaged elsewhere"),
                    );
                }
                Ok(Claim::New) => {}
                Err(err) => return Outcome::retry(RETRY_AFTER, err),
            }
            let result = self
                .engage_contact(&records, &incident, &e.incident_id, contact_arn)
                .await;
            match result {
                Ok(()) => {
                    if let Err(err) = store
                        .complete(records.account(), &key, "engaged", DONE_TTL)
                        .await
                    {
                        return Outcome::retry(RETRY_AFTER, err);
                    }
                }
                Err(outcome) => {
                    let _ = store.release(records.account(), &key).await;
                    return outcome;
                }
            }
        }
        Outcome::Ack
    }

    async fn engage_contact(
        &self,
        records: &Records,
        incident: &tocsin_proto::records::IncidentRecord,
        incident_id: &str,
        contact_arn: &str,
    ) -> Result<(), Outcome> {
        let contact = records.contact(contact_arn).await.map_err(outcome_of)?;
        let channels = match &contact {
            Some(_) => records.channels_of(contact_arn).await.map_err(outcome_of)?,
            None => Vec::new(),
        };
        let now = self.ctx.clock.now();
        let c = Ctx {
            account: records.account().to_string(),
            region: self.ctx.settings.region.clone(),
            now,
            actor: format!("arn:aws:iam::{}:role/tocsin-engagement", records.account()),
        };
        let engaged = engage(
            &c,
            incident,
            incident_id,
            contact_arn,
            contact.as_ref(),
            &channels,
            &mut accept_code,
        );
        if let Some(eng) = &engaged.engagement {
            let id = last_segment(&eng.engagement_arn);
            put_once(records, kinds::ENGAGEMENT, id, eng).await?;
        }
        let mut commands = Vec::new();
        for page in &engaged.pages {
            let id = last_segment(&page.page_arn);
            // A page written by an earlier attempt keeps its accept code.
            let stored: Page = match records.put(kinds::PAGE, id, page, Expect::Absent).await {
                Ok(_) => page.clone(),
                Err(RecordsError::Store(StoreError::Conflict { .. })) => {
                    match records
                        .get::<Page>(kinds::PAGE, id)
                        .await
                        .map_err(outcome_of)?
                    {
                        Some((p, _)) => p,
                        None => {
                            return Err(Outcome::retry(
                                RETRY_AFTER,
                                "page vanished between writes",
                            ));
                        }
                    }
                }
                Err(err) => return Err(outcome_of(err)),
            };
            commands.push(send_command(incident, incident_id, &stored, &channels));
        }
        for ev in &engaged.timeline {
            records
                .append_timeline(incident_id, ev)
                .await
                .map_err(outcome_of)?;
        }
        for cmd in commands {
            let key = format!("send:{}", cmd.page_arn);
            let meta = Meta {
                account: records.account(),
                idempotency_key: &key,
                now,
            };
            publish::command(&self.ctx.bus, &meta, NotifyCommand::SendPage(cmd))
                .await
                .map_err(|e| Outcome::retry(RETRY_AFTER, e))?;
        }
        tracing::info!(
            incident_id,
            contact_arn,
            pages = engaged.pages.len(),
            "Contact engaged."
        );
        Ok(())
    }
}

/// Writes a record unless it exists (a replay finds it there).
async fn put_once<T: serde::Serialize>(
    records: &Records,
    kind: &str,
    id: &str,
    value: &T,
) -> Result<(), Outcome> {
    match records.put(kind, id, value, Expect::Absent).await {
        Ok(_) | Err(RecordsError::Store(StoreError::Conflict { .. })) => Ok(()),
        Err(e) => Err(outcome_of(e)),
    }
}

/// The id at the end of an ARN.
pub(crate) fn last_segment(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

impl Handler for Engagements {
    async fn handle(&self, delivery: &Delivery) -> Outcome {
        let env: Envelope<Event> = match Envelope::decode(&delivery.body) {
            Ok(e) => e,
            Err(e) => return Outcome::Reject(e.to_string()),
        };
        match &env.payload {
            Event::IncidentOpened(e) => self.incident_opened(&env, e).await,
            Event::PageDelivered(r) => receipts::record(&self.ctx, &env, r, true).await,
            Event::PageFailed(r) => receipts::record(&self.ctx, &env, r, false).await,
            Event::IncidentMerged(_) => Outcome::Ack,
        }
    }
}

/// Consumes the engagement queue until `shutdown`.
pub async fn run(ctx: Context, shutdown: CancellationToken) -> anyhow::Result<()> {
    let config = LoopConfig {
        queue: QUEUE_ENGAGEMENT.into(),
        prefetch: ctx.settings.prefetch,
        max_attempts: 20,
        grace: ctx.settings.shutdown_grace,
    };
    consumer::run(
        ctx.bus.clone(),
        config,
        Arc::new(Engagements::new(ctx)),
        shutdown,
    )
    .await?;
    Ok(())
}
