//! The interpreter on its own: documents through the machine with a manual `now`.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};
use tocsin_proto::records::{RunbookExecution, RunbookStatus as S};

use super::*;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

struct Run {
    doc: Document,
    e: RunbookExecution,
    now: DateTime<Utc>,
}

impl Run {
    fn new(yaml: &str, params: &[(&str, Value)]) -> Self {
        let (doc, _) = parse(yaml).unwrap_or_else(|e| panic!("{e}"));
        let given: BTreeMap<String, Value> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let p = params::resolve(&doc, &given, &BTreeMap::new(), None).unwrap();
        let mut e = new_execution("x1", &doc, "Doc", "1", p, t0(), "test");
        e.incident_id = Some("inc".into());
        e.incident_record_arn = Some("arn:inc".into());
        Self { doc, e, now: t0() }
    }
    fn go(&mut self, input: Input) -> Vec<Effect> {
        handle(&mut self.e, &self.doc, self.now, input).unwrap()
    }
    fn status(&self) -> S {
        self.e.automation_execution_status
    }
    fn step(&self, name: &str) -> S {
        self.e
            .step_executions
            .iter()
            .find(|s| s.step_name == name)
            .unwrap()
            .step_status
    }
    fn run_effect(effects: &[Effect]) -> Option<(String, u32, String)> {
        effects.iter().find_map(|e| match e {
            Effect::Run {
                step, attempt, key, ..
            } => Some((step.clone(), *attempt, key.clone())),
            _ => None,
        })
    }
    fn result(&mut self, outcome: StepOutcome) -> Vec<Effect> {
        let (step, attempt, _) = Self::run_effect(&self.go(Input::Tick)).expect("a step to run");
        self.go(Input::StepResult {
            step,
            attempt,
            outcome,
        })
    }
}

const TEMPLATE: &str =
    include_str!("../../documents/AWSIncidents-CriticalIncidentRunbookTemplate.yaml");

#[test]
fn the_critical_incident_template_waits_at_each_phase_until_resumed() {
    let mut r = Run::new(TEMPLATE, &[]);
    r.go(Input::Tick);
    for phase in ["Triage", "Diagnosis", "Mitigation", "Recovery"] {
        assert_eq!(r.status(), S::Waiting, "{phase}");
        assert_eq!(r.step(phase), S::Waiting);
        let err = handle(
            &mut r.e,
            &r.doc,
            r.now,
            Input::Resume {
                step: Some("Nope".into()),
                by: "a".into(),
            },
        );
        assert!(err.is_err());
        r.go(Input::Resume {
            step: Some(phase.into()),
            by: "alice".into(),
        });
        assert_eq!(r.step(phase), S::Success);
    }
    assert_eq!(r.status(), S::Success);
    let kinds: Vec<String> = r.e.outbox.iter().map(|e| e.event_type.clone()).collect();
    assert_eq!(
        kinds.iter().filter(|k| *k == "Runbook Step").count(),
        8,
        "{kinds:?}"
    );
    let ids: std::collections::BTreeSet<_> = r.e.outbox.iter().map(|e| &e.event_id).collect();
    assert_eq!(ids.len(), r.e.outbox.len(), "event ids are distinct");
    assert!(
        handle(
            &mut r.e,
            &r.doc,
            r.now,
            Input::Cancel { reason: "x".into() }
        )
        .is_err()
    );
}

const SCRIPTED: &str = r#"
schemaVersion: '0.3'
parameters:
  Service: {type: String, default: web}
