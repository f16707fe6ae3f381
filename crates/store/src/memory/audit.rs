//! Audit streams in memory (see `crate::audit`): a capped queue per account.

use std::collections::VecDeque;

use super::MemoryStore;
use crate::audit::{AuditEntry, AuditRange, parse_id};

/// One account's events, oldest first, as `((ms, seq), data)`.
#[derive(Debug, Default)]
pub(super) struct AuditLog {
    events: VecDeque<((i64, u64), String)>,
}

impl MemoryStore {
    pub(crate) fn append_audit(
        &self,
        account: &str,
        time_ms: i64,
        data: &str,
        max_len: usize,
    ) -> String {
        let mut state = self.lock();
        let log = state.audit.entry(account.to_owned()).or_default();
        let id = match log.events.back() {
            Some(&((ms, seq), _)) if ms >= time_ms => (ms, seq + 1),
            _ => (time_ms, 0),
        };
        log.events.push_back((id, data.to_owned()));
        while log.events.len() > max_len.max(1) {
            log.events.pop_front();
        }
        format!("{}-{}", id.0, id.1)
    }

    pub(crate) fn audit_events(&self, account: &str, range: &AuditRange) -> Vec<AuditEntry> {
        let state = self.lock();
        let Some(log) = state.audit.get(account) else {
            return Vec::new();
        };
        let before = range.before.as_deref().and_then(parse_id);
        log.events
            .iter()
            .rev()
            .filter(|(id, _)| before.is_none_or(|b| *id < b))
            .filter(|((ms, _), _)| range.until_ms.is_none_or(|u| *ms <= u))
            .take_while(|((ms, _), _)| range.since_ms.is_none_or(|s| *ms >= s))
            .take(range.count)
            .map(|((ms, seq), data)| AuditEntry {
                id: format!("{ms}-{seq}"),
                data: data.clone(),
            })
            .collect()
    }
}
