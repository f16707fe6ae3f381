//! Hand-offs, the round-robin, multipliers, short months and the listing window.

use chrono::Duration;
use tocsin_proto::records::DayOfWeek::{Fri, Mon};

use super::*;
use crate::rotation::{ValidRotation, on_call_at};

#[test]
fn recurrences_hand_off_where_documented() {
    struct Case {
        name: &'static str,
        n: usize,
        start: &'static str,
        recurrence: RecurrenceSettings,
        window: (&'static str, &'static str),
        shifts: &'static [(&'static str, &'static str, &'static str)],
    }
    let with = |mut r: RecurrenceSettings, on_calls: u32, multiplier: u32| {
        r.number_of_on_calls = on_calls;
        r.recurrence_multiplier = multiplier;
        r
    };
    let cases = [
        Case {
            name: "daily round-robin wraps around",
            n: 3,
            start: "2026-01-01T09:00:00Z",
            recurrence: daily(&[(9, 0)]),
            window: ("2026-01-01T00:00:00Z", "2026-01-05T00:00:00Z"),
            shifts: &[
                ("2026-01-01T09:00:00Z", "2026-01-02T09:00:00Z", "a"),
                ("2026-01-02T09:00:00Z", "2026-01-03T09:00:00Z", "b"),
                ("2026-01-03T09:00:00Z", "2026-01-04T09:00:00Z", "c"),
                ("2026-01-04T09:00:00Z", "2026-01-05T09:00:00Z", "a"),
            ],
        },
        Case {
            name: "the first shift runs from the start to the first hand-off",
            n: 2,
            start: "2026-01-01T00:00:00Z",
            recurrence: daily(&[(9, 0)]),
            window: ("2025-12-01T00:00:00Z", "2026-01-02T10:00:00Z"),
            shifts: &[
                ("2026-01-01T00:00:00Z", "2026-01-01T09:00:00Z", "a"),
                ("2026-01-01T09:00:00Z", "2026-01-02T09:00:00Z", "b"),
                ("2026-01-02T09:00:00Z", "2026-01-03T09:00:00Z", "a"),
            ],
        },
        Case {
            name: "NumberOfOnCalls contacts at a time, stepping by that many",
            n: 5,
            start: "2026-01-01T09:00:00Z",
            recurrence: with(daily(&[(9, 0)]), 2, 1),
            window: ("2026-01-01T09:00:00Z", "2026-01-05T09:00:00Z"),
            shifts: &[
                ("2026-01-01T09:00:00Z", "2026-01-02T09:00:00Z", "a,b"),
                ("2026-01-02T09:00:00Z", "2026-01-03T09:00:00Z", "c,d"),
                ("2026-01-03T09:00:00Z", "2026-01-04T09:00:00Z", "e,a"),
                ("2026-01-04T09:00:00Z", "2026-01-05T09:00:00Z", "b,c"),
            ],
        },
        Case {
            name: "everyone on call when NumberOfOnCalls is the team size",
            n: 2,
            start: "2026-01-01T09:00:00Z",
            recurrence: with(daily(&[(9, 0)]), 2, 1),
            window: ("2026-01-01T09:00:00Z", "2026-01-03T09:00:00Z"),
            shifts: &[
                ("2026-01-01T09:00:00Z", "2026-01-02T09:00:00Z", "a,b"),
                ("2026-01-02T09:00:00Z", "2026-01-03T09:00:00Z", "a,b"),
            ],
        },
        Case {
            name: "daily multiplier 3: three days each",
            n: 2,
            start: "2026-01-01T09:00:00Z",
            recurrence: with(daily(&[(9, 0)]), 1, 3),
            window: ("2026-01-01T09:00:00Z", "2026-01-07T09:00:00Z"),
            shifts: &[
                ("2026-01-01T09:00:00Z", "2026-01-04T09:00:00Z", "a"),
                ("2026-01-04T09:00:00Z", "2026-01-07T09:00:00Z", "b"),
            ],
        },
        Case {
            name: "several daily hand-offs, listed in any order, each hand off",
            n: 3,
            start: "2026-01-01T09:00:00Z",
            recurrence: daily(&[(21, 0), (9, 0), (21, 0)]),
            window: ("2026-01-01T09:00:00Z", "2026-01-02T21:00:00Z"),
            shifts: &[
                ("2026-01-01T09:00:00Z", "2026-01-01T21:00:00Z", "a"),
                ("2026-01-01T21:00:00Z", "2026-01-02T09:00:00Z", "b"),
                ("2026-01-02T09:00:00Z", "2026-01-02T21:00:00Z", "c"),
            ],
        },
        Case {
            name: "several daily hand-offs every other day",
            n: 3,
            start: "2026-01-01T09:00:00Z",
            recurrence: with(daily(&[(9, 0), (21, 0)]), 1, 2),
            window: ("2026-01-01T09:00:00Z", "2026-01-05T09:00:00Z"),
            shifts: &[
                ("2026-01-01T09:00:00Z", "2026-01-01T21:00:00Z", "a"),
                ("2026-01-01T21:00:00Z", "2026-01-03T09:00:00Z", "b"),
                ("2026-01-03T09:00:00Z", "2026-01-03T21:00:00Z", "c"),
                ("2026-01-03T21:00:00Z", "2026-01-05T09:00:00Z", "a"),
            ],
        },
        Case {
            // 2026-01-05 is a Monday; the start's week is period 0.
            name: "weekly Monday and Friday every second week",
            n: 2,
            start: "2026-01-05T09:00:00Z",
            recurrence: with(weekly(&[(Fri, 17, 0), (Mon, 9, 0)]), 1, 2),
            window: ("2026-01-05T09:00:00Z", "2026-01-30T17:00:00Z"),
            shifts: &[
                ("2026-01-05T09:00:00Z", "2026-01-09T17:00:00Z", "a"),
                ("2026-01-09T17:00:00Z", "2026-01-19T09:00:00Z", "b"),
                ("2026-01-19T09:00:00Z", "2026-01-23T17:00:00Z", "a"),
                ("2026-01-23T17:00:00Z", "2026-02-02T09:00:00Z", "b"),
            ],
        },
        Case {
            name: "weekly start mid-week: the start's Monday anchors the periods",
            n: 2,
            start: "2026-01-07T12:00:00Z",
            recurrence: weekly(&[(Mon, 9, 0)]),
            window: ("2026-01-07T12:00:00Z", "2026-01-20T00:00:00Z"),
            shifts: &[
                ("2026-01-07T12:00:00Z", "2026-01-12T09:00:00Z", "a"),
                ("2026-01-12T09:00:00Z", "2026-01-19T09:00:00Z", "b"),
                ("2026-01-19T09:00:00Z", "2026-01-26T09:00:00Z", "a"),
            ],
        },
        Case {
            name: "monthly day 31 falls on the last day of short months",
            n: 2,
            start: "2026-01-31T09:00:00Z",
            recurrence: monthly(&[(31, 9, 0)]),
            window: ("2026-01-31T09:00:00Z", "2026-04-30T09:00:00Z"),
            shifts: &[
                ("2026-01-31T09:00:00Z", "2026-02-28T09:00:00Z", "a"),
                ("2026-02-28T09:00:00Z", "2026-03-31T09:00:00Z", "b"),
                ("2026-03-31T09:00:00Z", "2026-04-30T09:00:00Z", "a"),
            ],
        },
        Case {
            name: "monthly day 30 in a leap February is the 29th",
            n: 2,
            start: "2028-01-30T09:00:00Z",
            recurrence: monthly(&[(30, 9, 0)]),
            window: ("2028-01-30T09:00:00Z", "2028-03-30T09:00:00Z"),
            shifts: &[
                ("2028-01-30T09:00:00Z", "2028-02-29T09:00:00Z", "a"),
                ("2028-02-29T09:00:00Z", "2028-03-30T09:00:00Z", "b"),
            ],
        },
        Case {
            name: "monthly multiplier 3: quarterly",
            n: 2,
            start: "2026-01-01T00:00:00Z",
            recurrence: with(monthly(&[(1, 0, 0)]), 1, 3),
            window: ("2026-01-01T00:00:00Z", "2026-07-01T00:00:00Z"),
            shifts: &[
                ("2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z", "a"),
                ("2026-04-01T00:00:00Z", "2026-07-01T00:00:00Z", "b"),
            ],
        },
        Case {
            // Days 30 and 31 meet on 28 February: that empty shift is c's, so d follows.
            name: "monthly hand-offs clamped onto one day leave an empty shift",
            n: 4,
            start: "2026-01-30T09:00:00Z",
            recurrence: monthly(&[(30, 9, 0), (31, 9, 0)]),
            window: ("2026-01-30T09:00:00Z", "2026-03-31T09:00:00Z"),
            shifts: &[
                ("2026-01-30T09:00:00Z", "2026-01-31T09:00:00Z", "a"),
                ("2026-01-31T09:00:00Z", "2026-02-28T09:00:00Z", "b"),
                ("2026-02-28T09:00:00Z", "2026-03-30T09:00:00Z", "d"),
                ("2026-03-30T09:00:00Z", "2026-03-31T09:00:00Z", "a"),
            ],
        },
        Case {
            name: "a start between two hand-offs of its first period skips the earlier one",
            n: 2,
            start: "2026-01-01T12:00:00Z",
            recurrence: daily(&[(9, 0), (18, 0)]),
            window: ("2026-01-01T00:00:00Z", "2026-01-02T10:00:00Z"),
            shifts: &[
                ("2026-01-01T12:00:00Z", "2026-01-01T18:00:00Z", "a"),
                ("2026-01-01T18:00:00Z", "2026-01-02T09:00:00Z", "b"),
                ("2026-01-02T09:00:00Z", "2026-01-02T18:00:00Z", "a"),
            ],
        },
    ];
    for case in cases {
        let r = rotation("UTC", utc(case.start), case.n, case.recurrence);
        assert_eq!(
            list(&r, case.window.0, case.window.1),
            expect(case.shifts),
            "{}",
            case.name
        );
    }
}

