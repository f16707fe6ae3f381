//! Channel activation as pure state transitions: issue a code, present it, deactivate.
//!
//! A channel is engaged only when `ACTIVATED` ([`can_engage`]). `SendActivationCode` (and
//! `CreateContactChannel` without `DeferActivation`) issues a fresh 6-digit code
//! ([`issue_code`]); `ActivateContactChannel` presents it ([`activate`]);
//! `DeactivateContactChannel` turns the channel off ([`deactivate`]). The shell draws the code
//! (the core has no randomness), sends it to the address, and stores the returned state: the
//! channel's `ActivationStatus` and its [`ChannelActivation`] record, with compare-and-set on
//! the record's version so two concurrent guesses cannot both be counted as the first.
//!
//! # Decisions
//!
//! - **Lifetime: [`CODE_LIFETIME`] = 15 minutes.** AWS documents no lifetime for Incident
//!   Manager activation codes (the API reference and user guide say only that a code is sent
//!   and that new codes can be sent later). 15 minutes covers slow email and voice delivery
//!   and a person typing the code in, while keeping each code's guessing window short; an
//!   expired code is answered `Expired` and a new one is a `SendActivationCode` away.
//! - **Attempts: [`MAX_FAILED_ATTEMPTS`] = 5 per code.** The fifth wrong code burns the code:
//!   it is refused from then on, even if right, until a new one is issued.
//! - **Re-sending: at most [`MAX_CODES_PER_WINDOW`] = 10 codes per [`SEND_WINDOW`] (24 h), at
//!   least [`MIN_RESEND_INTERVAL`] (60 s) apart.** A new code replaces the old one and resets
//!   the attempts, so without a send limit the attempt limit would not bound guessing; with it
//!   a guesser gets at most 50 tries a day against 10^6 codes (a 1-in-20,000 chance), and an
//!   address cannot be flooded with codes. Deactivating keeps the send counters.
//! - **Storage: hashed.** Only `hex(SHA-256(channel ARN ‖ 0x1F ‖ code))` is stored, compared in
//!   constant time. The salt keeps one code from hashing alike on two channels; a 6-digit code
//!   is still cheap to brute-force from a stolen hash, which is why the lifetime is short.
//!
//! | error | API answer |
//! |---|---|
//! | `Malformed`, `WrongCode`, `Expired`, `AttemptsExhausted` | `ValidationException` `FIELD_VALIDATION_FAILED`, field `ActivationCode` |
//! | `NoCodeIssued`, `AlreadyActive` | `ValidationException` `OTHER`, field `ContactChannelId` |
//! | `ResendTooSoon`, `TooManyCodes` | `ServiceQuotaExceededException` |

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};
use tocsin_proto::records::{ActivationStatus, ChannelActivation, ContactChannel};

use super::errors::{ContactsException, ValidationExceptionReason};
use crate::validate::{FieldError, ValidationError};

/// Digits in an activation code Tocsin issues.
pub const CODE_DIGITS: usize = 6;
/// How long an issued code is accepted.
pub const CODE_LIFETIME: TimeDelta = TimeDelta::minutes(15);
/// Wrong codes that burn the pending code.
pub const MAX_FAILED_ATTEMPTS: u32 = 5;
/// Shortest time between two codes sent to one channel.
pub const MIN_RESEND_INTERVAL: TimeDelta = TimeDelta::seconds(60);
/// The window in which codes sent are counted.
pub const SEND_WINDOW: TimeDelta = TimeDelta::hours(24);
/// Most codes sent to one channel per [`SEND_WINDOW`].
pub const MAX_CODES_PER_WINDOW: u32 = 10;

/// A code Tocsin issues: exactly six ASCII digits. Its `Debug` hides the digits.
#[derive(Clone, PartialEq, Eq)]
pub struct ActivationCode(String);

impl ActivationCode {
    /// The code for `n` (zero-padded), if `n` is below 1,000,000. The shell draws `n`
    /// uniformly from `0..1_000_000` with a cryptographic RNG.
    pub fn from_number(n: u32) -> Option<Self> {
        (n < 1_000_000).then(|| Self(format!("{n:06}")))
    }

