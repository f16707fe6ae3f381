//! Runbooks for incidents, end to end: started by `incident.opened`, paused steps resumed
//! through the API, the tutorial's runbook (timeline reads, Python scripts, a child runbook)
//! run unchanged, every transition on the incident's timeline.

use axum::http::StatusCode;
use serde_json::{Value, json};
use tocsin_proto::records::{
    FAILOVER_INVOKED_BY, RunbookStatus as S, kinds, runbook_timeline_types,
};
use tocsin_store::Expect;
use tocsin_testkit::{Kind, Receiver};

use crate::harness::{H, shape};

on_both_backends!(
    the_critical_incident_template_waits_at_each_phase_until_resumed,
    the_tutorial_runbook_restarts_the_alarm_instance_through_a_child_runbook,
    a_dynamic_value_of_the_wrong_type_fails_the_execution_with_the_reason,
    resolving_the_incident_cancels_when_the_plan_says_so,
    bad_documents_are_rejected_with_the_line_and_the_rule,
    a_failover_incident_starts_no_runbook_and_says_why,
);

const TEMPLATE: &str = "AWSIncidents-CriticalIncidentRunbookTemplate";

fn action(doc: &str, dynamic: Value, extra: Value) -> Value {
    let mut a = json!({"ssmAutomation": {
        "documentName": doc,
        "documentVersion": "$DEFAULT",
        "roleArn": "arn:aws:iam::123456789012:role/runbooks",
        "targetAccount": "RESPONSE_PLAN_OWNER_ACCOUNT",
        "parameters": {},
        "dynamicParameters": dynamic,
    }});
    if let (Some(m), Some(x)) = (a.as_object_mut(), extra.as_object()) {
        m.extend(x.clone());
    }
    a
}

