//! `AWS::SSMIncidents::ResponsePlan` and `ReplicationSet` as Tocsin records.
//!
//! CloudFormation spells the plan's nested shapes in PascalCase with `Parameters` as a list of
//! `{Key, Values}`; the records keep the API's camelCase shapes (`ssmAutomation.parameters` as
//! a map), as `CreateResponsePlan` stores them.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use tocsin_core::validate::Checker;
use tocsin_proto::arn;
use tocsin_proto::records::{ChatChannel, IncidentTemplate, NotificationTargetItem, ResponsePlan};

use super::props::Props;

/// A response plan from `AWS::SSMIncidents::ResponsePlan` properties.
pub fn response_plan(c: &mut Checker, p: Props<'_>, account: &str) -> Option<ResponsePlan> {
    let name = p.string(c, &["Name"], true)?;
    c.length(&name, p.field("Name"), 1, 200);
    c.check(
        name.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
        p.field("Name"),
        "may contain only a-z, A-Z, 0-9, _ and -",
    );
    let at = p.field("IncidentTemplate");
    let Some((_, template)) = p.get(&["IncidentTemplate"]) else {
        c.check(false, at, "is required");
        return None;
    };
    let t = Props {
        value: template,
        at: &at,
    };
    let title = t.string(c, &["Title"], true).unwrap_or_default();
    c.length(&title, t.field("Title"), 1, 200);
    let impact = t.int(c, &["Impact"], true).unwrap_or(0);
    c.check(
        (1..=5).contains(&impact),
        t.field("Impact"),
        "must be between 1 and 5",
    );
    let dedupe = t.string(c, &["DedupeString"], false);
    if let Some(d) = &dedupe {
        c.length(d, t.field("DedupeString"), 1, 1000);
    }
    let summary = t.string(c, &["Summary"], false);
    if let Some(s) = &summary {
        c.length(s, t.field("Summary"), 1, 4000);
    }
    let engagements = p.strings(c, &["Engagements"]);
    c.check(
        engagements.len() <= 5,
        p.field("Engagements"),
        "at most 5 contacts",
    );
    let chat_channel = p.get(&["ChatChannel"]).map(|(_, v)| {
        let f = p.field("ChatChannel");
        let cp = Props { value: v, at: &f };
        let topics = cp.strings(c, &["ChatbotSns"]);
        c.check(
            topics.len() <= 5,
            cp.field("ChatbotSns"),
            "at most 5 topics",
        );
        ChatChannel {
            chatbot_sns: (!topics.is_empty()).then_some(topics.clone()),
            empty: topics
                .is_empty()
                .then_some(tocsin_proto::records::EmptyChatChannel {}),
            webhooks: None,
        }
    });
    let actions: Vec<Value> = p
        .list(c, &["Actions"])
        .into_iter()
        .map(|(_, a)| action(a))
        .collect();
    c.check(actions.len() <= 1, p.field("Actions"), "at most 1 action");
    let integrations: Vec<Value> = p
        .list(c, &["Integrations"])
        .into_iter()
        .map(|(_, i)| camel(i))
        .collect();
    c.check(
        integrations.len() <= 1,
        p.field("Integrations"),
        "at most 1 integration",
    );
    let incident_tags = t.tags_named(c, "IncidentTags");
    Some(ResponsePlan {
        arn: arn::response_plan(account, &name),
        name,
        display_name: p.string(c, &["DisplayName"], false),
        incident_template: IncidentTemplate {
            title,
            impact: impact.clamp(0, 255) as u8,
            summary,
            dedupe_string: dedupe,
            incident_tags,
            notification_targets: t
                .list(c, &["NotificationTargets"])
                .into_iter()
                .map(|(at, n)| NotificationTargetItem {
                    sns_topic_arn: Props { value: n, at: &at }.string(c, &["SnsTopicArn"], true),
                })
                .collect(),
        },
        engagements,
        chat_channel,
        actions,
        integrations,
        tags: p.tags(c),
        auto_resolve: false,
    })
}

impl Props<'_> {
    /// Tags under another name than `Tags` (the template's `IncidentTags`).
    fn tags_named(&self, c: &mut Checker, name: &str) -> BTreeMap<String, String> {
        match self.get(&[name]) {
            Some((_, v)) => {
                let wrapped = json!({ "Tags": v });
                let at = self.at.to_owned();
                Props {
                    value: &wrapped,
                    at: &at,
                }
                .tags(c)
            }
            None => BTreeMap::new(),
        }
    }
}

/// An `Action` in the API's shape: `SsmAutomation.Parameters` `[{Key, Values}]` becomes a
/// map, `DynamicParameters` `[{Key, Value: {Variable}}]` too.
fn action(a: &Value) -> Value {
    let mut out = camel(a);
    if let Some(ssm) = out.get_mut("ssmAutomation").and_then(Value::as_object_mut) {
        for (key, inner) in [("parameters", "values"), ("dynamicParameters", "value")] {
            if let Some(Value::Array(list)) = ssm.get(key) {
                let map: Map<String, Value> = list
                    .iter()
                    .filter_map(|kv| {
                        Some((kv.get("key")?.as_str()?.to_owned(), kv.get(inner)?.clone()))
                    })
                    .collect();
                ssm.insert(key.to_owned(), Value::Object(map));
            }
        }
    }
    out
}

/// Keys in camelCase, recursively (`SsmAutomation` → `ssmAutomation`).
fn camel(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let mut cs = k.chars();
                    let key = cs
                        .next()
                        .map(|f| f.to_ascii_lowercase().to_string() + cs.as_str())
                        .unwrap_or_default();
                    (key, camel(v))
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(camel).collect()),
        other => other.clone(),
    }
}

/// The replication set a template asks for: its regions and deletion protection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WantedSet {
    /// Region name → KMS key (`DefaultKey` when none).
    pub regions: BTreeMap<String, String>,
    /// Deletion protection (CloudFormation's default: true).
    pub deletion_protected: bool,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// `AWS::SSMIncidents::ReplicationSet` properties.
pub fn replication_set(c: &mut Checker, p: Props<'_>) -> WantedSet {
    let mut regions = BTreeMap::new();
    for (at, r) in p.list(c, &["Regions"]) {
        let rp = Props { value: r, at: &at };
        let Some(name) = rp.string(c, &["RegionName"], true) else {
            continue;
        };
        let key = rp
            .get(&["RegionConfiguration"])
            .and_then(|(_, v)| v.get("SseKmsKeyId"))
            .and_then(Value::as_str)
            .unwrap_or("DefaultKey")
            .to_owned();
        c.check(
            regions.insert(name, key).is_none(),
            at,
            "each region may appear once",
        );
    }
    c.check(
        (1..=3).contains(&regions.len()),
        p.field("Regions"),
        "a replication set has 1 to 3 regions",
    );
    WantedSet {
        regions,
        deletion_protected: p.bool(c, &["DeletionProtected"]).unwrap_or(true),
        tags: p.tags(c),
    }
}
