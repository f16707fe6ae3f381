//! Starting executions: for an incident from its response plan's `ssmAutomation` actions, by
//! hand (API/CLI), and as the child of an `aws:executeAutomation` step.
//!
//! Ids derive from what starts them (incident and action index; parent, step and attempt), so
//! a redelivered `incident.opened` or a replayed step finds the execution already there. An
//! execution that cannot run (unknown document, a parameter that does not fit, a dynamic value
//! given to the wrong type) is recorded as Failed with the reason, on the incident's timeline
//! too, rather than dropped.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use tocsin_core::ids::derive;
use tocsin_proto::records::{
    IncidentRecord, ResponsePlan, RunbookExecution, RunbookParent, RunbookStatus, TimelineEvent,
    runbook_kinds, runbook_timeline_types,
};
use tocsin_runtime::Records;
use tocsin_runtime::records::RecordsError;
use tocsin_store::{Expect, StoreError};

use crate::core::params::{self, IncidentFacts};
use crate::core::{self, StepOutcome, subst};
use crate::docs;
use crate::drive::{DriveError, Engine};

/// What to start.
#[derive(Debug, Clone, Default)]
pub struct StartRequest {
    /// Document name.
    pub document_name: String,
    /// Version (`$DEFAULT` when None).
    pub document_version: Option<String>,
    /// Values given, as JSON (plan values are lists of strings).
    pub parameters: BTreeMap<String, Value>,
    /// Dynamic variables by parameter name.
    pub dynamic: BTreeMap<String, String>,
    /// Cancel when the incident resolves.
    pub cancel_on_resolve: bool,
    /// Who starts it.
    pub executed_by: String,
}

/// An `ssmAutomation` action of a response plan (AWS wire shape, camelCase or PascalCase).
pub fn plan_actions(plan: &ResponsePlan) -> Vec<StartRequest> {
    let field = |o: &Value, camel: &str| -> Option<Value> {
        let mut pascal = camel.to_string();
        pascal[..1].make_ascii_uppercase();
        o.get(camel).or_else(|| o.get(&pascal)).cloned()
    };
    let mut out = Vec::new();
    for action in &plan.actions {
        let Some(ssm) = field(action, "ssmAutomation") else {
            continue;
        };
        let parameters = field(&ssm, "parameters")
            .and_then(|p| p.as_object().cloned())
            .unwrap_or_default()
            .into_iter()
            .collect();
        let dynamic = field(&ssm, "dynamicParameters")
            .and_then(|p| p.as_object().cloned())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(k, v)| {
                let var = field(&v, "variable").or(Some(v))?;
                Some((k, var.as_str()?.to_string()))
            })
            .collect();
        out.push(StartRequest {
            document_name: field(&ssm, "documentName")
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            document_version: field(&ssm, "documentVersion")
                .and_then(|v| v.as_str().map(str::to_string)),
            parameters,
            dynamic,
            cancel_on_resolve: field(action, "cancelOnResolve")
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
            executed_by: field(&ssm, "roleArn")
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_else(|| plan.arn.clone()),
        });
    }
    out
}

fn facts(incident: &IncidentRecord) -> IncidentFacts {
    IncidentFacts {
        arn: incident.arn.clone(),
        involved_resources: incident
            .related_items
            .iter()
            .filter(|r| r.identifier.item_type == "INVOLVED_RESOURCE")
            .filter_map(|r| r.identifier.value.arn.clone())
            .collect(),
    }
}

/// `{{ INCIDENT.TITLE }}` and friends in a plan's static values.
fn incident_values(
    given: &BTreeMap<String, Value>,
    incident: &IncidentRecord,
) -> BTreeMap<String, Value> {
    let vars: BTreeMap<String, Value> = [
        ("INCIDENT.TITLE", json!(incident.title)),
        ("INCIDENT.ARN", json!(incident.arn)),
        (
            "INCIDENT.ID",
            json!(incident.arn.rsplit('/').next().unwrap_or_default()),
        ),
        ("INCIDENT.IMPACT", json!(incident.impact.to_string())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    given
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                subst::substitute(v, &vars).unwrap_or_else(|_| v.clone()),
            )
        })
        .collect()
}

