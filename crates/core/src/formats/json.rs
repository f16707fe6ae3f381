//! Helpers shared by the parsers: reading fields with errors that name them, timestamps, raw
//! data, related items.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use tocsin_proto::arn::Arn;
use tocsin_proto::records::{ItemIdentifier, ItemValue, RelatedItem};

use super::{Format, FormatError};
use crate::ids::sha256_hex;
use crate::validate::{Checker, ValidationError};

/// Maximum length of `triggerDetails.rawData`, in characters.
pub const RAW_DATA_LIMIT: usize = 10_000;
/// Appended to raw data that was cut to [`RAW_DATA_LIMIT`].
pub const TRUNCATION_MARKER: &str = "...[truncated by tocsin]";

const SOURCE_LIMIT: usize = 50;
const TITLE_LIMIT: usize = 200;
const ITEMS_LIMIT: usize = 100;
const DEDUPE_LIMIT: usize = 1000;

/// The value at a dotted path of object keys (`detail.state.value`).
pub(super) fn get<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(root, |v, key| v.get(key))
}

/// The string at `path`, if it is one.
pub(super) fn str_at<'a>(root: &'a Value, path: &str) -> Option<&'a str> {
    get(root, path).and_then(Value::as_str)
}

/// Reads fields of one document and records every broken rule, named by path.
pub(super) struct Reader<'a> {
    root: &'a Value,
    checker: Checker,
}

impl<'a> Reader<'a> {
    pub(super) fn new(root: &'a Value) -> Self {
        let mut checker = Checker::default();
        checker.check(root.is_object(), "(document)", "must be a JSON object");
        Self { root, checker }
    }

    /// A required, non-empty string.
    pub(super) fn required(&mut self, path: &str) -> Option<&'a str> {
        match get(self.root, path) {
            Some(Value::String(s)) if !s.is_empty() => Some(s),
            Some(Value::String(_)) => self.fail(path, "must not be empty"),
            Some(v) if !v.is_null() => self.fail(path, "must be a string"),
            _ => self.fail(path, "required"),
        }
    }

    /// An optional string; present but not a string is an error.
    pub(super) fn optional(&mut self, path: &str) -> Option<&'a str> {
        match get(self.root, path) {
            Some(Value::String(s)) => Some(s),
            None | Some(Value::Null) => None,
            Some(_) => self.fail(path, "must be a string"),
        }
    }

    /// A required string equal to one of `allowed`.
    pub(super) fn one_of(&mut self, path: &str, allowed: &[&str]) -> Option<&'a str> {
        let value = self.required(path)?;
        if allowed.contains(&value) {
            Some(value)
        } else {
            let quoted: Vec<String> = allowed.iter().map(|a| format!("{a:?}")).collect();
            self.fail(
                path,
                format!("must be one of {}, got {value:?}", quoted.join(", ")),
            )
        }
    }

    /// Records a broken rule.
    pub(super) fn check(&mut self, ok: bool, path: impl Into<String>, rule: impl Into<String>) {
        self.checker.check(ok, path, rule);
    }

    /// Records a broken rule and yields nothing.
    pub(super) fn fail<T>(&mut self, path: &str, rule: impl Into<String>) -> Option<T> {
        self.checker.check(false, path, rule);
        None
    }

    /// Ok if no rule was broken.
    pub(super) fn finish(self, format: Format) -> Result<(), FormatError> {
        self.checker
            .finish()
            .map_err(|errors| FormatError::Schema { format, errors })
    }
}

/// A one-rule schema error.
pub(super) fn schema_error(format: Format, field: &str, rule: impl Into<String>) -> FormatError {
    let mut c = Checker::default();
    c.check(false, field, rule);
    FormatError::Schema {
        format,
        errors: c.finish().err().unwrap_or_else(|| ValidationError(vec![])),
    }
}

/// Cuts `s` to `max` characters; when cut, the last characters make room for `marker`.
pub(super) fn truncate(s: &str, max: usize, marker: &str) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let keep = max.saturating_sub(marker.chars().count());
    let mut out: String = s.chars().take(keep).collect();
    out.push_str(marker);
    out
}

/// The document as `rawData`: compact JSON, at most [`RAW_DATA_LIMIT`] characters.
pub(super) fn raw_data(value: &Value) -> String {
    truncate(&value.to_string(), RAW_DATA_LIMIT, TRUNCATION_MARKER)
}

