//! Failure paths against real peers: a script past its time limit is killed, a non-zero exit
//! fails with stderr, an HTTP 500 is retried per attempt with a new idempotency key, a branch
//! sends the execution to a failing step, approvals by strangers are refused.

use serde_json::json;
use tocsin_proto::records::RunbookStatus as S;
use tocsin_testkit::{Kind, Receiver};

use crate::harness::{H, shape};

on_both_backends!(
    scripts_take_turns_within_the_script_concurrency,
    a_script_past_its_time_limit_is_killed_and_the_step_times_out,
    a_non_zero_exit_fails_the_step_with_its_stderr,
    an_http_500_is_retried_with_a_new_key_per_attempt,
    a_branch_to_a_failing_step_fails_the_execution,
    shell_scripts_get_only_their_inputs,
);

async fn a_script_past_its_time_limit_is_killed_and_the_step_times_out(
    kind: Kind,
) -> anyhow::Result<()> {
    let h = H::new(kind).await?;
    let _executor = h.start();
    h.register("Slow", "schemaVersion: '0.3'\nmainSteps:\n  - name: Slow\n    action: aws:executeScript\n    timeoutSeconds: 1\n    inputs:\n      Runtime: python3.11\n      Handler: h\n      Script: |-\n        import time\n        def h(events, context):\n          time.sleep(30)\n          return {}\n").await?;
    let started = std::time::Instant::now();
    let id = h.start_doc("Slow", json!({}), None).await?;
    let e = h.ended(&id).await?;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "killed, not waited for"
    );
    assert_eq!(shape(&e), (S::TimedOut, vec![("Slow".into(), S::TimedOut)]));
    assert!(e.failure_message.unwrap().contains("killed"));
    Ok(())
}

async fn a_non_zero_exit_fails_the_step_with_its_stderr(kind: Kind) -> anyhow::Result<()> {
    let h = H::new(kind).await?;
    let _executor = h.start();
    h.register("Exit3", "schemaVersion: '0.3'\nmainSteps:\n  - name: Boom\n    action: aws:executeScript\n    maxAttempts: 2\n    inputs:\n      Runtime: python3.11\n      Handler: h\n      Script: |-\n        import sys\n        def h(events, context):\n          sys.stderr.write('disk full on ' + events['host'])\n          sys.exit(3)\n      InputPayload: {host: db-1}\n").await?;
    let id = h.start_doc("Exit3", json!({}), None).await?;
    let e = h.ended(&id).await?;
    assert_eq!(shape(&e), (S::Failed, vec![("Boom".into(), S::Failed)]));
    assert_eq!(e.step_executions[0].attempt, 2);
    let why = e.failure_message.unwrap();
    assert!(
        why.contains("code 3") && why.contains("disk full on db-1"),
        "{why}"
    );
    Ok(())
}

async fn an_http_500_is_retried_with_a_new_key_per_attempt(kind: Kind) -> anyhow::Result<()> {
    let h = H::new(kind).await?;
    let peer = Receiver::start().await?;
    peer.script(&[500, 500]);
    let _executor = h.start();
    let doc = format!(
        "schemaVersion: '0.3'\nparameters:\n  Svc: {{type: String}}\nmainSteps:\n  - name: Restart\n    action: tocsin:http\n    maxAttempts: 3\n    inputs:\n      Url: '{}'\n      Method: POST\n      Body: {{service: '{{{{ Svc }}}}'}}\n    outputs:\n      - {{Name: Code, Selector: $.StatusCode, Type: Integer}}\n",
        peer.url("/restart")
    );
    h.register("Restart", &doc).await?;
    let id = h.start_doc("Restart", json!({"Svc": "web"}), None).await?;
    let e = h.ended(&id).await?;
    assert_eq!(shape(&e).0, S::Success);
    assert_eq!(e.step_executions[0].outputs["Code"], json!(200));
    let got = peer.received();
    let keys: Vec<String> = got
        .iter()
        .map(|r| r.header("idempotency-key").unwrap().to_string())
        .collect();
    assert_eq!(
        keys,
        (1..=3)
            .map(|a| format!("runbook:{id}:Restart:{a}"))
            .collect::<Vec<_>>()
    );
    assert!(got.iter().all(|r| r.json == json!({"service": "web"})));
    // A host outside the allowlist is never called.
    h.register("Elsewhere", "schemaVersion: '0.3'\nmainSteps:\n  - name: Out\n    action: tocsin:http\n    inputs: {Url: 'http://example.com/x'}\n").await?;
    let id = h.start_doc("Elsewhere", json!({}), None).await?;
    let e = h.ended(&id).await?;
    assert!(
        e.failure_message
            .unwrap()
            .contains("not in TOCSIN_RUNBOOK_HTTP_ALLOWLIST")
    );
    Ok(())
}

