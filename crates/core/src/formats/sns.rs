//! CloudWatch alarms delivered by Amazon SNS: the HTTP/HTTPS notification envelope
//! (`Type: Notification`, `Message` holding the alarm as a JSON string; SNS Developer Guide,
//! "HTTP/HTTPS notification JSON format"), or the bare alarm message when the subscription uses
//! raw message delivery.
//!
//! The alarm message carries `AlarmName`, `NewStateValue`, `StateChangeTime`, `AlarmArn`,
//! `AWSAccountId` and a `Trigger` that is either one metric (`MetricName`, `Namespace`,
//! `Dimensions: [{name, value}]`, …) or metric math (`Metrics: [{Id, MetricStat, Expression,
//! …}]`). The trigger is rewritten into the EventBridge `configuration.metrics` shape so both
//! routes produce the same related items. Its `Region` is a display name ("US East (N.
//! Virginia)"), so the region comes from `AlarmArn`.
//!
//! An EventBridge event published to SNS (an EventBridge rule with an SNS target) is parsed as
//! an EventBridge event. Subscription confirmations are refused: confirming a subscription is
//! the service's decision, not a parser's.
//!
//! `event` (for rules and `rawData`) is the envelope with `Message` decoded into an object.

use serde_json::{Map, Value, json};

use super::cloudwatch::{self, Alarm, Place};
use super::json::{self, Reader};
use super::{Format, FormatError, Normalized, ParseCtx, eventbridge};

pub(super) fn parse(body: Value, ctx: &ParseCtx) -> Result<Normalized, FormatError> {
    if body.get("Type").is_none() {
        return parse_alarm(body, &Value::Null, ctx);
    }
    let mut r = Reader::new(&body);
    let kind = r.required("Type");
    if let Some(kind) = kind.filter(|k| *k != "Notification") {
        r.check(
            false,
            "Type",
            format!("{kind:?} messages carry no alarm; only \"Notification\" does"),
        );
    }
    let message = r.required("Message");
    r.finish(Format::Sns)?;
    let inner: Value = message
        .and_then(|m| serde_json::from_str(m).ok())
        .filter(Value::is_object)
        .ok_or_else(|| {
            json::schema_error(Format::Sns, "Message", "must be a JSON object in a string")
        })?;
    if inner.get("detail-type").is_some() && inner.get("source").is_some() {
        return eventbridge::parse(inner, ctx);
    }
    parse_alarm(inner, &body, ctx)
}

/// The alarm message; `envelope` is the SNS notification around it (`Null` when raw).
fn parse_alarm(
    message: Value,
    envelope: &Value,
    ctx: &ParseCtx,
) -> Result<Normalized, FormatError> {
    let mut r = Reader::new(&message);
    let name = r.required("AlarmName");
    let state = r.one_of("NewStateValue", cloudwatch::STATES);
    let given_arn = r.optional("AlarmArn");
    let account = r.optional("AWSAccountId");
    r.check(
        message.get("Trigger").is_none_or(Value::is_object),
        "Trigger",
        "must be an object",
    );
    r.finish(Format::Sns)?;
    // `finish` refused the message if either was missing.
    let (Some(name), Some(state)) = (name, state) else {
        return Err(json::schema_error(Format::Sns, "AlarmName", "required"));
    };
    let place = Place::of(given_arn, None, account, ctx);
    let timestamp = json::str_at(&message, "StateChangeTime")
        .and_then(json::timestamp)
        .or_else(|| json::str_at(envelope, "Timestamp").and_then(json::timestamp))
        .unwrap_or(ctx.received_at);
    let alarm = Alarm {
        name: name.to_string(),
        state: state.to_string(),
        arn: place.alarm_arn(given_arn, name),
        timestamp,
        metrics: message.get("Trigger").map(metrics).unwrap_or_default(),
        place,
    };
    let event = if envelope.is_null() {
        message
    } else {
        let mut whole = envelope.clone();
        if let Some(o) = whole.as_object_mut() {
            o.insert("Message".into(), message);
        }
        whole
    };
    Ok(alarm.normalize(Format::Sns, event))
}

/// The SNS `Trigger` in the EventBridge `configuration.metrics` shape.
fn metrics(trigger: &Value) -> Vec<Value> {
    if let Some(list) = trigger.get("Metrics").and_then(Value::as_array) {
        return list.iter().map(metric_query).collect();
    }
    if trigger.get("MetricName").is_none() {
        return Vec::new();
    }
    vec![json!({
        "id": "m1",
        "metricStat": {
            "metric": {
                "namespace": trigger.get("Namespace"),
                "name": trigger.get("MetricName"),
                "dimensions": dimensions(trigger.get("Dimensions")),
            },
            "period": trigger.get("Period"),
            "stat": trigger.get("ExtendedStatistic").or_else(|| trigger.get("Statistic")),
        },
        "returnData": true,
    })]
}

/// One `Metrics[]` entry (`Id`, `Expression`, `Label`, `ReturnData`, `MetricStat`).
fn metric_query(m: &Value) -> Value {
    let mut out = Map::new();
    for (from, to) in [
        ("Id", "id"),
        ("Expression", "expression"),
        ("Label", "label"),
        ("ReturnData", "returnData"),
    ] {
        if let Some(v) = m.get(from) {
            out.insert(to.into(), v.clone());
        }
    }
    if let Some(stat) = m.get("MetricStat") {
        let metric = stat.get("Metric").unwrap_or(&Value::Null);
        out.insert(
            "metricStat".into(),
            json!({
                "metric": {
                    "namespace": metric.get("Namespace"),
                    "name": metric.get("MetricName"),
                    "dimensions": dimensions(metric.get("Dimensions")),
                },
                "period": stat.get("Period"),
                "stat": stat.get("Stat"),
            }),
        );
    }
    Value::Object(out)
}

/// `[{"name": n, "value": v}]` as `{n: v}`.
fn dimensions(list: Option<&Value>) -> Value {
    let pairs = list
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|d| {
            let name = d.get("name").and_then(Value::as_str)?;
            Some((
                name.to_string(),
                d.get("value").cloned().unwrap_or(Value::Null),
            ))
        });
    Value::Object(pairs.collect())
}