/// A trigger source, at most 50 characters.
pub(super) fn source(s: &str) -> String {
    truncate(s, SOURCE_LIMIT, "")
}

/// RFC 3339, or ISO 8601 with a `+0000` offset as CloudWatch and PagerDuty write it. The zero
/// time Alertmanager sends for "not ended" (`0001-01-01T00:00:00Z`) counts as absent.
pub(super) fn timestamp(s: &str) -> Option<DateTime<Utc>> {
    let parsed = DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .ok()?
        .with_timezone(&Utc);
    let epoch_floor = NaiveDate::from_ymd_opt(1970, 1, 1)?
        .and_hms_opt(0, 0, 0)?
        .and_utc();
    (parsed >= epoch_floor).then_some(parsed)
}

/// Builds a related item; the title is cut to 200 characters.
pub(super) fn item(item_type: &str, value: ItemValue, title: Option<&str>) -> RelatedItem {
    RelatedItem {
        identifier: ItemIdentifier {
            item_type: item_type.into(),
            value,
        },
        title: title
            .filter(|t| !t.is_empty())
            .map(|t| truncate(t, TITLE_LIMIT, "")),
        generated_id: None,
    }
}

/// An `INVOLVED_RESOURCE` item, if `arn` is an ARN.
pub(super) fn arn_item(arn: &str, title: Option<&str>) -> Option<RelatedItem> {
    Arn::parse(arn).ok()?;
    let value = ItemValue {
        arn: Some(arn.to_string()),
        ..ItemValue::default()
    };
    Some(item("INVOLVED_RESOURCE", value, title))
}

/// An `OTHER` item pointing at a URL, if `url` is an http(s) URL.
pub(super) fn url_item(url: &str, title: Option<&str>) -> Option<RelatedItem> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return None;
    }
    let value = ItemValue {
        url: Some(url.to_string()),
        ..ItemValue::default()
    };
    Some(item("OTHER", value, title))
}

/// Adds an item unless its value is already there or the list is full.
pub(super) fn push_item(items: &mut Vec<RelatedItem>, item: Option<RelatedItem>) {
    if let Some(item) = item
        && items.len() < ITEMS_LIMIT
        && !items
            .iter()
            .any(|i| i.identifier.value == item.identifier.value)
    {
        items.push(item);
    }
}

/// A dedupe string within the 1,000-character limit: `s`, or `<kind>-sha256:<hex of s>` when
/// longer.
pub(super) fn dedupe(kind: &str, s: &str) -> String {
    if s.chars().count() > DEDUPE_LIMIT {
        format!("{kind}-sha256:{}", sha256_hex(s.as_bytes()))
    } else {
        s.to_string()
    }
}

/// Impact of a severity word: critical 1, error 2, warning 3, info 4.
pub(super) fn impact_of(severity: &str) -> Option<u8> {
    match severity.to_ascii_lowercase().as_str() {
        "critical" => Some(1),
        "error" => Some(2),
        "warning" => Some(3),
        "info" => Some(4),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_accept_rfc3339_and_compact_offsets() {
        let t = |s: &str| timestamp(s).map(|t| t.to_rfc3339());
        assert_eq!(
            t("2019-10-02T17:04:40Z").as_deref(),
            Some("2019-10-02T17:04:40+00:00")
        );
        assert_eq!(
            t("2019-10-02T17:04:40.989+0000").as_deref(),
            Some("2019-10-02T17:04:40.989+00:00")
        );
        assert_eq!(
            t("2018-08-03T09:52:26.739266876+02:00").as_deref(),
            Some("2018-08-03T07:52:26.739266876+00:00")
        );
        assert_eq!(t("0001-01-01T00:00:00Z"), None);
        assert_eq!(t("yesterday"), None);
    }

    #[test]
    fn truncation_keeps_the_limit_in_characters() {
        assert_eq!(truncate("abc", 3, "~"), "abc");
        assert_eq!(truncate("abcd", 3, "~"), "ab~");
        let long = "é".repeat(RAW_DATA_LIMIT + 5);
        let cut = truncate(&long, RAW_DATA_LIMIT, TRUNCATION_MARKER);
        assert_eq!(cut.chars().count(), RAW_DATA_LIMIT);
        assert!(cut.ends_with(TRUNCATION_MARKER));
    }
}
