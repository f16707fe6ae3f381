//! `aws:branch`: the first choice whose condition holds names the next step, else `Default`.
//! Conditions compare a `Variable` (a substituted step output or parameter) with one operator,
//! or combine conditions with `And`, `Or`, `Not`, as SSM documents write them.

use serde_json::Value;

const OPERATORS: [&str; 11] = [
    "StringEquals",
    "EqualsIgnoreCase",
    "StartsWith",
    "EndsWith",
    "Contains",
    "NumericEquals",
    "NumericGreater",
    "NumericLesser",
    "NumericGreaterOrEquals",
    "NumericLesserOrEquals",
    "BooleanEquals",
];

/// Every step a branch can go to, with the input field naming it.
pub fn targets(inputs: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(choices) = inputs.get("Choices").and_then(Value::as_array) {
        for (i, c) in choices.iter().enumerate() {
            if let Some(n) = c.get("NextStep").and_then(Value::as_str) {
                out.push((format!("Choices[{i}].NextStep"), n.to_string()));
            }
        }
    }
    if let Some(d) = inputs.get("Default").and_then(Value::as_str) {
        out.push(("Default".into(), d.to_string()));
    }
    out
}

/// Registration rules of a branch's inputs: `(field, rule)` for each broken one.
pub fn check(inputs: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(choices) = inputs.get("Choices").and_then(Value::as_array) else {
        return vec![("Choices".into(), "required: a list of choices".into())];
    };
    for (i, c) in choices.iter().enumerate() {
        if c.get("NextStep").and_then(Value::as_str).is_none() {
            out.push((
                format!("Choices[{i}].NextStep"),
                "required: a step name".into(),
            ));
        }
        if let Err(e) = check_condition(c) {
            out.push((format!("Choices[{i}]"), e));
        }
    }
    out
}

fn check_condition(c: &Value) -> Result<(), String> {
    for combinator in ["And", "Or"] {
        if let Some(list) = c.get(combinator) {
            let list = list
                .as_array()
                .ok_or_else(|| format!("{combinator} must be a list of conditions"))?;
            return list.iter().try_for_each(check_condition);
        }
    }
    if let Some(inner) = c.get("Not") {
        let inner = inner.as_array().and_then(|a| a.first()).unwrap_or(inner);
        return check_condition(inner);
    }
    if c.get("Variable").is_none() {
        return Err("a condition needs Variable and one operator, or And/Or/Not".into());
    }
    let ops: Vec<&str> = OPERATORS
        .iter()
        .copied()
        .filter(|o| c.get(*o).is_some())
        .collect();
    if ops.len() != 1 {
        return Err(format!(
            "a condition needs exactly one operator of {}",
            OPERATORS.join(", ")
        ));
    }
    Ok(())
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn number(v: &Value) -> Option<f64> {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// Evaluates one (substituted) condition.
pub fn holds(c: &Value) -> Result<bool, String> {
    if let Some(list) = c.get("And").and_then(Value::as_array) {
        for x in list {
            if !holds(x)? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    if let Some(list) = c.get("Or").and_then(Value::as_array) {
        for x in list {
            if holds(x)? {
                return Ok(true);
            }
        }
        return Ok(false);
    }
    if let Some(inner) = c.get("Not") {
        let inner = inner.as_array().and_then(|a| a.first()).unwrap_or(inner);
        return Ok(!holds(inner)?);
    }
    let var = c.get("Variable").ok_or("a condition without Variable")?;
    let (op, want) = OPERATORS
        .iter()
        .find_map(|o| c.get(*o).map(|w| (*o, w)))
        .ok_or("a condition without operator")?;
    let numeric = |f: fn(f64, f64) -> bool| match (number(var), number(want)) {
        (Some(a), Some(b)) => Ok(f(a, b)),
        _ => Err(format!("{op}: {var} or {want} is not a number")),
    };
    match op {
        "StringEquals" => Ok(text(var) == text(want)),
        "EqualsIgnoreCase" => Ok(text(var).eq_ignore_ascii_case(&text(want))),
        "StartsWith" => Ok(text(var).starts_with(&text(want))),
        "EndsWith" => Ok(text(var).ends_with(&text(want))),
        "Contains" => Ok(match var {
            Value::Array(a) => a.iter().any(|x| text(x) == text(want)),
            _ => text(var).contains(&text(want)),
        }),
        "NumericEquals" => numeric(|a, b| a == b),
        "NumericGreater" => numeric(|a, b| a > b),
        "NumericLesser" => numeric(|a, b| a < b),
        "NumericGreaterOrEquals" => numeric(|a, b| a >= b),
        "NumericLesserOrEquals" => numeric(|a, b| a <= b),
        _ => Ok(text(var) == text(want)),
    }
}

/// The step a (substituted) branch goes to; `None` when no choice holds and there is no
/// `Default`.
pub fn choose(inputs: &Value) -> Result<Option<String>, String> {
    for c in inputs
        .get("Choices")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if holds(c)? {
            return Ok(c
                .get("NextStep")
                .and_then(Value::as_str)
                .map(str::to_string));
        }
    }
    Ok(inputs
        .get("Default")
        .and_then(Value::as_str)
        .map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn choices_are_tried_in_order_then_default() {
        let table = [
            (json!("Windows"), Some("Win")),
            (json!("windows"), Some("Lower")),
            (json!("Linux"), Some("Other")),
        ];
        for (platform, want) in table {
            let inputs = json!({
                "Choices": [
                    {"NextStep": "Win", "Variable": platform, "StringEquals": "Windows"},
                    {"NextStep": "Lower", "Variable": platform, "EqualsIgnoreCase": "WINDOWS"},
                ],
                "Default": "Other"
            });
            assert_eq!(choose(&inputs).unwrap().as_deref(), want, "{platform}");
        }
    }

    #[test]
    fn numeric_and_combinators() {
        let c = json!({"And": [
            {"Variable": "5", "NumericGreater": 3},
            {"Not": [{"Variable": 1, "NumericEquals": 2}]},
            {"Or": [{"Variable": true, "BooleanEquals": false}, {"Variable": "abc", "Contains": "b"}]}
        ]});
        assert!(holds(&c).unwrap());
        assert!(holds(&json!({"Variable": "x", "NumericLesser": 1})).is_err());
        assert_eq!(choose(&json!({"Choices": []})).unwrap(), None);
    }

    #[test]
    fn registration_rules() {
        let bad = json!({"Choices": [{"NextStep": "a", "Variable": "x"}]});
        assert_eq!(check(&bad).len(), 1);
        assert!(check(&json!({})).len() == 1);
        let ok = json!({"Choices": [{"NextStep": "a", "Variable": "x", "StringEquals": "y"}], "Default": "b"});
        assert!(check(&ok).is_empty());
        assert_eq!(targets(&ok).len(), 2);
    }
}
