//! Response plans and contacts from a YAML file, until the API can create them.
//!
//! ```yaml
//! contacts:
//!   - alias: alice
//!     displayName: Alice Example
//!     channels:
//!       - { name: pager-hook, type: WEBHOOK, address: "https://hooks.example.com/alice" }
//!     stages:                      # engagement plan; targets are channel names
//!       - { durationInMinutes: 0, targets: [pager-hook] }
//!       # a failed send is retried every 2 minutes while the stage lasts
//!       - { durationInMinutes: 10, targets: [{ channel: pager-hook, retryIntervalInMinutes: 2 }] }
//!   - alias: sre-escalation
//!     type: ESCALATION             # stages of contacts or on-call schedules
//!     repeat: 2                    # run the plan up to 2 more times without an ack (0–9)
//!     ackTimeoutInMinutes: 60      # re-trigger if still open 60 min after an ack (1–1440)
//!     stages:
//!       - { durationInMinutes: 5, targets: [{ contact: primary-oncall, essential: true }] }
//!       - { durationInMinutes: 5, targets: [{ contact: alice, essential: true }] }
//!   - alias: primary-oncall
//!     type: ONCALL_SCHEDULE
//!     rotations: [primary]
//! rotations:                       # the ssm-contacts Rotation shape, names instead of ids
//!   - name: primary
//!     contacts: [alice]
//!     timeZoneId: Europe/London
//!     startTime: 2026-01-05T09:00:00Z
//!     recurrence:
//!       NumberOfOnCalls: 1
//!       RecurrenceMultiplier: 1
//!       WeeklySettings: [{ DayOfWeek: MON, HandOffTime: { HourOfDay: 9, MinuteOfHour: 0 } }]
//! responsePlans:
//!   - name: db-outage
//!     displayName: Database outage
//!     incidentTemplate: { title: Database outage, impact: 2, dedupeString: db-primary }
//!     engagements: [alice]         # contact aliases (or full contact ARNs)
//! ```
//!
//! Channels declared by the operator in this file are trusted and start ACTIVATED (set
//! `activated: false` to keep one off); channels created through the API must be activated
//! with a code. Ids derive from alias and name, so applying the same file twice changes nothing.

use std::collections::BTreeMap;

use serde::Deserialize;
use tocsin_core::ids::derive;
use tocsin_core::validate::{Checker, ValidationError};
use tocsin_proto::arn;
use tocsin_proto::records::*;

/// The file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Manifest {
    /// Contacts.
    #[serde(default)]
    pub contacts: Vec<ContactSpec>,
    /// Response plans.
    #[serde(default)]
    pub response_plans: Vec<PlanSpec>,
    /// On-call rotations.
    #[serde(default)]
    pub rotations: Vec<RotationSpec>,
    /// Routing rules.
    #[serde(default)]
    pub ingest_rules: Vec<RuleSpec>,
}

/// An on-call rotation.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RotationSpec {
    /// Name (unique in the manifest).
    pub name: String,
    /// Personal contacts (aliases or ARNs), in shift order.
    pub contacts: Vec<String>,
    /// IANA time zone.
    pub time_zone_id: String,
    /// When the rotation starts.
    pub start_time: chrono::DateTime<chrono::Utc>,
    /// Recurrence, as the `ssm-contacts` model spells it.
    pub recurrence: RecurrenceSettings,
}

/// A contact: personal (channels and an engagement plan), an escalation plan, or an on-call
/// schedule.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContactSpec {
    /// Alias (`[a-z0-9_-]`, 1–255).
    pub alias: String,
    /// PERSONAL (default), ESCALATION or ONCALL_SCHEDULE.
    #[serde(default = "personal", rename = "type")]
    pub contact_type: ContactType,
    /// Rotation names (on-call schedules).
    #[serde(default)]
    pub rotations: Vec<String>,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Channels.
    #[serde(default)]
    pub channels: Vec<ChannelSpec>,
    /// Engagement plan stages.
    #[serde(default)]
    pub stages: Vec<StageSpec>,
    /// How many times the plan runs again after its last stage (0–9; Tocsin extension).
    #[serde(default)]
    pub repeat: u32,
    /// Minutes after an acknowledgement at which the plan re-triggers if the incident is
    /// still open (1–1440; Tocsin extension).
    #[serde(default)]
    pub ack_timeout_in_minutes: Option<u32>,
}