mainSteps:
  - name: Check
    action: aws:executeScript
    maxAttempts: 3
    timeoutSeconds: 10
    inputs:
      Runtime: python3.11
      Handler: h
      Script: "def h(e, c): return {'healthy': False, 'ids': ['i-1']}"
      InputPayload: {service: '{{ Service }}'}
    outputs:
      - {Name: Healthy, Selector: $.Payload.healthy, Type: Boolean}
      - {Name: Ids, Selector: $.Payload.ids, Type: StringList}
  - name: Decide
    action: aws:branch
    inputs:
      Choices:
        - {NextStep: Done, Variable: '{{ Check.Healthy }}', BooleanEquals: true}
      Default: Restart
  - name: Restart
    action: tocsin:http
    onFailure: step:Escalate
    inputs:
      Url: http://127.0.0.1/restart
      Method: POST
      Body: {ids: '{{ Check.Ids }}'}
  - name: Done
    action: aws:sleep
    isEnd: true
    inputs: {Duration: PT1M}
  - name: Escalate
    action: aws:approve
    inputs: {Approvers: [alice, bob], MinRequiredApprovals: 2}
outputs: [Check.Ids]
"#;

#[test]
fn outputs_flow_through_branch_into_the_next_step_inputs() {
    let mut r = Run::new(SCRIPTED, &[]);
    let effects = r.go(Input::Tick);
    let Some(Effect::Run {
        action: inputs::RunAction::Script { payload, .. },
        deadline,
        ..
    }) = effects.iter().find(|e| matches!(e, Effect::Run { .. }))
    else {
        panic!("{effects:?}")
    };
    assert_eq!(payload, &json!({"service": "web"}));
    assert_eq!(*deadline, t0() + Duration::seconds(10));
    assert!(effects.contains(&Effect::Wake(t0() + Duration::seconds(10))));
    let effects = r.go(Input::StepResult {
        step: "Check".into(),
        attempt: 1,
        outcome: StepOutcome::Ok(json!({"Payload": {"healthy": false, "ids": ["i-1"]}})),
    });
    assert_eq!(r.step("Decide"), S::Success);
    let Some(Effect::Run {
        action: inputs::RunAction::Http { body, .. },
        key,
        ..
    }) = effects.iter().find(|e| matches!(e, Effect::Run { .. }))
    else {
        panic!("{effects:?}")
    };
    assert_eq!(body, &Some(json!({"ids": ["i-1"]})));
    assert_eq!(key, "runbook:x1:Restart:1");
    // The HTTP step fails once (maxAttempts 1): onFailure goes to the approval step.
    r.go(Input::StepResult {
        step: "Restart".into(),
        attempt: 1,
        outcome: StepOutcome::Failed("500".into()),
    });
    assert_eq!(r.step("Restart"), S::Failed);
    assert_eq!(r.status(), S::Waiting);
    assert!(
        handle(
            &mut r.e,
            &r.doc,
            r.now,
            Input::Approve {
                by: "mallory".into(),
                approve: true,
                comment: None
            }
        )
        .is_err()
    );
    r.go(Input::Approve {
        by: "alice".into(),
        approve: true,
        comment: None,
    });
    assert_eq!(r.step("Escalate"), S::Waiting, "one of two approvals");
    r.go(Input::Approve {
        by: "bob".into(),
        approve: true,
        comment: Some("go".into()),
    });
    assert_eq!(r.status(), S::Success);
    assert_eq!(r.e.outputs["Check.Ids"], json!(["i-1"]));
}

#[test]
fn failures_retry_per_attempt_then_follow_on_failure() {
    struct Case {
        outcomes: Vec<StepOutcome>,
        want_step: S,
        want_exec: S,
        attempts: u32,
    }
    let fail = || StepOutcome::Failed("exit 1".into());
    let ok = || StepOutcome::Ok(json!({"Payload": {"healthy": true, "ids": []}}));
    let table = [
        Case {
            outcomes: vec![fail(), ok()],
            want_step: S::Success,
            want_exec: S::InProgress,
            attempts: 2,
        },
        Case {
            outcomes: vec![fail(), fail(), fail()],
            want_step: S::Failed,
            want_exec: S::Failed,
            attempts: 3,
        },
        Case {
            outcomes: vec![
                StepOutcome::TimedOut("slow".into()),
                fail(),
                StepOutcome::TimedOut("slow".into()),
            ],
            want_step: S::TimedOut,
            want_exec: S::TimedOut,
            attempts: 3,
        },
    ];
    for (n, case) in table.into_iter().enumerate() {
        let mut r = Run::new(SCRIPTED, &[]);
        r.go(Input::Tick);
        for o in case.outcomes {
            r.result(o);
        }
        assert_eq!(r.step("Check"), case.want_step, "case {n}");
        assert_eq!(r.status(), case.want_exec, "case {n}");
        assert_eq!(r.e.step_executions[0].attempt, case.attempts, "case {n}");
    }
}

