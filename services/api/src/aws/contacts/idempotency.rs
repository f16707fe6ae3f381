//! `IdempotencyToken`: a retried request with the same token gets the first answer, without a
//! second effect; the same token with a different request is refused (`ValidationException`
//! `OTHER`). The first request and its answer are kept per (account, operation, token).
//!
//! Operations also derive the ids they create from the token, so two concurrent first
//! attempts write the same record rather than two.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tocsin_core::ids::sha256_hex;
use tocsin_runtime::records::RecordsError;
use tocsin_store::{Expect, StoreError};

use super::call::{Call, kinds};
use super::error::ContactsError;

/// What a token was first used for.
#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    /// SHA-256 of the request without its token.
    request: String,
    /// The answer.
    result: Value,
}

fn ids(c: &Call<'_>, token: &str, input: &Value) -> (String, String) {
    let mut request = input.clone();
    if let Some(m) = request.as_object_mut() {
        m.remove("IdempotencyToken");
    }
    (
        sha256_hex(format!("{}\u{1f}{token}", c.op).as_bytes()),
        sha256_hex(request.to_string().as_bytes()),
    )
}

/// The first answer to this token, if the token was used before with the same request.
pub async fn replay(
    c: &Call<'_>,
    token: Option<&str>,
    input: &Value,
) -> Result<Option<Value>, ContactsError> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let (id, request) = ids(c, token, input);
    match c.records().get::<Entry>(kinds::IDEMPOTENCY, &id).await? {
        None => Ok(None),
        Some((e, _)) if e.request == request => Ok(Some(e.result)),
        Some(_) => Err(mismatch()),
    }
}

/// Keeps `result` as the answer to this token (a concurrent first use that stored a
/// different request wins, and this one is refused).
pub async fn remember(
    c: &Call<'_>,
    token: Option<&str>,
    input: &Value,
    result: &Value,
) -> Result<(), ContactsError> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Ok(());
    };
    let (id, request) = ids(c, token, input);
    let entry = Entry {
        request,
        result: result.clone(),
    };
    match c
        .records()
        .put(kinds::IDEMPOTENCY, &id, &entry, Expect::Absent)
        .await
    {
        Ok(_) => Ok(()),
        Err(RecordsError::Store(StoreError::Conflict { .. })) => {
            match replay(c, Some(token), input).await? {
                Some(_) => Ok(()),
                None => Err(mismatch()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

fn mismatch() -> ContactsError {
    ContactsError::other(
        "IdempotencyToken",
        "was already used with a different request",
    )
}
