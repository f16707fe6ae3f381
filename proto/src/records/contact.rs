//! Contacts and their channels, shaped like `ssm-contacts` (PascalCase, as on that API's wire).

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `ContactType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ContactType {
    /// A person with channels and an engagement plan.
    Personal,
    /// An escalation plan of stages of contacts and schedules.
    Escalation,
    /// An on-call schedule of rotations.
    OncallSchedule,
}

/// A contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Contact {
    /// `arn:aws:ssm-contacts:<region>:<account>:contact/<alias>`.
    pub contact_arn: String,
    /// Alias (1–255 characters of `[a-z0-9_\-]`).
    pub alias: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Type.
    #[serde(rename = "Type")]
    pub contact_type: ContactType,
    /// Engagement plan (personal) or escalation plan (escalation).
    #[serde(default)]
    pub plan: Plan,
    /// Tocsin's extensions of the plan (not on the AWS wire).
    #[serde(default, skip_serializing_if = "ContactOptions::is_default")]
    pub tocsin: ContactOptions,
}

/// What Tocsin adds to a contact's plan, from the native API and YAML (the AWS shapes stay
/// exact): PagerDuty-style repeats and an acknowledgement timeout.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ContactOptions {
    /// How many times the plan runs again after its last stage without an acknowledgement
    /// (0–9).
    #[serde(default)]
    pub repeat: u32,
    /// Minutes after an acknowledgement at which the plan re-triggers from stage 1 if the
    /// engagement is still running (its incident not resolved, it not stopped); 1–1440.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack_timeout_in_minutes: Option<u32>,
}

impl ContactOptions {
    /// No extension in use.
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// `Plan`: stages, or (for on-call schedules) rotations.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Plan {
    /// Stages, engaged in order.
    #[serde(default)]
    pub stages: Vec<Stage>,
    /// Rotations of an on-call schedule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rotation_ids: Vec<String>,
}

/// `Stage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Stage {
    /// Minutes before the next stage starts (0–30).
    pub duration_in_minutes: u32,
    /// What to engage in this stage.
    #[serde(default)]
    pub targets: Vec<Target>,
}

/// `Target`: a channel of this contact, or another contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Target {
    /// A channel of this (personal) contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_target_info: Option<ChannelTargetInfo>,
    /// Another contact (escalation plans).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_target_info: Option<ContactTargetInfo>,
}

/// `ChannelTargetInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ChannelTargetInfo {
    /// Channel ARN.
    pub contact_channel_id: String,
    /// Minutes between retries (0–60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_interval_in_minutes: Option<u32>,
}

/// `ContactTargetInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ContactTargetInfo {
    /// Contact ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<String>,
    /// Its acknowledgement stops the escalation plan.
    pub is_essential: bool,
}

/// `ChannelType`, plus `WEBHOOK`, a Tocsin extension (native API and YAML only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChannelType {
    /// Email.
    Email,
    /// Text message.
    Sms,
    /// Voice call.
    Voice,
    /// HTTP POST of the page as JSON (Tocsin extension).
    Webhook,
}

/// `ActivationStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActivationStatus {
    /// Can be engaged.
    Activated,
    /// Waits for its activation code; never engaged.
    NotActivated,
}

/// `ContactChannelAddress`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ContactChannelAddress {
    /// Email address, E.164 phone number, or URL (webhook).
    pub simple_address: String,
}

/// A contact channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ContactChannel {
    /// `arn:aws:ssm-contacts:<region>:<account>:contact-channel/<alias>/<id>`.
    pub contact_channel_arn: String,
    /// The contact it belongs to.
    pub contact_arn: String,
    /// Name.
    pub name: String,
    /// Type.
    #[serde(rename = "Type")]
    pub channel_type: ChannelType,
    /// Where pages go.
    pub delivery_address: ContactChannelAddress,
    /// Whether it can be engaged.
    pub activation_status: ActivationStatus,
}

/// `Tag` of `CreateContact` and `TagResource`: a key and an optional value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Tag {
    /// Key (1–128 characters of `[a-zA-Z0-9_+=\-\\/]`).
    pub key: String,
    /// Value (1–256 characters), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// Activation bookkeeping of one contact channel: the pending code and the counters that
/// throttle guessing and re-sending. A Tocsin record kept apart from [`ContactChannel`], so the
/// code's hash never rides along when a channel is returned by the API; the channel's
/// `ActivationStatus` stays on the channel. Transitions: `tocsin_core::contacts::activation`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ChannelActivation {
    /// The channel it belongs to (its ARN also salts the code's hash).
    pub contact_channel_arn: String,
    /// Hex SHA-256 of the pending code salted with the channel ARN; never the code itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_code_hash: Option<String>,
    /// When the pending code stops being accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_code_expires_at: Option<DateTime<Utc>>,
    /// Wrong codes presented since the pending code was issued.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failed_attempts: u32,
    /// When the last code was issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_code_sent_at: Option<DateTime<Utc>>,
    /// Start of the current send window (codes issued are counted per window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_window_started_at: Option<DateTime<Utc>>,
    /// Codes issued in the current send window.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub codes_sent_in_window: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}
