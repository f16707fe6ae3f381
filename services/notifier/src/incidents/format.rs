//! What an incident message says, in each chat service's documented format (pure).
//!
//! - **Slack** incoming webhook: `{"text", "blocks"}` — `text` is the notification fallback,
//!   `blocks` a header and a `mrkdwn` section with the link
//!   (<https://api.slack.com/messaging/webhooks>, Block Kit).
//! - **Microsoft Teams** workflow webhook ("Post to a channel when a webhook request is
//!   received"): `{"type": "message", "attachments": [{"contentType":
//!   "application/vnd.microsoft.card.adaptive", "content": <Adaptive Card 1.4>}]}` with an
//!   `Action.OpenUrl` to the incident.
//! - **Amazon Chime** webhook: `{"Content": "<text>"}` (at most 4,096 characters).

use serde_json::{Value, json};
use tocsin_proto::records::{ChatKind, IncidentRecord};

/// Longest Chime message.
const CHIME_MAX: usize = 4096;

/// What happened to the incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// It was opened.
    Opened,
    /// Something changed: what.
    Updated(String),
    /// It was resolved.
    Resolved,
}

/// One incident message, before formatting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Headline: `Incident opened: <title>`.
    pub headline: String,
    /// Facts: impact, status, what changed.
    pub facts: Vec<(String, String)>,
    /// The incident's link, when `TOCSIN_PUBLIC_URL` is set.
    pub link: Option<String>,
    /// The incident ARN (shown when there is no link).
    pub arn: String,
}

/// The message for `change` of `incident`.
pub fn message(incident: &IncidentRecord, change: &Change, link: Option<String>) -> Message {
    let verb = match change {
        Change::Opened => "opened",
        Change::Updated(_) => "updated",
        Change::Resolved => "resolved",
    };
    let mut facts = vec![
        ("Impact".to_string(), impact(incident.impact)),
        (
            "Status".to_string(),
            format!("{:?}", incident.status).to_uppercase(),
        ),
    ];
    if let Change::Updated(what) = change {
        facts.push(("Update".to_string(), what.clone()));
    }
    if let Some(summary) = incident.summary.as_deref().filter(|s| !s.trim().is_empty()) {
        facts.push((
            "Summary".to_string(),
            crate::drivers::truncate(summary, 500),
        ));
    }
    Message {
        headline: format!("Incident {verb}: {}", incident.title),
        facts,
        link,
        arn: incident.arn.clone(),
    }
}

/// `1 (Critical)` … `5 (No impact)`, the console's names.
pub fn impact(i: u8) -> String {
    let name = match i {
        1 => "Critical",
        2 => "High",
        3 => "Medium",
        4 => "Low",
        _ => "No impact",
    };
    format!("{i} ({name})")
}

/// The JSON body for `kind`.
pub fn body(kind: ChatKind, m: &Message) -> Value {
    match kind {
        ChatKind::Slack => slack(m),
        ChatKind::Teams => teams(m),
        ChatKind::Chime => chime(m),
    }
}

fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn slack(m: &Message) -> Value {
    let mut lines: Vec<String> = m
        .facts
        .iter()
        .map(|(k, v)| format!("*{}:* {}", k, slack_escape(v)))
        .collect();
    lines.push(match &m.link {
        Some(link) => format!("<{link}|View incident>"),
        None => format!("`{}`", slack_escape(&m.arn)),
    });
    json!({
        "text": m.headline,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": crate::drivers::truncate(&m.headline, 150)}},
            {"type": "section", "text": {"type": "mrkdwn", "text": lines.join("\n")}},
        ],
    })
}

fn teams(m: &Message) -> Value {
    let facts: Vec<Value> = m
        .facts
        .iter()
        .map(|(k, v)| json!({"title": k, "value": v}))
        .collect();
    let mut card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": m.headline, "weight": "Bolder", "size": "Medium", "wrap": true},
            {"type": "FactSet", "facts": facts},
        ],
    });
    match &m.link {
        Some(link) => {
            card["actions"] =
                json!([{"type": "Action.OpenUrl", "title": "View incident", "url": link}]);
        }
        None => {
            if let Some(body) = card["body"].as_array_mut() {
                body.push(
                    json!({"type": "TextBlock", "text": m.arn, "isSubtle": true, "wrap": true}),
                );
            }
        }
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": card,
        }],
    })
}

fn chime(m: &Message) -> Value {
    let mut text = m.headline.clone();
    for (k, v) in &m.facts {
        text.push_str(&format!("\n{k}: {v}"));
    }
    text.push('\n');
    text.push_str(m.link.as_deref().unwrap_or(&m.arn));
    json!({ "Content": crate::drivers::truncate(&text, CHIME_MAX) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m() -> Message {
        Message {
            headline: "Incident opened: DB <down>".into(),
            facts: vec![("Impact".into(), impact(1))],
            link: Some("https://t.example/v1/incidents/i-1".into()),
            arn: "arn:aws:ssm-incidents::123456789012:incident-record/p/i-1".into(),
        }
    }

    #[test]
    fn each_peer_gets_its_documented_shape() {
        let s = body(ChatKind::Slack, &m());
        assert_eq!(s["text"], "Incident opened: DB <down>");
        assert_eq!(s["blocks"][0]["type"], "header");
        let section = s["blocks"][1]["text"]["text"].as_str().unwrap();
        assert!(section.contains("*Impact:* 1 (Critical)"), "{section}");
        assert!(section.contains("<https://t.example/v1/incidents/i-1|View incident>"));

        let t = body(ChatKind::Teams, &m());
        assert_eq!(t["type"], "message");
        let a = &t["attachments"][0];
        assert_eq!(a["contentType"], "application/vnd.microsoft.card.adaptive");
        assert_eq!(a["content"]["type"], "AdaptiveCard");
        assert_eq!(
            a["content"]["actions"][0]["url"],
            "https://t.example/v1/incidents/i-1"
        );

        let c = body(ChatKind::Chime, &m());
        let content = c["Content"].as_str().unwrap();
        assert!(content.starts_with("Incident opened: DB <down>\nImpact: 1 (Critical)\n"));
        assert!(content.ends_with("https://t.example/v1/incidents/i-1"));
    }
}
