//! `ssm-incidents` operations, on the paths of the service model (restJson1).
//!
//! | operation | route |
//! |---|---|
//! | `StartIncident` | `POST /startIncident` |
//! | `GetIncidentRecord` | `GET /getIncidentRecord?arn=` |
//! | `ListIncidentRecords` | `POST /listIncidentRecords` |
//! | `UpdateIncidentRecord` | `POST /updateIncidentRecord` |
//! | `ListTimelineEvents` | `POST /listTimelineEvents` |
//! | `CreateResponsePlan` | `POST /createResponsePlan` |
//! | `GetResponsePlan` | `GET /getResponsePlan?arn=` |
//! | `ListResponsePlans` | `POST /listResponsePlans` |
//! | `DeleteResponsePlan` | `POST /deleteResponsePlan` |

mod plans;
mod records;
mod shapes;
mod timeline;
mod update;

use axum::Router;
use axum::routing::{get, post};
use tocsin_proto::arn::Arn;

use super::error::AwsError;
use super::{AwsState, Caller};

/// The routes; authentication is layered on by the caller.
pub(super) fn routes() -> Router<AwsState> {
    Router::new()
        .route("/startIncident", post(records::start_incident))
        .route("/getIncidentRecord", get(records::get_incident_record))
        .route("/listIncidentRecords", post(records::list_incident_records))
        .route(
            "/updateIncidentRecord",
            post(update::update_incident_record),
        )
        .route("/listTimelineEvents", post(timeline::list_timeline_events))
        .route("/createResponsePlan", post(plans::create_response_plan))
        .route("/getResponsePlan", get(plans::get_response_plan))
        .route("/listResponsePlans", post(plans::list_response_plans))
        .route("/deleteResponsePlan", post(plans::delete_response_plan))
}

/// The id a caller's ARN of `resource_type` names. An ARN of another account is reported as
/// absent (`Ok(None)`), exactly like a missing record: tenants never learn of each other.
fn own_id(
    caller: &Caller,
    field: &str,
    arn: &str,
    resource_type: &str,
) -> Result<Option<String>, AwsError> {
    let parsed = Arn::parse(arn).map_err(|e| AwsError::validation(format!("{field}: {e}")))?;
    if parsed.service != "ssm-incidents" || parsed.resource_type() != resource_type {
        return Err(AwsError::validation(format!(
            "{field}: must be an ssm-incidents {resource_type} ARN"
        )));
    }
    Ok((parsed.account == caller.account).then(|| parsed.last_segment().to_string()))
}
