//! Coverage windows: cutting shifts, gaps, overnight and 24-hour windows, schedules.

use tocsin_proto::records::DayOfWeek::{Fri, Mon, Sat, Thu, Tue, Wed};

use super::*;
use crate::rotation::{on_call_at, schedule_on_call_at};

#[test]
fn coverage_cuts_shifts_to_covered_hours() {
    const WEEKDAYS: [DayOfWeek; 5] = [Mon, Tue, Wed, Thu, Fri];
    // 2026-01-02 is a Friday.
    #[rustfmt::skip]
    let cases = [
        ("business hours: one piece a day, nothing at the weekend",
         covered(daily(&[(9, 0)]), &WEEKDAYS, &[((9, 0), (17, 0))]),
         ("2026-01-02T00:00:00Z", "2026-01-06T00:00:00Z"),
         vec![("2026-01-02T09:00:00Z", "2026-01-02T17:00:00Z", "b"),
              ("2026-01-05T09:00:00Z", "2026-01-05T17:00:00Z", "a")]),
        ("a shift through two windows gives two pieces of the same contact",
         covered(weekly(&[(Mon, 0, 0)]), &[Fri], &[((8, 0), (12, 0)), ((13, 0), (17, 0))]),
         ("2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"),
         vec![("2026-01-02T08:00:00Z", "2026-01-02T12:00:00Z", "a"),
              ("2026-01-02T13:00:00Z", "2026-01-02T17:00:00Z", "a")]),
        ("overlapping windows merge",
         covered(weekly(&[(Mon, 0, 0)]), &[Fri], &[((8, 0), (12, 0)), ((11, 0), (14, 0))]),
         ("2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"),
         vec![("2026-01-02T08:00:00Z", "2026-01-02T14:00:00Z", "a")]),
        ("a hand-off inside a window splits it between contacts",
         covered(daily(&[(12, 0)]), &[Fri], &[((9, 0), (17, 0))]),
         ("2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"),
         vec![("2026-01-02T09:00:00Z", "2026-01-02T12:00:00Z", "b"),
              ("2026-01-02T12:00:00Z", "2026-01-02T17:00:00Z", "a")]),
        ("an overnight window ends the next day",
         covered(weekly(&[(Mon, 0, 0)]), &[Fri], &[((22, 0), (6, 0))]),
         ("2026-01-02T00:00:00Z", "2026-01-04T00:00:00Z"),
         vec![("2026-01-02T22:00:00Z", "2026-01-03T06:00:00Z", "a")]),
        ("24-hour windows on every day merge into one unbroken shift",
         covered(daily(&[(11, 0)]), &ALL_DAYS, &[((11, 0), (11, 0))]),
         ("2026-01-02T00:00:00Z", "2026-01-04T00:00:00Z"),
         vec![("2026-01-01T11:00:00Z", "2026-01-02T11:00:00Z", "a"),
              ("2026-01-02T11:00:00Z", "2026-01-03T11:00:00Z", "b"),
              ("2026-01-03T11:00:00Z", "2026-01-04T11:00:00Z", "a")]),
        ("midnight to midnight windows on consecutive days touch and merge",
         covered(weekly(&[(Mon, 0, 0)]), &[Fri, Sat], &[((0, 0), (0, 0))]),
         ("2026-01-02T00:00:00Z", "2026-01-05T00:00:00Z"),
         vec![("2026-01-02T00:00:00Z", "2026-01-04T00:00:00Z", "a")]),
    ];
    for (name, recurrence, (start, end), shifts) in cases {
        let r = rotation("UTC", utc("2026-01-01T11:00:00Z"), 2, recurrence);
        assert_eq!(list(&r, start, end), expect(&shifts), "{name}");
    }
}

#[test]
fn the_rotation_advances_through_uncovered_shifts() {
    // Daily hand-offs, covered on weekdays only: Saturday's and Sunday's contacts lose their turn.
    let recurrence = covered(
        daily(&[(0, 0)]),
        &[Mon, Tue, Wed, Thu, Fri],
        &[((0, 0), (0, 0))],
    );
    let r = rotation("UTC", utc("2026-01-02T00:00:00Z"), 3, recurrence); // a Friday
    assert_eq!(
        list(&r, "2026-01-02T00:00:00Z", "2026-01-06T00:00:00Z"),
        expect(&[
            ("2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", "a"),
            ("2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z", "a"),
        ])
    );
}

#[test]
fn nobody_is_on_call_in_a_gap_and_a_schedule_reaches_every_rotation() {
    let days = covered(daily(&[(8, 0)]), &ALL_DAYS, &[((8, 0), (20, 0))]);
    let nights = covered(daily(&[(20, 0)]), &ALL_DAYS, &[((20, 0), (6, 0))]);
    let mut night = rotation("UTC", utc("2026-01-01T00:00:00Z"), 2, nights);
    night.contact_ids = vec![arn("n1"), arn("n2")];
    let day = rotation("UTC", utc("2026-01-01T00:00:00Z"), 2, days);
    let both = |t: &str| {
        let rotations = [(&day, &[][..]), (&night, &[][..])];
        schedule_on_call_at(rotations, utc(t))
            .unwrap()
            .iter()
            .map(|a| alias(a).to_string())
            .collect::<Vec<_>>()
    };
    #[rustfmt::skip]
    let cases: [(&str, &str, &[&str]); 4] = [
        ("day rotation only", "2026-01-02T12:00:00Z", &["a"]),
        ("night rotation only", "2026-01-02T23:00:00Z", &["n1"]),
        ("the gap between 06:00 and 08:00", "2026-01-02T07:00:00Z", &[]),
        ("after the first night window, before the first day", "2026-01-01T07:59:59Z", &[]),
    ];
    for (name, t, who) in cases {
        assert_eq!(both(t), who, "{name}");
    }
    assert!(
        on_call_at(&day, &[], utc("2026-01-02T07:00:00Z"))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_schedule_engages_each_contact_once() {
    let a = rotation("UTC", utc("2026-01-01T00:00:00Z"), 2, daily(&[(0, 0)]));
    let mut b = a.clone();
    b.contact_ids.reverse();
    let who =
        schedule_on_call_at([(&a, &[][..]), (&b, &[][..])], utc("2026-01-01T12:00:00Z")).unwrap();
    assert_eq!(who, [arn("a"), arn("b")]);
    let same =
        schedule_on_call_at([(&a, &[][..]), (&a, &[][..])], utc("2026-01-01T12:00:00Z")).unwrap();
    assert_eq!(same, [arn("a")]);
}
