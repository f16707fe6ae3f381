//! The ingest service: alarms in, incidents out.
//!
//! Consumes `tocsin.ingest.alarms` (every format published to exchange `tocsin.ingest`; the
//! routing key names the format), validates the alarm, routes it to its response plan, and
//! creates the incident — or merges the alarm into the OPEN incident holding the same dedupe
//! string — in one atomic store operation. Then it publishes `incident.opened` or
//! `incident.merged` to `tocsin.events` and acks.
//!
//! Redelivery is harmless: the alarm's idempotency key (client token, message id or body hash)
//! is recorded by that same atomic operation, so a replay returns the first outcome and only
//! republishes its event (consumers are idempotent too).

use std::sync::Arc;
use std::time::Duration;

use tocsin_bus::Delivery;
use tocsin_core::Ctx;
use tocsin_core::alarm::{idempotency_key, validate_native};
use tocsin_core::incident::open_incident;
use tocsin_proto::alarm::NativeAlarm;
use tocsin_proto::messages::{Event, IncidentMergedV1, IncidentOpenedV1};
use tocsin_proto::routing::{QUEUE_INGEST, RK_NATIVE};
use tocsin_runtime::consumer::{self, LoopConfig};
use tocsin_runtime::publish::{self, Meta};
use tocsin_runtime::records::timeline_entry;
use tocsin_runtime::{Context, Handler, Outcome};
use tocsin_store::{CreateIncident, CreateKind, StoreError};
use tokio_util::sync::CancellationToken;

/// How long an alarm's outcome is remembered for replays (a day covers any redelivery).
const IDEMPOTENCY_TTL: Duration = Duration::from_secs(24 * 3600);
/// First retry delay when a backend is unavailable.
const RETRY_AFTER: Duration = Duration::from_millis(200);

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

    fn principal(&self) -> String {
        format!(
            "arn:aws:iam::{}:role/tocsin-ingest",
            self.ctx.settings.account_id
        )
    }

    async fn native(&self, delivery: &Delivery) -> Outcome {
        let alarm: NativeAlarm = match serde_json::from_slice(&delivery.body) {
            Ok(a) => a,
            Err(e) => return Outcome::Reject(format!("invalid native alarm: {e}")),
        };
        let account = self.ctx.settings.account_id.clone();
        if let Err(e) = validate_native(&alarm, &account) {
            return Outcome::Reject(format!("invalid native alarm: {e}"));
        }
        let records = self.ctx.records();
        let plan = match records.response_plan(&alarm.response_plan_arn).await {
            Ok(Some(p)) => p,
            Ok(None) => {
                return Outcome::Reject(format!(
                    "responsePlanArn: response plan {} does not exist",
                    alarm.response_plan_arn
                ));
            }
            Err(e) if e.is_transient() => return Outcome::retry(RETRY_AFTER, e),
            Err(e) => return Outcome::Reject(e.to_string()),
        };
        let key = idempotency_key(
            alarm.client_token.as_deref(),
            delivery.message_id.as_deref(),
            &delivery.body,
        );
        let now = self.ctx.clock.now();
        let c = Ctx {
            account: account.clone(),
            region: self.ctx.settings.region.clone(),
            now,
            actor: self.principal(),
        };
        let opened = open_incident(&c, &plan, &alarm, &key);
        let request = CreateIncident {
            account: account.clone(),
            incident_id: opened.incident_id.clone(),
            dedupe: opened.record.dedupe_string.clone(),
            idempotency_key: key.clone(),
            idempotency_ttl: IDEMPOTENCY_TTL,
            record: serde_json::to_string(&opened.record).unwrap_or_default(),
            created_timeline: opened.created_timeline.iter().map(timeline_entry).collect(),
            merged_timeline: timeline_entry(&opened.merged_event),
        };
        let outcome = match records.store().create_incident(&request).await {
            Ok(o) => o,
            Err(StoreError::Conflict { .. }) => {
                // The incident this alarm derives exists, but its idempotency record expired:
                // a very late redelivery. Its effects happened long ago.
                tracing::info!(incident_id = %opened.incident_id, "Alarm replayed after its idempotency window; nothing to do.");
                return Outcome::Ack;
            }
            Err(e) => return Outcome::retry(RETRY_AFTER, e),
        };
        let event = match outcome.kind {
            CreateKind::Created => {
                tracing::info!(incident_id = %outcome.incident_id, replayed = outcome.replayed, "Incident opened.");
                Event::IncidentOpened(IncidentOpenedV1 {
                    incident_arn: opened.record.arn.clone(),
                    incident_id: outcome.incident_id.clone(),
                    response_plan_arn: plan.arn.clone(),
                    title: opened.record.title.clone(),
                    impact: opened.record.impact,
                    engagements: opened.record.engagements.clone(),
                })
            }
            CreateKind::Merged => {
                let arn = match records.incident(&outcome.incident_id).await {
                    Ok(Some((r, _))) => r.arn,
                    Ok(None) => String::new(),
                    Err(e) => return Outcome::retry(RETRY_AFTER, e),
                };
                tracing::info!(incident_id = %outcome.incident_id, replayed = outcome.replayed, "Alarm merged into an open incident.");
                Event::IncidentMerged(IncidentMergedV1 {
                    incident_arn: arn,
                    incident_id: outcome.incident_id.clone(),
                    dedupe_string: opened.record.dedupe_string.clone(),
                })
            }
        };
        let meta = Meta {
            account: &account,
            idempotency_key: &format!("alarm:{key}"),
            now,
        };
        match publish::event(&self.ctx.bus, &meta, event).await {
            Ok(()) => Outcome::Ack,
            Err(e) => Outcome::retry(RETRY_AFTER, e),
        }
    }
}

impl Handler for Ingest {
    async fn handle(&self, delivery: &Delivery) -> Outcome {
        let limit = self.ctx.settings.max_alarm_bytes;
        if delivery.body.len() > limit {
            return Outcome::Reject(format!(
                "body is {} bytes; the limit is {limit} bytes (TOCSIN_MAX_ALARM_BYTES)",
                delivery.body.len()
            ));
        }
        match delivery.routing_key.as_str() {
            RK_NATIVE => self.native(delivery).await,
            other => Outcome::Reject(format!(
                "unsupported alarm format {other:?}; this version reads: {RK_NATIVE}"
            )),
        }
    }
}

/// Consumes the ingest queue until `shutdown`.
pub async fn run(ctx: Context, shutdown: CancellationToken) -> anyhow::Result<()> {
    let config = LoopConfig {
        queue: QUEUE_INGEST.into(),
        prefetch: ctx.settings.prefetch,
        max_attempts: 10,
        grace: ctx.settings.shutdown_grace,
    };
    consumer::run(
        ctx.bus.clone(),
        config,
        Arc::new(Ingest::new(ctx)),
        shutdown,
    )
    .await?;
    Ok(())
}
