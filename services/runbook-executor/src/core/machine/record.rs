//! How an execution ends, and the timeline events each transition puts in its outbox.

use super::*;

impl M<'_> {
    pub(super) fn finish(&mut self, status: S, why: Option<String>) {
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

    pub(super) fn push_event(&mut self, mut data: Value, kind: &str) {
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

    pub(super) fn timeline_step(&mut self, i: usize, note: Option<String>) {
        let s = &self.e.step_executions[i];
        let data = json!({
            "automationExecutionId": self.e.automation_execution_id,
            "documentName": self.e.document_name,
            "stepName": s.step_name,
            "action": s.action,
            "stepStatus": s.step_status.as_str(),
            "attempt": s.attempt - s.attempts_before,
            "message": note.or_else(|| s.failure_message.clone()),
        });
        self.push_event(data, runbook_timeline_types::STEP);
    }

    pub(super) fn timeline_execution(&mut self, status: S, why: Option<String>) {
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
