//! Notification targets: an incident's `notificationTargets` (SNS topic ARNs) mapped to signed
//! webhooks by `TOCSIN_NOTIFICATION_TARGETS` or `TOCSIN_SECRETS_FILE`, verified by a receiver
//! with its own HMAC ([`crate::verifier`]); unknown topics logged and counted, not retried.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use tocsin_core::clock::Clock;
use tocsin_proto::messages::{Event, IncidentOpenedV1, IncidentResolvedV1};
use tocsin_proto::records::{IncidentRecord, NotificationTargetItem, kinds};
use tocsin_runtime::{Outcome, Records};
use tocsin_store::Expect;
use tocsin_testkit::Kind;

use crate::fixtures::{self, incident_arn};
use crate::verifier::SignedReceiver;
use crate::{ACCOUNT, Harness, settings};

const TOPIC_A: &str = "arn:aws:sns:us-east-1:123456789012:incident-updates";
const TOPIC_B: &str = "arn:aws:sns:us-east-1:123456789012:status-page";
const TOPIC_UNKNOWN: &str = "arn:aws:sns:us-east-1:123456789012:nobody-mapped-this";

fn key() -> Vec<u8> {
    (0u8..32)
        .map(|i| i.wrapping_mul(29).wrapping_add(7))
        .collect()
}

/// Writes the targets file (topic A, with its own secret) and the secrets file (topic B, signed
/// with `TOCSIN_WEBHOOK_SECRET`); returns their paths.
fn files(r: &SignedReceiver) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("tocsin-targets-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let secret = format!("whsec_{}", STANDARD.encode(key()));
    let targets = dir.join("targets.json");
    std::fs::write(
        &targets,
        json!({TOPIC_A: {"url": r.url("/a"), "secret": secret}}).to_string(),
    )
    .unwrap();
    let secrets = dir.join("secrets.json");
    std::fs::write(&secrets, json!({TOPIC_B: {"url": r.url("/b")}}).to_string()).unwrap();
    (targets, secrets)
}

async fn incident_with_targets(records: &Records, id: &str, topics: &[&str]) -> IncidentRecord {
    let mut i = fixtures::incident(records, id, &[]).await;
    i.notification_targets = topics
        .iter()
        .map(|t| NotificationTargetItem {
            sns_topic_arn: Some((*t).to_string()),
        })
        .collect();
    records
        .put(kinds::INCIDENT, id, &i, Expect::Any)
        .await
        .unwrap();
    i
}

async fn harness(kind: Kind, r: &SignedReceiver) -> Harness {
    let (targets, secrets) = files(r);
    let default = format!("whsec_{}", STANDARD.encode(key()));
    Harness::on(
        kind,
        settings(&[
            ("notification_targets", targets.to_str().unwrap()),
            ("secrets_file", secrets.to_str().unwrap()),
            ("webhook_secret", default.as_str()),
            ("public_url", "https://tocsin.example.com"),
        ]),
    )
    .await
}

