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

fn check_parameters(c: &mut Checker<'_>, v: Option<&Value>) -> BTreeMap<String, ParamSpec> {
    let mut out = BTreeMap::new();
    let m = match v {
        None | Some(Value::Null) => return out,
        Some(Value::Object(m)) => m,
        Some(_) => {
            c.fail(
                "parameters",
                "must be a mapping of parameter name to declaration",
            );
            return out;
        }
    };
    for (name, decl) in m {
        let path = format!("parameters.{name}");
        if !name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
        {
            c.fail(&path, "parameter names are letters, digits and _");
        }
        let Some(d) = decl.as_object() else {
            c.fail(&path, "must be a mapping with a type");
            continue;
        };
        let Some(kind) = d
            .get("type")
            .and_then(Value::as_str)
            .and_then(ParamType::parse)
        else {
            c.fail(
                format!("{path}.type"),
                "required: String, StringList, Integer, Boolean, StringMap or MapList",
            );
            continue;
        };
        let allowed_pattern = d
            .get("allowedPattern")
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(p) = &allowed_pattern
            && regex::Regex::new(p).is_err()
        {
            c.fail(
                format!("{path}.allowedPattern"),
                "not a valid regular expression",
            );
        }
        let spec = ParamSpec {
            kind,
            description: d
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_string),
            default: d.get("default").cloned(),
            allowed_values: d
                .get("allowedValues")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            allowed_pattern,
        };
        if let Some(def) = &spec.default
            && let Err(e) = super::params::coerce(def, &spec)
        {
            c.fail(
                format!("{path}.default"),
                format!("the default does not fit its declaration: {e}"),
            );
        }
        out.insert(name.clone(), spec);
    }
    out
}

fn check_step(c: &mut Checker<'_>, i: usize, s: &Value) -> Option<Step> {
    let path = format!("mainSteps[{i}]");
    let Some(m) = s.as_object() else {
        c.fail(&path, "a step is a mapping with name and action");
        return None;
    };
    const FIELDS: [&str; 11] = [
        "name",
        "action",
        "description",
        "inputs",
        "outputs",
        "timeoutSeconds",
        "maxAttempts",
        "onFailure",
        "isEnd",
        "nextStep",
        "isCritical",
    ];
    for k in m
        .keys()
        .filter(|k| !FIELDS.contains(&k.as_str()) && k.as_str() != "onCancel")
    {
        c.fail(
            format!("{path}.{k}"),
            format!("unknown step field; fields are {}", FIELDS.join(", ")),
        );
    }
    let name = str_field(c, m, &format!("{path}."), "name")
        .unwrap_or_default()
        .to_string();
    if name.is_empty()
        || name.len() > 128
        || !name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
    {
        c.fail(
            format!("{path}.name"),
            "required: 1–128 letters, digits or _",
        );
    }
    let action_name = str_field(c, m, &format!("{path}."), "action").unwrap_or_default();
    let Some(action) = Action::parse(action_name) else {
        let known: Vec<&str> = Action::ALL.iter().map(|(n, _)| *n).collect();
        c.fail(
            format!("{path}.action"),
            format!(
                "unknown action {action_name:?}; supported: {}",
                known.join(", ")
            ),
        );
        return None;
    };
    let number = |c: &mut Checker<'_>, key: &str, min: u64, max: u64| -> Option<u64> {
        let v = m.get(key)?;
        match v
            .as_u64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        {
            Some(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                c.fail(
                    format!("{path}.{key}"),
                    format!("must be a whole number from {min} to {max}"),
                );
                None
            }
        }
    };
    let timeout_seconds = number(c, "timeoutSeconds", 1, 2_592_000);
    let max_attempts = number(c, "maxAttempts", 1, 100).unwrap_or(1) as u32;
    let on_failure = match m.get("onFailure").and_then(Value::as_str) {
        None | Some("Abort") => OnFailure::Abort,
        Some("Continue") => OnFailure::Continue,
        Some(s) if s.starts_with("step:") => OnFailure::Step(s["step:".len()..].to_string()),
        Some(other) => {
            c.fail(
                format!("{path}.onFailure"),
                format!("{other:?} is not Abort, Continue or step:NAME"),
            );
            OnFailure::Abort
        }
    };
    let is_end = match m.get("isEnd") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) if s == "true" || s == "false" => s == "true",
        Some(_) => {
            c.fail(format!("{path}.isEnd"), "must be true or false");
            false
        }
    };
    let outputs = check_outputs(c, &path, m.get("outputs"));
    let inputs = m
        .get("inputs")
        .cloned()
        .unwrap_or(Value::Object(Map::new()));
    if !inputs.is_object() {
        c.fail(format!("{path}.inputs"), "must be a mapping");
    } else {
        for (field, rule) in inputs::check(action, &inputs) {
            c.fail(
                format!(
                    "{path}.inputs{}",
                    if field.is_empty() {
                        String::new()
                    } else {
                        format!(".{field}")
                    }
                ),
                rule,
            );
        }
    }
    Some(Step {
        name,
        action,
        description: m
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string),
        timeout_seconds,
        max_attempts,
        on_failure,
        is_end,
        next_step: m
            .get("nextStep")
            .and_then(Value::as_str)
            .map(str::to_string),
        outputs,
        inputs,
    })
}

