//! Notification targets: the `notificationTargets` of an incident (copied from its response
//! plan's `incidentTemplate`; in AWS, SNS topics) get incident opened / updated / resolved
//! events as signed webhooks.
//!
//! Tocsin has no SNS, so an `snsTopicArn` names a webhook through a mapping, looked up at each
//! delivery (a changed file is used without a restart):
//!
//! 1. `TOCSIN_NOTIFICATION_TARGETS`, a JSON object: `{"<topic ARN>": {"url": "https://…",
//!    "secret": "whsec_…"}}` (or just `"<topic ARN>": "https://…"`);
//! 2. else `TOCSIN_SECRETS_FILE`, the same entry under the topic ARN (for URLs holding tokens;
//!    only `arn:<partition>:sns:…` names are looked up there).
//!
//! A target without its own `secret` is signed with `TOCSIN_WEBHOOK_SECRET`, or goes unsigned
//! without one. The request is a `POST` of `{"type": "incident.opened" | "incident.updated" |
//! "incident.resolved", "timestamp", "data": {…}}` with Standard Webhooks headers
//! (`webhook-id`, `webhook-timestamp`, `webhook-signature`; [`crate::drivers::signing`]), where
//! `webhook-id` (also `Idempotency-Key`) is derived from (incident, event, topic): the same on
//! every retry, so receivers verify and dedupe. A topic no mapping knows is logged and counted
//! ([`METRIC_UNKNOWN_TARGETS`]) once per event, and not retried; a file that cannot be read is
//! retried like a transient failure. URLs and secrets are never logged.

use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tocsin_core::ids::{derive, sha256_hex};
use tocsin_proto::records::IncidentRecord;
use tocsin_runtime::{Records, Settings};

use super::format::Change;
use super::{Again, Incidents, Peer};
use crate::drivers::signing::Signer;
use crate::drivers::{SendError, http_failure, transport_failure};
use crate::secrets::{SecretError, Secrets};

/// Metric: incident events not delivered because their topic has no mapping.
pub const METRIC_UNKNOWN_TARGETS: &str = "tocsin_notifier_unknown_targets_total";

/// Where a topic's events go.
pub struct Target {
    url: SecretString,
    signer: Option<Signer>,
}

/// Why a topic could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// No mapping names the topic.
    #[error(
        "no webhook is configured for notification target {0} (TOCSIN_NOTIFICATION_TARGETS or TOCSIN_SECRETS_FILE)"
    )]
    Unknown(String),
    /// The topic's entry is not usable.
    #[error("notification target {topic}: {reason}")]
    Invalid {
        /// The topic ARN.
        topic: String,
        /// What is wrong (never the URL or secret).
        reason: String,
    },
    /// A mapping file could not be read (may pass).
    #[error("{0}")]
    Unreadable(String),
}

/// Resolves topic ARNs to webhooks.
pub struct Directory {
    file: Option<PathBuf>,
    secrets: Secrets,
    default_secret: Option<SecretString>,
}

impl Directory {
    /// The mapping `settings` configure.
    pub fn from_settings(s: &Settings) -> Self {
        Self {
            file: s.notification_targets.clone(),
            secrets: Secrets::new(s.secrets_file.clone()),
            default_secret: s.webhook_secret.clone(),
        }
    }

    /// Where `topic`'s events go.
    pub async fn resolve(&self, topic: &str) -> Result<Target, TargetError> {
        if let Some(file) = &self.file {
            let shown = file.display();
            let text = tokio::fs::read_to_string(file)
                .await
                .map_err(|e| TargetError::Unreadable(format!("{shown}: {}", e.kind())))?;
            let map: serde_json::Map<String, Value> = serde_json::from_str(&text).map_err(|e| {
                TargetError::Unreadable(format!("{shown}: not a JSON object ({e})"))
            })?;
            if let Some(entry) = map.get(topic) {
                return self.entry(topic, entry);
            }
        }
        // Only SNS topic ARNs are looked up among the secrets, so a target cannot name another
        // secret (a PagerDuty token, say) and have incident data sent wherever it points.
        if topic.split(':').nth(2) != Some("sns") {
            return Err(TargetError::Unknown(topic.to_string()));
        }
        match self.secrets.get(topic).await {
            Ok(v) => {
                let text = v.expose_secret();
                let entry = serde_json::from_str(text).unwrap_or_else(|_| json!(text));
                self.entry(topic, &entry)
            }
            Err(SecretError::NoFile(_) | SecretError::Missing { .. }) => {
                Err(TargetError::Unknown(topic.to_string()))
            }
            Err(e @ SecretError::Unreadable { .. }) => Err(TargetError::Unreadable(e.to_string())),
        }
    }

