//! `StartIncident`, `GetIncidentRecord`, `ListIncidentRecords` (from the store's incident
//! indexes: see `tocsin_store::IncidentQuery`).
//!
//! `StartIncident` takes the path of an alarm through ingest: the incident is built by
//! `tocsin_core::incident::open_incident`, written by the store's atomic create-or-merge under
//! the `clientToken`, and `incident.opened` (or `incident.merged`) is published, so engagement
//! pages exactly as for an alarm. A retried call with the same token replays the first outcome.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};
use tocsin_core::alarm::{idempotency_key, validate_native};
use tocsin_proto::alarm::NativeAlarm;
use tocsin_proto::records::{IncidentRecord, RelatedItem, TriggerDetails};
use tocsin_store::{IncidentCursor, IncidentQuery};

use super::{own_id, shapes, token};
use crate::aws::error::AwsError;
use crate::aws::wire::{self, Kind, Test};
use crate::aws::{AwsState, Caller};

/// `StartIncidentInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartIncidentInput {
    client_token: Option<String>,
    impact: Option<i64>,
    #[serde(default)]
    related_items: Vec<RelatedItem>,
    response_plan_arn: String,
    title: Option<String>,
    trigger_details: Option<TriggerDetailsInput>,
}

/// `TriggerDetails` with its epoch-seconds timestamp.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TriggerDetailsInput {
    source: String,
    timestamp: f64,
    trigger_arn: Option<String>,
    raw_data: Option<String>,
}

