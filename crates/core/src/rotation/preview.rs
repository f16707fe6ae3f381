//! `ListPreviewRotationShifts`: the shifts a rotation would have, before it exists.

use chrono::{DateTime, Utc};
use tocsin_proto::records::{PreviewOverride, RecurrenceSettings, RotationShift};

use super::overrides::Replacement;
use super::validate::{
    Members, ValidRotation, check_members, check_override_window, check_recurrence,
    check_replacements, check_time_zone,
};
use crate::validate::{Checker, ValidationError};

/// The rotation and overrides of a `ListPreviewRotationShifts` request.
#[derive(Debug, Clone, Copy)]
pub struct Preview<'a> {
    /// `RotationStartTime`; the shell passes now when the request has none.
    pub rotation_start: DateTime<Utc>,
    /// `Members`, in shift order (1–30 names; they need not be ARNs).
    pub members: &'a [String],
    /// `TimeZoneId`.
    pub time_zone_id: &'a str,
    /// `Recurrence`.
    pub recurrence: &'a RecurrenceSettings,
    /// `Overrides`; where they overlap, the later in the list wins.
    pub overrides: &'a [PreviewOverride],
}

/// The shifts of `preview` intersecting `[start, end)`, computed exactly as
/// [`ValidRotation::shifts`] computes a stored rotation's.
pub fn preview_shifts(
    preview: &Preview<'_>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<RotationShift>, ValidationError> {
    let mut c = Checker::default();
    check_members(&mut c, "Members", preview.members, Members::Names);
    let tz = check_time_zone(&mut c, preview.time_zone_id);
    check_recurrence(&mut c, preview.recurrence, preview.members.len());
    for (i, o) in preview.overrides.iter().enumerate() {
        let at = format!("Overrides[{i}].");
        check_override_window(&mut c, o.start_time, o.end_time, &at);
        check_replacements(
            &mut c,
            &format!("{at}NewMembers"),
            &o.new_members,
            preview.members,
        );
    }
    c.finish()?;
    let rotation = ValidRotation::compile(
        preview.members.to_vec(),
        preview.rotation_start,
        tz.unwrap_or(chrono_tz::Tz::UTC),
        preview.recurrence,
    );
    let replacements: Vec<Replacement<'_>> = preview
        .overrides
        .iter()
        .enumerate()
        .map(|(rank, o)| Replacement {
            span: (o.start_time, o.end_time),
            contacts: &o.new_members,
            rank,
        })
        .collect();
    Ok(rotation.shifts_ranked(&replacements, start, end))
}
