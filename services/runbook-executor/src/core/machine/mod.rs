//! The step state machine: `handle(execution, document, now, input) -> effects`.
//!
//! The execution record is the whole state; every decision is written into it (step states,
//! attempts, deadlines, outputs, timeline events in its outbox) so the shell persists it with
//! one compare-and-set and any replica can carry on from it. Work with outside effects is
//! never done here: an external step in progress yields [`Effect::Run`] for its current
//! attempt each time the execution is driven, and the shell runs it at most once per attempt
//! (a claim on [`attempt_key`]). Internal steps (branch, pause, approve, sleep) are decided
//! here directly.
//!
//! This file holds the inputs, effects and dispatch; [`attempts`] the life of a step's
//! attempts, [`human`] what people do (resume, approve, cancel), [`record`] the end of an
//! execution and its timeline events.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tocsin_proto::records::{
    RunbookApproval, RunbookExecution, RunbookStatus as S, RunbookStepExecution, TimelineEvent,
    runbook_timeline_types,
};

use super::document::{Action, Document, OnFailure};
use super::inputs::{self, RunAction};
use super::{branch, subst};

mod attempts;
mod human;
mod record;

/// What happened to an execution.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Look at it: start it if pending, check deadlines, re-issue the current attempt.
    Tick,
    /// The result of one attempt of an external step.
    StepResult {
        /// Step name.
        step: String,
        /// Attempt.
        attempt: u32,
        /// Outcome.
        outcome: StepOutcome,
    },
    /// A person resumes the paused step (`aws:pause`).
    Resume {
        /// The step expected to be waiting (None: whichever is).
        step: Option<String>,
        /// Who.
        by: String,
    },
    /// A person approves or rejects the waiting `aws:approve` step.
    Approve {
        /// Who (must be one of its Approvers).
        by: String,
        /// Approve (true) or reject.
        approve: bool,
        /// Comment.
        comment: Option<String>,
    },
    /// Stop it.
    Cancel {
        /// Who or why.
        reason: String,
    },
}

/// The outcome of one attempt.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum StepOutcome {
    /// Done: the value selectors apply to (`{"Payload": …}` for scripts and HTTP).
    Ok(Value),
    /// Failed, with the reason.
    Failed(String),
    /// Its time limit passed.
    TimedOut(String),
}

/// What the shell must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Run this attempt (at most once: claim `key` first).
    Run {
        /// Step name.
        step: String,
        /// Attempt.
        attempt: u32,
        /// Idempotency key of the attempt.
        key: String,
        /// The work.
        action: RunAction,
        /// Its time limit.
        deadline: DateTime<Utc>,
    },
    /// Drive the execution again at this time.
    Wake(DateTime<Utc>),
    /// The execution ended; its parent step (if any) should look at it.
    Finished,
    /// Cancel this child execution.
    CancelChild(String),
}

/// A refused request (resume of a step that is not paused, approval by a stranger, ...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// The idempotency key of one attempt of one step: claimed before the work, sent to HTTP
/// targets as `Idempotency-Key`.
pub fn attempt_key(execution_id: &str, step: &str, attempt: u32) -> String {
    format!("runbook:{execution_id}:{step}:{attempt}")
}

/// A fresh execution record of `doc` (Pending).
pub fn new_execution(
    id: &str,
    doc: &Document,
    name: &str,
    version: &str,
    parameters: BTreeMap<String, Value>,
    now: DateTime<Utc>,
    executed_by: &str,
) -> RunbookExecution {
    RunbookExecution {
        automation_execution_id: id.into(),
        document_name: name.into(),
        document_version: version.into(),
        automation_execution_status: S::Pending,
        incident_record_arn: None,
        incident_id: None,
        parameters,
        outputs: BTreeMap::new(),
        step_executions: doc
            .main_steps
            .iter()
            .map(|s| RunbookStepExecution {
                step_name: s.name.clone(),
                action: s.action.name().into(),
                description: s.description.clone(),
                step_status: S::Pending,
                attempt: 0,
                attempts_before: 0,
                execution_start_time: None,
                execution_end_time: None,
                deadline: None,
                inputs: None,
                outputs: BTreeMap::new(),
                response: None,
                failure_message: None,
                approvals: vec![],
                child_execution_id: None,
            })
            .collect(),
        current_step_index: None,
        execution_start_time: now,
        execution_end_time: None,
        failure_message: None,
        executed_by: executed_by.into(),
        parent: None,
        cancel_on_resolve: false,
        document: serde_json::to_value(doc).unwrap_or_default(),
        timeline_seq: 0,
        outbox: vec![],
    }
}

