//! Overrides: splitting, spanning, precedence, gaps, deletion, and the preview.

use tocsin_proto::records::{DayOfWeek::Fri, PreviewOverride};

use super::*;
use crate::rotation::{Preview, on_call_at, preview_shifts, shifts};

/// Daily 09:00 hand-offs of `a`, `b`, `c` from 2026-01-01 09:00 UTC.
fn team() -> Rotation {
    rotation("UTC", utc("2026-01-01T09:00:00Z"), 3, daily(&[(9, 0)]))
}

const T0: &str = "2026-01-01T00:00:00Z";

#[test]
fn overrides_replace_contacts_inside_their_window() {
    #[rustfmt::skip]
    let cases = [
        ("inside one shift: three pieces",
         vec![override_of(1, &["c"], "2026-01-01T12:00:00Z", "2026-01-01T18:00:00Z", T0)],
         vec![("2026-01-01T09:00:00Z", "2026-01-01T12:00:00Z", "a"),
              ("2026-01-01T12:00:00Z", "2026-01-01T18:00:00Z", "c!a"),
              ("2026-01-01T18:00:00Z", "2026-01-02T09:00:00Z", "a"),
              ("2026-01-02T09:00:00Z", "2026-01-03T09:00:00Z", "b")]),
        ("exactly one shift: one overridden shift",
         vec![override_of(1, &["c"], "2026-01-01T09:00:00Z", "2026-01-02T09:00:00Z", T0)],
         vec![("2026-01-01T09:00:00Z", "2026-01-02T09:00:00Z", "c!a"),
              ("2026-01-02T09:00:00Z", "2026-01-03T09:00:00Z", "b")]),
        ("across a hand-off: one overridden piece per shift, each naming whom it replaced",
         vec![override_of(1, &["c"], "2026-01-01T21:00:00Z", "2026-01-02T21:00:00Z", T0)],
         vec![("2026-01-01T09:00:00Z", "2026-01-01T21:00:00Z", "a"),
              ("2026-01-01T21:00:00Z", "2026-01-02T09:00:00Z", "c!a"),
              ("2026-01-02T09:00:00Z", "2026-01-02T21:00:00Z", "c!b"),
              ("2026-01-02T21:00:00Z", "2026-01-03T09:00:00Z", "b")]),
        ("several replacements",
         vec![override_of(1, &["b", "c"], "2026-01-01T09:00:00Z", "2026-01-01T10:00:00Z", T0)],
         vec![("2026-01-01T09:00:00Z", "2026-01-01T10:00:00Z", "b,c!a"),
              ("2026-01-01T10:00:00Z", "2026-01-02T09:00:00Z", "a"),
              ("2026-01-02T09:00:00Z", "2026-01-03T09:00:00Z", "b")]),
        ("nobody: an explicit gap",
         vec![override_of(1, &[], "2026-01-01T09:00:00Z", "2026-01-01T10:00:00Z", T0)],
         vec![("2026-01-01T09:00:00Z", "2026-01-01T10:00:00Z", "!a"),
              ("2026-01-01T10:00:00Z", "2026-01-02T09:00:00Z", "a"),
              ("2026-01-02T09:00:00Z", "2026-01-03T09:00:00Z", "b")]),
        ("overlapping: the newer wins where they overlap",
         vec![override_of(1, &["b"], "2026-01-01T12:00:00Z", "2026-01-01T18:00:00Z", "2026-01-01T01:00:00Z"),
              override_of(2, &["c"], "2026-01-01T10:00:00Z", "2026-01-01T14:00:00Z", T0)],
         vec![("2026-01-01T09:00:00Z", "2026-01-01T10:00:00Z", "a"),
              ("2026-01-01T10:00:00Z", "2026-01-01T12:00:00Z", "c!a"),
              ("2026-01-01T12:00:00Z", "2026-01-01T18:00:00Z", "b!a"),
              ("2026-01-01T18:00:00Z", "2026-01-02T09:00:00Z", "a"),
              ("2026-01-02T09:00:00Z", "2026-01-03T09:00:00Z", "b")]),
        ("a newer override inside an older one splits it",
         vec![override_of(1, &["b"], "2026-01-01T10:00:00Z", "2026-01-01T20:00:00Z", T0),
              override_of(2, &["c"], "2026-01-01T12:00:00Z", "2026-01-01T14:00:00Z", "2026-01-01T01:00:00Z")],
         vec![("2026-01-01T09:00:00Z", "2026-01-01T10:00:00Z", "a"),
              ("2026-01-01T10:00:00Z", "2026-01-01T12:00:00Z", "b!a"),
              ("2026-01-01T12:00:00Z", "2026-01-01T14:00:00Z", "c!a"),
              ("2026-01-01T14:00:00Z", "2026-01-01T20:00:00Z", "b!a"),
              ("2026-01-01T20:00:00Z", "2026-01-02T09:00:00Z", "a"),
              ("2026-01-02T09:00:00Z", "2026-01-03T09:00:00Z", "b")]),
        ("before the rotation starts: nothing to replace",
         vec![override_of(1, &["c"], "2025-12-31T09:00:00Z", "2026-01-01T10:00:00Z", T0)],
         vec![("2026-01-01T09:00:00Z", "2026-01-01T10:00:00Z", "c!a"),
              ("2026-01-01T10:00:00Z", "2026-01-02T09:00:00Z", "a"),
              ("2026-01-02T09:00:00Z", "2026-01-03T09:00:00Z", "b")]),
    ];
    for (name, overrides, want) in cases {
        let got = shifts(
            &team(),
            &overrides,
            utc("2025-12-31T00:00:00Z"),
            utc("2026-01-03T00:00:00Z"),
        )
        .unwrap();
        assert_eq!(brief(&got), expect(&want), "{name}");
    }
}

