//! How passes run: a start wakes the poller without waiting for its tick, an ended execution
//! leaves no timer behind, and a write someone else makes during a step is read before the
//! pass's next write (the pass starts each step from the record it wrote, not a fresh read).

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use tocsin_proto::records::RunbookStatus as S;
use tocsin_runbook::core::Input;
use tocsin_runbook::poll::{self, PassReport};
use tocsin_runbook::start::{self, StartRequest};
use tocsin_runbook::{Engine, RunbookConfig};
use tocsin_testkit::{Kind, Receiver};
use tokio::sync::mpsc;
use tokio_util::sync::{CancellationToken, DropGuard};

use crate::harness::{DEADLINE, H, shape};

on_both_backends!(
    a_runbook_of_an_opened_incident_starts_without_waiting_for_the_tick,
    a_started_execution_is_driven_at_once_and_its_passes_reported,
    ended_executions_leave_no_timer_behind,
    a_cancel_during_a_step_wins_over_the_step_result,
);

/// A tick no test waits for.
const NEVER: Duration = Duration::from_secs(3600);

/// A poller (no queue consumer) whose engine reports its passes; stopped when the guard drops.
fn reporting_poller(
    h: &H,
    config: RunbookConfig,
) -> (Engine, mpsc::UnboundedReceiver<PassReport>, DropGuard) {
    let (tx, reports) = mpsc::unbounded_channel();
    let engine = Engine::new(h.ctx.clone(), config).with_reports(tx);
    let token = CancellationToken::new();
    tokio::spawn(poll::poll(engine.clone(), token.clone()));
    (engine, reports, token.drop_guard())
}

/// The next report of a pass over `id` that left it with a status.
async fn next_pass(
    reports: &mut mpsc::UnboundedReceiver<PassReport>,
    id: &str,
) -> anyhow::Result<PassReport> {
    loop {
        let report = tokio::time::timeout(DEADLINE, reports.recv())
            .await?
            .ok_or_else(|| anyhow::anyhow!("the poller stopped"))?;
        if report.execution_id == id && report.status.is_some() {
            return Ok(report);
        }
    }
}

fn call_doc(url: &str) -> String {
    format!(
        "schemaVersion: '0.3'\nmainSteps:\n  - name: Prepare\n    action: aws:sleep\n    inputs: {{Duration: PT0S}}\n  - name: Call\n    action: tocsin:http\n    inputs: {{Url: '{url}', Method: POST, Body: {{execution: '{{{{ automation:EXECUTION_ID }}}}'}}}}\n  - name: After\n    action: aws:sleep\n    inputs: {{Duration: PT0S}}\n"
    )
}

async fn a_runbook_of_an_opened_incident_starts_without_waiting_for_the_tick(
    kind: Kind,
) -> anyhow::Result<()> {
    let h = H::new(kind).await?;
    let peer = Receiver::start().await?;
    let _executor = h.start_with(RunbookConfig {
        tick: NEVER,
        ..H::config()
    });
    h.register("Call", &call_doc(&peer.url("/call"))).await?;
    let action = json!({"ssmAutomation": {"documentName": "Call", "parameters": {}}});
    let incident = h.incident("inc-1", vec![action]).await?;
    h.open(&incident).await?;
    let id = crate::harness::wait_one(&h).await?;
    let e = h.ended(&id).await?;
    assert_eq!(shape(&e).0, S::Success, "{:?}", e.failure_message);
    assert_eq!(peer.received().len(), 1);
    h.no_timers_left().await
}

async fn a_started_execution_is_driven_at_once_and_its_passes_reported(
    kind: Kind,
) -> anyhow::Result<()> {
    let h = H::new(kind).await?;
    let peer = Receiver::start().await?;
    h.register("Call", &call_doc(&peer.url("/call"))).await?;
    let config = RunbookConfig {
        tick: NEVER,
        ..H::config()
    };
    let (engine, mut reports, _poller) = reporting_poller(&h, config);
    let request = StartRequest {
        document_name: "Call".into(),
        executed_by: "test".into(),
        ..StartRequest::default()
    };
    start::manual(&engine, &h.records, "exec-1", &request, None).await?;
    let report = next_pass(&mut reports, "exec-1").await?;
    assert_eq!(report.status, Some(S::Success));
    assert!(report.work > Duration::ZERO, "the HTTP call is timed");
    assert_eq!(peer.received().len(), 1);
    let e = h.execution("exec-1").await.unwrap();
    assert!(e.outbox.is_empty());
    h.no_timers_left().await
}

