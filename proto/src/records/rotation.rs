//! On-call rotations, their overrides and the shifts they produce, shaped like `ssm-contacts`
//! `GetRotation`, `GetRotationOverride` and `ListRotationShifts` (PascalCase, as on that API's
//! wire). How shifts are computed from these records is `tocsin_core::rotation`'s business.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A rotation of an on-call schedule (`GetRotationResult`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Rotation {
    /// `arn:aws:ssm-contacts:<region>:<account>:rotation/<name>`.
    pub rotation_arn: String,
    /// Name (1–255 characters of `[a-zA-Z0-9_\-\s.]`); immutable.
    pub name: String,
    /// Contact ARNs (1–30, personal contacts); the order is the shift order.
    pub contact_ids: Vec<String>,
    /// When the rotation goes into effect; the first shift starts here.
    pub start_time: DateTime<Utc>,
    /// IANA time zone (`America/Chicago`) in which hand-offs and coverage are read.
    pub time_zone_id: String,
    /// When contacts hand off and which hours are covered.
    pub recurrence: RecurrenceSettings,
}

/// `RecurrenceSettings`: exactly one of the three hand-off lists is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RecurrenceSettings {
    /// Hand-offs on days of the month.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub monthly_settings: Vec<MonthlySetting>,
    /// Hand-offs on days of the week.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weekly_settings: Vec<WeeklySetting>,
    /// Hand-offs at times of the day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub daily_settings: Vec<HandOffTime>,
    /// How many contacts are on call at once (at least 1).
    pub number_of_on_calls: u32,
    /// Covered hours per weekday; absent or empty means covered around the clock.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub shift_coverages: BTreeMap<DayOfWeek, Vec<CoverageTime>>,
    /// How many days, weeks or months one recurrence period lasts (1–100).
    pub recurrence_multiplier: u32,
}

/// `MonthlySetting`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct MonthlySetting {
    /// Day of the month (1–31).
    pub day_of_month: u32,
    /// Local time of the hand-off.
    pub hand_off_time: HandOffTime,
}

/// `WeeklySetting`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct WeeklySetting {
    /// Day of the week.
    pub day_of_week: DayOfWeek,
    /// Local time of the hand-off.
    pub hand_off_time: HandOffTime,
}

/// `HandOffTime`: a local time of day.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct HandOffTime {
    /// Hour (0–23).
    pub hour_of_day: u32,
    /// Minute (0–59).
    pub minute_of_hour: u32,
}

/// `CoverageTime`: one covered window of a weekday, in local time. An end at or before the start
/// ends on the next day (`11:00`–`11:00` covers 24 hours).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CoverageTime {
    /// Start of the window.
    pub start: HandOffTime,
    /// End of the window.
    pub end: HandOffTime,
}

/// `DayOfWeek`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DayOfWeek {
    /// Monday.
    Mon,
    /// Tuesday.
    Tue,
    /// Wednesday.
    Wed,
    /// Thursday.
    Thu,
    /// Friday.
    Fri,
    /// Saturday.
    Sat,
    /// Sunday.
    Sun,
}

/// `RotationOverride`: other contacts on call in `[StartTime, EndTime)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RotationOverride {
    /// Id (a UUID).
    pub rotation_override_id: String,
    /// Who is on call instead (0–30 members of the rotation; none means nobody).
    #[serde(default)]
    pub new_contact_ids: Vec<String>,
    /// Start (inclusive).
    pub start_time: DateTime<Utc>,
    /// End (exclusive).
    pub end_time: DateTime<Utc>,
    /// When it was created; of two overlapping overrides the newer one wins.
    pub create_time: DateTime<Utc>,
}

/// `PreviewOverride`: an override of `ListPreviewRotationShifts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PreviewOverride {
    /// Who would be on call instead (members of the previewed rotation).
    #[serde(default)]
    pub new_members: Vec<String>,
    /// Start (inclusive).
    pub start_time: DateTime<Utc>,
    /// End (exclusive).
    pub end_time: DateTime<Utc>,
}

/// `ShiftType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ShiftType {
    /// The rotation's own contacts.
    Regular,
    /// An override's contacts.
    Overridden,
}

/// `RotationShift`: who is on call in `[StartTime, EndTime)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RotationShift {
    /// Who is on call.
    #[serde(default)]
    pub contact_ids: Vec<String>,
    /// Start (inclusive).
    pub start_time: DateTime<Utc>,
    /// End (exclusive).
    pub end_time: DateTime<Utc>,
    /// Regular or overridden.
    #[serde(rename = "Type")]
    pub shift_type: ShiftType,
    /// Set on overridden shifts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shift_details: Option<ShiftDetails>,
}

/// `ShiftDetails`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ShiftDetails {
    /// The regular contacts the override replaced; deleting the override restores them.
    pub overridden_contact_ids: Vec<String>,
}
