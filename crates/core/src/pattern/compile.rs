//! Pattern validation: JSON in, a checked [`Node`] tree out (then expanded into branches), or
//! the first broken rule with its path. The rules and their wording follow `aws/event-ruler`'s
//! `JsonRuleCompiler`, which is what EventBridge reports for an invalid pattern.

use serde_json::{Map, Number, Value};

use super::branches::{Node, NodeField, expand};
use super::matcher::{AnythingBut, Cidr, Matcher, Range, Wildcard};
use super::{Object, PatternError};

/// `numeric` operands are limited to ±5.0e9 (EventBridge User Guide, "Numeric matching").
pub(super) const NUMERIC_LIMIT: f64 = 5.0e9;

/// Operator names, which cannot be field names inside `$or` (event-ruler's reserved names).
const OPERATORS: &[&str] = &[
    "prefix",
    "suffix",
    "equals-ignore-case",
    "wildcard",
    "anything-but",
    "numeric",
    "exists",
    "cidr",
];

pub(super) type Result<T> = std::result::Result<T, PatternError>;

pub(super) fn invalid<T>(path: &str, rule: impl Into<String>) -> Result<T> {
    Err(PatternError::Invalid {
        path: if path.is_empty() {
            "pattern".into()
        } else {
            path.into()
        },
        rule: rule.into(),
    })
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// The whole pattern: a non-empty object, returned as its `$or`-free branches.
pub(super) fn pattern(value: &Value) -> Result<Vec<Object>> {
    let root = match value {
        Value::Object(map) => object(map, "", false)?,
        _ => return invalid("", "must be a JSON object"),
    };
    expand(&root)
}

fn object(map: &Map<String, Value>, path: &str, inside_or: bool) -> Result<Node> {
    if map.is_empty() {
        return invalid(path, "empty objects are not allowed");
    }
    let mut out = Node {
        fields: Vec::new(),
        any_of: Vec::new(),
    };
    for (name, value) in map {
        let here = join(path, name);
        if name == "$or" {
            out.any_of.push(or_group(value, &here)?);
            continue;
        }
        if inside_or && OPERATORS.contains(&name.as_str()) {
            return invalid(
                &here,
                format!("{name:?} is a reserved name and cannot be a field inside $or"),
            );
        }
        let field = match value {
            Value::Object(inner) => NodeField::Object(object(inner, &here, inside_or)?),
            Value::Array(items) => NodeField::Values(values(items, &here)?),
            _ => return invalid(&here, "must be an object or an array"),
        };
        out.fields.push((name.clone(), field));
    }
    Ok(out)
}

fn or_group(value: &Value, path: &str) -> Result<Vec<Node>> {
    let Value::Array(items) = value else {
        return invalid(path, "must be an array of objects");
    };
    if items.len() < 2 {
        return invalid(path, "must hold at least 2 objects");
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::Object(map) => object(map, &format!("{path}[{i}]"), true),
            _ => invalid(&format!("{path}[{i}]"), "must be an object"),
        })
        .collect()
}

fn values(items: &[Value], path: &str) -> Result<Vec<Matcher>> {
    if items.is_empty() {
        return invalid(path, "empty arrays are not allowed");
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let here = format!("{path}[{i}]");
            match item {
                Value::Object(map) => expression(map, &here),
                Value::Array(_) => invalid(
                    &here,
                    "match value must be a string, number, true, false, null or an object",
                ),
                scalar => Ok(Matcher::Exact(scalar.clone())),
            }
        })
        .collect()
}

/// A match expression: `{ "<operator>": <operand> }`.
fn expression(map: &Map<String, Value>, path: &str) -> Result<Matcher> {
    let mut entries = map.iter();
    let (Some((op, operand)), None) = (entries.next(), entries.next()) else {
        return invalid(path, "a match expression must have exactly one key");
    };
    let here = join(path, op);
    match op.as_str() {
        "prefix" => affix(operand, &here).map(|(s, ic)| Matcher::Prefix(s, ic)),
        "suffix" => affix(operand, &here).map(|(s, ic)| Matcher::Suffix(s, ic)),
        "equals-ignore-case" => {
            string(operand, &here).map(|s| Matcher::EqualsIgnoreCase(lower(&s)))
        }
        "wildcard" => wildcard(operand, &here).map(Matcher::Wildcard),
        "anything-but" => anything_but(operand, &here).map(Matcher::AnythingBut),
        "numeric" => numeric(operand, &here).map(Matcher::Numeric),
        "exists" => match operand {
            Value::Bool(b) => Ok(Matcher::Exists(*b)),
            _ => invalid(&here, "must be true or false"),
        },
        "cidr" => cidr(operand, &here).map(Matcher::Cidr),
        other => invalid(&here, format!("unrecognized match type {other:?}")),
    }
}

