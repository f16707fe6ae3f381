//! The timer poller: claim the due `runbook` timers and drive each execution in its own task (at
//! most `concurrency` at once), then wait for the next tick — or less, when this replica sets a
//! timer to now (a start, a signal, a child's end wakes the poller at once). A claimed timer
//! stays hidden for [`VISIBILITY`]; it is removed when the pass ends with nothing left to wait
//! for, moved when the pass set a new deadline, and fires again on another replica if this one
//! dies mid-pass.

use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tocsin_proto::records::RunbookStatus;
use tocsin_runtime::Records;
use tocsin_store::ClaimedTimer;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::core::Input;
use crate::drive::{DriveError, Engine, TIMER_SET, WORK_TIME, Wake};

/// How long a claimed timer stays hidden from other replicas.
pub const VISIBILITY: Duration = Duration::from_secs(60);
/// Timers claimed per poll.
const BATCH: usize = 256;

/// One pass of the poller over one execution, for whoever watches (see
/// [`Engine::with_reports`]).
#[derive(Debug, Clone)]
pub struct PassReport {
    /// Execution id.
    pub execution_id: String,
    /// Its status after the pass; None when the pass failed or the execution does not exist.
    pub status: Option<RunbookStatus>,
    /// Time the pass spent in the steps' own work (scripts, HTTP calls, API reads).
    pub work: Duration,
    /// When the pass ended, its timer moved or removed.
    pub at: Instant,
}

/// Polls until `shutdown`, then lets running passes finish within the shutdown grace.
pub async fn poll(engine: Engine, shutdown: CancellationToken) {
    let permits = Arc::new(Semaphore::new(engine.config.concurrency));
    let mut tasks = JoinSet::new();
    loop {
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
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(engine.config.tick) => {}
            _ = engine.due_now.notified() => {}
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
    let pass = engine.pass(&records, &wake.execution_id, Input::Tick, true, true);
    let (passed, work) = WORK_TIME
        .scope(Cell::new(Duration::ZERO), async {
            let passed = pass.instrument(span).await;
            (passed, WORK_TIME.with(Cell::get))
        })
        .await;
    let status = match passed {
        Ok(p) => {
            if !p.timer_settled {
                let _ = engine.ctx.store.complete_timer(t).await;
            }
            Some(p.exec.automation_execution_status)
        }
        Err(DriveError::NotFound(_)) => {
            let _ = engine.ctx.store.complete_timer(t).await;
            None
        }
        Err(e) => {
            tracing::warn!(error = %e, "Runbook pass failed; the timer fires again after its visibility period.");
            None
        }
    };
    if let Some(reports) = &engine.reports {
        let _ = reports.send(PassReport {
            execution_id: wake.execution_id,
            status,
            work,
            at: Instant::now(),
        });
    }
}