async fn signed_once_and_unknown_topics_counted(kind: Kind) {
    let clock = tocsin_testkit::ManualClock::default();
    let r = SignedReceiver::start(key(), clock.now().timestamp()).await;
    let h = harness(kind, &r).await;
    let records = Records::new(h.ctx.store.clone(), ACCOUNT);
    let i = incident_with_targets(&records, "inc-t1", &[TOPIC_A, TOPIC_B, TOPIC_UNKNOWN]).await;
    let opened = Event::IncidentOpened(IncidentOpenedV1 {
        incident_arn: i.arn.clone(),
        incident_id: "inc-t1".into(),
        response_plan_arn: fixtures::plan_arn(),
        title: i.title.clone(),
        impact: i.impact,
        engagements: vec![],
    });
    // Topic A refuses once with a 503: the event comes back, the others are not sent again.
    r.script(&[503]);
    h.publish_event("opened:inc-t1", opened.clone()).await;
    assert!(matches!(h.step_incidents().await, Outcome::Retry { .. }));
    assert_eq!(h.step_incidents().await, Outcome::Ack);
    // A redelivered event does nothing more.
    h.publish_event("opened:inc-t1", opened).await;
    assert_eq!(h.step_incidents().await, Outcome::Ack);

    let got = r.got();
    let paths: Vec<&str> = got.iter().map(|g| g.path.as_str()).collect();
    assert_eq!(paths.iter().filter(|p| **p == "/a").count(), 2, "{paths:?}");
    assert_eq!(paths.iter().filter(|p| **p == "/b").count(), 1, "{paths:?}");
    assert!(got.iter().all(|g| g.verified), "every request verifies");
    let a: Vec<_> = got.iter().filter(|g| g.path == "/a").collect();
    let b = got.iter().find(|g| g.path == "/b").unwrap();
    // The retry carries the same webhook-id; each topic has its own.
    assert_eq!(a[0].header("webhook-id"), a[1].header("webhook-id"));
    assert_ne!(a[0].header("webhook-id"), b.header("webhook-id"));
    assert_eq!(a[0].header("idempotency-key"), a[0].header("webhook-id"));
    let body = a[1].json();
    assert_eq!(body["type"], "incident.opened");
    assert_eq!(body["data"]["notificationTarget"]["snsTopicArn"], TOPIC_A);
    assert_eq!(body["data"]["incidentRecordArn"], incident_arn("inc-t1"));
    assert_eq!(body["data"]["title"], "Database outage");
    assert_eq!(body["data"]["impact"], 2);
    assert_eq!(body["data"]["status"], "OPEN");
    assert_eq!(
        body["data"]["link"],
        "https://tocsin.example.com/v1/incidents/inc-t1"
    );
    assert_eq!(h.incidents.unknown_targets(), 1, "counted once per event");

    // Resolving tells the targets with a new id.
    h.publish_event(
        "resolved:inc-t1",
        Event::IncidentResolved(IncidentResolvedV1 {
            incident_arn: i.arn.clone(),
            incident_id: "inc-t1".into(),
            resolved_by: "arn:aws:iam::123456789012:user/alice".into(),
        }),
    )
    .await;
    assert_eq!(h.step_incidents().await, Outcome::Ack);
    let got = r.got();
    let resolved: Vec<_> = got
        .iter()
        .filter(|g| g.json()["type"] == "incident.resolved")
        .collect();
    assert_eq!(resolved.len(), 2);
    assert!(resolved.iter().all(|g| g.verified));
    assert_ne!(resolved[0].header("webhook-id"), a[0].header("webhook-id"));
    assert_eq!(h.incidents.unknown_targets(), 2);
}

#[tokio::test]
async fn targets_get_signed_webhooks_once_in_memory() {
    signed_once_and_unknown_topics_counted(Kind::Memory).await;
}

#[tokio::test]
async fn targets_get_signed_webhooks_once_on_rabbitmq_and_redis() {
    signed_once_and_unknown_topics_counted(Kind::Real).await;
}

#[tokio::test]
async fn a_refusing_target_is_not_retried_and_an_unsigned_one_is_refused_by_the_verifier() {
    let clock = tocsin_testkit::ManualClock::default();
    let r = SignedReceiver::start(key(), clock.now().timestamp()).await;
    let dir = std::env::temp_dir().join(format!("tocsin-targets-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let targets = dir.join("targets.json");
    // A bare URL: no secret of its own and no TOCSIN_WEBHOOK_SECRET, so it goes unsigned.
    std::fs::write(&targets, json!({TOPIC_A: r.url("/a")}).to_string()).unwrap();
    let h = Harness::new(settings(&[(
        "notification_targets",
        targets.to_str().unwrap(),
    )]))
    .await;
    let records = Records::new(h.ctx.store.clone(), ACCOUNT);
    let i = incident_with_targets(&records, "inc-t2", &[TOPIC_A]).await;
    h.publish_event(
        "opened:inc-t2",
        Event::IncidentOpened(IncidentOpenedV1 {
            incident_arn: i.arn.clone(),
            incident_id: "inc-t2".into(),
            response_plan_arn: fixtures::plan_arn(),
            title: i.title.clone(),
            impact: i.impact,
            engagements: vec![],
        }),
    )
    .await;
    // The receiver's 401 is permanent: recorded, the event acked.
    assert_eq!(h.step_incidents().await, Outcome::Ack);
    let got = r.got();
    assert_eq!(got.len(), 1);
    assert!(!got[0].verified);
    assert!(got[0].header("webhook-signature").is_empty());
    assert_eq!(h.incidents.unknown_targets(), 0);
    std::fs::remove_dir_all(dir).unwrap();
}
