//! Alarm formats: each accepted wire format parsed into one [`Normalized`] alarm.
//!
//! Routing keys of `tocsin.ingest` name the format; [`parse`] picks the parser:
//!
//! | format | what arrives | one body gives |
//! |---|---|---|
//! | `cloudwatch` | a CloudWatch "Alarm State Change" event as EventBridge delivers it | 1 |
//! | `sns` | an SNS notification whose `Message` is a CloudWatch alarm (or an EventBridge event) | 1 |
//! | `eventbridge` | any EventBridge event (CloudWatch alarm events are parsed as `cloudwatch`) | 1 |
//! | `alertmanager` | a Prometheus Alertmanager webhook (version 4) | 1 per group |
//! | `pagerduty` | a PagerDuty Events API v2 `enqueue` request | 1 |
//! | `native` | Tocsin's [`NativeAlarm`] | 1 |
//!
//! What each parser decides, and what it leaves to the service:
//!
//! - **Action.** Alarms open or merge ([`Action::Trigger`]); Alertmanager `resolved` and
//!   PagerDuty `resolve` ask to resolve; CloudWatch `OK` / `INSUFFICIENT_DATA` are
//!   [`Action::StateChange`]s, and `OK` is marked `recovered`: the service resolves only when the
//!   plan opts in to auto-resolution.
//! - **Plan.** Only the native format names one ([`PlanRef::Arn`]); otherwise integration keys
//!   and rules decide ([`PlanRef::None`]).
//! - **Dedupe.** `dedupe` is an explicit dedupe string (Alertmanager `groupKey`, PagerDuty
//!   `dedup_key`, native `dedupeString`); `auto_dedupe` is what AWS merges on when there is
//!   none (the CloudWatch alarm ARN, the EventBridge event `id`). Either is kept within the
//!   1,000-character dedupe limit: a longer one becomes `<format>-sha256:<hex of it>`.
//! - **Impact.** Severity words map to impact as `critical`→1, `error`→2, `warning`→3, `info`→4
//!   (PagerDuty `payload.severity`, Alertmanager `severity` label; Alertmanager also accepts
//!   `high`→2, `page`→1, `low`→4). Other formats leave impact to the plan.
//! - **Title.** The alarm or event name, untruncated; the service prefixes the plan title.
//! - **Trigger.** `rawData` is the received document re-serialised as compact JSON and cut to
//!   10,000 characters, the `ssm-incidents` limit: when longer, its first 9,976 characters are
//!   kept and [`TRUNCATION_MARKER`] appended. `source` is cut to 50 characters.
//! - **Related items** are capped at 100 (the `StartIncident` limit), titles at 200 characters.

mod alertmanager;
mod cloudwatch;
mod eventbridge;
mod json;
mod native;
mod pagerduty;
mod sns;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tocsin_proto::alarm::NativeAlarm;
use tocsin_proto::records::{RelatedItem, TriggerDetails};

use crate::validate::{FieldError, ValidationError};

pub use json::{RAW_DATA_LIMIT, TRUNCATION_MARKER};

/// Trigger source of Alertmanager webhooks.
pub const ALERTMANAGER_SOURCE: &str = "prometheus.alertmanager";
/// Trigger source of PagerDuty events.
pub const PAGERDUTY_SOURCE: &str = "pagerduty.events";
/// Trigger source of CloudWatch alarms, by either route.
pub const CLOUDWATCH_SOURCE: &str = "aws.cloudwatch";

/// The accepted formats, by routing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// CloudWatch alarm state change, EventBridge shape.
    CloudWatch,
    /// SNS notification carrying a CloudWatch alarm.
    Sns,
    /// Any EventBridge event.
    EventBridge,
    /// Prometheus Alertmanager webhook, version 4.
    Alertmanager,
    /// PagerDuty Events API v2.
    PagerDuty,
    /// Tocsin's native alarm.
    Native,
}

impl Format {
    /// Every format, in routing-key order of the module table.
    pub const ALL: [Format; 6] = [
        Format::CloudWatch,
        Format::Sns,
        Format::EventBridge,
        Format::Alertmanager,
        Format::PagerDuty,
        Format::Native,
    ];

    /// The routing key.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::CloudWatch => "cloudwatch",
            Format::Sns => "sns",
            Format::EventBridge => "eventbridge",
            Format::Alertmanager => "alertmanager",
            Format::PagerDuty => "pagerduty",
            Format::Native => "native",
        }
    }

    /// The format of a routing key.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == key)
    }
}

