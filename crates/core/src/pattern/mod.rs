//! EventBridge event patterns: parse and validate a pattern, then test events against it.
//!
//! Integrations route events to response plans with the same patterns EventBridge rules use, so
//! a pattern written for AWS works unchanged here. The semantics follow the EventBridge User
//! Guide ("Event patterns", "Comparison operators", "Arrays", "Null values") and, where the
//! guide is silent, the `aws/event-ruler` library EventBridge is built on:
//!
//! - every field named in the pattern must match (AND); the values listed for one field are
//!   alternatives (OR); `"$or": [ {..}, {..} ]` makes whole sub-patterns alternatives;
//! - a field matches when any of its leaf values in the event matches; an array in the event
//!   is searched element by element (nested arrays are flattened), and sub-patterns under one
//!   object must all match within the same array element ("array-consistent" matching);
//! - exact strings compare character by character; exact numbers compare by representation as
//!   the guide says (`300` ≠ `300.0`), but `numeric` and numeric `anything-but` compare values;
//! - `exists` looks at leaves only: a field holding an object does not "exist" for it; a
//!   sub-pattern made only of `exists: false` holds when no array element has the field;
//! - `anything-but` never matches a missing field, and matches any leaf it does not exclude;
//! - `prefix`, `suffix`, `equals-ignore-case`, `wildcard` and `cidr` only match strings.
//!
//! Known gap: numbers reach us as parsed JSON, so `300.0` and `3.0e2` (both floats) cannot be
//! told apart; they compare equal.

mod branches;
mod compile;
mod matcher;

use serde_json::Value;

use matcher::Matcher;

/// A validated event pattern: `$or` expanded into alternative branches, as event-ruler
/// compiles it, so an alternative is matched exactly as if it were a pattern of its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    branches: Vec<Object>,
}

/// One level of a branch: fields that must all match.
#[derive(Debug, Clone, PartialEq)]
struct Object {
    fields: Vec<(String, Field)>,
}

/// What a pattern says about one field of the event.
#[derive(Debug, Clone, PartialEq)]
enum Field {
    /// A list of alternative matchers for the field's leaf values.
    Values(Vec<Matcher>),
    /// A nested pattern for an object-valued field.
    Object(Object),
}

/// Why a pattern was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// The text is not JSON.
    #[error("pattern is not valid JSON: {0}")]
    Malformed(String),
    /// The JSON breaks a rule of the pattern syntax at `path`.
    #[error("{path}: {rule}")]
    Invalid {
        /// Where, e.g. `detail.c-count[0].numeric` (`pattern` for the whole document).
        path: String,
        /// The broken rule, in words.
        rule: String,
    },
}

impl Pattern {
    /// Parses and validates a pattern given as JSON text.
    pub fn parse(text: &str) -> Result<Self, PatternError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| PatternError::Malformed(e.to_string()))?;
        Self::from_value(&value)
    }

    /// Validates a pattern given as a parsed JSON value.
    pub fn from_value(value: &Value) -> Result<Self, PatternError> {
        compile::pattern(value).map(|branches| Self { branches })
    }

    /// Whether `event` matches this pattern.
    pub fn matches(&self, event: &Value) -> bool {
        self.branches.iter().any(|b| b.matches(Some(event)))
    }
}

/// Whether `event` matches `pattern` (see the module documentation for the rules).
pub fn matches(pattern: &Pattern, event: &Value) -> bool {
    pattern.matches(event)
}

// === impl Object ===

impl Object {
    /// `value` is the event node at this level; `None` when the event has no such node.
    fn matches(&self, value: Option<&Value>) -> bool {
        match value {
            // Array-consistent: every sub-pattern must hold within one element. A pattern that
            // only asks for absent fields has no element to anchor to, so a field present in any
            // element is present (as event-ruler counts it).
            Some(Value::Array(items)) => {
                let mut objects = Vec::new();
                collect_objects(items, &mut objects);
                if objects.is_empty() {
                    self.matches_object(None)
                } else if self.only_absence() {
                    objects.into_iter().all(|o| self.matches_object(Some(o)))
                } else {
                    objects.into_iter().any(|o| self.matches_object(Some(o)))
                }
            }
            other => self.matches_object(other),
        }
    }

