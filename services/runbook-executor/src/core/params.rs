//! Parameters of an execution: the values given (static values of the response plan, or a
//! person's input), the dynamic values of the incident, and the declared defaults, checked
//! against each declaration (type, allowed values, allowed pattern).
//!
//! Response plans carry static values as lists of strings (`map<string, string[]>`); a
//! declaration's type says how to read them. Dynamic values fill only the types the spec
//! allows: `INCIDENT_RECORD_ARN` a `String`, `INVOLVED_RESOURCES` a `StringList`; any other
//! pairing fails the execution with that reason.

use std::collections::BTreeMap;

use serde_json::Value;

use super::document::{Document, ParamSpec, ParamType};

/// What the incident offers to dynamic parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentFacts {
    /// The incident record ARN.
    pub arn: String,
    /// ARNs of its `INVOLVED_RESOURCE` related items.
    pub involved_resources: Vec<String>,
}

/// Converts a given value to a declared type and checks the declaration's limits.
pub fn coerce(value: &Value, spec: &ParamSpec) -> Result<Value, String> {
    let single = |v: &Value| -> Result<Value, String> {
        match v {
            Value::Array(a) if a.len() == 1 => Ok(a[0].clone()),
            Value::Array(a) => Err(format!("one value expected, got {}", a.len())),
            other => Ok(other.clone()),
        }
    };
    let parsed_json = |v: Value| -> Value {
        match &v {
            Value::String(s) => serde_json::from_str(s).unwrap_or(v),
            _ => v,
        }
    };
    let out = match spec.kind {
        ParamType::String => match single(value)? {
            Value::String(s) => Value::String(s),
            v @ (Value::Number(_) | Value::Bool(_)) => Value::String(v.to_string()),
            v => return Err(format!("{v} is not text")),
        },
        ParamType::Integer => match single(value)? {
            Value::Number(n) if n.is_i64() => Value::Number(n),
            Value::String(s) => s
                .trim()
                .parse::<i64>()
                .map_err(|_| format!("{s:?} is not a whole number"))?
                .into(),
            v => return Err(format!("{v} is not a whole number")),
        },
        ParamType::Boolean => match single(value)? {
            Value::Bool(b) => Value::Bool(b),
            Value::String(s) if s == "true" || s == "false" => Value::Bool(s == "true"),
            v => return Err(format!("{v} is not true or false")),
        },
        ParamType::StringList => match value {
            Value::Array(a) => Value::Array(
                a.iter()
                    .map(|v| match v {
                        Value::String(_) => Ok(v.clone()),
                        Value::Number(_) | Value::Bool(_) => Ok(Value::String(v.to_string())),
                        other => Err(format!("{other} is not text")),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Value::String(s) => Value::Array(vec![Value::String(s.clone())]),
            v => return Err(format!("{v} is not a list of text")),
        },
        ParamType::StringMap => match parsed_json(single(value)?) {
            v @ Value::Object(_) => v,
            v => return Err(format!("{v} is not a map")),
        },
        ParamType::MapList => {
            let v = match value {
                Value::Array(a) if a.iter().all(Value::is_object) => value.clone(),
                other => parsed_json(single(other)?),
            };
            match v {
                Value::Array(a) if a.iter().all(Value::is_object) => Value::Array(a),
                v => return Err(format!("{v} is not a list of maps")),
            }
        }
    };
    check_limits(&out, spec)?;
    Ok(out)
}

fn check_limits(value: &Value, spec: &ParamSpec) -> Result<(), String> {
    let items: Vec<&Value> = match value {
        Value::Array(a) if spec.kind == ParamType::StringList => a.iter().collect(),
        other => vec![other],
    };
    for v in items {
        if !spec.allowed_values.is_empty() && !spec.allowed_values.iter().any(|a| same(a, v)) {
            return Err(format!("{v} is not one of the allowed values"));
        }
        if let (Some(p), Value::String(s)) = (&spec.allowed_pattern, v) {
            let re = regex::Regex::new(&format!("^(?:{p})$"))
                .map_err(|_| format!("allowedPattern {p:?} is invalid"))?;
            if !re.is_match(s) {
                return Err(format!("{s:?} does not match the allowed pattern {p:?}"));
            }
        }
    }
    Ok(())
}

/// Equal, a number or boolean also matching its text (`"1"` allows `1`).
#[allow(clippy::cmp_owned)]
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), y) | (y, Value::String(x)) if !y.is_string() => *x == y.to_string(),
        _ => a == b,
    }
}

