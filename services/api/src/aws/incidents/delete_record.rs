//! `DeleteIncidentRecord`: the record, its timeline and its hold on the dedupe string go in
//! one atomic step. Deleting an OPEN incident also publishes `incident.resolved`, so its
//! engagements stop paging people about an incident that no longer exists.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use tocsin_core::validate::Checker;
use tocsin_proto::records::IncidentStatus;

use super::check;
use super::records::find;
use super::update::publish_resolved;
use crate::aws::error::AwsError;
use crate::aws::wire;
use crate::aws::{AwsState, Caller};

/// `DeleteIncidentRecordInput`.
#[derive(Debug, Deserialize)]
struct DeleteInput {
    arn: String,
}

/// `POST /deleteIncidentRecord` (204, also when it was already gone: the model has no
/// not-found answer for it).
#[tracing::instrument(name = "DeleteIncidentRecord", skip_all)]
pub async fn delete_incident_record(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<StatusCode, AwsError> {
    let input: DeleteInput = wire::body(&body)?;
    let mut c = Checker::default();
    check::arn(&mut c, &input.arn, "arn");
    c.finish()?;
    let record = match find(&s, &caller, "arn", &input.arn).await {
        Ok((r, _)) => r,
        Err(e) if e.status == StatusCode::NOT_FOUND => return Ok(StatusCode::NO_CONTENT),
        Err(e) => return Err(e),
    };
    let id = record.arn.rsplit('/').next().unwrap_or_default();
    let deleted = s
        .ctx
        .store
        .delete_incident(&caller.account, id, &record.dedupe_string)
        .await?;
    if deleted && record.status == IncidentStatus::Open {
        publish_resolved(&s, &caller.ctx(&s.ctx), &record.arn, id).await?;
    }
    tracing::info!(incident_id = %id, deleted, "Incident record deleted.");
    Ok(StatusCode::NO_CONTENT)
}
