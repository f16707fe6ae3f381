//! The state port of Tocsin: everything a worker must remember lives behind [`Store`].
//!
//! Production runs on Redis (deadpool-redis; Lua scripts where several keys change together),
//! the embedded mode and component tests on [`MemoryStore`], with the same API and semantics.
//! Documents are opaque JSON strings here: typed records live in `tocsin-proto`, and this crate
//! only knows keys, versions and atomicity.
//!
//! Key layout (Redis). Every key of an account carries the account as a hash tag, so the
//! multi-key scripts stay valid on Redis Cluster:
//!
//! | key | type | what |
//! |---|---|---|
//! | `<ns>:{<account>}:rec:<kind>:<id>` | hash `v`, `d` | a versioned record |
//! | `<ns>:{<account>}:idx:<kind>` | set | ids of the records of a kind |
//! | `<ns>:{<account>}:ix:incident:<index>` | zset | incident ids by creation ms, per index (`all`, `status:<S>`, `impact:<n>`, `by:<createdBy>`; see `incident_index`) |
//! | `<ns>:{<account>}:ix:incident:built` | string | set once every stored incident of the account is indexed |
//! | `<ns>:{<account>}:tl:<incident>` | zset + hash `…:tl:<incident>:d` | timeline event ids by time, and their bodies |
//! | `<ns>:{<account>}:dedupe:<sha256>` | string | id of the OPEN incident holding a dedupe string |
//! | `<ns>:{<account>}:idem:<key>` | string | idempotency claim: `in-flight` or `done:<result>` |
//! | `<ns>:{<account>}:lease:<name>` | hash `owner`, `token` | a lease (PX = its ttl) |
//! | `<ns>:{<account>}:lease-seq:<name>` | string | the lease's fencing counter (never expires) |
//! | `<ns>:{timers:<set>}` | zset + hash `…:d` + hash `…:c` | due timers, bodies, claim counters |
//! | `<ns>:{timers:<set>}:seq` | string | the set's claim counter source (never expires) |
//!
//! A timer body is `<original due ms>:<payload>`: claiming moves the zset score to the
//! visibility deadline, so the due time is kept there. A done claim holds `done:<result>`; the
//! outcome of [`Store::create_incident`] is recorded as the result `created:<id>` or
//! `merged:<id>`.

mod audit;
mod edits;
mod incident_index;
mod memory;
mod outcome;
mod redis_store;
#[cfg(feature = "testing")]
pub mod testing;

use std::time::Duration;

pub use audit::{AuditEntry, AuditRange};
pub use incident_index::{IncidentCursor, IncidentQuery, IndexedIncident};
pub use memory::MemoryStore;
pub use redis_store::{RedisConfig, RedisStore};

/// The record kind of incidents, written by [`Store::create_incident`] and
/// [`Store::resolve_incident`].
pub const INCIDENT_KIND: &str = "incident";

/// Errors at the store boundary.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Redis could not be reached or answered with an error.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A conditional write found another version.
    #[error("version conflict on {kind} {id}: expected {expected:?}, found {found:?}")]
    Conflict {
        /// Record kind.
        kind: String,
        /// Record id.
        id: String,
        /// What the writer expected.
        expected: Expect,
        /// The version present (None = absent).
        found: Option<u64>,
    },
    /// A fenced write carried a token that no longer holds its lease.
    #[error("lease {name} lost: token {token} is no longer current")]
    Fenced {
        /// Lease name.
        name: String,
        /// The stale token.
        token: u64,
    },
    /// Stored data did not have the expected shape.
    #[error("corrupt data at {0}")]
    Corrupt(String),
}

/// Condition for a record write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Write whatever is there.
    Any,
    /// Only create.
    Absent,
    /// Only replace this version.
    Version(u64),
}

/// A record and its version (1 on creation, +1 per write). Replication applies a copy only if
/// its version is newer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned {
    /// Version.
    pub version: u64,
    /// JSON document.
    pub data: String,
}

/// One timeline entry. Appends are idempotent by `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEntry {
    /// Event id (deterministic, derived from what caused it).
    pub id: String,
    /// Event time, milliseconds since the epoch (the sort key; ties sort by id).
    pub time_ms: i64,
    /// JSON document.
    pub data: String,
}

/// Everything the atomic "create incident unless an OPEN incident holds this dedupe string"
/// operation needs.
#[derive(Debug, Clone)]
pub struct CreateIncident {
    /// Account.
    pub account: String,
    /// Id of the incident to create.
    pub incident_id: String,
    /// Dedupe string; empty means no dedupe.
    pub dedupe: String,
    /// The idempotency key of the alarm; a replay returns the first outcome without effect.
    pub idempotency_key: String,
    /// How long the idempotency outcome is remembered.
    pub idempotency_ttl: Duration,
    /// The incident record (kind `incident`, created at version 1).
    pub record: String,
    /// Timeline entries written with a created incident.
    pub created_timeline: Vec<TimelineEntry>,
    /// Timeline entry appended to the OPEN incident when this alarm is merged into it.
    pub merged_timeline: TimelineEntry,
}

