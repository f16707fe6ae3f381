//! One attempt of an external step, run at most once on any replica: its key
//! (`runbook:<execution>:<step>:<attempt>`) is claimed in the store before the work starts,
//! together with the execution's watchdog timer, so both are in place when it runs. The result
//! goes back to the pass, which records it under the key beside the execution's next write.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tocsin_proto::records::RunbookExecution;
use tocsin_runtime::Records;
use tocsin_store::Claim;

use crate::core::StepOutcome;
use crate::core::inputs::RunAction;
use crate::drive::{CLAIM_TTL, DriveError, Engine, WORK_TIME};
use crate::script::{self, ScriptRun};
use crate::{awsapi, http, start};

/// The current attempt of an external step, as the machine issued it.
#[derive(Debug)]
pub(crate) struct Attempt {
    /// Step name.
    pub step: String,
    /// Attempt number.
    pub attempt: u32,
    /// Idempotency key of the attempt.
    pub key: String,
    /// The work.
    pub action: RunAction,
    /// Its time limit.
    pub deadline: DateTime<Utc>,
}

/// The outcome of an attempt that ran here or had run before.
#[derive(Debug)]
pub(crate) struct Done {
    /// Outcome.
    pub outcome: StepOutcome,
    /// The result to record under the attempt's key (None when it is recorded already).
    pub record: Option<String>,
}

impl Engine {
    /// Runs attempt `a` of execution `exec` unless someone else holds it (None), after setting
    /// the execution's timer to `watchdog`.
    pub(crate) async fn attempt(
        &self,
        records: &Records,
        exec: &RunbookExecution,
        a: &Attempt,
        watchdog: Option<i64>,
    ) -> Result<Option<Done>, DriveError> {
        let account = records.account();
        let id = &exec.automation_execution_id;
        let timer = async {
            match watchdog {
                Some(at) => self.wake_at(account, id, at).await,
                None => Ok(()),
            }
        };
        if let RunAction::Child {
            execution_id,
            document_name,
            document_version,
            parameters,
        } = &a.action
        {
            timer.await?;
            let outcome = start::child(
                self,
                records,
                exec,
                execution_id,
                document_name,
                document_version.as_deref(),
                parameters,
            )
            .await?;
            return Ok(outcome.map(|outcome| Done {
                outcome,
                record: None,
            }));
        }
        // Independent writes, in flight together; the work starts only once both are done.
        let (timer, claim) = tokio::join!(timer, self.ctx.store.claim(account, &a.key, CLAIM_TTL));
        if let Err(e) = timer {
            // Not run without its watchdog: the claim goes back, so the next pass can take it.
            if matches!(claim, Ok(Claim::New)) {
                let _ = self.ctx.store.release(account, &a.key).await;
            }
            return Err(e);
        }
        match claim? {
            Claim::InFlight => return Ok(None),
            Claim::Done(result) => {
                let outcome = serde_json::from_str(&result).unwrap_or_else(|e| {
                    StepOutcome::Failed(format!("the recorded result is unreadable: {e}"))
                });
                return Ok(Some(Done {
                    outcome,
                    record: None,
                }));
            }
            Claim::New => {}
        }
        let outcome = self.work(records, exec, a).await;
        let record = serde_json::to_string(&outcome).unwrap_or_else(|_| Value::Null.to_string());
        Ok(Some(Done {
            outcome,
            record: Some(record),
        }))
    }

    /// The step's own work, timed into [`WORK_TIME`] when the caller measures it.
    async fn work(&self, records: &Records, exec: &RunbookExecution, a: &Attempt) -> StepOutcome {
        let left = (a.deadline - self.ctx.clock.now())
            .to_std()
            .unwrap_or(Duration::ZERO);
        let timeout = left.max(Duration::from_secs(1));
        let key = &a.key;
        let started = std::time::Instant::now();
        let outcome = match &a.action {
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
                // Wait for a turn (the semaphore is never closed); the wait counts against the
                // step's timeout, as the attempt's deadline is already set.
                let _turn = self.scripts.acquire().await;
                let timeout = timeout
                    .saturating_sub(started.elapsed())
                    .max(Duration::from_secs(1));
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
        let _ = WORK_TIME.try_with(|w| w.set(w.get() + started.elapsed()));
        outcome
    }
}
