//! `CreateContactChannel`, `GetContactChannel`, `ListContactChannels`, `UpdateContactChannel`,
//! `DeleteContactChannel`. Channels are stored by id (the last segment of their ARN,
//! `contact-channel/<alias>/<id>`); only personal contacts have them. A new channel is
//! `NOT_ACTIVATED` and, unless `DeferActivation`, is sent its activation code at once; a
//! changed address needs a new activation.

use serde::Deserialize;
use serde_json::{Value, json};
use tocsin_core::contacts::{self, ActivationState};
use tocsin_core::ids::derive;
use tocsin_proto::arn;
use tocsin_proto::records::{
    ActivationStatus, ChannelType, ContactChannel, ContactChannelAddress, ContactType, kinds,
};
use tocsin_runtime::records::RecordsError;
use tocsin_store::{Expect, StoreError};

use super::call::{Call, Paging, input, with_token};
use super::contact;
use super::error::ContactsError;
use super::{activation, idempotency};

/// A channel and its version; `NotFound` when absent or another account's.
pub async fn load(
    c: &Call<'_>,
    field: &str,
    channel_arn: &str,
) -> Result<(ContactChannel, u64), ContactsError> {
    let missing = || ContactsError::not_found("CONTACT_CHANNEL", channel_arn);
    let Some(arn) = c.own(field, channel_arn, "contact-channel")? else {
        return Err(missing());
    };
    match c
        .records()
        .get::<ContactChannel>(kinds::CONTACT_CHANNEL, arn.last_segment())
        .await?
    {
        Some((ch, v))
            if ch
                .contact_channel_arn
                .ends_with(&format!(":{}", arn.resource)) =>
        {
            Ok((ch, v))
        }
        _ => Err(missing()),
    }
}

/// `CreateContactChannelRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateInput {
    contact_id: String,
    name: String,
    #[serde(rename = "Type")]
    channel_type: ChannelType,
    delivery_address: ContactChannelAddress,
    defer_activation: Option<bool>,
    idempotency_token: Option<String>,
}

/// `CreateContactChannel`.
pub async fn create(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: CreateInput = input(&raw)?;
    let token = i.idempotency_token.as_deref().filter(|t| !t.is_empty());
    if let Some(first) = idempotency::replay(c, token, &raw).await? {
        return Ok(first);
    }
    let (owner, _) = contact::load(c, "ContactId", &i.contact_id).await?;
    if owner.contact_type != ContactType::Personal {
        return Err(ContactsError::other(
            "ContactId",
            "only personal contacts have contact channels",
        ));
    }
    let id = match token {
        Some(t) => derive(&["contact-channel", c.account(), &owner.alias, t]),
        None => uuid::Uuid::new_v4().to_string(),
    };
    let channel = ContactChannel {
        contact_channel_arn: arn::contact_channel(c.region(), c.account(), &owner.alias, &id),
        contact_arn: owner.contact_arn.clone(),
        name: i.name,
        channel_type: i.channel_type,
        delivery_address: i.delivery_address,
        activation_status: ActivationStatus::NotActivated,
    };
    contacts::validate_channel(&channel)?;
    match c
        .records()
        .put(kinds::CONTACT_CHANNEL, &id, &channel, Expect::Absent)
        .await
    {
        // A concurrent first attempt with the same token wrote the same channel.
        Ok(_) | Err(RecordsError::Store(StoreError::Conflict { .. })) => {}
        Err(e) => return Err(e.into()),
    }
    if !i.defer_activation.unwrap_or(false) {
        activation::send_code(c, &channel).await?;
    }
    let out = json!({ "ContactChannelArn": channel.contact_channel_arn });
    idempotency::remember(c, token, &raw, &out).await?;
    tracing::info!(channel = %channel.contact_channel_arn, "Contact channel created.");
    Ok(out)
}