    fn entry(&self, topic: &str, entry: &Value) -> Result<Target, TargetError> {
        let invalid = |reason: &str| TargetError::Invalid {
            topic: topic.to_string(),
            reason: reason.to_string(),
        };
        let (url, secret) = match entry {
            Value::String(url) => (url.as_str(), None),
            Value::Object(o) => (
                o.get("url")
                    .and_then(Value::as_str)
                    .ok_or_else(|| invalid("the entry has no \"url\" string"))?,
                o.get("secret").and_then(Value::as_str),
            ),
            _ => return Err(invalid("the entry must be a URL or {\"url\", \"secret\"}")),
        };
        let parsed = reqwest::Url::parse(url).map_err(|_| invalid("the url is not a URL"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(invalid("the url is not http(s)"));
        }
        let secret = secret.or(self.default_secret.as_ref().map(|s| s.expose_secret()));
        let signer = secret
            .map(Signer::new)
            .transpose()
            .map_err(|e| invalid(&e))?;
        Ok(Target {
            url: SecretString::from(url.to_string()),
            signer,
        })
    }
}

/// The event's type, as receivers see it.
pub fn event_type(change: &Change) -> &'static str {
    match change {
        Change::Opened => "incident.opened",
        Change::Updated(_) => "incident.updated",
        Change::Resolved => "incident.resolved",
    }
}

/// The body sent to `topic`'s webhook (pure).
pub fn body(
    incident: &IncidentRecord,
    change: &Change,
    topic: &str,
    link: Option<String>,
    now: chrono::DateTime<chrono::Utc>,
) -> Value {
    let update = match change {
        Change::Updated(what) => Some(what.as_str()),
        _ => None,
    };
    json!({
        "type": event_type(change),
        "timestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": {
            "notificationTarget": {"snsTopicArn": topic},
            "incidentRecordArn": incident.arn,
            "title": incident.title,
            "summary": incident.summary,
            "impact": incident.impact,
            "status": incident.status,
            "creationTime": incident.creation_time,
            "resolvedTime": incident.resolved_time,
            "responsePlanArn": incident.response_plan_arn,
            "update": update,
            "link": link,
        },
    })
}

impl Incidents {
    pub(super) async fn targets(
        &self,
        records: &Records,
        id: &str,
        event: &str,
        incident: &IncidentRecord,
        change: &Change,
    ) -> Result<(), Again> {
        let mut topics: Vec<&str> = Vec::new();
        for t in &incident.notification_targets {
            if let Some(arn) = t.sns_topic_arn.as_deref()
                && !topics.contains(&arn)
            {
                topics.push(arn);
            }
        }
        let link = self.inner.links.absolute(&format!("/v1/incidents/{id}"));
        let mut again = None;
        for topic in topics {
            let short = &sha256_hex(topic.as_bytes())[..16];
            let key = format!("target:{id}:{event}:{short}");
            let webhook_id = derive(&["notification-target", id, event, topic]);
            let step = || self.deliver(incident, change, topic, link.clone(), webhook_id);
            match self
                .once(records.account(), &key, Peer::Targets, step)
                .await
            {
                Ok(_) => {}
                Err(a) => again = Some(a),
            }
        }
        again.map_or(Ok(()), Err)
    }

