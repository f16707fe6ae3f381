//! Pagination tokens that are opaque and tamper-proof: the listing position (see
//! [`wire::page`]) sealed with an HMAC over the operation, the account and the position. A
//! token edited, forged, or taken to another operation or account is refused with
//! `ValidationException` instead of being trusted as a position.
//!
//! The key is the deployment's random secret kept in the store (the one the `ssm-contacts`
//! tokens use, [`wire::Tokens`]): drawn on first use, so it is unguessable whatever access keys
//! are configured (configured, keys-file or none), every replica of a deployment reads the
//! same one and accepts the tokens of the others, and another deployment (another store or
//! namespace) refuses them.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::aws::error::AwsError;
use crate::aws::wire;
use crate::aws::{AwsState, Caller};

/// Length of the MAC kept in a token, in bytes.
const MAC_BYTES: usize = 16;

async fn mac(s: &AwsState, caller: &Caller, op: &str, position: &str) -> Result<String, AwsError> {
    let key = s.tokens.key().await?;
    let mut m = Hmac::<Sha256>::new_from_slice(&key).unwrap_or_else(|_| unreachable!());
    for part in [op, &caller.account, position] {
        m.update(part.as_bytes());
        m.update(b"\x1f");
    }
    Ok(hex::encode(&m.finalize().into_bytes()[..MAC_BYTES]))
}

/// One page of `items` (see [`wire::page`]) with a sealed `nextToken`.
pub async fn page<T>(
    s: &AwsState,
    caller: &Caller,
    op: &str,
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    next_token: Option<&str>,
    max: usize,
) -> Result<(Vec<T>, Option<String>), AwsError> {
    let refused =
        || AwsError::validation("nextToken: not a token this API issued for this listing");
    let position = match next_token.filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => {
            let (position, tag) = t.rsplit_once('.').ok_or_else(refused)?;
            let expected = mac(s, caller, op, position).await?;
            // Both sides are hex of the same length: compare without an early exit.
            let same = expected.len() == tag.len()
                && expected
                    .bytes()
                    .zip(tag.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0;
            if !same {
                return Err(refused());
            }
            Some(position.to_string())
        }
    };
    let (items, next) = wire::page(items, key, position.as_deref(), max)?;
    let next = match next {
        Some(p) => Some(format!("{p}.{}", mac(s, caller, op, &p).await?)),
        None => None,
    };
    Ok((items, next))
}
