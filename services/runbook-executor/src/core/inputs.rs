//! Step inputs per action: the registration rules, and the typed work a substituted step hands
//! to the shell ([`RunAction`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::document::Action;

/// The script interpreter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Runtime {
    /// `python3.x`: `Handler(events, context)` returns the payload.
    Python,
    /// `sh` (Tocsin extension): the script's stdout (JSON if it parses) is the payload.
    Shell,
}

/// Work with effects outside the executor, one attempt of one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RunAction {
    /// `aws:executeScript`.
    Script {
        /// Interpreter.
        runtime: Runtime,
        /// Python function name.
        handler: Option<String>,
        /// Script text.
        script: String,
        /// `InputPayload` (the `events` argument).
        payload: Value,
    },
    /// `tocsin:http`.
    Http {
        /// Method.
        method: String,
        /// URL.
        url: String,
        /// Headers.
        headers: BTreeMap<String, String>,
        /// JSON (or text) body.
        body: Option<Value>,
        /// Statuses that count as success (empty: any 2xx).
        expected: Vec<u16>,
    },
    /// `aws:executeAwsApi` on the APIs Tocsin serves itself.
    AwsApi {
        /// Service (`ssm-incidents`).
        service: String,
        /// Operation.
        api: String,
        /// The request (every input but Service and Api).
        request: Value,
    },
    /// `aws:executeAutomation`: start (or look at) the child execution.
    Child {
        /// The child's id (derived from parent, step and attempt).
        execution_id: String,
        /// Document.
        document_name: String,
        /// Version (`$DEFAULT` when absent).
        document_version: Option<String>,
        /// Runtime parameters.
        parameters: Value,
    },
}

/// The `ssm-incidents` operations `aws:executeAwsApi` may call.
pub const AWS_APIS: [&str; 3] = [
    "ListTimelineEvents",
    "GetTimelineEvent",
    "GetIncidentRecord",
];

fn is_text(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::String(s)) if !s.is_empty())
}

/// Registration rules of an action's inputs: `(field, rule)` for each broken one.
pub fn check(action: Action, inputs: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut need = |field: &str, rule: &str| {
        if !is_text(inputs.get(field)) {
            out.push((field.into(), rule.into()));
        }
    };
    match action {
        Action::Pause => {}
        Action::Branch => out.extend(super::branch::check(inputs)),
        Action::Sleep => {
            if inputs.get("Duration").is_none() && inputs.get("Timestamp").is_none() {
                out.push((
                    String::new(),
                    "aws:sleep needs Duration (ISO 8601, e.g. PT5M) or Timestamp".into(),
                ));
            } else if let Some(Value::String(d)) = inputs.get("Duration")
                && !d.contains("{{")
                && parse_duration(d).is_none()
            {
                out.push((
                    "Duration".into(),
                    format!("{d:?} is not an ISO 8601 duration like PT30S or PT1H"),
                ));
            }
        }
        Action::Approve => match inputs.get("Approvers").and_then(Value::as_array) {
            Some(a) if !a.is_empty() && a.iter().all(Value::is_string) => {
                let n = inputs
                    .get("MinRequiredApprovals")
                    .and_then(Value::as_u64)
                    .unwrap_or(1);
                if n < 1 || n as usize > a.len() {
                    out.push((
                        "MinRequiredApprovals".into(),
                        format!("must be from 1 to the number of Approvers ({})", a.len()),
                    ));
                }
            }
            _ => out.push((
                "Approvers".into(),
                "required: a non-empty list of approver names".into(),
            )),
        },
        Action::ExecuteScript => {
            need("Script", "required: the script text");
            match inputs.get("Runtime").and_then(Value::as_str) {
                Some(r) if r.starts_with("python3") => {
                    need("Handler", "required for Python: the function to call")
                }
                Some("sh" | "shell") => {}
                _ => out.push(("Runtime".into(), "required: python3.x or sh".into())),
            }
        }
        Action::ExecuteAutomation => need("DocumentName", "required: the child document's name"),
        Action::ExecuteAwsApi => {
            if inputs.get("Service").and_then(Value::as_str) != Some("ssm-incidents") {
                out.push(("Service".into(), "Tocsin serves ssm-incidents only".into()));
            }
            match inputs.get("Api").and_then(Value::as_str) {
                Some(a) if AWS_APIS.contains(&a) => {}
                other => out.push((
                    "Api".into(),
                    format!("{other:?} is not one of {}", AWS_APIS.join(", ")),
                )),
            }
        }
        Action::Http => {
            need("Url", "required: an http(s) URL");
            if let Some(m) = inputs.get("Method").and_then(Value::as_str)
                && !["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"].contains(&m)
            {
                out.push((
                    "Method".into(),
                    format!("{m:?} is not GET, POST, PUT, PATCH, DELETE or HEAD"),
                ));
            }
            if let Some(h) = inputs.get("Headers")
                && !h
                    .as_object()
                    .is_some_and(|m| m.values().all(Value::is_string))
            {
                out.push(("Headers".into(), "must map header names to text".into()));
            }
            if let Some(e) = inputs.get("ExpectedStatus")
                && expected(e).is_none()
            {
                out.push((
                    "ExpectedStatus".into(),
                    "must be a status (100–599) or a list of them".into(),
                ));
            }
        }
    }
    out
}

fn expected(v: &Value) -> Option<Vec<u16>> {
    let one = |v: &Value| {
        v.as_u64()
            .filter(|n| (100..600).contains(n))
            .map(|n| n as u16)
    };
    match v {
        Value::Array(a) => a.iter().map(one).collect(),
        other => one(other).map(|n| vec![n]),
    }
}

