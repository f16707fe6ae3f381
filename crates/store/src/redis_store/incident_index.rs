//! The incident indexes on Redis (see `crate::incident_index`): the listing script, and the
//! batched (re)indexing of incidents stored before the indexes existed.

use std::sync::LazyLock;

use redis::Script;

use super::{RedisStore, parse_num};
use crate::incident_index::{IncidentQuery, IndexedIncident};
use crate::{INCIDENT_KIND, StoreError, Versioned};

static LIST_INCIDENTS: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/list_incidents.lua")));
static REINDEX_INCIDENTS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        include_str!("lua/prelude.lua"),
        include_str!("lua/reindex_incidents.lua")
    ))
});

/// Incidents indexed per script run while rebuilding (bounds how long one run holds Redis).
const REINDEX_BATCH: usize = 500;

impl RedisStore {
    fn built_marker(&self, account: &str) -> String {
        format!("{}built", self.keys.incident_ix_prefix(account))
    }

    pub(crate) async fn list_incidents(
        &self,
        account: &str,
        q: &IncidentQuery,
    ) -> Result<Vec<IndexedIncident>, StoreError> {
        let bound = |b: Option<i64>, open: &str| b.map_or(open.to_owned(), |v| v.to_string());
        let mut invocation = LIST_INCIDENTS.prepare_invoke();
        invocation
            .key(self.built_marker(account))
            .arg(self.keys.incident_ix_prefix(account))
            .arg(self.keys.record_prefix(account, INCIDENT_KIND))
            .arg(bound(q.created_from_ms, "-inf"))
            .arg(bound(q.created_to_ms, "+inf"))
            .arg(
                q.after
                    .as_ref()
                    .map_or(String::new(), |c| c.created_ms.to_string()),
            )
            .arg(q.after.as_ref().map_or("", |c| c.id.as_str()))
            .arg(q.limit);
        for group in q.groups() {
            invocation.arg(group.len());
            for name in group {
                invocation.arg(name);
            }
        }
        for _ in 0..2 {
            let flat: Vec<String> = self.run(&invocation).await?;
            if flat.first().map(String::as_str) != Some("0") {
                self.reindex_incidents(account).await?;
                continue;
            }
            let rows = &flat[1..];
            return rows
                .chunks_exact(4)
                .map(|row| {
                    let ms: f64 = parse_num(&row[1], &row[0])?;
                    Ok(IndexedIncident {
                        id: row[0].clone(),
                        created_ms: ms as i64,
                        record: Versioned {
                            version: parse_num(&row[2], &row[0])?,
                            data: row[3].clone(),
                        },
                    })
                })
                .collect();
        }
        Err(StoreError::Corrupt(format!(
            "incident indexes of {account} missing after a rebuild"
        )))
    }

    pub(crate) async fn reindex_incidents(&self, account: &str) -> Result<usize, StoreError> {
        let mut cursor = "0".to_owned();
        let mut total = 0;
        loop {
            let mut invocation = REINDEX_INCIDENTS.prepare_invoke();
            invocation
                .key(self.keys.index(account, INCIDENT_KIND))
                .key(self.built_marker(account))
                .arg(&cursor)
                .arg(self.keys.record_prefix(account, INCIDENT_KIND))
                .arg(self.keys.incident_ix_prefix(account))
                .arg(REINDEX_BATCH);
            let (next, n): (String, usize) = self.run(&invocation).await?;
            total += n;
            if next == "0" {
                tracing::debug!(account, total, "Incident indexes built.");
                return Ok(total);
            }
            cursor = next;
        }
    }
}
