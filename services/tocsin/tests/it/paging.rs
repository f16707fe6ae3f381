//! The paging path's behaviour, once per backend.

use tocsin_bus::{HEADER_DLQ_REASON, OutgoingMessage};
use tocsin_core::Ctx;
use tocsin_proto::records::{IncidentRecord, IncidentStatus, ReceiptType, timeline_types as tt};
use tocsin_proto::routing::*;
use tocsin_store::Expect;
use tocsin_testkit::{Kind, wait_until};

use crate::fleet::{DEADLINE, Fleet, alarm, id_of};

on_both_backends!(
    first_page_end_to_end,
    same_dedupe_string_merges_without_paging,
    redelivery_after_a_crash_creates_nothing_twice,
    poison_messages_are_dead_lettered_and_the_workers_go_on,
    a_failing_webhook_is_retried_then_delivered_once,
);

fn count(events: &[tocsin_proto::records::TimelineEvent], t: &str) -> usize {
    events.iter().filter(|e| e.event_type == t).count()
}

async fn first_page_end_to_end(kind: Kind) -> anyhow::Result<()> {
    let mut f = Fleet::new(kind).await?;
    f.start();
    f.publish_alarm(alarm(Some("db-primary"), "t-1"), "m-1")
        .await?;
    let incident = f.wait_for_event(tt::PAGE_DELIVERED).await?;
    f.stop().await?;

    assert_eq!(incident.status, IncidentStatus::Open);
    assert_eq!(incident.title, "db-primary unreachable");
    assert_eq!(incident.dedupe_string, "db-primary");
    let timeline = f.timeline(&incident).await;
    for t in [
        tt::TRIGGER,
        tt::INCIDENT_CREATED,
        tt::CONTACT_ENGAGED,
        tt::PAGE_DELIVERED,
    ] {
        assert_eq!(count(&timeline, t), 1, "{t} once in {timeline:#?}");
    }
    assert!(
        timeline
            .iter()
            .all(|e| e.incident_record_arn == incident.arn)
    );

    let received = f.receiver.received();
    assert_eq!(received.len(), 1, "one page delivered");
    let pages = f.pages().await;
    assert_eq!(pages.len(), 1);
    let page = &pages[0];
    assert_eq!(received[0].json["pageArn"], page.page_arn.as_str());
    assert_eq!(received[0].json["acceptCode"], page.accept_code.as_str());
    assert_eq!(
        received[0].header("idempotency-key"),
        page.page_arn.rsplit('/').next()
    );
    assert_eq!(page.accept_code.len(), 6);
    assert_eq!(page.receipts.len(), 1);
    assert_eq!(page.receipts[0].receipt_type, ReceiptType::Delivered);
    assert!(page.delivery_time.is_some());
    Ok(())
}

async fn same_dedupe_string_merges_without_paging(kind: Kind) -> anyhow::Result<()> {
    let mut f = Fleet::new(kind).await?;
    f.start();
    f.publish_alarm(alarm(Some("db-primary"), "t-1"), "m-1")
        .await?;
    let first = f.wait_for_event(tt::PAGE_DELIVERED).await?;
    f.publish_alarm(alarm(Some("db-primary"), "t-2"), "m-2")
        .await?;
    f.wait_for_event(tt::INCIDENT_MERGED).await?;
    f.wait_drained(QUEUE_INGEST).await?;
    f.wait_drained(QUEUE_ENGAGEMENT).await?;
    f.wait_drained(QUEUE_NOTIFIER).await?;
    f.stop().await?;

    assert_eq!(f.incidents().await.len(), 1, "no second incident");
    assert_eq!(f.receiver.received().len(), 1, "no second page");
    let timeline = f.timeline(&first).await;
    assert_eq!(count(&timeline, tt::INCIDENT_MERGED), 1);
    assert_eq!(count(&timeline, tt::CONTACT_ENGAGED), 1);

    // Resolving frees the dedupe string: the next alarm opens (and pages) a new incident.
    let records = f.records();
    let (record, version) = records.incident(id_of(&first)).await?.expect("incident");
    let c = Ctx {
        account: records.account().into(),
        region: "us-east-1".into(),
        now: first.creation_time,
        actor: "test".into(),
    };
    let (resolved, ev) = tocsin_core::incident::resolve(&c, &record).expect("open");
    let json = serde_json::to_string(&resolved)?;
    records
        .store()
        .resolve_incident(
            records.account(),
            id_of(&first),
            &json,
            "db-primary",
            Expect::Version(version),
        )
        .await?;
    records.append_timeline(id_of(&first), &ev).await?;

    f.start();
    f.publish_alarm(alarm(Some("db-primary"), "t-3"), "m-3")
        .await?;
    wait_until("a second page", DEADLINE, || async {
        (f.receiver.received().len() == 2).then_some(())
    })
    .await?;
    wait_until(
        "the second incident's delivery on its timeline",
        DEADLINE,
        || async {
            let incidents = f.incidents().await;
            let second: Vec<IncidentRecord> = incidents
                .into_iter()
                .filter(|i| i.arn != first.arn)
                .collect();
            let tl = f.timeline(second.first()?).await;
            (count(&tl, tt::PAGE_DELIVERED) == 1).then_some(())
        },
    )
    .await?;
    f.stop().await?;
    assert_eq!(f.incidents().await.len(), 2);
    Ok(())
}