    /// Parses six ASCII digits.
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == CODE_DIGITS && s.bytes().all(|b| b.is_ascii_digit())).then(|| Self(s.into()))
    }

    /// The digits, to send to the channel's address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ActivationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ActivationCode(******)")
    }
}

/// A channel's activation: the status engagement reads and the code bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivationState {
    /// What goes back into `ContactChannel.ActivationStatus`.
    pub status: ActivationStatus,
    /// What goes back into the channel's activation record.
    pub record: ChannelActivation,
}

impl ActivationState {
    /// The state of `channel`, given its stored activation record (none yet: a fresh one).
    pub fn of(channel: &ContactChannel, record: Option<ChannelActivation>) -> Self {
        Self {
            status: channel.activation_status,
            record: record.unwrap_or_else(|| ChannelActivation {
                contact_channel_arn: channel.contact_channel_arn.clone(),
                ..ChannelActivation::default()
            }),
        }
    }

    /// Writes the status onto the channel record.
    pub fn apply_to(&self, channel: &mut ContactChannel) {
        channel.activation_status = self.status;
    }

    fn without_code(mut self) -> Self {
        self.record.activation_code_hash = None;
        self.record.activation_code_expires_at = None;
        self.record.failed_attempts = 0;
        self
    }
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActivationError {
    /// The presented code is not 6–10 digits (`ActivationCode`'s pattern).
    #[error("must be 6 to 10 digits")]
    Malformed,
    /// The presented code is not the pending one.
    #[error("is not the code sent to this channel ({attempts_left} attempts left)")]
    WrongCode {
        /// Wrong codes still allowed before the code is burned.
        attempts_left: u32,
    },
    /// The pending code has expired.
    #[error("has expired; send a new code")]
    Expired,
    /// Too many wrong codes: the pending code is burned.
    #[error("was refused too many times and is no longer accepted; send a new code")]
    AttemptsExhausted,
    /// No code has been issued since the last activation or deactivation.
    #[error("has no pending activation code; send one first")]
    NoCodeIssued,
    /// The channel is already activated.
    #[error("is already activated")]
    AlreadyActive,
    /// The last code was sent less than [`MIN_RESEND_INTERVAL`] ago.
    #[error("was sent a code less than a minute ago; retry at {retry_at}")]
    ResendTooSoon {
        /// When a new code may be sent.
        retry_at: DateTime<Utc>,
    },
    /// [`MAX_CODES_PER_WINDOW`] codes were sent in the current window.
    #[error("was sent too many activation codes; retry at {retry_at}")]
    TooManyCodes {
        /// When the window ends.
        retry_at: DateTime<Utc>,
    },
}

impl ActivationError {
    /// The exception the API answers with (see the module doc).
    pub fn exception(&self) -> ContactsException {
        use ValidationExceptionReason::{FieldValidationFailed, Other};
        match self {
            Self::Malformed | Self::WrongCode { .. } | Self::Expired | Self::AttemptsExhausted => {
                ContactsException::Validation(FieldValidationFailed)
            }
            Self::NoCodeIssued | Self::AlreadyActive => ContactsException::Validation(Other),
            Self::ResendTooSoon { .. } | Self::TooManyCodes { .. } => {
                ContactsException::ServiceQuotaExceeded
            }
        }
    }

    /// The request field it concerns: `ActivationCode` or `ContactChannelId`.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Malformed | Self::WrongCode { .. } | Self::Expired | Self::AttemptsExhausted => {
                "ActivationCode"
            }
            _ => "ContactChannelId",
        }
    }

    /// The error as a field error (`ActivationCode: has expired; ...`), for a
    /// `ValidationException`'s `Message` and `Fields`.
    pub fn to_validation_error(&self) -> ValidationError {
        ValidationError(vec![FieldError {
            field: self.field().into(),
            rule: self.to_string(),
        }])
    }
}

/// A refused [`activate`]: the error, and the state to store anyway (a wrong code is counted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Why.
    pub error: ActivationError,
    /// The state to store before answering (unchanged unless a wrong code was counted).
    pub state: ActivationState,
}

