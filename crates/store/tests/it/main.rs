//! The behaviour suite of the store, run against both backends.
//!
//! Every test is an `async fn(Store)`: [`suite!`] runs it once on a `MemoryStore` with paused
//! time and once on Redis under a throw-away namespace, so the two backends cannot drift apart.

mod claims;
mod connection;
mod incident_index;
mod incidents;
mod leases;
mod records;
mod timeline;
mod timers;

use std::{future::Future, time::Duration};

use tocsin_store::{Store, TimelineEntry};
use tokio::time::Instant;

/// Registers suite tests as `memory::<name>` and `redis::<name>`.
macro_rules! suite {
    ($($module:ident :: $test:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(start_paused = true)]
                async fn $test() -> anyhow::Result<()> {
                    crate::$module::$test(tocsin_store::Store::Memory(tocsin_store::MemoryStore::new())).await
                }
            )*
        }
        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() -> anyhow::Result<()> {
                    let (store, _namespace) = tocsin_store::testing::isolated_redis().await?;
                    crate::$module::$test(tocsin_store::Store::Redis(store)).await
                }
            )*
        }
    };
}

suite!(
    records::versions_and_conflicts,
    records::list_sorted_and_delete,
    records::list_pages_cover_every_record,
    records::fenced_put_after_release,
    records::fenced_put_after_expiry,
    timeline::timeline_is_idempotent_and_ordered,
    timeline::batch_appends_are_idempotent_like_single_ones,
    incidents::create_merge_and_replay,
    incidents::no_dedupe_creates_distinct_incidents,
    incidents::resolve_frees_the_dedupe_string,
    incidents::existing_incident_id_is_a_conflict,
    incidents::outcome_expires_with_its_ttl,
    incidents::concurrent_alarms_create_one_incident,
    incident_index::filters_follow_every_write,
    incident_index::pages_continue_after_their_cursor,
    claims::claim_lifecycle,
    claims::release_frees_only_in_flight_claims,
    claims::claims_expire,
    leases::lease_exclusivity_and_tokens,
    leases::lease_expiry_and_renewal,
    leases::concurrent_acquire_has_one_winner,
    timers::timer_claim_lifecycle,
    timers::reschedule_invalidates_claim,
    timers::cancel_removes_timer,
    timers::claims_earliest_first_up_to_limit,
    timers::concurrent_claimers_share_timers,
);

/// A timeline entry with a body derived from its id.
pub fn entry(id: &str, time_ms: i64) -> TimelineEntry {
    TimelineEntry {
        id: id.to_owned(),
        time_ms,
        data: format!("{{\"event\":\"{id}\"}}"),
    }
}

/// Waits for `check` to answer `Some` once `ttl` has run out, and returns its answer. On
/// memory, time is paused: advance it past the ttl and check once. On Redis, time is real:
/// poll until a deadline.
pub async fn after_expiry<T, F, Fut>(
    store: &Store,
    ttl: Duration,
    mut check: F,
) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    if let Store::Memory(_) = store {
        tokio::time::advance(ttl + Duration::from_millis(1)).await;
        return check()
            .await?
            .ok_or_else(|| anyhow::anyhow!("still holds after its ttl"));
    }
    let deadline = Instant::now() + ttl + Duration::from_secs(5);
    let mut poll = tokio::time::interval(Duration::from_millis(20));
    loop {
        poll.tick().await;
        if let Some(answer) = check().await? {
            return Ok(answer);
        }
        anyhow::ensure!(Instant::now() < deadline, "still holds long after its ttl");
    }
}

/// A short ttl: long enough for a test step on Redis, short enough to wait out.
pub const SHORT_TTL: Duration = Duration::from_millis(200);

/// A ttl no test outlives.
pub const LONG_TTL: Duration = Duration::from_secs(600);
