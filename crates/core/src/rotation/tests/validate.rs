//! Every rule of rotations, overrides, schedules and previews, each naming its field.

use chrono::Duration;
use tocsin_proto::records::{DayOfWeek::Mon, PreviewOverride};

use super::*;
use crate::rotation::{
    Preview, preview_shifts, validate_override, validate_rotation, validate_schedule_rotations,
};
use crate::validate::ValidationError;

fn fields(r: Result<(), ValidationError>) -> Vec<String> {
    match r {
        Ok(()) => vec![],
        Err(e) => e.0.into_iter().map(|f| f.field).collect(),
    }
}

fn valid() -> Rotation {
    rotation(
        "America/Chicago",
        utc("2026-01-01T15:00:00Z"),
        3,
        daily(&[(9, 0)]),
    )
}

#[test]
fn rotation_rules() {
    type Edit = fn(&mut Rotation);
    #[rustfmt::skip]
    let cases: Vec<(&str, Edit, &[&str])> = vec![
        ("valid", |_| {}, &[]),
        ("valid: weekly with coverage", |r| r.recurrence = covered(weekly(&[(Mon, 9, 0)]), &[Mon], &[((9, 0), (9, 30))]), &[]),
        ("valid: monthly on the 31st", |r| r.recurrence = monthly(&[(31, 23, 59)]), &[]),
        ("valid: 30 contacts, all on call", |r| { r.contact_ids = (0..30).map(|i| arn(&format!("c{i}"))).collect(); r.recurrence.number_of_on_calls = 30 }, &[]),
        ("valid: overnight 30-minute window", |r| r.recurrence = covered(daily(&[(9, 0)]), &[Mon], &[((23, 45), (0, 15))]), &[]),
        ("valid: UTC", |r| r.time_zone_id = "UTC".into(), &[]),
        ("ARN of another resource", |r| r.rotation_arn = arn("x"), &["RotationArn"]),
        ("empty name", |r| r.name = String::new(), &["Name"]),
        ("name too long", |r| r.name = "n".repeat(256), &["Name"]),
        ("name with a slash", |r| r.name = "a/b".into(), &["Name"]),
        ("no contacts", |r| r.contact_ids.clear(), &["ContactIds"]),
        ("31 contacts", |r| r.contact_ids = (0..31).map(|i| arn(&format!("c{i}"))).collect(), &["ContactIds"]),
        ("a contact that is not an ARN", |r| r.contact_ids[1] = "bob".into(), &["ContactIds[1]"]),
        ("a contact ARN of another service", |r| r.contact_ids[0] = "arn:aws:ssm-incidents::123456789012:contact/x".into(), &["ContactIds[0]"]),
        ("a repeated contact", |r| r.contact_ids[2] = r.contact_ids[0].clone(), &["ContactIds[2]"]),
        ("unknown zone", |r| r.time_zone_id = "Mars/Olympus".into(), &["TimeZoneId"]),
        ("zone abbreviation", |r| r.time_zone_id = "PST".into(), &["TimeZoneId"]),
        ("empty zone", |r| r.time_zone_id = String::new(), &["TimeZoneId", "TimeZoneId"]),
        ("no one on call", |r| r.recurrence.number_of_on_calls = 0, &["Recurrence.NumberOfOnCalls"]),
        ("more on call than contacts", |r| r.recurrence.number_of_on_calls = 4, &["Recurrence.NumberOfOnCalls"]),
        ("multiplier 0", |r| r.recurrence.recurrence_multiplier = 0, &["Recurrence.RecurrenceMultiplier"]),
        ("multiplier 101", |r| r.recurrence.recurrence_multiplier = 101, &["Recurrence.RecurrenceMultiplier"]),
        ("no hand-offs", |r| r.recurrence.daily_settings.clear(), &["Recurrence"]),
        ("daily and weekly", |r| r.recurrence.weekly_settings = weekly(&[(Mon, 9, 0)]).weekly_settings, &["Recurrence"]),
        ("hour 24", |r| r.recurrence.daily_settings[0].hour_of_day = 24, &["Recurrence.DailySettings[0].HourOfDay"]),
        ("minute 60", |r| r.recurrence.daily_settings[0].minute_of_hour = 60, &["Recurrence.DailySettings[0].MinuteOfHour"]),
        ("weekly hour 25", |r| r.recurrence = weekly(&[(Mon, 25, 0)]), &["Recurrence.WeeklySettings[0].HandOffTime.HourOfDay"]),
        ("day of month 0", |r| r.recurrence = monthly(&[(0, 9, 0)]), &["Recurrence.MonthlySettings[0].DayOfMonth"]),
        ("day of month 32", |r| r.recurrence = monthly(&[(1, 9, 0), (32, 9, 0)]), &["Recurrence.MonthlySettings[1].DayOfMonth"]),
        ("monthly minute 99", |r| r.recurrence = monthly(&[(1, 9, 99)]), &["Recurrence.MonthlySettings[0].HandOffTime.MinuteOfHour"]),
        ("a coverage day without windows", |r| { r.recurrence.shift_coverages.insert(Mon, vec![]); }, &["Recurrence.ShiftCoverages.MON"]),
        ("a 29-minute window", |r| r.recurrence = covered(daily(&[(9, 0)]), &[Mon], &[((9, 0), (9, 29))]), &["Recurrence.ShiftCoverages.MON[0]"]),
        ("an overnight 29-minute window", |r| r.recurrence = covered(daily(&[(9, 0)]), &[Mon], &[((23, 45), (0, 14))]), &["Recurrence.ShiftCoverages.MON[0]"]),
        ("a window ending at hour 24", |r| r.recurrence = covered(daily(&[(9, 0)]), &[Mon], &[((9, 0), (24, 0))]), &["Recurrence.ShiftCoverages.MON[0].End.HourOfDay"]),
    ];
    for (name, edit, want) in cases {
        let mut r = valid();
        edit(&mut r);
        assert_eq!(fields(validate_rotation(&r)), want, "{name}");
    }
}

