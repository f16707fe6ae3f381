//! Per-contact-channel throttles: delayed, never dropped, and said so.

use tocsin_proto::records::ChannelType;
use tocsin_runtime::Outcome;

use crate::provider::{FakeProvider, SID, TOKEN};
use crate::{Harness, page, settings};

#[tokio::test]
async fn a_fourth_call_in_fifteen_minutes_waits_for_the_window_and_is_noted() {
    let provider = FakeProvider::start().await;
    let h = Harness::new(settings(&[
        ("sms_provider_url", &provider.base()),
        ("sms_account_sid", SID),
        ("sms_auth_token", TOKEN),
        ("sms_from", "+15550001111"),
    ]))
    .await;
    assert_eq!(
        h.ctx.settings.throttles.voice.map(|t| t.count),
        Some(3),
        "the default"
    );
    let pages: Vec<_> = (0..4)
        .map(|_| page(ChannelType::Voice, "+15557654321"))
        .collect();
    for p in &pages[..3] {
        h.publish(p).await;
        assert_eq!(h.step().await, Outcome::Ack);
        h.clock.advance(chrono::Duration::seconds(60));
    }
    h.publish(&pages[3]).await;
    let Outcome::Retry { reason, .. } = h.step().await else {
        panic!("throttled")
    };
    assert!(reason.contains("throttled"), "{reason}");
    assert_eq!(provider.created().len(), 3, "not sent");
    assert!(
        h.claim_is_free(&pages[3]).await,
        "the claim is released, not kept"
    );
    assert_eq!(h.notifier.stats().throttled(), 1);
    let timeline = h
        .ctx
        .records()
        .timeline(&pages[3].incident_id)
        .await
        .unwrap();
    assert!(
        timeline
            .iter()
            .any(|e| e.event_type == "Page Throttled"
                && e.event_data.contains("delayed, not dropped")),
        "{timeline:?}"
    );
    // Still waiting a minute later.
    assert!(matches!(h.step().await, Outcome::Retry { .. }));
    // Fifteen minutes after the first call the window has room: sent once, one receipt.
    h.clock.advance(chrono::Duration::seconds(13 * 60));
    assert_eq!(h.step().await, Outcome::Ack);
    assert_eq!(provider.created().len(), 4);
    let receipts = h.receipts().await;
    assert_eq!(receipts.iter().filter(|(ok, _)| *ok).count(), 4);
}
