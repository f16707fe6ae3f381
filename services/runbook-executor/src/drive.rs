//! Driving executions: load, apply an input with the pure machine, persist with
//! compare-and-set on the record's version, append the timeline events it decided, then carry
//! out its effects — timers, child executions, and the current attempt of an external step,
//! claimed in the store first so that it runs at most once per attempt on any replica.
//!
//! Every execution that can move on has a timer in the `runbook` timer set (its key is the
//! execution): its next deadline, or "now" after an outside signal. Whoever claims it drives the
//! execution; a replica that dies mid-step leaves the timer behind, and the next replica to
//! claim it resumes from the persisted state (a lost attempt times out at its deadline and the
//! next attempt starts, under a new key).

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tocsin_proto::records::{RunbookExecution, runbook_kinds};
use tocsin_runtime::records::RecordsError;
use tocsin_runtime::{Context, Records};
use tocsin_store::{Claim, Expect, StoreError};

use crate::config::RunbookConfig;
use crate::core::inputs::RunAction;
use crate::core::{self, Document, Effect, Input, StepOutcome};
use crate::script::{self, ScriptRun};
use crate::{awsapi, http, start};

/// Timer set of the runbook executor.
pub const TIMER_SET: &str = "runbook";
/// How long attempt claims and their results are remembered.
const CLAIM_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
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
    http: reqwest::Client,
}

impl Engine {
    /// An engine on `ctx`.
    pub fn new(ctx: Context, config: RunbookConfig) -> Self {
        Self {
            ctx,
            config: Arc::new(config),
            http: http::client(),
        }
    }

