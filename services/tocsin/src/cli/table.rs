//! Aligned text columns and the time format of the human output.

use serde_json::Value;

/// Rows under a header, each column as wide as its widest cell (the last one unpadded).
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| {
        let last = cells.len().saturating_sub(1);
        let mut out = String::new();
        for (i, cell) in cells.into_iter().enumerate() {
            if i == last {
                out.push_str(&cell);
            } else {
                out.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        out.trim_end().to_owned() + "\n"
    };
    let mut out = line(header.iter().map(|h| h.to_string()).collect());
    for row in rows {
        out.push_str(&line(row.clone()));
    }
    out
}

/// An API timestamp (epoch seconds) as RFC 3339 UTC, to the second.
pub fn time(v: &Value) -> String {
    v.as_f64()
        .and_then(|s| chrono::DateTime::from_timestamp_millis((s * 1000.0).round() as i64))
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// A string field, or empty.
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The last segment of an ARN (an incident's id).
pub fn id_of(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}
