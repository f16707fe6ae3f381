//! The engagement self-audit, on both backends: an outbox left behind by a replica that died
//! between writing an engagement and carrying out its effects is carried out — but only once
//! the audit has seen it unchanged for a whole period, so it never races a live replica.

use tocsin_proto::records::{Engagement, EngagementEffect, kinds};
use tocsin_store::Expect;
use tocsin_testkit::{Kind, wait_until};

use crate::fleet::{DEADLINE, Fleet, alarm, id_of};

on_both_backends!(
    a_left_behind_outbox_is_carried_out_after_one_audit_period,
    a_lost_stage_timer_is_restored_and_the_plan_goes_on,
);

async fn a_left_behind_outbox_is_carried_out_after_one_audit_period(
    kind: Kind,
) -> anyhow::Result<()> {
    let mut f = Fleet::new(kind).await?;
    f.start();
    f.publish_alarm(alarm(None, "audit-1"), "m-audit-1").await?;
    let incident = f
        .wait_for_event(tocsin_proto::records::timeline_types::PAGE_DELIVERED)
        .await?;
    f.stop().await?;

    // A replica wrote this effect with the engagement's state, then died before doing it.
    let records = f.records();
    let all: Vec<Engagement> = records.list(kinds::ENGAGEMENT).await?;
    let id = tocsin_core::engine::engagement_id(&all[0]).to_string();
    let (mut e, version) = records
        .get::<Engagement>(kinds::ENGAGEMENT, &id)
        .await?
        .expect("engagement");
    let event = tocsin_core::timeline::event(
        &incident.arn,
        &["left-behind"],
        f.clock_now(),
        "Custom Event",
        serde_json::json!({ "note": "left behind" }),
        &[],
    );
    e.tocsin.outbox.push(EngagementEffect::Timeline {
        incident_id: id_of(&incident).to_string(),
        event: event.clone(),
    });
    records
        .put(kinds::ENGAGEMENT, &id, &e, Expect::Version(version))
        .await?;

    let mut suspects = tocsin_engagement::timers::Suspects::new();
    let has_event = || async {
        f.timeline(&incident)
            .await
            .iter()
            .any(|t| t.event_id == event.event_id)
    };
    assert_eq!(
        tocsin_engagement::timers::audit(&f.ctx, &mut suspects).await,
        0,
        "first sight: maybe a live replica is on it"
    );
    assert!(!has_event().await);
    assert_eq!(
        tocsin_engagement::timers::audit(&f.ctx, &mut suspects).await,
        1
    );
    wait_until(
        "the left-behind event on the timeline",
        DEADLINE,
        || async { has_event().await.then_some(()) },
    )
    .await?;
    let (after, _) = records
        .get::<Engagement>(kinds::ENGAGEMENT, &id)
        .await?
        .expect("engagement");
    assert!(after.tocsin.outbox.is_empty(), "outbox cleared");
    assert_eq!(
        tocsin_engagement::timers::audit(&f.ctx, &mut suspects).await,
        0,
        "nothing left to repair"
    );
    Ok(())
}

/// A running escalation whose stage timer vanished (say, a Redis restart without persistence)
/// gets its next stage from the audit instead of stalling forever.
async fn a_lost_stage_timer_is_restored_and_the_plan_goes_on(kind: Kind) -> anyhow::Result<()> {
    let mut f = Fleet::with_manifest(kind, crate::escalation::ESCALATION).await?;
    f.start();
    f.publish_alarm(alarm(None, "lost-1"), "m-lost-1").await?;
    let to = |who: &str| {
        f.receiver
            .received()
            .iter()
            .filter(|r| r.path == format!("/{who}"))
            .count()
    };
    wait_until("stage 1 to page ann", DEADLINE, || async {
        (to("ann") == 1).then_some(())
    })
    .await?;
    let records = f.records();
    let root = records
        .list::<Engagement>(kinds::ENGAGEMENT)
        .await?
        .into_iter()
        .find(|e| e.tocsin.parent.is_none())
        .expect("root engagement");
    let key = format!(
        "{}:{}",
        records.account(),
        tocsin_core::engine::engagement_id(&root)
    );
    assert!(
        f.ctx
            .store
            .cancel_timer(tocsin_engagement::TIMER_SET, &key)
            .await?,
        "the stage timer was pending"
    );

    let mut suspects = tocsin_engagement::timers::Suspects::new();
    assert_eq!(
        tocsin_engagement::timers::audit(&f.ctx, &mut suspects).await,
        0
    );
    assert_eq!(
        tocsin_engagement::timers::audit(&f.ctx, &mut suspects).await,
        1
    );
    wait_until("stage 2 to page bob", DEADLINE, || async {
        (to("bob") == 1).then_some(())
    })
    .await?;
    f.stop().await?;
    Ok(())
}
