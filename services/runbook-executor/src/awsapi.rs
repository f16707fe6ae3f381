//! `aws:executeAwsApi` for the `ssm-incidents` reads runbooks use on their own incident
//! (`ListTimelineEvents`, `GetTimelineEvent`, `GetIncidentRecord`), answered from the store in
//! the shapes of the AWS API, so documents written for Incident Manager (the tutorial's
//! runbook) run unchanged.

use serde_json::{Value, json};
use tocsin_runtime::Records;

use crate::core::StepOutcome;

fn incident_id(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

fn summary(e: &tocsin_proto::records::TimelineEvent) -> Value {
    json!({
        "incidentRecordArn": e.incident_record_arn,
        "eventId": e.event_id,
        "eventTime": e.event_time,
        "eventUpdatedTime": e.event_updated_time,
        "eventType": e.event_type,
        "eventReferences": e.event_references,
    })
}

/// The values an `equals` filter condition accepts (`stringValues`, or the tutorial's
/// `stringValue`).
fn filter_values(condition: &Value) -> Vec<String> {
    let eq = condition.get("equals").unwrap_or(&Value::Null);
    eq.get("stringValues")
        .or_else(|| eq.get("stringValue"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// Calls one operation.
pub async fn call(records: &Records, service: &str, api: &str, request: &Value) -> StepOutcome {
    if service != "ssm-incidents" {
        return StepOutcome::Failed(format!("service {service} is not served"));
    }
    let arn = request
        .get("incidentRecordArn")
        .or_else(|| request.get("arn"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let id = incident_id(arn);
    let found = match records.incident(id).await {
        Ok(Some((r, _))) if r.arn == arn => r,
        Ok(_) => {
            return StepOutcome::Failed(format!(
                "ResourceNotFoundException: incident record {arn:?} does not exist"
            ));
        }
        Err(e) => return StepOutcome::Failed(format!("the store failed: {e}")),
    };
    match api {
        "GetIncidentRecord" => StepOutcome::Ok(json!({ "incidentRecord": found })),
        "ListTimelineEvents" | "GetTimelineEvent" => {
            let events = match records.timeline(id).await {
                Ok(e) => e,
                Err(e) => return StepOutcome::Failed(format!("the store failed: {e}")),
            };
            if api == "GetTimelineEvent" {
                let want = request
                    .get("eventId")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                return match events.iter().find(|e| e.event_id == want) {
                    Some(e) => StepOutcome::Ok(json!({ "event": e })),
                    None => StepOutcome::Failed(format!(
                        "ResourceNotFoundException: timeline event {want:?} does not exist"
                    )),
                };
            }
            let filters = request
                .get("filters")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut selected: Vec<_> = events
                .iter()
                .filter(|e| {
                    filters.iter().all(|f| {
                        let values = filter_values(f.get("condition").unwrap_or(&Value::Null));
                        match f.get("key").and_then(Value::as_str) {
                            Some("eventType") => values.contains(&e.event_type),
                            _ => true,
                        }
                    })
                })
                .collect();
            if request.get("sortOrder").and_then(Value::as_str) == Some("DESCENDING") {
                selected.reverse();
            }
            let summaries: Vec<Value> = selected.into_iter().map(summary).collect();
            StepOutcome::Ok(json!({ "eventSummaries": summaries }))
        }
        other => StepOutcome::Failed(format!("operation {other} is not served")),
    }
}
