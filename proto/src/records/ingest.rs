//! How alarms find their response plan: integration keys (HTTP publishers), routing rules
//! (EventBridge event patterns) and the record of alarms nothing routed.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A key an HTTP publisher presents (`Authorization: Bearer <key>`, or PagerDuty's
/// `routing_key`). Stored by the SHA-256 of the key; the key itself is shown once, at creation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IntegrationKey {
    /// Public id (the first 12 hex digits of the hash), for listing and revoking.
    pub key_id: String,
    /// Hex SHA-256 of the key.
    pub key_hash: String,
    /// What it is for.
    pub name: String,
    /// The one format it may publish (a routing key of `tocsin.ingest`).
    pub format: String,
    /// The plan its alarms open incidents with; none: routing rules decide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_plan_arn: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Revoked keys are refused.
    #[serde(default)]
    pub revoked: bool,
}

/// A routing rule: alarms whose event matches the pattern go to the plan. Rules are tried in
/// `order`, then by name; the first match wins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngestRule {
    /// Name (unique).
    pub name: String,
    /// Position among the rules.
    #[serde(default)]
    pub order: u32,
    /// Formats it applies to (empty: all).
    #[serde(default)]
    pub formats: Vec<String>,
    /// EventBridge event pattern (JSON text), matched against the received document.
    pub event_pattern: String,
    /// Target plan.
    pub response_plan_arn: String,
}

/// An alarm no plan took: kept (and counted) so that nothing is dropped silently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UnroutedEvent {
    /// Id (the alarm's idempotency key, hashed).
    pub id: String,
    /// Format.
    pub format: String,
    /// Alarm or event name.
    pub title: String,
    /// Why nothing routed it.
    pub reason: String,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// The received document (truncated to 10,000 characters).
    pub event: String,
}
