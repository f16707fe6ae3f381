//! Tocsin records as the model's output shapes: exactly the members of each shape, camelCase,
//! timestamps in epoch seconds. Tocsin-only fields (plan, engagements, tags, Tocsin
//! extensions) stay out.

use serde_json::{Map, Value, json};
use tocsin_proto::records::{IncidentRecord, IncidentStatus, ResponsePlan, TimelineEvent};

use crate::aws::wire::epoch;

/// `IncidentRecordStatus` on the wire.
pub fn status(s: IncidentStatus) -> &'static str {
    match s {
        IncidentStatus::Open => "OPEN",
        IncidentStatus::Resolved => "RESOLVED",
    }
}

/// Inserts `value` under `key` unless it is JSON null.
fn put(m: &mut Map<String, Value>, key: &str, value: Value) {
    if !value.is_null() {
        m.insert(key.into(), value);
    }
}

/// `IncidentRecord`.
pub fn incident_record(r: &IncidentRecord) -> Value {
    let mut m = Map::new();
    put(&mut m, "arn", json!(r.arn));
    put(&mut m, "chatChannel", json!(r.chat_channel));
    put(&mut m, "creationTime", epoch(r.creation_time));
    put(&mut m, "dedupeString", json!(r.dedupe_string));
    put(&mut m, "impact", json!(r.impact));
    put(
        &mut m,
        "incidentRecordSource",
        json!(r.incident_record_source),
    );
    put(&mut m, "lastModifiedBy", json!(r.last_modified_by));
    put(&mut m, "lastModifiedTime", epoch(r.last_modified_time));
    put(&mut m, "notificationTargets", json!(r.notification_targets));
    put(&mut m, "resolvedTime", json!(r.resolved_time.map(epoch)));
    put(&mut m, "status", json!(status(r.status)));
    put(&mut m, "summary", json!(r.summary));
    put(&mut m, "title", json!(r.title));
    Value::Object(m)
}

/// `IncidentRecordSummary`.
pub fn incident_summary(r: &IncidentRecord) -> Value {
    let mut m = Map::new();
    put(&mut m, "arn", json!(r.arn));
    put(&mut m, "creationTime", epoch(r.creation_time));
    put(&mut m, "impact", json!(r.impact));
    put(
        &mut m,
        "incidentRecordSource",
        json!(r.incident_record_source),
    );
    put(&mut m, "resolvedTime", json!(r.resolved_time.map(epoch)));
    put(&mut m, "status", json!(status(r.status)));
    put(&mut m, "title", json!(r.title));
    Value::Object(m)
}

/// `EventSummary` (the listing carries no `eventData`).
pub fn event_summary(e: &TimelineEvent) -> Value {
    let mut m = Map::new();
    put(&mut m, "eventId", json!(e.event_id));
    if !e.event_references.is_empty() {
        put(&mut m, "eventReferences", json!(e.event_references));
    }
    put(&mut m, "eventTime", epoch(e.event_time));
    put(&mut m, "eventType", json!(e.event_type));
    put(&mut m, "eventUpdatedTime", epoch(e.event_updated_time));
    put(&mut m, "incidentRecordArn", json!(e.incident_record_arn));
    Value::Object(m)
}

/// `GetResponsePlanOutput`.
pub fn response_plan(p: &ResponsePlan) -> Value {
    let t = &p.incident_template;
    let mut template = Map::new();
    put(&mut template, "dedupeString", json!(t.dedupe_string));
    put(&mut template, "impact", json!(t.impact));
    if !t.incident_tags.is_empty() {
        put(&mut template, "incidentTags", json!(t.incident_tags));
    }
    if !t.notification_targets.is_empty() {
        put(
            &mut template,
            "notificationTargets",
            json!(t.notification_targets),
        );
    }
    put(&mut template, "summary", json!(t.summary));
    put(&mut template, "title", json!(t.title));
    let mut m = Map::new();
    put(&mut m, "actions", json!(p.actions));
    put(&mut m, "arn", json!(p.arn));
    put(&mut m, "chatChannel", json!(p.chat_channel));
    put(&mut m, "displayName", json!(p.display_name));
    put(&mut m, "engagements", json!(p.engagements));
    put(&mut m, "incidentTemplate", Value::Object(template));
    put(&mut m, "integrations", json!(p.integrations));
    put(&mut m, "name", json!(p.name));
    Value::Object(m)
}

/// `ResponsePlanSummary`.
pub fn plan_summary(p: &ResponsePlan) -> Value {
    let mut m = Map::new();
    put(&mut m, "arn", json!(p.arn));
    put(&mut m, "displayName", json!(p.display_name));
    put(&mut m, "name", json!(p.name));
    Value::Object(m)
}

/// `TimelineEvent` (with its `eventData`).
pub fn timeline_event(e: &TimelineEvent) -> Value {
    let mut m = match event_summary(e) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    m.insert("eventData".into(), json!(e.event_data));
    if e.event_references.is_empty() {
        m.remove("eventReferences");
    }
    Value::Object(m)
}
