//! restJson1 wire helpers: request bodies, epoch-second timestamps, filters and opaque
//! pagination tokens.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::error::AwsError;

/// Largest page (`MaxResults` of the model: 1–100).
pub const MAX_RESULTS: usize = 100;

/// Parses a JSON body (an empty one is `{}`); errors name the field at fault.
pub fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AwsError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            AwsError::validation(format!("invalid request body: {inner}"))
        } else {
            AwsError::validation(format!("{path}: {inner}"))
        }
    })
}

/// A timestamp on this wire: epoch seconds, fractional allowed.
pub fn epoch(t: DateTime<Utc>) -> serde_json::Value {
    let ms = t.timestamp_millis();
    if ms % 1000 == 0 {
        serde_json::Value::from(ms / 1000)
    } else {
        serde_json::Value::from(ms as f64 / 1000.0)
    }
}

/// An epoch-seconds input timestamp; `field` names it in the error.
pub fn from_epoch(seconds: f64, field: &str) -> Result<DateTime<Utc>, AwsError> {
    let ms = (seconds * 1000.0).round();
    (ms.is_finite() && ms.abs() < 1e15)
        .then(|| DateTime::from_timestamp_millis(ms as i64))
        .flatten()
        .ok_or_else(|| AwsError::validation(format!("{field}: not a valid epoch-seconds time")))
}

/// `Filter`: a key and a `Condition` union.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Filter {
    /// Filter key.
    pub key: String,
    /// Condition.
    pub condition: Condition,
}

/// `Condition` (a union: one member).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// Strictly after, epoch seconds.
    pub after: Option<f64>,
    /// Strictly before, epoch seconds.
    pub before: Option<f64>,
    /// Any of these values.
    pub equals: Option<AttributeValues>,
}

/// `AttributeValueList` (a union).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributeValues {
    /// Strings.
    pub string_values: Option<Vec<String>>,
    /// Integers.
    pub integer_values: Option<Vec<i64>>,
}

/// A filter ready to test: a time window or a set of values.
#[derive(Debug)]
pub enum Test {
    /// `after < t < before`.
    Time {
        /// Lower bound.
        after: Option<DateTime<Utc>>,
        /// Upper bound.
        before: Option<DateTime<Utc>>,
    },
    /// One of these strings.
    Strings(Vec<String>),
    /// One of these integers.
    Integers(Vec<i64>),
}

impl Test {
    /// Whether a time passes.
    pub fn time(&self, t: DateTime<Utc>) -> bool {
        match self {
            Test::Time { after, before } => {
                after.is_none_or(|a| t > a) && before.is_none_or(|b| t < b)
            }
            _ => false,
        }
    }

    /// Whether a string passes.
    pub fn string(&self, v: &str) -> bool {
        matches!(self, Test::Strings(s) if s.iter().any(|x| x == v))
    }

    /// Whether an integer passes.
    pub fn integer(&self, v: i64) -> bool {
        matches!(self, Test::Integers(s) if s.contains(&v))
    }
}

/// Checks `filters` against the keys a list operation knows (`(key, kind)`), naming the
/// filter at fault.
pub fn tests(
    filters: Vec<Filter>,
    known: &[(&str, Kind)],
) -> Result<Vec<(String, Test)>, AwsError> {
    let mut out = Vec::new();
    for (i, f) in filters.into_iter().enumerate() {
        let field = format!("filters[{i}]");
        let Some((_, kind)) = known.iter().find(|(k, _)| *k == f.key) else {
            let keys: Vec<_> = known.iter().map(|(k, _)| *k).collect();
            return Err(AwsError::validation(format!(
                "{field}.key: must be one of {}, got {:?}",
                keys.join(", "),
                f.key
            )));
        };
        let c = f.condition;
        let test = match kind {
            Kind::Time if c.equals.is_none() && (c.after.is_some() || c.before.is_some()) => {
                Test::Time {
                    after: c.after.map(|a| from_epoch(a, &field)).transpose()?,
                    before: c.before.map(|b| from_epoch(b, &field)).transpose()?,
                }
            }
            Kind::String => match c.equals {
                Some(AttributeValues {
                    string_values: Some(v),
                    integer_values: None,
                }) if c.after.is_none() && c.before.is_none() => Test::Strings(v),
                _ => return Err(wrong_condition(&field, &f.key, "equals.stringValues")),
            },
            Kind::Integer => match c.equals {
                Some(AttributeValues {
                    integer_values: Some(v),
                    string_values: None,
                }) if c.after.is_none() && c.before.is_none() => Test::Integers(v),
                _ => return Err(wrong_condition(&field, &f.key, "equals.integerValues")),
            },
            Kind::Time => return Err(wrong_condition(&field, &f.key, "after or before")),
        };
        out.push((f.key, test));
    }
    Ok(out)
}

