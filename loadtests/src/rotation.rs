//! `tocsin-load rotation-shifts`: `tocsin_core::rotation::shifts` over one year of a
//! 30-contact rotation, timed call by call. No backends: this is the CPU cost of a
//! `ListRotationShifts` for a year-long calendar view.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use tocsin_core::rotation::shifts;
use tocsin_proto::arn;
use tocsin_proto::records::{
    CoverageTime, DayOfWeek, HandOffTime, RecurrenceSettings, Rotation, RotationOverride,
    WeeklySetting,
};

use crate::RotationArgs;
use crate::report::Report;
use crate::stats::Summary;

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

/// Runs every case `iterations` times and reports p50/p99/max per case.
pub fn run(args: &RotationArgs) -> anyhow::Result<()> {
    let start = at("2026-01-05T09:00:00Z")?;
    let end = start + Duration::days(365);
    let mut report = Report::new(format!(
        "rotation-shifts: one year ({} → {}), 30 contacts, {} calls per case",
        start.date_naive(),
        end.date_naive(),
        args.iterations
    ));
    for (name, rotation, overrides) in cases(start)? {
        let mut times = Vec::with_capacity(args.iterations);
        let mut count = 0;
        for _ in 0..args.iterations {
            let t = Instant::now();
            let listed = shifts(black_box(&rotation), black_box(&overrides), start, end)?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            count = black_box(listed).len();
        }
        let s = Summary::of(times);
        report.row(
            format!("{name} ({count} shifts) p50 / p99 / max"),
            format!("{:.3} / {:.3} / {:.3} ms", s.p50, s.p99, s.max),
        );
    }
    report.emit(args.out.as_deref())
}

type Case = (&'static str, Rotation, Vec<RotationOverride>);

/// Daily hand-off at 09:00; weekly hand-off on Mondays with weekday 09:00–17:00 coverage and
/// six overrides spread over the year.
fn cases(start: DateTime<Utc>) -> anyhow::Result<Vec<Case>> {
    let time = |h, m| HandOffTime {
        hour_of_day: h,
        minute_of_hour: m,
    };
    let contacts: Vec<String> = (0..30)
        .map(|i| arn::contact(REGION, ACCOUNT, &format!("oncall-{i:02}")))
        .collect();
    let rotation = |name: &str, recurrence| Rotation {
        rotation_arn: arn::rotation(REGION, ACCOUNT, name),
        name: name.into(),
        contact_ids: contacts.clone(),
        start_time: start,
        time_zone_id: "Europe/London".into(),
        recurrence,
    };
    let daily = RecurrenceSettings {
        monthly_settings: vec![],
        weekly_settings: vec![],
        daily_settings: vec![time(9, 0)],
        number_of_on_calls: 1,
        shift_coverages: BTreeMap::new(),
        recurrence_multiplier: 1,
    };
    let office_hours = vec![CoverageTime {
        start: time(9, 0),
        end: time(17, 0),
    }];
    let weekly = RecurrenceSettings {
        weekly_settings: vec![WeeklySetting {
            day_of_week: DayOfWeek::Mon,
            hand_off_time: time(9, 0),
        }],
        daily_settings: vec![],
        shift_coverages: [
            DayOfWeek::Mon,
            DayOfWeek::Tue,
            DayOfWeek::Wed,
            DayOfWeek::Thu,
            DayOfWeek::Fri,
        ]
        .into_iter()
        .map(|d| (d, office_hours.clone()))
        .collect(),
        ..daily.clone()
    };
    let overrides = (0..6_i64)
        .map(|k| {
            let from = start + Duration::days(20 + 55 * k) + Duration::hours(1);
            Ok(RotationOverride {
                rotation_override_id: format!("00000000-0000-4000-8000-{k:012}"),
                new_contact_ids: vec![contacts[(k as usize * 7) % contacts.len()].clone()],
                start_time: from,
                end_time: from + Duration::days(3),
                create_time: at("2026-01-01T00:00:00Z")? + Duration::minutes(k),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(vec![
        ("daily", rotation("daily", daily.clone()), vec![]),
        (
            "daily + 6 overrides",
            rotation("daily-ov", daily),
            overrides.clone(),
        ),
        (
            "weekly, weekday 09-17 coverage, 6 overrides",
            rotation("weekly", weekly),
            overrides,
        ),
    ])
}

fn at(text: &str) -> anyhow::Result<DateTime<Utc>> {
    Ok(text.parse()?)
}
