//! Escalation over time, on both backends: the clock is a manual clock the test moves, the
//! stage timers live in the store, and every replica's poller fires them.

use chrono::Duration;
use tocsin_engagement::{AcceptError, AcceptPage, AcceptType, TIMER_SET, accept_page};
use tocsin_proto::records::{Engagement, EngagementStatus, kinds, timeline_types as tt};
use tocsin_proto::routing::*;
use tocsin_testkit::{Kind, wait_until};

use crate::fleet::{DEADLINE, Fleet, alarm};

/// Ann, then Bob, then Cid, five minutes apart, each essential.
pub(crate) const ESCALATION: &str = r#"
contacts:
  - alias: ann
    channels: [{ name: hook, type: WEBHOOK, address: "{receiver}/ann" }]
    stages: [{ durationInMinutes: 30, targets: [hook] }]
  - alias: bob
    channels: [{ name: hook, type: WEBHOOK, address: "{receiver}/bob" }]
    stages: [{ durationInMinutes: 30, targets: [hook] }]
  - alias: cid
    channels: [{ name: hook, type: WEBHOOK, address: "{receiver}/cid" }]
    stages: [{ durationInMinutes: 30, targets: [hook] }]
  - alias: sre
    type: ESCALATION
    stages:
      - { durationInMinutes: 5, targets: [{ contact: ann, essential: true }] }
      - { durationInMinutes: 5, targets: [{ contact: bob, essential: true }] }
      - { durationInMinutes: 5, targets: [{ contact: cid, essential: true }] }
responsePlans:
  - name: db-outage
    incidentTemplate: { title: Database outage, impact: 2 }
    engagements: [sre]
"#;

macro_rules! scenarios {
    ($($name:ident: $kind:expr, $kill:expr;)*) => {
        $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() { three_stage_escalation($kind, $kill).await.unwrap() })*
    };
}

scenarios! {
    memory_stage_two_acknowledges: Kind::Memory, false;
    real_stage_two_acknowledges: Kind::Real, false;
    memory_replica_killed_between_stages: Kind::Memory, true;
    real_replica_killed_between_stages: Kind::Real, true;
}

fn pages_to(f: &Fleet, who: &str) -> Vec<serde_json::Value> {
    f.receiver
        .received()
        .into_iter()
        .filter(|r| r.path == format!("/{who}"))
        .map(|r| r.json)
        .collect()
}

