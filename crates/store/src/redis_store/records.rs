//! Records, timelines and the incident create/resolve operations on Redis.

use super::{RedisStore, conflict, expect_args, parse_num, scripts, ttl_ms};
use crate::{
    CreateIncident, CreateOutcome, Expect, INCIDENT_KIND, Lease, StoreError, TimelineEntry,
    Versioned, outcome,
};

/// What `put.lua` answers, by its first element.
const OK: i64 = 0;
const CONFLICT: i64 = 1;
const FENCED: i64 = 2;

impl RedisStore {
    pub(crate) async fn get(
        &self,
        account: &str,
        kind: &str,
        id: &str,
    ) -> Result<Option<Versioned>, StoreError> {
        let key = self.keys.record(account, kind, id);
        let (version, data): (Option<String>, Option<String>) = self
            .query(redis::cmd("HMGET").arg(&key).arg("v").arg("d"))
            .await?;
        match (version, data) {
            (Some(version), Some(data)) => Ok(Some(Versioned {
                version: parse_num(&version, &key)?,
                data,
            })),
            _ => Ok(None),
        }
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
        let (mode, version) = expect_args(expect);
        let mut invocation = scripts::PUT.prepare_invoke();
        invocation
            .key(self.keys.record(account, kind, id))
            .key(self.keys.index(account, kind));
        invocation.arg(id).arg(data).arg(mode).arg(version);
        match lease {
            Some(lease) => {
                let (lease_key, _) = self.keys.lease(account, &lease.name);
                invocation
                    .key(lease_key)
                    .arg("1")
                    .arg(&lease.owner)
                    .arg(lease.token);
            }
            None => {
                invocation.arg("0").arg("").arg("");
            }
        }
        invocation.arg(self.keys.ix_prefix_for(account, kind));
        let (code, n): (i64, u64) = self.run(&invocation).await?;
        match (code, lease) {
            (OK, _) => Ok(n),
            (CONFLICT, _) => Err(conflict(kind, id, expect, n)),
            (FENCED, Some(lease)) => Err(StoreError::Fenced {
                name: lease.name.clone(),
                token: lease.token,
            }),
            _ => Err(StoreError::Corrupt(format!("put.lua answered {code}"))),
        }
    }

    pub(crate) async fn delete(
        &self,
        account: &str,
        kind: &str,
        id: &str,
    ) -> Result<bool, StoreError> {
        let mut invocation = scripts::DELETE.prepare_invoke();
        invocation
            .key(self.keys.record(account, kind, id))
            .key(self.keys.index(account, kind))
            .arg(id)
            .arg(self.keys.ix_prefix_for(account, kind));
        self.run(&invocation).await
    }