/// Starts the plan's runbooks for an opened incident; returns the execution ids.
pub async fn for_incident(
    engine: &Engine,
    records: &Records,
    incident_id: &str,
    incident: &IncidentRecord,
    plan: &ResponsePlan,
) -> Result<Vec<String>, DriveError> {
    let actions = plan_actions(plan);
    if incident.incident_record_source.opened_by_failover() && !actions.is_empty() {
        // Said on the timeline too, so the runbook tab tells the responders why it is empty.
        tracing::info!(
            incident_id,
            "Incident opened by a region failover: its runbooks do not start."
        );
        let now = engine.ctx.clock.now();
        let skipped = TimelineEvent {
            incident_record_arn: incident.arn.clone(),
            event_id: derive(&["runbook-timeline", incident_id, "failover-skipped"]),
            event_time: now,
            event_updated_time: now,
            event_type: runbook_timeline_types::EXECUTION.into(),
            event_data: json!({
                "status": "NotStarted",
                "documentNames": actions.iter().map(|a| &a.document_name).collect::<Vec<_>>(),
                "message": "the incident was opened by a cross-region failover: the response \
                            plan's runbooks do not start on their own (start one by hand if needed)",
            })
            .to_string(),
            event_references: vec![],
        };
        records.append_timeline(incident_id, &skipped).await?;
        return Ok(vec![]);
    }
    let mut ids = Vec::new();
    for (i, mut req) in actions.into_iter().enumerate() {
        req.parameters = incident_values(&req.parameters, incident);
        let id = derive(&[
            "runbook-execution",
            records.account(),
            incident_id,
            &i.to_string(),
        ]);
        create(
            engine,
            records,
            &id,
            &req,
            Some((incident_id, incident)),
            None,
        )
        .await?;
        ids.push(id);
    }
    Ok(ids)
}

/// Starts a document by hand, for an incident or on its own.
pub async fn manual(
    engine: &Engine,
    records: &Records,
    id: &str,
    req: &StartRequest,
    incident_id: Option<&str>,
) -> Result<RunbookExecution, DriveError> {
    let incident = match incident_id {
        Some(i) => Some((
            i,
            records
                .incident(i)
                .await?
                .map(|(r, _)| r)
                .ok_or_else(|| DriveError::NotFound(format!("incident {i}")))?,
        )),
        None => None,
    };
    create(
        engine,
        records,
        id,
        req,
        incident.as_ref().map(|(i, r)| (*i, r)),
        None,
    )
    .await
}

/// The child of an `aws:executeAutomation` step: started once, then its result reported when it
/// has ended (`None` while it runs).
pub async fn child(
    engine: &Engine,
    records: &Records,
    parent: &RunbookExecution,
    id: &str,
    name: &str,
    version: Option<&str>,
    parameters: &Value,
) -> Result<Option<StepOutcome>, DriveError> {
    if let Some((c, _)) = records
        .get::<RunbookExecution>(runbook_kinds::EXECUTION, id)
        .await?
    {
        let status = c.automation_execution_status;
        if !status.is_terminal() {
            return Ok(None);
        }
        let root = json!({"ExecutionId": id, "Status": status.as_str(), "Output": c.outputs});
        return Ok(Some(if status == RunbookStatus::Success {
            StepOutcome::Ok(root)
        } else {
            StepOutcome::Failed(format!(
                "child execution {id} ended {}: {}",
                status.as_str(),
                c.failure_message.unwrap_or_default()
            ))
        }));
    }
    let req = StartRequest {
        document_name: name.into(),
        document_version: version.map(str::to_string),
        parameters: parameters
            .as_object()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .collect(),
        dynamic: BTreeMap::new(),
        cancel_on_resolve: false,
        executed_by: parent.executed_by.clone(),
    };
    let link = RunbookParent {
        execution_id: parent.automation_execution_id.clone(),
        step_name: parent
            .current_step_index
            .and_then(|i| parent.step_executions.get(i))
            .map(|s| s.step_name.clone())
            .unwrap_or_default(),
    };
    let incident = match &parent.incident_id {
        Some(i) => records.incident(i).await?.map(|(r, _)| (i.clone(), r)),
        None => None,
    };
    let c = create(
        engine,
        records,
        id,
        &req,
        incident.as_ref().map(|(i, r)| (i.as_str(), r)),
        Some(link),
    )
    .await?;
    // A child that could not start is a failed step at once.
    if c.automation_execution_status == RunbookStatus::Failed {
        return Ok(Some(StepOutcome::Failed(
            c.failure_message.unwrap_or_default(),
        )));
    }
    Ok(None)
}

