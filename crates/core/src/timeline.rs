//! Building timeline events. Ids are derived from their cause so appends are idempotent.

use chrono::{DateTime, Utc};
use tocsin_proto::records::{EventReference, TimelineEvent};

use crate::ids::derive;

/// A timeline event with a derived id (`cause` parts must identify exactly one event).
pub fn event(
    incident_arn: &str,
    cause: &[&str],
    at: DateTime<Utc>,
    event_type: &str,
    data: serde_json::Value,
    resources: &[&str],
) -> TimelineEvent {
    TimelineEvent {
        incident_record_arn: incident_arn.to_string(),
        event_id: derive(cause),
        event_time: at,
        event_updated_time: at,
        event_type: event_type.to_string(),
        event_data: data.to_string(),
        event_references: resources
            .iter()
            .map(|r| EventReference {
                related_item_id: None,
                resource: Some((*r).to_string()),
            })
            .collect(),
    }
}