#[test]
fn a_lost_attempt_times_out_at_its_deadline_and_the_next_attempt_has_a_new_key() {
    let mut r = Run::new(SCRIPTED, &[]);
    let (_, _, key1) = Run::run_effect(&r.go(Input::Tick)).unwrap();
    // Before the deadline a tick re-issues the same attempt (the shell's claim stops a rerun).
    r.now += Duration::seconds(5);
    assert_eq!(Run::run_effect(&r.go(Input::Tick)).unwrap().2, key1);
    r.now += Duration::seconds(5);
    let (_, attempt, key2) = Run::run_effect(&r.go(Input::Tick)).unwrap();
    assert_eq!((attempt, key2.as_str()), (2, "runbook:x1:Check:2"));
    // A late result of attempt 1 changes nothing.
    let before = r.e.clone();
    r.go(Input::StepResult {
        step: "Check".into(),
        attempt: 1,
        outcome: StepOutcome::Failed("late".into()),
    });
    assert_eq!(r.e, before);
}

#[test]
fn sleep_wakes_at_its_end_and_cancel_stops_everything() {
    let mut r = Run::new(SCRIPTED, &[]);
    r.go(Input::Tick);
    r.result(StepOutcome::Ok(
        json!({"Payload": {"healthy": true, "ids": []}}),
    ));
    assert_eq!(r.step("Done"), S::InProgress);
    r.now += Duration::seconds(30);
    assert_eq!(
        r.go(Input::Tick),
        vec![Effect::Wake(t0() + Duration::seconds(60))]
    );
    r.now += Duration::seconds(30);
    let effects = r.go(Input::Tick);
    assert_eq!(r.status(), S::Success, "isEnd");
    assert_eq!(r.step("Restart"), S::Pending, "skipped by the branch");
    assert!(effects.contains(&Effect::Finished));

    let mut c = Run::new(SCRIPTED, &[]);
    c.go(Input::Tick);
    c.go(Input::Cancel {
        reason: "by alice".into(),
    });
    assert_eq!((c.status(), c.step("Check")), (S::Cancelled, S::Cancelled));
    assert_eq!(c.step("Decide"), S::Pending);
}

#[test]
fn bad_documents_name_the_line_and_the_rule() {
    let table = [
        (
            "schemaVersion: '0.2'\nmainSteps:\n  - name: a\n    action: aws:pause\n",
            1,
            "must be '0.3'",
        ),
        (
            "schemaVersion: '0.3'\nmainSteps:\n  - name: a\n    action: aws:pause\n  - name: b\n    action: aws:changeInstanceState\n",
            6,
            "unknown action",
        ),
        (
            "schemaVersion: '0.3'\nmainSteps:\n  - name: a\n    action: aws:pause\n    nextStep: zz\n",
            5,
            "no step named",
        ),
        (
            "schemaVersion: '0.3'\nmainSteps:\n  - name: a\n    action: tocsin:http\n    inputs:\n      Url: 'http://x/{{ Nope }}'\n",
            5,
            "names no parameter",
        ),
        (
            "schemaVersion: '0.3'\nparameters:\n  P:\n    type: Strin\nmainSteps:\n  - name: a\n    action: aws:pause\n",
            4,
            "required: String",
        ),
        (
            "schemaVersion: '0.3'\nmainSteps:\n  - name: a\n    action: aws:pause\n    timeoutSeconds: -3\n",
            5,
            "whole number",
        ),
        (
            "schemaVersion: '0.3'\nmainSteps:\n  - name: a\n   action: x\n",
            4,
            "not valid YAML",
        ),
        (
            "{\n  \"schemaVersion\": \"0.3\",\n  \"mainSteps\": [\n    {\"name\": \"a\", \"action\": \"aws:sleep\"}\n  ]\n}",
            4,
            "Duration",
        ),
    ];
    for (text, line, rule) in table {
        let err = parse(text).unwrap_err();
        let p = &err.0[0];
        assert_eq!(p.line, Some(line), "{err}");
        assert!(p.rule.contains(rule), "{err}");
    }
}

