//! `SendActivationCode`, `ActivateContactChannel`, `DeactivateContactChannel`: the
//! transitions of `tocsin_core::contacts::activation` (codes expire after 15 minutes, 5 wrong
//! codes burn one, at most 10 codes a day a minute apart), stored with compare-and-set on the
//! channel's activation record so two concurrent guesses are both counted. The code travels to
//! the notifier as `NotifyCommand::SendActivationCode`; only its salted hash is stored.

use rand::Rng;
use serde::Deserialize;
use serde_json::{Value, json};
use tocsin_core::contacts::{self, ActivationCode, ActivationState};
use tocsin_proto::messages::{NotifyCommand, SendActivationCodeV1};
use tocsin_proto::records::{ChannelActivation, ContactChannel, kinds};
use tocsin_runtime::publish::{self, Meta};
use tocsin_runtime::records::RecordsError;
use tocsin_store::{Expect, StoreError};

use super::call::{Call, input};
use super::channel::{self, ChannelIdInput};
use super::contact::channel_id;
use super::error::ContactsError;
use crate::aws::error::AwsError;

/// Compare-and-set attempts before giving up.
const ATTEMPTS: usize = 8;

/// The activation state of `ch` and its record's version (None: no record yet).
async fn state_of(
    c: &Call<'_>,
    ch: &ContactChannel,
) -> Result<(ActivationState, Option<u64>), ContactsError> {
    let found = c
        .records()
        .get::<ChannelActivation>(kinds::CONTACT_CHANNEL_ACTIVATION, &channel_id(ch))
        .await?;
    let version = found.as_ref().map(|(_, v)| *v);
    Ok((ActivationState::of(ch, found.map(|(r, _)| r)), version))
}

/// Writes the activation record if it is still at `version`; false on a lost race.
async fn save_record(
    c: &Call<'_>,
    ch: &ContactChannel,
    record: &ChannelActivation,
    version: Option<u64>,
) -> Result<bool, ContactsError> {
    let expect = version.map_or(Expect::Absent, Expect::Version);
    match c
        .records()
        .put(
            kinds::CONTACT_CHANNEL_ACTIVATION,
            &channel_id(ch),
            record,
            expect,
        )
        .await
    {
        Ok(_) => Ok(true),
        Err(RecordsError::Store(StoreError::Conflict { .. })) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Sets the channel's `ActivationStatus` (compare-and-set on the channel).
async fn save_status(
    c: &Call<'_>,
    ch: &ContactChannel,
    state: &ActivationState,
) -> Result<(), ContactsError> {
    for _ in 0..ATTEMPTS {
        let (mut current, version) =
            channel::load(c, "ContactChannelId", &ch.contact_channel_arn).await?;
        if current.activation_status == state.status {
            return Ok(());
        }
        state.apply_to(&mut current);
        if c.records()
            .put_versioned(
                kinds::CONTACT_CHANNEL,
                &channel_id(&current),
                &current,
                version,
            )
            .await?
        {
            return Ok(());
        }
    }
    Err(busy(ch))
}

fn busy(ch: &ContactChannel) -> ContactsError {
    ContactsError::conflict(
        "CONTACT_CHANNEL",
        &ch.contact_channel_arn,
        "the channel kept changing under concurrent requests; retry",
        vec![],
    )
}

/// Issues a fresh code to `ch` and hands it to the notifier.
pub async fn send_code(c: &Call<'_>, ch: &ContactChannel) -> Result<(), ContactsError> {
    for _ in 0..ATTEMPTS {
        let (state, version) = state_of(c, ch).await?;
        let n = rand::rng().random_range(0..1_000_000);
        let code = ActivationCode::from_number(n).expect("below 1,000,000");
        let next = contacts::issue_code(&state, c.now(), &code)
            .map_err(|e| ContactsError::activation(&e, &ch.contact_channel_arn))?;
        if !save_record(c, ch, &next.record, version).await? {
            continue;
        }
        let command = SendActivationCodeV1 {
            contact_arn: ch.contact_arn.clone(),
            contact_channel_arn: ch.contact_channel_arn.clone(),
            channel_type: ch.channel_type,
            address: ch.delivery_address.simple_address.clone(),
            activation_code: code.as_str().to_string(),
        };
        let key = format!(
            "activation:{}:{}",
            ch.contact_channel_arn,
            next.record.activation_code_hash.clone().unwrap_or_default()
        );
        let meta = Meta {
            account: c.account(),
            idempotency_key: &key,
            now: c.now(),
        };
        publish::command(
            &c.ctx().bus,
            &meta,
            NotifyCommand::SendActivationCode(command),
        )
        .await
        .map_err(|e| AwsError::internal(&e))?;
        tracing::info!(channel = %ch.contact_channel_arn, "Activation code sent.");
        return Ok(());
    }
    Err(busy(ch))
}

/// `SendActivationCode`.
pub async fn send(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: ChannelIdInput = input(&raw)?;
    let (ch, _) = channel::load(c, "ContactChannelId", &i.contact_channel_id).await?;
    send_code(c, &ch).await?;
    Ok(json!({}))
}

/// `ActivateContactChannelRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ActivateInput {
    contact_channel_id: String,
    activation_code: String,
}

/// `ActivateContactChannel`: the right, unexpired code activates the channel; a wrong one is
/// counted before the refusal is answered.
pub async fn activate(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: ActivateInput = input(&raw)?;
    for _ in 0..ATTEMPTS {
        let (ch, _) = channel::load(c, "ContactChannelId", &i.contact_channel_id).await?;
        let (state, version) = state_of(c, &ch).await?;
        match contacts::activate(&state, &i.activation_code, c.now()) {
            Ok(next) => {
                if !save_record(c, &ch, &next.record, version).await? {
                    continue;
                }
                save_status(c, &ch, &next).await?;
                tracing::info!(channel = %ch.contact_channel_arn, "Contact channel activated.");
                return Ok(json!({}));
            }
            Err(rejected) => {
                if rejected.state != state
                    && !save_record(c, &ch, &rejected.state.record, version).await?
                {
                    continue;
                }
                return Err(ContactsError::activation(
                    &rejected.error,
                    &ch.contact_channel_arn,
                ));
            }
        }
    }
    Err(ContactsError::other(
        "ContactChannelId",
        "kept changing under concurrent requests; retry",
    ))
}

/// `DeactivateContactChannel`: `NOT_ACTIVATED`, pending code withdrawn.
pub async fn deactivate(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: ChannelIdInput = input(&raw)?;
    for _ in 0..ATTEMPTS {
        let (ch, _) = channel::load(c, "ContactChannelId", &i.contact_channel_id).await?;
        let (state, version) = state_of(c, &ch).await?;
        let next = contacts::deactivate(&state);
        if !save_record(c, &ch, &next.record, version).await? {
            continue;
        }
        save_status(c, &ch, &next).await?;
        return Ok(json!({}));
    }
    Err(ContactsError::other(
        "ContactChannelId",
        "kept changing under concurrent requests; retry",
    ))
}
