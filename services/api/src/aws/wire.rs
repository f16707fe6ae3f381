//! restJson1 wire helpers: request bodies, epoch-second timestamps, filters and opaque
//! pagination tokens.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::error::AwsError;

/// Largest page (`MaxResults` of the model: 1–100).
pub const MAX_RESULTS: usize = 100;

/// Parses a JSON body (an empty one is `{}`); errors name the field at fault.
pub fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AwsError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            AwsError::validation(format!("invalid request body: {inner}"))
        } else {
            AwsError::validation(format!("{path}: {inner}"))
        }
    })
}

/// A timestamp on this wire: epoch seconds, fractional allowed.
pub fn epoch(t: DateTime<Utc>) -> serde_json::Value {
    let ms = t.timestamp_millis();
    if ms % 1000 == 0 {
        serde_json::Value::from(ms / 1000)
    } else {
        serde_json::Value::from(ms as f64 / 1000.0)
    }
}

/// An epoch-seconds input timestamp; `field` names it in the error.
pub fn from_epoch(seconds: f64, field: &str) -> Result<DateTime<Utc>, AwsError> {
    let ms = (seconds * 1000.0).round();
    (ms.is_finite() && ms.abs() < 1e15)
        .then(|| DateTime::from_timestamp_millis(ms as i64))
        .flatten()
        .ok_or_else(|| AwsError::validation(format!("{field}: not a valid epoch-seconds time")))
}

/// `Filter`: a key and a `Condition` union.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Filter {
    /// Filter key.
    pub key: String,
    /// Condition.
    pub condition: Condition,
}

/// `Condition` (a union: one member).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// Strictly after, epoch seconds.
    pub after: Option<f64>,
    /// Strictly before, epoch seconds.
    pub before: Option<f64>,
    /// Any of these values.
    pub equals: Option<AttributeValues>,
}

/// `AttributeValueList` (a union).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributeValues {
    /// Strings.
    pub string_values: Option<Vec<String>>,
    /// Integers.
    pub integer_values: Option<Vec<i64>>,
}

/// A filter ready to test: a time window or a set of values.
#[derive(Debug)]
pub enum Test {
    /// `after < t < before`.
    Time {
        /// Lower bound.
        after: Option<DateTime<Utc>>,
        /// Upper bound.
        before: Option<DateTime<Utc>>,
    },
    /// One of these strings.
    Strings(Vec<String>),
    /// One of these integers.
    Integers(Vec<i64>),
}

impl Test {
    /// Whether a time passes.
    pub fn time(&self, t: DateTime<Utc>) -> bool {
        match self {
            Test::Time { after, before } => {
                after.is_none_or(|a| t > a) && before.is_none_or(|b| t < b)
            }
            _ => false,
        }
    }

    /// Whether a string passes.
    pub fn string(&self, v: &str) -> bool {
        matches!(self, Test::Strings(s) if s.iter().any(|x| x == v))
    }

    /// Whether an integer passes.
    pub fn integer(&self, v: i64) -> bool {
        matches!(self, Test::Integers(s) if s.contains(&v))
    }
}

/// Checks `filters` against the keys a list operation knows (`(key, kind)`), naming the
/// filter at fault.
pub fn tests(
    filters: Vec<Filter>,
    known: &[(&str, Kind)],
) -> Result<Vec<(String, Test)>, AwsError> {
    let mut out = Vec::new();
    for (i, f) in filters.into_iter().enumerate() {
        let field = format!("filters[{i}]");
        let Some((_, kind)) = known.iter().find(|(k, _)| *k == f.key) else {
            let keys: Vec<_> = known.iter().map(|(k, _)| *k).collect();
            return Err(AwsError::validation(format!(
                "{field}.key: must be one of {}, got {:?}",
                keys.join(", "),
                f.key
            )));
        };
        let c = f.condition;
        let test = match kind {
            Kind::Time if c.equals.is_none() && (c.after.is_some() || c.before.is_some()) => {
                Test::Time {
                    after: c.after.map(|a| from_epoch(a, &field)).transpose()?,
                    before: c.before.map(|b| from_epoch(b, &field)).transpose()?,
                }
            }
            Kind::String => match c.equals {
                Some(AttributeValues {
                    string_values: Some(v),
                    integer_values: None,
                }) if c.after.is_none() && c.before.is_none() => Test::Strings(v),
                _ => return Err(wrong_condition(&field, &f.key, "equals.stringValues")),
            },
            Kind::Integer => match c.equals {
                Some(AttributeValues {
                    integer_values: Some(v),
                    string_values: None,
                }) if c.after.is_none() && c.before.is_none() => Test::Integers(v),
                _ => return Err(wrong_condition(&field, &f.key, "equals.integerValues")),
            },
            Kind::Time => return Err(wrong_condition(&field, &f.key, "after or before")),
        };
        out.push((f.key, test));
    }
    Ok(out)
}

fn wrong_condition(field: &str, key: &str, wanted: &str) -> AwsError {
    AwsError::validation(format!(
        "{field}.condition: the {key} filter takes {wanted} only"
    ))
}

/// What a filter key compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A timestamp: `after` / `before`.
    Time,
    /// `equals.stringValues`.
    String,
    /// `equals.integerValues`.
    Integer,
}

/// The page size asked for (1–100, default 100).
pub fn max_results(asked: Option<i64>) -> Result<usize, AwsError> {
    match asked {
        None => Ok(MAX_RESULTS),
        Some(n) if (1..=MAX_RESULTS as i64).contains(&n) => Ok(n as usize),
        Some(n) => Err(AwsError::validation(format!(
            "maxResults: must be between 1 and {MAX_RESULTS}, got {n}"
        ))),
    }
}

/// One page of `items` (already in their listing order, each with a unique `key` that sorts
/// ascending in that order): those after the `next_token` position, and the token of the next page. A
/// token names the last key returned, so pages stay stable while records are added.
pub fn page<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    next_token: Option<&str>,
    max: usize,
) -> Result<(Vec<T>, Option<String>), AwsError> {
    let start = match next_token.filter(|t| !t.is_empty()) {
        None => 0,
        Some(token) => {
            let last = hex::decode(token)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| AwsError::validation("nextToken: not a token this API issued"))?;
            match items.iter().position(|i| key(i) == last) {
                Some(p) => p + 1,
                // The last item of the previous page is gone: continue after where it sorted.
                None => items.iter().take_while(|i| key(i) < last).count(),
            }
        }
    };
    let mut rest: Vec<T> = items.into_iter().skip(start).collect();
    let next = (rest.len() > max).then(|| hex::encode(key(&rest[max - 1])));
    rest.truncate(max);
    Ok((rest, next))
}
