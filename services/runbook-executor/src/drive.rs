//! Driving executions: load, apply an input with the pure machine, persist with
//! compare-and-set on the record's version, append the timeline events it decided, then carry
//! out its effects — timers, child executions, and the current attempt of an external step,
//! claimed in the store first so that it runs at most once per attempt on any replica
//! (`attempt`).
//!
//! Every execution that can move on has a timer in the `runbook` timer set (its key is the
//! execution): its next deadline, or "now" after an outside signal. Whoever claims it drives the
//! execution; a replica that dies mid-step leaves the timer behind, and the next replica to
//! claim it resumes from the persisted state (a lost attempt times out at its deadline and the
//! next attempt starts, under a new key).
//!
//! A pass keeps its store round trips few. The record a step wrote is where the next step of
//! the same pass starts (a concurrent writer makes that step's compare-and-set fail, and only
//! then is the record read again). Writes that do not depend on each other go out together: the
//! step's watchdog timer and its attempt's claim, the attempt's result and the write that
//! records it in the execution, the timeline events of one write (one call). A poller's pass that ends the
//! execution without moving its timer leaves the timer's removal to the poller, which removes
//! the timer it claimed anyway.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tocsin_proto::records::{RunbookExecution, runbook_kinds};
use tocsin_runtime::records::{RecordsError, timeline_entry};
use tocsin_runtime::{Context, Records};
use tocsin_store::{Expect, StoreError};
use tokio::sync::{Notify, mpsc};

use crate::attempt::Attempt;
use crate::config::RunbookConfig;
use crate::core::{self, Document, Effect, Input};
use crate::http;
use crate::poll::PassReport;

/// Timer set of the runbook executor.
pub const TIMER_SET: &str = "runbook";
/// How long attempt claims and their results are remembered.
pub(crate) const CLAIM_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// Compare-and-set attempts before giving up for now.
const CAS_ATTEMPTS: usize = 16;

tokio::task_local! {
    /// Time the current task spent in the steps' own work (script, HTTP call, API read), when
    /// a caller (the benchmark) wants the executor's overhead apart from it.
    pub static WORK_TIME: std::cell::Cell<Duration>;
}

/// A timer's payload: which execution to drive.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Wake {
    /// Account.
    pub account: String,
    /// Execution id.
    pub execution_id: String,
}

/// Why driving failed.
#[derive(Debug, thiserror::Error)]
pub enum DriveError {
    /// No such execution.
    #[error("execution {0} does not exist")]
    NotFound(String),
    /// The machine refused the input.
    #[error(transparent)]
    Refused(#[from] core::Refused),
    /// The store failed or kept changing.
    #[error("store: {0}")]
    Store(String),
}

impl From<RecordsError> for DriveError {
    fn from(e: RecordsError) -> Self {
        DriveError::Store(e.to_string())
    }
}

impl From<StoreError> for DriveError {
    fn from(e: StoreError) -> Self {
        DriveError::Store(e.to_string())
    }
}

fn conflict(e: &RecordsError) -> bool {
    matches!(e, RecordsError::Store(StoreError::Conflict { .. }))
}

/// The executor's shell: context, settings and an HTTP client.
#[derive(Debug, Clone)]
pub struct Engine {
    /// Backends and clock.
    pub ctx: Context,
    /// Settings.
    pub config: Arc<RunbookConfig>,
    /// The client of `tocsin:http` steps.
    pub(crate) http: reqwest::Client,
    /// Wakes this replica's timer poller when a timer is set to now.
    pub(crate) due_now: Arc<Notify>,
    /// Where the timer poller reports its passes, if anyone listens.
    pub(crate) reports: Option<mpsc::UnboundedSender<PassReport>>,
    /// Turns of the script processes (`script_concurrency`).
    pub(crate) scripts: Arc<tokio::sync::Semaphore>,
}

impl Engine {
    /// An engine on `ctx`.
    pub fn new(ctx: Context, config: RunbookConfig) -> Self {
        Self {
            ctx,
            scripts: Arc::new(tokio::sync::Semaphore::new(
                config.script_concurrency.max(1),
            )),
            config: Arc::new(config),
            http: http::client(),
            due_now: Arc::new(Notify::new()),
            reports: None,
        }
    }

