//! `WEBHOOK`: a `POST` of the page as JSON to the channel's URL.
//!
//! Headers: `Idempotency-Key` and `webhook-id` (the page id, the same on every retry) and, with
//! `TOCSIN_WEBHOOK_SECRET`, `webhook-timestamp` and `webhook-signature` as Standard Webhooks
//! define them, so receivers can verify with any Standard Webhooks library. The body is
//! serialised once and the signed bytes are the sent bytes. An activation code goes as
//! `{"type": "activation_code", "contactArn", "contactChannelArn", "activationCode"}` with the
//! id derived from (channel, code).

use std::sync::Arc;

use secrecy::ExposeSecret;
use serde_json::json;
use tocsin_core::clock::Clock;
use tocsin_runtime::Settings;

use super::signing::Signer;
use super::{Message, SendError, http_failure, transport_failure};

/// Posts pages to webhook URLs.
pub(crate) struct WebhookDriver {
    http: reqwest::Client,
    signer: Option<Signer>,
    clock: Arc<dyn Clock>,
}

impl WebhookDriver {
    pub(crate) fn from_settings(
        settings: &Settings,
        http: reqwest::Client,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let signer = settings.webhook_secret.as_ref().and_then(|s| {
            Signer::new(s.expose_secret())
                .inspect_err(|e| {
                    tracing::error!(error = %e, "TOCSIN_WEBHOOK_SECRET is unusable; webhooks go out unsigned.")
                })
                .ok()
        });
        Self {
            http,
            signer,
            clock,
        }
    }

    pub(crate) fn describe(&self) -> &'static str {
        if self.signer.is_some() {
            "signed (Standard Webhooks)"
        } else {
            "unsigned"
        }
    }

    pub(crate) async fn send(&self, m: Message<'_>) -> Result<String, SendError> {
        let url = reqwest::Url::parse(m.address())
            .map_err(|e| SendError::Permanent(format!("webhook address is not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(SendError::Permanent(format!(
                "webhook scheme {} is not http(s)",
                url.scheme()
            )));
        }
        let id = m.id();
        let body = match m {
            Message::Page(page) => json!({
                "pageArn": page.page_arn,
                "engagementArn": page.engagement_arn,
                "incidentArn": page.incident_arn,
                "contactArn": page.contact_arn,
                "contactChannelArn": page.contact_channel_arn,
                "subject": page.subject,
                "content": page.content,
                "acceptCode": page.accept_code,
            }),
            Message::Activation(a) => json!({
                "type": "activation_code",
                "contactArn": a.contact_arn,
                "contactChannelArn": a.contact_channel_arn,
                "activationCode": a.activation_code,
            }),
        };
        let body = serde_json::to_vec(&body).unwrap_or_default();
        let mut request = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", id.as_str())
            .header("webhook-id", id.as_str());
        if let Some(signer) = &self.signer {
            // The timestamp is of this attempt (a retry is signed anew), the id stays.
            let timestamp = self.clock.now().timestamp();
            request = request
                .header("webhook-timestamp", timestamp.to_string())
                .header("webhook-signature", signer.sign(&id, timestamp, &body));
        }
        // The receiver can join the trace of the alarm that caused the page.
        for (name, value) in tocsin_runtime::telemetry::trace_headers() {
            request = request.header(name, value);
        }
        let response = request
            .body(body)
            .send()
            .await
            .map_err(|e| transport_failure("webhook", &e))?;
        let status = response.status();
        if status.is_success() {
            Ok(format!("HTTP {}", status.as_u16()))
        } else {
            Err(http_failure("webhook", status, ""))
        }
    }
}
