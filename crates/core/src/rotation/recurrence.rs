//! Hand-off instants: the wall-clock ticks of a recurrence, resolved in the rotation's zone.
//!
//! Ticks are laid out in periods of `RecurrenceMultiplier` days, weeks or months counted from
//! the rotation's start. Every period holds the same `n` ticks (one per distinct setting), so
//! the ordinal of a tick, and with it the shift index, is arithmetic: listing the shifts of a
//! window starts one period before the window instead of walking from the rotation's start.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use tocsin_proto::records::{DayOfWeek, RecurrenceSettings};

use super::wallclock::{resolve, time_of_day};

/// Which unit a period is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cadence {
    Daily,
    Weekly,
    Monthly,
}

/// The hand-off pattern of one period, compiled from validated settings.
#[derive(Debug, Clone)]
pub(crate) struct Recurrence {
    cadence: Cadence,
    /// `(day, time)`, sorted and distinct. The day is 0 for daily settings, days after Monday
    /// for weekly ones, the day of the month (1–31) for monthly ones.
    slots: Vec<(u32, NaiveTime)>,
    /// Periods are this many units long.
    multiplier: u32,
}

impl Recurrence {
    /// Compiles validated settings (exactly one list set, times in range, multiplier ≥ 1).
    pub(crate) fn new(settings: &RecurrenceSettings) -> Self {
        let (cadence, mut slots): (Cadence, Vec<(u32, NaiveTime)>) =
            if !settings.daily_settings.is_empty() {
                let slots = settings
                    .daily_settings
                    .iter()
                    .map(|h| (0, time_of_day(h)))
                    .collect();
                (Cadence::Daily, slots)
            } else if !settings.weekly_settings.is_empty() {
                let slots = settings
                    .weekly_settings
                    .iter()
                    .map(|w| (weekday_index(w.day_of_week), time_of_day(&w.hand_off_time)))
                    .collect();
                (Cadence::Weekly, slots)
            } else {
                let slots = settings
                    .monthly_settings
                    .iter()
                    .map(|m| (m.day_of_month, time_of_day(&m.hand_off_time)))
                    .collect();
                (Cadence::Monthly, slots)
            };
        slots.sort();
        slots.dedup();
        Self {
            cadence,
            slots,
            multiplier: settings.recurrence_multiplier.max(1),
        }
    }

    /// First day of the unit holding `d` (the day, its week's Monday, its month's first day).
    fn unit_start(&self, d: NaiveDate) -> NaiveDate {
        match self.cadence {
            Cadence::Daily => d,
            Cadence::Weekly => d - Days::new(u64::from(d.weekday().num_days_from_monday())),
            Cadence::Monthly => d.with_day(1).unwrap_or(d),
        }
    }

    /// Whole units from `origin` (a unit start) to the unit holding `d`.
    fn units_between(&self, origin: NaiveDate, d: NaiveDate) -> i64 {
        let d = self.unit_start(d);
        match self.cadence {
            Cadence::Daily => (d - origin).num_days(),
            Cadence::Weekly => (d - origin).num_days().div_euclid(7),
            Cadence::Monthly => {
                let months = |x: NaiveDate| i64::from(x.year()) * 12 + i64::from(x.month0());
                months(d) - months(origin)
            }
        }
    }

    /// The local date-times of the ticks of period `q` (≥ 0), in order.
    fn ticks(&self, origin: NaiveDate, q: u64) -> impl Iterator<Item = NaiveDateTime> + '_ {
        let units = q.saturating_mul(u64::from(self.multiplier));
        let first = match self.cadence {
            Cadence::Daily => origin.checked_add_days(Days::new(units)),
            Cadence::Weekly => origin.checked_add_days(Days::new(units.saturating_mul(7))),
            Cadence::Monthly => u32::try_from(units)
                .ok()
                .and_then(|m| origin.checked_add_months(Months::new(m))),
        };
        let first = first.unwrap_or(NaiveDate::MAX);
        let cadence = self.cadence;
        self.slots.iter().map(move |&(day, time)| {
            let date = match cadence {
                Cadence::Daily => first,
                Cadence::Weekly => first + Days::new(u64::from(day)),
                Cadence::Monthly => day_of_month(first, day),
            };
            date.and_time(time)
        })
    }
}

/// Day `day` of the month starting at `first`, or its last day when the month is shorter
/// (31 → 30 April, 28 or 29 February).
fn day_of_month(first: NaiveDate, day: u32) -> NaiveDate {
    (1..=day)
        .rev()
        .find_map(|d| first.with_day(d))
        .unwrap_or(first)
}

/// Days after Monday.
pub(crate) fn weekday_index(d: DayOfWeek) -> u32 {
    match d {
        DayOfWeek::Mon => 0,
        DayOfWeek::Tue => 1,
        DayOfWeek::Wed => 2,
        DayOfWeek::Thu => 3,
        DayOfWeek::Fri => 4,
        DayOfWeek::Sat => 5,
        DayOfWeek::Sun => 6,
    }
}

/// The hand-off instants of a rotation: boundary 0 is its start, boundary `k ≥ 1` its `k`-th
/// tick after the start. Shift `k` runs from boundary `k` to boundary `k + 1`.
#[derive(Debug, Clone)]
pub(crate) struct Timeline {
    tz: Tz,
    start: DateTime<Utc>,
    /// Start of the unit holding the start's local date: period 0 begins here.
    origin: NaiveDate,
    recurrence: Recurrence,
    /// Ticks of period 0 at or before the start; they hand off nothing.
    skipped: u64,
}

impl Timeline {
    /// The timeline of a rotation starting at `start` in `tz`.
    pub(crate) fn new(tz: Tz, start: DateTime<Utc>, recurrence: Recurrence) -> Self {
        let origin = recurrence.unit_start(start.with_timezone(&tz).date_naive());
        let skipped = recurrence
            .ticks(origin, 0)
            .take_while(|&t| resolve(tz, t) <= start)
            .count() as u64;
        Self {
            tz,
            start,
            origin,
            recurrence,
            skipped,
        }
    }

    /// The zone of the rotation.
    pub(crate) fn tz(&self) -> Tz {
        self.tz
    }

    /// Boundaries in order, beginning with one at or before `at` (or with boundary 0 when `at`
    /// is before the rotation's second period). Endless: the caller stops.
    pub(crate) fn boundaries_from(
        &self,
        at: DateTime<Utc>,
    ) -> impl Iterator<Item = (u64, DateTime<Utc>)> + '_ {
        let local = at.with_timezone(&self.tz).date_naive();
        let period = self.recurrence.units_between(self.origin, local)
            / i64::from(self.recurrence.multiplier);
        // Ticks of the period before `at`'s lie on earlier dates, hence at or before `at`.
        let first = u64::try_from(period - 1).unwrap_or(0);
        let n = self.recurrence.slots.len() as u64;
        let head = (first == 0).then_some((0, self.start));
        let ticks = (first..).flat_map(move |q| {
            self.recurrence
                .ticks(self.origin, q)
                .enumerate()
                .map(move |(j, t)| (q * n + j as u64 + 1, t))
        });
        head.into_iter().chain(
            ticks
                .filter(move |&(k, _)| k > self.skipped)
                .map(move |(k, t)| (k - self.skipped, resolve(self.tz, t))),
        )
    }
}
