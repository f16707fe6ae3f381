//! Wall-clock semantics across DST changes: America/Chicago and Europe/London (1 h),
//! Australia/Lord_Howe (30 min), Asia/Tokyo (none). Expected instants are UTC literals.

use chrono::Duration;
use tocsin_proto::records::DayOfWeek::Sun;

use super::*;
use crate::rotation::ValidRotation;

/// The 2026 changes of each zone (`spring` moves clocks forward), and the probes used for
/// Tokyo, which has none.
const CHANGES: [(&str, &str, &str); 4] = [
    (
        "America/Chicago",
        "2026-03-08T08:00:00Z",
        "2026-11-01T07:00:00Z",
    ),
    (
        "Europe/London",
        "2026-03-29T01:00:00Z",
        "2026-10-25T01:00:00Z",
    ),
    (
        "Australia/Lord_Howe",
        "2026-10-03T15:30:00Z",
        "2026-04-04T15:00:00Z",
    ),
    ("Asia/Tokyo", "2026-03-08T08:00:00Z", "2026-11-01T07:00:00Z"),
];

#[derive(Clone, Copy)]
enum Cadence {
    Daily,
    Weekly,
    Monthly,
}

/// Hand-offs at 09:00 local: every day, every Sunday (all changes fall on Sundays), or on the
/// 1st of every month.
fn nine(c: Cadence) -> RecurrenceSettings {
    match c {
        Cadence::Daily => daily(&[(9, 0)]),
        Cadence::Weekly => weekly(&[(Sun, 9, 0)]),
        Cadence::Monthly => monthly(&[(1, 9, 0)]),
    }
}

