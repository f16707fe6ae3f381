//! Records, timelines and the incident create/resolve operations in memory.

use std::collections::BTreeMap;

use super::{Expiring, IdemState, MemoryStore, State, live, pair};
use crate::{
    CreateIncident, CreateKind, CreateOutcome, Expect, INCIDENT_KIND, Lease, StoreError,
    TimelineEntry, Versioned, outcome,
};

impl MemoryStore {
    pub(crate) async fn get(
        &self,
        account: &str,
        kind: &str,
        id: &str,
    ) -> Result<Option<Versioned>, StoreError> {
        let state = self.lock();
        Ok(state
            .records
            .get(&pair(account, kind))
            .and_then(|records| records.get(id))
            .cloned())
    }

    pub(crate) async fn put(
        &self,
        account: &str,
        kind: &str,
        id: &str,
        data: &str,
        expect: Expect,
        lease: Option<&Lease>,
    ) -> Result<u64, StoreError> {
        let mut state = self.lock();
        if let Some(lease) = lease
            && !state.holds(lease)
        {
            return Err(StoreError::Fenced {
                name: lease.name.clone(),
                token: lease.token,
            });
        }
        state.write(account, kind, id, data, expect)
    }

    pub(crate) async fn delete(
        &self,
        account: &str,
        kind: &str,
        id: &str,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let removed = state
            .records
            .get_mut(&pair(account, kind))
            .and_then(|records| records.remove(id));
        if let Some(r) = &removed {
            state.reindex(account, kind, id, Some(&r.data), None);
        }
        Ok(removed.is_some())
    }

    pub(crate) async fn list_page(
        &self,
        account: &str,
        kind: &str,
        cursor: u64,
        count: usize,
    ) -> Result<(u64, Vec<(String, Versioned)>), StoreError> {
        let state = self.lock();
        let records = state.records.get(&pair(account, kind));
        let skip = usize::try_from(cursor).unwrap_or(usize::MAX);
        let page: Vec<_> = records
            .into_iter()
            .flatten()
            .skip(skip)
            .take(count.max(1))
            .map(|(id, record)| (id.clone(), record.clone()))
            .collect();
        let total = records.map_or(0, BTreeMap::len);
        let next = skip + page.len();
        Ok((if next >= total { 0 } else { next as u64 }, page))
    }

    pub(crate) async fn list(
        &self,
        account: &str,
        kind: &str,
    ) -> Result<Vec<(String, Versioned)>, StoreError> {
        let state = self.lock();
        let records = state.records.get(&pair(account, kind));
        Ok(records
            .into_iter()
            .flatten()
            .map(|(id, record)| (id.clone(), record.clone()))
            .collect())
    }

    pub(crate) async fn append_timeline(
        &self,
        account: &str,
        incident_id: &str,
        entry: &TimelineEntry,
    ) -> Result<bool, StoreError> {
        Ok(self.lock().append(account, incident_id, entry))
    }

    pub(crate) async fn append_timeline_batch(
        &self,
        account: &str,
        incident_id: &str,
        entries: &[TimelineEntry],
    ) -> Result<usize, StoreError> {
        let mut state = self.lock();
        Ok(entries
            .iter()
            .filter(|e| state.append(account, incident_id, e))
            .count())
    }

    pub(crate) async fn timeline(
        &self,
        account: &str,
        incident_id: &str,
    ) -> Result<Vec<TimelineEntry>, StoreError> {
        let state = self.lock();
        let timeline = state.timelines.get(&pair(account, incident_id));
        Ok(timeline
            .into_iter()
            .flat_map(|t| &t.entries)
            .map(|((time_ms, id), data)| TimelineEntry {
                id: id.clone(),
                time_ms: *time_ms,
                data: data.clone(),
            })
            .collect())
    }

