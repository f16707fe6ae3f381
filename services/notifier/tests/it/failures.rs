//! Failure paths of page delivery: a provider that hangs past the deadline.

use std::time::Duration;

use tocsin_proto::records::ChannelType;
use tocsin_runtime::Outcome;

use crate::provider::{FakeProvider, SID, TOKEN};
use crate::{Harness, page, page_id, settings};

#[tokio::test]
async fn a_send_whose_outcome_is_lost_is_recorded_and_resent_only_with_its_key() {
    let provider = FakeProvider::start().await;
    let h = Harness::new(settings(&[
        ("sms_provider_url", &provider.base()),
        ("sms_account_sid", SID),
        ("sms_auth_token", TOKEN),
        ("sms_from", "+15550001111"),
        ("webhook_timeout_ms", "300"),
    ]))
    .await;
    // The provider creates the message, then answers only after the notifier's deadline.
    provider.hang(&[Duration::from_secs(2)]);
    let p = page(ChannelType::Sms, "+15557654321");
    h.publish(&p).await;

    let Outcome::Retry { reason, .. } = h.step().await else {
        panic!("an unknown outcome is retried")
    };
    assert!(reason.contains("timed out"), "{reason}");
    assert_eq!(provider.created().len(), 1, "the provider acted");
    assert_eq!(h.step().await, Outcome::Ack);

    // Two requests with the same idempotency token: the provider made one message.
    let requests = provider.requests();
    assert_eq!(requests.len(), 2);
    assert!(
        requests
            .iter()
            .all(|r| r.idempotency_token.as_deref() == Some(page_id(&p)))
    );
    assert_eq!(provider.created().len(), 1, "no duplicate");
    // And the resend is counted, in the receipt and the counters.
    let receipts = h.receipts().await;
    assert_eq!(receipts.len(), 1);
    assert!(receipts[0].0);
    assert!(
        receipts[0]
            .1
            .detail
            .contains("resent 1x after an unknown outcome"),
        "{}",
        receipts[0].1.detail
    );
    assert_eq!(h.notifier.stats().possible_duplicates(), 1);
}
