//! Edits of what incidents accumulate: a timeline event replaced or removed (the API's
//! `UpdateTimelineEvent` / `DeleteTimelineEvent`), and an incident deleted with its timeline
//! and its dedupe string (`DeleteIncidentRecord`). Each is one atomic step on both backends.

use crate::{Store, StoreError, TimelineEntry};

impl Store {
    /// Replaces the timeline entry with `entry.id` (body and time); false if there is none
    /// (nothing is written: an edit never creates an event).
    pub async fn replace_timeline_entry(
        &self,
        account: &str,
        incident_id: &str,
        entry: &TimelineEntry,
    ) -> Result<bool, StoreError> {
        match self {
            Store::Memory(s) => s.replace_timeline_entry(account, incident_id, entry),
            Store::Redis(s) => s.replace_timeline_entry(account, incident_id, entry).await,
        }
    }

    /// Removes one timeline entry; false if it was not there.
    pub async fn remove_timeline_entry(
        &self,
        account: &str,
        incident_id: &str,
        event_id: &str,
    ) -> Result<bool, StoreError> {
        match self {
            Store::Memory(s) => s.remove_timeline_entry(account, incident_id, event_id),
            Store::Redis(s) => {
                s.remove_timeline_entry(account, incident_id, event_id)
                    .await
            }
        }
    }

    /// Deletes an incident record, its timeline, and its dedupe string if this incident holds
    /// it (so the next alarm opens a new incident); false if the record was not there.
    pub async fn delete_incident(
        &self,
        account: &str,
        incident_id: &str,
        dedupe: &str,
    ) -> Result<bool, StoreError> {
        match self {
            Store::Memory(s) => s.delete_incident(account, incident_id, dedupe),
            Store::Redis(s) => s.delete_incident(account, incident_id, dedupe).await,
        }
    }
}
