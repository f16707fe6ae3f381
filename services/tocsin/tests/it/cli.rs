//! The operator CLI as an SRE runs it, against the real binaries on RabbitMQ and Redis:
//! `tocsin apply -f TEMPLATE` (plan, `--dry-run`, `--yes`, idempotent), then, with `tocsin run`
//! serving, an alarm published and the incident followed through `tocsin incidents list|show|
//! timeline|resolve`, the page acknowledged with `tocsin pages ack` and the rotation read with
//! `tocsin shifts preview`, over the SigV4 API, tables and `--output json`.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::procs::{Proc, free_port};
use secrecy::ExposeSecret;
use tocsin_testkit::{Kind, TestBackends, wait_until};

const BIN: &str = env!("CARGO_BIN_EXE_tocsin");
const KEY_ID: &str = "AKIDCLITEST00000001";
const SECRET: &str = "cli-test-secret-of-the-default-account";
const ACCOUNT: &str = "123456789012";

const TEMPLATE: &str = r#"
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Oncall:
    Type: AWS::SSMContacts::Contact
    Properties:
      Alias: cli-oncall
      Type: PERSONAL
      Plan:
        - DurationInMinutes: 0
          Targets:
            - ChannelTargetInfo: { ChannelId: !Ref Mail, RetryIntervalInMinutes: 1 }
  Mail:
    Type: AWS::SSMContacts::ContactChannel
    Properties:
      ContactId: !GetAtt Oncall.Arn
      ChannelName: mail
      ChannelType: EMAIL
      ChannelAddress: oncall@example.com
  Daily:
    Type: AWS::SSMContacts::Rotation
    Properties:
      Name: cli-daily
      ContactIds: [!GetAtt Oncall.Arn]
      StartTime: "2026-01-05T09:00:00"
      TimeZoneId: Europe/London
      Recurrence: { NumberOfOnCalls: 1, RecurrenceMultiplier: 1, DailySettings: ["09:00"] }
  Plan:
    Type: AWS::SSMIncidents::ResponsePlan
    Properties:
      Name: cli-plan
      IncidentTemplate: { Title: CLI outage, Impact: 2 }
      Engagements: [!GetAtt Oncall.Arn]
"#;

/// A `tocsin` command on the test's backends, API address and key.
fn tocsin(b: &TestBackends, addr: &str, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env("TOCSIN_AMQP_URL", b.settings.amqp_url.expose_secret())
        .env("TOCSIN_REDIS_URL", b.settings.redis_url.expose_secret())
        .env("TOCSIN_NAMESPACE", &b.settings.namespace)
        .env("TOCSIN_API_ADDR", addr)
        .env("TOCSIN_INGEST_ADDR", "off")
        .env("TOCSIN_ACCOUNT_ID", ACCOUNT)
        .env("TOCSIN_ACCESS_KEY_ID", KEY_ID)
        .env("TOCSIN_SECRET_ACCESS_KEY", SECRET)
        .env("TOCSIN_LOG", "warn")
        .env_remove("TOCSIN_ENDPOINT")
        .stdin(Stdio::null());
    c
}

fn run(mut c: Command) -> (bool, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = c.output().expect("run tocsin");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&stdout),
        String::from_utf8_lossy(&stderr)
    );
    (status.success(), text)
}

