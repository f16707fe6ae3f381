//! Every alarm format end to end, on both backends: AMQP and HTTP in, routing by rule or
//! integration key, dedupe, auto-resolve, unrouted alarms, PagerDuty's API shapes.

use std::sync::Arc;

use tocsin_bus::OutgoingMessage;
use tocsin_proto::records::{
    Engagement, EngagementStatus, IncidentStatus, UnroutedEvent, kinds, timeline_types as tt,
};
use tocsin_proto::routing::EXCHANGE_INGEST;
use tocsin_testkit::{Kind, wait_until};
use tokio_util::sync::CancellationToken;

use crate::fleet::{DEADLINE, Fleet};

const MANIFEST: &str = r#"
contacts:
  - alias: alice
    channels: [{ name: hook, type: WEBHOOK, address: "{receiver}/page" }]
    stages: [{ durationInMinutes: 0, targets: [hook] }]
responsePlans:
  - name: db-outage
    incidentTemplate: { title: Database outage, impact: 2 }
    engagements: [alice]
  - name: web
    incidentTemplate: { title: Web, impact: 3 }
    engagements: [alice]
    autoResolve: true
ingestRules:
  - name: cloudwatch-to-db
    eventPattern: { source: [aws.cloudwatch] }
    responsePlan: db-outage
"#;

const CLOUDWATCH: &str =
    include_str!("../../../../crates/core/tests/fixtures/cloudwatch/single-metric-alarm.json");
const EC2: &str = include_str!(
    "../../../../crates/core/tests/fixtures/eventbridge/ec2-instance-state-change.json"
);
const FIRING: &str =
    include_str!("../../../../crates/core/tests/fixtures/alertmanager/firing.json");
const RESOLVED: &str =
    include_str!("../../../../crates/core/tests/fixtures/alertmanager/resolved.json");
const PD_TRIGGER: &str =
    include_str!("../../../../crates/core/tests/fixtures/pagerduty/trigger.json");

on_both_backends!(
    a_cloudwatch_alarm_is_routed_by_rule_and_merged_by_alarm_arn,
    alertmanager_over_http_opens_then_resolves,
    pagerduty_enqueue_speaks_pagerduty,
    an_event_no_rule_matches_is_recorded_as_unrouted,
);

/// The ingest HTTP endpoints of `f` on a free port.
async fn http(
    f: &Fleet,
    rate_per_minute: Option<u32>,
) -> anyhow::Result<(String, CancellationToken)> {
    let mut ctx = f.ctx.clone();
    if let Some(rate) = rate_per_minute {
        let mut s = (*ctx.settings).clone();
        s.ingest_rate_per_minute = rate;
        ctx.settings = Arc::new(s);
    }
    let token = CancellationToken::new();
    let addr = tocsin_ingest::http::serve(ctx, "127.0.0.1:0".parse()?, token.clone()).await?;
    Ok((format!("http://{addr}"), token))
}

async fn a_cloudwatch_alarm_is_routed_by_rule_and_merged_by_alarm_arn(
    kind: Kind,
) -> anyhow::Result<()> {
    let mut f = Fleet::with_manifest(kind, MANIFEST).await?;
    f.start();
    for id in ["cw-1", "cw-2"] {
        let msg = OutgoingMessage::new(
            EXCHANGE_INGEST,
            "cloudwatch",
            CLOUDWATCH.as_bytes().to_vec(),
        )
        .with_message_id(id);
        f.ctx.bus.publish(msg).await?;
    }
    let incident = f.wait_for_event(tt::INCIDENT_MERGED).await?;
    f.wait_for_event(tt::PAGE_DELIVERED).await?;
    f.stop().await?;
    let alarm: serde_json::Value = serde_json::from_str(CLOUDWATCH)?;
    let alarm_arn = alarm["resources"][0].as_str().unwrap_or_default();
    assert_eq!(
        f.incidents().await.len(),
        1,
        "the second state change merged"
    );
    assert!(
        incident.title.starts_with("Database outage: "),
        "{}",
        incident.title
    );
    assert_eq!(
        incident.dedupe_string, alarm_arn,
        "no dedupe string: the alarm ARN merges"
    );
    assert_eq!(incident.incident_record_source.source, "aws.cloudwatch");
    assert!(
        incident
            .related_items
            .iter()
            .any(|r| r.identifier.item_type == "METRIC"),
        "{:?}",
        incident.related_items
    );
    let timeline = f.timeline(&incident).await;
    let trigger = timeline
        .iter()
        .find(|e| e.event_type == tt::TRIGGER)
        .expect("trigger event");
    assert!(trigger.event_data.contains("rawData"));
    assert_eq!(f.receiver.received().len(), 1);
    Ok(())
}