async fn redelivery_after_a_crash_creates_nothing_twice(kind: Kind) -> anyhow::Result<()> {
    let mut f = Fleet::new(kind).await?;
    f.publish_alarm(alarm(Some("db-primary"), "t-1"), "m-1")
        .await?;
    // Each stage's worker dies after its effect and before its ack.
    f.crash_after_effect(QUEUE_INGEST, tocsin_ingest::Ingest::new(f.ctx.clone()))
        .await?;
    f.crash_after_effect(
        QUEUE_ENGAGEMENT,
        tocsin_engagement::Engagements::new(f.ctx.clone()),
    )
    .await?;
    f.crash_after_effect(
        QUEUE_NOTIFIER,
        tocsin_notifier::Notifier::new(f.ctx.clone()),
    )
    .await?;
    assert_eq!(
        f.receiver.received().len(),
        1,
        "the doomed notifier did send"
    );

    // The survivors get every unacked message again.
    f.start();
    let incident = f.wait_for_event(tt::PAGE_DELIVERED).await?;
    f.wait_drained(QUEUE_INGEST).await?;
    f.wait_drained(QUEUE_ENGAGEMENT).await?;
    f.wait_drained(QUEUE_NOTIFIER).await?;
    f.stop().await?;

    assert_eq!(f.incidents().await.len(), 1, "no second incident");
    assert_eq!(f.receiver.received().len(), 1, "no second page");
    assert_eq!(f.pages().await.len(), 1);
    assert_eq!(f.pages().await[0].receipts.len(), 1);
    let timeline = f.timeline(&incident).await;
    for t in [
        tt::INCIDENT_CREATED,
        tt::CONTACT_ENGAGED,
        tt::PAGE_DELIVERED,
    ] {
        assert_eq!(count(&timeline, t), 1, "{t} once");
    }
    Ok(())
}

async fn dead_letter_reason(f: &Fleet, queue: &str, needle: &str) -> anyhow::Result<()> {
    let dlq = format!("{queue}.dlq");
    let reason = wait_until(
        &format!("a dead letter in {dlq} saying {needle:?}"),
        DEADLINE,
        || async {
            let d = f.ctx.bus.get(&dlq).await.ok()??;
            let reason = d
                .headers
                .get(HEADER_DLQ_REASON)
                .cloned()
                .unwrap_or_default();
            d.ack().await.ok()?;
            Some(reason)
        },
    )
    .await?;
    assert!(
        reason.contains(needle),
        "{dlq}: {reason:?} should contain {needle:?}"
    );
    Ok(())
}

