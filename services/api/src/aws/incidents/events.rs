//! `CreateTimelineEvent`, `GetTimelineEvent`, `UpdateTimelineEvent`, `DeleteTimelineEvent`:
//! the custom events and notes responders add to an incident's timeline.
//!
//! Only `Custom Event` and `Note` events are created, edited or deleted through the API, as in
//! AWS; the events Tocsin writes itself (paging, resolution, ...) are the record of what
//! happened and stay as written. A `clientToken` makes the event id (a v5 UUID of the
//! incident and the token), so a retried create finds its event instead of adding another.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};
use tocsin_core::ids::derive;
use tocsin_core::validate::Checker;
use tocsin_proto::records::{EventReference, IncidentRecord, TimelineEvent};
use tocsin_runtime::records::timeline_entry;

use super::records::find;
use super::{check, shapes};
use crate::aws::error::AwsError;
use crate::aws::wire;
use crate::aws::{AwsState, Caller};

/// Event types callers may create and edit.
const EDITABLE_TYPES: &[&str] = &["Custom Event", "Note"];

/// `CreateTimelineEventInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateInput {
    client_token: Option<String>,
    event_data: String,
    #[serde(default)]
    event_references: Vec<EventReference>,
    event_time: f64,
    event_type: String,
    incident_record_arn: String,
}

fn check_content(
    c: &mut Checker,
    data: Option<&str>,
    kind: Option<&str>,
    refs: Option<&[EventReference]>,
) {
    if let Some(d) = data {
        c.length(d, "eventData", 0, 12_000);
    }
    if let Some(t) = kind {
        c.check(
            EDITABLE_TYPES.contains(&t),
            "eventType",
            format!("must be \"Custom Event\" or \"Note\", got {t:?}"),
        );
    }
    if let Some(r) = refs {
        check::event_references(c, r);
    }
}

/// The incident's id (the last segment of its ARN).
fn incident_id(r: &IncidentRecord) -> &str {
    r.arn.rsplit('/').next().unwrap_or_default()
}

/// `POST /createTimelineEvent` (201).
#[tracing::instrument(name = "CreateTimelineEvent", skip_all)]
pub async fn create_timeline_event(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), AwsError> {
    let input: CreateInput = wire::body(&body)?;
    let mut c = Checker::default();
    check::arn(&mut c, &input.incident_record_arn, "incidentRecordArn");
    check::client_token(&mut c, input.client_token.as_deref());
    check_content(
        &mut c,
        Some(&input.event_data),
        Some(&input.event_type),
        Some(&input.event_references),
    );
    c.finish()?;
    let event_time = wire::from_epoch(input.event_time, "eventTime")?;
    let (record, _) = find(&s, &caller, "incidentRecordArn", &input.incident_record_arn).await?;
    let id = incident_id(&record);
    let event_id = match input.client_token.as_deref().filter(|t| !t.is_empty()) {
        Some(token) => derive(&["timeline-event", &record.arn, token]),
        None => uuid::Uuid::new_v4().to_string(),
    };
    let event = TimelineEvent {
        incident_record_arn: record.arn.clone(),
        event_id: event_id.clone(),
        event_time,
        event_updated_time: caller.ctx(&s.ctx).now,
        event_type: input.event_type,
        event_data: input.event_data,
        event_references: input.event_references,
    };
    let added = caller.records(&s.ctx).append_timeline(id, &event).await?;
    tracing::info!(incident_id = %id, %event_id, added, "Timeline event created.");
    Ok((
        StatusCode::CREATED,
        Json(json!({ "eventId": event_id, "incidentRecordArn": record.arn })),
    ))
}

/// The event `event_id` of the caller's incident, with the incident.
async fn find_event(
    s: &AwsState,
    caller: &Caller,
    incident_arn: &str,
    event_id: &str,
) -> Result<(IncidentRecord, TimelineEvent), AwsError> {
    let (record, _) = find(s, caller, "incidentRecordArn", incident_arn).await?;
    let events = caller
        .records(&s.ctx)
        .timeline(incident_id(&record))
        .await?;
    match events.into_iter().find(|e| e.event_id == event_id) {
        Some(e) => Ok((record, e)),
        None => Err(AwsError::not_found("timeline event", event_id)),
    }
}