async fn alertmanager_over_http_opens_then_resolves(kind: Kind) -> anyhow::Result<()> {
    let mut f = Fleet::with_manifest(kind, MANIFEST).await?;
    let records = f.records();
    let web = tocsin_proto::arn::response_plan(records.account(), "web");
    let key = tocsin_ingest::keys::create(
        &records,
        "prometheus",
        "alertmanager",
        Some(&web),
        f.clock_now(),
    )
    .await?;
    f.start();
    let (base, stop_http) = http(&f, None).await?;
    let http = reqwest::Client::new();
    let post = |path: &str, bearer: Option<&str>, body: &str| {
        let mut r = http
            .post(format!("{base}{path}"))
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(b) = bearer {
            r = r.bearer_auth(b);
        }
        r.send()
    };

    assert_eq!(
        post("/v1/ingest/alertmanager", None, FIRING)
            .await?
            .status(),
        401
    );
    assert_eq!(
        post("/v1/ingest/cloudwatch", Some(&key.key), CLOUDWATCH)
            .await?
            .status(),
        403
    );
    let bad = post(
        "/v1/ingest/alertmanager",
        Some(&key.key),
        r#"{"version":"4","status":"firing"}"#,
    )
    .await?;
    assert_eq!(bad.status(), 400);
    let body: serde_json::Value = bad.json().await?;
    assert!(
        body["errors"].as_array().is_some_and(|e| !e.is_empty()),
        "{body}"
    );

    let ok = post("/v1/ingest/alertmanager", Some(&key.key), FIRING).await?;
    assert_eq!(ok.status(), 202);
    let event_id: serde_json::Value = ok.json().await?;
    assert!(event_id["eventId"].is_string());
    let incident = f.wait_for_event(tt::PAGE_DELIVERED).await?;
    assert!(incident.title.starts_with("Web: "), "{}", incident.title);

    assert_eq!(
        post("/v1/ingest/alertmanager", Some(&key.key), RESOLVED)
            .await?
            .status(),
        202
    );
    let resolved = f.wait_for_event(tt::INCIDENT_RESOLVED).await?;
    assert_eq!(resolved.arn, incident.arn);
    // The outcomes are counted and served on the endpoints' /metrics.
    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    for line in [
        r#"tocsin_ingest_alarms_total{outcome="created"} 1"#,
        r#"tocsin_ingest_alarms_total{outcome="resolved"} 1"#,
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }
    wait_until("the incident's engagement to stop", DEADLINE, || async {
        let all: Vec<Engagement> = records.list(kinds::ENGAGEMENT).await.ok()?;
        all.iter()
            .all(|e| e.tocsin.status == EngagementStatus::Stopped)
            .then_some(())
    })
    .await?;
    let (record, _) = records
        .incident(crate::fleet::id_of(&incident))
        .await?
        .expect("incident");
    assert_eq!(record.status, IncidentStatus::Resolved);
    assert!(
        records
            .store()
            .open_incident_for(records.account(), &record.dedupe_string)
            .await?
            .is_none(),
        "dedupe freed"
    );
    stop_http.cancel();
    f.stop().await?;
    Ok(())
}

async fn pagerduty_enqueue_speaks_pagerduty(kind: Kind) -> anyhow::Result<()> {
    let mut f = Fleet::with_manifest(kind, MANIFEST).await?;
    let records = f.records();
    let db = tocsin_proto::arn::response_plan(records.account(), "db-outage");
    let key =
        tocsin_ingest::keys::create(&records, "nagios", "pagerduty", Some(&db), f.clock_now())
            .await?;
    f.start();
    let (base, stop_http) = http(&f, Some(2)).await?;
    let http = reqwest::Client::new();
    let mut event: serde_json::Value = serde_json::from_str(PD_TRIGGER)?;
    event["routing_key"] = key.key.clone().into();

    let mut invalid = event.clone();
    invalid["payload"]
        .as_object_mut()
        .map(|p| p.remove("summary"));
    let r = http
        .post(format!("{base}/v2/enqueue"))
        .json(&invalid)
        .send()
        .await?;
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await?;
    assert_eq!(body["status"], "invalid event");
    assert!(
        body["errors"].to_string().contains("payload.summary"),
        "{body}"
    );

    let r = http
        .post(format!("{base}/v2/enqueue"))
        .json(&event)
        .send()
        .await?;
    assert_eq!(r.status(), 202);
    let body: serde_json::Value = r.json().await?;
    assert_eq!(body["status"], "success");
    assert_eq!(body["dedup_key"], "samplekeyhere");

    // Two requests per minute: the bucket is empty now (the invalid one counted too).
    let r = http
        .post(format!("{base}/v2/enqueue"))
        .json(&event)
        .send()
        .await?;
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_some());

    let incident = f.wait_for_event(tt::PAGE_DELIVERED).await?;
    assert_eq!(incident.dedupe_string, "samplekeyhere");
    stop_http.cancel();
    f.stop().await?;
    Ok(())
}