/// What the alarm asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Open an incident, or merge into the open one holding the dedupe string.
    Trigger,
    /// Acknowledge the open incident (PagerDuty `acknowledge`).
    Acknowledge,
    /// Resolve the open incident.
    Resolve,
    /// The alarm changed to a state that is not an alarm: add a timeline event to the open
    /// incident. `recovered` (CloudWatch `OK`) means "resolve if the plan auto-resolves".
    StateChange {
        /// The new state, e.g. `OK`, `INSUFFICIENT_DATA`.
        state: String,
        /// The condition cleared.
        recovered: bool,
    },
}

/// Which response plan handles the alarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanRef {
    /// The alarm names its plan (native format).
    Arn(String),
    /// The integration key or a matching rule decides.
    None,
}

/// Who and where the alarm arrived; no clock is read here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseCtx {
    /// Account (tenant) that received it.
    pub account: String,
    /// Region of this deployment, for ARNs the payload does not carry.
    pub region: String,
    /// When it arrived: the trigger time of payloads that carry none.
    pub received_at: DateTime<Utc>,
}

/// One alarm, whatever its format.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalized {
    /// The format it came in.
    pub format: Format,
    /// What it asks for.
    pub action: Action,
    /// Its response plan, when it names one.
    pub plan: PlanRef,
    /// The alarm or event name (the service prefixes the plan title).
    pub title: String,
    /// Impact from the payload's severity, when it has one (1 critical … 5 none).
    pub impact: Option<u8>,
    /// Explicit dedupe string (≤ 1,000 characters).
    pub dedupe: Option<String>,
    /// What AWS would merge on when there is no dedupe string.
    pub auto_dedupe: Option<String>,
    /// Involved resources and the alarm's metric (≤ 100).
    pub related_items: Vec<RelatedItem>,
    /// Source, time, triggering ARN and raw data.
    pub trigger: TriggerDetails,
    /// The caller's idempotency token (native `clientToken`).
    pub client_token: Option<String>,
    /// The whole received document, for rule matching.
    pub event: Value,
}

impl Normalized {
    /// This alarm as a [`NativeAlarm`] for `response_plan_arn`, so the incident functions that
    /// take native alarms apply: the title is cut to 200 characters and the dedupe string is
    /// the explicit one, else the automatic one.
    pub fn to_native(&self, response_plan_arn: &str) -> NativeAlarm {
        NativeAlarm {
            response_plan_arn: response_plan_arn.to_string(),
            title: Some(json::truncate(&self.title, 200, "")).filter(|t| !t.is_empty()),
            impact: self.impact,
            related_items: self.related_items.clone(),
            trigger_details: Some(self.trigger.clone()),
            client_token: self.client_token.clone(),
            dedupe_string: self.dedupe.clone().or_else(|| self.auto_dedupe.clone()),
        }
    }
}

/// Why a body was refused. All are permanent: redelivery cannot fix them.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FormatError {
    /// No parser for this routing key.
    #[error(
        "unsupported alarm format {0:?}; expected one of cloudwatch, sns, eventbridge, alertmanager, pagerduty, native"
    )]
    Unsupported(String),
    /// The body is not JSON (or not UTF-8).
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    /// The JSON is not a valid payload of the format; every broken rule names its field.
    #[error("invalid {format} payload: {errors}")]
    Schema {
        /// The format it was parsed as.
        format: Format,
        /// The broken rules (never empty).
        errors: ValidationError,
    },
}

impl FormatError {
    /// The broken rules, for a field-by-field error response (empty unless `Schema`).
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            FormatError::Schema { errors, .. } => &errors.0,
            _ => &[],
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses `body` as `format` (a routing key) into its alarms.
pub fn parse(format: &str, body: &[u8], ctx: &ParseCtx) -> Result<Vec<Normalized>, FormatError> {
    let format = Format::from_key(format).ok_or_else(|| FormatError::Unsupported(format.into()))?;
    let value: Value =
        serde_json::from_slice(body).map_err(|e| FormatError::MalformedJson(e.to_string()))?;
    parse_value(format, value, ctx)
}

/// Parses an already decoded document as `format`.
pub fn parse_value(
    format: Format,
    value: Value,
    ctx: &ParseCtx,
) -> Result<Vec<Normalized>, FormatError> {
    if !value.is_object() {
        return Err(json::schema_error(
            format,
            "(document)",
            "must be a JSON object",
        ));
    }
    let one = match format {
        Format::CloudWatch => cloudwatch::parse(value, ctx),
        Format::Sns => sns::parse(value, ctx),
        Format::EventBridge => eventbridge::parse(value, ctx),
        Format::Alertmanager => alertmanager::parse(value, ctx),
        Format::PagerDuty => pagerduty::parse(value, ctx),
        Format::Native => native::parse(value, ctx),
    };
    one.map(|n| vec![n])
}
