//! `tocsin dev --demo`: the whole paging path once, in one process, on the embedded backends.
//! It loads an example plan whose contact has a webhook channel pointing at a receiver this
//! command serves itself, publishes a sample alarm, waits for the page and prints the incident,
//! its timeline and the delivered page.

use std::io::Write;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use tocsin_bus::OutgoingMessage;
use tocsin_proto::records::{IncidentRecord, timeline_types};
use tocsin_proto::routing::{EXCHANGE_INGEST, RK_NATIVE};
use tocsin_runtime::{Backends, Context, Settings};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::manifest;
use crate::roles::{self, Role};

/// The example manifest; `{receiver}` is replaced by the demo receiver's URL.
pub const DEMO_MANIFEST: &str = r#"
contacts:
  - alias: on-call-sre
    displayName: On-call SRE
    channels:
      - { name: pager-webhook, type: WEBHOOK, address: "{receiver}" }
    stages:
      - { durationInMinutes: 0, targets: [pager-webhook] }
responsePlans:
  - name: checkout-latency
    displayName: Checkout latency
    incidentTemplate:
      title: Checkout latency above SLO
      impact: 2
      summary: p99 latency of the checkout API is above 800 ms.
      dedupeString: checkout-latency
    engagements: [on-call-sre]
"#;

/// How long the demo waits for the page.
const DEADLINE: Duration = Duration::from_secs(20);

/// Runs the demo, writing the report to `out`.
pub async fn run(mut settings: Settings, out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    // The demo publishes on the bus itself; it needs no listening port.
    settings.ingest_addr = None;
    let ctx = Context::new(settings, Backends::embedded().await?);
    let (tx, mut pages) = mpsc::unbounded_channel::<serde_json::Value>();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let receiver = format!("http://{}/page", listener.local_addr()?);
    let app = Router::new().route("/page", post(receive)).with_state(tx);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let m = manifest::parse(&DEMO_MANIFEST.replace("{receiver}", &receiver))?;
    let resolved = manifest::resolve(&m, &ctx.settings.account_id, &ctx.settings.region)?;
    let records = ctx.records();
    manifest::apply(&records, &resolved).await?;

    let shutdown = CancellationToken::new();
    let set = roles::start(
        &ctx,
        &[Role::Ingest, Role::Engagement, Role::Notifier],
        &shutdown,
    );

    let alarm = serde_json::json!({
        "responsePlanArn": resolved.plans[0].arn,
        "title": "Checkout p99 latency 1.4 s",
        "impact": 2,
        "triggerDetails": {
            "source": "tocsin.demo",
            "timestamp": ctx.clock.now(),
            "rawData": "{\"metric\":\"checkout_p99_ms\",\"value\":1400}"
        },
        "clientToken": "demo-alarm-1"
    });
    ctx.bus
        .publish(
            OutgoingMessage::new(EXCHANGE_INGEST, RK_NATIVE, serde_json::to_vec(&alarm)?)
                .with_message_id("demo-alarm-1"),
        )
        .await?;
    writeln!(
        out,
        "Published a native alarm to {EXCHANGE_INGEST} (routing key {RK_NATIVE})."
    )?;

    let page = tokio::time::timeout(DEADLINE, pages.recv())
        .await
        .map_err(|_| anyhow::anyhow!("no page reached the webhook within {DEADLINE:?}"))?
        .ok_or_else(|| anyhow::anyhow!("the demo receiver stopped"))?;
    let (incident, timeline) = wait_for_delivery(&records).await?;

    writeln!(
        out,
        "\n== Incident\n{}",
        serde_json::to_string_pretty(&incident)?
    )?;
    writeln!(out, "\n== Timeline")?;
    for ev in &timeline {
        writeln!(
            out,
            "{}  {:<22} {}",
            ev.event_time.to_rfc3339(),
            ev.event_type,
            ev.event_data
        )?;
    }
    writeln!(
        out,
        "\n== Page delivered to {receiver}\n{}",
        serde_json::to_string_pretty(&page)?
    )?;
    shutdown.cancel();
    roles::join(set, &shutdown).await
}

async fn receive(
    State(tx): State<mpsc::UnboundedSender<serde_json::Value>>,
    body: Bytes,
) -> &'static str {
    let _ = tx.send(serde_json::from_slice(&body).unwrap_or_default());
    "ok"
}

/// Waits until the (only) incident's timeline records the delivery.
async fn wait_for_delivery(
    records: &tocsin_runtime::Records,
) -> anyhow::Result<(IncidentRecord, Vec<tocsin_proto::records::TimelineEvent>)> {
    let give_up = tokio::time::Instant::now() + DEADLINE;
    loop {
        let incidents: Vec<IncidentRecord> =
            records.list(tocsin_proto::records::kinds::INCIDENT).await?;
        if let Some(incident) = incidents.into_iter().next() {
            let id = incident
                .arn
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string();
            let timeline = records.timeline(&id).await?;
            if timeline
                .iter()
                .any(|e| e.event_type == timeline_types::PAGE_DELIVERED)
            {
                return Ok((incident, timeline));
            }
        }
        if tokio::time::Instant::now() >= give_up {
            anyhow::bail!("the delivery was not recorded on the timeline within {DEADLINE:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
