//! Runbooks through the real binary on real RabbitMQ and Redis: `tocsin run` with the ingest,
//! runbook-executor and api roles; an alarm opens an incident whose plan names the
//! critical-incident template; the paused phases are resumed with `tocsin runbook resume` and
//! through the API; the timeline shows every step.

use std::process::{Command, Stdio};

use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tocsin_proto::records::{ResponsePlan, kinds, runbook_timeline_types};
use tocsin_runtime::Records;
use tocsin_store::Expect;
use tocsin_testkit::{Kind, TestBackends, wait_until};

use crate::fleet::DEADLINE;
use crate::procs::Proc;

const BIN: &str = env!("CARGO_BIN_EXE_tocsin");
const TOKEN: &str = "e2e-token-runbooks-0123456789";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_runs_the_critical_incident_template_resumed_from_the_cli_and_the_api()
-> anyhow::Result<()> {
    let b = TestBackends::new(Kind::Real).await?;
    let account = b.settings.account_id.clone();
    let plan_arn = format!("arn:aws:ssm-incidents::{account}:response-plan/web-down");
    let plan: ResponsePlan = serde_json::from_value(json!({
        "arn": plan_arn,
        "name": "web-down",
        "incidentTemplate": {"title": "Web down", "impact": 1},
        "actions": [{"ssmAutomation": {
            "documentName": "AWSIncidents-CriticalIncidentRunbookTemplate",
            "documentVersion": "$DEFAULT",
            "roleArn": format!("arn:aws:iam::{account}:role/runbooks"),
            "targetAccount": "RESPONSE_PLAN_OWNER_ACCOUNT",
            "dynamicParameters": {"IncidentRecordArn": {"variable": "INCIDENT_RECORD_ARN"}}
        }}]
    }))?;
    Records::new(b.store.clone(), account.clone())
        .put(kinds::RESPONSE_PLAN, "web-down", &plan, Expect::Any)
        .await?;

    let api = {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        format!("127.0.0.1:{}", l.local_addr()?.port())
    };
    let env = |c: &mut Command| {
        c.env("TOCSIN_AMQP_URL", b.settings.amqp_url.expose_secret())
            .env("TOCSIN_REDIS_URL", b.settings.redis_url.expose_secret())
            .env("TOCSIN_NAMESPACE", &b.settings.namespace)
            .env("TOCSIN_API_ADDR", &api)
            .env("TOCSIN_API_TOKEN", TOKEN)
            .env("TOCSIN_INGEST_ADDR", "127.0.0.1:0")
            .env("TOCSIN_LOG", "warn");
    };
    let cli = |args: &[&str]| -> anyhow::Result<String> {
        let mut c = Command::new(BIN);
        c.args(args);
        env(&mut c);
        let out = c.output()?;
        anyhow::ensure!(
            out.status.success(),
            "tocsin {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let mut c = Command::new(BIN);
    c.args([
        "run",
        "--role",
        "ingest",
        "--role",
        "runbook-executor",
        "--role",
        "api",
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::inherit());
    env(&mut c);
    let _fleet = Proc(c.spawn()?);

    // The executor declares its queue when it starts (the fleet topology does not list it yet):
    // publish once it is there, so the incident's `incident.opened` reaches it.
    wait_until("the runbook queue", DEADLINE, || async {
        b.bus
            .message_count(tocsin_proto::routing::QUEUE_RUNBOOK)
            .await
            .ok()
    })
    .await?;
    let dir = tempfile::tempdir()?;
    let alarm = dir.path().join("alarm.json");
    std::fs::write(
        &alarm,
        json!({"responsePlanArn": plan_arn, "title": "web-1 down", "clientToken": "rb-e2e-1"})
            .to_string(),
    )?;
    cli(&["publish", "-f", alarm.to_str().unwrap_or_default()])?;

    let http = reqwest::Client::new();
    let get = |path: String| {
        let http = http.clone();
        let url = format!("http://{api}{path}");
        async move {
            let r = http.get(url).bearer_auth(TOKEN).send().await.ok()?;
            r.status()
                .is_success()
                .then_some(r)?
                .json::<Value>()
                .await
                .ok()
        }
    };
    let incident = wait_until("the incident", DEADLINE, || async {
        let v = get("/v1/incidents".into()).await?;
        let arn = v["incidentRecords"][0]["arn"].as_str()?.to_string();
        Some(arn.rsplit('/').next()?.to_string())
    })
    .await?;
    let tab = |phase: &'static str| {
        let get = &get;
        let incident = incident.clone();
        async move {
            wait_until(&format!("{phase} to wait"), DEADLINE, || async {
                let v = get(format!("/v1/incidents/{incident}/runbooks")).await?;
                let e = v["automationExecutions"][0].clone();
                let current = e["stepExecutions"]
                    .as_array()?
                    .iter()
                    .find(|s| s["place"] == "current")?
                    .clone();
                (v["runbookStatus"] == "AwaitingInput" && current["stepName"] == phase).then(|| {
                    e["automationExecutionId"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string()
                })
            })
            .await
        }
    };
    let id = tab("Triage").await?;
    cli(&[
        "runbook", "resume", &id, "--step", "Triage", "--by", "alice",
    ])?;
    tab("Diagnosis").await?;
    cli(&["runbook", "resume", &id, "--step", "Diagnosis"])?;
    tab("Mitigation").await?;
    for phase in ["Mitigation", "Recovery"] {
        if phase == "Recovery" {
            tab("Recovery").await?;
        }
        let r = http
            .post(format!("http://{api}/v1/runbooks/executions/{id}/resume"))
            .bearer_auth(TOKEN)
            .json(&json!({"stepName": phase, "by": "bob"}))
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "resume {phase}: {}", r.status());
    }
    wait_until("the runbook to succeed", DEADLINE, || async {
        let v = get(format!("/v1/incidents/{incident}/runbooks")).await?;
        (v["runbookStatus"] == "Success").then_some(())
    })
    .await?;
    let shown = cli(&["runbook", "show", &id])?;
    assert!(shown.contains("Success"), "{shown}");

    let timeline = wait_until("every step on the timeline", DEADLINE, || async {
        let v = get(format!("/v1/incidents/{incident}/timeline")).await?;
        let steps = v["timelineEvents"]
            .as_array()?
            .iter()
            .filter(|e| e["eventType"] == runbook_timeline_types::STEP)
            .count();
        (steps == 8).then_some(v)
    })
    .await?;
    assert!(
        timeline["timelineEvents"]
            .as_array()
            .is_some_and(|a| a.iter().any(|e| e["eventType"] == "SSM Incident Trigger"))
    );
    // The runbook routes sit behind the bearer token like every /v1 route.
    let status = http
        .get(format!("http://{api}/v1/runbooks/documents"))
        .send()
        .await?
        .status();
    assert_eq!(status.as_u16(), 401);
    Ok(())
}