async fn the_critical_incident_template_waits_at_each_phase_until_resumed(
    kind: Kind,
) -> anyhow::Result<()> {
    let h = H::new(kind).await?;
    let _executor = h.start();
    let dynamic = json!({"IncidentRecordArn": {"variable": "INCIDENT_RECORD_ARN"}});
    let incident = h
        .incident("inc-1", vec![action(TEMPLATE, dynamic, json!({}))])
        .await?;
    h.open(&incident).await?;
    h.open(&incident).await?; // redelivered: still one execution
    let id = crate::harness::wait_one(&h).await?;
    for (n, phase) in ["Triage", "Diagnosis", "Mitigation", "Recovery"]
        .iter()
        .enumerate()
    {
        let e = h
            .wait("the phase to wait", &id, |e| {
                e.step_executions[n].step_status == S::Waiting
            })
            .await?;
        assert_eq!(e.automation_execution_status, S::Waiting);
        assert_eq!(e.parameters["IncidentRecordArn"], json!(incident.arn));
        let (_, tab) = h
            .call("GET", "/v1/incidents/inc-1/runbooks", json!({}))
            .await;
        assert_eq!(tab["runbookStatus"], "AwaitingInput");
        let steps = &tab["automationExecutions"][0]["stepExecutions"];
        assert_eq!(steps[n]["place"], "current", "{tab}");
        assert!(
            steps[n]["description"].as_str().unwrap().len() > 40,
            "guidance text"
        );
        if n > 0 {
            assert_eq!(steps[n - 1]["place"], "past");
        }
        if n < 3 {
            assert_eq!(steps[n + 1]["place"], "future");
        }
        // Resuming a step that is not the waiting one is refused.
        let (status, _) = h
            .call(
                "POST",
                &format!("/v1/runbooks/executions/{id}/resume"),
                json!({"stepName": "Nope"}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, body) = h
            .call(
                "POST",
                &format!("/v1/runbooks/executions/{id}/resume"),
                json!({"stepName": phase, "by": "alice"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let e = h.ended(&id).await?;
    assert_eq!(e.automation_execution_status, S::Success);
    assert_eq!(h.executions().await.len(), 1);
    let timeline = h.timeline("inc-1").await;
    // Events of one instant keep their order through their sequence number.
    let mut steps: Vec<(u64, String, String)> = timeline
        .iter()
        .filter(|t| t.event_type == runbook_timeline_types::STEP)
        .map(|t| {
            let d: Value = serde_json::from_str(&t.event_data).unwrap();
            let name = d["stepName"].as_str().unwrap().to_string();
            (
                d["sequence"].as_u64().unwrap(),
                name,
                d["stepStatus"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    steps.sort();
    let steps: Vec<(String, String)> = steps.into_iter().map(|(_, n, s)| (n, s)).collect();
    let want: Vec<(String, String)> = ["Triage", "Diagnosis", "Mitigation", "Recovery"]
        .iter()
        .flat_map(|p| {
            [
                (p.to_string(), "Waiting".to_string()),
                (p.to_string(), "Success".to_string()),
            ]
        })
        .collect();
    assert_eq!(steps, want);
    let (_, tab) = h
        .call("GET", "/v1/incidents/inc-1/runbooks", json!({}))
        .await;
    assert_eq!(tab["runbookStatus"], "Success");
    Ok(())
}

/// The tutorial's runbook, as the user guide prints it (normalised indentation).
const TUTORIAL: &str = r#"
description: This runbook attempts to restart an Amazon EC2 instance that caused an incident.
schemaVersion: '0.3'
parameters:
  IncidentRecordArn:
    type: String
    description: The incident
mainSteps:
  - name: ListTimelineEvents
    action: 'aws:executeAwsApi'
    outputs:
      - Selector: '$.eventSummaries[0].eventId'
        Name: eventId
        Type: String
    inputs:
      Service: ssm-incidents
      Api: ListTimelineEvents
      incidentRecordArn: '{{IncidentRecordArn}}'
      filters:
        - key: eventType
          condition:
            equals:
              stringValue:
                - SSM Incident Trigger
    description: This step retrieves the ID of the first timeline event with the CloudWatch alarm details.
  - name: GetTimelineEvent
    action: 'aws:executeAwsApi'
    inputs:
      Service: ssm-incidents
      Api: GetTimelineEvent
      incidentRecordArn: '{{IncidentRecordArn}}'
      eventId: '{{ListTimelineEvents.eventId}}'
    outputs:
      - Name: eventData
        Selector: $.event.eventData
        Type: String
    description: This step retrieves the timeline event itself.
  - name: JsonDecode
    action: 'aws:executeScript'
    inputs:
      Runtime: python3.8
      Handler: script_handler
      Script: |-
        import json

        def script_handler(events, context):
          data = json.loads(events["eventData"])
          return data
      InputPayload:
        eventData: '{{GetTimelineEvent.eventData}}'
    outputs:
      - Name: rawData
        Selector: $.Payload.rawData
        Type: String
    description: This step parses the timeline event data.
  - name: JsonDecode2
    action: 'aws:executeScript'
    inputs:
      Runtime: python3.8
      Handler: script_handler
      Script: |-
        import json

        def script_handler(events, context):
          data = json.loads(events["rawData"])
          return data
      InputPayload:
        rawData: '{{JsonDecode.rawData}}'
    outputs:
      - Name: InstanceId
        Selector: '$.Payload.detail.configuration.metrics[0].metricStat.metric.dimensions.InstanceId'
        Type: String
    description: This step parses the CloudWatch event data.
  - name: RestartInstance
    action: 'aws:executeAutomation'
    inputs:
      DocumentName: AWS-RestartEC2Instance
      DocumentVersion: $DEFAULT
      RuntimeParameters:
        InstanceId: '{{JsonDecode2.InstanceId}}'
    description: This step restarts the Amazon EC2 instance
"#;

async fn the_tutorial_runbook_restarts_the_alarm_instance_through_a_child_runbook(
    kind: Kind,
) -> anyhow::Result<()> {
    let h = H::new(kind).await?;
    let ec2 = Receiver::start().await?;
    // A stand-in for AWS-RestartEC2Instance: the "EC2 API" is a peer on loopback.
    let restart = format!(
        "schemaVersion: '0.3'\nparameters:\n  InstanceId: {{type: String}}\nmainSteps:\n  - name: Restart\n    action: tocsin:http\n    inputs:\n      Url: '{}'\n      Method: POST\n      Body: {{instanceId: '{{{{ InstanceId }}}}', action: reboot}}\n",
        ec2.url("/ec2/reboot")
    );
    h.register("AWS-RestartEC2Instance", &restart).await?;
    h.register("IncidentResponseRunbook", TUTORIAL).await?;
    let dynamic = json!({"IncidentRecordArn": {"variable": "INCIDENT_RECORD_ARN"}});
    let incident = h
        .incident(
            "inc-7",
            vec![action("IncidentResponseRunbook", dynamic, json!({}))],
        )
        .await?;
    let alarm = json!({"source": "aws.cloudwatch", "detail-type": "CloudWatch Alarm State Change", "detail": {
        "alarmName": "HighCPU", "state": {"value": "ALARM"},
        "configuration": {"metrics": [{"id": "m1", "metricStat": {"metric": {
            "namespace": "AWS/EC2", "name": "CPUUtilization", "dimensions": {"InstanceId": "i-0abc123"}}}}]}}});
    let trigger: tocsin_proto::records::TimelineEvent = serde_json::from_value(json!({
        "incidentRecordArn": incident.arn, "eventId": "trigger-1",
        "eventTime": h.ctx.clock.now(), "eventUpdatedTime": h.ctx.clock.now(),
        "eventType": "SSM Incident Trigger",
        "eventData": json!({"rawData": alarm.to_string()}).to_string(),
    }))?;
    h.records.append_timeline("inc-7", &trigger).await?;
    let _executor = h.start();
    h.open(&incident).await?;
    let id = crate::harness::wait_one(&h).await?;
    let e = h.ended(&id).await?;
    assert_eq!(
        e.automation_execution_status,
        S::Success,
        "{:?}",
        e.failure_message
    );
    assert_eq!(
        e.step_executions[3].outputs["InstanceId"],
        json!("i-0abc123")
    );
    let child = e.step_executions[4].child_execution_id.clone().unwrap();
    assert_eq!(e.step_executions[4].outputs["Status"], json!("Success"));
    let c = h.execution(&child).await.unwrap();
    assert_eq!(c.parent.as_ref().unwrap().execution_id, id);
    let got = ec2.received();
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].json,
        json!({"instanceId": "i-0abc123", "action": "reboot"})
    );
    assert_eq!(
        got[0].header("idempotency-key"),
        Some(format!("runbook:{child}:Restart:1").as_str())
    );
    let kinds: Vec<String> = h
        .timeline("inc-7")
        .await
        .iter()
        .map(|t| t.event_type.clone())
        .collect();
    assert!(
        kinds
            .iter()
            .filter(|k| *k == runbook_timeline_types::STEP)
            .count()
            >= 10,
        "{kinds:?}"
    );
    Ok(())
}

async fn a_dynamic_value_of_the_wrong_type_fails_the_execution_with_the_reason(
    kind: Kind,
) -> anyhow::Result<()> {
    let h = H::new(kind).await?;
    let _executor = h.start();
    h.register("Needs-List", "schemaVersion: '0.3'\nparameters:\n  Arn: {type: StringList}\nmainSteps:\n  - name: a\n    action: aws:pause\n").await?;
    let dynamic = json!({"Arn": {"variable": "INCIDENT_RECORD_ARN"}});
    let incident = h
        .incident("inc-2", vec![action("Needs-List", dynamic, json!({}))])
        .await?;
    h.open(&incident).await?;
    let id = crate::harness::wait_one(&h).await?;
    let e = h.ended(&id).await?;
    assert_eq!(e.automation_execution_status, S::Failed);
    let why = e.failure_message.unwrap();
    assert!(
        why.contains("INCIDENT_RECORD_ARN can fill only a String parameter"),
        "{why}"
    );
    let tl = h.timeline("inc-2").await;
    assert!(
        tl.iter()
            .any(|t| t.event_type == runbook_timeline_types::EXECUTION
                && t.event_data.contains("can fill only"))
    );
    Ok(())
}

async fn resolving_the_incident_cancels_when_the_plan_says_so(kind: Kind) -> anyhow::Result<()> {
    let h = H::new(kind).await?;
    let _executor = h.start();
    let incident = h
        .incident(
            "inc-3",
            vec![action(
                TEMPLATE,
                json!({}),
                json!({"cancelOnResolve": true}),
            )],
        )
        .await?;
    h.open(&incident).await?;
    let id = crate::harness::wait_one(&h).await?;
    h.wait("Triage to wait", &id, |e| {
        e.automation_execution_status == S::Waiting
    })
    .await?;
    h.resolve(&incident).await?;
    let e = h.ended(&id).await?;
    assert_eq!(shape(&e).0, S::Cancelled);
    assert_eq!(e.step_executions[0].step_status, S::Cancelled);
    assert_eq!(
        e.step_executions[1].step_status,
        S::Pending,
        "later steps are not completed"
    );
    assert_eq!(
        e.failure_message.as_deref(),
        Some("the incident was resolved")
    );
    Ok(())
}

async fn bad_documents_are_rejected_with_the_line_and_the_rule(kind: Kind) -> anyhow::Result<()> {
    let h = H::new(kind).await?;
    let bad = "schemaVersion: '0.3'\nmainSteps:\n  - name: GetUnhealthyInstances\n    action: aws:executeScript\n    inputs:\n      Runtime: python3.8\n      Handler: h\n      Script: x\n  - name: RestartInstances\n    action: aws:changeInstanceState\n";
    let (status, body) = h
        .call(
            "POST",
            "/v1/runbooks/documents",
            json!({"name": "Seed-000", "content": bad}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["problems"][0]["line"], 10, "{body}");
    assert_eq!(body["problems"][0]["path"], "mainSteps[1].action");
    assert!(
        body["problems"][0]["rule"]
            .as_str()
            .unwrap()
            .contains("unknown action")
    );
    let (status, _) = h
        .call(
            "POST",
            "/v1/runbooks/documents",
            json!({"name": TEMPLATE, "content": bad}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "built-ins are read-only");
    // Versions: a second registration is version 2; $DEFAULT stays 1.
    let ok = "schemaVersion: '0.3'\nmainSteps:\n  - name: a\n    action: aws:pause\n";
    h.register("Versioned", ok).await?;
    h.register("Versioned", &ok.replace("name: a", "name: b"))
        .await?;
    let (_, doc) = h
        .call("GET", "/v1/runbooks/documents/Versioned", json!({}))
        .await;
    assert_eq!(
        (
            doc["document"]["defaultVersion"].as_str(),
            doc["document"]["latestVersion"].as_str()
        ),
        (Some("1"), Some("2"))
    );
    assert_eq!(doc["versions"].as_array().unwrap().len(), 2);
    let (_, list) = h.call("GET", "/v1/runbooks/documents", json!({})).await;
    assert!(
        list["documents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["name"] == TEMPLATE)
    );
    Ok(())
}

async fn a_failover_incident_starts_no_runbook_and_says_why(kind: Kind) -> anyhow::Result<()> {
    let h = H::new(kind).await?;
    let _executor = h.start();
    let mut incident = h
        .incident("inc-f", vec![action(TEMPLATE, json!({}), json!({}))])
        .await?;
    // Opened by the replicator in this region after the primary region failed.
    incident.incident_record_source.invoked_by = Some(FAILOVER_INVOKED_BY.into());
    h.records
        .put(kinds::INCIDENT, "inc-f", &incident, Expect::Any)
        .await?;
    h.open(&incident).await?;
    let said = tocsin_testkit::wait_until(
        "the timeline to say the runbook did not start",
        std::time::Duration::from_secs(20),
        || async {
            let tl = h.timeline("inc-f").await;
            tl.into_iter().find(|t| {
                t.event_type == runbook_timeline_types::EXECUTION
                    && t.event_data.contains("cross-region failover")
            })
        },
    )
    .await?;
    assert!(said.event_data.contains(TEMPLATE), "{}", said.event_data);
    assert!(h.executions().await.is_empty());
    // A source that merely mentions failover is not one: only the replicator's principal is.
    let other = h
        .incident("inc-g", vec![action(TEMPLATE, json!({}), json!({}))])
        .await?;
    let mut other_src = other.clone();
    other_src.incident_record_source.source = "custom.failover-drill".into();
    h.records
        .put(kinds::INCIDENT, "inc-g", &other_src, Expect::Any)
        .await?;
    h.open(&other).await?;
    crate::harness::wait_one(&h).await?;
    Ok(())
}
