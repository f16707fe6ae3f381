//! `/tocsin` Slack slash commands, mirroring the chat commands of Incident Manager
//! (`update-incident-record`, `create-timeline-event`, `get-incident-record`, …) in short form:
//!
//! | command | does |
//! |---|---|
//! | `/tocsin status [incident]` | the open incidents, or one incident |
//! | `/tocsin ack <incident>` | acknowledges its unread pages (engagements stop) |
//! | `/tocsin resolve <incident>` | resolves it |
//! | `/tocsin update-impact <incident> <1-5>` | sets its impact |
//! | `/tocsin add-note <incident> <text>` | adds a note to its timeline |
//!
//! `<incident>` is an id or an incident record ARN. Requests are verified as Slack documents
//! ("Verifying requests from Slack"): `X-Slack-Signature` = `v0=` hex HMAC-SHA256 of
//! `v0:<X-Slack-Request-Timestamp>:<body>` with the signing secret, and the timestamp within
//! five minutes of the (injected) clock, so a captured request cannot be replayed later.

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::json;
use sha2::Sha256;
use tocsin_proto::records::{IncidentRecord, IncidentStatus, kinds};

use super::Inbound;
use super::ops::{self, OpError};
use crate::incidents::format::{Change, impact};

/// How far a request's timestamp may be from now.
pub const WINDOW: Duration = Duration::from_secs(300);

/// The fields of a slash command Tocsin reads.
#[derive(Debug, Deserialize)]
struct Command {
    #[serde(default)]
    text: String,
    #[serde(default)]
    user_name: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    team_domain: String,
    #[serde(default)]
    trigger_id: String,
}

/// Checks a request's signature at `now` (Unix seconds).
pub(crate) fn verify(
    secret: &str,
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<(), &'static str> {
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let ts = header("x-slack-request-timestamp").ok_or("missing X-Slack-Request-Timestamp")?;
    let sig = header("x-slack-signature").ok_or("missing X-Slack-Signature")?;
    let at: i64 = ts.parse().map_err(|_| "bad X-Slack-Request-Timestamp")?;
    if (now - at).unsigned_abs() > WINDOW.as_secs() {
        return Err("X-Slack-Request-Timestamp is more than five minutes away");
    }
    let sig = sig
        .strip_prefix("v0=")
        .and_then(|h| hex::decode(h).ok())
        .ok_or("X-Slack-Signature is not v0=<hex>")?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
    mac.update(b"v0:");
    mac.update(ts.as_bytes());
    mac.update(b":");
    mac.update(body);
    mac.verify_slice(&sig)
        .map_err(|_| "X-Slack-Signature does not match")
}

fn reply(in_channel: bool, text: impl Into<String>) -> Response {
    let kind = if in_channel {
        "in_channel"
    } else {
        "ephemeral"
    };
    Json(json!({"response_type": kind, "text": text.into()})).into_response()
}

const HELP: &str = "Usage: /tocsin status [incident] | ack <incident> | resolve <incident> | \
                    update-impact <incident> <1-5> | add-note <incident> <text>";

