//! `ListIncidentFindings` and `BatchGetIncidentFindings`.
//!
//! Findings in AWS are CodeDeploy deployments and CloudFormation stack updates near the
//! incident's start. Tocsin has no deployment source to read them from, so an incident has no
//! findings: the listing is an empty, well-formed page, and every id asked for comes back in
//! `errors` as not found. The incident itself is checked, so a wrong ARN still answers
//! `ResourceNotFoundException` exactly as for the other incident operations.

use axum::body::Bytes;
use axum::extract::State;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};
use tocsin_core::validate::Checker;

use super::check;
use super::records::find;
use crate::aws::error::AwsError;
use crate::aws::wire;
use crate::aws::{AwsState, Caller};

/// `ListIncidentFindingsInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListInput {
    incident_record_arn: String,
    max_results: Option<i64>,
    #[allow(dead_code)]
    next_token: Option<String>,
}

/// `POST /listIncidentFindings`: no findings (Tocsin has no deployment source).
#[tracing::instrument(name = "ListIncidentFindings", skip_all)]
pub async fn list_incident_findings(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Json<Value>, AwsError> {
    let input: ListInput = wire::body(&body)?;
    let mut c = Checker::default();
    check::arn(&mut c, &input.incident_record_arn, "incidentRecordArn");
    if let Some(n) = input.max_results {
        c.check(
            (1..=20).contains(&n),
            "maxResults",
            format!("must be between 1 and 20, got {n}"),
        );
    }
    c.finish()?;
    find(&s, &caller, "incidentRecordArn", &input.incident_record_arn).await?;
    Ok(Json(json!({ "findings": [] })))
}

/// `BatchGetIncidentFindingsInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchInput {
    finding_ids: Vec<String>,
    incident_record_arn: String,
}

/// `POST /batchGetIncidentFindings`: each id asked for is reported not found.
#[tracing::instrument(name = "BatchGetIncidentFindings", skip_all)]
pub async fn batch_get_incident_findings(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Json<Value>, AwsError> {
    let input: BatchInput = wire::body(&body)?;
    let mut c = Checker::default();
    check::arn(&mut c, &input.incident_record_arn, "incidentRecordArn");
    c.check(
        input.finding_ids.len() <= 20,
        "findingIds",
        format!("at most 20 ids, got {}", input.finding_ids.len()),
    );
    for (i, id) in input.finding_ids.iter().enumerate() {
        c.length(id, format!("findingIds[{i}]"), 0, 128);
    }
    c.finish()?;
    find(&s, &caller, "incidentRecordArn", &input.incident_record_arn).await?;
    let errors: Vec<Value> = input
        .finding_ids
        .iter()
        .map(|id| {
            json!({
                "code": "ResourceNotFoundException",
                "findingId": id,
                "message": format!("finding {id} does not exist: Tocsin has no deployment source for findings"),
            })
        })
        .collect();
    Ok(Json(json!({ "errors": errors, "findings": [] })))
}