/// `POST /startIncident`.
#[tracing::instrument(name = "StartIncident", skip_all)]
pub async fn start_incident(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Json<Value>, AwsError> {
    let input: StartIncidentInput = wire::body(&body)?;
    let impact = match input.impact {
        Some(i) if !(1..=5).contains(&i) => {
            return Err(AwsError::validation(format!(
                "impact: must be between 1 and 5, got {i}"
            )));
        }
        other => other.map(|i| i as u8),
    };
    let trigger_details = match input.trigger_details {
        Some(t) => Some(TriggerDetails {
            source: t.source,
            timestamp: wire::from_epoch(t.timestamp, "triggerDetails.timestamp")?,
            trigger_arn: t.trigger_arn,
            raw_data: t.raw_data,
        }),
        None => None,
    };
    let alarm = NativeAlarm {
        response_plan_arn: input.response_plan_arn,
        title: input.title,
        impact,
        related_items: input.related_items,
        trigger_details,
        client_token: input.client_token.filter(|t| !t.is_empty()),
        dedupe_string: None,
    };
    validate_native(&alarm, &caller.account)?;
    let records = caller.records(&s.ctx);
    let plan = records
        .response_plan(&alarm.response_plan_arn)
        .await?
        .ok_or_else(|| AwsError::not_found("response plan", &alarm.response_plan_arn))?;
    // SDKs always fill `clientToken`; a bare call without one is a new incident every time.
    let key = match &alarm.client_token {
        Some(t) => idempotency_key(Some(t), None, &[]),
        None => format!("api:{}", uuid::Uuid::new_v4()),
    };
    let c = caller.ctx(&s.ctx);
    let arn = match tocsin_ingest::open_or_merge(&s.ctx, &c, &records, &plan, &alarm, &key).await {
        Ok(arn) => arn,
        // Created long ago under this token, outside its idempotency window: same answer.
        Err(tocsin_ingest::OpenError::Replayed { incident_arn }) => incident_arn,
        Err(tocsin_ingest::OpenError::Records(e)) => return Err(e.into()),
        Err(e) => return Err(AwsError::internal(&e)),
    };
    Ok(Json(json!({ "incidentRecordArn": arn })))
}

/// `GET /getIncidentRecord?arn=`.
#[tracing::instrument(name = "GetIncidentRecord", skip_all)]
pub async fn get_incident_record(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, AwsError> {
    let arn = q
        .get("arn")
        .ok_or_else(|| AwsError::validation("arn: is required"))?;
    let record = find(&s, &caller, "arn", arn).await?.0;
    Ok(Json(
        json!({ "incidentRecord": shapes::incident_record(&record) }),
    ))
}

/// The caller's incident an ARN names, with its version, or `ResourceNotFoundException`.
pub(super) async fn find(
    s: &AwsState,
    caller: &Caller,
    field: &str,
    arn: &str,
) -> Result<(IncidentRecord, u64), AwsError> {
    let missing = || AwsError::not_found("incident record", arn);
    let id = own_id(caller, field, arn, "incident-record")?.ok_or_else(missing)?;
    match caller.records(&s.ctx).incident(&id).await? {
        Some((r, v)) if r.arn == arn => Ok((r, v)),
        _ => Err(missing()),
    }
}

/// `ListIncidentRecordsInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListInput {
    #[serde(default)]
    filters: Vec<wire::Filter>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

/// `POST /listIncidentRecords`: newest first, served from the store's incident indexes (by
/// creation time, status, impact and creator), never by reading every incident.
#[tracing::instrument(name = "ListIncidentRecords", skip_all)]
pub async fn list_incident_records(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Json<Value>, AwsError> {
    let input: ListInput = wire::body(&body)?;
    let max = wire::max_results(input.max_results)?;
    let tests = wire::tests(
        input.filters,
        &[
            ("creationTime", Kind::Time),
            ("impact", Kind::Integer),
            ("status", Kind::String),
            ("createdBy", Kind::String),
        ],
    )?;
    const OP: &str = "ListIncidentRecords";
    // The token is checked (sealed by this API, for this listing and account) before its
    // position is used.
    let next_token = input.next_token.as_deref().filter(|t| !t.is_empty());
    token::page(
        &s,
        &caller,
        OP,
        Vec::<String>::new(),
        Clone::clone,
        next_token,
        max,
    )
    .await?;
    let mut query = index_query(&tests);
    query.after = next_token.and_then(cursor_of);
    query.limit = max + 1;
    let store = caller.records(&s.ctx).store().clone();
    // The indexes hold whole milliseconds: a bound inside a millisecond is checked exactly on
    // the record, and the listing reads on until it has a full page or runs out.
    let mut found: Vec<(String, IncidentRecord)> = Vec::new();
    loop {
        let batch = store.list_incidents(&caller.account, &query).await?;
        let full = batch.len() == query.limit;
        if let Some(last) = batch.last() {
            query.after = Some(IncidentCursor {
                created_ms: last.created_ms,
                id: last.id.clone(),
            });
        }
        for item in batch {
            let r: IncidentRecord = serde_json::from_str(&item.record.data).map_err(|e| {
                AwsError::internal(&format!("stored incident {} is not valid: {e}", item.id))
            })?;
            if tests.iter().all(|(k, t)| passes(&r, k, t)) {
                found.push((format!("{}/{}", item.created_ms, item.id), r));
            }
        }
        if !full || found.len() > max {
            break;
        }
    }
    let (page, next) = token::page(&s, &caller, OP, found, |(k, _)| k.clone(), None, max).await?;
    let summaries: Vec<Value> = page
        .iter()
        .map(|(_, r)| shapes::incident_summary(r))
        .collect();
    let mut out = json!({ "incidentRecordSummaries": summaries });
    if let Some(n) = next {
        out["nextToken"] = json!(n);
    }
    Ok(Json(out))
}

/// The store query of the filters (several filters on one key all apply).
fn index_query(tests: &[(String, Test)]) -> IncidentQuery {
    fn narrow<T: Clone + PartialEq>(into: &mut Option<Vec<T>>, values: &[T]) {
        *into = Some(match into.take() {
            None => values.to_vec(),
            Some(had) => had.into_iter().filter(|v| values.contains(v)).collect(),
        });
    }
    let mut q = IncidentQuery::default();
    for (key, test) in tests {
        match (key.as_str(), test) {
            ("creationTime", Test::Time { after, before }) => {
                if let Some(a) = after {
                    let ms = a.timestamp_millis();
                    q.created_from_ms = Some(q.created_from_ms.map_or(ms, |m| m.max(ms)));
                }
                if let Some(b) = before {
                    let ms = b.timestamp_millis();
                    q.created_to_ms = Some(q.created_to_ms.map_or(ms, |m| m.min(ms)));
                }
            }
            ("impact", Test::Integers(v)) => narrow(&mut q.impacts, v),
            ("status", Test::Strings(v)) => narrow(&mut q.statuses, v),
            ("createdBy", Test::Strings(v)) => narrow(&mut q.created_by, v),
            _ => {}
        }
    }
    q
}

/// The position a (verified) token names: `<creation ms>/<id>` of the last incident listed.
fn cursor_of(token: &str) -> Option<IncidentCursor> {
    let (position, _) = token.rsplit_once('.')?;
    let text = String::from_utf8(hex::decode(position).ok()?).ok()?;
    let (ms, id) = text.split_once('/')?;
    Some(IncidentCursor {
        created_ms: ms.parse().ok()?,
        id: id.to_owned(),
    })
}

fn passes(r: &IncidentRecord, key: &str, t: &Test) -> bool {
    match key {
        "creationTime" => t.time(r.creation_time),
        "impact" => t.integer(i64::from(r.impact)),
        "status" => t.string(shapes::status(r.status)),
        "createdBy" => t.string(&r.incident_record_source.created_by),
        _ => false,
    }
}
