//! Prometheus Alertmanager webhooks, version 4 (Alertmanager documentation, `<webhook_config>`):
//! `version`, `groupKey`, `truncatedAlerts`, `status`, `receiver`, `groupLabels`,
//! `commonLabels`, `commonAnnotations`, `externalURL`, `alerts[]`.
//!
//! One webhook is one alert *group*, and becomes one alarm: `groupKey` ("key identifying the
//! group of alerts (e.g. to deduplicate)") is its dedupe string, so every notification of the
//! group — new alerts joining, repeats — merges into one incident, and the group's `resolved`
//! notification resolves it. Per-alert incidents would be opened by a group-by-everything
//! route (`group_by: ['...']`), which Alertmanager already supports.
//!
//! - `status: firing` triggers, `resolved` resolves.
//! - Title: the `alertname` common to the group (else of the group labels, else of the first
//!   alert), else `receiver`.
//! - Impact: the common `severity` label: `critical`/`page` 1, `error`/`high` 2, `warning` 3,
//!   `info`/`low` 4; other values leave it to the plan.
//! - Time: the earliest `startsAt` of a firing group, the latest `endsAt` of a resolved one.
//! - Related items: each alert's `generatorURL` and the group's `externalURL`, as `OTHER` URLs.
//! - A `groupKey` longer than the 1,000-character dedupe limit is replaced by
//!   `alertmanager-sha256:<hex of the key>`.

use chrono::{DateTime, Utc};
use serde_json::Value;
use tocsin_proto::records::TriggerDetails;

use super::json::{self, Reader};
use super::{ALERTMANAGER_SOURCE, Action, Format, FormatError, Normalized, ParseCtx, PlanRef};

pub(super) fn parse(body: Value, ctx: &ParseCtx) -> Result<Normalized, FormatError> {
    let mut r = Reader::new(&body);
    let version = r.required("version");
    r.check(
        version.is_none_or(|v| v == "4"),
        "version",
        format!("must be \"4\", got {:?}", version.unwrap_or_default()),
    );
    let group_key = r.required("groupKey");
    let status = r.one_of("status", &["firing", "resolved"]);
    let receiver = r.optional("receiver");
    let external_url = r.optional("externalURL");
    let alerts = match body.get("alerts") {
        Some(Value::Array(items)) => items.as_slice(),
        Some(_) => r.fail("alerts", "must be an array").unwrap_or_default(),
        None => r.fail("alerts", "required").unwrap_or_default(),
    };
    for (i, alert) in alerts.iter().enumerate() {
        r.check(
            alert.is_object(),
            format!("alerts[{i}]"),
            "must be an object",
        );
    }
    for labels in ["groupLabels", "commonLabels", "commonAnnotations"] {
        r.check(
            body.get(labels).is_none_or(Value::is_object),
            labels,
            "must be an object",
        );
    }
    r.finish(Format::Alertmanager)?;
    let (Some(group_key), Some(status)) = (group_key, status) else {
        // `finish` refused the webhook if either was missing.
        return Err(json::schema_error(
            Format::Alertmanager,
            "groupKey",
            "required",
        ));
    };
    let firing = status == "firing";
    let alertname = json::str_at(&body, "commonLabels.alertname")
        .or_else(|| json::str_at(&body, "groupLabels.alertname"))
        .or_else(|| {
            alerts
                .iter()
                .find_map(|a| json::str_at(a, "labels.alertname"))
        });
    let title = alertname.or(receiver).unwrap_or("Alertmanager alert group");
    let mut related_items = Vec::new();
    for alert in alerts {
        let url = json::str_at(alert, "generatorURL").unwrap_or_default();
        let name = json::str_at(alert, "labels.alertname");
        json::push_item(&mut related_items, json::url_item(url, name));
    }
    if let Some(url) = external_url {
        json::push_item(
            &mut related_items,
            json::url_item(url, Some("Alertmanager")),
        );
    }
    Ok(Normalized {
        format: Format::Alertmanager,
        action: if firing {
            Action::Trigger
        } else {
            Action::Resolve
        },
        plan: PlanRef::None,
        title: title.to_string(),
        impact: json::str_at(&body, "commonLabels.severity").and_then(impact_of),
        dedupe: Some(json::dedupe("alertmanager", group_key)),
        auto_dedupe: None,
        related_items,
        trigger: TriggerDetails {
            source: ALERTMANAGER_SOURCE.into(),
            timestamp: group_time(alerts, firing).unwrap_or(ctx.received_at),
            trigger_arn: None,
            raw_data: Some(json::raw_data(&body)),
        },
        client_token: None,
        event: body,
    })
}

fn impact_of(severity: &str) -> Option<u8> {
    match severity.to_ascii_lowercase().as_str() {
        "page" => Some(1),
        "high" => Some(2),
        "low" => Some(4),
        other => json::impact_of(other),
    }
}

/// Earliest start of a firing group, latest end of a resolved one.
fn group_time(alerts: &[Value], firing: bool) -> Option<DateTime<Utc>> {
    let field = if firing { "startsAt" } else { "endsAt" };
    let times = alerts
        .iter()
        .filter_map(|a| json::str_at(a, field))
        .filter_map(json::timestamp);
    if firing { times.min() } else { times.max() }
}
