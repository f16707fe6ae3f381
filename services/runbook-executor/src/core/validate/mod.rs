//! Registering a document: parse its text, check every rule, and say which line broke which
//! rule. A document that passes is a [`Document`] the interpreter can run without surprises
//! (every `{{ }}` reference resolvable, every step target existing, every action known).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::document::{
    Action, Document, Format, OnFailure, OutputSpec, ParamSpec, ParamType, Step,
};
use super::locate::line_of;
use super::{branch, inputs, subst};

mod params;
mod steps;

use params::check_parameters;
use steps::{check_graph, check_step};

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line in the submitted text, when found.
    pub line: Option<usize>,
    /// Path of the offending value (`mainSteps[2].action`).
    pub path: String,
    /// The rule, in words.
    pub rule: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}: {}", self.path, self.rule),
            None => write!(f, "{}: {}", self.path, self.rule),
        }
    }
}

/// Why a document was rejected: every problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid document: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct InvalidDocument(pub Vec<Problem>);

struct Checker<'a> {
    source: &'a str,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn fail(&mut self, path: impl Into<String>, rule: impl Into<String>) {
        let path = path.into();
        // The value's own line, else its closest ancestor's.
        let mut probe = path.as_str();
        let line = loop {
            if let Some(l) = line_of(self.source, probe) {
                break Some(l);
            }
            match probe.rfind(['.', '[']) {
                Some(i) => probe = &probe[..i],
                None => break None,
            }
        };
        self.problems.push(Problem {
            line,
            path,
            rule: rule.into(),
        });
    }
}

/// Parses and validates a document text (YAML or JSON).
pub fn parse(text: &str) -> Result<(Document, Format), InvalidDocument> {
    let format = Format::detect(text);
    let value: Value = match format {
        Format::Json => serde_json::from_str(text).map_err(|e| {
            InvalidDocument(vec![Problem {
                line: Some(e.line()),
                path: "$".into(),
                rule: format!("not valid JSON: {e}"),
            }])
        })?,
        Format::Yaml => serde_yaml::from_str(text).map_err(|e| {
            InvalidDocument(vec![Problem {
                line: e.location().map(|l| l.line()),
                path: "$".into(),
                rule: format!("not valid YAML: {e}"),
            }])
        })?,
    };
    let mut c = Checker {
        source: text,
        problems: Vec::new(),
    };
    let doc = check(&mut c, &value);
    match doc {
        Some(d) if c.problems.is_empty() => Ok((d, format)),
        _ => Err(InvalidDocument(c.problems)),
    }
}

fn str_field<'v>(
    c: &mut Checker<'_>,
    m: &'v Map<String, Value>,
    path: &str,
    key: &str,
) -> Option<&'v str> {
    match m.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => {
            c.fail(format!("{path}{key}"), "must be text");
            None
        }
    }
}

fn check(c: &mut Checker<'_>, value: &Value) -> Option<Document> {
    let Some(root) = value.as_object() else {
        c.fail(
            "$",
            "a document is a mapping with schemaVersion and mainSteps",
        );
        return None;
    };
    const TOP: [&str; 7] = [
        "description",
        "schemaVersion",
        "assumeRole",
        "parameters",
        "mainSteps",
        "outputs",
        "files",
    ];
    for k in root.keys().filter(|k| !TOP.contains(&k.as_str())) {
        c.fail(
            k.clone(),
            format!("unknown field; fields are {}", TOP.join(", ")),
        );
    }
    let schema_version = str_field(c, root, "", "schemaVersion")
        .unwrap_or_default()
        .to_string();
    if schema_version != "0.3" {
        c.fail("schemaVersion", "must be '0.3' (Automation documents)");
    }
    let description = str_field(c, root, "", "description").map(str::to_string);
    let assume_role = str_field(c, root, "", "assumeRole").map(str::to_string);
    let parameters = check_parameters(c, root.get("parameters"));
    let Some(steps) = root
        .get("mainSteps")
        .and_then(Value::as_array)
        .filter(|s| !s.is_empty())
    else {
        c.fail("mainSteps", "required: a non-empty list of steps");
        return None;
    };
    let mut main_steps = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        if let Some(step) = check_step(c, i, s) {
            main_steps.push(step);
        }
    }
    let outputs: Vec<String> = match root.get("outputs") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(_) => {
            c.fail("outputs", "must be a list of Step.Output names");
            Vec::new()
        }
    };
    let doc = Document {
        description,
        schema_version,
        assume_role,
        parameters,
        main_steps,
        outputs,
    };
    check_graph(c, &doc);
    Some(doc)
}
