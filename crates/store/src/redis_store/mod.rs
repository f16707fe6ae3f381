//! The production backend: Redis through a deadpool connection pool.
//!
//! Every operation that changes more than one key is a single Lua script ([`scripts`]), so
//! Redis applies it atomically and a crash between two writes cannot exist. Reads of several
//! keys use scripts too, to see one consistent snapshot. Errors from Redis or the pool all
//! become [`StoreError::Unavailable`]; the URL is never logged, as it may carry a password.

mod claims;
mod keys;
mod records;
mod scripts;
mod timers;

use std::{fmt, time::Duration};

use deadpool_redis::{Connection, Pool, Runtime};
use redis::{FromRedisValue, ScriptInvocation};

use crate::{Expect, StoreError};
use keys::Keys;

/// How long an operation waits for a pooled connection before reporting Redis unavailable.
const WAIT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long opening a new connection may take.
const CREATE_TIMEOUT: Duration = Duration::from_secs(2);

/// Where and how to reach Redis.
#[derive(Clone)]
pub struct RedisConfig {
    /// `redis://[user:password@]host:port/db`; may carry a secret, so it is never printed.
    pub url: String,
    /// Prefix of every key (`<ns>` in the key layout), so several deployments can share a Redis.
    pub namespace: String,
    /// Maximum number of pooled connections.
    pub pool_size: usize,
}

impl RedisConfig {
    /// A config for `url` with namespace `tocsin` and a pool of 16 connections.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            namespace: "tocsin".to_owned(),
            pool_size: 16,
        }
    }
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConfig")
            .field("url", &"<redacted>")
            .field("namespace", &self.namespace)
            .field("pool_size", &self.pool_size)
            .finish()
    }
}

/// The Redis backend. Cheap to clone: clones share the pool.
#[derive(Clone)]
pub struct RedisStore {
    /// Connections, shared by the clones.
    pool: Pool,
    /// Key names under the configured namespace.
    keys: Keys,
}

impl fmt::Debug for RedisStore {
    // The pool's own Debug prints the connection info, password included.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Builds the pool and checks that Redis answers, so a bad URL fails at start-up.
    pub async fn connect(config: RedisConfig) -> Result<Self, StoreError> {
        let pool = deadpool_redis::Config::from_url(config.url)
            .builder()
            .map_err(|_| StoreError::Unavailable("invalid Redis URL".to_owned()))?
            .max_size(config.pool_size.max(1))
            .wait_timeout(Some(WAIT_TIMEOUT))
            .create_timeout(Some(CREATE_TIMEOUT))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(unavailable)?;
        let store = Self {
            pool,
            keys: Keys::new(&config.namespace),
        };
        store.ping().await?;
        Ok(store)
    }

    /// Checks that Redis answers.
    pub(crate) async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        redis::cmd("PING")
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }

    /// A pooled connection.
    async fn conn(&self) -> Result<Connection, StoreError> {
        self.pool.get().await.map_err(unavailable)
    }

    /// Runs a prepared script on a pooled connection.
    async fn run<T: FromRedisValue>(
        &self,
        invocation: &ScriptInvocation<'_>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn().await?;
        invocation
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)
    }

    /// Runs one plain command on a pooled connection.
    async fn query<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, StoreError> {
        let mut conn = self.conn().await?;
        cmd.query_async(&mut conn).await.map_err(unavailable)
    }
}

/// Maps a Redis or pool error. Their messages name the failure, never the URL's credentials.
fn unavailable(err: impl fmt::Display) -> StoreError {
    StoreError::Unavailable(err.to_string())
}

/// A ttl in whole milliseconds for `PX`/`PEXPIRE`, which reject 0.
fn ttl_ms(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// The script arguments (mode, version) for a write condition.
fn expect_args(expect: Expect) -> (&'static str, u64) {
    match expect {
        Expect::Any => ("any", 0),
        Expect::Absent => ("absent", 0),
        Expect::Version(v) => ("version", v),
    }
}

/// The conflict error for a version found by a script (0 = absent).
fn conflict(kind: &str, id: &str, expected: Expect, found: u64) -> StoreError {
    StoreError::Conflict {
        kind: kind.to_owned(),
        id: id.to_owned(),
        expected,
        found: (found != 0).then_some(found),
    }
}

/// Parses a number a script returned as a string.
fn parse_num<T: std::str::FromStr>(text: &str, at: &str) -> Result<T, StoreError> {
    text.parse().map_err(|_| StoreError::Corrupt(at.to_owned()))
}
