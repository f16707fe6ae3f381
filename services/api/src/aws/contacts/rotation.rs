//! `CreateRotation`, `GetRotation`, `ListRotations`, `UpdateRotation`, `DeleteRotation`.
//! Rotations are stored by an id derived from their (immutable) name — the id `tocsin apply`
//! gives the same rotation, so both paths name it alike.

use serde::Deserialize;
use serde_json::{Value, json};
use tocsin_core::contacts::tags::check_tags;
use tocsin_core::ids::derive;
use tocsin_core::rotation;
use tocsin_core::validate::Checker;
use tocsin_proto::arn::{self, Arn};
use tocsin_proto::records::{Contact, ContactType, RecurrenceSettings, Rotation, Tag, kinds};
use tocsin_runtime::records::RecordsError;
use tocsin_store::{Expect, StoreError};

use super::call::{Call, Paging, epoch, input, time, with_token};
use super::error::ContactsError;
use super::{idempotency, overrides, tags};

/// The store id of rotation `name` (as `tocsin apply` derives it).
pub fn rotation_id(name: &str) -> String {
    derive(&["rotation", name])
}

/// A rotation and its version; `NotFound` when absent or another account's.
pub async fn load(
    c: &Call<'_>,
    field: &str,
    rotation_arn: &str,
) -> Result<(Rotation, u64), ContactsError> {
    let missing = || ContactsError::not_found("ROTATION", rotation_arn);
    let Some(arn) = c.own(field, rotation_arn, "rotation")? else {
        return Err(missing());
    };
    match c
        .records()
        .get::<Rotation>(kinds::ROTATION, arn.last_segment())
        .await?
    {
        Some(found) => Ok(found),
        None => Err(missing()),
    }
}

/// Every member is a personal contact of the caller's account.
async fn check_members(c: &Call<'_>, ids: &[String]) -> Result<(), ContactsError> {
    for id in ids {
        let found = match Arn::parse(id) {
            Ok(a) if a.account == c.account() && a.resource_type() == "contact" => c
                .records()
                .get::<Contact>(kinds::CONTACT, a.last_segment())
                .await?
                .is_some_and(|(x, _)| x.contact_type == ContactType::Personal),
            _ => false,
        };
        if !found {
            return Err(ContactsError::not_found("CONTACT", id));
        }
    }
    Ok(())
}

/// `Rotation` / `GetRotationResult`.
fn shape(r: &Rotation) -> Value {
    json!({
        "RotationArn": r.rotation_arn,
        "Name": r.name,
        "ContactIds": r.contact_ids,
        "StartTime": epoch(r.start_time),
        "TimeZoneId": r.time_zone_id,
        "Recurrence": r.recurrence,
    })
}

/// `CreateRotationRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateInput {
    name: String,
    contact_ids: Vec<String>,
    start_time: Option<f64>,
    time_zone_id: String,
    recurrence: RecurrenceSettings,
    #[serde(default)]
    tags: Vec<Tag>,
    idempotency_token: Option<String>,
}

/// `CreateRotation`: creating the same rotation again answers the same ARN; another rotation
/// under a taken name is refused.
pub async fn create(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: CreateInput = input(&raw)?;
    let token = i.idempotency_token.as_deref();
    if let Some(first) = idempotency::replay(c, token, &raw).await? {
        return Ok(first);
    }
    let id = rotation_id(&i.name);
    let r = Rotation {
        rotation_arn: arn::rotation(c.region(), c.account(), &id),
        name: i.name,
        contact_ids: i.contact_ids,
        start_time: match i.start_time {
            Some(t) => time(t, "StartTime")?,
            None => c.now(),
        },
        time_zone_id: i.time_zone_id,
        recurrence: i.recurrence,
    };
    let mut checker = Checker::default();
    if let Err(e) = rotation::validate_rotation(&r) {
        for f in e.0 {
            checker.check(false, f.field, f.rule);
        }
    }
    check_tags(&mut checker, &i.tags);
    checker.finish()?;
    check_members(c, &r.contact_ids).await?;
    match c
        .records()
        .put(kinds::ROTATION, &id, &r, Expect::Absent)
        .await
    {
        Ok(_) => {}
        Err(RecordsError::Store(StoreError::Conflict { .. })) => {
            let same = c
                .records()
                .get::<Rotation>(kinds::ROTATION, &id)
                .await?
                .is_some_and(|(x, _)| {
                    Rotation {
                        start_time: r.start_time,
                        ..x
                    } == r
                });
            if !same {
                return Err(ContactsError::other(
                    "Name",
                    format!("a different rotation named {:?} already exists", r.name),
                ));
            }
        }
        Err(e) => return Err(e.into()),
    }
    tags::store(c, &r.rotation_arn, &i.tags).await?;
    let out = json!({ "RotationArn": r.rotation_arn });
    idempotency::remember(c, token, &raw, &out).await?;
    tracing::info!(name = %r.name, "Rotation created.");
    Ok(out)
}