/// A channel.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChannelSpec {
    /// Name, unique within the contact.
    pub name: String,
    /// EMAIL, SMS, VOICE or WEBHOOK.
    #[serde(rename = "type")]
    pub channel_type: ChannelType,
    /// Address.
    pub address: String,
    /// Whether it can be engaged right away (default true).
    #[serde(default = "yes")]
    pub activated: bool,
}

fn yes() -> bool {
    true
}

/// A stage of an engagement plan.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StageSpec {
    /// Minutes until the next stage (0–30).
    #[serde(default)]
    pub duration_in_minutes: u32,
    /// Channel names.
    pub targets: Vec<TargetSpec>,
}

/// A stage target.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum TargetSpec {
    /// A channel of this personal contact, by name.
    Channel(String),
    /// A channel by name, sent again after a failed send (`RetryIntervalInMinutes`, 0–60).
    #[serde(rename_all = "camelCase")]
    RetriedChannel {
        /// Channel name.
        channel: String,
        /// Minutes before a failed page is sent again.
        retry_interval_in_minutes: u32,
    },
    /// A contact or on-call schedule (alias or ARN) of an escalation plan.
    Contact {
        /// Alias or ARN.
        contact: String,
        /// Whether its acknowledgement stops the plan.
        #[serde(default)]
        essential: bool,
    },
}

fn personal() -> ContactType {
    ContactType::Personal
}

/// A response plan.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlanSpec {
    /// Name (`[a-zA-Z0-9_-]`, 1–200).
    pub name: String,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Incident template.
    pub incident_template: IncidentTemplate,
    /// Contact aliases or ARNs (at most 5).
    #[serde(default)]
    pub engagements: Vec<String>,
    /// Resolve the open incident when its alarm recovers.
    #[serde(default)]
    pub auto_resolve: bool,
}

/// A routing rule for alarms that name no plan.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleSpec {
    /// Name (unique).
    pub name: String,
    /// Position among the rules (then by name).
    #[serde(default)]
    pub order: u32,
    /// Formats it applies to (empty: all).
    #[serde(default)]
    pub formats: Vec<String>,
    /// EventBridge event pattern.
    pub event_pattern: serde_json::Value,
    /// Target plan name (or ARN).
    pub response_plan: String,
}

/// The records a manifest defines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resolved {
    /// Contacts.
    pub contacts: Vec<Contact>,
    /// Channels.
    pub channels: Vec<ContactChannel>,
    /// Plans.
    pub plans: Vec<ResponsePlan>,
    /// Rotations.
    pub rotations: Vec<Rotation>,
    /// Routing rules.
    pub rules: Vec<IngestRule>,
}

/// Parses YAML text.
pub fn parse(text: &str) -> Result<Manifest, serde_yaml::Error> {
    serde_yaml::from_str(text)
}

/// The channel id of `alias`'s channel `name`.
pub fn channel_id(alias: &str, name: &str) -> String {
    derive(&["channel", alias, name])
}