/// Whether an alarm created an incident or was merged into an open one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateKind {
    /// A new incident was created.
    Created,
    /// An OPEN incident already held the dedupe string.
    Merged,
}

/// The outcome of [`Store::create_incident`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateOutcome {
    /// The incident created or merged into.
    pub incident_id: String,
    /// Created or merged.
    pub kind: CreateKind,
    /// True when the idempotency key had already been processed (nothing was written now).
    pub replayed: bool,
    /// On a merge, the ARN of the incident merged into (when its record has one).
    pub merged_arn: Option<String>,
}

/// State of an idempotency claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The caller owns the claim now and must `complete` or `release` it.
    New,
    /// Someone else holds it (or crashed holding it: it expires after its ttl).
    InFlight,
    /// Already done, with the recorded result.
    Done(String),
}

/// A held lease. `token` increases with every acquisition of the same name (fencing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// Account the lease belongs to.
    pub account: String,
    /// Lease name.
    pub name: String,
    /// Holder identity.
    pub owner: String,
    /// Fencing token.
    pub token: u64,
}

/// A timer handed to one claimer. It stays in the set with its due time moved to
/// `now + visibility`, so a claimer that dies loses nothing: the timer fires again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedTimer {
    /// Timer set.
    pub set: String,
    /// Timer key (unique in the set).
    pub key: String,
    /// Original due time, ms since the epoch.
    pub due_ms: i64,
    /// Payload.
    pub payload: String,
    /// Claim counter; [`Store::complete_timer`] succeeds only for the latest claim.
    pub claim: u64,
}

/// The store, with its backend chosen at run time. Cheap to clone.
#[derive(Clone, Debug)]
pub enum Store {
    /// In memory.
    Memory(MemoryStore),
    /// Redis.
    Redis(RedisStore),
}

macro_rules! dispatch {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            Store::Memory($s) => $e,
            Store::Redis($s) => $e,
        }
    };
}

