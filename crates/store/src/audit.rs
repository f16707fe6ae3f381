//! The audit log of each account: one append-only, capped stream of JSON events (CloudTrail
//! records of the API calls), newest first when read. On Redis it is a stream per account,
//! `<ns>:{<account>}:audit`, trimmed with `XADD MAXLEN ~`; its ids are `<event ms>-<seq>`, so
//! ranges by time are ranges by id. An event older than the newest one (clocks of replicas
//! differ) takes the newest one's millisecond: ids only grow.

use crate::{Store, StoreError};

/// One stored audit event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Stream id, `<ms>-<seq>`: the position to continue after.
    pub id: String,
    /// The event (JSON).
    pub data: String,
}

/// Which events to read, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditRange {
    /// Only events strictly older than this id (a previous page's last id).
    pub before: Option<String>,
    /// Only events at or after this time (ms since the epoch).
    pub since_ms: Option<i64>,
    /// Only events at or before this time (ms since the epoch).
    pub until_ms: Option<i64>,
    /// At most this many.
    pub count: usize,
}

/// `(ms, seq)` of a stream id, for comparisons.
pub(crate) fn parse_id(id: &str) -> Option<(i64, u64)> {
    let (ms, seq) = id.split_once('-')?;
    Some((ms.parse().ok()?, seq.parse().ok()?))
}

impl Store {
    /// Appends `data` to the account's audit stream at `time_ms`, keeping about `max_len`
    /// events; returns the event's id.
    pub async fn append_audit(
        &self,
        account: &str,
        time_ms: i64,
        data: &str,
        max_len: usize,
    ) -> Result<String, StoreError> {
        match self {
            Store::Memory(s) => Ok(s.append_audit(account, time_ms, data, max_len)),
            Store::Redis(s) => s.append_audit(account, time_ms, data, max_len).await,
        }
    }

    /// The account's audit events in `range`, newest first.
    pub async fn audit_events(
        &self,
        account: &str,
        range: &AuditRange,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        if let Some(b) = &range.before
            && parse_id(b).is_none()
        {
            return Err(StoreError::Corrupt(format!("audit position {b:?}")));
        }
        match self {
            Store::Memory(s) => Ok(s.audit_events(account, range)),
            Store::Redis(s) => s.audit_events(account, range).await,
        }
    }
}
