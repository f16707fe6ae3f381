//! Typed records on the store: JSON in, proto types out, for one account.

use serde::Serialize;
use serde::de::DeserializeOwned;
use tocsin_proto::arn::Arn;
use tocsin_proto::records::{
    Contact, ContactChannel, IncidentRecord, ResponsePlan, TimelineEvent, kinds,
};
use tocsin_store::{Expect, Store, StoreError, TimelineEntry};

/// Errors reading or writing typed records.
#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored document does not parse as its type.
    #[error("stored {kind} {id} is not valid: {error}")]
    Corrupt {
        /// Kind.
        kind: String,
        /// Id.
        id: String,
        /// Parse error.
        error: String,
    },
}

impl RecordsError {
    /// Whether retrying later may help (the store was unreachable).
    pub fn is_transient(&self) -> bool {
        matches!(self, RecordsError::Store(StoreError::Unavailable(_)))
    }
}

/// Typed access to one account's records.
#[derive(Debug, Clone)]
pub struct Records {
    store: Store,
    account: String,
}

impl Records {
    /// Records of `account` in `store`.
    pub fn new(store: Store, account: impl Into<String>) -> Self {
        Self {
            store,
            account: account.into(),
        }
    }

    /// The account.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The underlying store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Reads a record and its version.
    pub async fn get<T: DeserializeOwned>(
        &self,
        kind: &str,
        id: &str,
    ) -> Result<Option<(T, u64)>, RecordsError> {
        let Some(v) = self.store.get(&self.account, kind, id).await? else {
            return Ok(None);
        };
        let value = serde_json::from_str(&v.data).map_err(|e| RecordsError::Corrupt {
            kind: kind.into(),
            id: id.into(),
            error: e.to_string(),
        })?;
        Ok(Some((value, v.version)))
    }

    /// Writes a record under a condition.
    pub async fn put<T: Serialize>(
        &self,
        kind: &str,
        id: &str,
        value: &T,
        expect: Expect,
    ) -> Result<u64, RecordsError> {
        let data = serde_json::to_string(value).map_err(|e| RecordsError::Corrupt {
            kind: kind.into(),
            id: id.into(),
            error: e.to_string(),
        })?;
        Ok(self
            .store
            .put(&self.account, kind, id, &data, expect)
            .await?)
    }

    /// Writes a record read at `version` unless it changed since: `false` when another writer
    /// got there first (read it again and retry), an error for anything else. The step of every
    /// compare-and-set loop.
    pub async fn put_versioned<T: Serialize>(
        &self,
        kind: &str,
        id: &str,
        value: &T,
        version: u64,
    ) -> Result<bool, RecordsError> {
        match self.put(kind, id, value, Expect::Version(version)).await {
            Ok(_) => Ok(true),
            Err(RecordsError::Store(StoreError::Conflict { .. })) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// All records of a kind.
    pub async fn list<T: DeserializeOwned>(&self, kind: &str) -> Result<Vec<T>, RecordsError> {
        let mut out = Vec::new();
        for (id, v) in self.store.list(&self.account, kind).await? {
            out.push(
                serde_json::from_str(&v.data).map_err(|e| RecordsError::Corrupt {
                    kind: kind.into(),
                    id,
                    error: e.to_string(),
                })?,
            );
        }
        Ok(out)
    }

    /// The response plan an ARN names, if it is this account's and exists.
    pub async fn response_plan(&self, arn: &str) -> Result<Option<ResponsePlan>, RecordsError> {
        match Arn::parse(arn) {
            Ok(a) if a.account == self.account && a.resource_type() == "response-plan" => Ok(self
                .get(kinds::RESPONSE_PLAN, a.last_segment())
                .await?
                .map(|(p, _)| p)),
            _ => Ok(None),
        }
    }

    /// The contact an ARN names, if it is this account's and exists.
    pub async fn contact(&self, arn: &str) -> Result<Option<Contact>, RecordsError> {
        match Arn::parse(arn) {
            Ok(a) if a.account == self.account && a.resource_type() == "contact" => Ok(self
                .get(kinds::CONTACT, a.last_segment())
                .await?
                .map(|(c, _)| c)),
            _ => Ok(None),
        }
    }

    /// The channels of a contact.
    pub async fn channels_of(
        &self,
        contact_arn: &str,
    ) -> Result<Vec<ContactChannel>, RecordsError> {
        let all: Vec<ContactChannel> = self.list(kinds::CONTACT_CHANNEL).await?;
        Ok(all
            .into_iter()
            .filter(|c| c.contact_arn == contact_arn)
            .collect())
    }

    /// An incident by id.
    pub async fn incident(&self, id: &str) -> Result<Option<(IncidentRecord, u64)>, RecordsError> {
        self.get(kinds::INCIDENT, id).await
    }

    /// Appends a timeline event (idempotent by event id).
    pub async fn append_timeline(
        &self,
        incident_id: &str,
        event: &TimelineEvent,
    ) -> Result<bool, RecordsError> {
        Ok(self
            .store
            .append_timeline(&self.account, incident_id, &timeline_entry(event))
            .await?)
    }

    /// The timeline of an incident, oldest first, each event naming its incident.
    pub async fn timeline(&self, incident_id: &str) -> Result<Vec<TimelineEvent>, RecordsError> {
        let arn = self
            .incident(incident_id)
            .await?
            .map(|(r, _)| r.arn)
            .unwrap_or_default();
        let mut out = Vec::new();
        for e in self.store.timeline(&self.account, incident_id).await? {
            let mut ev: TimelineEvent =
                serde_json::from_str(&e.data).map_err(|err| RecordsError::Corrupt {
                    kind: "timeline".into(),
                    id: e.id.clone(),
                    error: err.to_string(),
                })?;
            if ev.incident_record_arn.is_empty() {
                ev.incident_record_arn.clone_from(&arn);
            }
            out.push(ev);
        }
        Ok(out)
    }
}

/// A timeline event as a store entry.
pub fn timeline_entry(event: &TimelineEvent) -> TimelineEntry {
    TimelineEntry {
        id: event.event_id.clone(),
        time_ms: event.event_time.timestamp_millis(),
        data: serde_json::to_string(event).unwrap_or_default(),
    }
}
