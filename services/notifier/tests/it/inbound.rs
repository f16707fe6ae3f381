//! The inbound routes through `inbound_router`: acknowledge links, SMS replies, provider
//! status callbacks, key presses, and Slack slash commands, each with its own signature.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use hmac::{Hmac, Mac};
use tocsin_core::clock::Clock;
use tocsin_core::contacts::activation::{ActivationCode, ActivationState, issue_code};
use tocsin_notifier::inbound::sms;
use tocsin_notifier::inbound_router;
use tocsin_notifier::links::Links;
use tocsin_proto::messages::Event;
use tocsin_proto::records::{
    ActivationStatus, ChannelType, ContactChannel, IncidentRecord, IncidentStatus, kinds,
};
use tocsin_runtime::Outcome;
use tower::ServiceExt;

use crate::fixtures;
use crate::provider::{FakeProvider, SID, TOKEN};
use crate::{Harness, page as send_page, settings};

const PUBLIC: &str = "https://tocsin.example.com";
const NUMBER: &str = "+15557654321";
const SLACK_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

async fn harness(provider: &str) -> Harness {
    Harness::new(settings(&[
        ("public_url", PUBLIC),
        ("link_secret", "link-secret-0123456789"),
        ("sms_provider_url", provider),
        ("sms_account_sid", SID),
        ("sms_auth_token", TOKEN),
        ("sms_from", "+15550001111"),
        ("slack_signing_secret", SLACK_SECRET),
    ]))
    .await
}

