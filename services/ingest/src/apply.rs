//! What an alarm does once routed: open or merge an incident (trigger), resolve the open one
//! (recovery, when the plan opts in), or note a state change on it.

use std::time::Duration;

use serde_json::json;
use tocsin_core::Ctx;
use tocsin_core::formats::{Action, Format, Normalized};
use tocsin_core::incident::{open_incident, resolve};
use tocsin_core::timeline::event;
use tocsin_proto::alarm::NativeAlarm;
use tocsin_proto::messages::{Event, IncidentMergedV1, IncidentOpenedV1, IncidentResolvedV1};
use tocsin_proto::records::{ResponsePlan, timeline_types};
use tocsin_runtime::metrics::INGEST_ALARMS;
use tocsin_runtime::publish::{self, Meta};
use tocsin_runtime::records::timeline_entry;
use tocsin_runtime::{Context, Outcome, Records};
use tocsin_store::{Claim, CreateIncident, CreateKind, Expect, StoreError};

/// How long an alarm's outcome is remembered for replays (a day covers any redelivery).
const IDEMPOTENCY_TTL: Duration = Duration::from_secs(24 * 3600);
/// First retry delay when a backend is unavailable.
pub(crate) const RETRY_AFTER: Duration = Duration::from_millis(200);

/// The dedupe string of an alarm under `plan`: the alarm's own, else the plan's, else what AWS
/// merges on automatically (the alarm ARN, the EventBridge event id).
pub fn dedupe_of(plan: &ResponsePlan, alarm: &Normalized) -> String {
    alarm
        .dedupe
        .clone()
        .or_else(|| plan.incident_template.dedupe_string.clone())
        .or_else(|| alarm.auto_dedupe.clone())
        .unwrap_or_default()
}

/// The incident title: a native alarm's own (or the plan's); otherwise the plan's title and the
/// alarm or event name.
pub fn title_of(plan: &ResponsePlan, alarm: &Normalized) -> Option<String> {
    if alarm.format == Format::Native {
        return Some(alarm.title.clone()).filter(|t| !t.is_empty());
    }
    let t = format!("{}: {}", plan.incident_template.title, alarm.title);
    Some(t.chars().take(200).collect())
}

/// Carries the alarm's action out.
pub async fn apply(
    ctx: &Context,
    c: &Ctx,
    records: &Records,
    plan: &ResponsePlan,
    alarm: &Normalized,
    key: &str,
) -> Outcome {
    match &alarm.action {
        Action::Trigger => trigger(ctx, c, records, plan, alarm, key).await,
        Action::Resolve if plan.auto_resolve => {
            resolve_open(ctx, c, records, plan, alarm, key).await
        }
        Action::StateChange {
            recovered: true, ..
        } if plan.auto_resolve => resolve_open(ctx, c, records, plan, alarm, key).await,
        Action::Resolve | Action::Acknowledge | Action::StateChange { .. } => {
            note(c, records, plan, alarm, key).await
        }
    }
}

async fn trigger(
    ctx: &Context,
    c: &Ctx,
    records: &Records,
    plan: &ResponsePlan,
    alarm: &Normalized,
    key: &str,
) -> Outcome {
    let mut native = alarm.to_native(&plan.arn);
    native.title = title_of(plan, alarm);
    native.dedupe_string = Some(dedupe_of(plan, alarm));
    match open_or_merge(ctx, c, records, plan, &native, key).await {
        Ok(_) => Outcome::Ack,
        Err(OpenError::Replayed { incident_arn }) => {
            // The incident this alarm derives exists, but its idempotency record expired: a
            // very late redelivery. Its effects happened long ago.
            tracing::info!(%incident_arn, "Alarm replayed after its idempotency window; nothing to do.");
            Outcome::Ack
        }
        Err(e) => Outcome::retry(RETRY_AFTER, e),
    }
}

