//! Validation errors that name the field and the rule, as an operator reading a dead letter or
//! an HTTP 400 needs them.

use std::fmt;

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field, in the wire's casing (`responsePlanArn`, `relatedItems[3].title`).
    pub field: String,
    /// The rule, in words (`must be between 1 and 5`).
    pub rule: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.rule)
    }
}

/// All broken rules of one input (never empty).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct ValidationError(pub Vec<FieldError>);

/// Collects broken rules.
#[derive(Debug, Default)]
pub struct Checker(Vec<FieldError>);

impl Checker {
    /// Records a broken rule unless `ok`.
    pub fn check(&mut self, ok: bool, field: impl Into<String>, rule: impl Into<String>) {
        if !ok {
            self.0.push(FieldError {
                field: field.into(),
                rule: rule.into(),
            });
        }
    }

    /// Checks a string's length in characters.
    pub fn length(&mut self, value: &str, field: impl Into<String>, min: usize, max: usize) {
        let n = value.chars().count();
        self.check(
            (min..=max).contains(&n),
            field,
            format!("length must be between {min} and {max} characters, got {n}"),
        );
    }

    /// Ok if nothing was broken.
    pub fn finish(self) -> Result<(), ValidationError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ValidationError(self.0))
        }
    }
}
