//! Posting incident messages to the incident's chat webhooks (`chatChannel.webhooks`).
//!
//! Each webhook gets each event once: claim `chat:<incident>:<event>:<n>`, `POST` the body in
//! its service's format ([`super::format`]) with `Idempotency-Key` set to the derived key.
//! Webhook URLs carry tokens: they are never logged or put in a detail.

use tocsin_core::ids::derive;
use tocsin_proto::records::{ChatKind, ChatWebhook, IncidentRecord};
use tocsin_runtime::Records;

use super::format::{self, Change};
use super::{Again, Incidents, Peer};
use crate::drivers::{SendError, http_failure, transport_failure};

impl Incidents {
    pub(super) async fn chat(
        &self,
        records: &Records,
        id: &str,
        event: &str,
        incident: &IncidentRecord,
        change: &Change,
    ) -> Result<(), Again> {
        let hooks = incident
            .chat_channel
            .as_ref()
            .and_then(|c| c.webhooks.clone())
            .unwrap_or_default();
        if hooks.is_empty() {
            return Ok(());
        }
        let link = self.inner.links.absolute(&format!("/v1/incidents/{id}"));
        let message = format::message(incident, change, link);
        let mut again = None;
        for (n, hook) in hooks.iter().enumerate() {
            let key = format!("chat:{id}:{event}:{n}");
            let body = format::body(hook.kind, &message);
            let step = || self.post(hook, &key, body);
            match self
                .once(records.account(), &key, Peer::Chat(hook.kind), step)
                .await
            {
                Ok(Ok(_)) | Ok(Err(_)) => {}
                Err(a) => again = Some(a),
            }
        }
        again.map_or(Ok(()), Err)
    }

    async fn post(
        &self,
        hook: &ChatWebhook,
        key: &str,
        body: serde_json::Value,
    ) -> Result<String, SendError> {
        let what = match hook.kind {
            ChatKind::Slack => "Slack webhook",
            ChatKind::Teams => "Teams webhook",
            ChatKind::Chime => "Chime webhook",
        };
        let url = reqwest::Url::parse(&hook.url)
            .map_err(|_| SendError::Permanent(format!("the {what} URL is not a URL")))?;
        if url.scheme() != "https" && url.scheme() != "http" {
            return Err(SendError::Permanent(format!(
                "the {what} URL is not http(s)"
            )));
        }
        let response = self
            .inner
            .http
            .post(url)
            .header("Idempotency-Key", derive(&["chat", key]))
            .json(&body)
            .send()
            .await
            .map_err(|e| transport_failure(what, &e))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if status.is_success() {
            Ok(format!("{what} answered HTTP {}", status.as_u16()))
        } else {
            // Slack answers with a short reason (`invalid_payload`, `no_service`).
            Err(http_failure(
                what,
                status,
                &crate::drivers::truncate(text.trim(), 100),
            ))
        }
    }
}
