//! Alarm formats parsed from their documented example payloads (see `fixtures/README.md`), the
//! EventBridge pattern table from the AWS documentation, and property tests that neither
//! parser panics.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};
use tocsin_core::alarm::validate_native;
use tocsin_core::formats::{
    self, Action, Format, FormatError, Normalized, ParseCtx, PlanRef, RAW_DATA_LIMIT,
    TRUNCATION_MARKER,
};
use tocsin_core::pattern::{self, Pattern};
use tocsin_proto::records::RelatedItem;

macro_rules! fixture {
    ($path:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/",
            $path
        ))
    };
}

fn ctx() -> ParseCtx {
    ParseCtx {
        account: "123456789012".into(),
        region: "eu-west-1".into(),
        received_at: Utc.with_ymd_and_hms(2026, 1, 1, 3, 0, 0).unwrap(),
    }
}

fn parse(format: &str, body: &str) -> Normalized {
    let mut all = formats::parse(format, body.as_bytes(), &ctx()).unwrap();
    assert_eq!(all.len(), 1);
    all.remove(0)
}

fn error(format: &str, body: &str) -> String {
    formats::parse(format, body.as_bytes(), &ctx())
        .unwrap_err()
        .to_string()
}

fn time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn arns(items: &[RelatedItem]) -> Vec<&str> {
    items
        .iter()
        .filter_map(|i| i.identifier.value.arn.as_deref())
        .collect()
}

fn urls(items: &[RelatedItem]) -> Vec<(&str, &str, Option<&str>)> {
    items
        .iter()
        .filter_map(|i| {
            let url = i.identifier.value.url.as_deref()?;
            Some((i.identifier.item_type.as_str(), url, i.title.as_deref()))
        })
        .collect()
}

fn metric_definition(items: &[RelatedItem]) -> Value {
    let item = items
        .iter()
        .find(|i| i.identifier.item_type == "METRIC")
        .unwrap();
    serde_json::from_str(item.identifier.value.metric_definition.as_ref().unwrap()).unwrap()
}

/// Every normalised alarm must be acceptable as a native alarm of the receiving account.
fn assert_valid_native(n: &Normalized) {
    let plan = "arn:aws:ssm-incidents::123456789012:response-plan/p";
    validate_native(&n.to_native(plan), "123456789012").unwrap();
}

// === cloudwatch ===

#[test]
fn cloudwatch_single_metric_alarm() {
    let body = fixture!("cloudwatch/single-metric-alarm.json");
    let n = parse("cloudwatch", body);
    let alarm = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh";
    assert_eq!(n.format, Format::CloudWatch);
    assert_eq!(n.action, Action::Trigger);
    assert_eq!(n.plan, PlanRef::None);
    assert_eq!(n.title, "ServerCpuTooHigh");
    assert_eq!((n.impact, n.dedupe.as_deref()), (None, None));
    assert_eq!(n.auto_dedupe.as_deref(), Some(alarm));
    assert_eq!(n.trigger.source, "aws.cloudwatch");
    assert_eq!(n.trigger.timestamp, time("2019-10-02T17:04:40.989Z"));
    assert_eq!(n.trigger.trigger_arn.as_deref(), Some(alarm));
    let event: Value = serde_json::from_str(body).unwrap();
    assert_eq!(n.trigger.raw_data, Some(event.to_string()));
    assert_eq!(n.event, event);
    assert_eq!(n.related_items[0].identifier.item_type, "METRIC");
    assert_eq!(
        n.related_items[0].title.as_deref(),
        Some("ServerCpuTooHigh")
    );
    assert_eq!(
        metric_definition(&n.related_items)[0]["metricStat"]["metric"]["name"],
        "CPUUtilization"
    );
    assert_eq!(
        arns(&n.related_items),
        ["arn:aws:ec2:us-east-1:123456789012:instance/i-12345678901234567"]
    );
    assert_eq!(n.related_items[1].identifier.item_type, "INVOLVED_RESOURCE");
    assert_eq!(
        n.related_items[1].title.as_deref(),
        Some("InstanceId: i-12345678901234567")
    );
    assert_valid_native(&n);
}