    /// The same engine, reporting each pass of its timer poller to `reports` (the benchmark
    /// measures executions with it).
    pub fn with_reports(mut self, reports: mpsc::UnboundedSender<PassReport>) -> Self {
        self.reports = Some(reports);
        self
    }

    /// Schedules the execution's timer at `due_ms`; a timer due already also wakes this
    /// replica's poller, so a start, a signal or a child's end is picked up at once.
    pub async fn wake_at(&self, account: &str, id: &str, due_ms: i64) -> Result<(), DriveError> {
        let payload = serde_json::to_string(&Wake {
            account: account.into(),
            execution_id: id.into(),
        })
        .unwrap_or_default();
        self.ctx
            .store
            .schedule_timer(TIMER_SET, &timer_key(account, id), due_ms, &payload)
            .await?;
        if due_ms <= self.ctx.clock.now().timestamp_millis() {
            self.due_now.notify_one();
        }
        Ok(())
    }

    /// Applies `input` to execution `id` and everything it leads to. With `run_steps` false (the
    /// API) external work is left to an executor: the execution's timer is set to now.
    pub async fn drive(
        &self,
        records: &Records,
        id: &str,
        input: Input,
        run_steps: bool,
    ) -> Result<RunbookExecution, DriveError> {
        Ok(self.pass(records, id, input, run_steps, false).await?.exec)
    }

    /// [`Engine::drive`]. With `holds_timer` the caller (the poller) holds the claimed timer of
    /// `id` and removes it afterwards unless the pass moved or removed it itself.
    pub(crate) async fn pass(
        &self,
        records: &Records,
        id: &str,
        input: Input,
        run_steps: bool,
        holds_timer: bool,
    ) -> Result<Passed, DriveError> {
        let mut work = vec![(id.to_string(), input)];
        let mut first = None;
        while let Some((current, input)) = work.pop() {
            let holds_timer = holds_timer && first.is_none();
            // Boxed: a pass over one execution is a large future.
            let passed = Box::pin(self.execution(
                records,
                &current,
                input,
                run_steps,
                holds_timer,
                &mut work,
            ))
            .await?;
            if first.is_none() {
                first = Some(passed);
            }
        }
        first.ok_or_else(|| DriveError::NotFound(id.to_string()))
    }

