//! Request validation driven by the official `ssm-contacts` service model (embedded as
//! published): an operation's input shape is walked with the request JSON, checking required
//! members, types, string and collection lengths, patterns, integer ranges and enums. Field
//! names in errors are the wire's (`Plan.Stages[0].DurationInMinutes`, `ShiftCoverages.MON`).
//!
//! Semantics as Smithy defines them: a string's length counts Unicode scalar values; a pattern
//! is matched anywhere in the value unless anchored (the model anchors most of its own);
//! members the model does not know are ignored; `null` is absent. A value of the wrong JSON type
//! is `CANNOT_PARSE`, anything else `FIELD_VALIDATION_FAILED`.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

use super::error::ContactsError;

/// The published model (`ssm-contacts.service-2.json`, API version 2021-05-03).
const MODEL_JSON: &str = include_str!("ssm-contacts.service-2.json");

struct Model {
    shapes: Map<String, Value>,
    /// Operation name → input shape name.
    inputs: HashMap<String, String>,
    /// Pattern → compiled.
    patterns: HashMap<String, Regex>,
}

static MODEL: LazyLock<Model> = LazyLock::new(|| {
    let root: Value = serde_json::from_str(MODEL_JSON).expect("the embedded model is JSON");
    let shapes = root["shapes"].as_object().cloned().unwrap_or_default();
    let inputs = root["operations"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(name, op)| Some((name.clone(), op["input"]["shape"].as_str()?.to_string())))
        .collect();
    let patterns = shapes
        .values()
        .filter_map(|s| s["pattern"].as_str())
        .map(|p| {
            (
                p.to_string(),
                Regex::new(p).expect("the model's patterns compile"),
            )
        })
        .collect();
    Model {
        shapes,
        inputs,
        patterns,
    }
});

/// The input shape of operation `op`, if the model has it.
pub fn input_shape(op: &str) -> Option<&'static str> {
    MODEL.inputs.get(op).map(String::as_str)
}

/// The number of operations of the model.
#[cfg(test)]
pub fn operation_count() -> usize {
    MODEL.inputs.len()
}

/// Checks `input` against the shape `shape`; every broken rule is listed.
pub fn validate(shape: &str, input: &Value) -> Result<(), ContactsError> {
    let mut w = Walk::default();
    w.shape(shape, input, "");
    if let Some(message) = w.unparsable.first() {
        return Err(ContactsError::cannot_parse(message.clone()));
    }
    if w.broken.is_empty() {
        Ok(())
    } else {
        Err(ContactsError::validation(
            "FIELD_VALIDATION_FAILED",
            w.broken,
        ))
    }
}

#[derive(Default)]
struct Walk {
    broken: Vec<(String, String)>,
    unparsable: Vec<String>,
}

fn join(path: &str, member: &str) -> String {
    if path.is_empty() {
        member.to_string()
    } else {
        format!("{path}.{member}")
    }
}

impl Walk {
    fn fail(&mut self, path: &str, rule: String) {
        self.broken.push((path.to_string(), rule));
    }

    fn wrong_type(&mut self, path: &str, wanted: &str) {
        let at = if path.is_empty() {
            "request body"
        } else {
            path
        };
        self.unparsable.push(format!("{at}: must be {wanted}"));
    }