#[test]
fn shipped_documents_are_valid() {
    for text in [
        TEMPLATE,
        include_str!("../../documents/Tocsin-RestartService.yaml"),
    ] {
        parse(text).unwrap_or_else(|e| panic!("{e}"));
    }
}

const POLL_UNTIL_HEALTHY: &str = r#"
schemaVersion: '0.3'
mainSteps:
  - name: Check
    action: tocsin:http
    maxAttempts: 2
    inputs: {Url: 'http://127.0.0.1/health', Method: GET}
    outputs:
      - {Name: Healthy, Selector: $.Payload.healthy, Type: Boolean}
  - name: Decide
    action: aws:branch
    inputs:
      Choices:
        - {NextStep: Done, Variable: '{{ Check.Healthy }}', BooleanEquals: true}
      Default: Wait
  - name: Wait
    action: aws:sleep
    nextStep: Check
    inputs: {Duration: PT10S}
  - name: Done
    action: aws:sleep
    isEnd: true
    inputs: {Duration: PT0S}
"#;

#[test]
fn a_step_entered_again_through_a_loop_runs_again_with_keys_of_its_own() {
    let mut r = Run::new(POLL_UNTIL_HEALTHY, &[]);
    let unhealthy = || StepOutcome::Ok(json!({"Payload": {"healthy": false}}));
    // First visit: attempt 1 fails, attempt 2 answers "unhealthy": the loop goes round.
    let (_, a1, k1) = Run::run_effect(&r.go(Input::Tick)).unwrap();
    r.go(Input::StepResult {
        step: "Check".into(),
        attempt: a1,
        outcome: StepOutcome::Failed("503".into()),
    });
    let (_, a2, k2) = Run::run_effect(&r.go(Input::Tick)).unwrap();
    r.go(Input::StepResult {
        step: "Check".into(),
        attempt: a2,
        outcome: unhealthy(),
    });
    assert_eq!(r.step("Wait"), S::InProgress, "sleeping");
    r.now += Duration::seconds(10);
    // Second visit: a new run, with a key no earlier attempt had, and its own maxAttempts.
    let (_, a3, k3) = Run::run_effect(&r.go(Input::Tick)).expect("Check runs again");
    assert_eq!(a3, 3);
    assert!(k3 != k1 && k3 != k2, "{k1} {k2} {k3}");
    // A late result of the first visit changes nothing.
    r.go(Input::StepResult {
        step: "Check".into(),
        attempt: a2,
        outcome: StepOutcome::Ok(json!({"Payload": {"healthy": true}})),
    });
    assert_eq!(r.step("Check"), S::InProgress);
    r.go(Input::StepResult {
        step: "Check".into(),
        attempt: a3,
        outcome: StepOutcome::Failed("503".into()),
    });
    let (_, a4, _) = Run::run_effect(&r.go(Input::Tick)).expect("this visit's attempt 2");
    r.go(Input::StepResult {
        step: "Check".into(),
        attempt: a4,
        outcome: StepOutcome::Ok(json!({"Payload": {"healthy": true}})),
    });
    assert_eq!(r.status(), S::Success);
    assert_eq!(r.step("Done"), S::Success);
}
