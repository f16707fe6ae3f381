//! Automation documents (`schemaVersion: '0.3'`), typed. Parsing turns YAML or JSON text into
//! [`Document`]; [`super::validate`] then checks the rules a document must meet to be
//! registered. The typed form is also what an execution snapshots (as JSON) and runs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A parameter type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ParamType {
    /// Text.
    String,
    /// List of text.
    StringList,
    /// Whole number.
    Integer,
    /// true / false.
    Boolean,
    /// Map of text to anything.
    StringMap,
    /// List of maps.
    MapList,
}

impl ParamType {
    /// Parses a declared type name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "String" => ParamType::String,
            "StringList" => ParamType::StringList,
            "Integer" => ParamType::Integer,
            "Boolean" => ParamType::Boolean,
            "StringMap" => ParamType::StringMap,
            "MapList" => ParamType::MapList,
            _ => return None,
        })
    }
}

/// A declared parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParamSpec {
    /// Type.
    #[serde(rename = "type")]
    pub kind: ParamType,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Default value (makes the parameter optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// Values allowed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_values: Vec<Value>,
    /// Regular expression text values must match (whole value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_pattern: Option<String>,
}

/// What to do when a step fails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OnFailure {
    /// Stop the execution, failed (the default).
    Abort,
    /// Go on with the next step.
    Continue,
    /// Go to this step.
    Step(String),
}

/// The actions Tocsin runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// `aws:pause`: a manual step, resumed through the API.
    Pause,
    /// `aws:sleep`.
    Sleep,
    /// `aws:approve`.
    Approve,
    /// `aws:branch`.
    Branch,
    /// `aws:executeScript` (Python 3 or shell).
    ExecuteScript,
    /// `aws:executeAutomation`: a child runbook.
    ExecuteAutomation,
    /// `aws:executeAwsApi` (the `ssm-incidents` reads Tocsin serves itself).
    ExecuteAwsApi,
    /// `tocsin:http`: an HTTP call to an allowed host.
    Http,
}

impl Action {
    /// Every action, with its document name.
    pub const ALL: [(&'static str, Action); 8] = [
        ("aws:pause", Action::Pause),
        ("aws:sleep", Action::Sleep),
        ("aws:approve", Action::Approve),
        ("aws:branch", Action::Branch),
        ("aws:executeScript", Action::ExecuteScript),
        ("aws:executeAutomation", Action::ExecuteAutomation),
        ("aws:executeAwsApi", Action::ExecuteAwsApi),
        ("tocsin:http", Action::Http),
    ];

    /// Parses a document action name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().find(|(n, _)| *n == s).map(|(_, a)| *a)
    }

    /// The document name.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, a)| *a == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }

    /// Whether the step acts outside the executor (run at most once per attempt, under a claim).
    pub fn is_external(self) -> bool {
        matches!(
            self,
            Action::ExecuteScript
                | Action::Http
                | Action::ExecuteAwsApi
                | Action::ExecuteAutomation
        )
    }

    /// The time limit of one attempt when the step sets none.
    pub fn default_timeout_secs(self) -> u64 {
        match self {
            Action::ExecuteScript => 600,
            Action::Http | Action::ExecuteAwsApi => 60,
            Action::ExecuteAutomation => 86_400,
            Action::Pause | Action::Sleep | Action::Approve | Action::Branch => 0,
        }
    }
}

/// A declared step output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputSpec {
    /// Name (`{{ Step.Name }}`).
    pub name: String,
    /// Selector into the step's result (`$.Payload.x`, `$.a[0].b`).
    pub selector: String,
    /// Type.
    pub kind: ParamType,
}

/// One step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Unique name.
    pub name: String,
    /// Action.
    pub action: Action,
    /// Description (guidance text of manual steps).
    pub description: Option<String>,
    /// Time limit of one attempt (or of a wait), seconds.
    pub timeout_seconds: Option<u64>,
    /// Attempts before the step fails (≥ 1).
    pub max_attempts: u32,
    /// What a failure does.
    pub on_failure: OnFailure,
    /// The execution ends after this step.
    pub is_end: bool,
    /// The step after this one (default: the next in the list).
    pub next_step: Option<String>,
    /// Outputs.
    pub outputs: Vec<OutputSpec>,
    /// Inputs as written (substituted when the step runs).
    pub inputs: Value,
}

/// A whole document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Description.
    pub description: Option<String>,
    /// `0.3`.
    pub schema_version: String,
    /// IAM role to assume (kept; Tocsin runs steps with its own identity).
    pub assume_role: Option<String>,
    /// Declared parameters.
    pub parameters: BTreeMap<String, ParamSpec>,
    /// Steps, in order.
    pub main_steps: Vec<Step>,
    /// Document outputs (`Step.Output`).
    pub outputs: Vec<String>,
}

impl Document {
    /// The index of a step by name.
    pub fn step_index(&self, name: &str) -> Option<usize> {
        self.main_steps.iter().position(|s| s.name == name)
    }
}

/// Text format of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// YAML.
    Yaml,
    /// JSON.
    Json,
}

impl Format {
    /// `YAML` / `JSON`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Yaml => "YAML",
            Format::Json => "JSON",
        }
    }

    /// Guesses the format of a document text (JSON starts with `{`).
    pub fn detect(text: &str) -> Self {
        if text.trim_start().starts_with('{') {
            Format::Json
        } else {
            Format::Yaml
        }
    }
}
