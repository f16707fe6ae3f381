//! Timeline edits and incident deletion on Redis (see `crate::edits`), one script each.

use std::sync::LazyLock;

use redis::Script;

use super::RedisStore;
use crate::{INCIDENT_KIND, StoreError, TimelineEntry};

static TIMELINE_REPLACE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/timeline_replace.lua")));
static TIMELINE_REMOVE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/timeline_remove.lua")));
static DELETE_INCIDENT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        include_str!("lua/prelude.lua"),
        include_str!("lua/delete_incident.lua")
    ))
});

impl RedisStore {
    pub(crate) async fn replace_timeline_entry(
        &self,
        account: &str,
        incident_id: &str,
        entry: &TimelineEntry,
    ) -> Result<bool, StoreError> {
        let (zset, bodies) = self.keys.timeline(account, incident_id);
        let mut invocation = TIMELINE_REPLACE.prepare_invoke();
        invocation
            .key(zset)
            .key(bodies)
            .arg(&entry.id)
            .arg(entry.time_ms)
            .arg(&entry.data);
        self.run(&invocation).await
    }

    pub(crate) async fn remove_timeline_entry(
        &self,
        account: &str,
        incident_id: &str,
        event_id: &str,
    ) -> Result<bool, StoreError> {
        let (zset, bodies) = self.keys.timeline(account, incident_id);
        let mut invocation = TIMELINE_REMOVE.prepare_invoke();
        invocation.key(zset).key(bodies).arg(event_id);
        self.run(&invocation).await
    }

    pub(crate) async fn delete_incident(
        &self,
        account: &str,
        incident_id: &str,
        dedupe: &str,
    ) -> Result<bool, StoreError> {
        let (zset, bodies) = self.keys.timeline(account, incident_id);
        let mut invocation = DELETE_INCIDENT.prepare_invoke();
        invocation
            .key(self.keys.record(account, INCIDENT_KIND, incident_id))
            .key(self.keys.index(account, INCIDENT_KIND))
            .key(zset)
            .key(bodies)
            .key(self.keys.dedupe(account, dedupe))
            .arg(incident_id)
            .arg(if dedupe.is_empty() { "0" } else { "1" })
            .arg(self.keys.incident_ix_prefix(account));
        self.run(&invocation).await
    }
}