async fn ended_executions_leave_no_timer_behind(kind: Kind) -> anyhow::Result<()> {
    let h = H::new(kind).await?;
    let peer = Receiver::start().await?;
    let _executor = h.start();
    // Internal steps only: the pass never moves the timer the poller claimed, and the poller
    // removes it. With an HTTP step the pass moves it (the step's watchdog) and removes it.
    h.register("Quick", "schemaVersion: '0.3'\nmainSteps:\n  - name: Nap\n    action: aws:sleep\n    inputs: {Duration: PT0S}\n").await?;
    h.register("Call", &call_doc(&peer.url("/call"))).await?;
    h.incident("inc-2", vec![]).await?;
    let quick = h.start_doc("Quick", json!({}), Some("inc-2")).await?;
    let call = h.start_doc("Call", json!({}), Some("inc-2")).await?;
    for id in [&quick, &call] {
        let e = h.ended(id).await?;
        assert_eq!(shape(&e).0, S::Success, "{:?}", e.failure_message);
    }
    h.no_timers_left().await?;
    // Every transition is on the timeline, once.
    let timeline = h.timeline("inc-2").await;
    let mut sequences: Vec<u64> = timeline
        .iter()
        .filter_map(|t| serde_json::from_str::<Value>(&t.event_data).ok())
        .filter(|d| d["automationExecutionId"] == json!(call))
        .filter_map(|d| d["sequence"].as_u64())
        .collect();
    sequences.sort_unstable();
    assert_eq!(
        sequences,
        (1..=sequences.len() as u64).collect::<Vec<_>>(),
        "{timeline:?}"
    );
    assert!(sequences.len() >= 7, "{sequences:?}");
    Ok(())
}

async fn a_cancel_during_a_step_wins_over_the_step_result(kind: Kind) -> anyhow::Result<()> {
    let h = H::new(kind).await?;
    let after = Receiver::start().await?;
    // The step's target cancels the execution (as the API would) before it answers: the
    // executor's next write finds a newer record than the one it wrote before the call.
    let canceller = Engine::new(h.ctx.clone(), H::config());
    let app = axum::Router::new()
        .route(
            "/call",
            axum::routing::post(
                |State((engine, records)): State<(Engine, tocsin_runtime::Records)>,
                 Json(body): Json<Value>| async move {
                    let id = body["execution"].as_str().unwrap_or_default().to_string();
                    let input = Input::Cancel {
                        reason: "stopped during the call".into(),
                    };
                    let cancelled = engine.drive(&records, &id, input, false).await.is_ok();
                    Json(json!({"cancelled": cancelled}))
                },
            ),
        )
        .with_state((canceller, h.records.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/call", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    let doc = format!(
        "schemaVersion: '0.3'\nmainSteps:\n  - name: Call\n    action: tocsin:http\n    inputs: {{Url: '{url}', Method: POST, Body: {{execution: '{{{{ automation:EXECUTION_ID }}}}'}}}}\n  - name: After\n    action: tocsin:http\n    inputs: {{Url: '{}', Method: POST}}\n",
        after.url("/after")
    );
    h.register("Stopped", &doc).await?;
    let (_, mut reports, _poller) = reporting_poller(&h, H::config());
    let id = h.start_doc("Stopped", json!({}), None).await?;
    // The pass that ran the call is over once it reports.
    let report = next_pass(&mut reports, &id).await?;
    assert_eq!(report.status, Some(S::Cancelled));
    let e = h.ended(&id).await?;
    assert_eq!(
        shape(&e),
        (
            S::Cancelled,
            vec![("Call".into(), S::Cancelled), ("After".into(), S::Pending)]
        )
    );
    assert_eq!(
        e.failure_message.as_deref(),
        Some("stopped during the call")
    );
    assert!(after.received().is_empty(), "no step after the cancel");
    h.no_timers_left().await
}