/// The parameters of an execution, or why it cannot run.
pub fn resolve(
    doc: &Document,
    given: &BTreeMap<String, Value>,
    dynamic: &BTreeMap<String, String>,
    incident: Option<&IncidentFacts>,
) -> Result<BTreeMap<String, Value>, String> {
    let mut out = BTreeMap::new();
    for name in given.keys().chain(dynamic.keys()) {
        if !doc.parameters.contains_key(name) {
            return Err(format!(
                "parameter {name:?} is not declared by the document"
            ));
        }
    }
    for (name, spec) in &doc.parameters {
        let value = if let Some(variable) = dynamic.get(name) {
            dynamic_value(name, spec, variable, incident)?
        } else if let Some(v) = given.get(name) {
            v.clone()
        } else if let Some(d) = &spec.default {
            d.clone()
        } else {
            return Err(format!("parameter {name:?} is required and has no value"));
        };
        let v = coerce(&value, spec).map_err(|e| format!("parameter {name:?}: {e}"))?;
        out.insert(name.clone(), v);
    }
    Ok(out)
}

fn dynamic_value(
    name: &str,
    spec: &ParamSpec,
    variable: &str,
    incident: Option<&IncidentFacts>,
) -> Result<Value, String> {
    let facts =
        incident.ok_or_else(|| format!("parameter {name:?}: {variable} needs an incident"))?;
    match (variable, spec.kind) {
        ("INCIDENT_RECORD_ARN", ParamType::String) => Ok(Value::String(facts.arn.clone())),
        ("INVOLVED_RESOURCES", ParamType::StringList) => Ok(Value::Array(
            facts
                .involved_resources
                .iter()
                .map(|a| Value::String(a.clone()))
                .collect(),
        )),
        ("INCIDENT_RECORD_ARN", kind) => Err(format!(
            "parameter {name:?} is {kind:?}: INCIDENT_RECORD_ARN can fill only a String parameter"
        )),
        ("INVOLVED_RESOURCES", kind) => Err(format!(
            "parameter {name:?} is {kind:?}: INVOLVED_RESOURCES can fill only a StringList parameter"
        )),
        (other, _) => Err(format!(
            "parameter {name:?}: unknown dynamic variable {other:?} (INCIDENT_RECORD_ARN, INVOLVED_RESOURCES)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(kind: ParamType) -> ParamSpec {
        ParamSpec {
            kind,
            description: None,
            default: None,
            allowed_values: vec![],
            allowed_pattern: None,
        }
    }

    #[test]
    fn plan_values_are_read_by_declared_type() {
        let table = [
            (ParamType::String, json!(["web"]), Ok(json!("web"))),
            (ParamType::String, json!(["a", "b"]), Err(())),
            (ParamType::Integer, json!(["42"]), Ok(json!(42))),
            (ParamType::Boolean, json!(["true"]), Ok(json!(true))),
            (
                ParamType::StringList,
                json!(["a", "b"]),
                Ok(json!(["a", "b"])),
            ),
            (
                ParamType::StringMap,
                json!(["{\"k\":\"v\"}"]),
                Ok(json!({"k": "v"})),
            ),
            (ParamType::MapList, json!([{"a": 1}]), Ok(json!([{"a": 1}]))),
            (ParamType::Integer, json!("x"), Err(())),
        ];
        for (kind, given, want) in table {
            let got = coerce(&given, &spec(kind)).map_err(|_| ());
            assert_eq!(got, want, "{kind:?} {given}");
        }
    }

    #[test]
    fn allowed_values_and_patterns() {
        let mut s = spec(ParamType::String);
        s.allowed_values = vec![json!("a"), json!("b")];
        assert!(coerce(&json!("a"), &s).is_ok());
        assert!(coerce(&json!("c"), &s).is_err());
        let mut p = spec(ParamType::StringList);
        p.allowed_pattern = Some("i-[0-9a-f]+".into());
        assert!(coerce(&json!(["i-0ab"]), &p).is_ok());
        assert!(coerce(&json!(["i-0ab", "x-1"]), &p).is_err());
    }

    #[test]
    fn dynamic_parameters_fill_only_their_type() {
        let doc = |kind| Document {
            description: None,
            schema_version: "0.3".into(),
            assume_role: None,
            parameters: [("P".to_string(), spec(kind))].into(),
            main_steps: vec![],
            outputs: vec![],
        };
        let facts = IncidentFacts {
            arn: "arn:i".into(),
            involved_resources: vec!["arn:r1".into()],
        };
        let dynamic = |v: &str| [("P".to_string(), v.to_string())].into();
        let table = [
            (
                ParamType::String,
                "INCIDENT_RECORD_ARN",
                Some(json!("arn:i")),
            ),
            (
                ParamType::StringList,
                "INVOLVED_RESOURCES",
                Some(json!(["arn:r1"])),
            ),
            (ParamType::StringList, "INCIDENT_RECORD_ARN", None),
            (ParamType::String, "INVOLVED_RESOURCES", None),
        ];
        for (kind, var, want) in table {
            let got = resolve(&doc(kind), &BTreeMap::new(), &dynamic(var), Some(&facts));
            match want {
                Some(v) => assert_eq!(got.unwrap()["P"], v),
                None => assert!(got.unwrap_err().contains("can fill only"), "{kind:?} {var}"),
            }
        }
    }
}