#[test]
fn windows_select_whole_intersecting_shifts() {
    let r = rotation("UTC", utc("2026-01-01T09:00:00Z"), 3, daily(&[(9, 0)]));
    let cases = [
        (
            "inside one shift: that shift, unclipped",
            "2026-01-02T12:00:00Z",
            "2026-01-02T13:00:00Z",
            vec![("2026-01-02T09:00:00Z", "2026-01-03T09:00:00Z", "b")],
        ),
        (
            "end is exclusive",
            "2026-01-02T12:00:00Z",
            "2026-01-03T09:00:00Z",
            vec![("2026-01-02T09:00:00Z", "2026-01-03T09:00:00Z", "b")],
        ),
        (
            "a shift ending at the window's start is out",
            "2026-01-03T09:00:00Z",
            "2026-01-03T10:00:00Z",
            vec![("2026-01-03T09:00:00Z", "2026-01-04T09:00:00Z", "c")],
        ),
        (
            "empty window",
            "2026-01-03T09:00:00Z",
            "2026-01-03T09:00:00Z",
            vec![],
        ),
        (
            "reversed window",
            "2026-01-04T09:00:00Z",
            "2026-01-03T09:00:00Z",
            vec![],
        ),
        (
            "before the rotation starts",
            "2025-06-01T00:00:00Z",
            "2026-01-01T09:00:00Z",
            vec![],
        ),
    ];
    for (name, start, end, shifts) in cases {
        assert_eq!(list(&r, start, end), expect(&shifts), "{name}");
    }
}

