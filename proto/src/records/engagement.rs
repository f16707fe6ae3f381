//! Engagements, pages and receipts, shaped like `ssm-contacts` `DescribeEngagement`,
//! `DescribePage` and `ListPageReceipts` (PascalCase).

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::contact::{ChannelType, ContactType};
use super::incident::TimelineEvent;

/// An engagement of one contact for one incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Engagement {
    /// `arn:aws:ssm-contacts:<region>:<account>:engagement/<alias>/<id>`.
    pub engagement_arn: String,
    /// The engaged contact.
    pub contact_arn: String,
    /// Who engaged (the response plan, for incidents).
    pub sender: String,
    /// Subject of the pages.
    pub subject: String,
    /// Content of the pages.
    pub content: String,
    /// The incident (record ARN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_id: Option<String>,
    /// When it started.
    pub start_time: DateTime<Utc>,
    /// When it stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_time: Option<DateTime<Utc>>,
    /// Insecure subject, for SMS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_subject: Option<String>,
    /// Insecure content, for SMS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_content: Option<String>,
    /// Tocsin's run state of the engagement (not part of the AWS shape).
    #[serde(default)]
    pub tocsin: EngagementState,
}

/// Where an engagement is in its plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EngagementStatus {
    /// Created, not started yet.
    #[default]
    Pending,
    /// Running its stages.
    Active,
    /// Acknowledged: no further stages.
    Acknowledged,
    /// Ran out of stages without an acknowledgement (still acknowledgeable).
    Completed,
    /// Stopped (by a user, or by its parent's acknowledgement).
    Stopped,
}

/// The link from a nested engagement to the engagement that started it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ParentLink {
    /// The parent engagement.
    pub engagement_arn: String,
    /// The parent's stage that started this one.
    pub stage_index: u32,
    /// Whether this one's acknowledgement stops the parent (`IsEssential`).
    pub is_essential: bool,
}

/// Run state of an engagement: the engagement service's durable memory. Every change bumps
/// `Epoch` when it invalidates pending timers; a timer carrying an older epoch is dropped.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct EngagementState {
    /// Status.
    #[serde(default)]
    pub status: EngagementStatus,
    /// Type of the engaged contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_type: Option<ContactType>,
    /// Current stage (0-based).
    #[serde(default)]
    pub stage_index: u32,
    /// Current repetition of the whole plan (0 = first pass).
    #[serde(default)]
    pub cycle: u32,
    /// How many times the plan repeats after its last stage (0–9; Tocsin extension).
    #[serde(default)]
    pub repeat: u32,
    /// Minutes after an acknowledgement at which the plan re-triggers (Tocsin extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack_timeout_in_minutes: Option<u32>,
    /// How many times an acknowledgement timeout re-triggered the plan; part of the ids of
    /// what a re-triggered run creates, so they differ from the first run's.
    #[serde(default)]
    pub round: u32,
    /// Fencing epoch of timers.
    #[serde(default)]
    pub epoch: u64,
    /// The engagement that started this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentLink>,
    /// Engagements this one started (escalation stages, on-call members).
    #[serde(default)]
    pub children: Vec<String>,
    /// Store id of the incident whose timeline records this engagement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_record_id: Option<String>,
    /// Who acknowledged (contact ARN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_by: Option<String>,
    /// When.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Effects decided but not yet carried out (an outbox, written atomically with the state).
    #[serde(default)]
    pub outbox: Vec<EngagementEffect>,
}

/// What a timer of the engagement service does when it fires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct EngagementTimer {
    /// Account.
    pub account: String,
    /// The engagement (store id).
    pub engagement_id: String,
    /// Stage to start.
    pub stage_index: u32,
    /// Repetition of the plan.
    pub cycle: u32,
    /// Epoch the timer was scheduled in.
    pub epoch: u64,
    /// Re-send a failed page of stage `StageIndex` (`RetryIntervalInMinutes`) instead of
    /// starting a stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<PageRetry>,
    /// Re-trigger the plan if the acknowledgement is still all there is (Tocsin extension).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ack_timeout: bool,
}

/// A page to send again after its send failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PageRetry {
    /// The channel.
    pub contact_channel_arn: String,
    /// Attempt number of the new page (1 for the first retry).
    pub attempt: u32,
}

/// An effect of an engagement step, carried out idempotently by the engagement service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "Type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EngagementEffect {
    /// Write the page (if absent) and publish its `page.send` command.
    SendPage {
        /// The page.
        page: Page,
        /// Where to deliver it.
        address: String,
    },
    /// Create the nested engagement (if absent) and start it.
    StartChild {
        /// The engagement, PENDING.
        engagement: Box<Engagement>,
    },
    /// Stop a nested engagement.
    StopChild {
        /// Its ARN.
        engagement_arn: String,
        /// Why.
        reason: String,
    },
    /// Tell the parent this engagement was acknowledged.
    NotifyParent {
        /// The parent.
        engagement_arn: String,
        /// This engagement.
        child_arn: String,
        /// Who acknowledged.
        acknowledged_by: String,
        /// Whether this engagement's acknowledgement stops the parent's plan.
        is_essential: bool,
    },
    /// Schedule (or move) the engagement's stage timer.
    Schedule {
        /// When it fires.
        due: DateTime<Utc>,
        /// What it carries.
        timer: EngagementTimer,
    },
    /// Append to the incident's timeline.
    Timeline {
        /// Incident store id.
        incident_id: String,
        /// The event.
        event: TimelineEvent,
    },
}

/// `ReceiptType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReceiptType {
    /// Handed to the provider.
    Sent,
    /// The provider says it reached the device.
    Delivered,
    /// The recipient read or answered it.
    Read,
    /// Delivery failed.
    Error,
    /// The device asked to stop.
    Stop,
}

/// `Receipt`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Receipt {
    /// The channel it concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_channel_arn: Option<String>,
    /// Type.
    pub receipt_type: ReceiptType,
    /// Provider detail (status code, message id, error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_info: Option<String>,
    /// When.
    pub receipt_time: DateTime<Utc>,
}

/// A page: one engagement of one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Page {
    /// `arn:aws:ssm-contacts:<region>:<account>:page/<alias>/<id>`.
    pub page_arn: String,
    /// Its engagement.
    pub engagement_arn: String,
    /// The contact paged.
    pub contact_arn: String,
    /// The channel paged (Tocsin field; AWS pages are per contact).
    pub contact_channel_arn: String,
    /// The channel's type.
    pub channel_type: ChannelType,
    /// Who paged.
    pub sender: String,
    /// Subject.
    pub subject: String,
    /// Content.
    pub content: String,
    /// The incident (record ARN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_id: Option<String>,
    /// When the page was created.
    pub sent_time: DateTime<Utc>,
    /// When it was delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_time: Option<DateTime<Utc>>,
    /// When it was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_time: Option<DateTime<Utc>>,
    /// The 6-digit code that acknowledges it.
    pub accept_code: String,
    /// Receipts, oldest first.
    #[serde(default)]
    pub receipts: Vec<Receipt>,
}