fn wrong_condition(field: &str, key: &str, wanted: &str) -> AwsError {
    AwsError::validation(format!(
        "{field}.condition: the {key} filter takes {wanted} only"
    ))
}

/// What a filter key compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A timestamp: `after` / `before`.
    Time,
    /// `equals.stringValues`.
    String,
    /// `equals.integerValues`.
    Integer,
}

/// The input of a listing that takes nothing but a page (`ListResponsePlansInput`,
/// `ListReplicationSetsInput`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInput {
    /// `maxResults`.
    pub max_results: Option<i64>,
    /// `nextToken`.
    pub next_token: Option<String>,
}

/// The page size asked for (1–100, default 100).
pub fn max_results(asked: Option<i64>) -> Result<usize, AwsError> {
    match asked {
        None => Ok(MAX_RESULTS),
        Some(n) if (1..=MAX_RESULTS as i64).contains(&n) => Ok(n as usize),
        Some(n) => Err(AwsError::validation(format!(
            "maxResults: must be between 1 and {MAX_RESULTS}, got {n}"
        ))),
    }
}

/// One page of `items` (already in their listing order, each with a unique `key` that sorts
/// ascending in that order): those after the `next_token` position, and the token of the next page. A
/// token names the last key returned, so pages stay stable while records are added.
pub fn page<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    next_token: Option<&str>,
    max: usize,
) -> Result<(Vec<T>, Option<String>), AwsError> {
    let start = match next_token.filter(|t| !t.is_empty()) {
        None => 0,
        Some(token) => {
            let last = hex::decode(token)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| AwsError::validation("nextToken: not a token this API issued"))?;
            match items.iter().position(|i| key(i) == last) {
                Some(p) => p + 1,
                // The last item of the previous page is gone: continue after where it sorted.
                None => items.iter().take_while(|i| key(i) < last).count(),
            }
        }
    };
    let mut rest: Vec<T> = items.into_iter().skip(start).collect();
    let next = (rest.len() > max).then(|| hex::encode(key(&rest[max - 1])));
    rest.truncate(max);
    Ok((rest, next))
}

/// Pagination tokens that are opaque and tamper-proof: `base64url(mac ‖ position)`, where the
/// MAC is HMAC-SHA256 (first 16 bytes) over the caller's scope (account and operation) and the
/// position, keyed by a per-deployment secret. A token is only accepted by the listing and the
/// account it was issued for, and a changed byte is refused. The secret is drawn once and kept
/// in the store, so every replica accepts every replica's tokens.
#[derive(Clone)]
pub struct Tokens {
    store: tocsin_store::Store,
    key: std::sync::Arc<tokio::sync::OnceCell<[u8; 32]>>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens(..)")
    }
}

/// Where the token secret lives (a pseudo-account no access key maps to: not 12 digits).
const TOKEN_KEY_ACCOUNT: &str = "tocsin-system";
const TOKEN_KEY_KIND: &str = "api-secret";
const TOKEN_KEY_ID: &str = "pagination-token-key";
/// Bytes of the MAC kept in a token.
const TOKEN_MAC_BYTES: usize = 16;

