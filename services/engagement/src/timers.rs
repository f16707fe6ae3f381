//! Stage timers and the self-audit.
//!
//! Timers are data in a Redis sorted set (`engagement`), so they survive any replica: every
//! replica polls, claims due timers atomically (a claimed timer is hidden for a visibility
//! period and fires again if its claimer dies before completing it), drives the engagement,
//! then completes the timer. Timers carry the engagement's epoch and stage, so a late, replayed
//! or superseded timer changes nothing.
//!
//! The self-audit finds engagements whose outbox was left non-empty by an interrupted pass and
//! carries it out, so nothing decided is ever forgotten.

use std::time::Duration;

use futures_util::StreamExt;
use tocsin_core::engine::Command;
use tocsin_core::engine::timer_key;
use tocsin_proto::records::{ContactType, Engagement, EngagementStatus, EngagementTimer, kinds};
use tocsin_runtime::metrics::{AUDIT_REPAIRED, TIMER_LATENESS};
use tocsin_runtime::{Context, Records};
use tocsin_store::ClaimedTimer;
use tokio_util::sync::CancellationToken;

use crate::drive::{TIMER_SET, drive};

/// How often a replica looks for due timers.
pub const TICK: Duration = Duration::from_millis(100);
/// How long a claimed timer stays hidden from other replicas.
const VISIBILITY: Duration = Duration::from_secs(60);
/// Timers claimed per poll.
const BATCH: usize = 64;
/// Timers fired at once by one replica.
const FIRE_CONCURRENCY: usize = 32;
/// How often the self-audit runs.
pub const AUDIT_EVERY: Duration = Duration::from_secs(30);

/// Polls the timer set until `shutdown`.
pub async fn poll(ctx: Context, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(TICK) => {}
        }
        while fire_due(&ctx).await == BATCH {}
    }
}

/// Claims and fires the timers due now; returns how many were claimed.
pub async fn fire_due(ctx: &Context) -> usize {
    let now = ctx.clock.now().timestamp_millis();
    let claimed = match ctx
        .store
        .claim_due_timers(TIMER_SET, now, BATCH, VISIBILITY)
        .await
    {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "Cannot claim due timers; retrying at the next tick.");
            return 0;
        }
    };
    let n = claimed.len();
    // Timers of different engagements are independent; those of one engagement meet at its
    // compare-and-set. Firing them side by side keeps lateness low when many fall due at once.
    futures_util::stream::iter(claimed)
        .for_each_concurrent(
            FIRE_CONCURRENCY,
            |t| async move { fire(ctx, &t, now).await },
        )
        .await;
    n
}

async fn fire(ctx: &Context, t: &ClaimedTimer, now_ms: i64) {
    let timer: EngagementTimer = match serde_json::from_str(&t.payload) {
        Ok(timer) => timer,
        Err(e) => {
            tracing::error!(key = %t.key, error = %e, "Corrupt timer; removing it.");
            let _ = ctx.store.complete_timer(t).await;
            return;
        }
    };
    let lateness_ms = now_ms - t.due_ms;
    metrics::histogram!(TIMER_LATENESS).record(lateness_ms.max(0) as f64 / 1000.0);
    let span = tracing::info_span!("timer", engagement_id = %timer.engagement_id, stage = timer.stage_index, lateness_ms);
    let _guard = span.enter();
    let records = Records::new(ctx.store.clone(), timer.account.clone());
    let id = timer.engagement_id.clone();
    match drive(ctx, &records, &id, Command::Timer(timer)).await {
        Ok(()) => {
            if let Err(e) = ctx.store.complete_timer(t).await {
                tracing::warn!(error = %e, "Could not complete a fired timer; it will fire again, harmlessly.");
            }
        }
        Err(outcome) => tracing::warn!(
            ?outcome,
            "Timer not handled; it fires again after its visibility period."
        ),
    }
}

/// Runs the self-audit every [`AUDIT_EVERY`] until `shutdown`.
pub async fn audit_loop(ctx: Context, shutdown: CancellationToken) {
    let mut suspects = Suspects::new();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(AUDIT_EVERY) => {}
        }
        audit(&ctx, &mut suspects).await;
    }
}

/// Engagements seen with a non-empty outbox by the previous pass, with the version they had.
/// An outbox is normally carried out within milliseconds of being written; one still there,
/// unchanged, a whole audit period later was left behind by a replica that died.
pub type Suspects = std::collections::HashMap<String, u64>;

