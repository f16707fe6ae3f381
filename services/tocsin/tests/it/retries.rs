//! On both backends, time moved by hand: a page whose send failed for good is sent again after
//! its target's `RetryIntervalInMinutes`, and an acknowledgement that outlives the plan's
//! `ackTimeoutInMinutes` (Tocsin extension) re-triggers it while the incident stays open.

use chrono::Duration;
use tocsin_engagement::{AcceptPage, AcceptType, accept_page};
use tocsin_proto::records::{Engagement, EngagementStatus, kinds, timeline_types as tt};
use tocsin_testkit::{Kind, wait_until};

use crate::fleet::{DEADLINE, Fleet, alarm};

const MANIFEST: &str = r#"
contacts:
  - alias: ann
    channels: [{ name: hook, type: WEBHOOK, address: "{receiver}/ann" }]
    stages: [{ durationInMinutes: 30, targets: [{ channel: hook, retryIntervalInMinutes: 2 }] }]
  - alias: sre
    type: ESCALATION
    ackTimeoutInMinutes: 30
    stages: [{ durationInMinutes: 5, targets: [{ contact: ann, essential: true }] }]
responsePlans:
  - name: db-outage
    incidentTemplate: { title: Database outage, impact: 2 }
    engagements: [sre]
"#;

on_both_backends!(a_failed_page_is_retried_and_a_stale_acknowledgement_re_triggers);

async fn a_failed_page_is_retried_and_a_stale_acknowledgement_re_triggers(
    kind: Kind,
) -> anyhow::Result<()> {
    let mut f = Fleet::with_manifest(kind, MANIFEST).await?;
    // The first delivery is refused for good (a 4xx is not retried by the notifier itself).
    f.receiver.script(&[410]);
    f.start();
    f.publish_alarm(alarm(None, "retry-1"), "m-retry-1").await?;
    let failed = f.wait_for_event(tt::PAGE_RETRY_SCHEDULED).await?;
    let to_ann = |f: &Fleet| {
        f.receiver
            .received()
            .into_iter()
            .filter(|r| r.path == "/ann")
            .map(|r| r.json)
            .collect::<Vec<_>>()
    };
    assert_eq!(to_ann(&f).len(), 1);

    f.clock.advance(Duration::minutes(2));
    let retried = wait_until("the retry to reach ann", DEADLINE, || async {
        to_ann(&f).get(1).cloned()
    })
    .await?;
    assert_ne!(
        retried["pageArn"],
        to_ann(&f)[0]["pageArn"],
        "a page of its own"
    );

    let records = f.records();
    accept_page(
        &f.ctx,
        &records,
        &AcceptPage {
            page_id: retried["pageArn"].as_str().unwrap_or_default().into(),
            contact_channel_id: None,
            accept_type: AcceptType::Read,
            note: None,
            accept_code: retried["acceptCode"].as_str().unwrap_or_default().into(),
            enforce_code: true,
        },
    )
    .await?;
    let root = |records: tocsin_runtime::Records| async move {
        let all: Vec<Engagement> = records.list(kinds::ENGAGEMENT).await.ok()?;
        all.into_iter().find(|e| e.tocsin.parent.is_none())
    };
    wait_until("the plan to be acknowledged", DEADLINE, || async {
        let r = root(records.clone()).await?;
        (r.tocsin.status == EngagementStatus::Acknowledged).then_some(())
    })
    .await?;

    // Thirty minutes later the incident is still open: the plan starts over and pages ann.
    f.clock.advance(Duration::minutes(30));
    wait_until("the re-triggered plan to page ann", DEADLINE, || async {
        (to_ann(&f).len() == 3).then_some(())
    })
    .await?;
    let incident = f.wait_for_event(tt::ACK_TIMED_OUT).await?;
    assert_eq!(incident.arn, failed.arn);
    let r = root(records.clone()).await.expect("root engagement");
    assert_eq!(r.tocsin.status, EngagementStatus::Active);
    assert_eq!(r.tocsin.round, 1);
    f.stop().await?;
    Ok(())
}
