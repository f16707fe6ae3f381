//! The production backend: Redis through a deadpool connection pool.
//!
//! The pool creates the connections (with its timeouts); operations then share a few
//! multiplexed connections ("lanes") taken out of it, because a pooled checkout costs a
//! `UNWATCH` + `PING` round trip each time — as much as the operation itself — and a
//! multiplexed connection already pipelines concurrent requests. A lane whose connection
//! fails is emptied and refilled from the pool on next use (e.g. after a Redis restart).
//!
//! Every operation that changes more than one key is a single Lua script ([`scripts`]), so
//! Redis applies it atomically and a crash between two writes cannot exist. Reads of several
//! keys use scripts too, to see one consistent snapshot. Errors from Redis or the pool all
//! become [`StoreError::Unavailable`]; the URL is never logged, as it may carry a password.

mod audit;
mod claims;
mod edits;
mod incident_index;
mod keys;
mod records;
mod scripts;
mod timers;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::{fmt, time::Duration};

use deadpool_redis::{Connection, Manager, Pool, Runtime};
use redis::AsyncConnectionConfig;
use redis::aio::MultiplexedConnection;
use redis::{FromRedisValue, RedisError, ScriptInvocation};

use crate::{Expect, StoreError};
use keys::Keys;

/// How long an operation waits for a pooled connection before reporting Redis unavailable.
const WAIT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long opening a new connection may take.
const CREATE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one request may wait for Redis's answer before the connection counts as broken.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
/// Most multiplexed connections shared by the operations of one store.
const MAX_LANES: usize = 4;

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
    /// Creates connections, shared by the clones.
    pool: Pool,
    /// The multiplexed connections operations run on.
    lanes: Arc<Lanes>,
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
        // redis-rs answers "timed out" after 500 ms by default: too eager for a busy host, where
        // a failed step costs a retry (and a claimed timer its visibility period).
        let connection = AsyncConnectionConfig::new()
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_connection_timeout(Some(CREATE_TIMEOUT));
        let manager = Manager::new_with_config(config.url.as_str(), connection)
            .map_err(|_| StoreError::Unavailable("invalid Redis URL".to_owned()))?;
        let pool = Pool::builder(manager)
            .max_size(config.pool_size.max(1))
            .wait_timeout(Some(WAIT_TIMEOUT))
            .create_timeout(Some(CREATE_TIMEOUT))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(unavailable)?;
        let lanes = config.pool_size.clamp(1, MAX_LANES);
        let store = Self {
            pool,
            lanes: Arc::new(Lanes {
                slots: (0..lanes).map(|_| Mutex::new(None)).collect(),
                next: AtomicUsize::new(0),
            }),
            keys: Keys::new(&config.namespace),
        };
        store.ping().await?;
        Ok(store)
    }

    /// Checks that Redis answers.
    pub(crate) async fn ping(&self) -> Result<(), StoreError> {
        self.query::<()>(&redis::cmd("PING")).await
    }

    /// A lane's connection, opened through the pool when the lane is empty.
    async fn conn(&self) -> Result<(usize, MultiplexedConnection), StoreError> {
        let lane = self.lanes.next.fetch_add(1, Ordering::Relaxed) % self.lanes.slots.len();
        if let Some(conn) = self.lanes.slot(lane).clone() {
            return Ok((lane, conn));
        }
        let fresh = Connection::take(self.pool.get().await.map_err(unavailable)?);
        let mut slot = self.lanes.slot(lane);
        // Another task may have filled the lane meanwhile; either connection works.
        Ok((lane, slot.get_or_insert(fresh).clone()))
    }

    /// Empties the lane of a connection that failed, so the next use opens a fresh one. A
    /// dropped connection usually means Redis restarted, which broke every lane: all are
    /// emptied, so one failed operation (not one per lane) tells the store to reconnect.
    fn failed(&self, lane: usize, error: RedisError) -> StoreError {
        if error.is_io_error() || error.is_connection_dropped() || error.is_connection_refusal() {
            for slot in 0..self.lanes.slots.len() {
                *self.lanes.slot(slot) = None;
            }
        } else if error.is_timeout() {
            *self.lanes.slot(lane) = None;
        }
        unavailable(error)
    }

    /// Runs a prepared script (EVALSHA, loading it on a miss).
    async fn run<T: FromRedisValue>(
        &self,
        invocation: &ScriptInvocation<'_>,
    ) -> Result<T, StoreError> {
        let (lane, mut conn) = self.conn().await?;
        invocation
            .invoke_async(&mut conn)
            .await
            .map_err(|e| self.failed(lane, e))
    }

    /// Runs one plain command.
    async fn query<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, StoreError> {
        let (lane, mut conn) = self.conn().await?;
        cmd.query_async(&mut conn)
            .await
            .map_err(|e| self.failed(lane, e))
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

/// The shared multiplexed connections, filled lazily, used round robin.
struct Lanes {
    slots: Vec<Mutex<Option<MultiplexedConnection>>>,
    next: AtomicUsize,
}

impl Lanes {
    fn slot(&self, lane: usize) -> std::sync::MutexGuard<'_, Option<MultiplexedConnection>> {
        // A poisoned lane only held a connection handle: keep using it.
        self.slots[lane].lock().unwrap_or_else(|p| p.into_inner())
    }
}