/// `(zone, cadence, spring?, shift start, shift end, hours)`: the shift holding the change.
#[rustfmt::skip]
const SHIFTS_OVER_CHANGES: [(&str, Cadence, bool, &str, &str, f64); 24] = [
    ("America/Chicago", Cadence::Daily, true, "2026-03-07T15:00:00Z", "2026-03-08T14:00:00Z", 23.0),
    ("America/Chicago", Cadence::Daily, false, "2026-10-31T14:00:00Z", "2026-11-01T15:00:00Z", 25.0),
    ("America/Chicago", Cadence::Weekly, true, "2026-03-01T15:00:00Z", "2026-03-08T14:00:00Z", 167.0),
    ("America/Chicago", Cadence::Weekly, false, "2026-10-25T14:00:00Z", "2026-11-01T15:00:00Z", 169.0),
    ("America/Chicago", Cadence::Monthly, true, "2026-03-01T15:00:00Z", "2026-04-01T14:00:00Z", 743.0),
    ("America/Chicago", Cadence::Monthly, false, "2026-10-01T14:00:00Z", "2026-11-01T15:00:00Z", 745.0),
    ("Europe/London", Cadence::Daily, true, "2026-03-28T09:00:00Z", "2026-03-29T08:00:00Z", 23.0),
    ("Europe/London", Cadence::Daily, false, "2026-10-24T08:00:00Z", "2026-10-25T09:00:00Z", 25.0),
    ("Europe/London", Cadence::Weekly, true, "2026-03-22T09:00:00Z", "2026-03-29T08:00:00Z", 167.0),
    ("Europe/London", Cadence::Weekly, false, "2026-10-18T08:00:00Z", "2026-10-25T09:00:00Z", 169.0),
    ("Europe/London", Cadence::Monthly, true, "2026-03-01T09:00:00Z", "2026-04-01T08:00:00Z", 743.0),
    ("Europe/London", Cadence::Monthly, false, "2026-10-01T08:00:00Z", "2026-11-01T09:00:00Z", 745.0),
    ("Australia/Lord_Howe", Cadence::Daily, true, "2026-10-02T22:30:00Z", "2026-10-03T22:00:00Z", 23.5),
    ("Australia/Lord_Howe", Cadence::Daily, false, "2026-04-03T22:00:00Z", "2026-04-04T22:30:00Z", 24.5),
    ("Australia/Lord_Howe", Cadence::Weekly, true, "2026-09-26T22:30:00Z", "2026-10-03T22:00:00Z", 167.5),
    ("Australia/Lord_Howe", Cadence::Weekly, false, "2026-03-28T22:00:00Z", "2026-04-04T22:30:00Z", 168.5),
    ("Australia/Lord_Howe", Cadence::Monthly, true, "2026-09-30T22:30:00Z", "2026-10-31T22:00:00Z", 743.5),
    ("Australia/Lord_Howe", Cadence::Monthly, false, "2026-03-31T22:00:00Z", "2026-04-30T22:30:00Z", 720.5),
    ("Asia/Tokyo", Cadence::Daily, true, "2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z", 24.0),
    ("Asia/Tokyo", Cadence::Daily, false, "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z", 24.0),
    ("Asia/Tokyo", Cadence::Weekly, true, "2026-03-08T00:00:00Z", "2026-03-15T00:00:00Z", 168.0),
    ("Asia/Tokyo", Cadence::Weekly, false, "2026-11-01T00:00:00Z", "2026-11-08T00:00:00Z", 168.0),
    ("Asia/Tokyo", Cadence::Monthly, true, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z", 744.0),
    ("Asia/Tokyo", Cadence::Monthly, false, "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", 720.0),
];

fn change(zone: &str, spring: bool) -> DateTime<Utc> {
    let (_, s, f) = CHANGES.iter().find(|c| c.0 == zone).unwrap();
    utc(if spring { s } else { f })
}

fn hours(h: f64) -> Duration {
    Duration::minutes((h * 60.0) as i64)
}

/// Rotations of `a`, `b`, `c` starting 2026-01-01 00:00 local.
fn zoned(zone: &str, cadence: Cadence) -> ValidRotation {
    ValidRotation::parse(&rotation(
        zone,
        local(zone, "2026-01-01 00:00"),
        3,
        nine(cadence),
    ))
    .unwrap()
}

#[test]
fn a_shift_over_a_change_keeps_its_wall_clock_hand_offs() {
    for (zone, cadence, spring, start, end, h) in SHIFTS_OVER_CHANGES {
        let name = format!(
            "{zone} {} {}",
            ["daily", "weekly", "monthly"][cadence as usize],
            if spring { "spring" } else { "fall" }
        );
        let at = change(zone, spring);
        let shifts = zoned(zone, cadence).shifts(&[], at, at + Duration::nanoseconds(1));
        assert_eq!(shifts.len(), 1, "{name}");
        let s = &shifts[0];
        assert_eq!(
            (fmt(s.start_time), fmt(s.end_time)),
            (start.to_string(), end.to_string()),
            "{name}"
        );
        assert_eq!(s.end_time - s.start_time, hours(h), "{name}");
    }
}

#[test]
fn an_override_over_a_change_splits_the_shift_in_absolute_time() {
    for (zone, cadence, spring, start, end, _) in SHIFTS_OVER_CHANGES {
        let name = format!(
            "{zone} {} {}",
            ["daily", "weekly", "monthly"][cadence as usize],
            if spring { "spring" } else { "fall" }
        );
        let at = change(zone, spring);
        let rotation = zoned(zone, cadence);
        let regular = rotation.on_call_at(&[], at);
        let o = RotationOverride {
            rotation_override_id: "00000000-0000-4000-8000-000000000001".into(),
            new_contact_ids: vec![arn("c")],
            start_time: at - Duration::hours(2),
            end_time: at + Duration::hours(2),
            create_time: utc("2026-01-01T00:00:00Z"),
        };
        let got = brief(&rotation.shifts(&[o], utc(start), utc(end)));
        let r = alias(&regular[0]).to_string();
        let (before, after) = (fmt(at - Duration::hours(2)), fmt(at + Duration::hours(2)));
        let want = vec![
            (start.to_string(), before.clone(), r.clone()),
            (before, after.clone(), format!("c!{r}")),
            (after, end.to_string(), r),
        ];
        assert_eq!(got, want, "{name}");
        assert_eq!(
            rotation.on_call_at(&[], at),
            regular,
            "{name}: deleting it restores the shift"
        );
    }
}

#[test]
fn hand_offs_in_gaps_move_forward_and_repeated_ones_happen_first() {
    // (name, zone, daily hand-off, three consecutive hand-offs, lengths in hours)
    #[rustfmt::skip]
    let cases = [
        ("Chicago 02:30 skipped: at the change", "America/Chicago", (2, 30),
         ["2026-03-07T08:30:00Z", "2026-03-08T08:00:00Z", "2026-03-09T07:30:00Z"], [23.5, 23.5]),
        ("Chicago 01:30 repeated: first occurrence", "America/Chicago", (1, 30),
         ["2026-10-31T06:30:00Z", "2026-11-01T06:30:00Z", "2026-11-02T07:30:00Z"], [24.0, 25.0]),
        ("London 01:30 skipped: at the change", "Europe/London", (1, 30),
         ["2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"], [23.5, 23.5]),
        ("London 01:30 repeated: first occurrence", "Europe/London", (1, 30),
         ["2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"], [24.0, 25.0]),
        ("Lord Howe 02:15 skipped: at the change", "Australia/Lord_Howe", (2, 15),
         ["2026-10-02T15:45:00Z", "2026-10-03T15:30:00Z", "2026-10-04T15:15:00Z"], [23.75, 23.75]),
        ("Lord Howe 01:45 repeated: first occurrence", "Australia/Lord_Howe", (1, 45),
         ["2026-04-03T14:45:00Z", "2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z"], [24.0, 24.5]),
        ("Tokyo 02:30: no change", "Asia/Tokyo", (2, 30),
         ["2026-03-06T17:30:00Z", "2026-03-07T17:30:00Z", "2026-03-08T17:30:00Z"], [24.0, 24.0]),
    ];
    for (name, zone, (h, m), [t0, t1, t2], [l0, l1]) in cases {
        let r = rotation(zone, local(zone, "2026-01-01 00:00"), 3, daily(&[(h, m)]));
        let got = brief(&super::super::shifts(&r, &[], utc(t0), utc(t2)).unwrap());
        assert_eq!(got.len(), 2, "{name}");
        assert_eq!(
            got.iter()
                .map(|(s, e, _)| (s.as_str(), e.as_str()))
                .collect::<Vec<_>>(),
            [(t0, t1), (t1, t2)],
            "{name}"
        );
        assert_eq!(utc(t1) - utc(t0), hours(l0), "{name}");
        assert_eq!(utc(t2) - utc(t1), hours(l1), "{name}");
    }
}

#[test]
fn coverage_windows_follow_the_wall_clock_over_changes() {
    // Sunday 00:00–06:00 local, on the day of each change.
    #[rustfmt::skip]
    let cases = [
        ("Chicago spring: 5 h", "America/Chicago", "2026-03-08T06:00:00Z", "2026-03-08T11:00:00Z"),
        ("Chicago fall: 7 h", "America/Chicago", "2026-11-01T05:00:00Z", "2026-11-01T12:00:00Z"),
        ("London spring: 5 h", "Europe/London", "2026-03-29T00:00:00Z", "2026-03-29T05:00:00Z"),
        ("London fall: 7 h", "Europe/London", "2026-10-24T23:00:00Z", "2026-10-25T06:00:00Z"),
        ("Lord Howe spring: 5.5 h", "Australia/Lord_Howe", "2026-10-03T13:30:00Z", "2026-10-03T19:00:00Z"),
        ("Lord Howe fall: 6.5 h", "Australia/Lord_Howe", "2026-04-04T13:00:00Z", "2026-04-04T19:30:00Z"),
        ("Tokyo: 6 h", "Asia/Tokyo", "2026-03-07T15:00:00Z", "2026-03-07T21:00:00Z"),
    ];
    for (name, zone, start, end) in cases {
        let r = rotation(
            zone,
            local(zone, "2026-01-01 00:00"),
            2,
            covered(weekly(&[(Sun, 12, 0)]), &[Sun], &[((0, 0), (6, 0))]),
        );
        let got = list(&r, start, end);
        assert_eq!(got.len(), 1, "{name}");
        assert_eq!(
            (got[0].0.as_str(), got[0].1.as_str()),
            (start, end),
            "{name}"
        );
    }
}
