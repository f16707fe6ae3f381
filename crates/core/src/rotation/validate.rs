//! The rules a rotation, an override and a schedule's rotation list must follow, and the
//! compiled [`ValidRotation`] that only a rotation following them can become.

use std::collections::HashSet;
use std::str::FromStr;

use chrono::{DateTime, Duration, Months, Utc};
use chrono_tz::Tz;
use tocsin_proto::arn::Arn;
use tocsin_proto::records::{HandOffTime, RecurrenceSettings, Rotation, RotationOverride};

use super::coverage::{Coverage, window_minutes};
use super::recurrence::{Recurrence, Timeline};
use crate::validate::{Checker, ValidationError};

/// Most contacts in a rotation (and in an override).
pub const MAX_CONTACTS: usize = 30;
/// Most rotations in an on-call schedule.
pub const MAX_ROTATIONS_PER_SCHEDULE: usize = 8;
/// Shortest override and shortest coverage window, in minutes.
pub const MIN_MINUTES: u32 = 30;
/// How far ahead of now an override may reach, in months.
pub const OVERRIDE_HORIZON_MONTHS: u32 = 6;

/// A rotation that follows every rule, compiled for computing its shifts.
#[derive(Debug, Clone)]
pub struct ValidRotation {
    pub(crate) contact_ids: Vec<String>,
    pub(crate) on_calls: usize,
    pub(crate) timeline: Timeline,
    pub(crate) coverage: Coverage,
}

impl ValidRotation {
    /// Checks a stored or submitted rotation and compiles it.
    pub fn parse(rotation: &Rotation) -> Result<Self, ValidationError> {
        let mut c = Checker::default();
        check_arn(&mut c, &rotation.rotation_arn, "RotationArn", "rotation");
        c.length(&rotation.name, "Name", 1, 255);
        c.check(
            rotation.name.chars().all(|ch| {
                ch.is_ascii_alphanumeric() || ch.is_ascii_whitespace() || "_-.".contains(ch)
            }),
            "Name",
            "may contain only letters, digits, spaces, `_`, `-` and `.`",
        );
        check_members(
            &mut c,
            "ContactIds",
            &rotation.contact_ids,
            Members::ContactArns,
        );
        let tz = check_time_zone(&mut c, &rotation.time_zone_id);
        check_recurrence(&mut c, &rotation.recurrence, rotation.contact_ids.len());
        c.finish()?;
        Ok(Self::compile(
            rotation.contact_ids.clone(),
            rotation.start_time,
            tz.unwrap_or(Tz::UTC),
            &rotation.recurrence,
        ))
    }

    /// Compiles parts that passed their checks.
    pub(crate) fn compile(
        contact_ids: Vec<String>,
        start: DateTime<Utc>,
        tz: Tz,
        recurrence: &RecurrenceSettings,
    ) -> Self {
        Self {
            on_calls: (recurrence.number_of_on_calls as usize).clamp(1, contact_ids.len().max(1)),
            contact_ids,
            timeline: Timeline::new(tz, start, Recurrence::new(recurrence)),
            coverage: Coverage::new(recurrence),
        }
    }
}

/// Checks a rotation (see [`ValidRotation::parse`]).
pub fn validate_rotation(rotation: &Rotation) -> Result<(), ValidationError> {
    ValidRotation::parse(rotation).map(drop)
}

/// Checks an override of `rotation` created at `now`: it lasts at least 30 minutes, ends after
/// `now` and no later than six months after `now` (it may only change shifts within the next
/// six months), and replaces with at most 30 distinct members of the rotation (none means
/// nobody is on call).
pub fn validate_override(
    rotation: &Rotation,
    o: &RotationOverride,
    now: DateTime<Utc>,
) -> Result<(), ValidationError> {
    let mut c = Checker::default();
    c.length(&o.rotation_override_id, "RotationOverrideId", 36, 39);
    check_override_window(&mut c, o.start_time, o.end_time, "");
    c.check(o.end_time > now, "EndTime", "must be in the future");
    let horizon = now.checked_add_months(Months::new(OVERRIDE_HORIZON_MONTHS));
    c.check(
        horizon.is_some_and(|h| o.end_time <= h),
        "EndTime",
        format!("must be within {OVERRIDE_HORIZON_MONTHS} months of now"),
    );
    check_replacements(
        &mut c,
        "NewContactIds",
        &o.new_contact_ids,
        &rotation.contact_ids,
    );
    c.finish()
}

/// Checks the rotation list of an on-call schedule (`Plan.RotationIds`): 1–8 distinct ids.
pub fn validate_schedule_rotations(rotation_ids: &[String]) -> Result<(), ValidationError> {
    let mut c = Checker::default();
    let n = rotation_ids.len();
    c.check(
        (1..=MAX_ROTATIONS_PER_SCHEDULE).contains(&n),
        "Plan.RotationIds",
        format!("must hold between 1 and {MAX_ROTATIONS_PER_SCHEDULE} rotations, got {n}"),
    );
    check_distinct(&mut c, "Plan.RotationIds", rotation_ids);
    c.finish()
}

/// What a member list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Members {
    /// `ssm-contacts` contact ARNs (a rotation's `ContactIds`).
    ContactArns,
    /// Free-form names of 1–512 characters (a preview's `Members`).
    Names,
}

