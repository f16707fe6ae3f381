//! Properties over random rotations, windows and overrides: shifts never overlap, cover exactly
//! the covered hours after the start, hold `NumberOfOnCalls` distinct contacts, agree with
//! `on_call_at` and with a listing from the rotation's start; overrides only relabel them.

use chrono::{Datelike, Days, Duration};
use proptest::prelude::*;

use super::*;
use crate::rotation::ValidRotation;

const ZONES: [&str; 5] = [
    "America/Chicago",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Tokyo",
    "UTC",
];

/// A random rotation: `(zone, contacts, on-call, multiplier, cadence, hand-offs, coverage,
/// start offset in seconds)`.
#[derive(Debug, Clone)]
struct Spec {
    zone: &'static str,
    contacts: usize,
    on_calls: usize,
    multiplier: u32,
    cadence: u8,
    hand_offs: Vec<(u32, u32, u32)>,
    coverage: Option<Vec<(usize, u32, u32, u32)>>,
    start: i64,
}

fn spec() -> impl Strategy<Value = Spec> {
    let hand_off = (1u32..=31, 0u32..24, 0u32..60);
    let window = (0usize..7, 0u32..24, 0u32..60, 30u32..=1440);
    (
        prop::sample::select(ZONES.to_vec()),
        1usize..=6,
        1usize..=6,
        1u32..=3,
        0u8..3,
        prop::collection::vec(hand_off, 1..=3),
        prop::option::of(prop::collection::vec(window, 1..=6)),
        0i64..365 * 86_400,
    )
        .prop_map(
            |(zone, contacts, on_calls, multiplier, cadence, hand_offs, coverage, start)| Spec {
                zone,
                contacts,
                on_calls: on_calls.min(contacts),
                multiplier,
                cadence,
                hand_offs,
                coverage,
                start,
            },
        )
}

fn build(s: &Spec) -> Rotation {
    let mut r = match s.cadence {
        0 => daily(
            &s.hand_offs
                .iter()
                .map(|&(_, h, m)| (h, m))
                .collect::<Vec<_>>(),
        ),
        1 => weekly(
            &s.hand_offs
                .iter()
                .map(|&(d, h, m)| (ALL_DAYS[d as usize % 7], h, m))
                .collect::<Vec<_>>(),
        ),
        _ => monthly(&s.hand_offs),
    };
    r.number_of_on_calls = s.on_calls as u32;
    r.recurrence_multiplier = s.multiplier;
    for &(day, h, m, len) in s.coverage.iter().flatten() {
        let end = (h * 60 + m + len) % 1440;
        r.shift_coverages
            .entry(ALL_DAYS[day])
            .or_default()
            .push(CoverageTime {
                start: hm(h, m),
                end: hm(end / 60, end % 60),
            });
    }
    rotation(
        s.zone,
        utc("2026-01-01T00:00:00Z") + Duration::seconds(s.start),
        s.contacts,
        r,
    )
}

/// Whether `t` is covered, straight from the definition: some window of the local day of `t`
/// or of the day before holds it.
fn covered_at(r: &Rotation, t: DateTime<Utc>) -> bool {
    let coverages = &r.recurrence.shift_coverages;
    if coverages.is_empty() {
        return true;
    }
    let tz: Tz = r.time_zone_id.parse().unwrap();
    let today = t.with_timezone(&tz).date_naive();
    [today - Days::new(1), today].into_iter().any(|d| {
        let day = ALL_DAYS[d.weekday().num_days_from_monday() as usize];
        coverages.get(&day).into_iter().flatten().any(|w| {
            let at = |date: chrono::NaiveDate, h: &HandOffTime| {
                resolve(
                    tz,
                    date.and_hms_opt(h.hour_of_day, h.minute_of_hour, 0)
                        .unwrap(),
                )
            };
            let next = (w.end.hour_of_day, w.end.minute_of_hour)
                <= (w.start.hour_of_day, w.start.minute_of_hour);
            let end_date = if next { d + Days::new(1) } else { d };
            at(d, &w.start) <= t && t < at(end_date, &w.end)
        })
    })
}

