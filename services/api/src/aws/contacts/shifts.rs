//! `ListRotationShifts` and `ListPreviewRotationShifts`: shifts computed by
//! `tocsin_core::rotation` from a stored rotation and its overrides, or from a rotation that
//! does not exist yet; paged by their position in the computed listing.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use tocsin_core::rotation::{self, Preview};
use tocsin_proto::records::{PreviewOverride, RecurrenceSettings, RotationOverride, RotationShift};

use super::call::{Call, Paging, epoch, input, time, with_token};
use super::error::ContactsError;
use super::overrides;
use super::rotation::load;

/// `RotationShift` on the wire.
fn shift_shape(s: &RotationShift) -> Value {
    let mut out = json!({
        "ContactIds": s.contact_ids,
        "StartTime": epoch(s.start_time),
        "EndTime": epoch(s.end_time),
        "Type": s.shift_type,
    });
    if let Some(d) = &s.shift_details {
        out["ShiftDetails"] = json!(d);
    }
    out
}

/// A page of shifts (positions are their indices in the computed listing).
async fn page_of_shifts(
    c: &Call<'_>,
    paging: &Paging,
    shifts: Vec<RotationShift>,
) -> Result<Value, ContactsError> {
    let numbered: Vec<(usize, RotationShift)> = shifts.into_iter().enumerate().collect();
    let (page, next) = c
        .page(paging, numbered, |(i, _)| format!("{i:010}"))
        .await?;
    let shifts: Vec<Value> = page.iter().map(|(_, s)| shift_shape(s)).collect();
    Ok(with_token(json!({ "RotationShifts": shifts }), next))
}

fn window(
    c: &Call<'_>,
    start: Option<f64>,
    end: f64,
) -> Result<(DateTime<Utc>, DateTime<Utc>), ContactsError> {
    let start = match start {
        Some(s) => time(s, "StartTime")?,
        None => c.now(),
    };
    let end = time(end, "EndTime")?;
    if end <= start {
        return Err(ContactsError::field("EndTime", "must be after StartTime"));
    }
    Ok((start, end))
}

/// `ListRotationShiftsRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ShiftsInput {
    rotation_id: String,
    start_time: Option<f64>,
    end_time: f64,
}

/// `ListRotationShifts`: the shifts intersecting `[StartTime (default now), EndTime)`.
pub async fn shifts(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: ShiftsInput = input(&raw)?;
    let paging: Paging = input(&raw)?;
    let (r, _) = load(c, "RotationId", &i.rotation_id).await?;
    let (start, end) = window(c, i.start_time, i.end_time)?;
    let id = r
        .rotation_arn
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let overrides: Vec<RotationOverride> = overrides::of(c, &id)
        .await?
        .into_iter()
        .map(|(_, o)| o)
        .collect();
    let shifts = rotation::shifts(&r, &overrides, start, end)?;
    page_of_shifts(c, &paging, shifts).await
}

/// `PreviewOverride` of the request (epoch seconds).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PreviewOverrideInput {
    #[serde(default)]
    new_members: Vec<String>,
    start_time: Option<f64>,
    end_time: Option<f64>,
}

/// `ListPreviewRotationShiftsRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PreviewInput {
    rotation_start_time: Option<f64>,
    start_time: Option<f64>,
    end_time: f64,
    members: Vec<String>,
    time_zone_id: String,
    recurrence: RecurrenceSettings,
    #[serde(default)]
    overrides: Vec<PreviewOverrideInput>,
}

/// `ListPreviewRotationShifts`: the shifts a rotation would have.
pub async fn preview(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: PreviewInput = input(&raw)?;
    let paging: Paging = input(&raw)?;
    let (start, end) = window(c, i.start_time, i.end_time)?;
    let mut previews = Vec::new();
    for (k, o) in i.overrides.into_iter().enumerate() {
        let field = |f: &str| format!("Overrides[{k}].{f}");
        let (Some(s), Some(e)) = (o.start_time, o.end_time) else {
            return Err(ContactsError::field(
                &field("StartTime"),
                "StartTime and EndTime are required",
            ));
        };
        previews.push(PreviewOverride {
            new_members: o.new_members,
            start_time: time(s, &field("StartTime"))?,
            end_time: time(e, &field("EndTime"))?,
        });
    }
    let p = Preview {
        rotation_start: match i.rotation_start_time {
            Some(t) => time(t, "RotationStartTime")?,
            None => c.now(),
        },
        members: &i.members,
        time_zone_id: &i.time_zone_id,
        recurrence: &i.recurrence,
        overrides: &previews,
    };
    let shifts = rotation::preview_shifts(&p, start, end)?;
    page_of_shifts(c, &paging, shifts).await
}
