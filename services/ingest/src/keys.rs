//! Integration keys: how HTTP publishers authenticate. A key is shown once, at creation; the
//! store keeps its SHA-256 only, so a leaked database does not leak keys.

use chrono::{DateTime, Utc};
use rand::Rng;
use tocsin_core::formats::Format;
use tocsin_core::ids::sha256_hex;
use tocsin_proto::records::{IntegrationKey, kinds};
use tocsin_runtime::Records;
use tocsin_runtime::records::RecordsError;
use tocsin_store::Expect;

/// Why a key could not be created.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A rule was broken.
    #[error("{0}")]
    Invalid(String),
    /// The store failed.
    #[error(transparent)]
    Records(#[from] RecordsError),
}

/// A freshly created key: the secret (show it once) and its record.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// The secret to give the publisher.
    pub key: String,
    /// What is stored.
    pub record: IntegrationKey,
}

/// The stored id (hash) of a presented key.
pub fn hash(key: &str) -> String {
    sha256_hex(key.as_bytes())
}

/// Creates a key for `format`, optionally bound to a plan (which must exist).
pub async fn create(
    records: &Records,
    name: &str,
    format: &str,
    response_plan_arn: Option<&str>,
    now: DateTime<Utc>,
) -> Result<NewKey, KeyError> {
    if Format::from_key(format).is_none() {
        return Err(KeyError::Invalid(format!(
            "format: must be one of cloudwatch, sns, eventbridge, alertmanager, pagerduty, native; got {format:?}"
        )));
    }
    if name.is_empty() || name.len() > 200 {
        return Err(KeyError::Invalid(
            "name: length must be between 1 and 200 characters".into(),
        ));
    }
    if let Some(arn) = response_plan_arn
        && records.response_plan(arn).await?.is_none()
    {
        return Err(KeyError::Invalid(format!(
            "responsePlanArn: response plan {arn} does not exist"
        )));
    }
    let secret: [u8; 24] = rand::rng().random();
    let key = format!("tk_{}", hex_of(&secret));
    let key_hash = hash(&key);
    let record = IntegrationKey {
        key_id: key_hash[..12].to_string(),
        key_hash: key_hash.clone(),
        name: name.to_string(),
        format: format.to_string(),
        response_plan_arn: response_plan_arn.map(str::to_string),
        created_at: now,
        revoked: false,
    };
    records
        .put(kinds::INTEGRATION_KEY, &key_hash, &record, Expect::Absent)
        .await?;
    Ok(NewKey { key, record })
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every key of the account (hashes and metadata; never the secrets).
pub async fn list(records: &Records) -> Result<Vec<IntegrationKey>, RecordsError> {
    let mut keys: Vec<IntegrationKey> = records.list(kinds::INTEGRATION_KEY).await?;
    keys.sort_by_key(|k| k.created_at);
    Ok(keys)
}

/// Revokes the key with this public id; false if there is none.
pub async fn revoke(records: &Records, key_id: &str) -> Result<bool, RecordsError> {
    for mut k in list(records).await? {
        if k.key_id == key_id {
            k.revoked = true;
            records
                .put(kinds::INTEGRATION_KEY, &k.key_hash.clone(), &k, Expect::Any)
                .await?;
            return Ok(true);
        }
    }
    Ok(false)
}