    async fn deliver(
        &self,
        incident: &IncidentRecord,
        change: &Change,
        topic: &str,
        link: Option<String>,
        webhook_id: String,
    ) -> Result<String, SendError> {
        let target = match self.inner.targets.resolve(topic).await {
            Ok(t) => t,
            Err(e @ TargetError::Unknown(_)) => {
                self.inner
                    .unknown_targets
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                metrics::counter!(METRIC_UNKNOWN_TARGETS).increment(1);
                tracing::warn!(metric = METRIC_UNKNOWN_TARGETS, topic, incident = %incident.arn, "Notification target has no webhook mapping; the event is not delivered to it.");
                return Err(SendError::Permanent(e.to_string()));
            }
            Err(e @ TargetError::Invalid { .. }) => {
                return Err(SendError::Permanent(e.to_string()));
            }
            Err(e @ TargetError::Unreadable(_)) => return Err(SendError::Transient(e.to_string())),
        };
        let now = self.inner.ctx.clock.now();
        let body = body(incident, change, topic, link, now);
        let body = serde_json::to_vec(&body).unwrap_or_default();
        let mut request = self
            .inner
            .http
            .post(target.url.expose_secret())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", webhook_id.as_str())
            .header("webhook-id", webhook_id.as_str());
        if let Some(signer) = &target.signer {
            let timestamp = now.timestamp();
            request = request
                .header("webhook-timestamp", timestamp.to_string())
                .header(
                    "webhook-signature",
                    signer.sign(&webhook_id, timestamp, &body),
                );
        }
        for (name, value) in tocsin_runtime::telemetry::trace_headers() {
            request = request.header(name, value);
        }
        let what = "notification target webhook";
        let response = request
            .body(body)
            .send()
            .await
            .map_err(|e| transport_failure(what, &e))?;
        let status = response.status();
        if status.is_success() {
            Ok(format!("{what} answered HTTP {}", status.as_u16()))
        } else {
            Err(http_failure(what, status, ""))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directory(targets: Option<&str>, secrets: Option<&str>) -> (Directory, PathBuf) {
        let dir = std::env::temp_dir().join(format!("tocsin-dir-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, text: Option<&str>| {
            text.map(|t| {
                let f = dir.join(name);
                std::fs::write(&f, t).unwrap();
                f
            })
        };
        let d = Directory {
            file: write("targets.json", targets),
            secrets: Secrets::new(write("secrets.json", secrets)),
            default_secret: None,
        };
        (d, dir)
    }

    #[tokio::test]
    async fn topics_resolve_from_the_targets_file_then_the_secrets_file() {
        let (d, dir) = directory(
            Some(
                r#"{"t:a": {"url": "https://a.example/h", "secret": "s3cret-hunter2"},
                     "t:bad": {"url": "ftp://x"}, "t:num": 7}"#,
            ),
            Some(
                r#"{"arn:aws:sns:us-east-1:123456789012:b": "https://b.example/h?token=hunter2",
                    "pd": "https://pd.example/h"}"#,
            ),
        );
        let a = d.resolve("t:a").await.unwrap();
        assert_eq!(a.url.expose_secret(), "https://a.example/h");
        assert!(a.signer.is_some());
        let b = d
            .resolve("arn:aws:sns:us-east-1:123456789012:b")
            .await
            .unwrap();
        assert!(b.signer.is_none(), "no secret of its own and no default");
        // Secrets that are not SNS topics are never targets.
        assert_eq!(
            d.resolve("pd").await.err(),
            Some(TargetError::Unknown("pd".into()))
        );
        assert_eq!(
            d.resolve("t:none").await.err(),
            Some(TargetError::Unknown("t:none".into()))
        );
        for topic in ["t:bad", "t:num"] {
            let e = d.resolve(topic).await.err().unwrap();
            assert!(matches!(e, TargetError::Invalid { .. }), "{e:?}");
        }
        std::fs::write(dir.join("targets.json"), "{").unwrap();
        let e = d.resolve("t:a").await.err().unwrap();
        assert!(matches!(&e, TargetError::Unreadable(m) if m.contains("not a JSON object")));
        assert!(!e.to_string().contains("hunter2"), "{e}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn events_are_typed_as_receivers_see_them() {
        assert_eq!(event_type(&Change::Opened), "incident.opened");
        assert_eq!(event_type(&Change::Updated("x".into())), "incident.updated");
        assert_eq!(event_type(&Change::Resolved), "incident.resolved");
    }
}