/// A channel on the wire (`GetContactChannelResult`, `ContactChannel`).
fn shape(ch: &ContactChannel) -> Value {
    json!({
        "ContactArn": ch.contact_arn,
        "ContactChannelArn": ch.contact_channel_arn,
        "Name": ch.name,
        "Type": ch.channel_type,
        "DeliveryAddress": ch.delivery_address,
        "ActivationStatus": ch.activation_status,
    })
}

/// Requests naming one channel.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChannelIdInput {
    /// `ContactChannelId`.
    pub contact_channel_id: String,
}

/// `GetContactChannel`.
pub async fn get(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: ChannelIdInput = input(&raw)?;
    let (ch, _) = load(c, "ContactChannelId", &i.contact_channel_id).await?;
    Ok(shape(&ch))
}

/// `ListContactChannelsRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListInput {
    contact_id: String,
}

/// `ListContactChannels`: the contact's channels, by ARN.
pub async fn list(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: ListInput = input(&raw)?;
    let paging: Paging = input(&raw)?;
    let (owner, _) = contact::load(c, "ContactId", &i.contact_id).await?;
    let mut all = c.records().channels_of(&owner.contact_arn).await?;
    all.sort_by(|a, b| a.contact_channel_arn.cmp(&b.contact_channel_arn));
    let (page, next) = c
        .page(&paging, all, |ch| ch.contact_channel_arn.clone())
        .await?;
    let channels: Vec<Value> = page.iter().map(shape).collect();
    Ok(with_token(json!({ "ContactChannels": channels }), next))
}

/// `UpdateContactChannelRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateInput {
    contact_channel_id: String,
    name: Option<String>,
    delivery_address: Option<ContactChannelAddress>,
}

/// `UpdateContactChannel`: name and address; a new address must be activated again.
pub async fn update(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: UpdateInput = input(&raw)?;
    for _ in 0..8 {
        let (mut ch, version) = load(c, "ContactChannelId", &i.contact_channel_id).await?;
        if let Some(n) = &i.name {
            ch.name = n.clone();
        }
        let moved = i
            .delivery_address
            .as_ref()
            .is_some_and(|a| a != &ch.delivery_address);
        if let Some(a) = &i.delivery_address {
            ch.delivery_address = a.clone();
        }
        contacts::validate_channel(&ch)?;
        if moved {
            let id = contact::channel_id(&ch);
            let record = c
                .records()
                .get(kinds::CONTACT_CHANNEL_ACTIVATION, &id)
                .await?
                .map(|(r, _)| r);
            let state = contacts::deactivate(&ActivationState::of(&ch, record));
            state.apply_to(&mut ch);
            c.records()
                .put(
                    kinds::CONTACT_CHANNEL_ACTIVATION,
                    &id,
                    &state.record,
                    Expect::Any,
                )
                .await?;
        }
        if c.records()
            .put_versioned(
                kinds::CONTACT_CHANNEL,
                &contact::channel_id(&ch),
                &ch,
                version,
            )
            .await?
        {
            return Ok(json!({}));
        }
    }
    Err(ContactsError::conflict(
        "CONTACT_CHANNEL",
        &i.contact_channel_id,
        "the channel kept changing under concurrent updates; retry",
        vec![],
    ))
}

/// `DeleteContactChannel`: the channel and its activation record. Stages naming it skip it.
pub async fn delete(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: ChannelIdInput = input(&raw)?;
    let (ch, _) = load(c, "ContactChannelId", &i.contact_channel_id).await?;
    let id = contact::channel_id(&ch);
    let store = c.records();
    let store = store.store();
    store
        .delete(c.account(), kinds::CONTACT_CHANNEL, &id)
        .await?;
    store
        .delete(c.account(), kinds::CONTACT_CHANNEL_ACTIVATION, &id)
        .await?;
    tracing::info!(channel = %ch.contact_channel_arn, "Contact channel deleted.");
    Ok(json!({}))
}
