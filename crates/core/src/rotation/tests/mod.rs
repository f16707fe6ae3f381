//! Pure tests of rotations: every rule, DST in four zones, and properties over random
//! rotations. Times are written as UTC literals checked against an independent tz database.

mod coverage;
mod dst;
mod overrides;
mod props;
mod recurrence;
mod validate;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use tocsin_proto::records::{
    CoverageTime, DayOfWeek, HandOffTime, MonthlySetting, RecurrenceSettings, Rotation,
    RotationOverride, RotationShift, ShiftType, WeeklySetting,
};

use super::wallclock::resolve;

const ACCOUNT: &str = "123456789012";

/// The contact ARN of `alias`.
fn arn(alias: &str) -> String {
    tocsin_proto::arn::contact("us-east-1", ACCOUNT, alias)
}

/// The alias of a contact ARN.
fn alias(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap()
}

/// `2026-03-08T08:00:00Z`.
fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Local `2026-03-08 02:30` in `zone`, by the rotation's DST rules.
fn local(zone: &str, s: &str) -> DateTime<Utc> {
    let tz: Tz = zone.parse().unwrap();
    resolve(
        tz,
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap(),
    )
}

fn fmt(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn hm(h: u32, m: u32) -> HandOffTime {
    HandOffTime {
        hour_of_day: h,
        minute_of_hour: m,
    }
}

fn recurrence() -> RecurrenceSettings {
    RecurrenceSettings {
        monthly_settings: vec![],
        weekly_settings: vec![],
        daily_settings: vec![],
        number_of_on_calls: 1,
        shift_coverages: BTreeMap::new(),
        recurrence_multiplier: 1,
    }
}

fn daily(times: &[(u32, u32)]) -> RecurrenceSettings {
    RecurrenceSettings {
        daily_settings: times.iter().map(|&(h, m)| hm(h, m)).collect(),
        ..recurrence()
    }
}

fn weekly(entries: &[(DayOfWeek, u32, u32)]) -> RecurrenceSettings {
    RecurrenceSettings {
        weekly_settings: entries
            .iter()
            .map(|&(day_of_week, h, m)| WeeklySetting {
                day_of_week,
                hand_off_time: hm(h, m),
            })
            .collect(),
        ..recurrence()
    }
}

fn monthly(entries: &[(u32, u32, u32)]) -> RecurrenceSettings {
    RecurrenceSettings {
        monthly_settings: entries
            .iter()
            .map(|&(day_of_month, h, m)| MonthlySetting {
                day_of_month,
                hand_off_time: hm(h, m),
            })
            .collect(),
        ..recurrence()
    }
}

/// `(hour, minute)`.
type Hm = (u32, u32);

/// Coverage `(start h, m) – (end h, m)` on each of `days`.
fn covered(
    mut r: RecurrenceSettings,
    days: &[DayOfWeek],
    windows: &[(Hm, Hm)],
) -> RecurrenceSettings {
    for d in days {
        r.shift_coverages.insert(
            *d,
            windows
                .iter()
                .map(|&((sh, sm), (eh, em))| CoverageTime {
                    start: hm(sh, sm),
                    end: hm(eh, em),
                })
                .collect(),
        );
    }
    r
}

const ALL_DAYS: [DayOfWeek; 7] = [
    DayOfWeek::Mon,
    DayOfWeek::Tue,
    DayOfWeek::Wed,
    DayOfWeek::Thu,
    DayOfWeek::Fri,
    DayOfWeek::Sat,
    DayOfWeek::Sun,
];

/// A rotation of contacts `a`, `b`, `c`, … (`n` of them) in `zone` starting at `start`.
fn rotation(
    zone: &str,
    start: DateTime<Utc>,
    n: usize,
    recurrence: RecurrenceSettings,
) -> Rotation {
    Rotation {
        rotation_arn: format!("arn:aws:ssm-contacts:us-east-1:{ACCOUNT}:rotation/primary"),
        name: "primary".into(),
        contact_ids: (0..n)
            .map(|i| arn(&((b'a' + i as u8) as char).to_string()))
            .collect(),
        start_time: start,
        time_zone_id: zone.into(),
        recurrence,
    }
}

fn override_of(id: u32, who: &[&str], start: &str, end: &str, created: &str) -> RotationOverride {
    RotationOverride {
        rotation_override_id: format!("00000000-0000-4000-8000-{id:012}"),
        new_contact_ids: who.iter().map(|a| arn(a)).collect(),
        start_time: utc(start),
        end_time: utc(end),
        create_time: utc(created),
    }
}

/// A shift as `(start, end, "a,b")`, with `!x` for overridden contacts: `"c!a"`.
type Brief = (String, String, String);

fn brief(shifts: &[RotationShift]) -> Vec<Brief> {
    shifts
        .iter()
        .map(|s| {
            let names = |ids: &[String]| ids.iter().map(|i| alias(i)).collect::<Vec<_>>().join(",");
            let who = match (&s.shift_type, &s.shift_details) {
                (ShiftType::Regular, None) => names(&s.contact_ids),
                (ShiftType::Overridden, Some(d)) => {
                    format!(
                        "{}!{}",
                        names(&s.contact_ids),
                        names(&d.overridden_contact_ids)
                    )
                }
                other => panic!("inconsistent shift type and details: {other:?}"),
            };
            (fmt(s.start_time), fmt(s.end_time), who)
        })
        .collect()
}

/// `[("2026-01-01T09:00:00Z", "2026-01-02T09:00:00Z", "a"), …]` as owned briefs.
fn expect(rows: &[(&str, &str, &str)]) -> Vec<Brief> {
    rows.iter()
        .map(|(s, e, w)| (s.to_string(), e.to_string(), w.to_string()))
        .collect()
}

/// The shifts of `r` in `[start, end)` (UTC literals), without overrides.
fn list(r: &Rotation, start: &str, end: &str) -> Vec<Brief> {
    brief(&super::shifts(r, &[], utc(start), utc(end)).unwrap())
}
