//! Activation codes (`activation.send`) through the `Notifier` handler, on both backends: a mail
//! to a real SMTP relay, a text and a call to the Twilio-shaped provider. Idempotent per
//! (channel, code); transient failures retried; permanent ones logged; no page receipts.

use tocsin_proto::messages::{NotifyCommand, SendActivationCodeV1};
use tocsin_proto::records::ChannelType;
use tocsin_runtime::Outcome;
use tocsin_testkit::{Kind, SmtpSink};

use crate::provider::{FakeProvider, SID, TOKEN};
use crate::{ACCOUNT, Harness, settings};

const CODE: &str = "305817";

fn activation(channel: ChannelType, address: &str, code: &str) -> SendActivationCodeV1 {
    let id = uuid::Uuid::new_v4();
    SendActivationCodeV1 {
        contact_arn: format!("arn:aws:ssm-contacts:us-east-1:{ACCOUNT}:contact/alice"),
        contact_channel_arn: format!(
            "arn:aws:ssm-contacts:us-east-1:{ACCOUNT}:contact-channel/alice/{id}"
        ),
        channel_type: channel,
        address: address.into(),
        activation_code: code.into(),
    }
}

async fn publish(h: &Harness, a: &SendActivationCodeV1) {
    let key = format!("activation:{}:{}", a.contact_channel_arn, a.activation_code);
    h.command(&key, NotifyCommand::SendActivationCode(a.clone()))
        .await;
}

async fn mail_once_with_the_code_and_nothing_to_acknowledge(kind: Kind) {
    let sink = SmtpSink::start().await.unwrap();
    let url = sink.url();
    let h = Harness::on(
        kind,
        settings(&[
            ("smtp_url", url.as_str()),
            ("smtp_from", "Tocsin <pager@tocsin.test>"),
            ("public_url", "https://tocsin.example.com"),
        ]),
    )
    .await;
    let a = activation(ChannelType::Email, "alice@example.com", CODE);
    sink.script(&[421]);
    publish(&h, &a).await;
    // Redelivered (at-least-once in): the same (channel, code) is one mail.
    publish(&h, &a).await;

    assert!(
        matches!(h.step().await, Outcome::Retry { .. }),
        "421 is transient"
    );
    assert_eq!(h.step().await, Outcome::Ack);
    assert_eq!(h.step().await, Outcome::Ack);

    assert_eq!((sink.transfers(), sink.mails().len()), (2, 1));
    let m = &sink.mails()[0];
    assert_eq!(m.to, ["alice@example.com"]);
    assert_eq!(
        m.header("Subject").as_deref(),
        Some("Your Tocsin activation code")
    );
    assert_eq!(
        m.header("X-Tocsin-Contact-Channel"),
        Some(a.contact_channel_arn.clone())
    );
    assert_eq!(m.header("X-Tocsin-Page"), None);
    let message_id = m.header("Message-ID").unwrap();
    assert!(
        message_id.starts_with('<') && message_id.ends_with("@tocsin>"),
        "{message_id}"
    );
    assert!(!message_id.contains(CODE), "{message_id}");
    let body = m.body();
    assert!(
        body.contains(&format!("Your Tocsin activation code is {CODE}.")),
        "{body}"
    );
    assert!(!body.contains("Accept code"), "{body}");
    assert!(!body.contains("Acknowledge"), "{body}");
    assert!(!body.contains("/v1/inbound/ack/"), "{body}");

    assert!(h.events().await.is_empty(), "no page receipts");
    assert_eq!(h.notifier.stats().activations_sent(), 1);
    assert_eq!(h.notifier.stats().delivered(), 0);

    // A new code to the same channel is a new mail.
    let again = SendActivationCodeV1 {
        activation_code: "771204".into(),
        ..a.clone()
    };
    publish(&h, &again).await;
    assert_eq!(h.step().await, Outcome::Ack);
    let mails = sink.mails();
    assert_eq!(mails.len(), 2);
    assert_ne!(mails[1].header("Message-ID").unwrap(), message_id);
    assert!(mails[1].body().contains("771204"));
}

#[tokio::test]
async fn an_email_code_is_mailed_once_with_nothing_to_acknowledge_in_memory() {
    mail_once_with_the_code_and_nothing_to_acknowledge(Kind::Memory).await;
}

#[tokio::test]
async fn an_email_code_is_mailed_once_with_nothing_to_acknowledge_on_rabbitmq_and_redis() {
    mail_once_with_the_code_and_nothing_to_acknowledge(Kind::Real).await;
}

