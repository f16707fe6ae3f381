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
//! | `UpdateResponsePlan` | `POST /updateResponsePlan` |
//! | `DeleteIncidentRecord` | `POST /deleteIncidentRecord` |
//! | `Create/Update/DeleteTimelineEvent` | `POST /createTimelineEvent` ... |
//! | `GetTimelineEvent` | `GET /getTimelineEvent?eventId=&incidentRecordArn=` |
//! | `ListRelatedItems`, `UpdateRelatedItems` | `POST /listRelatedItems`, `POST /updateRelatedItems` |
//! | `Create/List/UpdateReplicationSet`, `UpdateDeletionProtection` | `POST /createReplicationSet` ... |
//! | `GetReplicationSet` | `GET /getReplicationSet?arn=` |
//! | `DeleteReplicationSet` | `POST /deleteReplicationSet?arn=` |
//! | `Put/DeleteResourcePolicy` | `POST /putResourcePolicy`, `POST /deleteResourcePolicy` |
//! | `GetResourcePolicies` | `POST /getResourcePolicies?resourceArn=` |
//! | `TagResource`, `ListTagsForResource`, `UntagResource` | `POST`, `GET`, `DELETE /tags/{resourceArn}` |
//! | `ListIncidentFindings`, `BatchGetIncidentFindings` | `POST /listIncidentFindings` ... |
//!
//! Listings page with sealed tokens ([`token`]); `clientToken`s make retries safe ([`once`],
//! or an id derived from the token); inputs are checked against the model ([`check`]).

mod check;
mod delete_record;
mod events;
mod findings;
mod once;
mod plan_update;
mod plans;
mod policies;
mod records;
mod related;
mod replication;
mod replication_set;
mod shapes;
mod tags;
mod timeline;
mod token;
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
        .route(
            "/updateResponsePlan",
            post(plan_update::update_response_plan),
        )
        .route(
            "/deleteIncidentRecord",
            post(delete_record::delete_incident_record),
        )
        .route("/createTimelineEvent", post(events::create_timeline_event))
        .route("/getTimelineEvent", get(events::get_timeline_event))
        .route("/updateTimelineEvent", post(events::update_timeline_event))
        .route("/deleteTimelineEvent", post(events::delete_timeline_event))
        .route("/listRelatedItems", post(related::list_related_items))
        .route("/updateRelatedItems", post(related::update_related_items))
        .route(
            "/createReplicationSet",
            post(replication::create_replication_set),
        )
        .route("/getReplicationSet", get(replication::get_replication_set))
        .route(
            "/listReplicationSets",
            post(replication::list_replication_sets),
        )
        .route(
            "/updateReplicationSet",
            post(replication::update_replication_set),
        )
        .route(
            "/updateDeletionProtection",
            post(replication::update_deletion_protection),
        )
        .route(
            "/deleteReplicationSet",
            post(replication::delete_replication_set),
        )
        .route("/putResourcePolicy", post(policies::put_resource_policy))
        .route(
            "/getResourcePolicies",
            post(policies::get_resource_policies),
        )
        .route(
            "/deleteResourcePolicy",
            post(policies::delete_resource_policy),
        )
        .route(
            "/tags/{*resource_arn}",
            get(tags::list_tags_for_resource)
                .post(tags::tag_resource)
                .delete(tags::untag_resource),
        )
        .route(
            "/listIncidentFindings",
            post(findings::list_incident_findings),
        )
        .route(
            "/batchGetIncidentFindings",
            post(findings::batch_get_incident_findings),
        )
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
