//! One operation call: who asks, in which account and region, at what time, and the helpers
//! every operation shares — typed input, epoch timestamps, ARNs of the caller's account, and
//! signed pagination.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tocsin_proto::arn::Arn;
use tocsin_runtime::{Context, Records};

use super::error::ContactsError;
use crate::aws::wire;
use crate::aws::{AwsState, Caller};

/// Tocsin-only record kinds of this API (the shared kinds are in `tocsin_proto::records::kinds`).
pub mod kinds {
    /// Tags of a contact or rotation, by SHA-256 of its ARN.
    pub const TAGS: &str = "contacts-tags";
    /// A contact's resource policy, by alias.
    pub const CONTACT_POLICY: &str = "contact-policy";
    /// An idempotency token's first request and answer, by SHA-256 of operation and token.
    pub const IDEMPOTENCY: &str = "contacts-idempotency";
}

/// Default page size when `MaxResults` is absent or 0.
const DEFAULT_PAGE: usize = 100;

/// One call of one operation.
pub struct Call<'a> {
    state: &'a AwsState,
    /// Who signed it.
    pub caller: &'a Caller,
    /// The operation (`CreateContact`, ...).
    pub op: &'a str,
}

impl<'a> Call<'a> {
    /// A call of `op` by `caller`.
    pub fn new(state: &'a AwsState, caller: &'a Caller, op: &'a str) -> Self {
        Self { state, caller, op }
    }

    /// The service context.
    pub fn ctx(&self) -> &Context {
        &self.state.ctx
    }

    /// The caller's records.
    pub fn records(&self) -> Records {
        self.caller.records(&self.state.ctx)
    }

    /// Now, from the injected clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.state.ctx.clock.now()
    }

    /// `TOCSIN_REGION`.
    pub fn region(&self) -> &str {
        &self.state.ctx.settings.region
    }

    /// The caller's account.
    pub fn account(&self) -> &str {
        &self.caller.account
    }

    /// The resource path (`contact/alice`, `page/alice/<id>`) of `arn` when it is an
    /// ssm-contacts ARN of `resource_type` in the caller's account; `None` for another account
    /// (answered like a missing resource: tenants never learn of each other).
    pub fn own(
        &self,
        field: &str,
        arn: &str,
        resource_type: &str,
    ) -> Result<Option<Arn>, ContactsError> {
        let parsed = Arn::parse(arn)
            .ok()
            .filter(|a| a.service == "ssm-contacts" && a.resource_type() == resource_type)
            .ok_or_else(|| {
                ContactsError::field(
                    field,
                    format!("must be an ssm-contacts {resource_type} ARN"),
                )
            })?;
        Ok((parsed.account == self.caller.account).then_some(parsed))
    }

    /// One page of `items` (sorted by `key`, unique and ascending), after the position the
    /// request's `NextToken` names, and the answer's `NextToken`.
    pub async fn page<T>(
        &self,
        paging: &Paging,
        items: Vec<T>,
        key: impl Fn(&T) -> String,
    ) -> Result<(Vec<T>, Option<String>), ContactsError> {
        let scope = format!("{}\u{1f}ssm-contacts:{}", self.caller.account, self.op);
        let tokens = &self.state.tokens;
        let after = match paging.next_token.as_deref().filter(|t| !t.is_empty()) {
            None => None,
            Some(t) => Some(tokens.open(&scope, t).await?.ok_or_else(|| {
                ContactsError::field(
                    "NextToken",
                    "is not a token this API issued for this listing",
                )
            })?),
        };
        let max = match paging.max_results {
            None | Some(0) => DEFAULT_PAGE,
            Some(n) => n.clamp(1, 1024) as usize,
        };
        let (page, next) = wire::page_after(items, key, after.as_deref(), max);
        let next = match next {
            Some(position) => Some(tokens.seal(&scope, &position).await?),
            None => None,
        };
        Ok((page, next))
    }
}

/// `NextToken` and `MaxResults` of a listing.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Paging {
    /// Where the previous page ended.
    pub next_token: Option<String>,
    /// Page size (0–1024; 0 or absent: the default).
    pub max_results: Option<i64>,
}

/// The request body as JSON (an empty body is `{}`).
pub fn parse_body(bytes: &[u8]) -> Result<Value, ContactsError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| ContactsError::cannot_parse(format!("request body: not JSON: {e}")))
}

/// The typed input (the model check has run, so a failure here is a shape the model allows
/// but Tocsin's types do not, e.g. an unknown member inside a record type).
pub fn input<T: DeserializeOwned>(v: &Value) -> Result<T, ContactsError> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        ContactsError::cannot_parse(format!("{path}: {}", e.into_inner()))
    })
}

/// An epoch-seconds timestamp of the request.
pub fn time(seconds: f64, field: &str) -> Result<DateTime<Utc>, ContactsError> {
    wire::from_epoch(seconds, field)
        .map_err(|_| ContactsError::field(field, "is not a valid epoch-seconds time"))
}

/// A timestamp of the answer (epoch seconds).
pub fn epoch(t: DateTime<Utc>) -> Value {
    wire::epoch(t)
}

/// `out` with `NextToken` when there is a next page.
pub fn with_token(mut out: Value, next: Option<String>) -> Value {
    if let Some(n) = next {
        out["NextToken"] = json!(n);
    }
    out
}

/// A sortable position: zero-padded milliseconds, then a tie-breaker.
pub fn time_key(t: DateTime<Utc>, tie: &str) -> String {
    format!("{:020}\u{1f}{tie}", t.timestamp_millis().max(0))
}