async fn call(h: &Harness, req: Request<Body>) -> (StatusCode, String) {
    let res = inbound_router(&h.ctx).oneshot(req).await.unwrap();
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

/// A provider callback signed as Twilio signs it.
fn twilio(path: &str, pairs: &[(&str, &str)], token: &str) -> Request<Body> {
    let mut sorted: Vec<_> = pairs.to_vec();
    sorted.sort();
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(format!("{PUBLIC}{path}").as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", sig)
        .body(Body::from(form(pairs)))
        .unwrap()
}

fn accepted(events: &[Event]) -> Vec<(String, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::PageAccepted(a) => Some((a.page_arn.clone(), a.accept_type.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn the_mail_link_confirms_on_get_and_acknowledges_on_post() {
    let h = harness("http://127.0.0.1:9").await;
    let records = h.ctx.records();
    let p = fixtures::page(&records, "p-1", "i-1", "ch-1", "472913").await;
    let link = Links::from_settings(&h.ctx.settings)
        .ack("p-1", "472913")
        .unwrap();
    let path_and_query = link.strip_prefix(PUBLIC).unwrap().to_string();

    let (status, body) = call(
        &h,
        Request::get(&path_and_query).body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains("Acknowledge page?") && body.contains("Database outage"),
        "{body}"
    );
    assert!(
        accepted(&h.events().await).is_empty(),
        "a GET never acknowledges"
    );

    let tampered = path_and_query.replace("472913", "000000");
    let (status, _) = call(&h, Request::get(&tampered).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let sig = link.rsplit("sig=").next().unwrap();
    let post = Request::post("/v1/inbound/ack/p-1")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form(&[("code", "472913"), ("sig", sig)])))
        .unwrap();
    let (status, body) = call(&h, post).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Acknowledged"), "{body}");
    assert_eq!(
        accepted(&h.events().await),
        [(p.page_arn, "READ".to_string())]
    );
}

#[tokio::test]
async fn an_sms_reply_with_the_code_acknowledges_and_unsigned_callbacks_are_refused() {
    let h = harness("http://127.0.0.1:9").await;
    let records = h.ctx.records();
    let p = fixtures::page(&records, "p-2", "i-1", "ch-1", "472913").await;
    let mut sent = send_page(ChannelType::Sms, NUMBER);
    sent.page_arn.clone_from(&p.page_arn);
    sms::remember(&records, &sent, h.clock.now()).await.unwrap();

    let unsigned = twilio(
        "/v1/inbound/twilio/sms",
        &[("From", NUMBER), ("Body", "472913")],
        "wrong",
    );
    assert_eq!(call(&h, unsigned).await.0, StatusCode::FORBIDDEN);
    assert!(accepted(&h.events().await).is_empty());

    let reply = twilio(
        "/v1/inbound/twilio/sms",
        &[("From", NUMBER), ("Body", " 472913 ")],
        TOKEN,
    );
    let (status, body) = call(&h, reply).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("<Message>Acknowledged. Thank you.</Message>"),
        "{body}"
    );
    assert_eq!(
        accepted(&h.events().await),
        [(p.page_arn.clone(), "READ".to_string())]
    );

    // The provider's status callback becomes a receipt; interim statuses do not.
    let path = "/v1/inbound/twilio/status/p-2";
    let (status, _) = call(&h, twilio(path, &[("MessageStatus", "sent")], TOKEN)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(
        &h,
        twilio(
            path,
            &[("MessageStatus", "undelivered"), ("ErrorCode", "30003")],
            TOKEN,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let failed: Vec<String> = h
        .events()
        .await
        .into_iter()
        .filter_map(|e| match e {
            Event::PageFailed(r) => Some(r.detail),
            _ => None,
        })
        .collect();
    assert_eq!(failed, ["provider status undelivered (error 30003)"]);

    // The voice page's key press.
    let gather = Links::from_settings(&h.ctx.settings)
        .voice_gather("p-2", "472913")
        .unwrap();
    let path = gather.strip_prefix(PUBLIC).unwrap();
    let (status, body) = call(&h, twilio(path, &[("Digits", "1")], TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Acknowledged"), "{body}");
}

#[tokio::test]
async fn unsubscribe_stops_the_device_and_start_with_a_code_re_enables_it() {
    let provider = FakeProvider::start().await;
    let h = harness(&provider.base()).await;
    let records = h.ctx.records();
    fixtures::sms_channel(&records, "ch-9", NUMBER).await;

    let (_, body) = call(
        &h,
        twilio(
            "/v1/inbound/twilio/sms",
            &[("From", NUMBER), ("Body", "UNSUBSCRIBE")],
            TOKEN,
        ),
    )
    .await;
    assert!(body.contains("no more Tocsin pages"), "{body}");
    let (stored, _) = records
        .get::<ContactChannel>(kinds::CONTACT_CHANNEL, "ch-9")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.activation_status, ActivationStatus::NotActivated);
    assert!(sms::opted_out(&records, NUMBER).await.unwrap());

    // A page already on its way is not sent: it fails with STOP.
    let p = send_page(ChannelType::Sms, NUMBER);
    h.publish(&p).await;
    assert_eq!(h.step().await, Outcome::Ack);
    let receipts = h.receipts().await;
    assert_eq!(receipts.len(), 1);
    assert!(
        !receipts[0].0 && receipts[0].1.detail.starts_with("STOP:"),
        "{receipts:?}"
    );
    assert!(provider.requests().is_empty());

    // START with a fresh activation code re-enables the device.
    let code = ActivationCode::parse("466136").unwrap();
    let issued = issue_code(&ActivationState::of(&stored, None), h.clock.now(), &code).unwrap();
    records
        .put(
            kinds::CONTACT_CHANNEL_ACTIVATION,
            "ch-9",
            &issued.record,
            tocsin_store::Expect::Any,
        )
        .await
        .unwrap();
    let (_, body) = call(
        &h,
        twilio(
            "/v1/inbound/twilio/sms",
            &[("From", NUMBER), ("Body", "START 000000")],
            TOKEN,
        ),
    )
    .await;
    assert!(body.contains("Not re-enabled"), "{body}");
    let (_, body) = call(
        &h,
        twilio(
            "/v1/inbound/twilio/sms",
            &[("From", NUMBER), ("Body", "START 466136")],
            TOKEN,
        ),
    )
    .await;
    assert!(body.contains("re-enabled"), "{body}");
    let (stored, _) = records
        .get::<ContactChannel>(kinds::CONTACT_CHANNEL, "ch-9")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.activation_status, ActivationStatus::Activated);
    assert!(!sms::opted_out(&records, NUMBER).await.unwrap());
}

fn slack(h: &Harness, text: &str, secret: &str, age_secs: i64) -> Request<Body> {
    let body = form(&[
        ("command", "/tocsin"),
        ("text", text),
        ("user_name", "alice"),
        ("team_domain", "acme"),
        ("trigger_id", &format!("t-{text}")),
    ]);
    let ts = (h.clock.now().timestamp() - age_secs).to_string();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("v0:{ts}:{body}").as_bytes());
    let sig = format!("v0={}", hex::encode(mac.finalize().into_bytes()));
    Request::post("/v1/inbound/slack/commands")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", ts)
        .header("x-slack-signature", sig)
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn slack_commands_are_verified_and_change_the_incident_as_the_api_does() {
    let h = harness("http://127.0.0.1:9").await;
    let records = h.ctx.records();
    fixtures::plan(&records, None).await;
    fixtures::incident(&records, "i-7", &[]).await;
    fixtures::page(&records, "p-7", "i-7", "ch-1", "111111").await;

    assert_eq!(
        call(&h, slack(&h, "status", "wrong secret", 0)).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(&h, slack(&h, "status", SLACK_SECRET, 301)).await.0,
        StatusCode::UNAUTHORIZED
    );

    let (status, body) = call(&h, slack(&h, "status", SLACK_SECRET, 10)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("1 open incident(s)") && body.contains("i-7: Database outage"),
        "{body}"
    );

    let (_, body) = call(&h, slack(&h, "update-impact i-7 1", SLACK_SECRET, 0)).await;
    assert!(body.contains("impact set to 1 (Critical)"), "{body}");
    let (_, body) = call(&h, slack(&h, "update-impact i-7 9", SLACK_SECRET, 0)).await;
    assert!(body.contains("impact must be a number from 1"), "{body}");
    let (_, body) = call(
        &h,
        slack(&h, "add-note i-7 failing over to db-2", SLACK_SECRET, 0),
    )
    .await;
    assert!(body.contains("Note added"), "{body}");
    let (_, body) = call(&h, slack(&h, "ack i-7", SLACK_SECRET, 0)).await;
    assert!(body.contains("Acknowledged 1 page(s)"), "{body}");
    let (_, body) = call(&h, slack(&h, "resolve i-7", SLACK_SECRET, 0)).await;
    assert!(body.contains("Resolved incident i-7"), "{body}");
    let (_, body) = call(&h, slack(&h, "dance", SLACK_SECRET, 0)).await;
    assert!(body.contains("Usage: /tocsin"), "{body}");

    let (record, _) = records
        .get::<IncidentRecord>(kinds::INCIDENT, "i-7")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (record.impact, record.status),
        (1, IncidentStatus::Resolved)
    );
    assert_eq!(record.last_modified_by, "slack:acme/alice");
    let timeline = records.timeline("i-7").await.unwrap();
    let types: Vec<&str> = timeline.iter().map(|e| e.event_type.as_str()).collect();
    assert!(
        types.contains(&"Custom Event") && types.contains(&"Incident Resolved"),
        "{types:?}"
    );
    let events = h.events().await;
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::IncidentResolved(r) if r.incident_id == "i-7"))
    );
    assert_eq!(accepted(&events).len(), 1);
}