/// Writes the execution (unless it exists) and sets its timer to now.
async fn create(
    engine: &Engine,
    records: &Records,
    id: &str,
    req: &StartRequest,
    incident: Option<(&str, &IncidentRecord)>,
    parent: Option<RunbookParent>,
) -> Result<RunbookExecution, DriveError> {
    let now = engine.ctx.clock.now();
    let facts = incident.map(|(_, r)| facts(r));
    let mut exec =
        match docs::resolve(records, &req.document_name, req.document_version.as_deref()).await {
            Ok((doc, version)) => {
                let resolved = params::resolve(&doc, &req.parameters, &req.dynamic, facts.as_ref());
                let mut e = core::new_execution(
                    id,
                    &doc,
                    &req.document_name,
                    &version.document_version,
                    resolved.clone().unwrap_or_default(),
                    now,
                    &req.executed_by,
                );
                if let Err(why) = resolved {
                    fail(&mut e, why, now);
                }
                e
            }
            Err(docs::DocsError::Records(e)) => return Err(e.into()),
            Err(e) => {
                let mut e2 = core::new_execution(
                    id,
                    &empty_doc(),
                    &req.document_name,
                    req.document_version.as_deref().unwrap_or("$DEFAULT"),
                    BTreeMap::new(),
                    now,
                    &req.executed_by,
                );
                fail(&mut e2, e.to_string(), now);
                e2
            }
        };
    exec.parent = parent;
    exec.cancel_on_resolve = req.cancel_on_resolve;
    if let Some((incident_id, r)) = incident {
        exec.incident_id = Some(incident_id.into());
        exec.incident_record_arn = Some(r.arn.clone());
        if exec.automation_execution_status == RunbookStatus::Failed {
            exec.outbox.push(TimelineEvent {
                incident_record_arn: r.arn.clone(),
                event_id: derive(&["runbook-timeline", id, "start-failed"]),
                event_time: now,
                event_updated_time: now,
                event_type: runbook_timeline_types::EXECUTION.into(),
                event_data: json!({
                    "automationExecutionId": id,
                    "documentName": req.document_name,
                    "status": "Failed",
                    "message": exec.failure_message,
                })
                .to_string(),
                event_references: vec![],
            });
        }
    }
    match records
        .put(runbook_kinds::EXECUTION, id, &exec, Expect::Absent)
        .await
    {
        Ok(_) => {}
        Err(RecordsError::Store(StoreError::Conflict { .. })) => {
            if let Some((existing, _)) = records.get(runbook_kinds::EXECUTION, id).await? {
                exec = existing;
            }
        }
        Err(e) => return Err(e.into()),
    }
    engine
        .wake_at(records.account(), id, now.timestamp_millis())
        .await?;
    tracing::info!(execution_id = id, document = %req.document_name, status = exec.automation_execution_status.as_str(), "Runbook execution created.");
    Ok(exec)
}

fn empty_doc() -> core::Document {
    core::Document {
        description: None,
        schema_version: "0.3".into(),
        assume_role: None,
        parameters: BTreeMap::new(),
        main_steps: vec![],
        outputs: vec![],
    }
}

fn fail(e: &mut RunbookExecution, why: String, now: chrono::DateTime<chrono::Utc>) {
    e.automation_execution_status = RunbookStatus::Failed;
    e.failure_message = Some(why);
    e.execution_end_time = Some(now);
}
