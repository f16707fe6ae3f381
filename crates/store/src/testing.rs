//! Test support (feature `testing`): a [`RedisStore`] on a private, throw-away namespace.
//!
//! Each test gets its own random key prefix, so tests run in parallel on one Redis without
//! seeing each other, and the guard removes the keys afterwards.

use crate::{RedisConfig, RedisStore, StoreError};

/// Environment variable naming the Redis used by tests.
pub const TEST_REDIS_URL_ENV: &str = "TOCSIN_TEST_REDIS_URL";

/// The Redis used by tests when [`TEST_REDIS_URL_ENV`] is not set.
pub const DEFAULT_TEST_REDIS_URL: &str = "redis://127.0.0.1:6379/0";

/// The test Redis URL: [`TEST_REDIS_URL_ENV`] or [`DEFAULT_TEST_REDIS_URL`].
pub fn test_redis_url() -> String {
    std::env::var(TEST_REDIS_URL_ENV).unwrap_or_else(|_| DEFAULT_TEST_REDIS_URL.to_owned())
}

/// A [`RedisStore`] on the test Redis under a fresh namespace `t-<uuid>`, and the guard that
/// deletes the namespace's keys when dropped. Keep the guard alive as long as the store.
pub async fn isolated_redis() -> Result<(RedisStore, TestNamespace), StoreError> {
    let url = test_redis_url();
    let namespace = format!("t-{}", uuid::Uuid::new_v4().simple());
    let guard = TestNamespace {
        url: url.clone(),
        namespace: namespace.clone(),
    };
    let config = RedisConfig {
        namespace,
        pool_size: 4,
        ..RedisConfig::new(url)
    };
    let store = RedisStore::connect(config).await?;
    Ok((store, guard))
}

/// Deletes every key of a test namespace on drop.
pub struct TestNamespace {
    /// Where the keys live (not printed: it may carry a password).
    url: String,
    /// The key prefix.
    namespace: String,
}

impl TestNamespace {
    /// The key prefix of this namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Deletes the keys. Synchronous, with its own plain connection: `Drop` cannot await and
    /// may run after the test's runtime is gone.
    fn purge(&self) -> redis::RedisResult<()> {
        let mut conn = redis::Client::open(self.url.as_str())?.get_connection()?;
        let pattern = format!("{}:*", self.namespace);
        let mut cursor = 0_u64;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(500)
                .query(&mut conn)?;
            if !keys.is_empty() {
                redis::cmd("DEL").arg(&keys).query::<()>(&mut conn)?;
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }
}

impl std::fmt::Debug for TestNamespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestNamespace")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl Drop for TestNamespace {
    fn drop(&mut self) {
        // Best effort: a leftover namespace is harmless, and Drop must not panic.
        let _ = self.purge();
    }
}
