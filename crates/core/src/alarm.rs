//! Incoming alarms: validation against the `StartIncident` rules of the `ssm-incidents` model,
//! and the idempotency key that makes a redelivered alarm a no-op.

use tocsin_proto::alarm::NativeAlarm;
use tocsin_proto::arn::Arn;

use crate::ids::sha256_hex;
use crate::validate::{Checker, ValidationError};

const ITEM_TYPES: &[&str] = &[
    "ANALYSIS",
    "INCIDENT",
    "METRIC",
    "PARENT",
    "ATTACHMENT",
    "OTHER",
    "AUTOMATION",
    "INVOLVED_RESOURCE",
    "TASK",
];

/// Checks a native alarm for `account`. The plan ARN must belong to the same account: a
/// publisher can never open incidents in another tenant.
pub fn validate_native(alarm: &NativeAlarm, account: &str) -> Result<(), ValidationError> {
    let mut c = Checker::default();
    match Arn::parse(&alarm.response_plan_arn) {
        Ok(arn) => {
            c.check(
                arn.service == "ssm-incidents" && arn.resource_type() == "response-plan",
                "responsePlanArn",
                "must be an ssm-incidents response-plan ARN",
            );
            c.check(
                arn.account == account,
                "responsePlanArn",
                format!("must belong to account {account}"),
            );
        }
        Err(e) => c.check(false, "responsePlanArn", e.to_string()),
    }
    if let Some(title) = &alarm.title {
        c.length(title, "title", 0, 200);
    }
    if let Some(impact) = alarm.impact {
        c.check(
            (1..=5).contains(&impact),
            "impact",
            format!("must be between 1 and 5, got {impact}"),
        );
    }
    c.check(
        alarm.related_items.len() <= 100,
        "relatedItems",
        "at most 100 items",
    );
    for (i, item) in alarm.related_items.iter().enumerate() {
        let f = |s: &str| format!("relatedItems[{i}].{s}");
        c.check(
            ITEM_TYPES.contains(&item.identifier.item_type.as_str()),
            f("identifier.type"),
            format!("must be one of {}", ITEM_TYPES.join(", ")),
        );
        let v = &item.identifier.value;
        let set = [
            v.arn.is_some(),
            v.url.is_some(),
            v.metric_definition.is_some(),
            v.pager_duty_incident_detail.is_some(),
        ];
        c.check(
            set.iter().filter(|s| **s).count() == 1,
            f("identifier.value"),
            "exactly one of arn, url, metricDefinition, pagerDutyIncidentDetail",
        );
        if let Some(title) = &item.title {
            c.length(title, f("title"), 1, 200);
        }
    }
    if let Some(t) = &alarm.trigger_details {
        c.length(&t.source, "triggerDetails.source", 1, 50);
        if let Some(raw) = &t.raw_data {
            c.length(raw, "triggerDetails.rawData", 0, 10_000);
        }
        if let Some(arn) = &t.trigger_arn {
            c.check(
                Arn::parse(arn).is_ok(),
                "triggerDetails.triggerArn",
                "must be an ARN",
            );
        }
    }
    if let Some(token) = &alarm.client_token {
        c.length(token, "clientToken", 1, 128);
    }
    if let Some(d) = &alarm.dedupe_string {
        c.length(d, "dedupeString", 0, 1000);
    }
    c.finish()
}

/// The idempotency key of an alarm: its `clientToken` when given (the caller's own promise),
/// else the AMQP `message_id`, else the hash of the body. A redelivery of the same message
/// always maps to the same key.
pub fn idempotency_key(
    client_token: Option<&str>,
    message_id: Option<&str>,
    body: &[u8],
) -> String {
    match (client_token, message_id) {
        (Some(t), _) => format!("client-token:{t}"),
        (None, Some(m)) if !m.is_empty() => format!("message:{m}"),
        _ => format!("body:{}", sha256_hex(body)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tocsin_proto::records::{ItemIdentifier, ItemValue, RelatedItem};

    fn alarm() -> NativeAlarm {
        NativeAlarm {
            response_plan_arn: "arn:aws:ssm-incidents::123456789012:response-plan/db".into(),
            title: None,
            impact: None,
            related_items: vec![],
            trigger_details: None,
            client_token: None,
            dedupe_string: None,
        }
    }

    #[test]
    fn a_minimal_alarm_is_valid() {
        validate_native(&alarm(), "123456789012").unwrap();
    }

    #[test]
    fn errors_name_the_field_and_the_rule() {
        let mut a = alarm();
        a.impact = Some(7);
        a.title = Some("x".repeat(201));
        a.related_items.push(RelatedItem {
            identifier: ItemIdentifier {
                item_type: "NOPE".into(),
                value: ItemValue::default(),
            },
            title: None,
            generated_id: None,
        });
        let e = validate_native(&a, "123456789012").unwrap_err().to_string();
        assert!(e.contains("impact: must be between 1 and 5, got 7"), "{e}");
        assert!(
            e.contains("title: length must be between 0 and 200 characters, got 201"),
            "{e}"
        );
        assert!(
            e.contains("relatedItems[0].identifier.type: must be one of"),
            "{e}"
        );
        assert!(
            e.contains("relatedItems[0].identifier.value: exactly one of"),
            "{e}"
        );
    }

    #[test]
    fn another_accounts_plan_is_refused() {
        let e = validate_native(&alarm(), "210987654321")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "responsePlanArn: must belong to account 210987654321");
        let mut a = alarm();
        a.response_plan_arn = "not-an-arn".into();
        assert!(
            validate_native(&a, "123456789012")
                .unwrap_err()
                .to_string()
                .starts_with("responsePlanArn: ")
        );
    }

    #[test]
    fn idempotency_key_prefers_the_callers_token() {
        assert_eq!(
            idempotency_key(Some("t"), Some("m"), b"x"),
            "client-token:t"
        );
        assert_eq!(idempotency_key(None, Some("m"), b"x"), "message:m");
        assert_eq!(
            idempotency_key(None, Some(""), b"x"),
            idempotency_key(None, None, b"x")
        );
        assert!(idempotency_key(None, None, b"x").starts_with("body:"));
    }
}