/// Requests naming one rotation.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RotationIdInput {
    rotation_id: String,
}

/// `GetRotation`.
pub async fn get(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: RotationIdInput = input(&raw)?;
    Ok(shape(&load(c, "RotationId", &i.rotation_id).await?.0))
}

/// `ListRotationsRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListInput {
    rotation_name_prefix: Option<String>,
}

/// `ListRotations`: by name.
pub async fn list(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: ListInput = input(&raw)?;
    let paging: Paging = input(&raw)?;
    let mut all: Vec<Rotation> = c.records().list(kinds::ROTATION).await?;
    all.retain(|r| {
        i.rotation_name_prefix
            .as_deref()
            .is_none_or(|p| r.name.starts_with(p))
    });
    all.sort_by(|a, b| a.name.cmp(&b.name));
    let (page, next) = c.page(&paging, all, |r| r.name.clone()).await?;
    let rotations: Vec<Value> = page.iter().map(shape).collect();
    Ok(with_token(json!({ "Rotations": rotations }), next))
}

/// `UpdateRotationRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateInput {
    rotation_id: String,
    contact_ids: Option<Vec<String>>,
    start_time: Option<f64>,
    time_zone_id: Option<String>,
    recurrence: RecurrenceSettings,
}

/// `UpdateRotation`, compare-and-set.
pub async fn update(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: UpdateInput = input(&raw)?;
    if let Some(ids) = &i.contact_ids {
        check_members(c, ids).await?;
    }
    for _ in 0..8 {
        let (mut r, version) = load(c, "RotationId", &i.rotation_id).await?;
        if let Some(ids) = &i.contact_ids {
            r.contact_ids = ids.clone();
        }
        if let Some(t) = i.start_time {
            r.start_time = time(t, "StartTime")?;
        }
        if let Some(tz) = &i.time_zone_id {
            r.time_zone_id = tz.clone();
        }
        r.recurrence = i.recurrence.clone();
        rotation::validate_rotation(&r)?;
        let id = r
            .rotation_arn
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        if c.records()
            .put_versioned(kinds::ROTATION, &id, &r, version)
            .await?
        {
            return Ok(json!({}));
        }
    }
    Err(ContactsError::conflict(
        "ROTATION",
        &i.rotation_id,
        "the rotation kept changing under concurrent updates; retry",
        vec![],
    ))
}

/// `DeleteRotation`: refused while an on-call schedule uses it; its overrides and tags go with
/// it.
pub async fn delete(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: RotationIdInput = input(&raw)?;
    let (r, _) = load(c, "RotationId", &i.rotation_id).await?;
    let id = r
        .rotation_arn
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let schedules: Vec<String> = c
        .records()
        .list::<Contact>(kinds::CONTACT)
        .await?
        .into_iter()
        .filter(|x| {
            x.plan
                .rotation_ids
                .iter()
                .any(|rid| rid.rsplit('/').next() == Some(id.as_str()))
        })
        .map(|x| x.contact_arn)
        .collect();
    if !schedules.is_empty() {
        return Err(ContactsError::conflict(
            "ROTATION",
            &r.rotation_arn,
            format!("rotation {} is used by on-call schedules", r.name),
            vec![("ONCALL_SCHEDULE", schedules)],
        ));
    }
    for (oid, _) in overrides::of(c, &id).await? {
        c.records()
            .store()
            .delete(c.account(), kinds::ROTATION_OVERRIDE, &oid)
            .await?;
    }
    c.records()
        .store()
        .delete(c.account(), kinds::ROTATION, &id)
        .await?;
    tags::store(c, &r.rotation_arn, &[]).await?;
    Ok(json!({}))
}
