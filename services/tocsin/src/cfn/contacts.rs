//! `AWS::SSMContacts::Contact`, `ContactChannel`, `Plan` and `Rotation` as Tocsin records.
//!
//! Ids derive as in the YAML manifest (contact = alias, channel = derived from alias and
//! channel name, rotation = derived from its name), so a template and a manifest naming the
//! same things write the same records, and applying a template again updates in place.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;
use tocsin_core::validate::Checker;
use tocsin_proto::arn;
use tocsin_proto::records::*;

use super::props::Props;
use crate::manifest::{channel_id, rotation_id};

/// The contact alias of a contact ARN (or of a bare alias).
pub fn alias_of(contact: &str) -> &str {
    contact.rsplit('/').next().unwrap_or(contact)
}

/// A contact from `AWS::SSMContacts::Contact` properties.
pub fn contact(c: &mut Checker, p: Props<'_>, account: &str, region: &str) -> Option<Contact> {
    let alias = p.string(c, &["Alias"], true)?;
    let contact_type = match p.string(c, &["Type"], true)?.as_str() {
        "PERSONAL" => ContactType::Personal,
        "ESCALATION" => ContactType::Escalation,
        "ONCALL_SCHEDULE" => ContactType::OncallSchedule,
        other => {
            c.check(
                false,
                p.field("Type"),
                format!("must be PERSONAL, ESCALATION or ONCALL_SCHEDULE, got {other:?}"),
            );
            return None;
        }
    };
    let mut contact = Contact {
        contact_arn: arn::contact(region, account, &alias),
        alias,
        display_name: p.string(c, &["DisplayName"], false),
        contact_type,
        plan: Plan::default(),
        tocsin: ContactOptions::default(),
    };
    // CloudFormation's `Plan` is the list of stages; the API's is `{Stages, RotationIds}`.
    match p.get(&["Plan"]) {
        Some((_, Value::Object(_))) => {
            let at = p.field("Plan");
            let inner = Props {
                value: &p.value["Plan"],
                at: &at,
            };
            contact.plan = plan(c, inner, &["Stages"]);
        }
        Some(_) => contact.plan = plan(c, p, &["Plan"]),
        None => {}
    }
    Some(contact)
}

/// Stages (and rotations) from the list `names` of `p`, plus `p`'s own `RotationIds`.
pub fn plan(c: &mut Checker, p: Props<'_>, names: &[&str]) -> Plan {
    let mut out = Plan {
        stages: vec![],
        rotation_ids: p.strings(c, &["RotationIds"]),
    };
    for (at, s) in p.list(c, names) {
        let sp = Props { value: s, at: &at };
        // A stage of an on-call schedule only names rotations.
        let rotations = sp.strings(c, &["RotationIds"]);
        let has_targets = sp.get(&["Targets"]).is_some();
        out.rotation_ids.extend(rotations.iter().cloned());
        if !has_targets && !rotations.is_empty() {
            continue;
        }
        let duration = sp.int(c, &["DurationInMinutes"], false).unwrap_or(0);
        c.check(
            (0..=30).contains(&duration),
            sp.field("DurationInMinutes"),
            "must be between 0 and 30",
        );
        let mut targets = Vec::new();
        for (tat, t) in sp.list(c, &["Targets"]) {
            let tp = Props { value: t, at: &tat };
            let channel = tp.get(&["ChannelTargetInfo"]).map(|(_, v)| {
                let f = tp.field("ChannelTargetInfo");
                let cp = Props { value: v, at: &f };
                ChannelTargetInfo {
                    contact_channel_id: cp
                        .string(c, &["ChannelId", "ContactChannelId"], true)
                        .unwrap_or_default(),
                    retry_interval_in_minutes: cp
                        .int(c, &["RetryIntervalInMinutes"], false)
                        .map(|m| m.clamp(0, u32::MAX.into()) as u32),
                }
            });
            let contact = tp.get(&["ContactTargetInfo"]).map(|(_, v)| {
                let f = tp.field("ContactTargetInfo");
                let cp = Props { value: v, at: &f };
                ContactTargetInfo {
                    contact_id: cp.string(c, &["ContactId"], true),
                    is_essential: cp.bool(c, &["IsEssential"]).unwrap_or(false),
                }
            });
            c.check(
                channel.is_some() != contact.is_some(),
                tat.clone(),
                "needs exactly one of ChannelTargetInfo and ContactTargetInfo",
            );
            targets.push(Target {
                channel_target_info: channel,
                contact_target_info: contact,
            });
        }
        out.stages.push(Stage {
            duration_in_minutes: duration.clamp(0, 30) as u32,
            targets,
        });
    }
    out
}