fn window() -> impl Strategy<Value = (i64, i64)> {
    (0i64..400 * 86_400, 3_600i64..40 * 86_400)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn shifts_tile_the_covered_hours(s in spec(), (offset, len) in window(), probes in prop::collection::vec(0.0f64..1.0, 16)) {
        let r = build(&s);
        let valid = ValidRotation::parse(&r).unwrap();
        let a = utc("2026-01-01T00:00:00Z") + Duration::seconds(offset);
        let b = a + Duration::seconds(len);
        let shifts = valid.shifts(&[], a, b);
        for sh in &shifts {
            prop_assert!(sh.start_time < sh.end_time && sh.end_time > a && sh.start_time < b);
            prop_assert!(sh.start_time >= r.start_time);
            prop_assert_eq!(sh.shift_type, ShiftType::Regular);
            prop_assert_eq!(sh.contact_ids.len(), s.on_calls);
            let mut ids = sh.contact_ids.clone();
            ids.sort();
            ids.dedup();
            prop_assert_eq!(ids.len(), s.on_calls);
            prop_assert!(ids.iter().all(|i| r.contact_ids.contains(i)));
            let mid = sh.start_time + (sh.end_time - sh.start_time) / 2;
            for t in [sh.start_time, mid, sh.end_time - Duration::seconds(1)] {
                prop_assert!(covered_at(&r, t), "uncovered {} in {:?}", fmt(t), sh);
            }
        }
        for pair in shifts.windows(2) {
            prop_assert!(pair[0].end_time <= pair[1].start_time, "overlap: {:?}", pair);
            if pair[0].end_time < pair[1].start_time {
                let gap = (pair[0].end_time, pair[1].start_time);
                let mid = gap.0 + (gap.1 - gap.0) / 2;
                prop_assert!(!covered_at(&r, gap.0) && !covered_at(&r, mid), "covered gap {:?}", gap);
            }
        }
        for p in probes {
            let t = a + Duration::seconds((len as f64 * p) as i64);
            let who = valid.on_call_at(&[], t);
            let holding = shifts.iter().find(|sh| sh.start_time <= t && t < sh.end_time);
            let expected = t >= r.start_time && covered_at(&r, t);
            prop_assert_eq!(!who.is_empty(), expected, "at {}", fmt(t));
            prop_assert_eq!(holding.map(|sh| &sh.contact_ids), expected.then_some(&who), "at {}", fmt(t));
        }
        let walked: Vec<_> = valid.shifts(&[], r.start_time, b).into_iter().filter(|sh| sh.end_time > a).collect();
        prop_assert_eq!(shifts, walked);
    }

    #[test]
    fn overrides_only_relabel_covered_time(
        s in spec(),
        (offset, len) in window(),
        raw in prop::collection::vec((0.0f64..1.0, 1_800i64..3 * 86_400, prop::collection::vec(0usize..6, 0..3)), 0..4),
    ) {
        let r = build(&s);
        let valid = ValidRotation::parse(&r).unwrap();
        let a = utc("2026-01-01T00:00:00Z") + Duration::seconds(offset);
        let b = a + Duration::seconds(len);
        let overrides: Vec<RotationOverride> = raw.iter().enumerate().map(|(i, (p, l, who))| {
            let start = a + Duration::seconds((len as f64 * p) as i64);
            let mut ids: Vec<String> = who.iter().map(|w| r.contact_ids[w % s.contacts].clone()).collect();
            ids.dedup();
            RotationOverride {
                rotation_override_id: format!("00000000-0000-4000-8000-{i:012}"),
                new_contact_ids: ids,
                start_time: start,
                end_time: start + Duration::seconds(*l),
                create_time: utc("2026-01-01T00:00:00Z") + Duration::seconds(((i * 7) % 5) as i64),
            }
        }).collect();
        let plain = valid.shifts(&[], a, b);
        let split = valid.shifts(&overrides, a, b);
        let clipped = |v: &[RotationShift]| {
            let mut spans: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
            for sh in v {
                let (s, e) = (sh.start_time.max(a), sh.end_time.min(b));
                match spans.last_mut() {
                    Some(last) if last.1 == s => last.1 = e,
                    _ => spans.push((s, e)),
                }
            }
            spans
        };
        prop_assert_eq!(clipped(&plain), clipped(&split));
        for pair in split.windows(2) {
            prop_assert!(pair[0].end_time <= pair[1].start_time);
        }
        for sh in &split {
            let regular = valid.on_call_at(&[], sh.start_time);
            let covering: Vec<&RotationOverride> = overrides
                .iter()
                .filter(|o| o.start_time <= sh.start_time && sh.end_time <= o.end_time)
                .collect();
            match sh.shift_type {
                ShiftType::Regular => {
                    prop_assert!(overrides.iter().all(|o| o.end_time <= sh.start_time || o.start_time >= sh.end_time));
                    prop_assert_eq!(&sh.contact_ids, &regular);
                }
                ShiftType::Overridden => {
                    let winner = covering.iter().max_by_key(|o| (o.create_time, &o.rotation_override_id)).unwrap();
                    prop_assert_eq!(&sh.contact_ids, &winner.new_contact_ids);
                    prop_assert_eq!(&sh.shift_details.as_ref().unwrap().overridden_contact_ids, &regular);
                }
            }
        }
    }
}