    /// Schedules the execution's timer at `due_ms`.
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
        let mut work = vec![(id.to_string(), input)];
        let mut first = None;
        while let Some((id, input)) = work.pop() {
            let mut next = Some(input);
            let mut last = None;
            while let Some(input) = next.take() {
                let (mut effects, exec) = self.step(records, &id, input).await?;
                // Timers first: a step's watchdog must be in place before the step runs.
                effects.sort_by_key(|e| matches!(e, Effect::Run { .. }));
                for effect in effects {
                    match effect {
                        Effect::Wake(at) => {
                            self.wake_at(records.account(), &id, at.timestamp_millis())
                                .await?
                        }
                        Effect::Finished => {
                            let _ = self
                                .ctx
                                .store
                                .cancel_timer(TIMER_SET, &timer_key(records.account(), &id))
                                .await;
                            if let Some(p) = &exec.parent {
                                let now = self.ctx.clock.now().timestamp_millis();
                                self.wake_at(records.account(), &p.execution_id, now)
                                    .await?;
                            }
                        }
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
                            let outcome = self.run(records, &exec, &key, &action, deadline).await?;
                            next = outcome.map(|outcome| Input::StepResult {
                                step,
                                attempt,
                                outcome,
                            });
                        }
                        Effect::Run { .. } => {
                            let now = self.ctx.clock.now().timestamp_millis();
                            self.wake_at(records.account(), &id, now).await?;
                        }
                    }
                }
                last = Some(exec);
            }
            self.flush(records, &id).await?;
            if first.is_none() {
                first = last;
            }
        }
        first.ok_or_else(|| DriveError::NotFound(id.to_string()))
    }

    /// One compare-and-set pass: returns the effects and the record as written.
    async fn step(
        &self,
        records: &Records,
        id: &str,
        input: Input,
    ) -> Result<(Vec<Effect>, RunbookExecution), DriveError> {
        for _ in 0..CAS_ATTEMPTS {
            let (mut exec, version) = records
                .get::<RunbookExecution>(runbook_kinds::EXECUTION, id)
                .await?
                .ok_or_else(|| DriveError::NotFound(id.to_string()))?;
            let pending = std::mem::take(&mut exec.outbox);
            self.append(records, &exec, &pending).await?;
            if exec.automation_execution_status.is_terminal() {
                if !pending.is_empty() {
                    match records
                        .put(
                            runbook_kinds::EXECUTION,
                            id,
                            &exec,
                            Expect::Version(version),
                        )
                        .await
                    {
                        Err(e) if conflict(&e) => continue,
                        other => other?,
                    };
                }
                return match input {
                    Input::Tick | Input::StepResult { .. } => Ok((vec![], exec)),
                    _ => Err(core::Refused(format!(
                        "execution {id} has ended ({})",
                        exec.automation_execution_status.as_str()
                    ))
                    .into()),
                };
            }
            let doc: Document = serde_json::from_value(exec.document.clone()).map_err(|e| {
                DriveError::Store(format!("execution {id} holds an unreadable document: {e}"))
            })?;
            let before = exec.clone();
            let effects = core::handle(&mut exec, &doc, self.ctx.clock.now(), input.clone())?;
            if exec != before || !pending.is_empty() {
                match records
                    .put(
                        runbook_kinds::EXECUTION,
                        id,
                        &exec,
                        Expect::Version(version),
                    )
                    .await
                {
                    Err(e) if conflict(&e) => continue,
                    other => other?,
                };
                // Appended now; the outbox is cleared by the next pass or the final flush.
                self.append(records, &exec, &exec.outbox).await?;
            }
            return Ok((effects, exec));
        }
        Err(DriveError::Store(format!(
            "execution {id} kept changing under concurrent writers"
        )))
    }

    async fn append(
        &self,
        records: &Records,
        exec: &RunbookExecution,
        events: &[tocsin_proto::records::TimelineEvent],
    ) -> Result<(), DriveError> {
        let Some(incident) = &exec.incident_id else {
            return Ok(());
        };
        for e in events {
            records.append_timeline(incident, e).await?;
        }
        Ok(())
    }

    /// Clears an outbox whose events were appended.
    async fn flush(&self, records: &Records, id: &str) -> Result<(), DriveError> {
        for _ in 0..CAS_ATTEMPTS {
            let Some((mut exec, version)) = records
                .get::<RunbookExecution>(runbook_kinds::EXECUTION, id)
                .await?
            else {
                return Ok(());
            };
            if exec.outbox.is_empty() {
                return Ok(());
            }
            let done = std::mem::take(&mut exec.outbox);
            self.append(records, &exec, &done).await?;
            match records
                .put(
                    runbook_kinds::EXECUTION,
                    id,
                    &exec,
                    Expect::Version(version),
                )
                .await
            {
                Err(e) if conflict(&e) => continue,
                other => {
                    other?;
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Runs one attempt of an external step, at most once: `None` when someone else holds it.
    async fn run(
        &self,
        records: &Records,
        exec: &RunbookExecution,
        key: &str,
        action: &RunAction,
        deadline: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<StepOutcome>, DriveError> {
        if let RunAction::Child {
            execution_id,
            document_name,
            document_version,
            parameters,
        } = action
        {
            return start::child(
                self,
                records,
                exec,
                execution_id,
                document_name,
                document_version.as_deref(),
                parameters,
            )
            .await;
        }
        let account = records.account();
        match self.ctx.store.claim(account, key, CLAIM_TTL).await? {
            Claim::InFlight => return Ok(None),
            Claim::Done(result) => {
                return Ok(Some(serde_json::from_str(&result).unwrap_or_else(|e| {
                    StepOutcome::Failed(format!("the recorded result is unreadable: {e}"))
                })));
            }
            Claim::New => {}
        }
        let left = (deadline - self.ctx.clock.now())
            .to_std()
            .unwrap_or(Duration::ZERO);
        let timeout = left.max(Duration::from_secs(1));
        let work_started = std::time::Instant::now();
        let outcome = match action {
            RunAction::Script {
                runtime,
                handler,
                script,
                payload,
            } => {
                let context = json!({
                    "automation:EXECUTION_ID": exec.automation_execution_id,
                    "idempotencyKey": key,
                    "incidentRecordArn": exec.incident_record_arn,
                });
                script::run(
                    &self.config,
                    ScriptRun {
                        runtime: *runtime,
                        handler: handler.as_deref(),
                        script,
                        payload,
                        context,
                        timeout,
                    },
                )
                .await
            }
            RunAction::Http {
                method,
                url,
                headers,
                body,
                expected,
            } => {
                let call = http::HttpCall {
                    method,
                    url,
                    headers,
                    body: body.as_ref(),
                    expected,
                    key,
                    timeout,
                };
                http::call(&self.config, &self.http, call).await
            }
            RunAction::AwsApi {
                service,
                api,
                request,
            } => awsapi::call(records, service, api, request).await,
            RunAction::Child { .. } => StepOutcome::Failed("unreachable".into()),
        };
        let _ = WORK_TIME.try_with(|w| w.set(w.get() + work_started.elapsed()));
        let recorded = serde_json::to_string(&outcome).unwrap_or_else(|_| Value::Null.to_string());
        self.ctx
            .store
            .complete(account, key, &recorded, CLAIM_TTL)
            .await?;
        Ok(Some(outcome))
    }
}

/// The timer key of an execution.
pub fn timer_key(account: &str, id: &str) -> String {
    format!("{account}:{id}")
}
