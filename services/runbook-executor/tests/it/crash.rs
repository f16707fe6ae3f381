//! Crash safety: an executor killed in the middle of a step; another one resumes from the last
//! completed step, and no step with outside effects runs twice within one attempt.

use chrono::Duration as Span;
use serde_json::json;
use tocsin_proto::records::RunbookStatus as S;
use tocsin_testkit::{Kind, Receiver, wait_until};

use crate::harness::{DEADLINE, H, shape};

on_both_backends!(a_killed_executor_is_resumed_by_another_from_the_last_completed_step);

async fn a_killed_executor_is_resumed_by_another_from_the_last_completed_step(
    kind: Kind,
) -> anyhow::Result<()> {
    let h = H::new(kind).await?;
    let peer = Receiver::start().await?;
    let dir = tempfile::tempdir()?;
    let runs = dir.path().join("runs");
    let doc = format!(
        r#"schemaVersion: '0.3'
mainSteps:
  - name: Before
    action: tocsin:http
    inputs: {{Url: '{before}', Method: POST, Body: {{step: before}}}}
  - name: Work
    action: aws:executeScript
    timeoutSeconds: 30
    maxAttempts: 2
    inputs:
      Runtime: python3.11
      Handler: h
      Script: |-
        import time
        def h(events, context):
          with open(events["runs"], "a") as f:
            f.write(context["idempotencyKey"] + "\n")
          with open(events["runs"]) as f:
            n = len(f.read().splitlines())
          if n == 1:
            time.sleep(120)
          return {{"runs": n}}
      InputPayload: {{runs: '{runs}'}}
    outputs:
      - {{Name: Runs, Selector: $.Payload.runs, Type: Integer}}
  - name: After
    action: tocsin:http
    inputs: {{Url: '{after}', Method: POST, Body: {{runs: '{{{{ Work.Runs }}}}'}}}}
"#,
        before = peer.url("/before"),
        after = peer.url("/after"),
        runs = runs.display(),
    );
    h.register("Crashy", &doc).await?;
    let first = h.start();
    let id = h.start_doc("Crashy", json!({}), None).await?;
    wait_until("the first attempt to be running", DEADLINE, || async {
        std::fs::read_to_string(&runs)
            .ok()
            .filter(|s| s.lines().count() == 1)
    })
    .await?;
    // Kill it mid-step: the task and the script it runs die, nothing is cleaned up.
    first.kill().await;
    let e = h.execution(&id).await.unwrap();
    assert_eq!(shape(&e).1[0].1, S::Success);
    assert_eq!(
        (
            e.step_executions[1].step_status,
            e.step_executions[1].attempt
        ),
        (S::InProgress, 1)
    );

    // Another replica, once the lost attempt's time limit has passed.
    h.clock.advance(Span::seconds(31));
    let _second = h.start();
    let e = h.ended(&id).await?;
    assert_eq!(shape(&e).0, S::Success, "{:?}", e.failure_message);
    assert_eq!(e.step_executions[1].attempt, 2);
    let attempts: Vec<String> = std::fs::read_to_string(&runs)?
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(
        attempts,
        vec![
            format!("runbook:{id}:Work:1"),
            format!("runbook:{id}:Work:2")
        ],
        "once per attempt"
    );
    let paths: Vec<String> = peer.received().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        vec!["/before".to_string(), "/after".to_string()],
        "the completed step did not run again"
    );
    assert_eq!(
        peer.received()[1].json,
        json!({"runs": 2}),
        "a whole reference keeps its type"
    );
    Ok(())
}
