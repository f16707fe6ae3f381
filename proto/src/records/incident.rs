//! Incident records and their timeline, shaped like `ssm-incidents` (`IncidentRecord`,
//! `TimelineEvent`, `RelatedItem`, `TriggerDetails`), camelCase as on that API's wire.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `IncidentRecordStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IncidentStatus {
    /// Being worked on; holds its dedupe string.
    Open,
    /// Done; its dedupe string is free again.
    Resolved,
}

/// `IncidentRecord`, plus the fields Tocsin needs to drive the response (plan, engagements,
/// related items), which the AWS API returns through other operations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IncidentRecord {
    /// `arn:aws:ssm-incidents::<account>:incident-record/<plan>/<id>`.
    pub arn: String,
    /// Title (≤ 200 characters).
    pub title: String,
    /// Summary (≤ 8000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// OPEN or RESOLVED.
    pub status: IncidentStatus,
    /// 1 (critical) to 5 (no impact).
    pub impact: u8,
    /// When it was created.
    pub creation_time: DateTime<Utc>,
    /// When it was resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_time: Option<DateTime<Utc>>,
    /// Last change.
    pub last_modified_time: DateTime<Utc>,
    /// Who made the last change.
    pub last_modified_by: String,
    /// The dedupe string (empty when none).
    pub dedupe_string: String,
    /// Where it came from.
    pub incident_record_source: IncidentRecordSource,
    /// Chat channel of the response plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_channel: Option<ChatChannel>,
    /// Notification targets of the response plan.
    #[serde(default)]
    pub notification_targets: Vec<NotificationTargetItem>,
    /// The response plan that created it.
    pub response_plan_arn: String,
    /// Contacts engaged when it opened.
    #[serde(default)]
    pub engagements: Vec<String>,
    /// Related items.
    #[serde(default)]
    pub related_items: Vec<RelatedItem>,
    /// Tags from the response plan's incident template.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// `IncidentRecordSource`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IncidentRecordSource {
    /// Principal that created it.
    pub created_by: String,
    /// Service principal that invoked the creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoked_by: Option<String>,
    /// Resource that caused it (alarm ARN, rule ARN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_arn: Option<String>,
    /// Source, e.g. `aws.cloudwatch`, `tocsin.native`.
    pub source: String,
}

/// `invokedBy` of an incident opened by a cross-region failover: the service principal of the
/// replicator, the only writer that sets it (ingest and the API leave `invokedBy` empty, and
/// no request field reaches it). Such incidents do not start their plan's runbooks (user
/// guide part 1, §5.5).
pub const FAILOVER_INVOKED_BY: &str = "replicator.tocsin.internal";

impl IncidentRecordSource {
    /// Whether a cross-region failover opened the incident.
    pub fn opened_by_failover(&self) -> bool {
        self.invoked_by.as_deref() == Some(FAILOVER_INVOKED_BY)
    }
}

/// `ChatChannel`: either SNS topics of a chat bot, or explicitly none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatChannel {
    /// SNS topic ARNs (1–5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chatbot_sns: Option<Vec<String>>,
    /// Present (as `{}`) when the plan explicitly has no chat channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub empty: Option<EmptyChatChannel>,
    /// Chat webhooks the notifier posts incident messages to directly (Slack incoming webhooks,
    /// Teams workflow webhooks, Chime webhooks), where AWS goes through Chatbot and SNS. Tocsin
    /// extension: absent unless set, so the AWS shape is unchanged for AWS clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhooks: Option<Vec<ChatWebhook>>,
}

/// A chat webhook of a [`ChatChannel`] (Tocsin extension). The URL carries the peer's token:
/// it is never logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatWebhook {
    /// Which chat service the URL belongs to (decides the message format).
    pub kind: ChatKind,
    /// The webhook URL (`https://hooks.slack.com/services/...`, a Teams workflow URL, a Chime
    /// webhook URL).
    pub url: String,
}

/// The chat services a [`ChatWebhook`] can post to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChatKind {
    /// Slack incoming webhook: `{"text", "blocks"}`.
    Slack,
    /// Microsoft Teams workflow webhook: an Adaptive Card attachment.
    Teams,
    /// Amazon Chime webhook: `{"Content"}`.
    Chime,
}

/// `EmptyChatChannel`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EmptyChatChannel {}

/// `NotificationTargetItem`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationTargetItem {
    /// SNS topic (or, in Tocsin, webhook target) ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sns_topic_arn: Option<String>,
}

/// `RelatedItem`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RelatedItem {
    /// What it is and where.
    pub identifier: ItemIdentifier,
    /// Title (≤ 200 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Caller-chosen id, for later updates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated_id: Option<String>,
}

/// `ItemIdentifier`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ItemIdentifier {
    /// `ItemType`: ANALYSIS, INCIDENT, METRIC, PARENT, ATTACHMENT, OTHER, AUTOMATION,
    /// INVOLVED_RESOURCE, TASK.
    #[serde(rename = "type")]
    pub item_type: String,
    /// `ItemValue`: exactly one member set.
    pub value: ItemValue,
}

/// `ItemValue` (a union: exactly one member is set).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemValue {
    /// An ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// A URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// A metric definition (JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_definition: Option<String>,
    /// A PagerDuty incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pager_duty_incident_detail: Option<PagerDutyIncidentDetail>,
}

/// `PagerDutyIncidentDetail`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PagerDutyIncidentDetail {
    /// PagerDuty incident id.
    pub id: String,
    /// Resolve it there when resolved here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_resolve: Option<bool>,
    /// Secret holding the PagerDuty credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_id: Option<String>,
}

/// `TriggerDetails`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TriggerDetails {
    /// Source of the trigger, e.g. `aws.cloudwatch` (≤ 50 characters).
    #[schemars(length(min = 1, max = 50))]
    pub source: String,
    /// When the trigger happened.
    pub timestamp: DateTime<Utc>,
    /// ARN of what triggered it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_arn: Option<String>,
    /// The raw trigger, as JSON text (≤ 10000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 10000))]
    pub raw_data: Option<String>,
}

/// `TimelineEvent`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimelineEvent {
    /// The incident.
    pub incident_record_arn: String,
    /// Event id (a UUID derived from what caused the event, so appends are idempotent).
    pub event_id: String,
    /// When it happened.
    pub event_time: DateTime<Utc>,
    /// When it was last changed.
    pub event_updated_time: DateTime<Utc>,
    /// Type, see [`crate::records::timeline_types`].
    pub event_type: String,
    /// JSON text (≤ 12000 characters).
    pub event_data: String,
    /// Related resources.
    #[serde(default)]
    pub event_references: Vec<EventReference>,
}

/// `EventReference` (a union).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventReference {
    /// A related item's generated id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related_item_id: Option<String>,
    /// A resource ARN (engagement, page, contact).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
}