fn string(value: &Value, path: &str) -> Result<String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        _ => invalid(path, "must be a string"),
    }
}

pub(super) fn lower(s: &str) -> String {
    s.to_lowercase()
}

/// `prefix` / `suffix`: a string, or `{"equals-ignore-case": string}`. Returns the operand
/// (lower-cased when ignoring case) and whether case is ignored.
fn affix(value: &Value, path: &str) -> Result<(String, bool)> {
    match value {
        Value::String(s) => Ok((s.clone(), false)),
        Value::Object(map) => {
            let mut entries = map.iter();
            match (entries.next(), entries.next()) {
                (Some((k, v)), None) if k == "equals-ignore-case" => {
                    string(v, &join(path, k)).map(|s| (lower(&s), true))
                }
                _ => invalid(path, "must be a string or {\"equals-ignore-case\": string}"),
            }
        }
        _ => invalid(path, "must be a string or {\"equals-ignore-case\": string}"),
    }
}

fn wildcard(value: &Value, path: &str) -> Result<Wildcard> {
    let text = string(value, path)?;
    Wildcard::parse(&text).map_err(|rule| PatternError::Invalid {
        path: path.into(),
        rule,
    })
}

fn cidr(value: &Value, path: &str) -> Result<Cidr> {
    let text = string(value, path)?;
    Cidr::parse(&text).ok_or_else(|| PatternError::Invalid {
        path: path.into(),
        rule: format!("{text:?} is not an IPv4 or IPv6 CIDR block"),
    })
}

fn anything_but(value: &Value, path: &str) -> Result<AnythingBut> {
    match value {
        Value::String(s) => Ok(AnythingBut::Strings(vec![s.clone()])),
        Value::Number(n) => Ok(AnythingBut::Numbers(vec![number(n, path)?])),
        Value::Array(items) => {
            if items.iter().all(Value::is_string) && !items.is_empty() {
                Ok(AnythingBut::Strings(
                    items
                        .iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect(),
                ))
            } else if items.iter().all(Value::is_number) && !items.is_empty() {
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| match v {
                        Value::Number(n) => number(n, &format!("{path}[{i}]")),
                        _ => invalid(path, "must hold numbers only"),
                    })
                    .collect::<Result<_>>()
                    .map(AnythingBut::Numbers)
            } else {
                invalid(
                    path,
                    "a list must hold only strings or only numbers, and not be empty",
                )
            }
        }
        Value::Object(map) => {
            let mut entries = map.iter();
            let (Some((op, operand)), None) = (entries.next(), entries.next()) else {
                return invalid(path, "a nested expression must have exactly one key");
            };
            let here = join(path, op);
            let non_empty = |s: String| {
                if s.is_empty() {
                    invalid(&here, "must not be empty")
                } else {
                    Ok(s)
                }
            };
            match op.as_str() {
                "prefix" => non_empty(string(operand, &here)?).map(AnythingBut::Prefix),
                "suffix" => non_empty(string(operand, &here)?).map(AnythingBut::Suffix),
                "wildcard" => wildcard(operand, &here).map(AnythingBut::Wildcard),
                "equals-ignore-case" => match operand {
                    Value::String(s) => Ok(AnythingBut::IgnoreCase(vec![lower(s)])),
                    Value::Array(items) if !items.is_empty() => items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| string(v, &format!("{here}[{i}]")).map(|s| lower(&s)))
                        .collect::<Result<_>>()
                        .map(AnythingBut::IgnoreCase),
                    _ => invalid(&here, "must be a string or a non-empty list of strings"),
                },
                other => invalid(&here, format!("unsupported anything-but pattern {other:?}")),
            }
        }
        _ => invalid(
            path,
            "must be a string, a number, a list, or a nested expression",
        ),
    }
}

fn number(n: &Number, path: &str) -> Result<f64> {
    match n.as_f64() {
        Some(f) if (-NUMERIC_LIMIT..=NUMERIC_LIMIT).contains(&f) => Ok(f),
        _ => invalid(path, "numbers must be between -5.0e9 and 5.0e9"),
    }
}