async fn text_and_call_through_the_provider(kind: Kind) {
    let provider = FakeProvider::start().await;
    let h = Harness::on(
        kind,
        settings(&[
            ("sms_provider_url", &provider.base()),
            ("sms_account_sid", SID),
            ("sms_auth_token", TOKEN),
            ("sms_from", "+15550001111"),
            ("public_url", "https://tocsin.example.com"),
        ]),
    )
    .await;
    let sms = activation(ChannelType::Sms, "+15557654321", CODE);
    let voice = activation(ChannelType::Voice, "+15557654321", "090412");
    provider.script(&[500]);
    publish(&h, &sms).await;
    publish(&h, &voice).await;

    // The text: 500, then accepted; one message, the same idempotency token on both requests.
    assert!(matches!(h.step().await, Outcome::Retry { .. }));
    assert_eq!(h.step().await, Outcome::Ack);
    assert_eq!(h.step().await, Outcome::Ack);

    let requests = provider.requests();
    assert_eq!(
        requests.iter().map(|r| r.status).collect::<Vec<_>>(),
        [500, 201, 201],
        "{requests:?}"
    );
    let texts: Vec<_> = requests
        .iter()
        .filter(|r| r.resource == "Messages")
        .collect();
    assert_eq!(texts.len(), 2);
    let token = texts[0].idempotency_token.clone().unwrap();
    assert!(
        texts
            .iter()
            .all(|r| r.idempotency_token.as_deref() == Some(&token))
    );
    assert!(!token.contains(CODE));
    let body = &texts[0].form["Body"];
    assert!(
        body.starts_with(&format!("Your Tocsin activation code is {CODE}.")),
        "{body}"
    );
    assert!(body.contains(&format!("START {CODE}")), "{body}");
    assert!(!body.contains("Accept code"), "{body}");
    assert!(
        !texts[0].form.contains_key("StatusCallback"),
        "no page to report on"
    );

    // The call spells the code twice and asks for no key.
    let calls: Vec<_> = requests.iter().filter(|r| r.resource == "Calls").collect();
    assert_eq!(calls.len(), 1);
    let twiml = &calls[0].form["Twiml"];
    assert_eq!(twiml.matches("0 9 0 4 1 2").count(), 2, "{twiml}");
    assert!(!twiml.contains("Gather"), "{twiml}");
    assert!(!calls[0].form.contains_key("StatusCallback"));
    assert_ne!(calls[0].idempotency_token.as_deref(), Some(token.as_str()));

    assert_eq!(provider.created().len(), 2);
    assert!(h.events().await.is_empty(), "no page receipts");
    assert_eq!(h.notifier.stats().activations_sent(), 2);
}

#[tokio::test]
async fn sms_and_voice_codes_go_through_the_provider_once_in_memory() {
    text_and_call_through_the_provider(Kind::Memory).await;
}

#[tokio::test]
async fn sms_and_voice_codes_go_through_the_provider_once_on_rabbitmq_and_redis() {
    text_and_call_through_the_provider(Kind::Real).await;
}

#[tokio::test]
async fn permanent_failures_are_logged_at_once_and_not_retried() {
    let provider = FakeProvider::start().await;
    let h = Harness::new(settings(&[
        ("sms_provider_url", &provider.base()),
        ("sms_account_sid", SID),
        ("sms_auth_token", TOKEN),
        ("sms_from", "+15550001111"),
    ]))
    .await;
    // A 400 from the provider, and an address that is no phone number.
    provider.script(&[400]);
    publish(&h, &activation(ChannelType::Sms, "+15557654321", CODE)).await;
    publish(&h, &activation(ChannelType::Voice, "call me", CODE)).await;
    assert_eq!(h.step().await, Outcome::Ack);
    assert_eq!(h.step().await, Outcome::Ack);

    assert_eq!(provider.requests().len(), 1);
    assert_eq!(provider.created().len(), 0);
    assert_eq!(h.notifier.stats().activations_failed(), 2);
    assert!(h.events().await.is_empty());
}

#[tokio::test]
async fn a_webhook_channel_gets_its_code_with_a_derived_id() {
    let receiver = tocsin_testkit::Receiver::start().await.unwrap();
    let h = Harness::new(settings(&[])).await;
    let a = activation(ChannelType::Webhook, &receiver.url("/activate"), CODE);
    publish(&h, &a).await;
    publish(&h, &a).await;
    assert_eq!(h.step().await, Outcome::Ack);
    assert_eq!(h.step().await, Outcome::Ack);
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].json["type"], "activation_code");
    assert_eq!(got[0].json["activationCode"], CODE);
    assert_eq!(got[0].json["contactChannelArn"], a.contact_channel_arn);
    assert!(got[0].json.get("acceptCode").is_none());
    let id = got[0].header("webhook-id").unwrap();
    assert_eq!(got[0].header("idempotency-key"), Some(id));
}

#[tokio::test]
async fn a_code_whose_outcome_is_lost_is_resent_only_with_its_key_and_counted() {
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
    provider.hang(&[std::time::Duration::from_secs(2)]);
    publish(&h, &activation(ChannelType::Sms, "+15557654321", CODE)).await;

    let Outcome::Retry { reason, .. } = h.step().await else {
        panic!("an unknown outcome is retried")
    };
    assert!(reason.contains("timed out"), "{reason}");
    assert_eq!(h.step().await, Outcome::Ack);

    let requests = provider.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0].idempotency_token, requests[1].idempotency_token,
        "the resend carries the same key"
    );
    assert_eq!(provider.created().len(), 1, "no duplicate at the provider");
    assert_eq!(h.notifier.stats().possible_duplicates(), 1);
    assert_eq!(h.notifier.stats().activations_sent(), 1);
}