#[test]
fn override_rules() {
    let now = utc("2026-01-01T00:00:00Z");
    let base = override_of(
        1,
        &["b"],
        "2026-01-02T00:00:00Z",
        "2026-01-02T00:30:00Z",
        "2026-01-01T00:00:00Z",
    );
    type Edit = fn(&mut RotationOverride);
    #[rustfmt::skip]
    let cases: Vec<(&str, Edit, &[&str])> = vec![
        ("valid: 30 minutes", |_| {}, &[]),
        ("valid: nobody", |o| o.new_contact_ids.clear(), &[]),
        ("valid: several members", |o| o.new_contact_ids = vec![arn("a"), arn("c")], &[]),
        ("valid: started already, ends later", |o| o.start_time = utc("2025-12-31T00:00:00Z"), &[]),
        ("valid: ends exactly six months ahead", |o| o.end_time = utc("2026-07-01T00:00:00Z"), &[]),
        ("29 minutes", |o| o.end_time = o.start_time + Duration::minutes(29), &["EndTime"]),
        ("ends before it starts", |o| o.end_time = o.start_time - Duration::hours(1), &["EndTime", "EndTime"]),
        ("wholly in the past", |o| { o.start_time = utc("2025-12-01T00:00:00Z"); o.end_time = utc("2025-12-02T00:00:00Z") }, &["EndTime"]),
        ("reaches past six months", |o| o.end_time = utc("2026-07-01T00:00:01Z"), &["EndTime"]),
        ("starts past six months", |o| { o.start_time = utc("2026-08-01T00:00:00Z"); o.end_time = utc("2026-08-02T00:00:00Z") }, &["EndTime"]),
        ("not a member", |o| o.new_contact_ids = vec![arn("zed")], &["NewContactIds[0]"]),
        ("a member twice", |o| o.new_contact_ids = vec![arn("a"), arn("a")], &["NewContactIds[1]"]),
        ("31 contacts", |o| o.new_contact_ids = vec![arn("a"); 31], &["NewContactIds", "NewContactIds[1]"]),
        ("short id", |o| o.rotation_override_id = "x".into(), &["RotationOverrideId"]),
    ];
    for (name, edit, want) in cases {
        let mut o = base.clone();
        edit(&mut o);
        let mut got = fields(validate_override(&valid(), &o, now));
        got.dedup_by(|a, b| a.starts_with("NewContactIds[") && b.starts_with("NewContactIds["));
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn schedule_rules() {
    let ids = |n: usize| (0..n).map(|i| format!("rotation-{i}")).collect::<Vec<_>>();
    #[rustfmt::skip]
    let cases: Vec<(&str, Vec<String>, &[&str])> = vec![
        ("one rotation", ids(1), &[]),
        ("eight rotations", ids(8), &[]),
        ("none", ids(0), &["Plan.RotationIds"]),
        ("nine", ids(9), &["Plan.RotationIds"]),
        ("a repeat", vec!["r".into(), "r".into()], &["Plan.RotationIds[1]"]),
    ];
    for (name, rotation_ids, want) in cases {
        assert_eq!(
            fields(validate_schedule_rotations(&rotation_ids)),
            want,
            "{name}"
        );
    }
}

/// `(name, members, zone, recurrence, overrides, broken fields)`.
type PreviewCase<'a> = (
    &'a str,
    Vec<String>,
    &'a str,
    RecurrenceSettings,
    Vec<PreviewOverride>,
    &'a [&'a str],
);

#[test]
fn preview_rules() {
    let members = vec!["ana".to_string(), "bo".to_string()];
    let over = |who: &str, minutes: i64| PreviewOverride {
        new_members: vec![who.to_string()],
        start_time: utc("2026-01-02T00:00:00Z"),
        end_time: utc("2026-01-02T00:00:00Z") + Duration::minutes(minutes),
    };
    #[rustfmt::skip]
    let cases: Vec<PreviewCase<'_>> = vec![
        ("valid", members.clone(), "Asia/Tokyo", daily(&[(9, 0)]), vec![over("bo", 30)], &[]),
        ("no members", vec![], "Asia/Tokyo", daily(&[(9, 0)]), vec![], &["Members"]),
        ("a blank member", vec![" ".into()], "Asia/Tokyo", daily(&[(9, 0)]), vec![], &["Members[0]"]),
        ("bad zone", members.clone(), "Tokyo", daily(&[(9, 0)]), vec![], &["TimeZoneId"]),
        ("no hand-offs", members.clone(), "UTC", recurrence(), vec![], &["Recurrence"]),
        ("a stranger in an override", members.clone(), "UTC", daily(&[(9, 0)]), vec![over("zed", 30)], &["Overrides[0].NewMembers[0]"]),
        ("a short override", members, "UTC", daily(&[(9, 0)]), vec![over("bo", 29)], &["Overrides[0].EndTime"]),
    ];
    for (name, members, zone, recurrence, overrides, want) in cases {
        let preview = Preview {
            rotation_start: utc("2026-01-01T00:00:00Z"),
            members: &members,
            time_zone_id: zone,
            recurrence: &recurrence,
            overrides: &overrides,
        };
        let got = preview_shifts(
            &preview,
            utc("2026-01-01T00:00:00Z"),
            utc("2026-01-03T00:00:00Z"),
        );
        assert_eq!(fields(got.map(drop)), want, "{name}");
    }
}