impl Store {
    /// Checks the backend answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        dispatch!(self, s => s.ping().await)
    }

    /// Reads a record.
    pub async fn get(
        &self,
        account: &str,
        kind: &str,
        id: &str,
    ) -> Result<Option<Versioned>, StoreError> {
        dispatch!(self, s => s.get(account, kind, id).await)
    }

    /// Writes a record under a condition; returns the new version.
    pub async fn put(
        &self,
        account: &str,
        kind: &str,
        id: &str,
        data: &str,
        expect: Expect,
    ) -> Result<u64, StoreError> {
        dispatch!(self, s => s.put(account, kind, id, data, expect, None).await)
    }

    /// Writes a record only while `lease` is still the current holder of its name.
    pub async fn put_fenced(
        &self,
        kind: &str,
        id: &str,
        data: &str,
        expect: Expect,
        lease: &Lease,
    ) -> Result<u64, StoreError> {
        dispatch!(self, s => s.put(&lease.account, kind, id, data, expect, Some(lease)).await)
    }

    /// Deletes a record; true if it existed.
    pub async fn delete(&self, account: &str, kind: &str, id: &str) -> Result<bool, StoreError> {
        dispatch!(self, s => s.delete(account, kind, id).await)
    }

    /// All records of a kind, sorted by id.
    pub async fn list(
        &self,
        account: &str,
        kind: &str,
    ) -> Result<Vec<(String, Versioned)>, StoreError> {
        dispatch!(self, s => s.list(account, kind).await)
    }

    /// One page of about `count` records of a kind, from `cursor` (0 to start); the returned
    /// cursor is 0 when the scan is done. Bounded work per call, for sweeps over many records
    /// (the engagement self-audit); unordered. A record present for the whole sweep is seen at
    /// least once; one written meanwhile may be seen twice or not at all.
    pub async fn list_page(
        &self,
        account: &str,
        kind: &str,
        cursor: u64,
        count: usize,
    ) -> Result<(u64, Vec<(String, Versioned)>), StoreError> {
        dispatch!(self, s => s.list_page(account, kind, cursor, count).await)
    }

    /// Appends a timeline entry; false if an entry with that id exists (nothing changes).
    pub async fn append_timeline(
        &self,
        account: &str,
        incident_id: &str,
        entry: &TimelineEntry,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.append_timeline(account, incident_id, entry).await)
    }

    /// Appends several entries to one timeline in one call, each as [`Store::append_timeline`]
    /// would (an id already there changes nothing); returns how many were new.
    pub async fn append_timeline_batch(
        &self,
        account: &str,
        incident_id: &str,
        entries: &[TimelineEntry],
    ) -> Result<usize, StoreError> {
        if entries.is_empty() {
            return Ok(0);
        }
        dispatch!(self, s => s.append_timeline_batch(account, incident_id, entries).await)
    }

    /// The timeline of an incident, ordered by time then id.
    pub async fn timeline(
        &self,
        account: &str,
        incident_id: &str,
    ) -> Result<Vec<TimelineEntry>, StoreError> {
        dispatch!(self, s => s.timeline(account, incident_id).await)
    }

    /// Atomically: if the idempotency key is done, return its outcome (`replayed`); else if an
    /// OPEN incident holds the dedupe string, append `merged_timeline` to it (`Merged`); else
    /// create the record, take the dedupe string and write `created_timeline` (`Created`).
    /// Either way the outcome is recorded under the idempotency key.
    pub async fn create_incident(
        &self,
        request: &CreateIncident,
    ) -> Result<CreateOutcome, StoreError> {
        dispatch!(self, s => s.create_incident(request).await)
    }

    /// The OPEN incident holding a dedupe string, if any.
    pub async fn open_incident_for(
        &self,
        account: &str,
        dedupe: &str,
    ) -> Result<Option<String>, StoreError> {
        dispatch!(self, s => s.open_incident_for(account, dedupe).await)
    }

    /// Atomically replaces the incident record (expecting `expect`) and frees its dedupe string
    /// if that string is held by this incident. Returns the new version.
    pub async fn resolve_incident(
        &self,
        account: &str,
        incident_id: &str,
        record: &str,
        dedupe: &str,
        expect: Expect,
    ) -> Result<u64, StoreError> {
        dispatch!(self, s => s.resolve_incident(account, incident_id, record, dedupe, expect).await)
    }

    /// Claims an idempotency key (`SET NX PX` semantics).
    pub async fn claim(
        &self,
        account: &str,
        key: &str,
        ttl: Duration,
    ) -> Result<Claim, StoreError> {
        dispatch!(self, s => s.claim(account, key, ttl).await)
    }

    /// Marks a claim done with its result, remembered for `ttl`.
    pub async fn complete(
        &self,
        account: &str,
        key: &str,
        result: &str,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.complete(account, key, result, ttl).await)
    }

    /// Drops an in-flight claim so a retry can take it (a done claim is kept).
    pub async fn release(&self, account: &str, key: &str) -> Result<(), StoreError> {
        dispatch!(self, s => s.release(account, key).await)
    }

    /// Takes a lease if nobody holds it; the token is greater than any earlier one of the name.
    pub async fn acquire_lease(
        &self,
        account: &str,
        name: &str,
        owner: &str,
        ttl: Duration,
    ) -> Result<Option<Lease>, StoreError> {
        dispatch!(self, s => s.acquire_lease(account, name, owner, ttl).await)
    }

    /// Extends a lease still held by `lease`; false if it was lost.
    pub async fn renew_lease(&self, lease: &Lease, ttl: Duration) -> Result<bool, StoreError> {
        dispatch!(self, s => s.renew_lease(lease, ttl).await)
    }

    /// Releases a lease still held by `lease`; false if it was lost already.
    pub async fn release_lease(&self, lease: &Lease) -> Result<bool, StoreError> {
        dispatch!(self, s => s.release_lease(lease).await)
    }

    /// Adds or moves a timer.
    pub async fn schedule_timer(
        &self,
        set: &str,
        key: &str,
        due_ms: i64,
        payload: &str,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.schedule_timer(set, key, due_ms, payload).await)
    }

    /// Whether each of `keys` has a timer in `set` (claimed ones included), in one call.
    pub async fn timers_exist(&self, set: &str, keys: &[String]) -> Result<Vec<bool>, StoreError> {
        dispatch!(self, s => s.timers_exist(set, keys).await)
    }

    /// Removes a timer; true if it existed.
    pub async fn cancel_timer(&self, set: &str, key: &str) -> Result<bool, StoreError> {
        dispatch!(self, s => s.cancel_timer(set, key).await)
    }

    /// Atomically claims up to `limit` timers due at `now_ms`, hiding each for `visibility`.
    pub async fn claim_due_timers(
        &self,
        set: &str,
        now_ms: i64,
        limit: usize,
        visibility: Duration,
    ) -> Result<Vec<ClaimedTimer>, StoreError> {
        dispatch!(self, s => s.claim_due_timers(set, now_ms, limit, visibility).await)
    }

    /// Removes a fired timer if `timer` is still its latest claim and it was not rescheduled.
    pub async fn complete_timer(&self, timer: &ClaimedTimer) -> Result<bool, StoreError> {
        dispatch!(self, s => s.complete_timer(timer).await)
    }

    /// Number of timers in a set (due or not).
    pub async fn timer_count(&self, set: &str) -> Result<usize, StoreError> {
        dispatch!(self, s => s.timer_count(set).await)
    }
}