#[test]
fn only_pieces_meeting_the_window_are_listed() {
    let o = [override_of(
        1,
        &["c"],
        "2026-01-01T12:00:00Z",
        "2026-01-01T18:00:00Z",
        T0,
    )];
    let got = shifts(
        &team(),
        &o,
        utc("2026-01-01T13:00:00Z"),
        utc("2026-01-01T14:00:00Z"),
    )
    .unwrap();
    assert_eq!(
        brief(&got),
        expect(&[("2026-01-01T12:00:00Z", "2026-01-01T18:00:00Z", "c!a")])
    );
}

#[test]
fn deleting_an_override_restores_the_shift() {
    let o = [override_of(
        1,
        &["c"],
        "2026-01-01T12:00:00Z",
        "2026-01-01T18:00:00Z",
        T0,
    )];
    let at = utc("2026-01-01T13:00:00Z");
    assert_eq!(on_call_at(&team(), &o, at).unwrap(), [arn("c")]);
    assert_eq!(on_call_at(&team(), &[], at).unwrap(), [arn("a")]);
    let (a, b) = (utc(T0), utc("2026-01-03T00:00:00Z"));
    let restored = shifts(&team(), &o[..0], a, b).unwrap();
    assert_eq!(brief(&restored), list(&team(), T0, "2026-01-03T00:00:00Z"));
}

#[test]
fn overrides_do_nothing_in_coverage_gaps() {
    let mut r = team();
    r.recurrence = covered(daily(&[(9, 0)]), &[Fri], &[((9, 0), (17, 0))]); // 2026-01-02
    let o = [override_of(
        1,
        &["c"],
        "2026-01-01T12:00:00Z",
        "2026-01-02T12:00:00Z",
        T0,
    )];
    let got = shifts(&r, &o, utc(T0), utc("2026-01-03T00:00:00Z")).unwrap();
    assert_eq!(
        brief(&got),
        expect(&[
            ("2026-01-02T09:00:00Z", "2026-01-02T12:00:00Z", "c!b"),
            ("2026-01-02T12:00:00Z", "2026-01-02T17:00:00Z", "b"),
        ])
    );
    assert_eq!(
        on_call_at(&r, &o, utc("2026-01-01T13:00:00Z")).unwrap(),
        Vec::<String>::new()
    );
}

#[test]
fn a_preview_lists_what_the_stored_rotation_would() {
    let r = rotation(
        "America/Chicago",
        local("America/Chicago", "2026-03-01 09:00"),
        3,
        daily(&[(9, 0)]),
    );
    let stored = [override_of(
        1,
        &["c"],
        "2026-03-08T06:00:00Z",
        "2026-03-08T17:00:00Z",
        T0,
    )];
    let previewed = [PreviewOverride {
        new_members: vec![arn("c")],
        start_time: utc("2026-03-08T06:00:00Z"),
        end_time: utc("2026-03-08T17:00:00Z"),
    }];
    let preview = Preview {
        rotation_start: r.start_time,
        members: &r.contact_ids,
        time_zone_id: &r.time_zone_id,
        recurrence: &r.recurrence,
        overrides: &previewed,
    };
    let (a, b) = (utc("2026-03-01T00:00:00Z"), utc("2026-04-01T00:00:00Z"));
    assert_eq!(
        preview_shifts(&preview, a, b).unwrap(),
        shifts(&r, &stored, a, b).unwrap()
    );
    let overridden = brief(
        &preview_shifts(
            &preview,
            utc("2026-03-08T10:00:00Z"),
            utc("2026-03-08T15:00:00Z"),
        )
        .unwrap(),
    );
    assert_eq!(
        overridden,
        expect(&[
            ("2026-03-08T06:00:00Z", "2026-03-08T14:00:00Z", "c!a"),
            ("2026-03-08T14:00:00Z", "2026-03-08T17:00:00Z", "c!b"),
        ])
    );
}

#[test]
fn preview_members_need_not_be_arns_and_later_overrides_win() {
    let members = ["ana".to_string(), "bo".to_string()];
    let over = |who: &str, s: &str, e: &str| PreviewOverride {
        new_members: vec![who.to_string()],
        start_time: utc(s),
        end_time: utc(e),
    };
    let overrides = [
        over("ana", "2026-01-01T10:00:00Z", "2026-01-01T12:00:00Z"),
        over("bo", "2026-01-01T11:00:00Z", "2026-01-01T12:00:00Z"),
    ];
    let recurrence = daily(&[(0, 0)]);
    let preview = Preview {
        rotation_start: utc("2026-01-01T00:00:00Z"),
        members: &members,
        time_zone_id: "Asia/Tokyo",
        recurrence: &recurrence,
        overrides: &overrides,
    };
    let got = preview_shifts(
        &preview,
        utc("2026-01-01T10:30:00Z"),
        utc("2026-01-01T11:30:00Z"),
    )
    .unwrap();
    let who: Vec<_> = got
        .iter()
        .map(|s| (fmt(s.start_time), s.contact_ids.join(",")))
        .collect();
    assert_eq!(
        who,
        [
            ("2026-01-01T10:00:00Z".to_string(), "ana".to_string()),
            ("2026-01-01T11:00:00Z".to_string(), "bo".to_string()),
        ]
    );
}