async fn a_branch_to_a_failing_step_fails_the_execution(kind: Kind) -> anyhow::Result<()> {
    let h = H::new(kind).await?;
    let _executor = h.start();
    let doc = "schemaVersion: '0.3'\nparameters:\n  Mode: {type: String, allowedValues: [fast, safe]}\nmainSteps:\n  - name: Pick\n    action: aws:branch\n    inputs:\n      Choices:\n        - {NextStep: Fast, Variable: '{{ Mode }}', StringEquals: fast}\n      Default: Fail\n  - name: Fast\n    action: aws:sleep\n    isEnd: true\n    inputs: {Duration: PT0S}\n  - name: Fail\n    action: aws:executeScript\n    inputs: {Runtime: sh, Script: 'echo rollback impossible >&2; exit 1'}\n";
    h.register("Pick", doc).await?;
    let fast = h.start_doc("Pick", json!({"Mode": "fast"}), None).await?;
    let safe = h.start_doc("Pick", json!({"Mode": "safe"}), None).await?;
    let f = h.ended(&fast).await?;
    assert_eq!(
        shape(&f),
        (
            S::Success,
            vec![
                ("Pick".into(), S::Success),
                ("Fast".into(), S::Success),
                ("Fail".into(), S::Pending)
            ]
        )
    );
    let s = h.ended(&safe).await?;
    assert_eq!(
        shape(&s),
        (
            S::Failed,
            vec![
                ("Pick".into(), S::Success),
                ("Fast".into(), S::Pending),
                ("Fail".into(), S::Failed)
            ]
        )
    );
    assert!(s.failure_message.unwrap().contains("rollback impossible"));
    // A value outside allowedValues never starts.
    let bad = h.start_doc("Pick", json!({"Mode": "yolo"}), None).await?;
    let b = h.ended(&bad).await?;
    assert!(b.failure_message.unwrap().contains("allowed values"));
    Ok(())
}

async fn shell_scripts_get_only_their_inputs(kind: Kind) -> anyhow::Result<()> {
    let h = H::new(kind).await?;
    let _executor = h.start();
    // The clean environment: PATH is the fixed one, the executor's own variables are absent.
    let doc = "schemaVersion: '0.3'\nmainSteps:\n  - name: Env\n    action: aws:executeScript\n    inputs:\n      Runtime: sh\n      Script: 'printf \"{\\\"who\\\": \\\"%s\\\", \\\"home\\\": \\\"%s\\\", \\\"path\\\": \\\"%s\\\", \\\"cargo\\\": \\\"%s\\\"}\" \"$INPUT_WHO\" \"$HOME\" \"$PATH\" \"$CARGO_MANIFEST_DIR\"'\n      InputPayload: {who: alice}\n    outputs:\n      - {Name: Who, Selector: $.Payload.who, Type: String}\n      - {Name: Cargo, Selector: $.Payload.cargo, Type: String}\n";
    h.register("Env", doc).await?;
    let id = h.start_doc("Env", json!({}), None).await?;
    let e = h.ended(&id).await?;
    assert_eq!(shape(&e).0, S::Success, "{:?}", e.failure_message);
    assert_eq!(e.step_executions[0].outputs["Who"], json!("alice"));
    assert_eq!(
        e.step_executions[0].outputs["Cargo"],
        json!(""),
        "the test process has CARGO_MANIFEST_DIR; the script must not"
    );
    assert_eq!(
        e.step_executions[0].response.as_ref().unwrap()["Payload"]["path"],
        json!("/usr/local/bin:/usr/bin:/bin")
    );
    Ok(())
}

async fn scripts_take_turns_within_the_script_concurrency(kind: Kind) -> anyhow::Result<()> {
    let h = H::new(kind).await?;
    let _executor = h.start_with(tocsin_runbook::RunbookConfig {
        script_concurrency: 1,
        ..H::config()
    });
    // Each script holds a directory (mkdir is atomic) for a moment: two at once would fail.
    let doc = "schemaVersion: '0.3'\nparameters:\n  Lock: {type: String}\nmainSteps:\n  - name: Hold\n    action: aws:executeScript\n    inputs:\n      Runtime: sh\n      Script: 'mkdir \"$INPUT_LOCK\" || exit 9; sleep 0.3; rmdir \"$INPUT_LOCK\"'\n      InputPayload: {lock: '{{ Lock }}'}\n";
    h.register("Hold", doc).await?;
    let dir = tempfile::tempdir()?;
    let lock = dir.path().join("held").display().to_string();
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(h.start_doc("Hold", json!({"Lock": lock}), None).await?);
    }
    for id in ids {
        let e = h.ended(&id).await?;
        assert_eq!(
            shape(&e),
            (S::Success, vec![("Hold".into(), S::Success)]),
            "{:?}",
            e.failure_message
        );
    }
    Ok(())
}
