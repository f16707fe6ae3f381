//! Incident messages to Slack, Teams and Chime webhooks ([`ChatPeer`] checks each format).

use tocsin_proto::messages::{Event, IncidentOpenedV1, IncidentResolvedV1};
use tocsin_runtime::Outcome;
use tocsin_testkit::chat::ChatPeer;

use crate::fixtures::{self, incident_arn, plan_arn};
use crate::{Harness, settings};

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

fn resolved(id: &str) -> Event {
    Event::IncidentResolved(IncidentResolvedV1 {
        incident_arn: incident_arn(id),
        incident_id: id.into(),
        resolved_by: "alice".into(),
    })
}

#[tokio::test]
async fn opened_and_resolved_reach_each_chat_once_in_its_format_with_the_link() {
    let chat = ChatPeer::start().await.unwrap();
    let h = Harness::new(settings(&[("public_url", "https://tocsin.example.com")])).await;
    let records = h.ctx.records();
    fixtures::plan(&records, None).await;
    fixtures::incident(
        &records,
        "i-1",
        &[
            ("SLACK", chat.slack_url()),
            ("TEAMS", chat.teams_url()),
            ("CHIME", chat.chime_url()),
        ],
    )
    .await;

    h.publish_event("opened:i-1", opened("i-1")).await;
    assert_eq!(h.step_incidents().await, Outcome::Ack);
    // At-least-once in: the same event again posts nothing more.
    h.publish_event("opened:i-1:again", opened("i-1")).await;
    assert_eq!(h.step_incidents().await, Outcome::Ack);

    let posts = chat.posts();
    assert_eq!(chat.refused(), 0);
    let services: Vec<&str> = posts.iter().map(|p| p.service.as_str()).collect();
    assert_eq!(services, ["slack", "teams", "chime"]);
    let link = "https://tocsin.example.com/v1/incidents/i-1";
    assert_eq!(posts[0].json["text"], "Incident opened: Database outage");
    let section = posts[0].json["blocks"][1]["text"]["text"].as_str().unwrap();
    assert!(
        section.contains(&format!("<{link}|View incident>")),
        "{section}"
    );
    assert!(section.contains("*Impact:* 2 (High)"), "{section}");
    let card = &posts[1].json["attachments"][0]["content"];
    assert_eq!(card["actions"][0]["url"], link);
    assert_eq!(card["body"][0]["text"], "Incident opened: Database outage");
    let content = posts[2].json["Content"].as_str().unwrap();
    assert!(
        content.starts_with("Incident opened: Database outage\n"),
        "{content}"
    );
    assert!(content.ends_with(link), "{content}");
    let keys: std::collections::BTreeSet<_> = posts
        .iter()
        .map(|p| p.idempotency_key.clone().unwrap())
        .collect();
    assert_eq!(keys.len(), 3, "a key per (incident, event, webhook)");

    h.publish_event("resolved:i-1", resolved("i-1")).await;
    assert_eq!(h.step_incidents().await, Outcome::Ack);
    let posts = chat.posts();
    assert_eq!(posts.len(), 6);
    assert_eq!(posts[3].json["text"], "Incident resolved: Database outage");
}

#[tokio::test]
async fn a_failing_chat_peer_is_retried_alone_and_a_refusal_is_not_retried() {
    let slack = ChatPeer::start().await.unwrap();
    let chime = ChatPeer::start().await.unwrap();
    let h = Harness::new(settings(&[])).await;
    let records = h.ctx.records();
    fixtures::plan(&records, None).await;
    fixtures::incident(
        &records,
        "i-2",
        &[("SLACK", slack.slack_url()), ("CHIME", chime.chime_url())],
    )
    .await;
    slack.script(&[503]);

    h.publish_event("opened:i-2", opened("i-2")).await;
    assert!(matches!(h.step_incidents().await, Outcome::Retry { .. }));
    // Chime did not wait for Slack.
    assert_eq!(chime.posts().len(), 1);
    assert_eq!(h.step_incidents().await, Outcome::Ack);
    assert_eq!(slack.posts().len(), 1);
    assert_eq!(chime.posts().len(), 1, "not posted twice");
    // Without a public URL the message names the incident by ARN.
    let content = chime.posts()[0].json["Content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(content.ends_with(&incident_arn("i-2")), "{content}");

    // A 4xx is the peer's final word: recorded, logged, not retried.
    slack.script(&[404]);
    h.publish_event("resolved:i-2", resolved("i-2")).await;
    assert_eq!(h.step_incidents().await, Outcome::Ack);
    assert_eq!(slack.posts().len(), 1);
    assert_eq!(chime.posts().len(), 2);
}
