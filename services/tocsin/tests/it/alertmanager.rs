//! A real Prometheus Alertmanager (Debian's `prometheus-alertmanager`) pointed at the ingest
//! webhook: its first notification of a group opens an incident, a later notification of the
//! same group (same `groupKey`) merges into it, and the group's resolved notification resolves
//! it because the plan opts in. Skipped where the binary is missing, except in CI.

use std::process::Stdio;
use tocsin_core::clock::Clock;

use tocsin_proto::records::{IncidentStatus, timeline_types as tt};
use tocsin_testkit::{Kind, wait_until};
use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;

use crate::fleet::{DEADLINE, Fleet};

const BINARY: &str = "prometheus-alertmanager";

const MANIFEST: &str = r#"
contacts:
  - alias: alice
    channels: [{ name: hook, type: WEBHOOK, address: "{receiver}/page" }]
    stages: [{ durationInMinutes: 0, targets: [hook] }]
responsePlans:
  - name: web
    incidentTemplate: { title: Web, impact: 3 }
    engagements: [alice]
    autoResolve: true
"#;

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Alertmanager with one route to Tocsin's webhook, grouping by `alertname` with short waits.
async fn alertmanager(
    dir: &std::path::Path,
    webhook: &str,
    key: &str,
) -> anyhow::Result<(Child, String)> {
    let config = format!(
        r#"
route:
  receiver: tocsin
  group_by: [alertname]
  group_wait: 100ms
  group_interval: 500ms
  repeat_interval: 1h
receivers:
  - name: tocsin
    webhook_configs:
      - url: "{webhook}"
        send_resolved: true
        http_config:
          authorization: {{ type: Bearer, credentials: "{key}" }}
"#
    );
    let file = dir.join("alertmanager.yml");
    std::fs::write(&file, config)?;
    let port = free_port()?;
    let child = Command::new(BINARY)
        .arg(format!("--config.file={}", file.display()))
        .arg(format!("--storage.path={}", dir.join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    wait_until("Alertmanager to be ready", DEADLINE, || async {
        let r = http.get(format!("{base}/-/ready")).send().await.ok()?;
        r.status().is_success().then_some(())
    })
    .await?;
    Ok((child, base))
}

/// Posts alerts to Alertmanager's API v2; `ends_in` negative resolves them.
async fn post_alerts(
    base: &str,
    instances: &[&str],
    ends_in: chrono::Duration,
) -> anyhow::Result<()> {
    // Alertmanager runs on the wall clock, not the test's manual one.
    let now = tocsin_runtime::clock::SystemClock.now();
    let alerts: Vec<_> = instances
        .iter()
        .map(|i| {
            serde_json::json!({
                "labels": { "alertname": "HighLatency", "service": "checkout", "instance": i },
                "annotations": { "summary": "p99 latency above 2s" },
                "startsAt": (now - chrono::Duration::minutes(5)).to_rfc3339(),
                "endsAt": (now + ends_in).to_rfc3339(),
                "generatorURL": "http://prometheus.example/graph",
            })
        })
        .collect();
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v2/alerts"))
        .json(&alerts)
        .send()
        .await?;
    anyhow::ensure!(
        r.status().is_success(),
        "Alertmanager answered {}",
        r.status()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_alertmanager_opens_dedupes_and_resolves() -> anyhow::Result<()> {
    if which(BINARY).is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{BINARY} must be installed in CI (apt-get install prometheus-alertmanager)"
        );
        eprintln!("skipped: {BINARY} is not installed");
        return Ok(());
    }
    let mut f = Fleet::with_manifest(Kind::Real, MANIFEST).await?;
    let records = f.records();
    let web = tocsin_proto::arn::response_plan(records.account(), "web");
    let key = tocsin_ingest::keys::create(
        &records,
        "alertmanager",
        "alertmanager",
        Some(&web),
        f.clock_now(),
    )
    .await?;
    f.start();
    let stop_http = CancellationToken::new();
    let addr = tocsin_ingest::http::serve(f.ctx.clone(), "127.0.0.1:0".parse()?, stop_http.clone())
        .await?;
    let dir = tempfile::tempdir()?;
    let (mut am, base) = alertmanager(
        dir.path(),
        &format!("http://{addr}/v1/ingest/alertmanager"),
        &key.key,
    )
    .await?;

    post_alerts(&base, &["web-1"], chrono::Duration::hours(1)).await?;
    let incident = f.wait_for_event(tt::PAGE_DELIVERED).await?;
    assert!(incident.title.starts_with("Web: "), "{}", incident.title);

    // A second alert of the same group: Alertmanager notifies the group again, same groupKey.
    post_alerts(&base, &["web-1", "web-2"], chrono::Duration::hours(1)).await?;
    let merged = f.wait_for_event(tt::INCIDENT_MERGED).await?;
    assert_eq!(merged.arn, incident.arn);

    post_alerts(&base, &["web-1", "web-2"], -chrono::Duration::seconds(1)).await?;
    let resolved = f.wait_for_event(tt::INCIDENT_RESOLVED).await?;
    assert_eq!(resolved.arn, incident.arn);
    let all = f.incidents().await;
    assert_eq!(all.len(), 1, "one incident for the group");
    assert_eq!(all[0].status, IncidentStatus::Resolved);
    assert_eq!(f.receiver.received().len(), 1, "paged once");

    am.kill().await?;
    stop_http.cancel();
    f.stop().await?;
    Ok(())
}

fn which(binary: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(binary))
            .find(|p| p.is_file())
    })
}
