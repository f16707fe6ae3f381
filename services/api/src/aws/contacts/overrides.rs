//! `CreateRotationOverride`, `GetRotationOverride`, `ListRotationOverrides`,
//! `DeleteRotationOverride`. Overrides are stored under `<rotation id>.<override id>`, where
//! engagement reads them when it engages a schedule; the rules (30 minutes or more, within six
//! months, members of the rotation) are `tocsin_core::rotation::validate_override`.

use serde::Deserialize;
use serde_json::{Value, json};
use tocsin_core::ids::derive;
use tocsin_core::rotation;
use tocsin_engagement::override_id;
use tocsin_proto::records::{Rotation, RotationOverride, kinds};
use tocsin_runtime::records::RecordsError;
use tocsin_store::{Expect, StoreError};

use super::call::{Call, Paging, epoch, input, time, time_key, with_token};
use super::error::ContactsError;
use super::rotation::load;

/// The overrides of rotation `rotation_id`, with their store ids.
pub async fn of(
    c: &Call<'_>,
    rotation_id: &str,
) -> Result<Vec<(String, RotationOverride)>, ContactsError> {
    let prefix = format!("{rotation_id}.");
    let mut out = Vec::new();
    for (id, v) in c
        .records()
        .store()
        .list(c.account(), kinds::ROTATION_OVERRIDE)
        .await?
    {
        if id.starts_with(&prefix)
            && let Ok(o) = serde_json::from_str::<RotationOverride>(&v.data)
        {
            out.push((id, o));
        }
    }
    Ok(out)
}

fn id_of(r: &Rotation) -> String {
    r.rotation_arn
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// `RotationOverride` on the wire.
fn shape(o: &RotationOverride) -> Value {
    json!({
        "RotationOverrideId": o.rotation_override_id,
        "NewContactIds": o.new_contact_ids,
        "StartTime": epoch(o.start_time),
        "EndTime": epoch(o.end_time),
        "CreateTime": epoch(o.create_time),
    })
}

/// `CreateRotationOverrideRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateInput {
    rotation_id: String,
    new_contact_ids: Vec<String>,
    start_time: f64,
    end_time: f64,
    idempotency_token: Option<String>,
}

/// `CreateRotationOverride`. With an `IdempotencyToken` the override id derives from it, so a
/// retry finds the override it created.
pub async fn create(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: CreateInput = input(&raw)?;
    let (r, _) = load(c, "RotationId", &i.rotation_id).await?;
    let rid = id_of(&r);
    let oid = match i.idempotency_token.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => derive(&["rotation-override", c.account(), &rid, t]),
        None => uuid::Uuid::new_v4().to_string(),
    };
    let key = override_id(&rid, &oid);
    if let Some((existing, _)) = c
        .records()
        .get::<RotationOverride>(kinds::ROTATION_OVERRIDE, &key)
        .await?
    {
        return Ok(json!({ "RotationOverrideId": existing.rotation_override_id }));
    }
    let o = RotationOverride {
        rotation_override_id: oid,
        new_contact_ids: i.new_contact_ids,
        start_time: time(i.start_time, "StartTime")?,
        end_time: time(i.end_time, "EndTime")?,
        create_time: c.now(),
    };
    rotation::validate_override(&r, &o, c.now())?;
    match c
        .records()
        .put(kinds::ROTATION_OVERRIDE, &key, &o, Expect::Absent)
        .await
    {
        Ok(_) | Err(RecordsError::Store(StoreError::Conflict { .. })) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(json!({ "RotationOverrideId": o.rotation_override_id }))
}

/// Requests naming one override.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct OverrideIdInput {
    rotation_id: String,
    rotation_override_id: String,
}

async fn load_override(
    c: &Call<'_>,
    i: &OverrideIdInput,
) -> Result<(Rotation, RotationOverride), ContactsError> {
    let (r, _) = load(c, "RotationId", &i.rotation_id).await?;
    let key = override_id(&id_of(&r), &i.rotation_override_id);
    match c
        .records()
        .get::<RotationOverride>(kinds::ROTATION_OVERRIDE, &key)
        .await?
    {
        Some((o, _)) => Ok((r, o)),
        None => Err(ContactsError::not_found(
            "ROTATION_OVERRIDE",
            &i.rotation_override_id,
        )),
    }
}

/// `GetRotationOverride`.
pub async fn get(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: OverrideIdInput = input(&raw)?;
    let (r, o) = load_override(c, &i).await?;
    let mut out = shape(&o);
    out["RotationArn"] = json!(r.rotation_arn);
    Ok(out)
}

/// `DeleteRotationOverride`.
pub async fn delete(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: OverrideIdInput = input(&raw)?;
    let (r, o) = load_override(c, &i).await?;
    c.records()
        .store()
        .delete(
            c.account(),
            kinds::ROTATION_OVERRIDE,
            &override_id(&id_of(&r), &o.rotation_override_id),
        )
        .await?;
    Ok(json!({}))
}

/// `ListRotationOverridesRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListInput {
    rotation_id: String,
    start_time: f64,
    end_time: f64,
}

/// `ListRotationOverrides`: those intersecting `[StartTime, EndTime)`, by start.
pub async fn list(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: ListInput = input(&raw)?;
    let paging: Paging = input(&raw)?;
    let (r, _) = load(c, "RotationId", &i.rotation_id).await?;
    let (start, end) = (
        time(i.start_time, "StartTime")?,
        time(i.end_time, "EndTime")?,
    );
    let mut all: Vec<RotationOverride> = of(c, &id_of(&r))
        .await?
        .into_iter()
        .map(|(_, o)| o)
        .filter(|o| o.start_time < end && o.end_time > start)
        .collect();
    all.sort_by_key(|o| time_key(o.start_time, &o.rotation_override_id));
    let (page, next) = c
        .page(&paging, all, |o| {
            time_key(o.start_time, &o.rotation_override_id)
        })
        .await?;
    let overrides: Vec<Value> = page.iter().map(shape).collect();
    Ok(with_token(json!({ "RotationOverrides": overrides }), next))
}