    pub(crate) async fn list_page(
        &self,
        account: &str,
        kind: &str,
        cursor: u64,
        count: usize,
    ) -> Result<(u64, Vec<(String, Versioned)>), StoreError> {
        let mut invocation = scripts::LIST_PAGE.prepare_invoke();
        invocation
            .key(self.keys.index(account, kind))
            .arg(self.keys.record_prefix(account, kind))
            .arg(cursor)
            .arg(count.max(1));
        let flat: Vec<String> = self.run(&invocation).await?;
        let Some((next, rows)) = flat.split_first() else {
            return Err(StoreError::Corrupt("list_page.lua answered nothing".into()));
        };
        let next = parse_num(next, "cursor")?;
        let records = rows
            .chunks_exact(3)
            .map(|row| {
                let version = parse_num(&row[1], &row[0])?;
                Ok((
                    row[0].clone(),
                    Versioned {
                        version,
                        data: row[2].clone(),
                    },
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok((next, records))
    }

    pub(crate) async fn list(
        &self,
        account: &str,
        kind: &str,
    ) -> Result<Vec<(String, Versioned)>, StoreError> {
        let mut invocation = scripts::LIST.prepare_invoke();
        invocation
            .key(self.keys.index(account, kind))
            .arg(self.keys.record_prefix(account, kind));
        let flat: Vec<String> = self.run(&invocation).await?;
        let mut records = flat
            .chunks_exact(3)
            .map(|row| {
                let version = parse_num(&row[1], &row[0])?;
                Ok((
                    row[0].clone(),
                    Versioned {
                        version,
                        data: row[2].clone(),
                    },
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        // SMEMBERS has no order; the contract is "sorted by id".
        records.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(records)
    }

    pub(crate) async fn append_timeline(
        &self,
        account: &str,
        incident_id: &str,
        entry: &TimelineEntry,
    ) -> Result<bool, StoreError> {
        let (zset, bodies) = self.keys.timeline(account, incident_id);
        let mut invocation = scripts::APPEND.prepare_invoke();
        invocation
            .key(zset)
            .key(bodies)
            .arg(&entry.id)
            .arg(entry.time_ms)
            .arg(&entry.data);
        self.run(&invocation).await
    }

    pub(crate) async fn append_timeline_batch(
        &self,
        account: &str,
        incident_id: &str,
        entries: &[TimelineEntry],
    ) -> Result<usize, StoreError> {
        let (zset, bodies) = self.keys.timeline(account, incident_id);
        let mut invocation = scripts::APPEND_BATCH.prepare_invoke();
        invocation.key(zset).key(bodies);
        for e in entries {
            invocation.arg(&e.id).arg(e.time_ms).arg(&e.data);
        }
        self.run(&invocation).await
    }

    pub(crate) async fn timeline(
        &self,
        account: &str,
        incident_id: &str,
    ) -> Result<Vec<TimelineEntry>, StoreError> {
        let (zset, bodies) = self.keys.timeline(account, incident_id);
        let mut invocation = scripts::TIMELINE.prepare_invoke();
        invocation.key(&zset).key(bodies);
        let flat: Vec<String> = self.run(&invocation).await?;
        flat.chunks_exact(3)
            .map(|row| {
                // Scores come back as decimal doubles; times are whole milliseconds, exact below 2^53.
                let score: f64 = parse_num(&row[1], &zset)?;
                Ok(TimelineEntry {
                    id: row[0].clone(),
                    time_ms: score as i64,
                    data: row[2].clone(),
                })
            })
            .collect()
    }

    pub(crate) async fn create_incident(
        &self,
        request: &CreateIncident,
    ) -> Result<CreateOutcome, StoreError> {
        let account = &request.account;
        let id = &request.incident_id;
        let idem = self.keys.idem(account, &request.idempotency_key);
        let (zset, bodies) = self.keys.timeline(account, id);
        let merged = &request.merged_timeline;
        let mut invocation = scripts::CREATE_INCIDENT.prepare_invoke();
        invocation
            .key(&idem)
            .key(self.keys.dedupe(account, &request.dedupe))
            .key(self.keys.record(account, INCIDENT_KIND, id))
            .key(self.keys.index(account, INCIDENT_KIND))
            .key(zset)
            .key(bodies);
        invocation
            .arg(id)
            .arg(if request.dedupe.is_empty() { "0" } else { "1" })
            .arg(ttl_ms(request.idempotency_ttl))
            .arg(&request.record)
            .arg(self.keys.timeline_prefix(account))
            .arg(&merged.id)
            .arg(merged.time_ms)
            .arg(&merged.data)
            .arg(self.keys.record_prefix(account, INCIDENT_KIND))
            .arg(self.keys.incident_ix_prefix(account));
        for entry in &request.created_timeline {
            invocation
                .arg(&entry.id)
                .arg(entry.time_ms)
                .arg(&entry.data);
        }
        let (code, text): (i64, String) = self.run(&invocation).await?;
        match code {
            0 | 1 => outcome::decode(&text, code == 1, &idem),
            // The incident id exists already (e.g. a replay after the idempotency ttl):
            // overwriting it could reopen a resolved incident.
            2 => Err(conflict(
                INCIDENT_KIND,
                id,
                Expect::Absent,
                parse_num(&text, &idem)?,
            )),
            _ => Err(StoreError::Corrupt(format!(
                "create_incident.lua answered {code}"
            ))),
        }
    }

    pub(crate) async fn open_incident_for(
        &self,
        account: &str,
        dedupe: &str,
    ) -> Result<Option<String>, StoreError> {
        if dedupe.is_empty() {
            return Ok(None);
        }
        self.query(redis::cmd("GET").arg(self.keys.dedupe(account, dedupe)))
            .await
    }

    pub(crate) async fn resolve_incident(
        &self,
        account: &str,
        incident_id: &str,
        record: &str,
        dedupe: &str,
        expect: Expect,
    ) -> Result<u64, StoreError> {
        let (mode, version) = expect_args(expect);
        let mut invocation = scripts::RESOLVE_INCIDENT.prepare_invoke();
        invocation
            .key(self.keys.record(account, INCIDENT_KIND, incident_id))
            .key(self.keys.index(account, INCIDENT_KIND))
            .key(self.keys.dedupe(account, dedupe));
        invocation
            .arg(incident_id)
            .arg(record)
            .arg(mode)
            .arg(version)
            .arg(if dedupe.is_empty() { "0" } else { "1" })
            .arg(self.keys.incident_ix_prefix(account));
        let (code, n): (i64, u64) = self.run(&invocation).await?;
        match code {
            OK => Ok(n),
            CONFLICT => Err(conflict(INCIDENT_KIND, incident_id, expect, n)),
            _ => Err(StoreError::Corrupt(format!(
                "resolve_incident.lua answered {code}"
            ))),
        }
    }
}
