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

use tocsin_core::engine::Command;
use tocsin_proto::records::{Engagement, EngagementTimer, kinds};
use tocsin_runtime::{Context, Records};
use tocsin_store::ClaimedTimer;
use tokio_util::sync::CancellationToken;

use crate::drive::{TIMER_SET, drive};

/// How often a replica looks for due timers.
pub const TICK: Duration = Duration::from_millis(200);
/// How long a claimed timer stays hidden from other replicas.
const VISIBILITY: Duration = Duration::from_secs(60);
/// Timers claimed per poll.
const BATCH: usize = 64;
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
    for t in claimed {
        fire(ctx, &t, now).await;
    }
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
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(AUDIT_EVERY) => {}
        }
        audit(&ctx).await;
    }
}

/// One pass of the self-audit over the configured account; returns how many engagements it
/// repaired.
pub async fn audit(ctx: &Context) -> usize {
    let records = ctx.records();
    let engagements: Vec<Engagement> = match records.list(kinds::ENGAGEMENT).await {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(error = %e, "Self-audit could not list engagements.");
            return 0;
        }
    };
    let mut repaired = 0;
    for e in engagements.iter().filter(|e| !e.tocsin.outbox.is_empty()) {
        let id = tocsin_core::engine::engagement_id(e).to_string();
        // Start is a no-op for a started engagement; driving it carries the outbox out.
        match drive(ctx, &records, &id, Command::Start).await {
            Ok(()) => repaired += 1,
            Err(outcome) => {
                tracing::warn!(engagement_id = %id, ?outcome, "Self-audit could not repair an engagement.")
            }
        }
    }
    if repaired > 0 {
        tracing::warn!(
            repaired,
            "Self-audit carried out effects left behind by an interrupted pass."
        );
    }
    repaired
}
