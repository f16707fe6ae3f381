//! WEBHOOK against a receiver that verifies Standard Webhooks signatures with its own HMAC
//! ([`crate::verifier`], independent of the notifier's `hmac` crate).

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tocsin_core::clock::Clock;
use tocsin_notifier::{Drivers, SendError};
use tocsin_proto::records::ChannelType;
use tocsin_testkit::{ManualClock, Receiver};

use crate::verifier::{hmac_sha256, start_verifier};
use crate::{page, page_id, settings};

fn drivers(clock: &ManualClock, pairs: &[(&str, &str)]) -> Drivers {
    Drivers::from_settings(&settings(pairs), Arc::new(clock.clone()))
}

#[test]
fn the_independent_hmac_reproduces_the_published_vector() {
    let key = STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    let mac = hmac_sha256(
        &key,
        br#"msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}"#,
    );
    assert_eq!(
        STANDARD.encode(mac),
        "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    );
}

#[tokio::test]
async fn signed_webhooks_verify_at_the_receiver() {
    let clock = ManualClock::default();
    let key: Vec<u8> = (0u8..32)
        .map(|i| i.wrapping_mul(37).wrapping_add(11))
        .collect();
    let secret = format!("whsec_{}", STANDARD.encode(&key));
    let (addr, got) = start_verifier(key, clock.now().timestamp()).await;
    let drivers = drivers(&clock, &[("webhook_secret", secret.as_str())]);
    assert!(
        drivers.describe().contains("signed"),
        "{}",
        drivers.describe()
    );
    assert!(!drivers.describe().contains(&secret));

    let p = page(ChannelType::Webhook, &format!("http://{addr}/hook"));
    assert_eq!(drivers.send(&p).await, Ok("HTTP 204".into()));

    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let g = &got[0];
    assert!(g.verified, "{g:?}");
    let h = |n: &str| g.headers[n].to_str().unwrap().to_string();
    assert_eq!(h("webhook-id"), page_id(&p));
    assert_eq!(h("idempotency-key"), page_id(&p));
    assert_eq!(h("webhook-timestamp"), clock.now().timestamp().to_string());
    assert_eq!(h("content-type"), "application/json");
    let body: serde_json::Value = serde_json::from_slice(&g.body).unwrap();
    assert_eq!(body["pageArn"], p.page_arn);
    assert_eq!(body["acceptCode"], "472913");
}

#[tokio::test]
async fn a_plain_text_secret_is_the_key_and_a_wrong_one_is_refused() {
    let clock = ManualClock::default();
    let (addr, got) =
        start_verifier(b"a shared passphrase".to_vec(), clock.now().timestamp()).await;
    let url = format!("http://{addr}/hook");

    let ok = drivers(&clock, &[("webhook_secret", "a shared passphrase")]);
    assert_eq!(
        ok.send(&page(ChannelType::Webhook, &url)).await,
        Ok("HTTP 204".into())
    );
    // The receiver's 401 is a permanent refusal.
    let wrong = drivers(&clock, &[("webhook_secret", "another passphrase")]);
    assert_eq!(
        wrong.send(&page(ChannelType::Webhook, &url)).await,
        Err(SendError::Permanent("webhook answered HTTP 401".into()))
    );
    // A retry is signed anew with the time of the attempt.
    clock.advance(chrono::Duration::minutes(10));
    assert_eq!(
        ok.send(&page(ChannelType::Webhook, &url)).await,
        Err(SendError::Permanent("webhook answered HTTP 401".into())),
        "the receiver's clock did not move: a ten-minute-old-looking timestamp is refused"
    );
    let verified: Vec<bool> = got.lock().unwrap().iter().map(|g| g.verified).collect();
    assert_eq!(verified, [true, false, false]);
}

#[tokio::test]
async fn unsigned_without_a_secret_and_statuses_map_as_documented() {
    let clock = ManualClock::default();
    let receiver = Receiver::start().await.unwrap();
    let drivers = drivers(&clock, &[]);
    receiver.script(&[200, 302, 408, 429, 500, 410]);
    let mut outcomes = Vec::new();
    for _ in 0..6 {
        let r = drivers
            .send(&page(ChannelType::Webhook, &receiver.url("/page")))
            .await;
        outcomes.push(match r {
            Ok(d) => format!("ok {d}"),
            Err(SendError::Transient(m)) => format!("transient {m}"),
            Err(SendError::Permanent(m)) => format!("permanent {m}"),
            Err(other) => panic!("{other:?}"),
        });
    }
    assert_eq!(
        outcomes,
        [
            "ok HTTP 200",
            "permanent webhook answered HTTP 302; redirects are not followed",
            "transient webhook answered HTTP 408",
            "transient webhook answered HTTP 429",
            "transient webhook answered HTTP 500",
            "permanent webhook answered HTTP 410",
        ]
    );
    let first = &receiver.received()[0];
    assert!(first.header("webhook-signature").is_none());
    assert!(first.header("webhook-timestamp").is_none());
    assert!(first.header("idempotency-key").is_some());
}