/// Validates the manifest and builds its records for `account` in `region`.
pub fn resolve(m: &Manifest, account: &str, region: &str) -> Result<Resolved, ValidationError> {
    let mut c = Checker::default();
    let mut out = Resolved::default();
    for (i, spec) in m.contacts.iter().enumerate() {
        resolve_contact(&mut c, &mut out, m, i, spec, account, region);
    }
    for (i, p) in m.response_plans.iter().enumerate() {
        let f = |s: &str| format!("responsePlans[{i}].{s}");
        c.length(&p.name, f("name"), 1, 200);
        c.check(
            p.name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
            f("name"),
            "may contain only a-z, A-Z, 0-9, _ and -",
        );
        c.length(
            &p.incident_template.title,
            f("incidentTemplate.title"),
            1,
            200,
        );
        c.check(
            (1..=5).contains(&p.incident_template.impact),
            f("incidentTemplate.impact"),
            "must be between 1 and 5",
        );
        c.check(
            p.engagements.len() <= 5,
            f("engagements"),
            "at most 5 contacts",
        );
        out.plans.push(ResponsePlan {
            arn: arn::response_plan(account, &p.name),
            name: p.name.clone(),
            display_name: p.display_name.clone(),
            incident_template: p.incident_template.clone(),
            engagements: p
                .engagements
                .iter()
                .map(|e| contact_ref(e, account, region))
                .collect(),
            chat_channel: None,
            actions: vec![],
            integrations: vec![],
            tags: BTreeMap::new(),
            auto_resolve: p.auto_resolve,
        });
    }
    for (i, r) in m.rotations.iter().enumerate() {
        let rotation = Rotation {
            rotation_arn: arn::rotation(region, account, &rotation_id(&r.name)),
            name: r.name.clone(),
            contact_ids: r
                .contacts
                .iter()
                .map(|x| contact_ref(x, account, region))
                .collect(),
            start_time: r.start_time,
            time_zone_id: r.time_zone_id.clone(),
            recurrence: r.recurrence.clone(),
        };
        if let Err(e) = tocsin_core::rotation::validate_rotation(&rotation) {
            for fe in e.0 {
                c.check(false, format!("rotations[{i}].{}", fe.field), fe.rule);
            }
        }
        out.rotations.push(rotation);
    }
    for (i, r) in m.ingest_rules.iter().enumerate() {
        let f = |s: &str| format!("ingestRules[{i}].{s}");
        c.length(&r.name, f("name"), 1, 200);
        if let Err(e) = tocsin_core::pattern::Pattern::from_value(&r.event_pattern) {
            c.check(false, f("eventPattern"), e.to_string());
        }
        for fmt in &r.formats {
            c.check(
                tocsin_core::formats::Format::from_key(fmt).is_some(),
                f("formats"),
                format!("{fmt:?} is not a format"),
            );
        }
        let plan = if r.response_plan.starts_with("arn:") {
            r.response_plan.clone()
        } else {
            arn::response_plan(account, &r.response_plan)
        };
        c.check(
            r.response_plan.starts_with("arn:")
                || m.response_plans.iter().any(|p| p.name == r.response_plan),
            f("responsePlan"),
            format!(
                "{:?} is not a response plan of this manifest",
                r.response_plan
            ),
        );
        out.rules.push(IngestRule {
            name: r.name.clone(),
            order: r.order,
            formats: r.formats.clone(),
            event_pattern: r.event_pattern.to_string(),
            response_plan_arn: plan,
        });
    }
    check_with_core(&mut c, &out);
    c.finish().map(|()| out)
}

/// The contact rules of the `ssm-contacts` model (aliases, addresses, plans, escalation
/// cycles), from the core, with each field prefixed by where it sits in the manifest.
fn check_with_core(c: &mut Checker, out: &Resolved) {
    use tocsin_core::contacts;
    let mut relay = |prefix: String, r: Result<(), ValidationError>| {
        for fe in r.err().map(|e| e.0).unwrap_or_default() {
            c.check(false, format!("{prefix}.{}", fe.field), fe.rule);
        }
    };
    for (i, contact) in out.contacts.iter().enumerate() {
        relay(
            format!("contacts[{i}]"),
            contacts::validate_contact(contact),
        );
        let lookup = |arn: &str| out.contacts.iter().find(|x| x.contact_arn == arn);
        relay(
            format!("contacts[{i}]"),
            contacts::check_escalation_cycles(contact, lookup),
        );
    }
    for ch in &out.channels {
        let i = out
            .contacts
            .iter()
            .position(|x| x.contact_arn == ch.contact_arn)
            .unwrap_or_default();
        relay(
            format!("contacts[{i}].channels[{}]", ch.name),
            contacts::validate_channel(ch),
        );
    }
}

