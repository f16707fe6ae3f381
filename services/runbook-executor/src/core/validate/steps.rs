//! `mainSteps`: each step's action, inputs, outputs and flow fields, then the graph of
//! `nextStep`, `onFailure` and branch targets.

use super::*;

pub(super) fn check_step(c: &mut Checker<'_>, i: usize, s: &Value) -> Option<Step> {
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

pub(super) fn check_outputs(c: &mut Checker<'_>, path: &str, v: Option<&Value>) -> Vec<OutputSpec> {
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
pub(super) fn check_graph(c: &mut Checker<'_>, doc: &Document) {
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
