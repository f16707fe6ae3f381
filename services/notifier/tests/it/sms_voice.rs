//! SMS and VOICE against a provider API of Twilio's shape on loopback ([`FakeProvider`]).

use std::sync::Arc;

use tocsin_notifier::{Drivers, SendError};
use tocsin_proto::records::ChannelType;
use tocsin_runtime::Outcome;
use tocsin_testkit::ManualClock;

use crate::provider::{FakeProvider, SID, TOKEN};
use crate::{Harness, page, page_id, settings};

const FROM: &str = "+15550001111";
const TO: &str = "+15557654321";

fn provider_settings(base: &str, token: &str) -> tocsin_runtime::Settings {
    settings(&[
        ("sms_provider_url", base),
        ("sms_account_sid", SID),
        ("sms_auth_token", token),
        ("sms_from", FROM),
        ("public_url", "https://tocsin.example.com"),
    ])
}

fn drivers(base: &str, token: &str) -> Drivers {
    Drivers::from_settings(
        &provider_settings(base, token),
        Arc::new(ManualClock::default()),
    )
}

#[tokio::test]
async fn an_sms_page_retried_after_a_500_makes_one_message_and_one_receipt() {
    let provider = FakeProvider::start().await;
    let h = Harness::new(provider_settings(&provider.base(), TOKEN)).await;
    let p = page(ChannelType::Sms, TO);
    provider.script(&[500]);
    h.publish(&p).await;

    assert!(matches!(h.step().await, Outcome::Retry { .. }));
    assert_eq!(h.step().await, Outcome::Ack);

    let requests = provider.requests();
    assert_eq!(
        requests.iter().map(|r| r.status).collect::<Vec<_>>(),
        [500, 201]
    );
    for r in &requests {
        assert_eq!(r.resource, "Messages");
        assert_eq!(r.idempotency_token.as_deref(), Some(page_id(&p)));
        assert_eq!(r.form["To"], TO);
        assert_eq!(r.form["From"], FROM);
        assert_eq!(
            r.form["StatusCallback"],
            format!(
                "https://tocsin.example.com/v1/inbound/twilio/status/{}",
                page_id(&p)
            )
        );
        let body = &r.form["Body"];
        assert!(
            body.starts_with("Database outage\nPrimary db-1 stopped answering."),
            "{body}"
        );
        assert!(body.contains("Accept code: 472913"), "{body}");
        assert!(
            body.contains(&format!("/v1/inbound/ack/{}?code=472913", page_id(&p))),
            "{body}"
        );
    }
    let created = provider.created();
    assert_eq!(created.len(), 1, "one message");

    let receipts = h.receipts().await;
    assert_eq!(receipts.len(), 1, "one receipt");
    let (ok, r) = &receipts[0];
    assert!(*ok);
    assert_eq!(
        r.detail,
        format!(
            "SMS accepted by the provider: sid {}, status queued",
            created[0].sid
        )
    );
}

#[tokio::test]
async fn a_resent_page_does_not_make_a_second_message() {
    // The answer to the first request was lost: the retry carries the same idempotency token.
    let provider = FakeProvider::start().await;
    let drivers = drivers(&provider.base(), TOKEN);
    let p = page(ChannelType::Sms, TO);
    let first = drivers.send(&p).await.unwrap();
    let second = drivers.send(&p).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(
        (provider.requests().len(), provider.created().len()),
        (2, 1)
    );
}

#[tokio::test]
async fn a_voice_page_is_a_call_that_says_the_page_and_asks_for_a_key() {
    let provider = FakeProvider::start().await;
    let p = page(ChannelType::Voice, TO);
    let detail = drivers(&provider.base(), TOKEN).send(&p).await.unwrap();
    let created = provider.created();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].resource, "Calls");
    assert!(created[0].sid.starts_with("CA"));
    assert_eq!(
        detail,
        format!(
            "call accepted by the provider: sid {}, status queued",
            created[0].sid
        )
    );
    let twiml = &created[0].form["Twiml"];
    assert!(twiml.starts_with("<?xml"), "{twiml}");
    assert!(
        twiml.contains("Database outage. Primary db-1 stopped answering."),
        "{twiml}"
    );
    assert!(twiml.contains("Press 1 to acknowledge."), "{twiml}");
    assert!(twiml.contains("accept code is 4 7 2 9 1 3"), "{twiml}");
    assert!(twiml.contains(r#"<Gather numDigits="1""#), "{twiml}");
    assert_eq!(created[0].form["To"], TO);
    assert_eq!(created[0].form["From"], FROM);
}

#[tokio::test]
async fn provider_answers_map_to_transient_or_permanent() {
    let provider = FakeProvider::start().await;
    let drivers = drivers(&provider.base(), TOKEN);
    provider.script(&[429, 503, 400, 404]);
    let mut kinds = Vec::new();
    for _ in 0..4 {
        let e = drivers.send(&page(ChannelType::Sms, TO)).await.unwrap_err();
        kinds.push(match e {
            SendError::Transient(m) => format!("transient {m}"),
            SendError::Permanent(m) => format!("permanent {m}"),
            other => panic!("{other:?}"),
        });
    }
    assert_eq!(
        kinds,
        [
            "transient SMS provider answered HTTP 429 (code 20500: Scripted failure)",
            "transient SMS provider answered HTTP 503 (code 20500: Scripted failure)",
            "permanent SMS provider answered HTTP 400 (code 20500: Scripted failure)",
            "permanent SMS provider answered HTTP 404 (code 20500: Scripted failure)",
        ]
    );
    assert!(provider.created().is_empty());
}

#[tokio::test]
async fn a_wrong_token_is_permanent_and_never_shown() {
    let provider = FakeProvider::start().await;
    let e = drivers(&provider.base(), "not-the-token-hunter3")
        .send(&page(ChannelType::Voice, TO))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, SendError::Permanent(m) if m.contains("HTTP 401") && m.contains("20003")),
        "{e:?}"
    );
    assert!(!e.to_string().contains("hunter3"), "{e}");
    assert_eq!(provider.requests()[0].status, 401);
}

#[tokio::test]
async fn unconfigured_provider_bad_numbers_and_unreachable_provider() {
    let none = Drivers::from_settings(&settings(&[]), Arc::new(ManualClock::default()));
    assert_eq!(
        none.send(&page(ChannelType::Sms, TO)).await,
        Err(SendError::Permanent("no SMS provider configured".into()))
    );
    assert!(matches!(
        none.send(&page(ChannelType::Voice, TO)).await,
        Err(SendError::Permanent(m)) if m.starts_with("no voice provider configured")
    ));

    let provider = FakeProvider::start().await;
    let e = drivers(&provider.base(), TOKEN)
        .send(&page(ChannelType::Sms, "555-1234"))
        .await
        .unwrap_err();
    assert!(matches!(e, SendError::Permanent(m) if m.contains("E.164")));
    assert!(provider.requests().is_empty());

    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let e = drivers(&format!("http://{closed}"), TOKEN)
        .send(&page(ChannelType::Sms, TO))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        SendError::Transient("SMS provider request failed: could not connect".into())
    );
}