/// Internal steps decided in one pass at most (a branch loop without a wait is an error).
const MAX_INTERNAL: usize = 1000;

struct M<'a> {
    e: &'a mut RunbookExecution,
    doc: &'a Document,
    now: DateTime<Utc>,
    effects: Vec<Effect>,
    internal: usize,
}

/// Applies `input` to the execution.
pub fn handle(
    e: &mut RunbookExecution,
    doc: &Document,
    now: DateTime<Utc>,
    input: Input,
) -> Result<Vec<Effect>, Refused> {
    let mut m = M {
        e,
        doc,
        now,
        effects: Vec::new(),
        internal: 0,
    };
    m.apply(input)?;
    Ok(m.effects)
}

impl M<'_> {
    fn apply(&mut self, input: Input) -> Result<(), Refused> {
        let status = self.e.automation_execution_status;
        if status.is_terminal() {
            return match input {
                Input::Tick | Input::StepResult { .. } => Ok(()),
                _ => Err(Refused(format!(
                    "execution {} has ended ({})",
                    self.e.automation_execution_id,
                    status.as_str()
                ))),
            };
        }
        match input {
            Input::Tick if status == S::Pending => {
                self.e.automation_execution_status = S::InProgress;
                self.timeline_execution(S::InProgress, None);
                self.enter(0);
            }
            Input::Tick => self.tick(),
            Input::StepResult {
                step,
                attempt,
                outcome,
            } => self.result(&step, attempt, outcome),
            Input::Resume { step, by } => self.resume(step, by)?,
            Input::Approve {
                by,
                approve,
                comment,
            } => self.approve(by, approve, comment)?,
            Input::Cancel { reason } => self.cancel(reason),
        }
        Ok(())
    }

    fn current(&self) -> Option<(usize, &RunbookStepExecution)> {
        let i = self.e.current_step_index?;
        self.e.step_executions.get(i).map(|s| (i, s))
    }

    fn vars(&self) -> BTreeMap<String, Value> {
        let mut v: BTreeMap<String, Value> = self.e.parameters.clone();
        for s in &self.e.step_executions {
            for (k, val) in &s.outputs {
                v.insert(format!("{}.{k}", s.step_name), val.clone());
            }
        }
        v.insert(
            "automation:EXECUTION_ID".into(),
            Value::String(self.e.automation_execution_id.clone()),
        );
        if let Some(arn) = &self.e.incident_record_arn {
            v.insert("INCIDENT.ARN".into(), Value::String(arn.clone()));
        }
        v
    }

    /// Starts step `i` (a fresh visit: its attempt 1, numbered on from the earlier visits').
    fn enter(&mut self, i: usize) {
        let doc = self.doc;
        self.internal += 1;
        if self.internal > MAX_INTERNAL {
            return self.finish(
                S::Failed,
                Some("more than 1000 steps decided without waiting: a branch loop?".into()),
            );
        }
        let Some(step) = doc.main_steps.get(i) else {
            return self.finish(S::Success, None);
        };
        self.e.current_step_index = Some(i);
        let s = &mut self.e.step_executions[i];
        s.attempts_before = s.attempt;
        s.outputs.clear();
        s.response = None;
        s.failure_message = None;
        s.approvals.clear();
        s.execution_end_time = None;
        s.child_execution_id = None;
        self.start_attempt(i, step.action);
    }
}