    fn shape(&mut self, name: &str, v: &Value, path: &str) {
        let Some(s) = MODEL.shapes.get(name) else {
            return;
        };
        let n = |k: &str| s[k].as_i64();
        match s["type"].as_str().unwrap_or_default() {
            "structure" => {
                let Some(obj) = v.as_object() else {
                    return self.wrong_type(path, "a JSON object");
                };
                for r in s["required"].as_array().into_iter().flatten() {
                    let r = r.as_str().unwrap_or_default();
                    if obj.get(r).is_none_or(Value::is_null) {
                        self.fail(&join(path, r), "is required".into());
                    }
                }
                let members = s["members"].as_object().cloned().unwrap_or_default();
                for (k, mv) in obj {
                    if let Some(m) = members.get(k).filter(|_| !mv.is_null()) {
                        let shape = m["shape"].as_str().unwrap_or_default();
                        self.shape(shape, mv, &join(path, k));
                    }
                }
            }
            "string" => {
                let Some(text) = v.as_str() else {
                    return self.wrong_type(path, "a string");
                };
                if let Some(values) = s["enum"].as_array() {
                    if !values.iter().any(|e| e.as_str() == Some(text)) {
                        let names: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
                        self.fail(
                            path,
                            format!("must be one of {}, got {text:?}", names.join(", ")),
                        );
                    }
                    return;
                }
                let len = text.chars().count() as i64;
                self.range(path, len, n("min"), n("max"), "length", " characters");
                if let Some(p) = s["pattern"].as_str()
                    && MODEL.patterns.get(p).is_some_and(|re| !re.is_match(text))
                {
                    self.fail(path, format!("must match the pattern {p}"));
                }
            }
            "integer" | "long" => {
                let Some(i) = v.as_i64() else {
                    return self.wrong_type(path, "an integer");
                };
                self.range(path, i, n("min"), n("max"), "value", "");
            }
            "boolean" if !v.is_boolean() => self.wrong_type(path, "true or false"),
            "timestamp" if !v.is_number() => self.wrong_type(path, "a timestamp in epoch seconds"),
            "list" => {
                let Some(items) = v.as_array() else {
                    return self.wrong_type(path, "a JSON array");
                };
                self.range(
                    path,
                    items.len() as i64,
                    n("min"),
                    n("max"),
                    "size",
                    " items",
                );
                let member = s["member"]["shape"].as_str().unwrap_or_default();
                for (i, item) in items.iter().enumerate() {
                    self.shape(member, item, &format!("{path}[{i}]"));
                }
            }
            "map" => {
                let Some(obj) = v.as_object() else {
                    return self.wrong_type(path, "a JSON object");
                };
                self.range(
                    path,
                    obj.len() as i64,
                    n("min"),
                    n("max"),
                    "size",
                    " entries",
                );
                let key = s["key"]["shape"].as_str().unwrap_or_default();
                let value = s["value"]["shape"].as_str().unwrap_or_default();
                for (k, item) in obj {
                    let at = join(path, k);
                    self.shape(key, &Value::String(k.clone()), &at);
                    self.shape(value, item, &at);
                }
            }
            _ => {}
        }
    }

    fn range(
        &mut self,
        path: &str,
        x: i64,
        min: Option<i64>,
        max: Option<i64>,
        what: &str,
        unit: &str,
    ) {
        let ok = min.is_none_or(|m| x >= m) && max.is_none_or(|m| x <= m);
        if !ok {
            let bounds = match (min, max) {
                (Some(a), Some(b)) => format!("between {a} and {b}"),
                (Some(a), None) => format!("at least {a}"),
                (None, Some(b)) => format!("at most {b}"),
                (None, None) => String::new(),
            };
            self.fail(path, format!("{what} must be {bounds}{unit}, got {x}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_model_has_every_operation_and_its_patterns_compile() {
        assert_eq!(operation_count(), super::super::OPERATIONS);
        assert!(!MODEL.patterns.is_empty());
    }

    fn broken(shape: &str, v: Value) -> Vec<(String, String)> {
        let mut w = Walk::default();
        w.shape(shape, &v, "");
        w.broken
    }

    #[test]
    fn required_lengths_patterns_ranges_and_enums_are_checked() {
        let b = broken(
            "CreateContactRequest",
            json!({
                "Alias": "Bad Alias",
                "Type": "PERSON",
                "Plan": { "Stages": [{ "DurationInMinutes": 31, "Targets": [] }] }
            }),
        );
        let fields: Vec<&str> = b.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            ["Alias", "Plan.Stages[0].DurationInMinutes", "Type"],
            "{b:?}"
        );
        let b = broken("CreateContactRequest", json!({}));
        assert_eq!(b.len(), 3, "{b:?}");
        assert!(b.iter().all(|(_, r)| r == "is required"));
    }

    #[test]
    fn maps_lists_and_wrong_types() {
        let b = broken(
            "ListPreviewRotationShiftsRequest",
            json!({
                "EndTime": 1.5,
                "Members": [],
                "TimeZoneId": "UTC",
                "Recurrence": {
                    "NumberOfOnCalls": 0,
                    "RecurrenceMultiplier": 1,
                    "ShiftCoverages": { "MOON": [] }
                }
            }),
        );
        let fields: Vec<&str> = b.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "Members",
                "Recurrence.NumberOfOnCalls",
                "Recurrence.ShiftCoverages.MOON"
            ],
            "{b:?}"
        );
        let e = validate("GetContactRequest", &json!({ "ContactId": 7 })).unwrap_err();
        assert_eq!(e.code(), "ValidationException");
    }
}
