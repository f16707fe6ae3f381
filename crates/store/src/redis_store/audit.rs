//! Audit streams on Redis (see `crate::audit`): `XADD` through a script that keeps ids growing,
//! `XREVRANGE` to read.

use std::sync::LazyLock;

use redis::Script;

use super::RedisStore;
use crate::StoreError;
use crate::audit::{AuditEntry, AuditRange};

/// `XADD key MAXLEN ~ n <ms>-* e <data>` with `ms` no older than the newest entry's.
static APPEND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local ms = tonumber(ARGV[1])
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if last[1] then
  local newest = tonumber(string.match(last[1][1], '^(%d+)-'))
  if newest > ms then ms = newest end
end
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2],
  string.format('%.0f', ms) .. '-*', 'e', ARGV[3])
",
    )
});

impl RedisStore {
    /// `<ns>:{<account>}:audit`, next to the account's other keys (same hash tag).
    fn audit_key(&self, account: &str) -> String {
        // The index key is `<ns>:{<account>}:idx:<kind>`; the stream shares its prefix.
        let index = self.keys.index(account, "audit");
        let prefix = index.strip_suffix(":idx:audit").unwrap_or(&index);
        format!("{prefix}:audit")
    }

    pub(crate) async fn append_audit(
        &self,
        account: &str,
        time_ms: i64,
        data: &str,
        max_len: usize,
    ) -> Result<String, StoreError> {
        let mut invocation = APPEND.prepare_invoke();
        invocation
            .key(self.audit_key(account))
            .arg(time_ms.max(0))
            .arg(max_len.max(1))
            .arg(data);
        self.run(&invocation).await
    }

    pub(crate) async fn audit_events(
        &self,
        account: &str,
        range: &AuditRange,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let end = match (&range.before, range.until_ms) {
            (Some(b), _) => format!("({b}"),
            (None, Some(u)) => u.max(0).to_string(),
            (None, None) => "+".to_owned(),
        };
        let start = range
            .since_ms
            .map_or_else(|| "-".to_owned(), |s| s.max(0).to_string());
        let rows: Vec<(String, Vec<String>)> = self
            .query(
                redis::cmd("XREVRANGE")
                    .arg(self.audit_key(account))
                    .arg(end)
                    .arg(start)
                    .arg("COUNT")
                    .arg(range.count.max(1)),
            )
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, fields)| {
                let data = fields.chunks(2).find(|kv| kv[0] == "e")?.get(1)?.clone();
                Some(AuditEntry { id, data })
            })
            .collect())
    }
}
