//! Channel drivers. This version delivers WEBHOOK channels (HTTP POST of the page as JSON);
//! EMAIL, SMS and VOICE drivers come with the notifier issue and plug in here.

use std::time::Duration;

use serde_json::json;
use tocsin_proto::messages::SendPageV1;
use tocsin_proto::records::ChannelType;

/// Why a send failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// May succeed later (timeout, connection refused, 5xx, 408, 429).
    #[error("transient: {0}")]
    Transient(String),
    /// Will not succeed (4xx, bad address, no driver).
    #[error("permanent: {0}")]
    Permanent(String),
}

/// All drivers of a notifier process.
#[derive(Debug, Clone)]
pub struct Drivers {
    http: reqwest::Client,
}

impl Drivers {
    /// Drivers whose calls time out after `timeout`.
    pub fn new(timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("tocsin/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self { http }
    }

    /// Delivers one page; `Ok` carries the provider's detail for the receipt.
    pub async fn send(&self, page: &SendPageV1) -> Result<String, SendError> {
        match page.channel_type {
            ChannelType::Webhook => self.webhook(page).await,
            other => Err(SendError::Permanent(format!(
                "no {other:?} driver is configured in this version"
            ))),
        }
    }

    async fn webhook(&self, page: &SendPageV1) -> Result<String, SendError> {
        let url = reqwest::Url::parse(&page.address)
            .map_err(|e| SendError::Permanent(format!("webhook address is not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(SendError::Permanent(format!(
                "webhook scheme {} is not http(s)",
                url.scheme()
            )));
        }
        let page_id = page.page_arn.rsplit('/').next().unwrap_or_default();
        let body = json!({
            "pageArn": page.page_arn,
            "engagementArn": page.engagement_arn,
            "incidentArn": page.incident_arn,
            "contactArn": page.contact_arn,
            "contactChannelArn": page.contact_channel_arn,
            "subject": page.subject,
            "content": page.content,
            "acceptCode": page.accept_code,
        });
        let mut request = self
            .http
            .post(url)
            .header("Idempotency-Key", page_id)
            .header("webhook-id", page_id);
        // The receiver can join the trace of the alarm that caused the page.
        for (name, value) in tocsin_runtime::telemetry::trace_headers() {
            request = request.header(name, value);
        }
        let response = request.json(&body).send().await.map_err(|e| {
            SendError::Transient(format!("webhook request failed: {}", without_url(&e)))
        })?;
        let status = response.status();
        if status.is_success() {
            Ok(format!("HTTP {}", status.as_u16()))
        } else if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
            Err(SendError::Transient(format!(
                "webhook answered HTTP {}",
                status.as_u16()
            )))
        } else {
            Err(SendError::Permanent(format!(
                "webhook answered HTTP {}",
                status.as_u16()
            )))
        }
    }
}

/// The error without its URL (webhook URLs may carry tokens).
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "transport error"
    };
    kind.to_string()
}