fn ok(c: Command) -> String {
    let (success, text) = run(c);
    assert!(success, "{text}");
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sre_applies_a_template_and_works_an_incident_from_the_cli() -> anyhow::Result<()> {
    let b = TestBackends::new(Kind::Real).await?;
    let addr = format!("127.0.0.1:{}", free_port());
    let dir = tempfile::tempdir()?;
    let template = dir.path().join("stack.yaml");
    std::fs::write(&template, TEMPLATE)?;
    let t = template.to_str().unwrap();

    // Without a terminal and without --yes nothing is written; --dry-run shows the plan.
    let (applied, text) = run(tocsin(&b, &addr, &["apply", "-f", t]));
    assert!(!applied && text.contains("pass --yes"), "{text}");
    let text = ok(tocsin(&b, &addr, &["apply", "-f", t, "--dry-run"]));
    assert!(
        text.contains("Plan: 4 to create, 0 to update, 0 unchanged."),
        "{text}"
    );
    assert!(text.contains("Dry run"), "{text}");
    let text = ok(tocsin(&b, &addr, &["apply", "-f", t, "--yes"]));
    assert!(
        text.contains("+ create") && text.contains("4 resources written"),
        "{text}"
    );
    let text = ok(tocsin(&b, &addr, &["apply", "-f", t, "--yes"]));
    assert!(text.contains("Nothing to change."), "{text}");

    // The fleet, and an alarm for the plan.
    let _fleet = Proc(tocsin(&b, &addr, &["run"]).stdout(Stdio::null()).spawn()?);
    let url = format!("http://{addr}/healthz");
    wait_until("the API answers", Duration::from_secs(60), || {
        let url = url.clone();
        async move {
            reqwest::get(&url)
                .await
                .ok()?
                .status()
                .is_success()
                .then_some(())
        }
    })
    .await?;
    let alarm = dir.path().join("alarm.json");
    let plan = tocsin_proto::arn::response_plan(ACCOUNT, "cli-plan");
    std::fs::write(
        &alarm,
        serde_json::json!({ "responsePlanArn": plan, "title": "Disk full" }).to_string(),
    )?;
    ok(tocsin(
        &b,
        &addr,
        &["publish", "-f", alarm.to_str().unwrap()],
    ));

    let listing = wait_until("the incident is listed", Duration::from_secs(60), || {
        let c = tocsin(
            &b,
            &addr,
            &["incidents", "list", "--status", "OPEN", "-o", "json"],
        );
        async move {
            let (success, text) = run(c);
            let v: serde_json::Value = serde_json::from_str(&text).ok()?;
            (success && v["incidentRecordSummaries"].as_array()?.len() == 1).then_some(v)
        }
    })
    .await?;
    let arn = listing["incidentRecordSummaries"][0]["arn"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = arn.rsplit('/').next().unwrap().to_owned();

    let table = ok(tocsin(&b, &addr, &["incidents", "list"]));
    assert!(table.starts_with("ID"), "{table}");
    assert!(
        table.contains(&id) && table.contains("OPEN") && table.contains("Disk full"),
        "{table}"
    );
    // The on-call contact was paged (mail logged: no relay); acknowledge it from the CLI.
    let records = b
        .context(std::sync::Arc::new(tocsin_runtime::SystemClock))
        .records();
    let page = wait_until(
        "the contact to be paged",
        Duration::from_secs(60),
        || async {
            let pages: Vec<tocsin_proto::records::Page> = records
                .list(tocsin_proto::records::kinds::PAGE)
                .await
                .ok()?;
            pages.into_iter().next()
        },
    )
    .await?;
    let acked = ok(tocsin(
        &b,
        &addr,
        &["pages", "ack", &page.page_arn, "--code", &page.accept_code],
    ));
    assert!(acked.contains(&page.page_arn), "{acked}");
    wait_until(
        "the acknowledgement on the timeline",
        Duration::from_secs(60),
        || {
            let c = tocsin(&b, &addr, &["incidents", "timeline", &id]);
            async move {
                let (success, text) = run(c);
                (success && text.contains("Engagement Acknowledged")).then_some(())
            }
        },
    )
    .await?;
    let rotation = tocsin_proto::arn::rotation(
        "us-east-1",
        ACCOUNT,
        &tocsin::manifest::rotation_id("cli-daily"),
    );
    let shifts = ok(tocsin(
        &b,
        &addr,
        &[
            "shifts",
            "preview",
            &rotation,
            "--from",
            "2026-03-02T00:00:00Z",
            "--days",
            "2",
            "-o",
            "json",
        ],
    ));
    assert!(shifts.contains("cli-oncall"), "{shifts}");

    let show = ok(tocsin(&b, &addr, &["incidents", "show", &id]));
    assert!(
        show.contains(&arn) && show.contains("Impact      2"),
        "{show}"
    );
    let timeline = ok(tocsin(&b, &addr, &["incidents", "timeline", &id]));
    assert!(timeline.contains("SSM Incident Trigger"), "{timeline}");

    let resolved = ok(tocsin(
        &b,
        &addr,
        &["incidents", "resolve", &id, "--summary", "disk cleaned"],
    ));
    assert!(resolved.contains("Resolved"), "{resolved}");
    let text = ok(tocsin(
        &b,
        &addr,
        &["incidents", "list", "--status", "RESOLVED", "-o", "json"],
    ));
    let v: serde_json::Value = serde_json::from_str(&text)?;
    assert_eq!(
        v["incidentRecordSummaries"][0]["arn"],
        arn.as_str(),
        "{text}"
    );
    let text = ok(tocsin(
        &b,
        &addr,
        &["incidents", "list", "--status", "OPEN"],
    ));
    assert!(!text.contains(&id), "{text}");

    // A wrong key is refused by the API, and the CLI says so.
    let mut bad = tocsin(&b, &addr, &["incidents", "list"]);
    bad.env("TOCSIN_SECRET_ACCESS_KEY", "not-the-right-secret-at-all");
    let (success, text) = run(bad);
    assert!(!success, "{text}");
    assert!(text.contains("InvalidSignatureException"), "{text}");
    Ok(())
}
