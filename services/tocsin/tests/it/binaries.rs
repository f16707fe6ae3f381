//! The real binaries as separate processes on real RabbitMQ and Redis: configuration errors,
//! the demo, and the first page through `tocsin run` workers, `tocsin apply`, `tocsin publish`
//! and the API, then a graceful SIGTERM.

use std::process::{Command, Stdio};
use std::time::Duration;

use secrecy::ExposeSecret;
use tocsin_proto::records::timeline_types as tt;
use tocsin_testkit::{Kind, Receiver, TestBackends, wait_until};

use crate::fleet::{DEADLINE, MANIFEST, alarm};
use crate::procs::{Proc, free_port};

const BIN: &str = env!("CARGO_BIN_EXE_tocsin");
const TOKEN: &str = "e2e-token-0123456789abcdef";

#[test]
fn an_invalid_setting_stops_the_start_naming_the_variable() {
    let out = Command::new(BIN)
        .args(["run", "--role", "ingest"])
        .env("TOCSIN_ACCOUNT_ID", "12")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("TOCSIN_ACCOUNT_ID: must be 12 digits"),
        "{err}"
    );
}

#[test]
fn the_demo_pages_on_the_embedded_backends() {
    let out = Command::new(BIN)
        .args(["dev", "--demo"])
        .env_remove("TOCSIN_LOG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for needle in [
        "== Incident",
        "Incident Created",
        "Contact Engaged",
        "Page Delivered",
        "acceptCode",
    ] {
        assert!(stdout.contains(needle), "{needle} missing from:\n{stdout}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn separate_worker_processes_page_and_stop_gracefully() -> anyhow::Result<()> {
    let b = TestBackends::new(Kind::Real).await?;
    let receiver = Receiver::start().await?;
    let api = format!("127.0.0.1:{}", free_port());
    let dir = std::env::temp_dir().join(format!("tocsin-e2e-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    let manifest = dir.join("manifest.yaml");
    std::fs::write(
        &manifest,
        MANIFEST.replace("{receiver}", receiver.url("").trim_end_matches('/')),
    )?;
    let alarm_file = dir.join("alarm.json");
    std::fs::write(
        &alarm_file,
        serde_json::to_vec(&alarm(Some("db-primary"), "e2e-1"))?,
    )?;

    let env = |c: &mut Command| {
        c.env("TOCSIN_AMQP_URL", b.settings.amqp_url.expose_secret())
            .env("TOCSIN_REDIS_URL", b.settings.redis_url.expose_secret())
            .env("TOCSIN_NAMESPACE", &b.settings.namespace)
            .env("TOCSIN_API_ADDR", &api)
            .env("TOCSIN_API_TOKEN", TOKEN)
            .env("TOCSIN_INGEST_ADDR", "127.0.0.1:0")
            .env("TOCSIN_LOG", "warn");
    };
    let run = |args: &[&str]| -> anyhow::Result<std::process::Output> {
        let mut c = Command::new(BIN);
        c.args(args);
        env(&mut c);
        Ok(c.output()?)
    };
    let out = run(&["apply", "-f", manifest.to_str().unwrap_or_default()])?;
    assert!(
        out.status.success(),
        "apply: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut workers = Vec::new();
    for role in ["ingest", "engagement", "notifier", "api"] {
        let mut c = Command::new(BIN);
        c.args(["run", "--role", role])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        env(&mut c);
        workers.push(Proc(c.spawn()?));
    }

    let out = run(&[
        "publish",
        "-f",
        alarm_file.to_str().unwrap_or_default(),
        "--message-id",
        "e2e-msg-1",
    ])?;
    assert!(
        out.status.success(),
        "publish: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let trace_id = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Trace id: "))
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("publish printed no trace id: {stdout}"))?;

    let http = reqwest::Client::new();
    let get = |path: String| {
        let http = http.clone();
        let url = format!("http://{api}{path}");
        async move {
            let r = http.get(url).bearer_auth(TOKEN).send().await.ok()?;
            if !r.status().is_success() {
                return None;
            }
            r.json::<serde_json::Value>().await.ok()
        }
    };
    let incident_id = wait_until("the incident in the API", DEADLINE, || async {
        let v = get("/v1/incidents".into()).await?;
        let arn = v["incidentRecords"][0]["arn"].as_str()?.to_string();
        Some(arn.rsplit('/').next()?.to_string())
    })
    .await?;
    let timeline = wait_until("the delivery on the timeline", DEADLINE, || async {
        let v = get(format!("/v1/incidents/{incident_id}/timeline")).await?;
        let events = v["timelineEvents"].as_array()?.clone();
        events
            .iter()
            .any(|e| e["eventType"] == tt::PAGE_DELIVERED)
            .then_some(events)
    })
    .await?;
    let types: Vec<&str> = timeline
        .iter()
        .filter_map(|e| e["eventType"].as_str())
        .collect();
    for t in [
        tt::TRIGGER,
        tt::INCIDENT_CREATED,
        tt::CONTACT_ENGAGED,
        tt::PAGE_DELIVERED,
    ] {
        assert_eq!(
            types.iter().filter(|x| **x == t).count(),
            1,
            "{t} in {types:?}"
        );
    }
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    // One alarm, one trace: publish → ingest → engagement → notifier → the webhook.
    let traceparent = received[0].header("traceparent").unwrap_or_default();
    assert!(
        traceparent.contains(&trace_id),
        "webhook traceparent {traceparent:?} is not in trace {trace_id}"
    );

    // Unauthenticated requests are refused.
    let status = http
        .get(format!("http://{api}/v1/incidents"))
        .send()
        .await?
        .status();
    assert_eq!(status.as_u16(), 401);

    // SIGTERM: every worker drains and exits 0.
    for w in &workers {
        let ok = Command::new("kill")
            .args(["-TERM", &w.0.id().to_string()])
            .status()?
            .success();
        assert!(ok);
    }
    for w in &mut workers {
        let code = wait_until("a worker to exit", Duration::from_secs(30), || {
            let r = w.0.try_wait().ok().flatten();
            async move { r }
        })
        .await?;
        assert!(code.success(), "worker exited with {code:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
