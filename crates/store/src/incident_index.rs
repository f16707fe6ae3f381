//! Indexes of incident records, so `ListIncidentRecords` filters are served without reading
//! every incident of the account.
//!
//! Every write of a record of kind [`INCIDENT_KIND`] — create, resolve, update, delete, on
//! both backends — keeps, in the same atomic step, one sorted set per index of the account,
//! each holding incident ids scored by creation time (ms since the epoch):
//!
//! | index | members |
//! |---|---|
//! | `all` | every incident |
//! | `status:<STATUS>` | incidents with that `status` |
//! | `impact:<n>` | incidents with that `impact` |
//! | `by:<createdBy>` | incidents whose `incidentRecordSource.createdBy` is that |
//!
//! A query walks the smallest single-valued index newest first, inside the creation-time
//! range, and keeps the ids that are also in one of the listed indexes of every other filter.
//! The fields come from the record's JSON (the `IncidentRecord` wire shape), read by the same
//! rules on both backends ([`fields`] here, `incident_index_names` in the Lua prelude).
//!
//! Stores written before the indexes existed are indexed on first use: a Redis listing finds
//! no `built` marker for the account, indexes every stored incident (in batches, each batch one
//! script) and sets the marker. [`Store::reindex_incidents`] does the same on demand.

use crate::{INCIDENT_KIND, Store, StoreError, Versioned};

/// One incident returned by [`Store::list_incidents`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedIncident {
    /// Record id.
    pub id: String,
    /// Creation time, ms since the epoch (the sort key).
    pub created_ms: i64,
    /// The record.
    pub record: Versioned,
}

/// Where a listing continues: strictly after this incident in the listing order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentCursor {
    /// Creation time of the last incident returned, ms.
    pub created_ms: i64,
    /// Its id.
    pub id: String,
}

/// Which incidents to list. Listing order: newest first (creation time descending), ties by id
/// descending. `None` filters match everything; a `Some` list matches any of its values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentQuery {
    /// Created at or after this instant (ms, inclusive).
    pub created_from_ms: Option<i64>,
    /// Created at or before this instant (ms, inclusive).
    pub created_to_ms: Option<i64>,
    /// Status is one of these (`OPEN`, `RESOLVED`).
    pub statuses: Option<Vec<String>>,
    /// Impact is one of these.
    pub impacts: Option<Vec<i64>>,
    /// `incidentRecordSource.createdBy` is one of these.
    pub created_by: Option<Vec<String>>,
    /// Continue after this incident.
    pub after: Option<IncidentCursor>,
    /// At most this many incidents.
    pub limit: usize,
}

impl IncidentQuery {
    /// The filters as groups of index names: an incident passes when it is in at least one
    /// index of every group.
    pub(crate) fn groups(&self) -> Vec<Vec<String>> {
        let mut groups = Vec::new();
        if let Some(s) = &self.statuses {
            groups.push(s.iter().map(|v| format!("status:{v}")).collect());
        }
        if let Some(i) = &self.impacts {
            groups.push(i.iter().map(|v| format!("impact:{v}")).collect());
        }
        if let Some(b) = &self.created_by {
            groups.push(b.iter().map(|v| format!("by:{v}")).collect());
        }
        groups
    }
}

/// The name of the index of all incidents.
pub(crate) const ALL: &str = "all";

/// Where a record of `kind` sits in the incident indexes: its creation time and index names,
/// or `None` when it is not an incident or lacks a readable `creationTime`.
pub(crate) fn fields(kind: &str, data: &str) -> Option<(i64, Vec<String>)> {
    if kind != INCIDENT_KIND {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(data).ok()?;
    let ms = epoch_ms(v.get("creationTime")?.as_str()?)?;
    let mut names = vec![ALL.to_owned()];
    if let Some(s) = v.get("status").and_then(|s| s.as_str()) {
        names.push(format!("status:{s}"));
    }
    if let Some(i) = v.get("impact").and_then(serde_json::Value::as_f64) {
        names.push(format!("impact:{}", i.trunc() as i64));
    }
    if let Some(b) = v
        .pointer("/incidentRecordSource/createdBy")
        .and_then(|b| b.as_str())
    {
        names.push(format!("by:{b}"));
    }
    Some((ms, names))
}

/// Milliseconds since the epoch of an RFC 3339 UTC timestamp as the records write it
/// (`2026-01-05T09:00:00.123456Z`); the offset is not read (records are always UTC). The Lua
/// prelude's `incident_ms` computes exactly this.
pub(crate) fn epoch_ms(t: &str) -> Option<i64> {
    let b = t.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let s = t.get(from..from + len)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    let (mut y, m, d) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (h, mi, s) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    // Days from the civil date (H. Hinnant's algorithm).
    if m <= 2 {
        y -= 1;
    }
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let mut ms = (((days * 24 + h) * 60 + mi) * 60 + s) * 1000;
    if b.get(19) == Some(&b'.') {
        let digits: String = t[20..]
            .chars()
            .take_while(char::is_ascii_digit)
            .chain("000".chars())
            .take(3)
            .collect();
        ms += digits.parse::<i64>().ok()?;
    }
    Some(ms)
}

impl Store {
    /// One page of an account's incidents matching `query`, from the incident indexes.
    pub async fn list_incidents(
        &self,
        account: &str,
        query: &IncidentQuery,
    ) -> Result<Vec<IndexedIncident>, StoreError> {
        match self {
            Store::Memory(s) => Ok(s.list_incidents(account, query)),
            Store::Redis(s) => s.list_incidents(account, query).await,
        }
    }

    /// Indexes every stored incident of `account` again (idempotent). Needed only for data
    /// written by a Tocsin without the indexes; listings do it by themselves the first time.
    /// Returns how many incidents were indexed.
    pub async fn reindex_incidents(&self, account: &str) -> Result<usize, StoreError> {
        match self {
            Store::Memory(s) => Ok(s.incident_count(account)),
            Store::Redis(s) => s.reindex_incidents(account).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_as_records_write_them() {
        assert_eq!(epoch_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(epoch_ms("2026-01-05T09:00:00Z"), Some(1_767_603_600_000));
        assert_eq!(
            epoch_ms("2026-01-05T09:00:00.123456789Z"),
            Some(1_767_603_600_123)
        );
        assert_eq!(epoch_ms("2024-02-29T23:59:59.5Z"), Some(1_709_251_199_500));
        assert_eq!(epoch_ms("not a time"), None);
    }

    #[test]
    fn fields_of_an_incident_record() {
        let data = r#"{"creationTime":"1970-01-01T00:00:01Z","status":"OPEN","impact":2,
            "incidentRecordSource":{"createdBy":"arn:aws:iam::1:user/a","source":"x"}}"#;
        let (ms, names) = fields(INCIDENT_KIND, data).unwrap();
        assert_eq!(ms, 1000);
        assert_eq!(
            names,
            ["all", "status:OPEN", "impact:2", "by:arn:aws:iam::1:user/a"]
        );
        assert_eq!(fields("contact", data), None);
        assert_eq!(fields(INCIDENT_KIND, "{}"), None);
    }
}