/// An ISO 8601 duration of days, hours, minutes and seconds (`P1DT2H`, `PT30S`).
pub fn parse_duration(s: &str) -> Option<Duration> {
    let rest = s.strip_prefix('P')?;
    let (days, time) = match rest.split_once('T') {
        Some((d, t)) => (d, t),
        None => (rest, ""),
    };
    let mut total = Duration::zero();
    let mut take = |part: &str, units: &[(char, i64)]| -> Option<()> {
        let mut num = String::new();
        for ch in part.chars() {
            if ch.is_ascii_digit() {
                num.push(ch);
            } else {
                let secs = units.iter().find(|(u, _)| *u == ch)?.1;
                total += Duration::seconds(num.parse::<i64>().ok()? * secs);
                num.clear();
            }
        }
        num.is_empty().then_some(())
    };
    take(days, &[('D', 86_400), ('W', 604_800)])?;
    take(time, &[('H', 3600), ('M', 60), ('S', 1)])?;
    (rest != "T" && !rest.is_empty()).then_some(total)
}

/// When a (substituted) sleep ends.
pub fn sleep_until(inputs: &Value, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Some(d) = inputs.get("Duration").and_then(Value::as_str) {
        let d = parse_duration(d).ok_or_else(|| format!("Duration {d:?} is not ISO 8601"))?;
        return Ok(now + d);
    }
    let t = inputs
        .get("Timestamp")
        .and_then(Value::as_str)
        .unwrap_or_default();
    DateTime::parse_from_rfc3339(t)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("Timestamp {t:?} is not RFC 3339"))
}

/// Approvers and how many must approve.
pub fn approvers(inputs: &Value) -> (Vec<String>, usize) {
    let list: Vec<String> = inputs
        .get("Approvers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    let min = inputs
        .get("MinRequiredApprovals")
        .and_then(Value::as_u64)
        .unwrap_or(1) as usize;
    (list, min)
}

fn text(inputs: &Value, key: &str) -> Result<String, String> {
    match inputs.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(format!("{key} must be text, got {other}")),
        None => Err(format!("{key} is required")),
    }
}

/// The typed work of an external step from its substituted inputs.
pub fn build(action: Action, inputs: &Value, child_id: &str) -> Result<RunAction, String> {
    Ok(match action {
        Action::ExecuteScript => {
            let runtime = text(inputs, "Runtime")?;
            RunAction::Script {
                runtime: if runtime.starts_with("python3") {
                    Runtime::Python
                } else {
                    Runtime::Shell
                },
                handler: inputs
                    .get("Handler")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                script: text(inputs, "Script")?,
                payload: inputs
                    .get("InputPayload")
                    .cloned()
                    .unwrap_or(Value::Object(Default::default())),
            }
        }
        Action::Http => RunAction::Http {
            method: inputs
                .get("Method")
                .and_then(Value::as_str)
                .unwrap_or("GET")
                .to_string(),
            url: text(inputs, "Url")?,
            headers: inputs
                .get("Headers")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                        .collect()
                })
                .unwrap_or_default(),
            body: inputs.get("Body").cloned(),
            expected: inputs
                .get("ExpectedStatus")
                .and_then(expected)
                .unwrap_or_default(),
        },
        Action::ExecuteAwsApi => {
            let mut request = inputs.clone();
            if let Some(m) = request.as_object_mut() {
                m.remove("Service");
                m.remove("Api");
            }
            RunAction::AwsApi {
                service: text(inputs, "Service")?,
                api: text(inputs, "Api")?,
                request,
            }
        }
        Action::ExecuteAutomation => RunAction::Child {
            execution_id: child_id.to_string(),
            document_name: text(inputs, "DocumentName")?,
            document_version: inputs
                .get("DocumentVersion")
                .and_then(Value::as_str)
                .map(str::to_string),
            parameters: inputs
                .get("RuntimeParameters")
                .cloned()
                .unwrap_or(Value::Object(Default::default())),
        },
        other => return Err(format!("{} runs inside the executor", other.name())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn durations() {
        let table = [
            ("PT30S", Some(30)),
            ("PT5M", Some(300)),
            ("PT1H30M", Some(5400)),
            ("P1DT1S", Some(86_401)),
            ("P", None),
            ("5M", None),
            ("PT5X", None),
        ];
        for (text, want) in table {
            assert_eq!(
                parse_duration(text).map(|d| d.num_seconds()),
                want,
                "{text}"
            );
        }
    }

    #[test]
    fn rules_per_action() {
        let table = [
            (Action::Sleep, json!({}), 1),
            (Action::Sleep, json!({"Duration": "PT1M"}), 0),
            (
                Action::Approve,
                json!({"Approvers": ["a"], "MinRequiredApprovals": 2}),
                1,
            ),
            (
                Action::ExecuteScript,
                json!({"Runtime": "python3.11", "Script": "x"}),
                1,
            ),
            (
                Action::ExecuteScript,
                json!({"Runtime": "sh", "Script": "echo"}),
                0,
            ),
            (
                Action::ExecuteAwsApi,
                json!({"Service": "ec2", "Api": "StopInstances"}),
                2,
            ),
            (
                Action::Http,
                json!({"Url": "http://x", "ExpectedStatus": [200, 999]}),
                1,
            ),
        ];
        for (action, inputs, problems) in table {
            assert_eq!(
                check(action, &inputs).len(),
                problems,
                "{action:?} {inputs}"
            );
        }
    }
}
