//! `ListTimelineEvents`: the incident's timeline as `EventSummary` items, filtered and paged.
//! An incident that is not there lists no events (the model has no not-found answer for it).

use axum::body::Bytes;
use axum::extract::State;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};
use tocsin_proto::records::TimelineEvent;

use super::records::find;
use super::{shapes, token};
use crate::aws::error::AwsError;
use crate::aws::wire::{self, Kind, Test};
use crate::aws::{AwsState, Caller};

/// `ListTimelineEventsInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListInput {
    incident_record_arn: String,
    #[serde(default)]
    filters: Vec<wire::Filter>,
    max_results: Option<i64>,
    next_token: Option<String>,
    sort_by: Option<String>,
    sort_order: Option<String>,
}

/// `POST /listTimelineEvents`: oldest first unless `sortOrder` is `DESCENDING`.
#[tracing::instrument(name = "ListTimelineEvents", skip_all)]
pub async fn list_timeline_events(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Json<Value>, AwsError> {
    let input: ListInput = wire::body(&body)?;
    let max = wire::max_results(input.max_results)?;
    if let Some(by) = input.sort_by.as_deref().filter(|b| *b != "EVENT_TIME") {
        return Err(AwsError::validation(format!(
            "sortBy: must be EVENT_TIME, got {by:?}"
        )));
    }
    let descending = match input.sort_order.as_deref() {
        None | Some("ASCENDING") => false,
        Some("DESCENDING") => true,
        Some(other) => {
            return Err(AwsError::validation(format!(
                "sortOrder: must be ASCENDING or DESCENDING, got {other:?}"
            )));
        }
    };
    let tests = wire::tests(
        input.filters,
        &[
            ("eventTime", Kind::Time),
            ("eventType", Kind::String),
            ("eventReference", Kind::String),
        ],
    )?;
    // The model has no not-found answer here: an incident that is not there (or is another
    // account's) has no events.
    let record = match find(&s, &caller, "incidentRecordArn", &input.incident_record_arn).await {
        Ok((r, _)) => r,
        Err(e) if e.status == axum::http::StatusCode::NOT_FOUND => {
            return Ok(Json(json!({ "eventSummaries": [] })));
        }
        Err(e) => return Err(e),
    };
    let id = record.arn.rsplit('/').next().unwrap_or_default();
    let events = caller.records(&s.ctx).timeline(id).await?;
    let mut keyed: Vec<(String, TimelineEvent)> = events
        .into_iter()
        .filter(|e| tests.iter().all(|(k, t)| passes(e, k, t)))
        .map(|e| {
            let ms = e.event_time.timestamp_millis();
            let ord = if descending { i64::MAX - ms } else { ms };
            (format!("{ord:020}/{}", e.event_id), e)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let (page, next) = token::page(
        &s,
        &caller,
        "ListTimelineEvents",
        keyed,
        |(k, _)| k.clone(),
        input.next_token.as_deref(),
        max,
    )
    .await?;
    let summaries: Vec<Value> = page.iter().map(|(_, e)| shapes::event_summary(e)).collect();
    let mut out = json!({ "eventSummaries": summaries });
    if let Some(n) = next {
        out["nextToken"] = json!(n);
    }
    Ok(Json(out))
}

fn passes(e: &TimelineEvent, key: &str, t: &Test) -> bool {
    match key {
        "eventTime" => t.time(e.event_time),
        "eventType" => t.string(&e.event_type),
        "eventReference" => e.event_references.iter().any(|r| {
            r.resource.as_deref().is_some_and(|v| t.string(v))
                || r.related_item_id.as_deref().is_some_and(|v| t.string(v))
        }),
        _ => false,
    }
}
