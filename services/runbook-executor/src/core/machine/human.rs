//! What people do to a running execution: resume a paused step, approve or reject an
//! `aws:approve` step, cancel the execution (and its children).

use super::*;

impl M<'_> {
    pub(super) fn resume(&mut self, step: Option<String>, by: String) -> Result<(), Refused> {
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

    pub(super) fn approve(
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

    pub(super) fn cancel(&mut self, reason: String) {
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
}