#[test]
fn cloudwatch_metric_math_and_anomaly_alarms() {
    for (path, body, title, metrics) in [
        (
            "metric-math",
            fixture!("cloudwatch/metric-math-alarm.json"),
            "TotalNetworkTrafficTooHigh",
            3,
        ),
        (
            "anomaly",
            fixture!("cloudwatch/anomaly-detection-alarm.json"),
            "EC2 CPU Utilization Anomaly",
            2,
        ),
    ] {
        let n = parse("cloudwatch", body);
        assert_eq!(n.title, title, "{path}");
        let expected = format!("arn:aws:cloudwatch:us-east-1:123456789012:alarm:{title}");
        assert_eq!(n.auto_dedupe.as_deref(), Some(expected.as_str()));
        assert_eq!(
            metric_definition(&n.related_items)
                .as_array()
                .unwrap()
                .len(),
            metrics
        );
        // Both metrics name the same instance: one item.
        assert_eq!(
            arns(&n.related_items),
            ["arn:aws:ec2:us-east-1:123456789012:instance/i-12345678901234567"],
            "{path}"
        );
        assert_valid_native(&n);
    }
}

#[test]
fn cloudwatch_ok_and_insufficient_data_are_state_changes() {
    let mut event: Value =
        serde_json::from_str(fixture!("cloudwatch/single-metric-alarm.json")).unwrap();
    for (state, recovered) in [("OK", true), ("INSUFFICIENT_DATA", false)] {
        event["detail"]["state"]["value"] = json!(state);
        let n = parse("cloudwatch", &event.to_string());
        let expected = Action::StateChange {
            state: state.into(),
            recovered,
        };
        assert_eq!(n.action, expected);
        assert!(n.auto_dedupe.is_some());
    }
}

#[test]
fn the_eventbridge_route_parses_cloudwatch_alarms_as_cloudwatch() {
    let n = parse(
        "eventbridge",
        fixture!("cloudwatch/single-metric-alarm.json"),
    );
    assert_eq!(n.format, Format::CloudWatch);
    assert_eq!(n.title, "ServerCpuTooHigh");
}

#[test]
fn cloudwatch_errors_name_the_field() {
    let ec2 = fixture!("eventbridge/ec2-instance-state-change.json");
    let e = error("cloudwatch", ec2);
    assert!(e.starts_with("invalid cloudwatch payload: "), "{e}");
    assert!(e.contains("source: must be \"aws.cloudwatch\""), "{e}");
    assert!(
        e.contains("detail-type: must be \"CloudWatch Alarm State Change\""),
        "{e}"
    );
    assert!(e.contains("detail.alarmName: required"), "{e}");
    let mut event: Value =
        serde_json::from_str(fixture!("cloudwatch/single-metric-alarm.json")).unwrap();
    event["detail"]["state"]["value"] = json!("ON_FIRE");
    assert_eq!(
        error("cloudwatch", &event.to_string()),
        "invalid cloudwatch payload: detail.state.value: must be one of \"ALARM\", \"OK\", \
         \"INSUFFICIENT_DATA\", got \"ON_FIRE\""
    );
}

#[test]
fn dimensions_become_arns_where_derivable() {
    let event = json!({
        "source": "aws.cloudwatch", "detail-type": "CloudWatch Alarm State Change",
        "account": "210987654321", "region": "cn-north-1",
        "detail": {"alarmName": "a", "state": {"value": "ALARM"}, "configuration": {"metrics": [
            {"id": "m1", "metricStat": {"metric": {"namespace": "AWS/Lambda",
                "dimensions": {"FunctionName": "f", "Resource": "f:1"}}}},
            {"id": "m2", "metricStat": {"metric": {"namespace": "AWS/ECS",
                "dimensions": {"ClusterName": "c", "ServiceName": "s"}}}},
            {"id": "m3", "metricStat": {"metric": {"namespace": "AWS/S3",
                "dimensions": {"BucketName": "b", "StorageType": "StandardStorage"}}}},
            {"id": "m4", "metricStat": {"metric": {"namespace": "AWS/States",
                "dimensions": {"StateMachineArn": "arn:aws:states:us-east-1:210987654321:stateMachine:m"}}}}
        ]}}
    });
    let n = parse("cloudwatch", &event.to_string());
    assert_eq!(
        arns(&n.related_items),
        [
            "arn:aws-cn:lambda:cn-north-1:210987654321:function:f",
            "arn:aws-cn:ecs:cn-north-1:210987654321:service/c/s",
            "arn:aws-cn:s3:::b",
            "arn:aws:states:us-east-1:210987654321:stateMachine:m",
        ]
    );
    // No resources entry: the alarm ARN is built from the event's region and account.
    assert_eq!(
        n.trigger.trigger_arn.as_deref(),
        Some("arn:aws-cn:cloudwatch:cn-north-1:210987654321:alarm:a")
    );
}

