//! PagerDuty per response plan against a fake PagerDuty REST API ([`PagerDutyPeer`]).

use chrono::{DateTime, Utc};
use tocsin_proto::messages::{Event, IncidentOpenedV1, IncidentResolvedV1};
use tocsin_proto::records::TimelineEvent;
use tocsin_runtime::{Outcome, Records};
use tocsin_testkit::pagerduty::PagerDutyPeer;

use crate::fixtures::{self, incident_arn, plan_arn};
use crate::{Harness, settings};

const TOKEN: &str = "y_NbAkKc66ryYEXAMPLE";

fn secrets_file(token: &str) -> String {
    let dir = std::env::temp_dir().join(format!("tocsin-pd-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("secrets.json");
    let body = serde_json::json!({"pd-secret": {
        "pagerDutyToken": token, "pagerDutyServiceRegion": "US",
        "pagerDutyFromEmail": "oncall@example.com"}});
    std::fs::write(&f, body.to_string()).unwrap();
    f.display().to_string()
}

async fn note(records: &Records, incident: &str, n: u32) {
    let at: DateTime<Utc> = "2026-11-22T03:00:00Z".parse().unwrap();
    let e = TimelineEvent {
        incident_record_arn: incident_arn(incident),
        event_id: format!("ev-{n}"),
        event_time: at + chrono::Duration::seconds(n.into()),
        event_updated_time: at,
        event_type: "Custom Event".into(),
        event_data: serde_json::Value::String(format!("note {n}")).to_string(),
        event_references: vec![],
    };
    records.append_timeline(incident, &e).await.unwrap();
}

fn opened(id: &str) -> Event {
    Event::IncidentOpened(IncidentOpenedV1 {
        incident_arn: incident_arn(id),
        incident_id: id.into(),
        response_plan_arn: plan_arn(),
        title: "Database outage".into(),
        impact: 2,
        engagements: vec![],
    })
}

#[tokio::test]
async fn an_incident_becomes_a_pagerduty_incident_with_notes_and_is_resolved_there() {
    let pd = PagerDutyPeer::start(TOKEN).await.unwrap();
    let file = secrets_file(TOKEN);
    let h = Harness::new(settings(&[
        ("pagerduty_url", &pd.url()),
        ("secrets_file", &file),
    ]))
    .await;
    let records = h.ctx.records();
    fixtures::plan(&records, Some(("pd-secret", "PSVC001"))).await;
    fixtures::incident(&records, "i-1", &[]).await;
    note(&records, "i-1", 1).await;
    note(&records, "i-1", 2).await;

    h.publish_event("opened:i-1", opened("i-1")).await;
    assert_eq!(h.step_incidents().await, Outcome::Ack);
    h.publish_event("opened:i-1:again", opened("i-1")).await;
    assert_eq!(h.step_incidents().await, Outcome::Ack);
    let got = pd.incidents();
    assert_eq!(got.len(), 1, "one PagerDuty incident");
    assert_eq!(
        (
            got[0].title.as_str(),
            got[0].service.as_str(),
            got[0].key.as_str()
        ),
        ("Database outage", "PSVC001", "i-1")
    );
    assert_eq!(got[0].notes.len(), 2, "{:?}", got[0].notes);
    assert!(
        got[0].notes[0].contains("Custom Event: note 1"),
        "{:?}",
        got[0].notes
    );

    note(&records, "i-1", 3).await;
    let resolved = Event::IncidentResolved(IncidentResolvedV1 {
        incident_arn: incident_arn("i-1"),
        incident_id: "i-1".into(),
        resolved_by: "alice".into(),
    });
    h.publish_event("resolved:i-1", resolved).await;
    assert_eq!(h.step_incidents().await, Outcome::Ack);
    let got = pd.incidents();
    assert_eq!(got[0].status, "resolved");
    assert_eq!(got[0].notes.len(), 3, "only the new event was added");
    assert_eq!(pd.unauthorized(), 0);
}

#[tokio::test]
async fn a_lost_create_answer_finds_the_open_incident_and_bad_credentials_are_final() {
    let pd = PagerDutyPeer::start(TOKEN).await.unwrap();
    let h = Harness::new(settings(&[
        ("pagerduty_url", &pd.url()),
        ("secrets_file", &secrets_file(TOKEN)),
    ]))
    .await;
    let records = h.ctx.records();
    fixtures::plan(&records, Some(("pd-secret", "PSVC001"))).await;
    fixtures::incident(&records, "i-2", &[]).await;
    note(&records, "i-2", 1).await;
    // An earlier create went through but its answer was lost: PagerDuty already has the open
    // incident with the key. The create is refused for the key; the notifier adopts it.
    let made = reqwest::Client::new()
        .post(format!("{}/incidents", pd.url()))
        .header("Authorization", format!("Token token={TOKEN}"))
        .header("Accept", "application/vnd.pagerduty+json;version=2")
        .header("From", "oncall@example.com")
        .json(
            &serde_json::json!({"incident": {"type": "incident", "title": "Database outage",
            "service": {"id": "PSVC001", "type": "service_reference"}, "incident_key": "i-2"}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(made.status().as_u16(), 201);
    h.publish_event("opened:i-2", opened("i-2")).await;
    assert_eq!(h.step_incidents().await, Outcome::Ack);
    let got = pd.incidents();
    assert_eq!(got.len(), 1, "adopted, not duplicated");
    assert_eq!(
        got[0].notes.len(),
        1,
        "the timeline went to the adopted incident"
    );

    // A wrong token is refused (401): recorded, not retried, never shown.
    let pd2 = PagerDutyPeer::start("another-token").await.unwrap();
    let h2 = Harness::new(settings(&[
        ("pagerduty_url", &pd2.url()),
        ("secrets_file", &secrets_file(TOKEN)),
    ]))
    .await;
    let records2 = h2.ctx.records();
    fixtures::plan(&records2, Some(("pd-secret", "PSVC001"))).await;
    fixtures::incident(&records2, "i-3", &[]).await;
    h2.publish_event("opened:i-3", opened("i-3")).await;
    assert_eq!(h2.step_incidents().await, Outcome::Ack);
    assert_eq!((pd2.incidents().len(), pd2.unauthorized()), (0, 1));
}
