//! `{{ Name }}` substitution and output selectors.
//!
//! A string that is exactly one reference takes the referenced value with its type (a
//! `StringList` stays a list); a reference inside longer text is interpolated as text. Names
//! are parameters, `Step.Output` values of earlier steps, and the built-ins
//! `automation:EXECUTION_ID` and `INCIDENT.*` (title, ARN, id, impact) when known.
//!
//! Selectors are the JSONPath subset SSM documents use: `$`, `.key`, `['key']`, `[n]`.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use super::document::ParamType;

static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\{\{\s*([A-Za-z0-9_.:\-]+)\s*\}\}").unwrap_or_else(|_| unreachable!())
});

/// The names referenced in a string.
pub fn references(text: &str) -> Vec<String> {
    REFERENCE
        .captures_iter(text)
        .map(|c| c[1].to_string())
        .collect()
}

/// Every name referenced anywhere in a JSON value.
pub fn references_in(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.extend(references(s)),
        Value::Array(a) => a.iter().for_each(|v| references_in(v, out)),
        Value::Object(m) => m.values().for_each(|v| references_in(v, out)),
        _ => {}
    }
}

/// Replaces references in `value` with the values in `vars`; fails naming the first unknown.
pub fn substitute(value: &Value, vars: &BTreeMap<String, Value>) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => substitute_str(s, vars)?,
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|v| substitute(v, vars))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| Ok((k.clone(), substitute(v, vars)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

fn lookup<'a>(name: &str, vars: &'a BTreeMap<String, Value>) -> Result<&'a Value, String> {
    vars.get(name).ok_or_else(|| {
        format!("{{{{ {name} }}}} has no value (unknown name, or its step produced no such output)")
    })
}

fn substitute_str(s: &str, vars: &BTreeMap<String, Value>) -> Result<Value, String> {
    if let Some(c) = REFERENCE.captures(s)
        && c.get(0).map(|m| m.as_str().len()) == Some(s.len())
    {
        return Ok(lookup(&c[1], vars)?.clone());
    }
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for c in REFERENCE.captures_iter(s) {
        let Some(m) = c.get(0) else { continue };
        out.push_str(&s[last..m.start()]);
        match lookup(&c[1], vars)? {
            Value::String(t) => out.push_str(t),
            other => out.push_str(&other.to_string()),
        }
        last = m.end();
    }
    out.push_str(&s[last..]);
    Ok(Value::String(out))
}

/// Evaluates a selector against `root`; `None` when the path does not exist.
pub fn select<'a>(root: &'a Value, selector: &str) -> Result<Option<&'a Value>, String> {
    let rest = selector
        .trim()
        .strip_prefix('$')
        .ok_or_else(|| format!("selector {selector:?} must start with $"))?;
    let mut cur = root;
    let mut chars = rest;
    while !chars.is_empty() {
        let (next, tail) = if let Some(r) = chars.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            if end == 0 {
                return Err(format!("selector {selector:?}: empty key"));
            }
            (cur.get(&r[..end]), &r[end..])
        } else if let Some(r) = chars.strip_prefix('[') {
            let close = r
                .find(']')
                .ok_or_else(|| format!("selector {selector:?}: unclosed ["))?;
            let inner = r[..close].trim();
            let quoted = inner.trim_matches('\'').trim_matches('"');
            let v = match inner.parse::<usize>() {
                Ok(n) => cur.get(n),
                Err(_) if quoted != inner => cur.get(quoted),
                Err(_) => return Err(format!("selector {selector:?}: bad index [{inner}]")),
            };
            (v, &r[close + 1..])
        } else {
            return Err(format!(
                "selector {selector:?}: expected . or [ at {chars:?}"
            ));
        };
        match next {
            Some(v) => cur = v,
            None => return Ok(None),
        }
        chars = tail;
    }
    Ok(Some(cur))
}

/// Checks a selected value against an output type, converting scalars as SSM does.
pub fn coerce_output(value: &Value, kind: ParamType) -> Result<Value, String> {
    let bad = || format!("{value} is not a {kind:?}");
    Ok(match kind {
        ParamType::String => match value {
            Value::String(_) => value.clone(),
            Value::Number(n) => Value::String(n.to_string()),
            Value::Bool(b) => Value::String(b.to_string()),
            _ => return Err(bad()),
        },
        ParamType::Integer => match value {
            Value::Number(n) if n.is_i64() => value.clone(),
            Value::String(s) => s.trim().parse::<i64>().map_err(|_| bad())?.into(),
            _ => return Err(bad()),
        },
        ParamType::Boolean => match value {
            Value::Bool(_) => value.clone(),
            Value::String(s) if s == "true" || s == "false" => Value::Bool(s == "true"),
            _ => return Err(bad()),
        },
        ParamType::StringList => match value {
            Value::Array(a) if a.iter().all(Value::is_string) => value.clone(),
            Value::Array(a) => Value::Array(
                a.iter()
                    .map(|v| match v {
                        Value::String(_) => Ok(v.clone()),
                        Value::Number(_) | Value::Bool(_) => Ok(Value::String(v.to_string())),
                        _ => Err(bad()),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            _ => return Err(bad()),
        },
        ParamType::StringMap => match value {
            Value::Object(_) => value.clone(),
            _ => return Err(bad()),
        },
        ParamType::MapList => match value {
            Value::Array(a) if a.iter().all(Value::is_object) => value.clone(),
            _ => return Err(bad()),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars() -> BTreeMap<String, Value> {
        [
            ("Name".to_string(), json!("web")),
            ("Ids".to_string(), json!(["i-1", "i-2"])),
            ("Step.Count".to_string(), json!(3)),
        ]
        .into()
    }

    #[test]
    fn whole_references_keep_their_type_and_text_interpolates() {
        let cases = [
            (json!("{{ Ids }}"), json!(["i-1", "i-2"])),
            (json!("{{Step.Count}}"), json!(3)),
            (json!("svc-{{ Name }}-{{ Step.Count }}"), json!("svc-web-3")),
            (json!({"a": ["{{ Name }}", 1]}), json!({"a": ["web", 1]})),
            (json!("no refs"), json!("no refs")),
        ];
        for (input, want) in cases {
            assert_eq!(substitute(&input, &vars()).unwrap(), want, "{input}");
        }
        let err = substitute(&json!("{{ Missing.Out }}"), &vars()).unwrap_err();
        assert!(err.contains("Missing.Out"), "{err}");
    }

    #[test]
    fn selectors_walk_keys_and_indices() {
        let root = json!({"Payload": {"a": [{"b": 1}], "x y": 2}});
        let cases = [
            ("$.Payload.a[0].b", Some(json!(1))),
            ("$.Payload['x y']", Some(json!(2))),
            ("$.Payload.a[3]", None),
            ("$.Payload.nope.deeper", None),
            ("$", Some(root.clone())),
        ];
        for (sel, want) in cases {
            assert_eq!(select(&root, sel).unwrap().cloned(), want, "{sel}");
        }
        assert!(select(&root, "Payload").is_err());
    }

    #[test]
    fn outputs_are_coerced_or_rejected() {
        assert_eq!(
            coerce_output(&json!(5), ParamType::String).unwrap(),
            json!("5")
        );
        assert_eq!(
            coerce_output(&json!("7"), ParamType::Integer).unwrap(),
            json!(7)
        );
        assert!(coerce_output(&json!({"a": 1}), ParamType::String).is_err());
        assert!(coerce_output(&json!("x"), ParamType::StringList).is_err());
    }
}
