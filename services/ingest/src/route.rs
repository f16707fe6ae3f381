//! Which response plan takes an alarm: the plan it names (native), the plan of the integration
//! key it came through, or the first routing rule whose event pattern matches. Nothing matched:
//! the alarm is recorded as unrouted (and counted), never dropped silently.

use tocsin_core::formats::{Normalized, PlanRef};
use tocsin_core::ids::sha256_hex;
use tocsin_core::pattern::Pattern;
use tocsin_proto::records::{IngestRule, IntegrationKey, ResponsePlan, UnroutedEvent, kinds};
use tocsin_runtime::Records;
use tocsin_runtime::records::RecordsError;
use tocsin_store::Expect;

/// Header the HTTP endpoints put on alarms they publish: the id (hash) of the integration key.
pub const HEADER_INTEGRATION: &str = "x-tocsin-integration";

/// Where an alarm goes.
#[derive(Debug)]
pub enum Route {
    /// To this plan.
    Plan(Box<ResponsePlan>),
    /// Nowhere: recorded as unrouted with this reason.
    Unrouted(String),
}

/// Finds the plan of `alarm`. `integration` is the key hash from [`HEADER_INTEGRATION`].
pub async fn route(
    records: &Records,
    alarm: &Normalized,
    integration: Option<&str>,
) -> Result<Route, RecordsError> {
    if let PlanRef::Arn(arn) = &alarm.plan {
        return Ok(match records.response_plan(arn).await? {
            Some(p) => Route::Plan(Box::new(p)),
            None => Route::Unrouted(format!(
                "responsePlanArn: response plan {arn} does not exist"
            )),
        });
    }
    if let Some(hash) = integration {
        let key = records
            .get::<IntegrationKey>(kinds::INTEGRATION_KEY, hash)
            .await?
            .map(|(k, _)| k);
        if let Some(arn) = key.and_then(|k| k.response_plan_arn) {
            return Ok(match records.response_plan(&arn).await? {
                Some(p) => Route::Plan(Box::new(p)),
                None => Route::Unrouted(format!(
                    "the integration key's response plan {arn} does not exist"
                )),
            });
        }
    }
    let mut rules: Vec<IngestRule> = records.list(kinds::INGEST_RULE).await?;
    rules.sort_by(|a, b| (a.order, &a.name).cmp(&(b.order, &b.name)));
    for rule in rules {
        if !rule.formats.is_empty() && !rule.formats.iter().any(|f| f == alarm.format.as_str()) {
            continue;
        }
        let pattern = match Pattern::parse(&rule.event_pattern) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(rule = %rule.name, error = %e, "Skipping a routing rule with an invalid pattern.");
                continue;
            }
        };
        if pattern.matches(&alarm.event) {
            return Ok(
                match records.response_plan(&rule.response_plan_arn).await? {
                    Some(p) => Route::Plan(Box::new(p)),
                    None => Route::Unrouted(format!(
                        "rule {} targets plan {}, which does not exist",
                        rule.name, rule.response_plan_arn
                    )),
                },
            );
        }
    }
    Ok(Route::Unrouted(
        "no integration key plan and no routing rule matched".into(),
    ))
}

/// Records an alarm nothing routed (idempotent by the alarm's key).
pub async fn record_unrouted(
    records: &Records,
    alarm: &Normalized,
    key: &str,
    reason: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), RecordsError> {
    let id = sha256_hex(key.as_bytes())[..32].to_string();
    let mut event = alarm.event.to_string();
    if event.len() > 10_000 {
        let mut cut = 10_000;
        while !event.is_char_boundary(cut) {
            cut -= 1;
        }
        event.truncate(cut);
    }
    let record = UnroutedEvent {
        id: id.clone(),
        format: alarm.format.as_str().into(),
        title: alarm.title.clone(),
        reason: reason.into(),
        received_at: now,
        event,
    };
    match records
        .put(kinds::UNROUTED_EVENT, &id, &record, Expect::Any)
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => Err(e),
    }
}