/// `POST /v1/inbound/slack/commands`.
pub(crate) async fn command(State(s): State<Inbound>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(secret) = &s.ctx.settings.slack_signing_secret else {
        return (
            StatusCode::FORBIDDEN,
            "slash commands are off: set TOCSIN_SLACK_SIGNING_SECRET",
        )
            .into_response();
    };
    let now = s.ctx.clock.now().timestamp();
    if let Err(why) = verify(secret.expose_secret(), &headers, &body, now) {
        tracing::warn!(reason = why, "Refused a Slack request.");
        return (StatusCode::UNAUTHORIZED, why).into_response();
    }
    let Ok(cmd) = serde_urlencoded::from_bytes::<Command>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            "the body is not a slash command form",
        )
            .into_response();
    };
    let actor = format!(
        "slack:{}/{}",
        cmd.team_domain,
        if cmd.user_name.is_empty() {
            &cmd.user_id
        } else {
            &cmd.user_name
        }
    );
    let mut words = cmd.text.split_whitespace();
    let verb = words.next().unwrap_or_default().to_ascii_lowercase();
    let target = words.next().unwrap_or_default();
    let rest: Vec<&str> = words.collect();
    let result = match (verb.as_str(), target) {
        ("status", "") => status_all(&s).await,
        ("status", id) => ops::find(&s, id).await.map(|(r, _, id)| describe(&id, &r)),
        ("ack", id) if !id.is_empty() => ops::acknowledge(&s, id, &actor).await,
        ("resolve", id) if !id.is_empty() => ops::resolve(&s, id, &actor).await,
        ("update-impact", id) if !id.is_empty() && rest.len() == 1 => {
            match ops::update_impact(&s, id, rest[0], &actor).await {
                Ok((id, what)) => {
                    announce(
                        &s,
                        &id,
                        &format!("impact:{}", cmd.trigger_id),
                        &format!("{what} by {actor}"),
                    )
                    .await;
                    Ok(format!("Incident {id}: {what}"))
                }
                Err(e) => Err(e),
            }
        }
        ("add-note", id) if !id.is_empty() && !rest.is_empty() => {
            let dedupe = if cmd.trigger_id.is_empty() {
                rest.join(" ")
            } else {
                cmd.trigger_id.clone()
            };
            match ops::add_note(&s, id, &rest.join(" "), &actor, &dedupe).await {
                Ok(id) => {
                    announce(
                        &s,
                        &id,
                        &format!("note:{dedupe}"),
                        &format!("note added by {actor}"),
                    )
                    .await;
                    Ok(format!("Note added to incident {id}."))
                }
                Err(e) => Err(e),
            }
        }
        _ => return reply(false, HELP),
    };
    match result {
        Ok(text) => reply(true, text),
        Err(OpError::User(m)) => reply(false, m),
        Err(e @ OpError::Unavailable(_)) => {
            tracing::error!(error = %e, "A Slack command failed.");
            reply(false, e.to_string())
        }
    }
}

/// Tells the incident's chat channels about a change made from chat (best effort: the change
/// is made; a message that cannot go out is logged).
async fn announce(s: &Inbound, id: &str, event: &str, what: &str) {
    let outcome = s
        .incidents
        .tell(&s.records, id, event, Change::Updated(what.to_string()))
        .await;
    if outcome != tocsin_runtime::Outcome::Ack {
        tracing::warn!(incident_id = %id, ?outcome, "Could not tell chat about a change made from chat.");
    }
}

fn describe(id: &str, r: &IncidentRecord) -> String {
    format!(
        "{id}: {} — {:?}, impact {}",
        r.title,
        r.status,
        impact(r.impact)
    )
}

async fn status_all(s: &Inbound) -> Result<String, OpError> {
    let mut open: Vec<IncidentRecord> = s
        .records
        .list::<IncidentRecord>(kinds::INCIDENT)
        .await?
        .into_iter()
        .filter(|r| r.status == IncidentStatus::Open)
        .collect();
    if open.is_empty() {
        return Ok("No open incidents.".into());
    }
    open.sort_by_key(|r| (r.impact, std::cmp::Reverse(r.creation_time)));
    let lines: Vec<String> = open
        .iter()
        .take(10)
        .map(|r| describe(r.arn.rsplit('/').next().unwrap_or_default(), r))
        .collect();
    Ok(format!(
        "{} open incident(s):\n{}",
        open.len(),
        lines.join("\n")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproduces_slack_s_documented_example_and_refuses_old_requests() {
        // Slack's "Verifying requests from Slack" example.
        let secret = "8f742231b10e8888abcd99yyyzzz85a5";
        let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        let mut h = HeaderMap::new();
        h.insert("x-slack-request-timestamp", "1531420618".parse().unwrap());
        h.insert(
            "x-slack-signature",
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
                .parse()
                .unwrap(),
        );
        assert_eq!(verify(secret, &h, body, 1_531_420_618 + 60), Ok(()));
        assert!(verify(secret, &h, body, 1_531_420_618 + 301).is_err());
        assert!(verify("another secret", &h, body, 1_531_420_618).is_err());
        assert!(verify(secret, &h, b"text=resolve", 1_531_420_618).is_err());
    }
}
