//! Runbooks: automation documents (SSM Automation `schemaVersion: '0.3'`, versioned) and their
//! executions with per-step state, shaped like `ssm` `GetAutomationExecution` (camelCase).
//!
//! The document itself travels as its source text plus a normalised JSON form; its typed shape
//! and rules live with the interpreter (`tocsin-runbook`), which alone needs them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::incident::TimelineEvent;

/// Store kinds of runbook records (the `<kind>` part of their keys).
pub mod runbook_kinds {
    /// [`super::RunbookDocument`], by document name.
    pub const DOCUMENT: &str = "runbook-document";
    /// [`super::RunbookDocumentVersion`], by `<name>@<version>`.
    pub const DOCUMENT_VERSION: &str = "runbook-document-version";
    /// [`super::RunbookExecution`], by execution id.
    pub const EXECUTION: &str = "runbook-execution";
}

/// `eventType` values of the timeline events the runbook executor writes.
pub mod runbook_timeline_types {
    /// An execution changed state (started, waiting, succeeded, failed, cancelled).
    pub const EXECUTION: &str = "Runbook Execution";
    /// A step changed state.
    pub const STEP: &str = "Runbook Step";
}

/// A document name's versions: which one `$DEFAULT` and `$LATEST` mean.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunbookDocument {
    /// Name (3–128 characters of `[a-zA-Z0-9_.-]`).
    pub name: String,
    /// Always `Automation`.
    pub document_type: String,
    /// The version `$DEFAULT` resolves to.
    pub default_version: String,
    /// The newest version (`$LATEST`).
    pub latest_version: String,
    /// Description of the latest version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// When version 1 was registered.
    pub created_date: DateTime<Utc>,
    /// Shipped with Tocsin (read-only).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub built_in: bool,
}

/// One registered version of a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunbookDocumentVersion {
    /// Document name.
    pub name: String,
    /// Version number, as text (`"1"`, `"2"`, ...).
    pub document_version: String,
    /// `YAML` or `JSON`, as submitted.
    pub document_format: String,
    /// The source text, as submitted.
    pub content: String,
    /// The document as JSON (validated).
    pub document: serde_json::Value,
    /// When this version was registered.
    pub created_date: DateTime<Utc>,
}

/// `AutomationExecutionStatus` and `StepExecution.StepStatus` (the subset Tocsin uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum RunbookStatus {
    /// Not started yet.
    Pending,
    /// Running (a step is executing).
    InProgress,
    /// Waiting for a person (pause, approval) or a timer (sleep).
    Waiting,
    /// Done.
    Success,
    /// A time limit passed.
    TimedOut,
    /// Cancelled by a person or because the incident was resolved.
    Cancelled,
    /// Failed.
    Failed,
}

impl RunbookStatus {
    /// Whether nothing will change any more.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            RunbookStatus::Success
                | RunbookStatus::TimedOut
                | RunbookStatus::Cancelled
                | RunbookStatus::Failed
        )
    }

    /// Display name (as the AWS API spells it).
    pub fn as_str(self) -> &'static str {
        match self {
            RunbookStatus::Pending => "Pending",
            RunbookStatus::InProgress => "InProgress",
            RunbookStatus::Waiting => "Waiting",
            RunbookStatus::Success => "Success",
            RunbookStatus::TimedOut => "TimedOut",
            RunbookStatus::Cancelled => "Cancelled",
            RunbookStatus::Failed => "Failed",
        }
    }
}

/// One approval or rejection of an `aws:approve` step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunbookApproval {
    /// Who.
    pub approver: String,
    /// Approved (true) or rejected.
    pub approved: bool,
    /// Comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// `StepExecution`: one step of an execution with its state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunbookStepExecution {
    /// Step name.
    pub step_name: String,
    /// Action (`aws:pause`, `aws:executeScript`, `tocsin:http`, ...).
    pub action: String,
    /// The step's description (guidance text of manual steps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// State.
    pub step_status: RunbookStatus,
    /// Attempt number (1-based; 0 before the first), counted over every visit of the step,
    /// so an attempt's key and result are never mistaken for an earlier visit's.
    #[serde(default)]
    pub attempt: u32,
    /// Attempts of earlier visits (a step re-entered through a branch loop): this visit's
    /// attempt is `attempt - attempts_before`, which `maxAttempts` bounds.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub attempts_before: u32,
    /// When the current attempt (or wait) started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_start_time: Option<DateTime<Utc>>,
    /// When it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_end_time: Option<DateTime<Utc>>,
    /// When the current attempt or wait times out (or a sleep ends, or a retry is due).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DateTime<Utc>>,
    /// Inputs after substitution, of the current attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<serde_json::Value>,
    /// Outputs by name (after selectors).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub outputs: BTreeMap<String, serde_json::Value>,
    /// The raw result (`Payload` of a script, body of an HTTP response).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<serde_json::Value>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_message: Option<String>,
    /// Approvals received (`aws:approve`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<RunbookApproval>,
    /// The child execution (`aws:executeAutomation`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_execution_id: Option<String>,
}

/// The step of a parent execution an `aws:executeAutomation` child reports to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunbookParent {
    /// Parent execution id.
    pub execution_id: String,
    /// Parent step name.
    pub step_name: String,
}

/// `AutomationExecution`: one run of a document, with the progress that makes it crash-safe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunbookExecution {
    /// Id (derived from what started it).
    pub automation_execution_id: String,
    /// Document name.
    pub document_name: String,
    /// Resolved document version.
    pub document_version: String,
    /// State.
    pub automation_execution_status: RunbookStatus,
    /// The incident it runs for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_record_arn: Option<String>,
    /// Its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_id: Option<String>,
    /// Parameters after defaults and dynamic values, typed as declared.
    #[serde(default)]
    pub parameters: BTreeMap<String, serde_json::Value>,
    /// Document outputs (`Step.Output` names), when done.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub outputs: BTreeMap<String, serde_json::Value>,
    /// Every step of the document, in document order.
    pub step_executions: Vec<RunbookStepExecution>,
    /// Index of the current step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_step_index: Option<usize>,
    /// When it started.
    pub execution_start_time: DateTime<Utc>,
    /// When it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_end_time: Option<DateTime<Utc>>,
    /// Why it failed, timed out or was cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_message: Option<String>,
    /// Who or what started it.
    pub executed_by: String,
    /// The parent step, for a child execution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<RunbookParent>,
    /// Cancel it when its incident is resolved.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cancel_on_resolve: bool,
    /// The document as run (a snapshot: later versions do not change a running execution).
    pub document: serde_json::Value,
    /// Timeline events decided so far (their sequence numbers and ids derive from it).
    #[serde(default)]
    pub timeline_seq: u64,
    /// Timeline events decided but not yet appended (carried out, then cleared).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outbox: Vec<TimelineEvent>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}
