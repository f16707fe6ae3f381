//! Timeline edits and incident deletion in memory (see `crate::edits`).

use super::{MemoryStore, pair};
use crate::{INCIDENT_KIND, StoreError, TimelineEntry};

impl MemoryStore {
    pub(crate) fn replace_timeline_entry(
        &self,
        account: &str,
        incident_id: &str,
        entry: &TimelineEntry,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let Some(timeline) = state.timelines.get_mut(&pair(account, incident_id)) else {
            return Ok(false);
        };
        if !timeline.ids.contains(&entry.id) {
            return Ok(false);
        }
        timeline.entries.retain(|(_, id), _| id != &entry.id);
        timeline
            .entries
            .insert((entry.time_ms, entry.id.clone()), entry.data.clone());
        Ok(true)
    }

    pub(crate) fn remove_timeline_entry(
        &self,
        account: &str,
        incident_id: &str,
        event_id: &str,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let Some(timeline) = state.timelines.get_mut(&pair(account, incident_id)) else {
            return Ok(false);
        };
        if !timeline.ids.remove(event_id) {
            return Ok(false);
        }
        timeline.entries.retain(|(_, id), _| id != event_id);
        Ok(true)
    }

    pub(crate) fn delete_incident(
        &self,
        account: &str,
        incident_id: &str,
        dedupe: &str,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let removed = state
            .records
            .get_mut(&pair(account, INCIDENT_KIND))
            .and_then(|records| records.remove(incident_id));
        if let Some(r) = &removed {
            state.reindex(account, INCIDENT_KIND, incident_id, Some(&r.data), None);
        }
        let existed = removed.is_some();
        state.timelines.remove(&pair(account, incident_id));
        let key = pair(account, dedupe);
        if state.dedupe.get(&key).is_some_and(|h| h == incident_id) {
            state.dedupe.remove(&key);
        }
        Ok(existed)
    }
}
