//! Attempts of a step: starting one (internal steps decided at once, external ones handed to
//! the shell as [`Effect::Run`]), their results, retries up to `maxAttempts`, timeouts, and
//! where the execution goes next (`nextStep`, `isEnd`, `onFailure`).

use super::*;

impl M<'_> {
    pub(super) fn start_attempt(&mut self, i: usize, action: Action) {
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
    pub(super) fn issue_run(&mut self, i: usize) {
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

    pub(super) fn tick(&mut self) {
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

    pub(super) fn result(&mut self, step: &str, attempt: u32, outcome: StepOutcome) {
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

    pub(super) fn succeed(
        &mut self,
        i: usize,
        outputs: BTreeMap<String, Value>,
        response: Option<Value>,
    ) {
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

    pub(super) fn advance(&mut self, i: usize) {
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

    pub(super) fn attempt_failed(&mut self, i: usize, status: S, why: String) {
        let doc = self.doc;
        let step = &doc.main_steps[i];
        let s = &mut self.e.step_executions[i];
        s.failure_message = Some(why.clone());
        let this_visit = s.attempt - s.attempts_before;
        if step.action.is_external() && this_visit < step.max_attempts {
            let note = format!("attempt {this_visit} {}: {why}; retrying", status.as_str());
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

    pub(super) fn advance_after_failure(&mut self, i: usize) {
        let doc = self.doc;
        let step = &doc.main_steps[i];
        if step.is_end || (step.next_step.is_none() && i + 1 >= doc.main_steps.len()) {
            return self.finish(S::Success, None);
        }
        self.advance(i);
    }
}