impl Tokens {
    /// Tokens keyed by the secret in `store` (created on first use).
    pub fn new(store: tocsin_store::Store) -> Self {
        Self {
            store,
            key: Default::default(),
        }
    }

    /// The deployment's secret (drawn and stored on first use); also keys the
    /// `ssm-incidents` tokens (`incidents::token`).
    pub(crate) async fn key(&self) -> Result<[u8; 32], AwsError> {
        let key = self
            .key
            .get_or_try_init(|| async {
                // Stored as a JSON string: the store holds JSON documents.
                let fresh =
                    serde_json::Value::from(hex::encode(rand::random::<[u8; 32]>())).to_string();
                let put = self
                    .store
                    .put(
                        TOKEN_KEY_ACCOUNT,
                        TOKEN_KEY_KIND,
                        TOKEN_KEY_ID,
                        &fresh,
                        tocsin_store::Expect::Absent,
                    )
                    .await;
                let stored = match put {
                    Ok(_) => fresh,
                    Err(tocsin_store::StoreError::Conflict { .. }) => self
                        .store
                        .get(TOKEN_KEY_ACCOUNT, TOKEN_KEY_KIND, TOKEN_KEY_ID)
                        .await?
                        .map(|v| v.data)
                        .unwrap_or_default(),
                    Err(e) => return Err(e),
                };
                let stored: String = serde_json::from_str(&stored).unwrap_or_default();
                let mut key = [0u8; 32];
                hex::decode_to_slice(stored.trim(), &mut key).map_err(|e| {
                    tocsin_store::StoreError::Unavailable(format!("token secret: {e}"))
                })?;
                Ok(key)
            })
            .await?;
        Ok(*key)
    }

    fn mac(key: &[u8; 32], scope: &str, position: &[u8]) -> Vec<u8> {
        use hmac::Mac;
        let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
        m.update(scope.as_bytes());
        m.update(&[0x1f]);
        m.update(position);
        m.finalize().into_bytes()[..TOKEN_MAC_BYTES].to_vec()
    }

    /// A token for `position` in the listing `scope` (account and operation).
    pub async fn seal(&self, scope: &str, position: &str) -> Result<String, AwsError> {
        use base64::Engine;
        let key = self.key().await?;
        let mut bytes = Self::mac(&key, scope, position.as_bytes());
        bytes.extend_from_slice(position.as_bytes());
        Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The position a token names, if this deployment issued it for `scope`; `None` for a
    /// token that was forged, altered, or issued for another listing or account.
    pub async fn open(&self, scope: &str, token: &str) -> Result<Option<String>, AwsError> {
        use base64::Engine;
        let key = self.key().await?;
        let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token) else {
            return Ok(None);
        };
        if bytes.len() < TOKEN_MAC_BYTES {
            return Ok(None);
        }
        let (mac, position) = bytes.split_at(TOKEN_MAC_BYTES);
        let expected = Self::mac(&key, scope, position);
        let same = mac.iter().zip(&expected).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0;
        Ok(same
            .then(|| String::from_utf8(position.to_vec()).ok())
            .flatten())
    }
}

/// One page of `items` (in listing order, each with a unique `key` ascending in that order):
/// those after position `after` (the key of the last item of the previous page), at most
/// `max`, and the position of the next page's start when more remain. The position of an item
/// since deleted still works: the page continues after where it sorted.
pub fn page_after<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    after: Option<&str>,
    max: usize,
) -> (Vec<T>, Option<String>) {
    let start = match after {
        None => 0,
        Some(last) => match items.iter().position(|i| key(i) == last) {
            Some(p) => p + 1,
            None => items.iter().take_while(|i| key(i).as_str() < last).count(),
        },
    };
    let mut rest: Vec<T> = items.into_iter().skip(start).collect();
    let next = (rest.len() > max).then(|| key(&rest[max - 1]));
    rest.truncate(max);
    (rest, next)
}
