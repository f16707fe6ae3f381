//! AMQP header tables to and from the bus's string headers.
//!
//! Tocsin only sets string headers, but the broker adds typed ones (`x-death` is an array of
//! tables, `x-delivery-count` an integer). Deliveries show those as text; republished copies
//! (retry, dead letter) keep the original typed value unless the handler changed its text.

use std::collections::BTreeMap;

use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};

use super::connection::short;
use crate::BusError;

/// Set by quorum queues on each redelivery; a republished copy starts afresh.
const DELIVERY_COUNT: &str = "x-delivery-count";

/// The headers of a delivery as text.
pub(super) fn to_strings(table: Option<&FieldTable>) -> BTreeMap<String, String> {
    table
        .map(|table| {
            table
                .into_iter()
                .map(|(key, value)| (key.to_string(), render(value)))
                .collect()
        })
        .unwrap_or_default()
}

/// A header table for `headers`; typed values of `original` survive when their text is unchanged.
pub(super) fn to_table(
    headers: &BTreeMap<String, String>,
    original: Option<&FieldTable>,
) -> Result<FieldTable, BusError> {
    let mut table = BTreeMap::new();
    for (key, value) in headers {
        if key == DELIVERY_COUNT && original.is_some() {
            continue;
        }
        let typed = original
            .and_then(|original| original.inner().get(key.as_str()))
            .filter(|typed| !is_string(typed) && render(typed) == *value);
        let value = match typed {
            Some(typed) => typed.clone(),
            None => AMQPValue::LongString(LongString::from(value.as_bytes())),
        };
        table.insert(short(key)?, value);
    }
    Ok(FieldTable::from(table))
}

fn is_string(value: &AMQPValue) -> bool {
    matches!(value, AMQPValue::LongString(_) | AMQPValue::ShortString(_))
}

/// A header value as text: strings as they are, numbers in decimal, tables as `{k: v}`.
pub(super) fn render(value: &AMQPValue) -> String {
    match value {
        AMQPValue::Boolean(v) => v.to_string(),
        AMQPValue::ShortShortInt(v) => v.to_string(),
        AMQPValue::ShortShortUInt(v) => v.to_string(),
        AMQPValue::ShortInt(v) => v.to_string(),
        AMQPValue::ShortUInt(v) => v.to_string(),
        AMQPValue::LongInt(v) => v.to_string(),
        AMQPValue::LongUInt(v) => v.to_string(),
        AMQPValue::LongLongInt(v) => v.to_string(),
        AMQPValue::Float(v) => v.to_string(),
        AMQPValue::Double(v) => v.to_string(),
        AMQPValue::DecimalValue(v) => {
            (f64::from(v.value) / 10f64.powi(i32::from(v.scale))).to_string()
        }
        AMQPValue::ShortString(v) => v.to_string(),
        AMQPValue::LongString(v) => v.to_string(),
        AMQPValue::ByteArray(v) => String::from_utf8_lossy(v.as_slice()).into_owned(),
        AMQPValue::Timestamp(v) => v.to_string(),
        AMQPValue::FieldArray(values) => {
            let items: Vec<String> = values.as_slice().iter().map(render).collect();
            format!("[{}]", items.join(", "))
        }
        AMQPValue::FieldTable(table) => {
            let items: Vec<String> = table
                .into_iter()
                .map(|(key, value)| format!("{key}: {}", render(value)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        AMQPValue::Void => String::new(),
    }
}

/// A string argument for `queue.declare` and friends.
pub(super) fn text(value: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(value.as_bytes()))
}

/// A header key.
pub(super) fn key(name: &str) -> ShortString {
    ShortString::from(name)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use lapin::types::{AMQPValue, FieldArray, FieldTable, LongString};

    use super::{render, to_strings, to_table};

    #[test]
    fn typed_headers_render_and_survive_a_republish() {
        let mut death = FieldTable::default();
        death.insert("count".into(), AMQPValue::LongLongInt(1));
        death.insert(
            "queue".into(),
            AMQPValue::LongString(LongString::from("q.retry")),
        );
        let mut original = FieldTable::default();
        original.insert(
            "x-death".into(),
            AMQPValue::FieldArray(FieldArray::from(vec![AMQPValue::FieldTable(death)])),
        );
        original.insert("x-delivery-count".into(), AMQPValue::LongInt(2));
        original.insert(
            "traceparent".into(),
            AMQPValue::LongString(LongString::from("00-abc")),
        );

        let strings = to_strings(Some(&original));
        assert_eq!(strings["x-death"], "[{count: 1, queue: q.retry}]");
        assert_eq!(strings["x-delivery-count"], "2");
        assert_eq!(strings["traceparent"], "00-abc");

        let mut edited: BTreeMap<String, String> = strings;
        edited.insert("x-tocsin-attempt".into(), "1".into());
        let table = to_table(&edited, Some(&original)).unwrap();
        let inner = table.inner();
        assert!(matches!(
            inner.get("x-death"),
            Some(AMQPValue::FieldArray(_))
        ));
        assert!(!inner.contains_key("x-delivery-count"));
        assert_eq!(render(&inner["x-tocsin-attempt"]), "1");
        assert!(matches!(
            inner.get("x-tocsin-attempt"),
            Some(AMQPValue::LongString(_))
        ));
    }
}