    /// Drives one execution: the input, then the results of the steps it runs, until it waits.
    /// Cancelled children are pushed onto `work`.
    async fn execution(
        &self,
        records: &Records,
        id: &str,
        input: Input,
        run_steps: bool,
        holds_timer: bool,
        work: &mut Vec<(String, Input)>,
    ) -> Result<Passed, DriveError> {
        let account = records.account();
        let mut known = Known::default();
        let mut next = Some(input);
        let mut recorded: Option<(String, String)> = None;
        let (mut rescheduled, mut finished) = (false, false);
        while let Some(input) = next.take() {
            let mut effects = match recorded.take() {
                None => self.step(records, id, input, &mut known).await?,
                // The attempt's result is recorded beside the write that carries it: either
                // one alone is enough for a replay of the attempt to find its outcome.
                Some((key, result)) => {
                    let (completed, stepped) = tokio::join!(
                        self.ctx.store.complete(account, &key, &result, CLAIM_TTL),
                        self.step(records, id, input, &mut known),
                    );
                    let effects = stepped?;
                    if let Err(e) = completed {
                        tracing::warn!(key, error = %e, "Cannot record the attempt's result; the execution holds it.");
                    }
                    effects
                }
            };
            let Some((exec, _)) = &known.record else {
                return Err(DriveError::NotFound(id.to_string()));
            };
            // Timers first: a step's watchdog must be in place before the step runs.
            effects.sort_by_key(|e| matches!(e, Effect::Run { .. }));
            let mut wakes = Vec::new();
            let mut run = None;
            for effect in effects {
                match effect {
                    Effect::Wake(at) => wakes.push(at.timestamp_millis()),
                    Effect::Finished => finished = true,
                    Effect::CancelChild(child) => {
                        let reason = format!("parent execution {id} was cancelled");
                        work.push((child, Input::Cancel { reason }));
                    }
                    Effect::Run {
                        step,
                        attempt,
                        key,
                        action,
                        deadline,
                    } if run_steps => {
                        run = Some(Attempt {
                            step,
                            attempt,
                            key,
                            action,
                            deadline,
                        })
                    }
                    Effect::Run { .. } => wakes.push(self.ctx.clock.now().timestamp_millis()),
                }
            }
            // The last one wins; with a step to run it is the step's watchdog, set together
            // with the attempt's claim.
            let due = wakes.pop();
            rescheduled |= due.is_some();
            for at in wakes {
                self.wake_at(account, id, at).await?;
            }
            let Some(a) = run else {
                if let Some(at) = due {
                    self.wake_at(account, id, at).await?;
                }
                continue;
            };
            if let Some(done) = self.attempt(records, exec, &a, due).await? {
                recorded = done.record.map(|r| (a.key, r));
                next = Some(Input::StepResult {
                    step: a.step,
                    attempt: a.attempt,
                    outcome: done.outcome,
                });
            }
        }
        // An ended execution: its outbox emptied, its timer removed (or left to the poller that
        // claimed it, when the pass did not move it), its parent woken — independent writes.
        let remove = finished && (rescheduled || !holds_timer);
        let parent = known
            .record
            .as_ref()
            .and_then(|(e, _)| e.parent.clone())
            .filter(|_| finished);
        let (flushed, (), woken) = tokio::join!(
            self.flush(records, id, &mut known),
            async {
                if remove {
                    let key = timer_key(account, id);
                    let _ = self.ctx.store.cancel_timer(TIMER_SET, &key).await;
                }
            },
            async {
                let Some(p) = &parent else { return Ok(()) };
                let now = self.ctx.clock.now().timestamp_millis();
                self.wake_at(account, &p.execution_id, now).await
            },
        );
        flushed?;
        woken?;
        let (exec, _) = known
            .record
            .ok_or_else(|| DriveError::NotFound(id.to_string()))?;
        Ok(Passed {
            exec,
            timer_settled: rescheduled || remove,
        })
    }

    /// One compare-and-set step: the effects of `input`, with the record as written in `known`.
    /// Starts from the record `known` holds (written by this pass, its outbox appended), and
    /// reads it again only when that one is unknown or someone else wrote since.
    async fn step(
        &self,
        records: &Records,
        id: &str,
        input: Input,
        known: &mut Known,
    ) -> Result<Vec<Effect>, DriveError> {
        for _ in 0..CAS_ATTEMPTS {
            let (mut exec, version, appended) = match known.record.take() {
                Some((exec, version)) => (exec, version, true),
                None => {
                    let (exec, version) = records
                        .get::<RunbookExecution>(runbook_kinds::EXECUTION, id)
                        .await?
                        .ok_or_else(|| DriveError::NotFound(id.to_string()))?;
                    (exec, version, false)
                }
            };
            let pending = std::mem::take(&mut exec.outbox);
            if !appended {
                self.append(records, &exec, &pending).await?;
            }
            let status = exec.automation_execution_status;
            if status.is_terminal() {
                let mut version = version;
                if !pending.is_empty() {
                    match self.write(records, id, &exec, version).await {
                        Err(e) if conflict(&e) => continue,
                        written => version = written?,
                    }
                }
                known.record = Some((exec, version));
                return match input {
                    Input::Tick | Input::StepResult { .. } => Ok(vec![]),
                    _ => Err(core::Refused(format!(
                        "execution {id} has ended ({})",
                        status.as_str()
                    ))
                    .into()),
                };
            }
            let doc = match known.doc {
                Some(ref doc) => doc,
                None => known.doc.insert(document(id, &exec)?),
            };
            // The machine never reads the stored document: keeping it aside spares a deep copy.
            let stored = std::mem::take(&mut exec.document);
            let before = exec.clone();
            let effects = core::handle(&mut exec, doc, self.ctx.clock.now(), input.clone())?;
            let changed = exec != before || !pending.is_empty();
            exec.document = stored;
            let mut version = version;
            if changed {
                match self.write(records, id, &exec, version).await {
                    Err(e) if conflict(&e) => continue,
                    written => version = written?,
                }
                // Appended now; the outbox is cleared by the next write or the final flush.
                self.append(records, &exec, &exec.outbox).await?;
            }
            known.record = Some((exec, version));
            return Ok(effects);
        }
        Err(DriveError::Store(format!(
            "execution {id} kept changing under concurrent writers"
        )))
    }