/// Why [`open_or_merge`] did not complete.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The incident derived from this key exists but the key's outcome is no longer
    /// remembered (a replay after the idempotency window): nothing was written.
    #[error("incident {incident_arn} already exists for this idempotency key")]
    Replayed {
        /// The existing incident.
        incident_arn: String,
    },
    /// The store failed (retry: the operation is idempotent).
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Reading the merged incident failed.
    #[error("records: {0}")]
    Records(#[from] tocsin_runtime::records::RecordsError),
    /// The event could not be published (retry: the write replays, the event goes out).
    #[error("bus: {0}")]
    Bus(#[from] tocsin_bus::BusError),
}

/// Opens the incident `alarm` asks for under `plan` — or merges it into the OPEN incident
/// holding its dedupe string — in one atomic store operation keyed by `key`, then publishes
/// `incident.opened` / `incident.merged`. Shared by ingest and the API's `StartIncident`.
/// Returns the ARN of the incident created or merged into.
pub async fn open_or_merge(
    ctx: &Context,
    c: &Ctx,
    records: &Records,
    plan: &ResponsePlan,
    alarm: &NativeAlarm,
    key: &str,
) -> Result<String, OpenError> {
    let opened = open_incident(c, plan, alarm, key);
    let request = CreateIncident {
        account: c.account.clone(),
        incident_id: opened.incident_id.clone(),
        dedupe: opened.record.dedupe_string.clone(),
        idempotency_key: key.to_string(),
        idempotency_ttl: IDEMPOTENCY_TTL,
        record: serde_json::to_string(&opened.record).unwrap_or_default(),
        created_timeline: opened.created_timeline.iter().map(timeline_entry).collect(),
        merged_timeline: timeline_entry(&opened.merged_event),
    };
    let outcome = match records.store().create_incident(&request).await {
        Ok(o) => o,
        Err(StoreError::Conflict { .. }) => {
            return Err(OpenError::Replayed {
                incident_arn: opened.record.arn,
            });
        }
        Err(e) => return Err(e.into()),
    };
    let (arn, event) = match outcome.kind {
        CreateKind::Created => {
            tracing::info!(incident_id = %outcome.incident_id, replayed = outcome.replayed, "Incident opened.");
            if !outcome.replayed {
                metrics::counter!(INGEST_ALARMS, "outcome" => "created").increment(1);
            }
            let event = Event::IncidentOpened(IncidentOpenedV1 {
                incident_arn: opened.record.arn.clone(),
                incident_id: outcome.incident_id.clone(),
                response_plan_arn: plan.arn.clone(),
                title: opened.record.title.clone(),
                impact: opened.record.impact,
                engagements: opened.record.engagements.clone(),
            });
            (opened.record.arn.clone(), event)
        }
        CreateKind::Merged => {
            let arn = match outcome.merged_arn.clone() {
                Some(arn) => arn,
                // Outcomes recorded before merges kept the ARN.
                None => records
                    .incident(&outcome.incident_id)
                    .await?
                    .map(|(r, _)| r.arn)
                    .unwrap_or_default(),
            };
            tracing::info!(incident_id = %outcome.incident_id, replayed = outcome.replayed, "Alarm merged into an open incident.");
            if !outcome.replayed {
                metrics::counter!(INGEST_ALARMS, "outcome" => "merged").increment(1);
            }
            let event = Event::IncidentMerged(IncidentMergedV1 {
                incident_arn: arn.clone(),
                incident_id: outcome.incident_id.clone(),
                dedupe_string: opened.record.dedupe_string.clone(),
            });
            (arn, event)
        }
    };
    // Published after the write: if this fails, the retry replays the write and publishes then.
    let meta = Meta {
        account: &c.account,
        idempotency_key: &format!("alarm:{key}"),
        now: c.now,
    };
    publish::event(&ctx.bus, &meta, event).await?;
    Ok(arn)
}

/// Resolves the OPEN incident holding the alarm's dedupe string, once per alarm: the outcome
/// is claimed under the alarm's key, so a replay only republishes `incident.resolved`.
async fn resolve_open(
    ctx: &Context,
    c: &Ctx,
    records: &Records,
    plan: &ResponsePlan,
    alarm: &Normalized,
    key: &str,
) -> Outcome {
    let claim_key = format!("resolve:{key}");
    let store = records.store();
    let resolved_id = match store
        .claim(&c.account, &claim_key, Duration::from_secs(30))
        .await
    {
        Ok(Claim::Done(id)) => id,
        Ok(Claim::InFlight) => {
            return Outcome::retry(Duration::from_secs(1), "resolution in flight elsewhere");
        }
        Ok(Claim::New) => match resolve_now(c, records, plan, alarm).await {
            Ok(id) => {
                if let Err(e) = store
                    .complete(&c.account, &claim_key, &id, IDEMPOTENCY_TTL)
                    .await
                {
                    return Outcome::retry(RETRY_AFTER, e);
                }
                id
            }
            Err(outcome) => {
                let _ = store.release(&c.account, &claim_key).await;
                return outcome;
            }
        },
        Err(e) => return Outcome::retry(RETRY_AFTER, e),
    };
    if resolved_id.is_empty() {
        return Outcome::Ack; // nothing was open
    }
    let arn = match records.incident(&resolved_id).await {
        Ok(r) => r.map(|(r, _)| r.arn).unwrap_or_default(),
        Err(e) => return Outcome::retry(RETRY_AFTER, e),
    };
    let ev = Event::IncidentResolved(IncidentResolvedV1 {
        incident_arn: arn,
        incident_id: resolved_id,
        resolved_by: c.actor.clone(),
    });
    let meta = Meta {
        account: &c.account,
        idempotency_key: &claim_key,
        now: c.now,
    };
    match publish::event(&ctx.bus, &meta, ev).await {
        Ok(()) => Outcome::Ack,
        Err(e) => Outcome::retry(RETRY_AFTER, e),
    }
}

/// Resolves now; returns the incident id, or "" when nothing was open.
async fn resolve_now(
    c: &Ctx,
    records: &Records,
    plan: &ResponsePlan,
    alarm: &Normalized,
) -> Result<String, Outcome> {
    let dedupe = dedupe_of(plan, alarm);
    let store = records.store();
    for _ in 0..5 {
        let Some(id) = store
            .open_incident_for(&c.account, &dedupe)
            .await
            .map_err(|e| Outcome::retry(RETRY_AFTER, e))?
        else {
            tracing::info!(%dedupe, "Recovery for an alarm with no open incident; nothing to resolve.");
            return Ok(String::new());
        };
        let Some((record, version)) = records
            .incident(&id)
            .await
            .map_err(|e| Outcome::retry(RETRY_AFTER, e))?
        else {
            return Ok(String::new());
        };
        let Some((resolved, ev)) = resolve(c, &record) else {
            return Ok(id);
        };
        let json = serde_json::to_string(&resolved).unwrap_or_default();
        match store
            .resolve_incident(&c.account, &id, &json, &dedupe, Expect::Version(version))
            .await
        {
            Ok(_) => {}
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(Outcome::retry(RETRY_AFTER, e)),
        }
        records
            .append_timeline(&id, &ev)
            .await
            .map_err(|e| Outcome::retry(RETRY_AFTER, e))?;
        tracing::info!(incident_id = %id, "Incident resolved by its alarm's recovery.");
        metrics::counter!(INGEST_ALARMS, "outcome" => "resolved").increment(1);
        return Ok(id);
    }
    Err(Outcome::retry(
        RETRY_AFTER,
        "incident kept changing while resolving",
    ))
}

/// Notes a state change, acknowledgement or (not opted-in) recovery on the open incident.
async fn note(
    c: &Ctx,
    records: &Records,
    plan: &ResponsePlan,
    alarm: &Normalized,
    key: &str,
) -> Outcome {
    let dedupe = dedupe_of(plan, alarm);
    let id = match records.store().open_incident_for(&c.account, &dedupe).await {
        Ok(Some(id)) => id,
        Ok(None) => {
            tracing::info!(%dedupe, action = ?alarm.action, "State change for an alarm with no open incident.");
            return Outcome::Ack;
        }
        Err(e) => return Outcome::retry(RETRY_AFTER, e),
    };
    let state = match &alarm.action {
        Action::StateChange { state, .. } => state.clone(),
        Action::Resolve => "RESOLVED".into(),
        Action::Acknowledge => "ACKNOWLEDGED".into(),
        Action::Trigger => "ALARM".into(),
    };
    let data = json!({ "state": state, "title": alarm.title, "source": alarm.trigger.source, "autoResolve": plan.auto_resolve });
    let ev = event(
        "",
        &["state", &c.account, key],
        c.now,
        timeline_types::ALARM_STATE_CHANGED,
        data,
        &[],
    );
    match records.append_timeline(&id, &ev).await {
        Ok(_) => Outcome::Ack,
        Err(e) => Outcome::retry(RETRY_AFTER, e),
    }
}
