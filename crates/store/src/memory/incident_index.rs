//! The incident indexes in memory (see `crate::incident_index`): one ordered set of
//! `(creation ms, id)` per (account, index name), kept by every write of an incident record
//! under the store's one lock, so they are as atomic as the Redis scripts.

use std::collections::BTreeSet;

use super::{MemoryStore, State, pair};
use crate::INCIDENT_KIND;
use crate::incident_index::{ALL, IncidentQuery, IndexedIncident, fields};

impl State {
    /// Moves record `id` of `kind` from the indexes of its `old` body to those of its `new`
    /// one (either may be absent). Records of other kinds are not indexed.
    pub(super) fn reindex(
        &mut self,
        account: &str,
        kind: &str,
        id: &str,
        old: Option<&str>,
        new: Option<&str>,
    ) {
        if kind != INCIDENT_KIND {
            return;
        }
        if let Some((ms, names)) = old.and_then(|d| fields(kind, d)) {
            for name in names {
                if let Some(set) = self.incident_ix.get_mut(&pair(account, &name)) {
                    set.remove(&(ms, id.to_owned()));
                }
            }
        }
        if let Some((ms, names)) = new.and_then(|d| fields(kind, d)) {
            for name in names {
                self.incident_ix
                    .entry(pair(account, &name))
                    .or_default()
                    .insert((ms, id.to_owned()));
            }
        }
    }
}

impl MemoryStore {
    pub(crate) fn list_incidents(&self, account: &str, q: &IncidentQuery) -> Vec<IndexedIncident> {
        let state = self.lock();
        let empty = BTreeSet::new();
        let set = |name: &str| {
            state
                .incident_ix
                .get(&pair(account, name))
                .unwrap_or(&empty)
        };
        let groups = q.groups();
        // Walk the smallest single-valued index; check the other filters by membership.
        let (driver_group, driver) = groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.len() == 1)
            .map(|(i, g)| (Some(i), set(&g[0])))
            .min_by_key(|(_, s)| s.len())
            .unwrap_or((None, set(ALL)));
        let from = q.created_from_ms.unwrap_or(i64::MIN);
        let to = q.created_to_ms.unwrap_or(i64::MAX);
        let mut out = Vec::new();
        for (ms, id) in driver.iter().rev() {
            if out.len() >= q.limit || *ms < from {
                break;
            }
            if *ms > to {
                continue;
            }
            if let Some(c) = &q.after
                && (*ms, id.as_str()) >= (c.created_ms, c.id.as_str())
            {
                continue;
            }
            let member = (*ms, id.clone());
            let passes = groups.iter().enumerate().all(|(i, g)| {
                Some(i) == driver_group || g.iter().any(|n| set(n).contains(&member))
            });
            let record = state
                .records
                .get(&pair(account, INCIDENT_KIND))
                .and_then(|r| r.get(id));
            if let (true, Some(record)) = (passes, record) {
                out.push(IndexedIncident {
                    id: id.clone(),
                    created_ms: *ms,
                    record: record.clone(),
                });
            }
        }
        out
    }

    pub(crate) fn incident_count(&self, account: &str) -> usize {
        self.lock()
            .incident_ix
            .get(&pair(account, ALL))
            .map_or(0, BTreeSet::len)
    }
}
