//! The in-memory backend: the embedded mode and the component tests.
//!
//! One `std::sync::Mutex` guards all state. Every operation takes it once and never across an
//! `.await`, which makes each operation atomic exactly like the Redis scripts. Time-to-live is
//! measured with `tokio::time::Instant`, so tests can pause and advance time; an expired entry
//! is treated as absent and dropped when met.

mod audit;
mod claims;
mod edits;
mod incident_index;
mod records;
mod timers;

use std::{
    collections::{BTreeMap, BTreeSet, HashMap, HashSet},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use tokio::time::Instant;

use crate::{StoreError, Versioned};

/// The in-memory backend. Cheap to clone: clones share the state.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    /// Everything, behind one lock.
    state: Arc<Mutex<State>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Always answers: the state is in this process.
    pub(crate) async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Locks the state. A panic while holding the lock cannot leave a half-done write (no
    /// operation panics between its writes), so a poisoned lock is still usable.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A pair of names, e.g. (account, kind) or (account, lease name).
type Pair = (String, String);

fn pair(a: &str, b: &str) -> Pair {
    (a.to_owned(), b.to_owned())
}

/// All the state of a [`MemoryStore`].
#[derive(Debug, Default)]
struct State {
    /// Records by (account, kind), each kind sorted by id.
    records: HashMap<Pair, BTreeMap<String, Versioned>>,
    /// Incident indexes by (account, index name): `(creation ms, id)`, see
    /// `crate::incident_index`.
    incident_ix: HashMap<Pair, BTreeSet<(i64, String)>>,
    /// Timelines by (account, incident).
    timelines: HashMap<Pair, Timeline>,
    /// Open incident id by (account, dedupe string).
    dedupe: HashMap<Pair, String>,
    /// Idempotency claims by (account, key).
    idem: HashMap<Pair, Expiring<IdemState>>,
    /// Held leases by (account, name).
    leases: HashMap<Pair, Expiring<Holder>>,
    /// Last fencing token handed out by (account, name); never forgotten.
    lease_seq: HashMap<Pair, u64>,
    /// Timer sets by name.
    timers: HashMap<String, TimerSet>,
    /// Audit streams by account.
    audit: HashMap<String, audit::AuditLog>,
    /// Size of `idem` at which expired claims are swept next, so unread claims do not pile up.
    next_sweep: usize,
}

/// An incident timeline.
#[derive(Debug, Default)]
struct Timeline {
    /// Bodies in timeline order: time, then id.
    entries: BTreeMap<(i64, String), String>,
    /// Ids present, for idempotent appends.
    ids: HashSet<String>,
}

/// A value with a deadline.
#[derive(Debug)]
struct Expiring<T> {
    value: T,
    until: Instant,
}

impl<T> Expiring<T> {
    fn new(value: T, ttl: Duration) -> Self {
        Self {
            value,
            until: Instant::now() + ttl,
        }
    }

    fn live(&self, now: Instant) -> bool {
        now < self.until
    }
}

/// An idempotency claim.
#[derive(Debug, Clone)]
enum IdemState {
    InFlight,
    Done(String),
}

/// The holder of a lease.
#[derive(Debug)]
struct Holder {
    owner: String,
    token: u64,
}

/// One timer set.
#[derive(Debug, Default)]
struct TimerSet {
    /// (score, key): the due time, or the visibility deadline once claimed.
    queue: BTreeSet<(i64, String)>,
    /// The timers by key.
    timers: HashMap<String, Timer>,
    /// Last claim number handed out; outlives cancelled timers, so old claims never match.
    seq: u64,
}

/// One timer.
#[derive(Debug)]
struct Timer {
    /// Its current score in the queue.
    score: i64,
    /// The due time it was scheduled for.
    due_ms: i64,
    payload: String,
    /// The latest claim number (bumped by schedule and by each claim).
    claim: u64,
}

/// The live entry under `key`, dropping it if it expired.
fn live<'a, T>(map: &'a mut HashMap<Pair, Expiring<T>>, key: &Pair) -> Option<&'a mut T> {
    let now = Instant::now();
    if map.get(key).is_some_and(|e| !e.live(now)) {
        map.remove(key);
    }
    map.get_mut(key).map(|e| &mut e.value)
}
