//! The envelope of every internal bus message (`tocsin.events`, `tocsin.notify`).
//!
//! Alarm sources do not use it: they publish their own format to `tocsin.ingest`. Inside the
//! fleet every message carries who/when/why so that handlers can be idempotent
//! (`idempotency_key`), traced (`traceparent`) and upgraded (`schema_version`).

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// A bus message with its metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Envelope<T> {
    /// Unique per publish (also set as the AMQP `message_id`).
    pub message_id: String,
    /// Derived from the domain (never random): the same effect always has the same key, so a
    /// redelivered or republished message is recognised.
    pub idempotency_key: String,
    /// When the publisher produced it (the publisher's injected clock).
    pub occurred_at: DateTime<Utc>,
    /// Version of the payload schema; a consumer dead-letters versions it does not know.
    pub schema_version: u32,
    /// W3C trace context of the publisher, when traced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    /// Account (tenant) the message belongs to.
    pub account_id: String,
    /// The message itself.
    pub payload: T,
}

/// Why a body could not be decoded into an envelope.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// Not JSON, or not the expected shape.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// A schema version this build does not read.
    #[error("unsupported schema_version {found} (this build reads {supported})")]
    UnsupportedVersion {
        /// Found in the message.
        found: u32,
        /// What this build reads.
        supported: u32,
    },
}

#[derive(Deserialize)]
struct VersionProbe {
    schema_version: u32,
}

impl<T: Serialize> Envelope<T> {
    /// Serialises to JSON bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        // Serialising plain data with string keys cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

impl<T: DeserializeOwned> Envelope<T> {
    /// Decodes a body, checking the schema version before the payload so that a message from a
    /// newer writer is reported as such rather than as malformed.
    pub fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let probe: VersionProbe =
            serde_json::from_slice(body).map_err(|e| DecodeError::Malformed(e.to_string()))?;
        if probe.schema_version != SCHEMA_VERSION {
            return Err(DecodeError::UnsupportedVersion {
                found: probe.schema_version,
                supported: SCHEMA_VERSION,
            });
        }
        serde_json::from_slice(body).map_err(|e| DecodeError::Malformed(e.to_string()))
    }
}