    /// Writes the record read (or written) at `version`; returns the new version.
    async fn write(
        &self,
        records: &Records,
        id: &str,
        exec: &RunbookExecution,
        version: u64,
    ) -> Result<u64, RecordsError> {
        records
            .put(runbook_kinds::EXECUTION, id, exec, Expect::Version(version))
            .await
    }

    /// Appends timeline events to the execution's incident, in one call (appends are idempotent
    /// by event id).
    async fn append(
        &self,
        records: &Records,
        exec: &RunbookExecution,
        events: &[tocsin_proto::records::TimelineEvent],
    ) -> Result<(), DriveError> {
        let Some(incident) = &exec.incident_id else {
            return Ok(());
        };
        let entries: Vec<_> = events.iter().map(timeline_entry).collect();
        records
            .store()
            .append_timeline_batch(records.account(), incident, &entries)
            .await?;
        Ok(())
    }

    /// Clears an outbox whose events were appended: from the record `known` holds when it is
    /// current, else read again.
    async fn flush(
        &self,
        records: &Records,
        id: &str,
        known: &mut Known,
    ) -> Result<(), DriveError> {
        if let Some((exec, version)) = &mut known.record {
            if exec.outbox.is_empty() {
                return Ok(());
            }
            let done = std::mem::take(&mut exec.outbox);
            match self.write(records, id, exec, *version).await {
                Ok(v) => {
                    *version = v;
                    return Ok(());
                }
                Err(e) if conflict(&e) => exec.outbox = done,
                Err(e) => return Err(e.into()),
            }
        }
        for _ in 0..CAS_ATTEMPTS {
            let Some((mut exec, version)) = records
                .get::<RunbookExecution>(runbook_kinds::EXECUTION, id)
                .await?
            else {
                return Ok(());
            };
            if exec.outbox.is_empty() {
                known.record = Some((exec, version));
                return Ok(());
            }
            let done = std::mem::take(&mut exec.outbox);
            self.append(records, &exec, &done).await?;
            match self.write(records, id, &exec, version).await {
                Err(e) if conflict(&e) => continue,
                written => {
                    known.record = Some((exec, written?));
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}

/// What one pass knows of the execution it drives.
#[derive(Default)]
struct Known {
    /// The record as the pass last wrote (or read) it, its outbox appended, and its version.
    record: Option<(RunbookExecution, u64)>,
    /// Its document, parsed once per pass (an execution's document never changes).
    doc: Option<Document>,
}

/// What a pass did to the execution it was asked to drive.
#[derive(Debug)]
pub(crate) struct Passed {
    /// The record as the pass left it.
    pub exec: RunbookExecution,
    /// Whether the pass moved or removed the execution's timer itself.
    pub timer_settled: bool,
}

/// The document an execution runs.
fn document(id: &str, exec: &RunbookExecution) -> Result<Document, DriveError> {
    Document::deserialize(&exec.document)
        .map_err(|e| DriveError::Store(format!("execution {id} holds an unreadable document: {e}")))
}

/// The timer key of an execution.
pub fn timer_key(account: &str, id: &str) -> String {
    format!("{account}:{id}")
}
