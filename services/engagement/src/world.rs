//! What the engine may consult about a contact, loaded before each step: the contact, its
//! channels (personal contacts), its rotations and their overrides (on-call schedules).

use chrono::{DateTime, Utc};
use tocsin_proto::records::{
    Contact, ContactChannel, ContactType, Rotation, RotationOverride, kinds,
};
use tocsin_runtime::{Outcome, Records};

use crate::drive::{last_segment, outcome_of};

/// Rotations of a schedule with their overrides.
pub(crate) type OnCallData = Vec<(Rotation, Vec<RotationOverride>)>;

/// The store id of an override of `rotation_id` (overrides are listed by this prefix).
pub fn override_id(rotation_id: &str, override_id: &str) -> String {
    format!("{rotation_id}.{override_id}")
}

/// The channels a personal contact's plan targets, each read by its id: a step, which runs on
/// every stage and timer, never lists all the account's channels.
async fn plan_channels(
    records: &Records,
    contact: &Contact,
) -> Result<Vec<ContactChannel>, Outcome> {
    let mut ids: Vec<&str> = contact
        .plan
        .stages
        .iter()
        .flat_map(|s| &s.targets)
        .filter_map(|t| t.channel_target_info.as_ref())
        .map(|i| last_segment(&i.contact_channel_id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut channels = Vec::with_capacity(ids.len());
    for id in ids {
        let found = records
            .get::<ContactChannel>(kinds::CONTACT_CHANNEL, id)
            .await
            .map_err(outcome_of)?;
        // A target naming another contact's channel is not this contact's to page.
        if let Some((ch, _)) = found.filter(|(ch, _)| ch.contact_arn == contact.contact_arn) {
            channels.push(ch);
        }
    }
    Ok(channels)
}

/// Loads the contact and what its type needs.
pub(crate) async fn load(
    records: &Records,
    contact_arn: &str,
) -> Result<(Option<Contact>, Vec<ContactChannel>, OnCallData), Outcome> {
    let contact = records.contact(contact_arn).await.map_err(outcome_of)?;
    let mut channels = Vec::new();
    let mut on_call = Vec::new();
    match contact.as_ref().map(|c| c.contact_type) {
        Some(ContactType::Personal) => {
            if let Some(c) = &contact {
                channels = plan_channels(records, c).await?;
            }
        }
        Some(ContactType::OncallSchedule) => {
            let overrides: Vec<(String, RotationOverride)> = records
                .store()
                .list(records.account(), kinds::ROTATION_OVERRIDE)
                .await
                .map_err(|e| Outcome::retry(crate::drive::RETRY_AFTER, e))?
                .into_iter()
                .filter_map(|(id, v)| Some((id, serde_json::from_str(&v.data).ok()?)))
                .collect();
            for rotation_arn in contact
                .as_ref()
                .map(|c| c.plan.rotation_ids.clone())
                .unwrap_or_default()
            {
                let rid = last_segment(&rotation_arn);
                let Some((rotation, _)) = records
                    .get::<Rotation>(kinds::ROTATION, rid)
                    .await
                    .map_err(outcome_of)?
                else {
                    tracing::warn!(
                        rotation_arn,
                        "A schedule names a rotation that does not exist."
                    );
                    continue;
                };
                let prefix = format!("{rid}.");
                let mine = overrides
                    .iter()
                    .filter(|(id, _)| id.starts_with(&prefix))
                    .map(|(_, o)| o.clone())
                    .collect();
                on_call.push((rotation, mine));
            }
        }
        _ => {}
    }
    Ok((contact, channels, on_call))
}

/// Who is on call at `at` across the schedule's rotations (empty in a gap).
pub(crate) fn on_call_at(data: &OnCallData, at: DateTime<Utc>) -> Vec<String> {
    let rotations = data.iter().map(|(r, o)| (r, o.as_slice()));
    match tocsin_core::rotation::schedule_on_call_at(rotations, at) {
        Ok(contacts) => contacts,
        Err(e) => {
            tracing::warn!(error = %e, "A rotation of the schedule is invalid; treating it as a gap.");
            Vec::new()
        }
    }
}