fn resolve_contact(
    c: &mut Checker,
    out: &mut Resolved,
    m: &Manifest,
    i: usize,
    spec: &ContactSpec,
    account: &str,
    region: &str,
) {
    let f = |s: &str| format!("contacts[{i}].{s}");
    let contact_arn = arn::contact(region, account, &spec.alias);
    let mut by_name = BTreeMap::new();
    for (j, ch) in spec.channels.iter().enumerate() {
        let g = |s: &str| format!("contacts[{i}].channels[{j}].{s}");
        c.check(
            spec.contact_type == ContactType::Personal,
            g("type"),
            "only personal contacts have channels",
        );
        c.length(&ch.name, g("name"), 1, 255);
        c.check(
            by_name.insert(ch.name.clone(), ()).is_none(),
            g("name"),
            "must be unique within the contact",
        );
        out.channels.push(ContactChannel {
            contact_channel_arn: arn::contact_channel(
                region,
                account,
                &spec.alias,
                &channel_id(&spec.alias, &ch.name),
            ),
            contact_arn: contact_arn.clone(),
            name: ch.name.clone(),
            channel_type: ch.channel_type,
            delivery_address: ContactChannelAddress {
                simple_address: ch.address.clone(),
            },
            activation_status: if ch.activated {
                ActivationStatus::Activated
            } else {
                ActivationStatus::NotActivated
            },
        });
    }
    let mut stages = Vec::new();
    for (k, st) in spec.stages.iter().enumerate() {
        let g = |s: &str| format!("contacts[{i}].stages[{k}].{s}");
        c.check(
            st.duration_in_minutes <= 30,
            g("durationInMinutes"),
            "must be between 0 and 30",
        );
        let mut targets = Vec::new();
        for t in &st.targets {
            let (t, retry) = match t {
                TargetSpec::RetriedChannel {
                    channel,
                    retry_interval_in_minutes,
                } => {
                    c.check(
                        *retry_interval_in_minutes <= 60,
                        g("targets"),
                        "retryIntervalInMinutes must be between 0 and 60",
                    );
                    (
                        &TargetSpec::Channel(channel.clone()),
                        Some(*retry_interval_in_minutes),
                    )
                }
                other => (other, None),
            };
            match (t, spec.contact_type) {
                (TargetSpec::Channel(name), ContactType::Personal) => {
                    c.check(
                        by_name.contains_key(name),
                        g("targets"),
                        format!("{name:?} is not a channel of this contact"),
                    );
                    targets.push(Target {
                        channel_target_info: Some(ChannelTargetInfo {
                            contact_channel_id: arn::contact_channel(
                                region,
                                account,
                                &spec.alias,
                                &channel_id(&spec.alias, name),
                            ),
                            retry_interval_in_minutes: retry,
                        }),
                        contact_target_info: None,
                    });
                }
                (TargetSpec::Contact { contact, essential }, ContactType::Escalation) => {
                    let target = contact_ref(contact, account, region);
                    c.check(
                        target != contact_arn,
                        g("targets"),
                        "an escalation plan cannot engage itself",
                    );
                    c.check(
                        contact.starts_with("arn:")
                            || m.contacts.iter().any(|x| &x.alias == contact),
                        g("targets"),
                        format!("{contact:?} is not a contact of this manifest"),
                    );
                    targets.push(Target {
                        channel_target_info: None,
                        contact_target_info: Some(ContactTargetInfo {
                            contact_id: Some(target),
                            is_essential: *essential,
                        }),
                    });
                }
                (TargetSpec::Channel(_) | TargetSpec::RetriedChannel { .. }, _) => c.check(
                    false,
                    g("targets"),
                    "channel targets belong to personal contacts",
                ),
                (TargetSpec::Contact { .. }, _) => c.check(
                    false,
                    g("targets"),
                    "contact targets belong to escalation plans",
                ),
            }
        }
        stages.push(Stage {
            duration_in_minutes: st.duration_in_minutes,
            targets,
        });
    }
    c.check(spec.repeat <= 9, f("repeat"), "must be between 0 and 9");
    if let Some(m) = spec.ack_timeout_in_minutes {
        c.check(
            (1..=1440).contains(&m),
            f("ackTimeoutInMinutes"),
            "must be between 1 and 1440",
        );
    }
    c.check(
        spec.contact_type != ContactType::OncallSchedule
            || (spec.repeat == 0 && spec.ack_timeout_in_minutes.is_none()),
        f("repeat"),
        "on-call schedules have no stages to repeat or re-trigger; set it on the escalation plan",
    );
    let rotation_ids: Vec<String> = spec
        .rotations
        .iter()
        .map(|r| arn::rotation(region, account, &rotation_id(r)))
        .collect();
    if spec.contact_type == ContactType::OncallSchedule {
        c.check(
            (1..=8).contains(&rotation_ids.len()),
            f("rotations"),
            "an on-call schedule has 1 to 8 rotations",
        );
        for r in &spec.rotations {
            c.check(
                m.rotations.iter().any(|x| &x.name == r),
                f("rotations"),
                format!("{r:?} is not a rotation of this manifest"),
            );
        }
    } else {
        c.check(
            rotation_ids.is_empty(),
            f("rotations"),
            "only on-call schedules have rotations",
        );
    }
    out.contacts.push(Contact {
        contact_arn,
        alias: spec.alias.clone(),
        display_name: spec.display_name.clone(),
        contact_type: spec.contact_type,
        tocsin: ContactOptions {
            repeat: spec.repeat,
            ack_timeout_in_minutes: spec.ack_timeout_in_minutes,
        },
        plan: Plan {
            stages,
            rotation_ids,
        },
    });
}

