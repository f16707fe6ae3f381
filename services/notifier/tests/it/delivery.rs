//! Delivery semantics of the `Notifier` handler around the drivers' gates: an open circuit
//! defers pages (claim released, page back on the queue, no receipt) and never drops them; the
//! last attempt passes the circuit; a redelivered page whose outcome is recorded is not sent
//! again.

use std::time::Duration;

use tocsin_proto::records::ChannelType;
use tocsin_runtime::Outcome;
use tocsin_testkit::Receiver;

use crate::{Harness, page, settings};

#[tokio::test]
async fn an_open_circuit_defers_pages_until_the_cool_down_then_delivers_them() {
    let receiver = Receiver::start().await.unwrap();
    let h = Harness::new(settings(&[
        ("notifier_breaker_failures", "2"),
        ("notifier_breaker_cooldown_secs", "1"),
    ]))
    .await;
    receiver.script(&[503, 503]);
    let a = page(ChannelType::Webhook, &receiver.url("/a"));
    let b = page(ChannelType::Webhook, &receiver.url("/b"));

    // Two transient failures of page A open the webhook circuit.
    h.publish(&a).await;
    assert!(matches!(h.step().await, Outcome::Retry { .. }));
    assert!(matches!(h.step().await, Outcome::Retry { .. }));
    assert_eq!(receiver.received().len(), 2);

    // Page B meets the open circuit: not sent, not failed, its claim free, back on the queue
    // with the remaining cool-down as its delay.
    h.publish(&b).await;
    // A's retry is first in the queue; it is deferred too.
    for _ in 0..2 {
        match h.step_honouring_delays().await {
            Outcome::Retry { after, reason } => {
                assert!(reason.contains("circuit open"), "{reason}");
                assert!(
                    after > Duration::from_millis(500) && after <= Duration::from_millis(1250),
                    "{after:?}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(receiver.received().len(), 2, "nothing reached the peer");
    assert!(h.claim_is_free(&a).await && h.claim_is_free(&b).await);
    assert!(h.receipts().await.is_empty(), "deferred, not failed");

    // After the cool-down the pages come back; the first is the probe, it succeeds and closes
    // the circuit; the second follows.
    assert_eq!(h.step().await, Outcome::Ack);
    assert_eq!(h.step().await, Outcome::Ack);
    assert_eq!(receiver.received().len(), 4);
    let receipts = h.receipts().await;
    assert_eq!(receipts.len(), 2);
    assert!(receipts.iter().all(|(ok, _)| *ok), "{receipts:?}");
}

#[tokio::test]
async fn the_last_attempt_passes_an_open_circuit_and_reports_the_peer_s_answer() {
    let receiver = Receiver::start().await.unwrap();
    let h = Harness::new(settings(&[
        ("send_attempts", "2"),
        ("notifier_breaker_failures", "1"),
        ("notifier_breaker_cooldown_secs", "3600"),
    ]))
    .await;
    receiver.script(&[500, 500]);
    let p = page(ChannelType::Webhook, &receiver.url("/p"));
    h.publish(&p).await;

    assert!(
        matches!(h.step().await, Outcome::Retry { .. }),
        "opens the circuit"
    );
    // Attempt 2 of 2 goes through the open circuit and fails on the peer's answer.
    assert_eq!(h.step().await, Outcome::Ack);
    assert_eq!(receiver.received().len(), 2);
    let receipts = h.receipts().await;
    assert_eq!(receipts.len(), 1);
    let (ok, r) = &receipts[0];
    assert!(!ok);
    assert_eq!(
        r.detail,
        "gave up after 2 attempts: webhook answered HTTP 500"
    );
}

#[tokio::test]
async fn a_redelivered_page_is_not_sent_twice() {
    let receiver = Receiver::start().await.unwrap();
    let h = Harness::new(settings(&[])).await;
    let p = page(ChannelType::Webhook, &receiver.url("/p"));
    h.publish(&p).await;
    h.publish(&p).await;
    assert_eq!(h.step().await, Outcome::Ack);
    assert_eq!(h.step().await, Outcome::Ack);
    assert_eq!(receiver.received().len(), 1);
    // The second handling republishes the same receipt (same idempotency key).
    let receipts = h.receipts().await;
    assert_eq!(receipts.len(), 2);
    assert_eq!(receipts[0].1, receipts[1].1);
}

#[tokio::test]
async fn an_unconfigured_channel_fails_the_page_at_once() {
    let h = Harness::new(settings(&[])).await;
    let p = page(ChannelType::Sms, "+15557654321");
    h.publish(&p).await;
    assert_eq!(h.step().await, Outcome::Ack);
    let receipts = h.receipts().await;
    assert_eq!(receipts.len(), 1);
    assert!(!receipts[0].0);
    assert_eq!(receipts[0].1.detail, "no SMS provider configured");
}