async fn poison_messages_are_dead_lettered_and_the_workers_go_on(kind: Kind) -> anyhow::Result<()> {
    let mut f = Fleet::new(kind).await?;
    f.start();
    let bus = f.ctx.bus.clone();
    let raw = |rk: &str, body: Vec<u8>| OutgoingMessage::new(EXCHANGE_INGEST, rk, body);

    bus.publish(raw(RK_NATIVE, b"{not json".to_vec())).await?;
    dead_letter_reason(&f, QUEUE_INGEST, "invalid native alarm").await?;

    let mut big = alarm(None, "big");
    big["title"] = "x".repeat(300 * 1024).into();
    bus.publish(raw(RK_NATIVE, serde_json::to_vec(&big)?))
        .await?;
    dead_letter_reason(&f, QUEUE_INGEST, "the limit is 262144 bytes").await?;

    let mut bad = alarm(None, "bad");
    bad["impact"] = 9.into();
    bus.publish(raw(RK_NATIVE, serde_json::to_vec(&bad)?))
        .await?;
    dead_letter_reason(&f, QUEUE_INGEST, "impact: must be between 1 and 5, got 9").await?;

    let mut unknown = alarm(None, "unknown");
    unknown["responsePlanArn"] = "arn:aws:ssm-incidents::123456789012:response-plan/nope".into();
    bus.publish(raw(RK_NATIVE, serde_json::to_vec(&unknown)?))
        .await?;
    dead_letter_reason(
        &f,
        QUEUE_INGEST,
        "response plan arn:aws:ssm-incidents::123456789012:response-plan/nope does not exist",
    )
    .await?;

    let future = serde_json::json!({
        "message_id": "m", "idempotency_key": "k", "occurred_at": "2026-11-22T03:00:00Z",
        "schema_version": 99, "account_id": "123456789012", "payload": { "type": "send_page" }
    });
    bus.publish(OutgoingMessage::new(
        EXCHANGE_NOTIFY,
        RK_SEND_PAGE,
        serde_json::to_vec(&future)?,
    ))
    .await?;
    dead_letter_reason(&f, QUEUE_NOTIFIER, "unsupported schema_version 99").await?;

    // The workers are still there.
    f.publish_alarm(alarm(Some("after-poison"), "good"), "m-good")
        .await?;
    f.wait_for_event(tt::PAGE_DELIVERED).await?;
    f.stop().await?;
    assert_eq!(f.incidents().await.len(), 1);
    Ok(())
}

async fn a_failing_webhook_is_retried_then_delivered_once(kind: Kind) -> anyhow::Result<()> {
    let mut f = Fleet::new(kind).await?;
    f.receiver.script(&[503, 500]);
    f.start();
    f.publish_alarm(alarm(None, "t-1"), "m-1").await?;
    let incident = f.wait_for_event(tt::PAGE_DELIVERED).await?;
    f.stop().await?;
    let received = f.receiver.received();
    assert_eq!(received.len(), 3, "two failures, then the delivery");
    let key = received[0].header("idempotency-key").map(str::to_string);
    assert!(
        received
            .iter()
            .all(|r| r.header("idempotency-key").map(str::to_string) == key),
        "same key on every attempt"
    );
    let timeline = f.timeline(&incident).await;
    assert_eq!(count(&timeline, tt::PAGE_DELIVERED), 1);
    assert_eq!(count(&timeline, tt::PAGE_FAILED), 0);
    Ok(())
}

/// The broker drops every connection of the vhost (as in a restart): workers reconnect,
/// re-subscribe and page for the next alarm; nothing is lost or doubled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fleet_rides_out_a_lost_broker_connection() -> anyhow::Result<()> {
    let mut f = Fleet::new(Kind::Real).await?;
    f.start();
    f.publish_alarm(alarm(None, "before"), "m-before").await?;
    f.wait_for_event(tt::PAGE_DELIVERED).await?;
    f.backends
        .vhost()
        .expect("real backends")
        .close_connections()
        .await?;
    f.publish_alarm(alarm(None, "after"), "m-after").await?;
    wait_until("both incidents paged", DEADLINE, || async {
        let mut delivered = 0;
        for i in f.incidents().await {
            delivered += count(&f.timeline(&i).await, tt::PAGE_DELIVERED);
        }
        (delivered == 2).then_some(())
    })
    .await?;
    f.stop().await?;
    assert_eq!(f.incidents().await.len(), 2);
    assert_eq!(f.receiver.received().len(), 2);
    Ok(())
}
