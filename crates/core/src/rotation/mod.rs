//! On-call rotations: who is on call when, as `ssm-contacts` `ListRotationShifts` and
//! `ListPreviewRotationShifts` report it, and whom engaging a schedule reaches.
//!
//! # Semantics
//!
//! Every time of a rotation is wall-clock time in its `TimeZoneId`: a local time skipped by a spring-forward change means the first
//! valid instant after it (the instant of the change); a local time repeated by a fall-back
//! change means its first occurrence. Hand-offs therefore stay at the same local time all year,
//! and a shift spanning a change is 23 h or 25 h long (for Lord Howe, 23.5 h or 24.5 h).
//!
//! - **Hand-offs.** Exactly one of `DailySettings`, `WeeklySettings`, `MonthlySettings` is set.
//!   Its entries are the hand-offs of one *period*: a day (each `HandOffTime`), a week (each
//!   `DayOfWeek` at its time) or a month (each `DayOfMonth` at its time). A `DayOfMonth` past
//!   the end of a short month means the month's last day (31 → 30 April, 28/29 February).
//!   Repeated entries count once.
//! - **`RecurrenceMultiplier` = M.** Periods are M days, weeks or months long and the entries
//!   apply to the first day, week or month of each (as an iCalendar `INTERVAL`), counted from
//!   the day, the Monday-started week or the month holding `StartTime`. With one entry each
//!   contact is on call M days, weeks or months, as the console's "shift length"; with several
//!   entries there are that many hand-offs in every M-th unit (daily `09:00` and `21:00`,
//!   M = 1: two 12-hour shifts a day).
//! - **Shifts.** Shift 0 starts at `StartTime` and ends at the first hand-off after it; shift
//!   `k` runs from hand-off `k` to hand-off `k + 1`. Nobody is on call before `StartTime`.
//! - **Who.** Shift `k` has `NumberOfOnCalls` = N contacts: those at indices
//!   `(k·N + j) mod len` for `j` in `0..N`, so the rotation steps through `ContactIds` in order,
//!   N at a time, wrapping around ("the order … is their shift order"; "N designates that N of
//!   them are on call at any given time"). N is at most the number of contacts.
//! - **Coverage.** With `ShiftCoverages` set, only its windows are covered: a window starts on
//!   its weekday at `Start` and ends at `End` that day, or the next day when `End` is at or
//!   before `Start` (`11:00`–`11:00` is the console's 24-hour coverage). Days not in the map are
//!   not covered. A shift is cut to the covered hours, one reported shift per covered stretch
//!   (touching windows merge); outside coverage nobody is on call (a gap), and the rotation
//!   still advances, so a contact whose whole turn is uncovered loses it. Without
//!   `ShiftCoverages` every instant is covered.
//! - **Overrides.** Inside `[StartTime, EndTime)` of an override its `NewContactIds` are on call
//!   instead of the shift's contacts: the shift is split there into an `OVERRIDDEN` shift
//!   (`ShiftDetails.OverriddenContactIds` = the replaced contacts) and `REGULAR` remainders.
//!   An override spanning several shifts yields one `OVERRIDDEN` shift per shift it covers.
//!   Overrides replace shifts, so they do nothing in coverage gaps or before `StartTime`. Where
//!   overrides overlap, the most recently created wins. An override naming nobody leaves
//!   nobody on call. Deleting an override restores the shift, since shifts are always computed
//!   from the rotation and the overrides that exist.
//! - **Windows.** `ListRotationShifts` and `ListPreviewRotationShifts` return the shifts that
//!   intersect `[StartTime, EndTime)`, whole: AWS documents the preview's `StartTime` as a
//!   filter "of calculated shifts", and a shift is the unit the calendar draws.
//! - **Degenerate hand-offs.** Two hand-offs that resolve to one instant (both inside one
//!   spring-forward gap, or days 30 and 31 in February) give an empty shift, which is not
//!   reported; the order still counts it, so assignments stay tied to the wall clock.
//!
//! # Cost
//!
//! Every period has the same number of hand-offs, so the shift index at any date is
//! arithmetic: a listing starts one period before its window and is linear in the shifts it
//! returns (plus the covered days and the overrides); nothing steps minute by minute.

mod coverage;
mod overrides;
mod preview;
mod recurrence;
mod shifts;
mod validate;
mod wallclock;

#[cfg(test)]
mod tests;

pub use preview::{Preview, preview_shifts};
pub use validate::{
    MAX_CONTACTS, MAX_ROTATIONS_PER_SCHEDULE, MIN_MINUTES, OVERRIDE_HORIZON_MONTHS, ValidRotation,
    validate_override, validate_rotation, validate_schedule_rotations,
};

use chrono::{DateTime, Utc};
use tocsin_proto::records::{Rotation, RotationOverride, RotationShift};

use crate::validate::ValidationError;

/// `ListRotationShifts` for a rotation and its overrides (see [`ValidRotation::shifts`]).
pub fn shifts(
    rotation: &Rotation,
    overrides: &[RotationOverride],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<RotationShift>, ValidationError> {
    Ok(ValidRotation::parse(rotation)?.shifts(overrides, start, end))
}

/// Who is on call in `rotation` at `at`; empty in a coverage gap (see
/// [`ValidRotation::on_call_at`]).
pub fn on_call_at(
    rotation: &Rotation,
    overrides: &[RotationOverride],
    at: DateTime<Utc>,
) -> Result<Vec<String>, ValidationError> {
    Ok(ValidRotation::parse(rotation)?.on_call_at(overrides, at))
}

/// Whom engaging an on-call schedule at `at` reaches: whoever is on call in each of its
/// rotations, in rotation order, each contact once. Empty when every rotation is in a gap, which
/// the caller records as such.
pub fn schedule_on_call_at<'a>(
    rotations: impl IntoIterator<Item = (&'a Rotation, &'a [RotationOverride])>,
    at: DateTime<Utc>,
) -> Result<Vec<String>, ValidationError> {
    let mut out: Vec<String> = Vec::new();
    for (rotation, overrides) in rotations {
        for id in on_call_at(rotation, overrides, at)? {
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    Ok(out)
}