async fn an_event_no_rule_matches_is_recorded_as_unrouted(kind: Kind) -> anyhow::Result<()> {
    let mut f = Fleet::with_manifest(kind, MANIFEST).await?;
    f.start();
    let msg = OutgoingMessage::new(EXCHANGE_INGEST, "eventbridge", EC2.as_bytes().to_vec())
        .with_message_id("ec2-1");
    f.ctx.bus.publish(msg).await?;
    let records = f.records();
    let unrouted = wait_until("the unrouted record", DEADLINE, || async {
        let all: Vec<UnroutedEvent> = records.list(kinds::UNROUTED_EVENT).await.ok()?;
        all.into_iter().next()
    })
    .await?;
    f.stop().await?;
    assert_eq!(unrouted.format, "eventbridge");
    assert!(
        unrouted.reason.contains("no routing rule matched"),
        "{}",
        unrouted.reason
    );
    assert!(f.incidents().await.is_empty());
    Ok(())
}

/// Alarms the ingest replicas of this process created or merged (replays not counted), from
/// their `tocsin_ingest_alarms_total` counters.
fn handled_alarms() -> usize {
    tocsin_runtime::metrics::render()
        .lines()
        .filter(|l| {
            l.starts_with(r#"tocsin_ingest_alarms_total{outcome="created"}"#)
                || l.starts_with(r#"tocsin_ingest_alarms_total{outcome="merged"}"#)
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<usize>().ok())
        .sum()
}

/// Four ingest replicas race over 100,000 shuffled alarms on 1,000 dedupe strings, a tenth of
/// them delivered twice, on real RabbitMQ and Redis: exactly one incident and one first page
/// per dedupe string, every other alarm a merge, and no redelivered duplicate counted twice.
/// (It runs alone: `.config/nextest.toml` gives it both cores and more time.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_ingest_replicas_race_over_duplicated_alarms() -> anyhow::Result<()> {
    use rand::seq::SliceRandom;
    const KEYS: usize = 1_000;
    const PER_KEY: usize = 100;
    /// Every `REDELIVER_EVERY`-th alarm is published twice with the same message id.
    const REDELIVER_EVERY: usize = 10;
    let f = Fleet::with_manifest(Kind::Real, MANIFEST).await?;
    let token = CancellationToken::new();
    let mut roles = Vec::new();
    for _ in 0..4 {
        let mut ctx = f.ctx.clone();
        ctx.bus = f.backends.another_bus().await?;
        roles.push(tocsin::roles::start(
            &ctx,
            &[tocsin::roles::Role::Ingest],
            &token,
        ));
    }
    roles.push(tocsin::roles::start(
        &f.ctx,
        &[
            tocsin::roles::Role::Engagement,
            tocsin::roles::Role::Notifier,
        ],
        &token,
    ));

    let plan = tocsin_proto::arn::response_plan(f.records().account(), "db-outage");
    let mut messages = Vec::new();
    for k in 0..KEYS {
        for j in 0..PER_KEY {
            let alarm = serde_json::json!({ "responsePlanArn": plan, "dedupeString": format!("key-{k}"), "clientToken": format!("{k}-{j}") });
            let body = serde_json::to_vec(&alarm)?;
            let copies = if (k * PER_KEY + j).is_multiple_of(REDELIVER_EVERY) {
                2
            } else {
                1
            };
            for _ in 0..copies {
                messages.push(
                    OutgoingMessage::new(EXCHANGE_INGEST, "native", body.clone())
                        .with_message_id(format!("m-{k}-{j}")),
                );
            }
        }
    }
    messages.shuffle(&mut rand::rng());
    let publisher = f.backends.another_bus().await?;
    let mut sends = tokio::task::JoinSet::new();
    let started = std::time::Instant::now();
    let total = messages.len();
    for chunk in messages.chunks(2_000).map(<[_]>::to_vec) {
        let bus = publisher.clone();
        sends.spawn(async move {
            for m in chunk {
                bus.publish(m).await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(r) = sends.join_next().await {
        r??;
    }
    let deadline = std::time::Duration::from_secs(240);
    wait_until("one first page per dedupe string", deadline, || async {
        (f.receiver.received().len() >= KEYS).then_some(())
    })
    .await?;
    // Every alarm handled, retried ones included (an empty queue can still have alarms in
    // flight or waiting in its retry queue): the replicas count them as they go.
    wait_until("every alarm to be handled", deadline, || async {
        (handled_alarms() == KEYS * PER_KEY).then_some(())
    })
    .await?;
    eprintln!(
        "race: {total} alarms through 4 ingest replicas in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    f.wait_drained(tocsin_proto::routing::QUEUE_ENGAGEMENT)
        .await?;
    f.wait_drained(tocsin_proto::routing::QUEUE_NOTIFIER)
        .await?;
    token.cancel();
    for set in roles {
        tocsin::roles::join(set, &token).await?;
    }
    publisher.close().await;

    let incidents = f.incidents().await;
    assert_eq!(incidents.len(), KEYS, "one incident per dedupe string");
    let mut merges = 0;
    for i in &incidents {
        merges += f
            .timeline(i)
            .await
            .iter()
            .filter(|e| e.event_type == tt::INCIDENT_MERGED)
            .count();
    }
    assert_eq!(
        merges,
        KEYS * (PER_KEY - 1),
        "every other alarm merged once; redeliveries add nothing"
    );
    assert_eq!(
        f.receiver.received().len(),
        KEYS,
        "one first page per incident"
    );
    Ok(())
}