/// `numeric`: `["=", x]`, `["<" | "<=", x]`, or `[">" | ">=", x]` optionally followed by
/// `"<" | "<=", y` with `x < y`.
fn numeric(value: &Value, path: &str) -> Result<Range> {
    let Value::Array(items) = value else {
        return invalid(path, "must be an array such as [\">\", 0, \"<=\", 5]");
    };
    let operand = |i: usize| match items.get(i) {
        Some(Value::Number(n)) => number(n, &format!("{path}[{i}]")),
        _ => invalid(&format!("{path}[{i}]"), "must be a number"),
    };
    let op = |i: usize| items.get(i).and_then(Value::as_str);
    let too_many = |n: usize| {
        if items.len() > n {
            invalid(path, "too many elements in numeric expression")
        } else {
            Ok(())
        }
    };
    let range = match op(0) {
        Some("=") => {
            let x = operand(1)?;
            too_many(2)?;
            Range::equal(x)
        }
        Some(o @ ("<" | "<=")) => {
            let x = operand(1)?;
            too_many(2)?;
            Range::below(x, o == "<=")
        }
        Some(o @ (">" | ">=")) => {
            let x = operand(1)?;
            let mut range = Range::above(x, o == ">=");
            if items.len() > 2 {
                let upper = match op(2) {
                    Some(u @ ("<" | "<=")) => u,
                    _ => return invalid(&format!("{path}[2]"), "must be \"<\" or \"<=\""),
                };
                let y = operand(3)?;
                too_many(4)?;
                if x >= y {
                    return invalid(path, "the lower bound must be below the upper bound");
                }
                range = range.with_upper(y, upper == "<=");
            }
            range
        }
        _ => {
            return invalid(
                &format!("{path}[0]"),
                "must be one of \"=\", \"<\", \"<=\", \">\", \">=\"",
            );
        }
    };
    Ok(range)
}

#[cfg(test)]
mod tests {
    use super::super::Pattern;
    use serde_json::json;

    fn error(v: serde_json::Value) -> String {
        Pattern::from_value(&v).unwrap_err().to_string()
    }

    #[test]
    fn errors_name_the_path_and_the_rule() {
        assert_eq!(error(json!([1])), "pattern: must be a JSON object");
        assert_eq!(error(json!({})), "pattern: empty objects are not allowed");
        assert_eq!(
            error(json!({"detail": {"state": "running"}})),
            "detail.state: must be an object or an array"
        );
        assert_eq!(error(json!({"a": []})), "a: empty arrays are not allowed");
        assert_eq!(
            error(json!({"a": [{"prefix": 5}]})),
            "a[0].prefix: must be a string or {\"equals-ignore-case\": string}"
        );
        assert_eq!(
            error(json!({"a": [{"prefix": "x", "suffix": "y"}]})),
            "a[0]: a match expression must have exactly one key"
        );
        assert_eq!(
            error(json!({"a": [{"regex": "x"}]})),
            "a[0].regex: unrecognized match type \"regex\""
        );
        assert_eq!(
            error(json!({"a": [{"anything-but": ["x", 1]}]})),
            "a[0].anything-but: a list must hold only strings or only numbers, and not be empty"
        );
        assert_eq!(
            error(json!({"a": [{"numeric": ["<", 5, ">", 1]}]})),
            "a[0].numeric: too many elements in numeric expression"
        );
        assert_eq!(
            error(json!({"a": [{"numeric": [">", 5, "<=", 1]}]})),
            "a[0].numeric: the lower bound must be below the upper bound"
        );
        assert_eq!(
            error(json!({"a": [{"numeric": [">", 6e9]}]})),
            "a[0].numeric[1]: numbers must be between -5.0e9 and 5.0e9"
        );
        assert_eq!(
            error(json!({"a": [{"wildcard": "a**b"}]})),
            "a[0].wildcard: consecutive wildcard characters are not allowed"
        );
        assert_eq!(
            error(json!({"$or": [{"a": [1]}]})),
            "$or: must hold at least 2 objects"
        );
        assert_eq!(
            error(json!({"$or": [{"a": [1]}, {"prefix": ["x"]}]})),
            "$or[1].prefix: \"prefix\" is a reserved name and cannot be a field inside $or"
        );
        assert_eq!(
            error(json!({"a": [{"exists": "yes"}]})),
            "a[0].exists: must be true or false"
        );
        assert_eq!(
            error(json!({"a": [{"cidr": "10.0.0.0/33"}]})),
            "a[0].cidr: \"10.0.0.0/33\" is not an IPv4 or IPv6 CIDR block"
        );
        assert!(
            Pattern::parse("{")
                .unwrap_err()
                .to_string()
                .starts_with("pattern is not valid JSON")
        );
    }
}