async fn three_stage_escalation(kind: Kind, kill_between_stages: bool) -> anyhow::Result<()> {
    let mut f = Fleet::with_manifest(kind, ESCALATION).await?;
    f.start();
    f.publish_alarm(alarm(None, "esc-1"), "m-esc-1").await?;
    wait_until("stage 1 to page ann", DEADLINE, || async {
        (!pages_to(&f, "ann").is_empty()).then_some(())
    })
    .await?;
    assert!(pages_to(&f, "bob").is_empty(), "stage 2 waits for its time");

    if kill_between_stages {
        // The replica dies with stage 2's timer pending; a new one takes over.
        f.kill().await;
        f.start();
    }
    f.clock.advance(Duration::minutes(5));
    let bob = wait_until("stage 2 to page bob", DEADLINE, || async {
        pages_to(&f, "bob").into_iter().next()
    })
    .await?;

    let records = f.records();
    let page_arn = bob["pageArn"].as_str().unwrap_or_default().to_string();
    let code = bob["acceptCode"].as_str().unwrap_or_default().to_string();
    let mut req = AcceptPage {
        page_id: page_arn.clone(),
        contact_channel_id: None,
        accept_type: AcceptType::Read,
        note: Some("on it".into()),
        accept_code: if code == "000000" {
            "000001".into()
        } else {
            "000000".into()
        },
        enforce_code: true,
    };
    let wrong = accept_page(&f.ctx, &records, &req).await;
    assert!(matches!(wrong, Err(AcceptError::WrongCode)), "{wrong:?}");
    req.accept_code = code;
    accept_page(&f.ctx, &records, &req).await?;

    let root = wait_until("the escalation to be acknowledged", DEADLINE, || async {
        let all: Vec<Engagement> = records.list(kinds::ENGAGEMENT).await.ok()?;
        all.into_iter().find(|e| {
            e.tocsin.parent.is_none() && e.tocsin.status == EngagementStatus::Acknowledged
        })
    })
    .await?;
    assert!(
        root.tocsin
            .acknowledged_by
            .as_deref()
            .is_some_and(|b| b.ends_with("contact/bob"))
    );
    // Bob acknowledged five minutes into the incident: its time to first acknowledgement.
    let metrics = tocsin_runtime::metrics::render();
    for line in [
        "tocsin_time_to_first_acknowledgement_seconds_count 1",
        "tocsin_time_to_first_acknowledgement_seconds_sum 300",
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }

    // Time passes far beyond stage 3; every pending timer fires and is dropped or ends a plan.
    f.clock.advance(Duration::hours(2));
    wait_until("every timer to have fired", DEADLINE, || async {
        (records.store().timer_count(TIMER_SET).await.ok()? == 0).then_some(())
    })
    .await?;
    f.wait_drained(QUEUE_ENGAGEMENT).await?;
    f.wait_drained(QUEUE_NOTIFIER).await?;
    f.stop().await?;

    assert_eq!(pages_to(&f, "ann").len(), 1, "ann paged once");
    assert_eq!(pages_to(&f, "bob").len(), 1, "bob paged once");
    assert!(pages_to(&f, "cid").is_empty(), "stage 3 never paged");
    let incident = f.incidents().await.into_iter().next().expect("incident");
    let timeline = f.timeline(&incident).await;
    let count = |t: &str| timeline.iter().filter(|e| e.event_type == t).count();
    assert_eq!(
        count(tt::ESCALATION_STAGE),
        2,
        "stages 1 and 2 started, 3 did not"
    );
    assert_eq!(count(tt::CONTACT_ENGAGED), 2);
    assert!(count(tt::ACKNOWLEDGED) >= 1);
    assert_eq!(count(tt::PAGE_DELIVERED), 2);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_stop_engagement_stops_the_plan() {
    stop_engagement_stops_the_plan(Kind::Memory).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_stop_engagement_stops_the_plan() {
    stop_engagement_stops_the_plan(Kind::Real).await.unwrap()
}

/// `StopEngagement` travels over the bus to the engagement service and stops the plan and
/// every engagement it started; later stages never page.
async fn stop_engagement_stops_the_plan(kind: Kind) -> anyhow::Result<()> {
    let mut f = Fleet::with_manifest(kind, ESCALATION).await?;
    f.start();
    f.publish_alarm(alarm(None, "stop-1"), "m-stop-1").await?;
    wait_until("stage 1 to page ann", DEADLINE, || async {
        (!pages_to(&f, "ann").is_empty()).then_some(())
    })
    .await?;
    let records = f.records();
    let all: Vec<Engagement> = records.list(kinds::ENGAGEMENT).await?;
    let root = all
        .iter()
        .find(|e| e.tocsin.parent.is_none())
        .expect("root engagement");
    tocsin_engagement::stop_engagement(
        &f.ctx,
        &records,
        &root.engagement_arn,
        Some("handled by phone".into()),
    )
    .await?;
    wait_until("every engagement to stop", DEADLINE, || async {
        let all: Vec<Engagement> = records.list(kinds::ENGAGEMENT).await.ok()?;
        all.iter()
            .all(|e| e.tocsin.status == EngagementStatus::Stopped)
            .then_some(())
    })
    .await?;
    f.clock.advance(Duration::hours(1));
    wait_until("every timer to have fired", DEADLINE, || async {
        (records.store().timer_count(TIMER_SET).await.ok()? == 0).then_some(())
    })
    .await?;
    f.wait_drained(QUEUE_NOTIFIER).await?;
    f.stop().await?;
    assert!(pages_to(&f, "bob").is_empty() && pages_to(&f, "cid").is_empty());
    Ok(())
}