    /// Whether every condition here is `exists: false`.
    fn only_absence(&self) -> bool {
        self.fields.iter().all(|(_, field)| match field {
            Field::Values(matchers) => matchers.iter().all(|m| *m == Matcher::Exists(false)),
            Field::Object(sub) => sub.only_absence(),
        })
    }

    fn matches_object(&self, value: Option<&Value>) -> bool {
        let child = |name: &str| value.and_then(|v| v.as_object()).and_then(|o| o.get(name));
        self.fields.iter().all(|(name, field)| match field {
            Field::Values(matchers) => matcher::any_matches(matchers, child(name)),
            Field::Object(sub) => sub.matches(child(name)),
        })
    }
}

/// The objects of an array, nested arrays flattened.
fn collect_objects<'a>(items: &'a [Value], out: &mut Vec<&'a Value>) {
    for item in items {
        match item {
            Value::Object(_) => out.push(item),
            Value::Array(inner) => collect_objects(inner, out),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(v: Value) -> Pattern {
        Pattern::from_value(&v).unwrap()
    }

    #[test]
    fn fields_are_and_values_are_or() {
        let pat = p(json!({"source": ["aws.ec2", "aws.fargate"], "detail": {"state": ["x"]}}));
        assert!(pat.matches(&json!({"source": "aws.fargate", "detail": {"state": "x"}})));
        assert!(!pat.matches(&json!({"source": "aws.fargate", "detail": {"state": "y"}})));
        assert!(!pat.matches(&json!({"source": "aws.s3", "detail": {"state": "x"}})));
        assert!(!pat.matches(&json!({"detail": {"state": "x"}})));
    }

    #[test]
    fn nested_patterns_need_nested_events() {
        let pat = p(json!({"detail": {"state": ["x"]}}));
        assert!(!pat.matches(&json!({"detail": "x"})));
        assert!(!pat.matches(&json!({"detail": {"state": {"x": 1}}})));
        assert!(!pat.matches(&json!("not an object")));
    }

    #[test]
    fn exists_false_matches_when_an_intermediate_node_is_missing_or_a_scalar() {
        let pat = p(json!({"detail": {"c": [{"exists": false}]}}));
        assert!(pat.matches(&json!({})));
        assert!(pat.matches(&json!({"detail": 5})));
        assert!(pat.matches(&json!({"detail": {"c": []}})));
        assert!(!pat.matches(&json!({"detail": {"c": null}})));
        assert!(!pat.matches(&json!({"detail": [{"c": 1}, {"d": 1}]})));
        assert!(pat.matches(&json!({"detail": [{"d": 1}, {"e": 1}]})));
        let anchored = p(json!({"detail": {"d": [1], "c": [{"exists": false}]}}));
        assert!(anchored.matches(&json!({"detail": [{"c": 1}, {"d": 1}]})));
        assert!(!anchored.matches(&json!({"detail": [{"c": 1, "d": 1}]})));
    }

    #[test]
    fn or_groups_combine_with_fields() {
        let pat = p(json!({
            "a": [1],
            "$or": [{"b": [2]}, {"c": [3], "$or": [{"d": [4]}, {"e": [5]}]}]
        }));
        assert!(pat.matches(&json!({"a": 1, "b": 2})));
        assert!(pat.matches(&json!({"a": 1, "c": 3, "e": 5})));
        assert!(!pat.matches(&json!({"a": 1, "c": 3})));
        assert!(!pat.matches(&json!({"b": 2})));
    }

    #[test]
    fn an_or_alternative_matches_as_a_pattern_of_its_own() {
        let pat = p(json!({"x": {"$or": [{"b": [{"exists": false}]}, {"c": [1]}]}}));
        let alt = p(json!({"x": {"b": [{"exists": false}]}}));
        let event = json!({"x": [{"b": 1}, {"d": 1}]});
        assert_eq!(pat.matches(&event), alt.matches(&event));
        assert!(!pat.matches(&event));
        assert!(pat.matches(&json!({"x": [{"b": 1}, {"c": 1}]})));
    }
}