/// One pass of the self-audit over the configured account; returns how many engagements it
/// repaired. It sweeps the engagements a page at a time, so its memory and each Redis call stay
/// small however many engagements exist. It repairs only what `suspects` (the previous pass)
/// already saw stuck at the same version, so it never races a replica doing its own work.
pub async fn audit(ctx: &Context, suspects: &mut Suspects) -> usize {
    let previous = std::mem::take(suspects);
    let records = ctx.records();
    let account = records.account().to_owned();
    let mut repaired = 0;
    let mut cursor = 0;
    loop {
        let (next, page) = match ctx
            .store
            .list_page(&account, kinds::ENGAGEMENT, cursor, AUDIT_PAGE)
            .await
        {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "Self-audit could not list engagements.");
                break;
            }
        };
        let mut stuck = Vec::new();
        let mut running = Vec::new();
        for (id, v) in page {
            let Ok(e) = serde_json::from_str::<Engagement>(&v.data) else {
                continue;
            };
            if e.tocsin.outbox.is_empty() {
                if needs_stage_timer(&e) {
                    running.push((id, v.version, e));
                }
                continue;
            }
            if previous.get(&id) == Some(&v.version) {
                stuck.push(e);
            } else {
                suspects.insert(id, v.version);
            }
        }
        repaired += repair(ctx, &records, stuck.into_iter()).await;
        repaired += restore_timers(ctx, &account, running, &previous, suspects).await;
        if next == 0 {
            break;
        }
        cursor = next;
    }
    if repaired > 0 {
        metrics::counter!(AUDIT_REPAIRED).increment(repaired as u64);
        tracing::warn!(
            repaired,
            "Self-audit carried out effects left behind by an interrupted pass."
        );
    }
    repaired
}

/// A running personal or escalation plan always has its next stage's timer pending (an
/// on-call schedule's engagement has none: its members' engagements carry the plan).
fn needs_stage_timer(e: &Engagement) -> bool {
    e.tocsin.status == EngagementStatus::Active
        && matches!(
            e.tocsin.contact_type,
            Some(ContactType::Personal | ContactType::Escalation)
        )
}

/// The stage timer of a running engagement.
fn stage_timer(account: &str, e: &Engagement) -> EngagementTimer {
    EngagementTimer {
        account: account.to_owned(),
        engagement_id: tocsin_core::engine::engagement_id(e).to_owned(),
        stage_index: e.tocsin.stage_index + 1,
        cycle: e.tocsin.cycle,
        epoch: e.tocsin.epoch,
        retry: None,
        ack_timeout: false,
    }
}

/// Running engagements without a pending stage timer, seen so by the previous pass too, get
/// their next stage now: late is better than never. Returns how many were restored.
async fn restore_timers(
    ctx: &Context,
    account: &str,
    running: Vec<(String, u64, Engagement)>,
    previous: &Suspects,
    suspects: &mut Suspects,
) -> usize {
    let keys: Vec<String> = running
        .iter()
        .map(|(_, _, e)| timer_key(&stage_timer(account, e)))
        .collect();
    let exists = match ctx.store.timers_exist(TIMER_SET, &keys).await {
        Ok(x) => x,
        Err(e) => {
            tracing::warn!(error = %e, "Self-audit could not check stage timers.");
            return 0;
        }
    };
    let mut restored = 0;
    for ((id, version, e), (key, exists)) in running.into_iter().zip(keys.into_iter().zip(exists)) {
        if exists {
            continue;
        }
        if previous.get(&id) != Some(&version) {
            suspects.insert(id, version);
            continue;
        }
        let timer = stage_timer(account, &e);
        let payload = serde_json::to_string(&timer).unwrap_or_default();
        let now = ctx.clock.now().timestamp_millis();
        match ctx
            .store
            .schedule_timer(TIMER_SET, &key, now, &payload)
            .await
        {
            Ok(()) => {
                tracing::warn!(engagement_id = %id, stage = timer.stage_index, "Self-audit found a running engagement without its stage timer; its next stage starts now.");
                restored += 1;
            }
            Err(err) => {
                tracing::warn!(engagement_id = %id, error = %err, "Self-audit could not restore a stage timer.")
            }
        }
    }
    restored
}

/// Engagements read per self-audit page.
const AUDIT_PAGE: usize = 200;

/// Carries out the outboxes of `stuck` engagements; returns how many it repaired.
async fn repair(
    ctx: &Context,
    records: &Records,
    stuck: impl Iterator<Item = Engagement>,
) -> usize {
    let mut repaired = 0;
    for e in stuck {
        let id = tocsin_core::engine::engagement_id(&e).to_string();
        // Start is a no-op for a started engagement; driving it carries the outbox out.
        match drive(ctx, records, &id, Command::Start).await {
            Ok(()) => repaired += 1,
            Err(outcome) => {
                tracing::warn!(engagement_id = %id, ?outcome, "Self-audit could not repair an engagement.")
            }
        }
    }
    repaired
}
