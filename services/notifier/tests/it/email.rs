//! EMAIL against an SMTP relay on loopback speaking real SMTP ([`SmtpSink`]).

use std::sync::Arc;

use tocsin_notifier::{Drivers, SendError};
use tocsin_proto::records::ChannelType;
use tocsin_runtime::Outcome;
use tocsin_testkit::{ManualClock, SmtpSink};

use crate::{Harness, page, page_id, settings};

fn drivers(pairs: &[(&str, &str)]) -> Drivers {
    Drivers::from_settings(&settings(pairs), Arc::new(ManualClock::default()))
}

#[tokio::test]
async fn a_page_arrives_as_a_mail_with_its_accept_code_and_link() {
    let sink = SmtpSink::start().await.unwrap();
    let url = sink.url();
    let drivers = drivers(&[
        ("smtp_url", url.as_str()),
        ("smtp_from", "Tocsin Pager <pager@tocsin.test>"),
        ("public_url", "https://tocsin.example.com/"),
    ]);
    let p = page(ChannelType::Email, "alice@example.com");

    let detail = drivers.send(&p).await.unwrap();
    assert_eq!(
        detail,
        "SMTP relay accepted: 250 2.0.0 Ok: queued as TK0001"
    );

    let mails = sink.mails();
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert_eq!(m.from, "pager@tocsin.test");
    assert_eq!(m.to, ["alice@example.com"]);
    assert_eq!(m.auth, None);
    assert_eq!(m.header("Subject").as_deref(), Some("Database outage"));
    assert_eq!(
        m.header("From").as_deref(),
        Some("\"Tocsin Pager\" <pager@tocsin.test>")
    );
    assert_eq!(m.header("To").as_deref(), Some("alice@example.com"));
    assert_eq!(
        m.header("Message-ID"),
        Some(format!("<{}@tocsin>", page_id(&p)))
    );
    assert_eq!(m.header("X-Tocsin-Page"), Some(p.page_arn.clone()));
    assert_eq!(
        m.header("Auto-Submitted").as_deref(),
        Some("auto-generated")
    );
    // The manual clock's instant, not the wall clock's.
    assert_eq!(
        m.header("Date").as_deref(),
        Some("Sun, 22 Nov 2026 03:00:00 +0000")
    );
    assert!(
        m.header("Content-Type")
            .unwrap()
            .starts_with("text/plain; charset=utf-8"),
        "{:?}",
        m.header("Content-Type")
    );
    let body = m.body();
    assert!(body.contains("Primary db-1 stopped answering."), "{body}");
    assert!(body.contains("Accept code: 472913"), "{body}");
    let link = format!(
        "Acknowledge: https://tocsin.example.com/v1/inbound/ack/{}?code=472913",
        page_id(&p)
    );
    assert!(body.contains(&link), "{body}");
    assert!(body.contains(&p.incident_arn), "{body}");
}

#[tokio::test]
async fn the_relay_gets_auth_and_the_password_stays_out_of_every_text() {
    let sink = SmtpSink::start().await.unwrap();
    sink.require_auth("mailer", "hunter2pass");
    let good = sink.url_with_credentials("mailer", "hunter2pass");
    let bad = sink.url_with_credentials("mailer", "wrong-hunter2");

    let drivers_ok = drivers(&[("smtp_url", good.as_str())]);
    assert!(
        !drivers_ok.describe().contains("hunter2"),
        "{}",
        drivers_ok.describe()
    );
    let detail = drivers_ok
        .send(&page(ChannelType::Email, "bob@example.com"))
        .await
        .unwrap();
    assert!(detail.starts_with("SMTP relay accepted: 250"), "{detail}");
    assert_eq!(
        sink.mails()[0].auth,
        Some(("mailer".to_string(), "hunter2pass".to_string()))
    );

    // 535 is a permanent verdict: a wrong password does not get better by retrying.
    let e = drivers(&[("smtp_url", bad.as_str())])
        .send(&page(ChannelType::Email, "bob@example.com"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, SendError::Permanent(m) if m.contains("535")),
        "{e:?}"
    );
    assert!(!e.to_string().contains("hunter2"), "{e}");
    assert_eq!(sink.mails().len(), 1);
}

#[tokio::test]
async fn smtp_4xx_is_transient_and_5xx_is_permanent() {
    let sink = SmtpSink::start().await.unwrap();
    let url = sink.url();
    let drivers = drivers(&[("smtp_url", url.as_str())]);
    sink.script(&[451, 550]);

    let e = drivers
        .send(&page(ChannelType::Email, "carol@example.com"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, SendError::Transient(m) if m.contains("451")),
        "{e:?}"
    );
    let e = drivers
        .send(&page(ChannelType::Email, "carol@example.com"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, SendError::Permanent(m) if m.contains("550")),
        "{e:?}"
    );
    assert_eq!((sink.transfers(), sink.mails().len()), (2, 0));
}

#[tokio::test]
async fn bad_addresses_fail_at_once_and_an_unreachable_relay_is_transient() {
    let sink = SmtpSink::start().await.unwrap();
    let url = sink.url();
    let e = drivers(&[("smtp_url", url.as_str())])
        .send(&page(ChannelType::Email, "not an address"))
        .await
        .unwrap_err();
    assert!(matches!(e, SendError::Permanent(_)), "{e:?}");
    assert_eq!(sink.transfers(), 0);

    // A port nobody listens on: bind one, learn it, close it.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let e = drivers(&[("smtp_url", &format!("smtp://{closed}"))])
        .send(&page(ChannelType::Email, "dave@example.com"))
        .await
        .unwrap_err();
    assert!(matches!(e, SendError::Transient(_)), "{e:?}");
}

#[tokio::test]
async fn without_a_relay_the_mail_is_logged_and_reported_so() {
    let detail = drivers(&[])
        .send(&page(ChannelType::Email, "erin@example.com"))
        .await
        .unwrap();
    assert_eq!(detail, "logged (no SMTP relay configured)");
}

#[tokio::test]
async fn the_handler_retries_a_deferred_mail_and_delivers_it_once() {
    let sink = SmtpSink::start().await.unwrap();
    let url = sink.url();
    let h = Harness::new(settings(&[("smtp_url", url.as_str())])).await;
    let p = page(ChannelType::Email, "frank@example.com");
    sink.script(&[421]);
    h.publish(&p).await;

    assert!(matches!(h.step().await, Outcome::Retry { .. }));
    assert!(
        h.receipts().await.is_empty(),
        "no receipt for a retried send"
    );
    assert_eq!(h.step().await, Outcome::Ack);

    assert_eq!((sink.transfers(), sink.mails().len()), (2, 1));
    let receipts = h.receipts().await;
    assert_eq!(receipts.len(), 1);
    let (ok, r) = &receipts[0];
    assert!(*ok, "{r:?}");
    assert_eq!(r.page_arn, p.page_arn);
    assert!(r.detail.contains("queued as TK0001"), "{}", r.detail);
}

#[tokio::test]
async fn required_tls_never_falls_back_to_plain_text() {
    // The sink offers no STARTTLS and speaks no TLS: a relay URL asking for either must not
    // hand it the mail in clear.
    let sink = SmtpSink::start().await.unwrap();
    for url in [
        format!("smtp://{}?tls=required", sink.addr()),
        format!("smtps://{}", sink.addr()),
    ] {
        let e = drivers(&[("smtp_url", url.as_str())])
            .send(&page(ChannelType::Email, "grace@example.com"))
            .await
            .unwrap_err();
        assert!(matches!(e, SendError::Transient(_)), "{url}: {e:?}");
    }
    assert_eq!(sink.transfers(), 0);
}