/// The id of rotation `name` (derived, so re-applying keeps it).
pub fn rotation_id(name: &str) -> String {
    derive(&["rotation", name])
}

/// A contact given by alias or ARN, as an ARN.
fn contact_ref(x: &str, account: &str, region: &str) -> String {
    if x.starts_with("arn:") {
        x.to_string()
    } else {
        arn::contact(region, account, x)
    }
}

/// Writes the records (replacing earlier versions of the same ids).
pub async fn apply(
    records: &tocsin_runtime::Records,
    r: &Resolved,
) -> Result<(), tocsin_runtime::records::RecordsError> {
    use tocsin_store::Expect;
    let last = |a: &str| a.rsplit('/').next().unwrap_or_default().to_string();
    for ch in &r.channels {
        records
            .put(
                kinds::CONTACT_CHANNEL,
                &last(&ch.contact_channel_arn),
                ch,
                Expect::Any,
            )
            .await?;
    }
    for c in &r.contacts {
        records
            .put(kinds::CONTACT, &c.alias, c, Expect::Any)
            .await?;
    }
    for p in &r.plans {
        records
            .put(kinds::RESPONSE_PLAN, &p.name, p, Expect::Any)
            .await?;
    }
    for rule in &r.rules {
        records
            .put(kinds::INGEST_RULE, &rule.name, rule, Expect::Any)
            .await?;
    }
    for rot in &r.rotations {
        records
            .put(kinds::ROTATION, &last(&rot.rotation_arn), rot, Expect::Any)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = r#"
contacts:
  - alias: alice
    channels:
      - { name: hook, type: WEBHOOK, address: "http://127.0.0.1:9/p" }
      - { name: mail, type: EMAIL, address: "alice@example.com", activated: false }
    stages:
      - { durationInMinutes: 0, targets: [hook, mail] }
responsePlans:
  - name: db-outage
    incidentTemplate: { title: Database outage, impact: 2, dedupeString: db }
    engagements: [alice]
"#;

    #[test]
    fn a_manifest_becomes_records() {
        let r = resolve(&parse(YAML).unwrap(), "123456789012", "us-east-1").unwrap();
        assert_eq!(r.contacts.len(), 1);
        assert_eq!(r.channels.len(), 2);
        assert_eq!(
            r.channels[1].activation_status,
            ActivationStatus::NotActivated
        );
        assert_eq!(
            r.plans[0].engagements,
            vec![arn::contact("us-east-1", "123456789012", "alice")]
        );
        assert_eq!(r.contacts[0].plan.stages[0].targets.len(), 2);
        assert_eq!(
            resolve(&parse(YAML).unwrap(), "123456789012", "us-east-1").unwrap(),
            r,
            "deterministic"
        );
    }

    #[test]
    fn escalation_cycles_and_bad_addresses_are_refused() {
        let yaml = r#"
contacts:
  - alias: bob
    channels: [{ name: sms, type: SMS, address: "+12" }]
    stages: [{ durationInMinutes: 0, targets: [sms] }]
  - alias: first
    type: ESCALATION
    stages: [{ durationInMinutes: 5, targets: [{ contact: second, essential: true }] }]
  - alias: second
    type: ESCALATION
    stages: [{ durationInMinutes: 5, targets: [{ contact: first, essential: true }] }]
"#;
        let e = resolve(&parse(yaml).unwrap(), "123456789012", "us-east-1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("escalation cycle"), "{e}");
        assert!(
            e.contains("contacts[0].channels[sms].DeliveryAddress.SimpleAddress"),
            "{e}"
        );
    }

    #[test]
    fn extensions_repeat_ack_timeout_and_retries_are_read_and_checked() {
        let yaml = r#"
contacts:
  - alias: ann
    channels: [{ name: hook, type: WEBHOOK, address: "http://127.0.0.1:9/p" }]
    stages: [{ durationInMinutes: 5, targets: [{ channel: hook, retryIntervalInMinutes: 2 }] }]
  - alias: esc
    type: ESCALATION
    repeat: 2
    ackTimeoutInMinutes: 60
    stages: [{ durationInMinutes: 5, targets: [{ contact: ann, essential: true }] }]
"#;
        let r = resolve(&parse(yaml).unwrap(), "123456789012", "us-east-1").unwrap();
        let info = r.contacts[0].plan.stages[0].targets[0]
            .channel_target_info
            .clone()
            .unwrap();
        assert_eq!(info.retry_interval_in_minutes, Some(2));
        assert_eq!(r.contacts[1].tocsin.repeat, 2);
        assert_eq!(r.contacts[1].tocsin.ack_timeout_in_minutes, Some(60));
        let bad = yaml
            .replace("retryIntervalInMinutes: 2", "retryIntervalInMinutes: 61")
            .replace("repeat: 2", "repeat: 10")
            .replace("ackTimeoutInMinutes: 60", "ackTimeoutInMinutes: 0");
        let e = resolve(&parse(&bad).unwrap(), "123456789012", "us-east-1")
            .unwrap_err()
            .to_string();
        for needle in [
            "contacts[0].stages[0].targets: retryIntervalInMinutes must be between 0 and 60",
            "repeat: must be between 0 and 9",
            "ackTimeoutInMinutes: must be between 1 and 1440",
        ] {
            assert!(e.contains(needle), "{needle} in {e}");
        }
    }

    #[test]
    fn the_example_manifest_is_valid() {
        let text = include_str!("../../../examples/manifest.yaml");
        let r = resolve(&parse(text).unwrap(), "123456789012", "us-east-1").unwrap();
        assert_eq!(
            (r.contacts.len(), r.rotations.len(), r.plans.len()),
            (4, 1, 1)
        );
    }

    #[test]
    fn errors_name_the_field() {
        let bad = YAML
            .replace("impact: 2", "impact: 9")
            .replace("targets: [hook, mail]", "targets: [nope]");
        let e = resolve(&parse(&bad).unwrap(), "123456789012", "us-east-1")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("responsePlans[0].incidentTemplate.impact: must be between 1 and 5"),
            "{e}"
        );
        assert!(
            e.contains("contacts[0].stages[0].targets: \"nope\" is not a channel of this contact"),
            "{e}"
        );
        let unknown = parse("contacts: []\nplans: []\n").unwrap_err().to_string();
        assert!(unknown.contains("unknown field `plans`"), "{unknown}");
    }
}