/// The identity of a channel: its contact's ARN and its name.
pub fn channel_identity(c: &mut Checker, p: Props<'_>) -> Option<(String, String)> {
    let contact = p.string(c, &["ContactId"], true)?;
    let name = p.string(c, &["ChannelName", "Name"], true)?;
    Some((contact, name))
}

/// The ARN a channel gets.
pub fn channel_arn(contact: &str, name: &str, account: &str, region: &str) -> String {
    let alias = alias_of(contact);
    arn::contact_channel(region, account, alias, &channel_id(alias, name))
}

/// A channel from `AWS::SSMContacts::ContactChannel` properties. Channels of a template are
/// the operator's own, so they start ACTIVATED unless `DeferActivation: true`.
pub fn channel(
    c: &mut Checker,
    p: Props<'_>,
    account: &str,
    region: &str,
) -> Option<ContactChannel> {
    let (contact_arn, name) = channel_identity(c, p)?;
    let channel_type = match p.string(c, &["ChannelType", "Type"], true)?.as_str() {
        "EMAIL" => ChannelType::Email,
        "SMS" => ChannelType::Sms,
        "VOICE" => ChannelType::Voice,
        "WEBHOOK" => ChannelType::Webhook,
        other => {
            c.check(
                false,
                p.field("ChannelType"),
                format!("must be EMAIL, SMS, VOICE or WEBHOOK, got {other:?}"),
            );
            return None;
        }
    };
    let address = match p.get(&["DeliveryAddress"]) {
        Some((_, v)) if v.is_object() => {
            let at = p.field("DeliveryAddress");
            Props { value: v, at: &at }.string(c, &["SimpleAddress"], true)
        }
        _ => p.string(c, &["ChannelAddress"], true),
    }?;
    let deferred = p.bool(c, &["DeferActivation"]).unwrap_or(false);
    Some(ContactChannel {
        contact_channel_arn: channel_arn(&contact_arn, &name, account, region),
        contact_arn,
        name,
        channel_type,
        delivery_address: ContactChannelAddress {
            simple_address: address,
        },
        activation_status: if deferred {
            ActivationStatus::NotActivated
        } else {
            ActivationStatus::Activated
        },
    })
}

/// The ARN a rotation gets.
pub fn rotation_arn(name: &str, account: &str, region: &str) -> String {
    arn::rotation(region, account, &rotation_id(name))
}

