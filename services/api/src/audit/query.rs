//! Reading the audit log: newest first, filtered by time, event name and errors, in pages
//! whose token is the position after which to continue (the stream id of the last event
//! returned). Filters other than time are applied while reading, batch after batch, so a page
//! is full unless the log is exhausted.

use chrono::{DateTime, Utc};
use serde_json::Value;
use tocsin_store::{AuditRange, Store, StoreError};

/// Largest page.
pub const MAX_RESULTS: usize = 1000;
/// Events read per store round trip while filtering.
const BATCH: usize = 200;

/// A query of one account's audit log.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Events at or after.
    pub since: Option<DateTime<Utc>>,
    /// Events at or before.
    pub until: Option<DateTime<Utc>>,
    /// Only this `eventName` (case-insensitive).
    pub name: Option<String>,
    /// Only failed calls (with an `errorCode`).
    pub errors_only: bool,
    /// Page size (1–[`MAX_RESULTS`]).
    pub limit: usize,
    /// Where the previous page ended.
    pub next_token: Option<String>,
}

/// One page of events.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// The events, newest first.
    pub events: Vec<Value>,
    /// Token of the next page, when there may be one.
    pub next_token: Option<String>,
}

/// Why a query failed.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// A parameter is wrong (the message names it).
    #[error("{0}")]
    Invalid(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn is_position(t: &str) -> bool {
    t.split_once('-').is_some_and(|(ms, seq)| {
        !ms.is_empty()
            && !seq.is_empty()
            && ms.bytes().all(|b| b.is_ascii_digit())
            && seq.bytes().all(|b| b.is_ascii_digit())
    })
}

fn keep(q: &Query, event: &Value) -> bool {
    let name_ok = q.name.as_deref().is_none_or(|n| {
        event["eventName"]
            .as_str()
            .is_some_and(|e| e.eq_ignore_ascii_case(n))
    });
    name_ok && (!q.errors_only || event.get("errorCode").is_some())
}

/// One page of `account`'s events matching `q`.
pub async fn query(store: &Store, account: &str, q: &Query) -> Result<Page, QueryError> {
    if !(1..=MAX_RESULTS).contains(&q.limit) {
        return Err(QueryError::Invalid(format!(
            "maxResults: must be between 1 and {MAX_RESULTS}"
        )));
    }
    if let Some(t) = q.next_token.as_deref().filter(|t| !is_position(t)) {
        return Err(QueryError::Invalid(format!(
            "nextToken: {t:?} is not a token of this log"
        )));
    }
    let mut range = AuditRange {
        before: q.next_token.clone(),
        since_ms: q.since.map(|t| t.timestamp_millis()),
        until_ms: q.until.map(|t| t.timestamp_millis()),
        count: BATCH.max(q.limit),
    };
    let mut page = Page::default();
    loop {
        let batch = store.audit_events(account, &range).await?;
        let exhausted = batch.len() < range.count;
        for entry in batch {
            range.before = Some(entry.id.clone());
            let Ok(event) = serde_json::from_str::<Value>(&entry.data) else {
                continue;
            };
            if keep(q, &event) {
                page.events.push(event);
                if page.events.len() == q.limit {
                    page.next_token = Some(entry.id);
                    return Ok(page);
                }
            }
        }
        if exhausted {
            return Ok(page);
        }
    }
}