    pub(crate) async fn create_incident(
        &self,
        request: &CreateIncident,
    ) -> Result<CreateOutcome, StoreError> {
        let mut state = self.lock();
        let account = &request.account;
        let idem_key = pair(account, &request.idempotency_key);
        if let Some(IdemState::Done(result)) = live(&mut state.idem, &idem_key) {
            return outcome::decode(result, true, &request.idempotency_key);
        }
        let holder = if request.dedupe.is_empty() {
            None
        } else {
            state.dedupe.get(&pair(account, &request.dedupe)).cloned()
        };
        let result = match holder {
            Some(holder) => {
                state.append(account, &holder, &request.merged_timeline);
                let arn = state
                    .records
                    .get(&pair(account, INCIDENT_KIND))
                    .and_then(|records| records.get(&holder))
                    .and_then(|r| serde_json::from_str::<serde_json::Value>(&r.data).ok())
                    .and_then(|v| v.get("arn")?.as_str().map(str::to_owned));
                outcome::encode(CreateKind::Merged, &holder, arn.as_deref())
            }
            None => {
                let id = &request.incident_id;
                // An existing id (e.g. a replay after the idempotency ttl) must not be overwritten:
                // that could reopen a resolved incident.
                state.write(account, INCIDENT_KIND, id, &request.record, Expect::Absent)?;
                if !request.dedupe.is_empty() {
                    state
                        .dedupe
                        .insert(pair(account, &request.dedupe), id.clone());
                }
                for entry in &request.created_timeline {
                    state.append(account, id, entry);
                }
                outcome::encode(CreateKind::Created, id, None)
            }
        };
        let recorded = outcome::decode(&result, false, &request.idempotency_key);
        state.set_idem(
            idem_key,
            Expiring::new(IdemState::Done(result), request.idempotency_ttl),
        );
        recorded
    }

    pub(crate) async fn open_incident_for(
        &self,
        account: &str,
        dedupe: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(self.lock().dedupe.get(&pair(account, dedupe)).cloned())
    }

    pub(crate) async fn resolve_incident(
        &self,
        account: &str,
        incident_id: &str,
        record: &str,
        dedupe: &str,
        expect: Expect,
    ) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let version = state.write(account, INCIDENT_KIND, incident_id, record, expect)?;
        let key = pair(account, dedupe);
        if state
            .dedupe
            .get(&key)
            .is_some_and(|holder| holder == incident_id)
        {
            state.dedupe.remove(&key);
        }
        Ok(version)
    }
}

impl State {
    /// A conditional record write; returns the new version.
    fn write(
        &mut self,
        account: &str,
        kind: &str,
        id: &str,
        data: &str,
        expect: Expect,
    ) -> Result<u64, StoreError> {
        let records: &mut BTreeMap<String, Versioned> =
            self.records.entry(pair(account, kind)).or_default();
        let found = records.get(id).map(|r| r.version);
        let allowed = match expect {
            Expect::Any => true,
            Expect::Absent => found.is_none(),
            Expect::Version(v) => found == Some(v),
        };
        if !allowed {
            return Err(StoreError::Conflict {
                kind: kind.to_owned(),
                id: id.to_owned(),
                expected: expect,
                found,
            });
        }
        let version = found.unwrap_or(0) + 1;
        let old = records.insert(
            id.to_owned(),
            Versioned {
                version,
                data: data.to_owned(),
            },
        );
        self.reindex(
            account,
            kind,
            id,
            old.map(|o| o.data).as_deref(),
            Some(data),
        );
        Ok(version)
    }

    /// An idempotent timeline append; false if the id exists.
    fn append(&mut self, account: &str, incident_id: &str, entry: &TimelineEntry) -> bool {
        let timeline = self
            .timelines
            .entry(pair(account, incident_id))
            .or_default();
        if !timeline.ids.insert(entry.id.clone()) {
            return false;
        }
        timeline
            .entries
            .insert((entry.time_ms, entry.id.clone()), entry.data.clone());
        true
    }
}
