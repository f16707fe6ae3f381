//! Covered hours: `ShiftCoverages` as instants. Outside them nobody is on call.

use chrono::{DateTime, Datelike, Days, NaiveTime, Utc};
use chrono_tz::Tz;
use tocsin_proto::records::{CoverageTime, HandOffTime, RecurrenceSettings};

use super::recurrence::weekday_index;
use super::wallclock::{resolve, time_of_day};

/// A half-open span of time, `[start, end)`.
pub(crate) type Span = (DateTime<Utc>, DateTime<Utc>);

/// The covered windows of each weekday, or none at all for round-the-clock coverage.
#[derive(Debug, Clone)]
pub(crate) struct Coverage {
    /// Indexed by days after Monday; `(start, end)` local times sorted by start. An end at or
    /// before the start falls on the next day.
    days: Option<[Vec<(NaiveTime, NaiveTime)>; 7]>,
}

/// The wall-clock length of a window in minutes: an end at or before the start is on the next
/// day, so `11:00`–`11:00` is 24 hours.
pub(crate) fn window_minutes(w: &CoverageTime) -> u32 {
    let minutes = |h: &HandOffTime| h.hour_of_day * 60 + h.minute_of_hour;
    let (s, e) = (minutes(&w.start), minutes(&w.end));
    if e > s { e - s } else { e + 24 * 60 - s }
}

impl Coverage {
    /// Compiles validated coverages; an empty map covers every instant.
    pub(crate) fn new(settings: &RecurrenceSettings) -> Self {
        if settings.shift_coverages.is_empty() {
            return Self { days: None };
        }
        let mut days: [Vec<(NaiveTime, NaiveTime)>; 7] = Default::default();
        for (day, windows) in &settings.shift_coverages {
            let slot = &mut days[weekday_index(*day) as usize];
            slot.extend(
                windows
                    .iter()
                    .map(|w| (time_of_day(&w.start), time_of_day(&w.end))),
            );
            slot.sort();
        }
        Self { days: Some(days) }
    }

    /// The covered part of `span`: disjoint, sorted, non-empty spans, with windows that touch or
    /// overlap (Monday 00:00–00:00 and Tuesday 00:00–00:00) merged into one.
    pub(crate) fn within(&self, tz: Tz, span: Span) -> Vec<Span> {
        let (from, to) = span;
        if from >= to {
            return Vec::new();
        }
        let Some(days) = &self.days else {
            return vec![span];
        };
        // A window reaches at most into the day after its own, so starting a day early is enough.
        let first = from.with_timezone(&tz).date_naive() - Days::new(1);
        let last = to.with_timezone(&tz).date_naive();
        let mut merged: Vec<Span> = Vec::new();
        for date in first.iter_days().take_while(|d| *d <= last) {
            for &(start, end) in &days[date.weekday().num_days_from_monday() as usize] {
                let end_date = if end > start {
                    date
                } else {
                    date + Days::new(1)
                };
                let s = resolve(tz, date.and_time(start)).max(from);
                let e = resolve(tz, end_date.and_time(end)).min(to);
                if s >= e {
                    continue;
                }
                // Windows arrive sorted by start (dates ascend, resolving keeps order).
                match merged.last_mut() {
                    Some(prev) if s <= prev.1 => prev.1 = prev.1.max(e),
                    _ => merged.push((s, e)),
                }
            }
        }
        merged
    }
}
