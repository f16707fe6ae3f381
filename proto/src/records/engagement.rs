//! Engagements, pages and receipts, shaped like `ssm-contacts` `DescribeEngagement`,
//! `DescribePage` and `ListPageReceipts` (PascalCase).

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::contact::ChannelType;

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
