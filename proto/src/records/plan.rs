//! Response plans, shaped like `ssm-incidents` `GetResponsePlan` output (camelCase).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::incident::{ChatChannel, NotificationTargetItem};

/// A response plan: the template of the incidents it opens and who to engage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResponsePlan {
    /// `arn:aws:ssm-incidents::<account>:response-plan/<name>`.
    pub arn: String,
    /// Name (1–200 characters of `[a-zA-Z0-9-_]`).
    pub name: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The incident each alarm routed here opens.
    pub incident_template: IncidentTemplate,
    /// Contacts (`ssm-contacts` contact ARNs, at most 5) engaged when an incident opens.
    #[serde(default)]
    pub engagements: Vec<String>,
    /// Chat channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_channel: Option<ChatChannel>,
    /// Runbook actions (at most 1), kept as given until the runbook executor lands.
    #[serde(default)]
    pub actions: Vec<serde_json::Value>,
    /// Integrations (at most 1), e.g. PagerDuty.
    #[serde(default)]
    pub integrations: Vec<serde_json::Value>,
    /// Tags of the plan itself.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Resolve the open incident when its alarm recovers (CloudWatch `OK`, Alertmanager
    /// `resolved`, PagerDuty `resolve`). Tocsin extension; off by default, as in AWS.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub auto_resolve: bool,
}

/// `IncidentTemplate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IncidentTemplate {
    /// Title of incidents opened by this plan.
    pub title: String,
    /// Impact 1–5.
    pub impact: u8,
    /// Summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Dedupe string applied to every incident of the plan (an alarm's own one wins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedupe_string: Option<String>,
    /// Tags put on each incident.
    #[serde(default)]
    pub incident_tags: BTreeMap<String, String>,
    /// Notification targets.
    #[serde(default)]
    pub notification_targets: Vec<NotificationTargetItem>,
}