// === sns ===

#[test]
fn sns_alarm_notification() {
    let n = parse("sns", fixture!("sns/alarm-single-metric.json"));
    assert_eq!(n.format, Format::Sns);
    assert_eq!(n.action, Action::Trigger);
    assert_eq!(n.title, "EXAMPLE");
    // The documented AlarmArn is a placeholder: the ARN is rebuilt from AWSAccountId and the
    // deployment's region.
    let alarm = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:EXAMPLE";
    assert_eq!(n.auto_dedupe.as_deref(), Some(alarm));
    assert_eq!(n.trigger.trigger_arn.as_deref(), Some(alarm));
    assert_eq!(n.trigger.source, "aws.cloudwatch");
    assert_eq!(n.trigger.timestamp, time("2015-06-03T17:43:27.123Z"));
    assert_eq!(
        arns(&n.related_items),
        ["arn:aws:ec2:eu-west-1:123456789012:instance/TestInstance"]
    );
    let metric = &metric_definition(&n.related_items)[0]["metricStat"];
    assert_eq!(metric["metric"]["name"], "NetworkOut");
    assert_eq!(metric["metric"]["dimensions"]["InstanceId"], "TestInstance");
    assert_eq!(metric["stat"], "AVERAGE");
    assert_eq!(
        n.event["Message"]["AlarmName"], "EXAMPLE",
        "Message is decoded"
    );
    assert_valid_native(&n);
}

#[test]
fn sns_metric_math_alarm_and_raw_delivery() {
    let n = parse("sns", fixture!("sns/alarm-multiple-metrics.json"));
    assert_eq!(
        n.auto_dedupe.as_deref(),
        Some("arn:aws:cloudwatch:eu-west-1:123456789012:alarm:EXAMPLE"),
        "AWSAccountId is a placeholder too: the receiving account is used"
    );
    let metrics = metric_definition(&n.related_items);
    assert_eq!(metrics[0]["expression"], "m1*1");
    assert_eq!(metrics[1]["metricStat"]["metric"]["namespace"], "AWS/EC2");
    assert_eq!(arns(&n.related_items).len(), 1);

    let envelope: Value = serde_json::from_str(fixture!("sns/alarm-single-metric.json")).unwrap();
    let raw = envelope["Message"].as_str().unwrap();
    let bare = parse("sns", raw);
    assert_eq!(bare.title, "EXAMPLE");
    assert_eq!(bare.event["NewStateValue"], "ALARM");
}

#[test]
fn sns_carrying_an_eventbridge_event() {
    let mut envelope: Value =
        serde_json::from_str(fixture!("sns/notification-hello-world.json")).unwrap();
    envelope["Message"] = json!(fixture!("eventbridge/ec2-instance-state-change.json"));
    let n = parse("sns", &envelope.to_string());
    assert_eq!(n.format, Format::EventBridge);
    assert_eq!(n.title, "EC2 Instance State-change Notification");
}

#[test]
fn sns_messages_that_are_not_alarms_are_refused() {
    assert_eq!(
        error("sns", fixture!("sns/notification-hello-world.json")),
        "invalid sns payload: Message: must be a JSON object in a string"
    );
    assert_eq!(
        error("sns", fixture!("sns/subscription-confirmation.json")),
        "invalid sns payload: Type: \"SubscriptionConfirmation\" messages carry no alarm; only \
         \"Notification\" does"
    );
    let e = error(
        "sns",
        r#"{"AlarmName": "x", "NewStateValue": "MAYBE", "Trigger": 1}"#,
    );
    assert!(e.contains("NewStateValue: must be one of"), "{e}");
    assert!(e.contains("Trigger: must be an object"), "{e}");
}

// === eventbridge ===