/// `GET /getTimelineEvent?eventId=&incidentRecordArn=`.
#[tracing::instrument(name = "GetTimelineEvent", skip_all)]
pub async fn get_timeline_event(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, AwsError> {
    let required = |name: &str| {
        q.get(name)
            .ok_or_else(|| AwsError::validation(format!("{name}: is required")))
    };
    let (arn, event_id) = (required("incidentRecordArn")?, required("eventId")?);
    let mut c = Checker::default();
    check::arn(&mut c, arn, "incidentRecordArn");
    c.length(event_id, "eventId", 0, 50);
    c.finish()?;
    let (_, event) = find_event(&s, &caller, arn, event_id).await?;
    Ok(Json(json!({ "event": shapes::timeline_event(&event) })))
}

/// `UpdateTimelineEventInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateInput {
    client_token: Option<String>,
    event_data: Option<String>,
    event_id: String,
    event_references: Option<Vec<EventReference>>,
    event_time: Option<f64>,
    event_type: Option<String>,
    incident_record_arn: String,
}

/// `POST /updateTimelineEvent` (204): the given members replace the event's; the rest stay.
#[tracing::instrument(name = "UpdateTimelineEvent", skip_all)]
pub async fn update_timeline_event(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<StatusCode, AwsError> {
    let input: UpdateInput = wire::body(&body)?;
    let mut c = Checker::default();
    check::arn(&mut c, &input.incident_record_arn, "incidentRecordArn");
    c.length(&input.event_id, "eventId", 0, 50);
    check::client_token(&mut c, input.client_token.as_deref());
    check_content(
        &mut c,
        input.event_data.as_deref(),
        input.event_type.as_deref(),
        input.event_references.as_deref(),
    );
    c.finish()?;
    let time = input
        .event_time
        .map(|t| wire::from_epoch(t, "eventTime"))
        .transpose()?;
    let (record, mut event) =
        find_event(&s, &caller, &input.incident_record_arn, &input.event_id).await?;
    editable(&event)?;
    if let Some(d) = input.event_data {
        event.event_data = d;
    }
    if let Some(t) = input.event_type {
        event.event_type = t;
    }
    if let Some(r) = input.event_references {
        event.event_references = r;
    }
    if let Some(t) = time {
        event.event_time = t;
    }
    event.event_updated_time = caller.ctx(&s.ctx).now;
    let replaced = s
        .ctx
        .store
        .replace_timeline_entry(
            &caller.account,
            incident_id(&record),
            &timeline_entry(&event),
        )
        .await?;
    if !replaced {
        // Deleted between the read and the write.
        return Err(AwsError::not_found("timeline event", &input.event_id));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Refuses edits of the events Tocsin wrote.
fn editable(event: &TimelineEvent) -> Result<(), AwsError> {
    if EDITABLE_TYPES.contains(&event.event_type.as_str()) {
        Ok(())
    } else {
        Err(AwsError::validation(format!(
            "eventId: {:?} events are written by Tocsin and cannot be changed; only \"Custom Event\" and \"Note\" events can",
            event.event_type
        )))
    }
}

/// `DeleteTimelineEventInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteInput {
    event_id: String,
    incident_record_arn: String,
}

/// `POST /deleteTimelineEvent` (204, also when the event or incident is already gone: the
/// model has no not-found answer for it).
#[tracing::instrument(name = "DeleteTimelineEvent", skip_all)]
pub async fn delete_timeline_event(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<StatusCode, AwsError> {
    let input: DeleteInput = wire::body(&body)?;
    let mut c = Checker::default();
    check::arn(&mut c, &input.incident_record_arn, "incidentRecordArn");
    c.length(&input.event_id, "eventId", 0, 50);
    c.finish()?;
    match find_event(&s, &caller, &input.incident_record_arn, &input.event_id).await {
        Ok((record, event)) => {
            editable(&event)?;
            s.ctx
                .store
                .remove_timeline_entry(&caller.account, incident_id(&record), &event.event_id)
                .await?;
            Ok(StatusCode::NO_CONTENT)
        }
        Err(e) if e.status == StatusCode::NOT_FOUND => Ok(StatusCode::NO_CONTENT),
        Err(e) => Err(e),
    }
}
