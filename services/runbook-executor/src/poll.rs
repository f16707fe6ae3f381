//! The timer poller: every tick, claim the due `runbook` timers and drive each execution in its
//! own task (at most `concurrency` at once). A claimed timer stays hidden for [`VISIBILITY`];
//! it is removed when the pass ends with nothing left to wait for, moved when the pass set a
//! new deadline, and fires again on another replica if this one dies mid-pass.

use std::sync::Arc;
use std::time::Duration;

use tocsin_runtime::Records;
use tocsin_store::ClaimedTimer;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::core::Input;
use crate::drive::{DriveError, Engine, TIMER_SET, Wake};

/// How long a claimed timer stays hidden from other replicas.
pub const VISIBILITY: Duration = Duration::from_secs(60);
/// Timers claimed per poll.
const BATCH: usize = 256;

/// Polls until `shutdown`, then lets running passes finish within the shutdown grace.
pub async fn poll(engine: Engine, shutdown: CancellationToken) {
    let permits = Arc::new(Semaphore::new(engine.config.concurrency));
    let mut tasks = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(engine.config.tick) => {}
        }
        while tasks.try_join_next().is_some() {}
        loop {
            let free = permits.available_permits().min(BATCH);
            if free == 0 {
                break;
            }
            let now = engine.ctx.clock.now().timestamp_millis();
            let claimed = match engine
                .ctx
                .store
                .claim_due_timers(TIMER_SET, now, free, VISIBILITY)
                .await
            {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "Cannot claim due runbook timers; retrying at the next tick.");
                    break;
                }
            };
            let n = claimed.len();
            for t in claimed {
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    break;
                };
                let engine = engine.clone();
                tasks.spawn(async move {
                    fire(&engine, &t).await;
                    drop(permit);
                });
            }
            if n < free {
                break;
            }
        }
    }
    let grace = engine.ctx.settings.shutdown_grace;
    let _ = tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
}

/// Drives the execution of one claimed timer.
pub async fn fire(engine: &Engine, t: &ClaimedTimer) {
    let wake: Wake = match serde_json::from_str(&t.payload) {
        Ok(w) => w,
        Err(e) => {
            tracing::error!(key = %t.key, error = %e, "Corrupt runbook timer; removing it.");
            let _ = engine.ctx.store.complete_timer(t).await;
            return;
        }
    };
    let records = Records::new(engine.ctx.store.clone(), wake.account.clone());
    let span = tracing::info_span!("runbook", execution_id = %wake.execution_id);
    let pass = engine.drive(&records, &wake.execution_id, Input::Tick, true);
    match pass.instrument(span).await {
        Ok(_) | Err(DriveError::NotFound(_)) => {
            let _ = engine.ctx.store.complete_timer(t).await;
        }
        Err(e) => {
            tracing::warn!(error = %e, "Runbook pass failed; the timer fires again after its visibility period.")
        }
    }
}