/// Whether engagement may page this channel: only once it is activated.
pub fn can_engage(channel: &ContactChannel) -> bool {
    channel.activation_status == ActivationStatus::Activated
}

/// Issues `code` at `now`: it replaces any pending code, is accepted until
/// `now + CODE_LIFETIME`, and starts with a clean attempt count. Refused for an activated
/// channel and beyond the send limits.
pub fn issue_code(
    state: &ActivationState,
    now: DateTime<Utc>,
    code: &ActivationCode,
) -> Result<ActivationState, ActivationError> {
    if state.status == ActivationStatus::Activated {
        return Err(ActivationError::AlreadyActive);
    }
    let r = &state.record;
    if let Some(last) = r.last_code_sent_at
        && now < last + MIN_RESEND_INTERVAL
    {
        return Err(ActivationError::ResendTooSoon {
            retry_at: last + MIN_RESEND_INTERVAL,
        });
    }
    let window = r
        .send_window_started_at
        .filter(|start| now < *start + SEND_WINDOW);
    if let Some(start) = window
        && r.codes_sent_in_window >= MAX_CODES_PER_WINDOW
    {
        return Err(ActivationError::TooManyCodes {
            retry_at: start + SEND_WINDOW,
        });
    }
    let mut next = state.clone();
    let rec = &mut next.record;
    rec.activation_code_hash = Some(code_hash(&rec.contact_channel_arn, code.as_str()));
    rec.activation_code_expires_at = Some(now + CODE_LIFETIME);
    rec.failed_attempts = 0;
    rec.last_code_sent_at = Some(now);
    rec.send_window_started_at = Some(window.unwrap_or(now));
    rec.codes_sent_in_window = if window.is_some() {
        rec.codes_sent_in_window + 1
    } else {
        1
    };
    Ok(next)
}

/// Presents `code` at `now`. The right, unexpired code activates the channel and clears the
/// pending code; anything else is [`Rejected`] with the state to store.
pub fn activate(
    state: &ActivationState,
    code: &str,
    now: DateTime<Utc>,
) -> Result<ActivationState, Rejected> {
    let refuse = |error, state: ActivationState| Err(Rejected { error, state });
    if !(6..=10).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return refuse(ActivationError::Malformed, state.clone());
    }
    if state.status == ActivationStatus::Activated {
        return refuse(ActivationError::AlreadyActive, state.clone());
    }
    let r = &state.record;
    let (Some(hash), Some(expires_at)) = (&r.activation_code_hash, r.activation_code_expires_at)
    else {
        return refuse(ActivationError::NoCodeIssued, state.clone());
    };
    if r.failed_attempts >= MAX_FAILED_ATTEMPTS {
        return refuse(ActivationError::AttemptsExhausted, state.clone());
    }
    if now >= expires_at {
        return refuse(ActivationError::Expired, state.clone());
    }
    if !constant_time_eq(
        hash.as_bytes(),
        code_hash(&r.contact_channel_arn, code).as_bytes(),
    ) {
        let mut next = state.clone();
        next.record.failed_attempts += 1;
        let left = MAX_FAILED_ATTEMPTS.saturating_sub(next.record.failed_attempts);
        let error = if left == 0 {
            ActivationError::AttemptsExhausted
        } else {
            ActivationError::WrongCode {
                attempts_left: left,
            }
        };
        return refuse(error, next);
    }
    let mut next = state.clone().without_code();
    next.status = ActivationStatus::Activated;
    Ok(next)
}

/// Turns the channel off: `NOT_ACTIVATED`, no pending code (a new one must be sent to activate
/// it again). Idempotent; the send counters stay.
pub fn deactivate(state: &ActivationState) -> ActivationState {
    let mut next = state.clone().without_code();
    next.status = ActivationStatus::NotActivated;
    next
}

/// `hex(SHA-256(channel ARN ‖ 0x1F ‖ code))`.
pub fn code_hash(contact_channel_arn: &str, code: &str) -> String {
    let mut h = Sha256::new();
    h.update(contact_channel_arn.as_bytes());
    h.update([0x1f]);
    h.update(code.as_bytes());
    hex::encode(h.finalize())
}

/// Equality whose time does not depend on where the inputs differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