#[test]
fn eventbridge_event() {
    let n = parse(
        "eventbridge",
        fixture!("eventbridge/ec2-instance-state-change.json"),
    );
    assert_eq!(n.format, Format::EventBridge);
    assert_eq!(n.action, Action::Trigger);
    assert_eq!(n.title, "EC2 Instance State-change Notification");
    assert_eq!(n.dedupe, None);
    assert_eq!(
        n.auto_dedupe.as_deref(),
        Some("6a7e8feb-b491-4cf7-a9f1-bf3703467718")
    );
    assert_eq!(n.trigger.source, "aws.ec2");
    assert_eq!(n.trigger.timestamp, time("2017-12-22T18:43:48Z"));
    assert_eq!(n.trigger.trigger_arn, None);
    assert_eq!(
        arns(&n.related_items),
        ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"]
    );
    assert_valid_native(&n);

    let n = parse(
        "eventbridge",
        fixture!("eventbridge/autoscaling-launch-successful.json"),
    );
    assert_eq!(n.title, "EC2 Instance Launch Successful");
    assert!(n.related_items.is_empty());
}

#[test]
fn eventbridge_errors_and_limits() {
    let e = error(
        "eventbridge",
        r#"{"resources": "x", "detail": 1, "time": "soon"}"#,
    );
    for part in [
        "id: required",
        "source: required",
        "detail-type: required",
        "resources: must be an array of ARNs",
        "detail: must be an object",
        "time: must be an RFC 3339 timestamp",
    ] {
        assert!(e.contains(part), "{part} in {e}");
    }
    let big = json!({
        "id": "1", "source": "s".repeat(80), "detail-type": "t",
        "resources": ["not-an-arn"], "detail": {"blob": "x".repeat(20_000)}
    });
    let n = parse("eventbridge", &big.to_string());
    assert_eq!(n.trigger.source.chars().count(), 50);
    let raw = n.trigger.raw_data.as_deref().unwrap();
    assert_eq!(raw.chars().count(), RAW_DATA_LIMIT);
    assert!(raw.ends_with(TRUNCATION_MARKER));
    assert!(
        n.related_items.is_empty(),
        "resources that are not ARNs are skipped"
    );
    assert_eq!(n.trigger.timestamp, ctx().received_at);
    assert_valid_native(&n);
}

// === alertmanager ===

#[test]
fn alertmanager_firing_and_resolved_groups() {
    let group_key = r#"{}/{severity="critical"}:{alertname="ProbeFailure"}"#;
    let n = parse("alertmanager", fixture!("alertmanager/firing.json"));
    assert_eq!(n.format, Format::Alertmanager);
    assert_eq!(n.action, Action::Trigger);
    assert_eq!(n.title, "ProbeFailure");
    assert_eq!(n.impact, Some(1));
    assert_eq!(n.dedupe.as_deref(), Some(group_key));
    assert_eq!(n.auto_dedupe, None);
    assert_eq!(n.trigger.source, "prometheus.alertmanager");
    assert_eq!(n.trigger.timestamp, time("2023-02-06T13:08:45.828Z"));
    assert_eq!(
        urls(&n.related_items),
        [
            (
                "OTHER",
                r"http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0\u0026g0.tab=1",
                Some("ProbeFailure")
            ),
            (
                "OTHER",
                "http://prometheus.example.org:9093",
                Some("Alertmanager")
            ),
        ]
    );
    assert_valid_native(&n);

    let n = parse("alertmanager", fixture!("alertmanager/resolved.json"));
    assert_eq!(n.action, Action::Resolve);
    assert_eq!(n.dedupe.as_deref(), Some(group_key));
    assert_eq!(n.trigger.timestamp, time("2023-02-06T13:20:45.828Z"));
}

