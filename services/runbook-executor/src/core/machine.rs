//! The step state machine: `handle(execution, document, now, input) -> effects`.
//!
//! The execution record is the whole state; every decision is written into it (step states,
//! attempts, deadlines, outputs, timeline events in its outbox) so the shell persists it with
//! one compare-and-set and any replica can carry on from it. Work with outside effects is
//! never done here: an external step in progress yields [`Effect::Run`] for its current
//! attempt each time the execution is driven, and the shell runs it at most once per attempt
//! (a claim on [`attempt_key`]). Internal steps (branch, pause, approve, sleep) are decided
//! here directly.

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

    /// Starts step `i` (a fresh visit: attempt 1).
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
        s.attempt = 0;
        s.outputs.clear();
        s.response = None;
        s.failure_message = None;
        s.approvals.clear();
        s.execution_end_time = None;
        s.child_execution_id = None;
        self.start_attempt(i, step.action);
    }

    fn start_attempt(&mut self, i: usize, action: Action) {
        let doc = self.doc;
        let step = &doc.main_steps[i];
        let now = self.now;
        let inputs = subst::substitute(&step.inputs, &self.vars());
        let s = &mut self.e.step_executions[i];
        s.attempt += 1;
        s.execution_start_time = Some(now);
        let inputs = match inputs {
            Ok(v) => v,
            Err(e) => return self.attempt_failed(i, S::Failed, e),
        };
        s.inputs = Some(inputs.clone());
        let timeout = step
            .timeout_seconds
            .unwrap_or(action.default_timeout_secs());
        let deadline = (timeout > 0).then(|| now + chrono::Duration::seconds(timeout as i64));
        s.deadline = deadline;
        match action {
            Action::Pause | Action::Approve => {
                s.step_status = S::Waiting;
                self.e.automation_execution_status = S::Waiting;
                self.timeline_step(i, None);
                self.timeline_execution(S::Waiting, None);
                self.effects.extend(deadline.map(Effect::Wake));
            }
            Action::Sleep => match inputs::sleep_until(&inputs, now) {
                Ok(until) => {
                    s.step_status = S::InProgress;
                    s.deadline = Some(until);
                    self.e.automation_execution_status = S::InProgress;
                    self.timeline_step(i, None);
                    if until <= now {
                        self.succeed(i, BTreeMap::new(), None);
                    } else {
                        self.effects.push(Effect::Wake(until));
                    }
                }
                Err(e) => self.attempt_failed(i, S::Failed, e),
            },
            Action::Branch => match branch::choose(&inputs) {
                Ok(Some(next)) => {
                    s.step_status = S::Success;
                    s.execution_end_time = Some(now);
                    s.outputs
                        .insert("NextStep".into(), Value::String(next.clone()));
                    self.timeline_step(i, None);
                    match doc.step_index(&next) {
                        Some(j) => self.enter(j),
                        None => self.finish(S::Failed, Some(format!("no step named {next:?}"))),
                    }
                }
                Ok(None) => self.attempt_failed(
                    i,
                    S::Failed,
                    "no choice matched and the branch has no Default".into(),
                ),
                Err(e) => self.attempt_failed(i, S::Failed, e),
            },
            _ => {
                s.step_status = S::InProgress;
                self.e.automation_execution_status = S::InProgress;
                self.timeline_step(i, None);
                self.issue_run(i);
            }
        }
    }

    /// Emits the current attempt of external step `i` (and its watchdog).
    fn issue_run(&mut self, i: usize) {
        let doc = self.doc;
        let step = &doc.main_steps[i];
        let s = &mut self.e.step_executions[i];
        let id = &self.e.automation_execution_id;
        let child_id =
            tocsin_core::ids::derive(&["runbook-child", id, &step.name, &s.attempt.to_string()]);
        let inputs = s.inputs.clone().unwrap_or(Value::Null);
        let deadline = s.deadline.unwrap_or(self.now);
        match inputs::build(step.action, &inputs, &child_id) {
            Ok(action) => {
                if step.action == Action::ExecuteAutomation {
                    s.child_execution_id = Some(child_id);
                }
                self.effects.push(Effect::Run {
                    step: step.name.clone(),
                    attempt: s.attempt,
                    key: attempt_key(id, &step.name, s.attempt),
                    action,
                    deadline,
                });
                self.effects.push(Effect::Wake(deadline));
            }
            Err(e) => self.attempt_failed(i, S::Failed, e),
        }
    }

    fn tick(&mut self) {
        let doc = self.doc;
        let Some((i, s)) = self.current() else {
            return self.enter(0);
        };
        let action = doc.main_steps[i].action;
        let (status, deadline) = (s.step_status, s.deadline);
        let due = deadline.is_some_and(|d| self.now >= d);
        match (action, status) {
            (Action::Sleep, S::InProgress) if due => self.succeed(i, BTreeMap::new(), None),
            (Action::Pause | Action::Approve, S::Waiting) if due => self.attempt_failed(
                i,
                S::TimedOut,
                "nobody answered within timeoutSeconds".into(),
            ),
            (a, S::InProgress) if a.is_external() && due => self.attempt_failed(
                i,
                S::TimedOut,
                "the attempt did not finish within timeoutSeconds (or its executor was lost)"
                    .into(),
            ),
            (a, S::InProgress) if a.is_external() => self.issue_run(i),
            _ => self
                .effects
                .extend(deadline.filter(|_| !due).map(Effect::Wake)),
        }
    }

    fn result(&mut self, step: &str, attempt: u32, outcome: StepOutcome) {
        let doc = self.doc;
        let Some((i, s)) = self.current() else { return };
        if s.step_name != step || s.attempt != attempt || s.step_status != S::InProgress {
            return; // A late or replayed result of an attempt already decided.
        }
        match outcome {
            StepOutcome::Ok(root) => {
                let mut outputs = BTreeMap::new();
                for o in &doc.main_steps[i].outputs {
                    match subst::select(&root, &o.selector) {
                        Ok(Some(v)) => match subst::coerce_output(v, o.kind) {
                            Ok(v) => {
                                outputs.insert(o.name.clone(), v);
                            }
                            Err(e) => {
                                return self.attempt_failed(
                                    i,
                                    S::Failed,
                                    format!("output {}: {e}", o.name),
                                );
                            }
                        },
                        Ok(None) => {}
                        Err(e) => return self.attempt_failed(i, S::Failed, e),
                    }
                }
                if doc.main_steps[i].action == Action::ExecuteAutomation {
                    for k in ["ExecutionId", "Status", "Output"] {
                        if let Some(v) = root.get(k) {
                            outputs.insert(k.into(), v.clone());
                        }
                    }
                }
                self.succeed(i, outputs, Some(root));
            }
            StepOutcome::Failed(why) => self.attempt_failed(i, S::Failed, why),
            StepOutcome::TimedOut(why) => self.attempt_failed(i, S::TimedOut, why),
        }
    }

    fn succeed(&mut self, i: usize, outputs: BTreeMap<String, Value>, response: Option<Value>) {
        let now = self.now;
        let s = &mut self.e.step_executions[i];
        s.step_status = S::Success;
        s.execution_end_time = Some(now);
        s.deadline = None;
        s.outputs = outputs;
        s.response = response;
        self.timeline_step(i, None);
        self.advance(i);
    }

    fn advance(&mut self, i: usize) {
        let doc = self.doc;
        let step = &doc.main_steps[i];
        if step.is_end {
            return self.finish(S::Success, None);
        }
        match &step.next_step {
            Some(n) => match doc.step_index(n) {
                Some(j) => self.enter(j),
                None => self.finish(S::Failed, Some(format!("no step named {n:?}"))),
            },
            None if i + 1 < doc.main_steps.len() => self.enter(i + 1),
            None => self.finish(S::Success, None),
        }
    }

    fn attempt_failed(&mut self, i: usize, status: S, why: String) {
        let doc = self.doc;
        let step = &doc.main_steps[i];
        let s = &mut self.e.step_executions[i];
        s.failure_message = Some(why.clone());
        if step.action.is_external() && s.attempt < step.max_attempts {
            let note = format!("attempt {} {}: {why}; retrying", s.attempt, status.as_str());
            self.timeline_step(i, Some(note));
            return self.start_attempt(i, step.action);
        }
        s.step_status = status;
        s.execution_end_time = Some(self.now);
        s.deadline = None;
        self.timeline_step(i, None);
        match &step.on_failure {
            OnFailure::Abort => self.finish(
                status,
                Some(format!("Step {} {}: {why}", step.name, status.as_str())),
            ),
            OnFailure::Continue => self.advance_after_failure(i),
            OnFailure::Step(n) => match doc.step_index(n) {
                Some(j) => self.enter(j),
                None => self.finish(S::Failed, Some(format!("no step named {n:?}"))),
            },
        }
    }

    fn advance_after_failure(&mut self, i: usize) {
        let doc = self.doc;
        let step = &doc.main_steps[i];
        if step.is_end || (step.next_step.is_none() && i + 1 >= doc.main_steps.len()) {
            return self.finish(S::Success, None);
        }
        self.advance(i);
    }

    fn resume(&mut self, step: Option<String>, by: String) -> Result<(), Refused> {
        let doc = self.doc;
        let (i, s) = self
            .current()
            .ok_or_else(|| Refused("no step is waiting".into()))?;
        let action = doc.main_steps[i].action;
        if action != Action::Pause || s.step_status != S::Waiting {
            return Err(Refused(format!(
                "step {} is {} ({}), not a paused step",
                s.step_name,
                s.step_status.as_str(),
                s.action
            )));
        }
        if let Some(want) = step
            && want != s.step_name
        {
            return Err(Refused(format!(
                "step {want} is not the waiting step ({})",
                s.step_name
            )));
        }
        self.e.step_executions[i]
            .outputs
            .insert("ResumedBy".into(), Value::String(by));
        let outputs = self.e.step_executions[i].outputs.clone();
        self.e.automation_execution_status = S::InProgress;
        self.succeed(i, outputs, None);
        Ok(())
    }

    fn approve(
        &mut self,
        by: String,
        approve: bool,
        comment: Option<String>,
    ) -> Result<(), Refused> {
        let doc = self.doc;
        let (i, s) = self
            .current()
            .ok_or_else(|| Refused("no step is waiting".into()))?;
        if doc.main_steps[i].action != Action::Approve || s.step_status != S::Waiting {
            return Err(Refused(format!(
                "step {} is not waiting for approval",
                s.step_name
            )));
        }
        let (approvers, min) = inputs::approvers(s.inputs.as_ref().unwrap_or(&Value::Null));
        if !approvers.contains(&by) {
            return Err(Refused(format!(
                "{by} is not an approver of step {}",
                s.step_name
            )));
        }
        if s.approvals.iter().any(|a| a.approver == by) {
            return Err(Refused(format!(
                "{by} has already answered step {}",
                s.step_name
            )));
        }
        let now = self.now;
        let s = &mut self.e.step_executions[i];
        s.approvals.push(RunbookApproval {
            approver: by.clone(),
            approved: approve,
            comment,
            at: now,
        });
        if !approve {
            self.e.automation_execution_status = S::InProgress;
            self.attempt_failed(i, S::Failed, format!("rejected by {by}"));
        } else if s.approvals.iter().filter(|a| a.approved).count() >= min {
            let approved: Vec<Value> = s.approvals.iter().map(|a| json!(a.approver)).collect();
            self.e.automation_execution_status = S::InProgress;
            self.succeed(
                i,
                [("ApprovedBy".to_string(), Value::Array(approved))].into(),
                None,
            );
        } else {
            self.timeline_step(i, Some(format!("approved by {by}")));
        }
        Ok(())
    }

    fn cancel(&mut self, reason: String) {
        if let Some((i, s)) = self.current()
            && !s.step_status.is_terminal()
        {
            let child = s.child_execution_id.clone();
            let now = self.now;
            let s = &mut self.e.step_executions[i];
            s.step_status = S::Cancelled;
            s.execution_end_time = Some(now);
            s.deadline = None;
            self.timeline_step(i, None);
            self.effects.extend(child.map(Effect::CancelChild));
        }
        self.finish(S::Cancelled, Some(reason));
    }

    fn finish(&mut self, status: S, why: Option<String>) {
        let doc = self.doc;
        self.e.automation_execution_status = status;
        self.e.execution_end_time = Some(self.now);
        self.e.failure_message.clone_from(&why);
        let vars = self.vars();
        for name in &doc.outputs {
            if let Some(v) = vars.get(name) {
                self.e.outputs.insert(name.clone(), v.clone());
            }
        }
        self.timeline_execution(status, why);
        self.effects.retain(|e| matches!(e, Effect::CancelChild(_)));
        self.effects.push(Effect::Finished);
    }

    fn push_event(&mut self, mut data: Value, kind: &str) {
        let (Some(_), Some(arn)) = (&self.e.incident_id, &self.e.incident_record_arn) else {
            return;
        };
        self.e.timeline_seq += 1;
        let seq = self.e.timeline_seq;
        if let Some(m) = data.as_object_mut() {
            m.insert("sequence".into(), json!(seq));
        }
        let id = &self.e.automation_execution_id;
        self.e.outbox.push(TimelineEvent {
            incident_record_arn: arn.clone(),
            event_id: tocsin_core::ids::derive(&["runbook-timeline", id, &seq.to_string()]),
            event_time: self.now,
            event_updated_time: self.now,
            event_type: kind.into(),
            event_data: data.to_string(),
            event_references: vec![],
        });
    }

    fn timeline_step(&mut self, i: usize, note: Option<String>) {
        let s = &self.e.step_executions[i];
        let data = json!({
            "automationExecutionId": self.e.automation_execution_id,
            "documentName": self.e.document_name,
            "stepName": s.step_name,
            "action": s.action,
            "stepStatus": s.step_status.as_str(),
            "attempt": s.attempt,
            "message": note.or_else(|| s.failure_message.clone()),
        });
        self.push_event(data, runbook_timeline_types::STEP);
    }

    fn timeline_execution(&mut self, status: S, why: Option<String>) {
        let data = json!({
            "automationExecutionId": self.e.automation_execution_id,
            "documentName": self.e.document_name,
            "documentVersion": self.e.document_version,
            "status": status.as_str(),
            "message": why,
        });
        self.push_event(data, runbook_timeline_types::EXECUTION);
    }
}