fn check_outputs(c: &mut Checker<'_>, path: &str, v: Option<&Value>) -> Vec<OutputSpec> {
    let Some(v) = v else { return Vec::new() };
    let Some(list) = v.as_array() else {
        c.fail(
            format!("{path}.outputs"),
            "must be a list of {Name, Selector, Type}",
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (j, o) in list.iter().enumerate() {
        let p = format!("{path}.outputs[{j}]");
        let name = o.get("Name").and_then(Value::as_str);
        let selector = o.get("Selector").and_then(Value::as_str);
        let kind = o
            .get("Type")
            .and_then(Value::as_str)
            .and_then(ParamType::parse);
        match (name, selector, kind) {
            (Some(n), Some(s), Some(k)) => {
                if let Err(e) = subst::select(&Value::Null, s) {
                    c.fail(format!("{p}.Selector"), e);
                }
                out.push(OutputSpec { name: n.into(), selector: s.into(), kind: k });
            }
            _ => c.fail(p, "an output needs Name, Selector ($.…) and Type (String, StringList, Integer, Boolean, StringMap, MapList)"),
        }
    }
    out
}

/// Rules across steps: unique names, existing targets, resolvable references.
fn check_graph(c: &mut Checker<'_>, doc: &Document) {
    let mut seen = BTreeSet::new();
    for (i, s) in doc.main_steps.iter().enumerate() {
        if !seen.insert(s.name.as_str()) {
            c.fail(
                format!("mainSteps[{i}].name"),
                format!("duplicate step name {:?}", s.name),
            );
        }
    }
    let exists = |n: &str| doc.step_index(n).is_some();
    let mut outputs: BTreeSet<String> = BTreeSet::new();
    for s in &doc.main_steps {
        for o in &s.outputs {
            outputs.insert(format!("{}.{}", s.name, o.name));
        }
        if s.action == Action::ExecuteAutomation {
            for o in ["ExecutionId", "Status", "Output"] {
                outputs.insert(format!("{}.{o}", s.name));
            }
        }
    }
    for (i, s) in doc.main_steps.iter().enumerate() {
        let path = format!("mainSteps[{i}]");
        if let Some(n) = &s.next_step
            && !exists(n)
        {
            c.fail(format!("{path}.nextStep"), format!("no step named {n:?}"));
        }
        if let OnFailure::Step(n) = &s.on_failure
            && !exists(n)
        {
            c.fail(format!("{path}.onFailure"), format!("no step named {n:?}"));
        }
        if s.action == Action::Branch {
            for (field, target) in branch::targets(&s.inputs) {
                if !exists(&target) {
                    c.fail(
                        format!("{path}.inputs.{field}"),
                        format!("no step named {target:?}"),
                    );
                }
            }
        }
        let mut refs = Vec::new();
        subst::references_in(&s.inputs, &mut refs);
        for r in refs {
            let known = doc.parameters.contains_key(&r)
                || outputs.contains(&r)
                || r.starts_with("automation:")
                || r.starts_with("global:")
                || r.starts_with("INCIDENT.");
            if !known {
                c.fail(
                    format!("{path}.inputs"),
                    format!("{{{{ {r} }}}} names no parameter and no declared step output"),
                );
            }
        }
    }
    for (i, o) in doc.outputs.iter().enumerate() {
        if !outputs.contains(o) {
            c.fail(
                format!("outputs[{i}]"),
                format!("{o:?} is not a declared Step.Output"),
            );
        }
    }
}
