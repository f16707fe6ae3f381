//! PagerDuty Events API v2 `enqueue` requests (PagerDuty developer docs, "Send an Alert Event"),
//! so tools that page PagerDuty can page Tocsin by changing the URL.
//!
//! Validation mirrors PagerDuty's `400 invalid event`: every broken rule is reported, naming
//! its field, e.g. `payload.summary: required for event_action trigger`.
//!
//! | field | rule |
//! |---|---|
//! | `routing_key` | required string (the service maps it to an integration; PagerDuty's own keys are 32 characters, Tocsin does not insist) |
//! | `event_action` | `trigger`, `acknowledge` or `resolve` |
//! | `dedup_key` | ≤ 255 characters; required for `acknowledge` and `resolve` |
//! | `payload` | required for `trigger`: `summary` (≤ 1,024), `source`, `severity` (`critical`, `error`, `warning`, `info`); optional `timestamp` (ISO 8601), `component`, `group`, `class` (strings), `custom_details` |
//! | `images[]` | objects with a string `src` |
//! | `links[]` | objects with a string `href` |
//! | `client`, `client_url` | strings |
//!
//! A trigger without `dedup_key` always opens a new incident (PagerDuty generates a fresh key),
//! so neither dedupe field is set. Severity gives impact: critical 1, error 2, warning 3,
//! info 4. `links` and `client_url` become `OTHER` items, `images` `ATTACHMENT` items.

use serde_json::Value;
use tocsin_proto::records::TriggerDetails;

use super::json::{self, Reader};
use super::{Action, Format, FormatError, Normalized, PAGERDUTY_SOURCE, ParseCtx, PlanRef};

const DEDUP_KEY_LIMIT: usize = 255;
const SUMMARY_LIMIT: usize = 1024;
const SEVERITIES: &[&str] = &["critical", "error", "warning", "info"];

pub(super) fn parse(body: Value, ctx: &ParseCtx) -> Result<Normalized, FormatError> {
    let mut r = Reader::new(&body);
    r.required("routing_key");
    let action = r.one_of("event_action", &["trigger", "acknowledge", "resolve"]);
    let dedup_key = r.optional("dedup_key");
    if let Some(key) = dedup_key {
        let n = key.chars().count();
        r.check(
            n <= DEDUP_KEY_LIMIT,
            "dedup_key",
            format!("must be at most {DEDUP_KEY_LIMIT} characters, got {n}"),
        );
    }
    if let Some(a @ ("acknowledge" | "resolve")) = action {
        r.check(
            dedup_key.is_some_and(|k| !k.is_empty()),
            "dedup_key",
            format!("required for event_action {a}"),
        );
    }
    let trigger = action == Some("trigger");
    let summary = if trigger {
        payload(&mut r, &body)
    } else {
        None
    };
    // PagerDuty ignores the payload of acknowledge and resolve events.
    let timestamp = match trigger.then(|| r.optional("payload.timestamp")).flatten() {
        Some(t) => json::timestamp(t)
            .or_else(|| r.fail("payload.timestamp", "must be an ISO 8601 timestamp")),
        None => None,
    };
    for opt in ["client", "client_url"] {
        r.optional(opt);
    }
    let images = list(&mut r, &body, "images", "src");
    let links = list(&mut r, &body, "links", "href");
    r.finish(Format::PagerDuty)?;

    let mut related_items = Vec::new();
    for link in links {
        let href = json::str_at(link, "href").unwrap_or_default();
        json::push_item(
            &mut related_items,
            json::url_item(href, json::str_at(link, "text")),
        );
    }
    if let Some(url) = json::str_at(&body, "client_url") {
        json::push_item(
            &mut related_items,
            json::url_item(url, json::str_at(&body, "client")),
        );
    }
    for image in images {
        let src = json::str_at(image, "src").unwrap_or_default();
        let item = json::url_item(src, json::str_at(image, "alt")).map(|mut i| {
            i.identifier.item_type = "ATTACHMENT".into();
            i
        });
        json::push_item(&mut related_items, item);
    }
    let dedupe = dedup_key.filter(|k| !k.is_empty()).map(str::to_string);
    let title = summary.or(dedup_key).unwrap_or_default().to_string();
    Ok(Normalized {
        format: Format::PagerDuty,
        action: match action {
            Some("acknowledge") => Action::Acknowledge,
            Some("resolve") => Action::Resolve,
            _ => Action::Trigger,
        },
        plan: PlanRef::None,
        title,
        impact: json::str_at(&body, "payload.severity")
            .filter(|_| trigger)
            .and_then(json::impact_of),
        dedupe,
        auto_dedupe: None,
        related_items,
        trigger: TriggerDetails {
            source: PAGERDUTY_SOURCE.into(),
            timestamp: timestamp.unwrap_or(ctx.received_at),
            trigger_arn: None,
            raw_data: Some(json::raw_data(&body)),
        },
        client_token: None,
        event: body,
    })
}

/// Checks the trigger payload; returns its summary.
fn payload<'a>(r: &mut Reader<'a>, body: &'a Value) -> Option<&'a str> {
    let required = "required for event_action trigger";
    match body.get("payload") {
        Some(Value::Object(_)) => {}
        Some(v) if !v.is_null() => return r.fail("payload", "must be an object"),
        _ => return r.fail("payload", required),
    }
    let required_string = |r: &mut Reader<'a>, field: &str| match json::get(body, field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.as_str()),
        Some(Value::String(_)) => r.fail(field, "must not be empty"),
        Some(v) if !v.is_null() => r.fail(field, "must be a string"),
        _ => r.fail(field, required),
    };
    let summary = required_string(r, "payload.summary");
    if let Some(s) = summary {
        let n = s.chars().count();
        r.check(
            n <= SUMMARY_LIMIT,
            "payload.summary",
            format!("must be at most {SUMMARY_LIMIT} characters, got {n}"),
        );
    }
    required_string(r, "payload.source");
    if let Some(severity) = required_string(r, "payload.severity") {
        r.check(
            SEVERITIES.contains(&severity),
            "payload.severity",
            format!("must be one of critical, error, warning, info, got {severity:?}"),
        );
    }
    for opt in ["payload.component", "payload.group", "payload.class"] {
        r.optional(opt);
    }
    summary
}

/// An optional array of objects, each with the string `key`.
fn list<'a>(r: &mut Reader<'a>, body: &'a Value, field: &str, key: &str) -> Vec<&'a Value> {
    match body.get(field) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter(|(i, item)| {
                let ok = item.get(key).is_some_and(Value::is_string);
                r.check(ok, format!("{field}[{i}].{key}"), "required string");
                ok
            })
            .map(|(_, item)| item)
            .collect(),
        Some(_) => r
            .fail(field, "must be an array of objects")
            .unwrap_or_default(),
    }
}