#[test]
fn a_far_window_matches_a_listing_from_the_start() {
    // The listing of a window starts near it by arithmetic; it must agree with walking.
    let rotations = [
        rotation(
            "America/Chicago",
            utc("2020-02-29T15:00:00Z"),
            7,
            daily(&[(9, 0), (2, 30)]),
        ),
        rotation(
            "Europe/London",
            utc("2021-05-05T00:00:00Z"),
            5,
            weekly(&[(Mon, 1, 30), (Fri, 17, 0)]),
        ),
        rotation(
            "Australia/Lord_Howe",
            utc("2019-01-31T00:00:00Z"),
            4,
            monthly(&[(31, 2, 15), (15, 9, 0)]),
        ),
    ];
    for (i, r) in rotations.iter().enumerate() {
        let valid = ValidRotation::parse(r).unwrap();
        let (a, b) = (utc("2026-02-20T05:00:00Z"), utc("2026-11-20T05:00:00Z"));
        let near = valid.shifts(&[], a, b);
        let walked: Vec<_> = valid
            .shifts(&[], r.start_time, b)
            .into_iter()
            .filter(|s| s.end_time > a)
            .collect();
        assert_eq!(near, walked, "rotation {i}");
        assert!(!near.is_empty(), "rotation {i}");
    }
}

#[test]
fn on_call_at_boundaries_and_before_the_start() {
    let r = rotation("UTC", utc("2026-01-01T09:00:00Z"), 2, daily(&[(9, 0)]));
    let who = |t: &str| {
        on_call_at(&r, &[], utc(t))
            .unwrap()
            .iter()
            .map(|a| alias(a).to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        who("2026-01-01T08:59:59Z"),
        Vec::<String>::new(),
        "before the start"
    );
    assert_eq!(who("2026-01-01T09:00:00Z"), ["a"], "at the start");
    assert_eq!(
        who("2026-01-02T08:59:59Z"),
        ["a"],
        "just before the hand-off"
    );
    assert_eq!(
        who("2026-01-02T09:00:00Z"),
        ["b"],
        "at the hand-off: the incoming contact"
    );
}

#[test]
fn a_year_of_a_thirty_contact_rotation_is_one_shift_a_day() {
    let r = rotation(
        "America/Chicago",
        utc("2024-01-01T15:00:00Z"),
        30,
        daily(&[(9, 0)]),
    );
    let valid = ValidRotation::parse(&r).unwrap();
    let (a, b) = (utc("2026-01-01T15:00:00Z"), utc("2027-01-01T15:00:00Z"));
    let shifts = valid.shifts(&[], a, b);
    assert_eq!(shifts.len(), 365);
    assert!(shifts.windows(2).all(|w| w[0].end_time == w[1].start_time));
    let lengths = [23, 24, 25].map(Duration::hours);
    assert!(
        shifts
            .iter()
            .all(|s| lengths.contains(&(s.end_time - s.start_time)))
    );
}