#[test]
fn alertmanager_older_payload_without_severity() {
    let n = parse("alertmanager", fixture!("alertmanager/gist-example.json"));
    assert_eq!(n.title, "Test");
    assert_eq!(n.impact, None);
    assert_eq!(
        n.dedupe.as_deref(),
        Some(r#"{}:{alertname="Test", job="prometheus24"}"#)
    );
    assert_eq!(n.trigger.timestamp, time("2018-08-03T07:52:26.739266876Z"));
}

#[test]
fn alertmanager_errors_and_long_group_keys() {
    let e = error(
        "alertmanager",
        r#"{"version": "3", "status": "pending", "alerts": {}}"#,
    );
    for part in [
        r#"version: must be "4", got "3""#,
        "groupKey: required",
        r#"status: must be one of "firing", "resolved", got "pending""#,
        "alerts: must be an array",
    ] {
        assert!(e.contains(part), "{part} in {e}");
    }
    let mut body: Value = serde_json::from_str(fixture!("alertmanager/firing.json")).unwrap();
    body["groupKey"] = json!("k".repeat(1001));
    let n = parse("alertmanager", &body.to_string());
    let dedupe = n.dedupe.unwrap();
    assert!(dedupe.starts_with("alertmanager-sha256:"), "{dedupe}");
    assert_eq!(dedupe.len(), "alertmanager-sha256:".len() + 64);
}

// === pagerduty ===

#[test]
fn pagerduty_trigger() {
    let n = parse("pagerduty", fixture!("pagerduty/trigger.json"));
    assert_eq!(n.format, Format::PagerDuty);
    assert_eq!(n.action, Action::Trigger);
    assert_eq!(n.title, "Example alert on host1.example.com");
    assert_eq!(n.impact, Some(4), "info");
    assert_eq!(n.dedupe.as_deref(), Some("samplekeyhere"));
    assert_eq!(n.auto_dedupe, None);
    assert_eq!(n.trigger.source, "pagerduty.events");
    assert_eq!(n.trigger.timestamp, time("2015-07-17T08:42:58.315Z"));
    assert_eq!(
        urls(&n.related_items),
        [
            ("OTHER", "https://example.com/", Some("Link text")),
            (
                "OTHER",
                "https://monitoring.example.com",
                Some("Sample Monitoring Service")
            ),
            (
                "ATTACHMENT",
                "https://www.pagerduty.com/wp-content/uploads/2016/05/pagerduty-logo-green.png",
                Some("Example text")
            ),
        ]
    );
    assert_valid_native(&n);
}

#[test]
fn pagerduty_acknowledge_and_resolve() {
    for (path, body, action) in [
        (
            "acknowledge",
            fixture!("pagerduty/acknowledge.json"),
            Action::Acknowledge,
        ),
        (
            "resolve",
            fixture!("pagerduty/resolve.json"),
            Action::Resolve,
        ),
    ] {
        let n = parse("pagerduty", body);
        assert_eq!(n.action, action, "{path}");
        assert_eq!(n.dedupe.as_deref(), Some("dedupkeyhere"));
        assert_eq!(n.title, "dedupkeyhere");
        assert_eq!(n.impact, None);
        assert_eq!(n.trigger.timestamp, ctx().received_at);
    }
}

#[test]
fn pagerduty_errors_match_the_events_api() {
    let e = |body: Value| error("pagerduty", &body.to_string());
    let trigger =
        |payload: Value| json!({"routing_key": "k", "event_action": "trigger", "payload": payload});
    assert_eq!(
        e(json!({"routing_key": "k", "event_action": "trigger"})),
        "invalid pagerduty payload: payload: required for event_action trigger"
    );
    assert_eq!(
        e(trigger(json!({"source": "h", "severity": "info"}))),
        "invalid pagerduty payload: payload.summary: required for event_action trigger"
    );
    assert_eq!(
        e(trigger(
            json!({"summary": "x".repeat(1025), "source": "h", "severity": "info"})
        )),
        "invalid pagerduty payload: payload.summary: must be at most 1024 characters, got 1025"
    );
    assert_eq!(
        e(trigger(
            json!({"summary": "s", "source": "h", "severity": "fatal"})
        )),
        "invalid pagerduty payload: payload.severity: must be one of critical, error, warning, \
         info, got \"fatal\""
    );
    assert_eq!(
        e(json!({"routing_key": "k", "event_action": "acknowledge"})),
        "invalid pagerduty payload: dedup_key: required for event_action acknowledge"
    );
    assert_eq!(
        e(json!({"routing_key": "k", "event_action": "resolve", "dedup_key": "d".repeat(256)})),
        "invalid pagerduty payload: dedup_key: must be at most 255 characters, got 256"
    );
    let all = formats::parse(
        "pagerduty",
        br#"{"event_action": "snooze", "links": [{"text": "t"}], "images": 3}"#,
        &ctx(),
    )
    .unwrap_err();
    let fields: Vec<&str> = all
        .field_errors()
        .iter()
        .map(|f| f.field.as_str())
        .collect();
    assert_eq!(
        fields,
        ["routing_key", "event_action", "images", "links[0].href"]
    );
    assert!(all.to_string().contains(
        r#"event_action: must be one of "trigger", "acknowledge", "resolve", got "snooze""#
    ));
}

// === native ===

#[test]
fn native_alarm() {
    let n = parse("native", fixture!("native/alarm.json"));
    assert_eq!(n.format, Format::Native);
    assert_eq!(
        n.plan,
        PlanRef::Arn("arn:aws:ssm-incidents::123456789012:response-plan/db-outage".into())
    );
    assert_eq!(n.title, "db-primary: connection refused");
    assert_eq!(n.impact, Some(1));
    assert_eq!(
        n.client_token.as_deref(),
        Some("postgres-down-db-primary-20261122T0300")
    );
    assert_eq!(n.trigger.source, "prometheus");
    assert_eq!(n.trigger.timestamp, time("2026-11-22T03:00:00Z"));
    assert_eq!(
        urls(&n.related_items),
        [(
            "OTHER",
            "https://runbooks.example.com/db-primary",
            Some("Runbook")
        )]
    );
    let original: tocsin_proto::alarm::NativeAlarm =
        serde_json::from_str(fixture!("native/alarm.json")).unwrap();
    assert_eq!(n.to_native(&original.response_plan_arn), original);
}

#[test]
fn native_errors() {
    let other = fixture!("native/alarm.json").replace("123456789012", "210987654321");
    assert_eq!(
        error("native", &other),
        "invalid native payload: responsePlanArn: must belong to account 123456789012"
    );
    let e = error("native", r#"{"title": "x"}"#);
    assert!(
        e.starts_with("invalid native payload: responsePlanArn: missing field"),
        "{e}"
    );
    let e = error("native", r#"{"responsePlanArn": "a", "colour": "red"}"#);
    assert!(
        e.starts_with("invalid native payload: colour: unknown field"),
        "{e}"
    );
}

// === dispatch ===

#[test]
fn unsupported_formats_and_malformed_bodies() {
    assert!(error("nagios", "{}").starts_with("unsupported alarm format \"nagios\""));
    assert!(matches!(
        formats::parse("pagerduty", b"{\"routing_key\": ", &ctx()),
        Err(FormatError::MalformedJson(_))
    ));
    assert!(matches!(
        formats::parse("native", &[0xff, 0xfe], &ctx()),
        Err(FormatError::MalformedJson(_))
    ));
    for format in Format::ALL {
        assert_eq!(
            error(format.as_str(), "[1, 2]"),
            format!("invalid {format} payload: (document): must be a JSON object")
        );
        assert_eq!(Format::from_key(format.as_str()), Some(format));
    }
}

// === patterns ===

#[test]
fn patterns_from_the_aws_documentation() {
    let table: Value = serde_json::from_str(fixture!("patterns/aws-docs.json")).unwrap();
    let cases = table["cases"].as_array().unwrap();
    assert!(cases.len() >= 90);
    let mut failures = Vec::new();
    for case in cases {
        let event = match &case["event"] {
            Value::String(name) => &table["events"][name.as_str()],
            inline => inline,
        };
        assert!(!event.is_null(), "unknown event in {case}");
        let pattern = Pattern::from_value(&case["pattern"])
            .unwrap_or_else(|e| panic!("{}: {e}", case["name"]));
        let expected = case["matches"].as_bool().unwrap();
        if pattern::matches(&pattern, event) != expected {
            failures.push(format!("[{}] {}", case["source"], case["name"]));
        }
    }
    assert!(failures.is_empty(), "mismatches: {failures:#?}");
}

#[test]
fn documented_fixtures_match_their_own_patterns() {
    let rule = Pattern::parse(
        r#"{"source": ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change"],
            "detail": {"state": {"value": ["ALARM"]}}}"#,
    )
    .unwrap();
    for body in [
        fixture!("cloudwatch/single-metric-alarm.json"),
        fixture!("cloudwatch/metric-math-alarm.json"),
        fixture!("cloudwatch/anomaly-detection-alarm.json"),
    ] {
        assert!(rule.matches(&parse("cloudwatch", body).event));
    }
    let n = parse("sns", fixture!("sns/alarm-single-metric.json"));
    let on_sns =
        Pattern::parse(r#"{"Message": {"Trigger": {"Namespace": [{"prefix": "AWS/"}]}}}"#).unwrap();
    assert!(on_sns.matches(&n.event));
}

// === properties ===

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            (-1e10f64..1e10).prop_map(Value::from),
            "[a-zA-Z0-9 ./*:_-]{0,12}".prop_map(Value::from),
            prop::sample::select(vec![
                "ALARM",
                "OK",
                "trigger",
                "resolve",
                "firing",
                "4",
                "Notification",
                "aws.cloudwatch",
                "CloudWatch Alarm State Change",
                "10.0.0.1",
                "i-1",
                "2019-10-02T17:04:40Z",
                "arn:aws:sqs:us-east-1:123456789012:q",
            ])
            .prop_map(Value::from),
        ]
    }

    fn key() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "source",
            "detail-type",
            "detail",
            "id",
            "time",
            "resources",
            "state",
            "value",
            "alarmName",
            "configuration",
            "metrics",
            "metricStat",
            "metric",
            "dimensions",
            "namespace",
            "Type",
            "Message",
            "AlarmName",
            "NewStateValue",
            "Trigger",
            "Metrics",
            "version",
            "groupKey",
            "status",
            "alerts",
            "labels",
            "routing_key",
            "event_action",
            "payload",
            "summary",
            "severity",
            "links",
            "images",
            "responsePlanArn",
            "$or",
            "prefix",
            "numeric",
            "exists",
            "anything-but",
            "wildcard",
            "cidr",
            "a",
            "b",
        ])
        .prop_map(String::from)
    }

    fn json_value() -> impl Strategy<Value = Value> {
        scalar().prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map(key(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Events built from pattern field names, with arrays of objects.
    fn event_value() -> impl Strategy<Value = Value> {
        scalar().prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(field(), inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn field() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "source",
            "detail",
            "state",
            "value",
            "a",
            "b",
            "resources",
        ])
        .prop_map(String::from)
    }

    /// One entry of a field's value list: mostly valid operators, sometimes garbage.
    fn matcher() -> impl Strategy<Value = Value> {
        let text = "[a-z.*]{0,4}";
        let op = prop::sample::select(vec!["prefix", "suffix", "equals-ignore-case", "wildcard"]);
        prop_oneof![
            3 => scalar(),
            3 => (op, text).prop_map(|(op, s)| json!({ op: s })),
            1 => text.prop_map(|s| json!({"prefix": {"equals-ignore-case": s}})),
            2 => prop_oneof![
                scalar(),
                prop::collection::vec(text, 1..3).prop_map(|v| json!(v)),
                text.prop_map(|s| json!({"prefix": s})),
                text.prop_map(|s| json!({"wildcard": s})),
            ]
            .prop_map(|v| json!({"anything-but": v})),
            2 => (-100i64..100, 1i64..50, any::<bool>()).prop_map(|(a, d, closed)| {
                json!({"numeric": [">", a, if closed { "<=" } else { "<" }, a + d]})
            }),
            1 => (-100i64..100).prop_map(|a| json!({"numeric": ["=", a]})),
            1 => any::<bool>().prop_map(|b| json!({"exists": b})),
            1 => (0u8..=32).prop_map(|n| json!({"cidr": format!("10.0.0.0/{n}")})),
            1 => (key(), json_value()).prop_map(|(k, v)| json!({ k: v })),
        ]
    }

    /// Pattern-shaped JSON: mostly valid, sometimes not.
    fn pattern_value() -> impl Strategy<Value = Value> {
        let leaf = prop::collection::vec(matcher(), 1..4).prop_map(Value::Array);
        let object = |inner: BoxedStrategy<Value>, n| {
            prop::collection::btree_map(field(), inner, n)
                .prop_map(|m| Value::Object(m.into_iter().collect()))
        };
        leaf.prop_recursive(3, 24, 4, move |inner| {
            prop_oneof![
                3 => object(inner.clone(), 1..4),
                1 => prop::collection::vec(object(inner.clone(), 1..3), 2..4).prop_flat_map(
                    move |alts| object(inner.clone(), 0..2).prop_map(move |mut base| {
                        base["$or"] = Value::Array(alts.clone());
                        base
                    })
                ),
            ]
        })
    }

    const DOCUMENTS: &[&str] = &[
        fixture!("cloudwatch/single-metric-alarm.json"),
        fixture!("sns/alarm-multiple-metrics.json"),
        fixture!("eventbridge/ec2-instance-state-change.json"),
        fixture!("alertmanager/firing.json"),
        fixture!("pagerduty/trigger.json"),
        fixture!("native/alarm.json"),
    ];

    /// A documented payload with one field, at the top or one level down, replaced.
    fn mutated_document() -> impl Strategy<Value = Value> {
        (
            0..DOCUMENTS.len(),
            any::<prop::sample::Index>(),
            any::<prop::sample::Index>(),
            json_value(),
        )
            .prop_map(|(doc, outer, inner, replacement)| {
                let mut v: Value = serde_json::from_str(DOCUMENTS[doc]).unwrap();
                let map = v.as_object_mut().unwrap();
                let key = map.keys().nth(outer.index(map.len())).cloned().unwrap();
                let slot = map.get_mut(&key).unwrap();
                match slot.as_object_mut().filter(|o| !o.is_empty()) {
                    Some(o) => {
                        let k = o.keys().nth(inner.index(o.len())).cloned().unwrap();
                        o.insert(k, replacement);
                    }
                    None => *slot = replacement,
                }
                v
            })
    }

    /// Cases per fuzz property: a short bounded run in CI (256); the benchmark script
    /// (`loadtests/fuzz.sh`) sets `TOCSIN_FUZZ_CASES` much higher. The toolchain is stable
    /// Rust, so these property-based fuzzers stand in for cargo-fuzz (which needs nightly).
    fn fuzz_cases() -> u32 {
        std::env::var("TOCSIN_FUZZ_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(256)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(fuzz_cases()))]

        #[test]
        fn parsing_arbitrary_pattern_text_never_panics(text in "[\\[\\]{}\":,0-9a-z$*. -]{0,64}") {
            if let Ok(pattern) = Pattern::parse(&text) {
                let _ = pattern.matches(&json!({"source": "aws.ec2", "detail": {"state": "running"}}));
            }
        }

        #[test]
        fn parsing_arbitrary_bytes_never_panics(body in prop::collection::vec(any::<u8>(), 0..256)) {
            for format in Format::ALL {
                let _ = formats::parse(format.as_str(), &body, &ctx());
            }
        }

        #[test]
        fn parsing_arbitrary_json_never_panics(v in json_value()) {
            let body = v.to_string();
            for format in Format::ALL {
                if let Ok(all) = formats::parse(format.as_str(), body.as_bytes(), &ctx()) {
                    for n in all { assert_valid_native(&n); }
                }
            }
        }

        #[test]
        fn parsing_mutated_documents_never_panics(v in mutated_document()) {
            let body = v.to_string();
            for format in Format::ALL {
                if let Ok(all) = formats::parse(format.as_str(), body.as_bytes(), &ctx()) {
                    for n in all { assert_valid_native(&n); }
                }
            }
        }

        #[test]
        fn matching_never_panics(p in pattern_value(), event in prop_oneof![json_value(), event_value()]) {
            if let Ok(pattern) = Pattern::from_value(&p) {
                let _ = pattern::matches(&pattern, &event);
            }
            let _ = Pattern::from_value(&event);
        }

        #[test]
        fn or_is_the_union_of_its_alternatives(a in pattern_value(), b in pattern_value(), e in event_value()) {
            if let (Ok(pa), Ok(pb)) = (Pattern::from_value(&a), Pattern::from_value(&b)) {
                let both = Pattern::from_value(&json!({"$or": [a, b]})).unwrap();
                prop_assert_eq!(both.matches(&e), pa.matches(&e) || pb.matches(&e));
            }
        }

        #[test]
        fn exists_true_and_false_are_complements(path in prop::collection::vec(field(), 1..4), e in event_value()) {
            let nest = |leaf: Value| path.iter().rev().fold(leaf, |inner, k| json!({ k: inner }));
            let present = Pattern::from_value(&nest(json!([{"exists": true}]))).unwrap();
            let absent = Pattern::from_value(&nest(json!([{"exists": false}]))).unwrap();
            prop_assert_ne!(present.matches(&e), absent.matches(&e));
        }
    }
}