/// A rotation from `AWS::SSMContacts::Rotation` properties. A `StartTime` without an offset
/// (`2026-01-05T09:00:00`, CloudFormation's pattern) is read as UTC.
pub fn rotation(c: &mut Checker, p: Props<'_>, account: &str, region: &str) -> Option<Rotation> {
    let name = p.string(c, &["Name"], true)?;
    let start = p.string(c, &["StartTime"], true)?;
    let start_time = DateTime::parse_from_rfc3339(&start)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDateTime::parse_from_str(&start, "%Y-%m-%dT%H:%M:%S").map(|n| n.and_utc())
        });
    let Ok(start_time) = start_time else {
        c.check(
            false,
            p.field("StartTime"),
            "must be a date and time like 2026-01-05T09:00:00",
        );
        return None;
    };
    let at = p.field("Recurrence");
    let r = Props {
        value: p.get(&["Recurrence"]).map_or(&Value::Null, |(_, v)| v),
        at: &at,
    };
    let recurrence = RecurrenceSettings {
        number_of_on_calls: r
            .int(c, &["NumberOfOnCalls"], true)
            .unwrap_or(1)
            .clamp(0, 1000) as u32,
        recurrence_multiplier: r
            .int(c, &["RecurrenceMultiplier"], true)
            .unwrap_or(1)
            .clamp(0, 1000) as u32,
        daily_settings: r
            .list(c, &["DailySettings"])
            .into_iter()
            .filter_map(|(at, v)| hand_off(c, v, &at))
            .collect(),
        weekly_settings: r
            .list(c, &["WeeklySettings"])
            .into_iter()
            .filter_map(|(at, v)| {
                let w = Props { value: v, at: &at };
                Some(WeeklySetting {
                    day_of_week: day(c, &w)?,
                    hand_off_time: hand_off(
                        c,
                        w.get(&["HandOffTime"])?.1,
                        &w.field("HandOffTime"),
                    )?,
                })
            })
            .collect(),
        monthly_settings: r
            .list(c, &["MonthlySettings"])
            .into_iter()
            .filter_map(|(at, v)| {
                let m = Props { value: v, at: &at };
                Some(MonthlySetting {
                    day_of_month: m.int(c, &["DayOfMonth"], true)?.clamp(0, 99) as u32,
                    hand_off_time: hand_off(
                        c,
                        m.get(&["HandOffTime"])?.1,
                        &m.field("HandOffTime"),
                    )?,
                })
            })
            .collect(),
        shift_coverages: coverages(c, r),
    };
    Some(Rotation {
        rotation_arn: rotation_arn(&name, account, region),
        name,
        contact_ids: p.strings(c, &["ContactIds"]),
        start_time,
        time_zone_id: p.string(c, &["TimeZoneId"], true)?,
        recurrence,
    })
}

fn day(c: &mut Checker, p: &Props<'_>) -> Option<DayOfWeek> {
    let d = p.string(c, &["DayOfWeek"], true)?;
    let parsed = serde_json::from_value(Value::String(d.clone())).ok();
    c.check(
        parsed.is_some(),
        p.field("DayOfWeek"),
        format!("must be MON to SUN, got {d:?}"),
    );
    parsed
}

/// `"HH:MM"` (CloudFormation) or `{HourOfDay, MinuteOfHour}` (the API).
fn hand_off(c: &mut Checker, v: &Value, at: &str) -> Option<HandOffTime> {
    let parsed = match v {
        Value::String(s) => s.split_once(':').and_then(|(h, m)| {
            Some(HandOffTime {
                hour_of_day: h.parse().ok()?,
                minute_of_hour: m.parse().ok()?,
            })
        }),
        other => serde_json::from_value(other.clone()).ok(),
    };
    c.check(parsed.is_some(), at.to_owned(), "must be a time like 09:00");
    parsed
}

fn coverages(c: &mut Checker, r: Props<'_>) -> BTreeMap<DayOfWeek, Vec<CoverageTime>> {
    let mut out: BTreeMap<DayOfWeek, Vec<CoverageTime>> = BTreeMap::new();
    for (at, v) in r.list(c, &["ShiftCoverages"]) {
        let s = Props { value: v, at: &at };
        let Some(d) = day(c, &s) else { continue };
        for (tat, t) in s.list(c, &["CoverageTimes"]) {
            let tp = Props { value: t, at: &tat };
            let (Some((_, start)), Some((_, end))) =
                (tp.get(&["StartTime", "Start"]), tp.get(&["EndTime", "End"]))
            else {
                c.check(false, tat.clone(), "needs StartTime and EndTime");
                continue;
            };
            if let (Some(start), Some(end)) = (hand_off(c, start, &tat), hand_off(c, end, &tat)) {
                out.entry(d).or_default().push(CoverageTime { start, end });
            }
        }
    }
    out
}