/// 1–30 distinct members.
pub(crate) fn check_members(c: &mut Checker, field: &str, ids: &[String], kind: Members) {
    let n = ids.len();
    c.check(
        (1..=MAX_CONTACTS).contains(&n),
        field,
        format!("must hold between 1 and {MAX_CONTACTS} contacts, got {n}"),
    );
    for (i, id) in ids.iter().enumerate() {
        let at = format!("{field}[{i}]");
        match kind {
            Members::ContactArns => check_arn(c, id, &at, "contact"),
            Members::Names => {
                c.length(id, &at, 1, 512);
                c.check(!id.trim().is_empty(), at, "must not be blank");
            }
        }
    }
    check_distinct(c, field, ids);
}

/// At most 30 distinct replacements, each one of `members`.
pub(crate) fn check_replacements(c: &mut Checker, field: &str, ids: &[String], members: &[String]) {
    c.check(
        ids.len() <= MAX_CONTACTS,
        field,
        format!(
            "must hold at most {MAX_CONTACTS} contacts, got {}",
            ids.len()
        ),
    );
    for (i, id) in ids.iter().enumerate() {
        c.check(
            members.contains(id),
            format!("{field}[{i}]"),
            "must be a member of the rotation",
        );
    }
    check_distinct(c, field, ids);
}

/// An override's window: ends after it starts, lasts at least 30 minutes. `prefix` locates the
/// override (`Overrides[2].`), empty for a lone one.
pub(crate) fn check_override_window(
    c: &mut Checker,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    prefix: &str,
) {
    c.check(
        end > start,
        format!("{prefix}EndTime"),
        "must be after StartTime",
    );
    c.check(
        end - start >= Duration::minutes(i64::from(MIN_MINUTES)),
        format!("{prefix}EndTime"),
        format!("must be at least {MIN_MINUTES} minutes after StartTime"),
    );
}

/// A known IANA zone.
pub(crate) fn check_time_zone(c: &mut Checker, id: &str) -> Option<Tz> {
    c.length(id, "TimeZoneId", 1, 255);
    let tz = Tz::from_str(id).ok();
    c.check(
        tz.is_some(),
        "TimeZoneId",
        "must be an IANA time zone such as America/Chicago",
    );
    tz
}

/// The recurrence rules; `contacts` is the size of the rotation.
pub(crate) fn check_recurrence(c: &mut Checker, r: &RecurrenceSettings, contacts: usize) {
    let on_calls = r.number_of_on_calls as usize;
    c.check(
        (1..=contacts.max(1)).contains(&on_calls),
        "Recurrence.NumberOfOnCalls",
        format!("must be between 1 and the number of contacts ({contacts})"),
    );
    c.check(
        (1..=100).contains(&r.recurrence_multiplier),
        "Recurrence.RecurrenceMultiplier",
        "must be between 1 and 100",
    );
    let set = [
        !r.daily_settings.is_empty(),
        !r.weekly_settings.is_empty(),
        !r.monthly_settings.is_empty(),
    ];
    c.check(
        set.iter().filter(|s| **s).count() == 1,
        "Recurrence",
        "exactly one of DailySettings, WeeklySettings and MonthlySettings must be set",
    );
    for (i, h) in r.daily_settings.iter().enumerate() {
        check_time(c, h, &format!("Recurrence.DailySettings[{i}]"));
    }
    for (i, w) in r.weekly_settings.iter().enumerate() {
        check_time(
            c,
            &w.hand_off_time,
            &format!("Recurrence.WeeklySettings[{i}].HandOffTime"),
        );
    }
    for (i, m) in r.monthly_settings.iter().enumerate() {
        let at = format!("Recurrence.MonthlySettings[{i}]");
        c.check(
            (1..=31).contains(&m.day_of_month),
            format!("{at}.DayOfMonth"),
            "must be between 1 and 31",
        );
        check_time(c, &m.hand_off_time, &format!("{at}.HandOffTime"));
    }
    for (day, windows) in &r.shift_coverages {
        let at = format!("Recurrence.ShiftCoverages.{}", day_name(*day));
        c.check(
            !windows.is_empty(),
            &at,
            "must hold at least one coverage time",
        );
        for (i, w) in windows.iter().enumerate() {
            let at = format!("{at}[{i}]");
            check_time(c, &w.start, &format!("{at}.Start"));
            check_time(c, &w.end, &format!("{at}.End"));
            c.check(
                window_minutes(w) >= MIN_MINUTES,
                &at,
                format!("must cover at least {MIN_MINUTES} minutes"),
            );
        }
    }
}

fn check_time(c: &mut Checker, h: &HandOffTime, at: &str) {
    c.check(
        h.hour_of_day <= 23,
        format!("{at}.HourOfDay"),
        "must be between 0 and 23",
    );
    c.check(
        h.minute_of_hour <= 59,
        format!("{at}.MinuteOfHour"),
        "must be between 0 and 59",
    );
}

/// An `ssm-contacts` ARN of resource type `resource_type`.
fn check_arn(c: &mut Checker, value: &str, field: &str, resource_type: &str) {
    let ok = Arn::parse(value)
        .is_ok_and(|a| a.service == "ssm-contacts" && a.resource_type() == resource_type);
    c.check(
        ok,
        field,
        format!("must be an ssm-contacts {resource_type} ARN"),
    );
}

fn check_distinct(c: &mut Checker, field: &str, ids: &[String]) {
    let mut seen = HashSet::new();
    for (i, id) in ids.iter().enumerate() {
        c.check(
            seen.insert(id),
            format!("{field}[{i}]"),
            "must not repeat an earlier entry",
        );
    }
}

fn day_name(d: tocsin_proto::records::DayOfWeek) -> String {
    serde_json::to_value(d)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
