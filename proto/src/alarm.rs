//! Alarm formats published to `tocsin.ingest`. These are public contracts: alarm sources in any
//! language validate against `proto/schemas/<name>.json` before publishing.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::records::{RelatedItem, TriggerDetails};

/// The native format (routing key `native`): `StartIncident`'s input plus an optional dedupe
/// string. Field names, casing and limits are those of the `ssm-incidents` model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NativeAlarm {
    /// ARN of the response plan that handles it (required).
    #[schemars(length(min = 1, max = 1000))]
    pub response_plan_arn: String,
    /// Overrides the plan's title (≤ 200 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 200))]
    pub title: Option<String>,
    /// Overrides the plan's impact (1–5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 5))]
    pub impact: Option<u8>,
    /// Related items (≤ 100).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    pub related_items: Vec<RelatedItem>,
    /// What triggered it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_details: Option<TriggerDetails>,
    /// Idempotency token (≤ 128 characters): the same token never opens two incidents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 128))]
    pub client_token: Option<String>,
    /// Dedupe string (≤ 1000 characters); overrides the plan's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1000))]
    pub dedupe_string: Option<String>,
}
