//! Model rules shared by the operations: the `Arn` pattern, tag keys and values, client
//! tokens, related items and event references, each reported through a [`Checker`] so one
//! answer names every broken field.

use std::collections::BTreeMap;

use tocsin_core::validate::Checker;
use tocsin_proto::records::{EventReference, ItemIdentifier, RelatedItem};

/// `ItemType` of the model.
pub const ITEM_TYPES: &[&str] = &[
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

/// `Arn`: at most 1000 characters of `^arn:aws(-cn|-us-gov)?:[a-z0-9-]*:[a-z0-9-]*:([0-9]{12})?:.+$`.
pub fn arn(c: &mut Checker, value: &str, field: &str) {
    c.length(value, field, 0, 1000);
    c.check(
        is_arn(value),
        field,
        "must be an ARN (arn:aws:<service>:<region>:<account>:<resource>)",
    );
}

/// Whether `s` matches the model's `Arn` pattern.
pub fn is_arn(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("arn:") else {
        return false;
    };
    let mut parts = rest.splitn(5, ':');
    let (Some(partition), Some(service), Some(region), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    let word = |w: &str| {
        w.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    matches!(partition, "aws" | "aws-cn" | "aws-us-gov")
        && word(service)
        && word(region)
        && (account.is_empty()
            || (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())))
        && !resource.is_empty()
}

/// `ClientToken`: at most 128 characters.
pub fn client_token(c: &mut Checker, token: Option<&str>) {
    if let Some(t) = token {
        c.length(t, "clientToken", 0, 128);
    }
}

/// A character of the tag patterns `[A-Za-z0-9 _=@:.+-/]` (`+-/` is a range: `+,-./`).
fn tag_char(ch: char) -> bool {
    ch.is_ascii_alphanumeric() || matches!(ch, ' ' | '_' | '=' | '@' | ':' | '+'..='/')
}

/// `TagKey`: 1–128 characters, not starting with `aws:`.
pub fn tag_key(c: &mut Checker, key: &str, field: &str) {
    c.length(key, field, 1, 128);
    c.check(
        !key.starts_with("aws:") && key.chars().all(tag_char),
        field,
        format!("tag key {key:?} must match ^(?!aws:)[A-Za-z0-9 _=@:.+-/]+$"),
    );
}

/// A `TagMap` of `min`–`max` entries.
pub fn tags(c: &mut Checker, tags: &BTreeMap<String, String>, field: &str, max: usize) {
    c.check(
        tags.len() <= max,
        field,
        format!("at most {max} tags, got {}", tags.len()),
    );
    for (k, v) in tags {
        tag_key(c, k, &format!("{field}.{k}"));
        c.length(v, format!("{field}.{k}"), 0, 256);
        c.check(
            v.chars().all(tag_char),
            format!("{field}.{k}"),
            "tag value must match ^[A-Za-z0-9 _=@:.+-/]*$",
        );
    }
}

/// `GeneratedId`: `related-item/<ItemType>/<32 upper-case hex digits>`.
pub fn is_generated_id(s: &str) -> bool {
    let mut parts = s.split('/');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("related-item"), Some(t), Some(hex), None)
            if ITEM_TYPES.contains(&t)
                && hex.len() == 32
                && hex.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
    )
}

/// `ItemIdentifier`: a known type and exactly one value member.
pub fn identifier(c: &mut Checker, id: &ItemIdentifier, field: &str) {
    c.check(
        ITEM_TYPES.contains(&id.item_type.as_str()),
        format!("{field}.type"),
        format!(
            "must be one of {}, got {:?}",
            ITEM_TYPES.join(", "),
            id.item_type
        ),
    );
    let v = &id.value;
    let set = [
        v.arn.is_some(),
        v.url.is_some(),
        v.metric_definition.is_some(),
        v.pager_duty_incident_detail.is_some(),
    ];
    c.check(
        set.iter().filter(|s| **s).count() == 1,
        format!("{field}.value"),
        "exactly one of arn, url, metricDefinition, pagerDutyIncidentDetail",
    );
    if let Some(a) = &v.arn {
        arn(c, a, &format!("{field}.value.arn"));
    }
    if let Some(u) = &v.url {
        c.length(u, format!("{field}.value.url"), 0, 1000);
    }
    if let Some(m) = &v.metric_definition {
        c.length(m, format!("{field}.value.metricDefinition"), 0, 4000);
    }
    if let Some(p) = &v.pager_duty_incident_detail {
        c.length(
            &p.id,
            format!("{field}.value.pagerDutyIncidentDetail.id"),
            1,
            200,
        );
    }
}

/// `RelatedItem`.
pub fn related_item(c: &mut Checker, item: &RelatedItem, field: &str) {
    identifier(c, &item.identifier, &format!("{field}.identifier"));
    if let Some(t) = &item.title {
        c.length(t, format!("{field}.title"), 0, 200);
    }
    if let Some(g) = &item.generated_id {
        c.check(
            is_generated_id(g),
            format!("{field}.generatedId"),
            "must match ^related-item/(ANALYSIS|INCIDENT|METRIC|PARENT|ATTACHMENT|OTHER|AUTOMATION|INVOLVED_RESOURCE|TASK)/([0-9]|[A-F]){32}$",
        );
    }
}

/// `EventReferenceList`: at most 10 unions of `resource` or `relatedItemId`.
pub fn event_references(c: &mut Checker, refs: &[EventReference]) {
    c.check(refs.len() <= 10, "eventReferences", "at most 10 references");
    for (i, r) in refs.iter().enumerate() {
        let field = format!("eventReferences[{i}]");
        match (&r.resource, &r.related_item_id) {
            (Some(a), None) => arn(c, a, &format!("{field}.resource")),
            (None, Some(g)) => c.check(
                is_generated_id(g),
                format!("{field}.relatedItemId"),
                "must be a related item's generatedId (related-item/<TYPE>/<32 hex digits>)",
            ),
            _ => c.check(false, field, "exactly one of resource, relatedItemId"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_follow_the_model_pattern() {
        assert!(is_arn(
            "arn:aws:ssm-incidents::123456789012:response-plan/x"
        ));
        assert!(is_arn("arn:aws-cn:s3:::bucket"));
        assert!(!is_arn("arn:aws:ssm-incidents::12345:response-plan/x"));
        assert!(!is_arn("arn:aws:ssm-incidents::123456789012:"));
        assert!(!is_arn("arn:azure:x::123456789012:y"));
    }

    #[test]
    fn tag_rules_refuse_aws_prefixes_and_odd_characters() {
        let mut c = Checker::default();
        let ok: BTreeMap<String, String> =
            [("team".to_string(), "sre/core, +1".to_string())].into();
        tags(&mut c, &ok, "tags", 50);
        assert!(c.finish().is_ok());
        for bad in ["aws:owner", "", "naïve"] {
            let mut c = Checker::default();
            tags(
                &mut c,
                &[(bad.to_string(), String::new())].into(),
                "tags",
                50,
            );
            assert!(c.finish().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn generated_ids_name_a_type_and_32_hex_digits() {
        assert!(is_generated_id(
            "related-item/METRIC/0123456789ABCDEF0123456789ABCDEF"
        ));
        assert!(!is_generated_id(
            "related-item/METRIC/0123456789abcdef0123456789abcdef"
        ));
        assert!(!is_generated_id(
            "related-item/NOPE/0123456789ABCDEF0123456789ABCDEF"
        ));
    }
}
