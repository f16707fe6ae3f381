//! Channel drivers: one per channel type, each built from the settings and each behind its own
//! [`gate`] (a concurrency limit and a circuit breaker).
//!
//! | channel | driver | peer |
//! |---|---|---|
//! | `WEBHOOK` | [`webhook`] | the page's URL; Standard Webhooks signature with `TOCSIN_WEBHOOK_SECRET` |
//! | `EMAIL` | [`email`] | the SMTP relay of `TOCSIN_SMTP_URL` (none: the mail is logged) |
//! | `SMS` | [`sms`] | `TOCSIN_SMS_PROVIDER_URL`, Twilio's Messages API |
//! | `VOICE` | [`voice`] | `TOCSIN_SMS_PROVIDER_URL`, Twilio's Calls API |
//!
//! A driver sends a [`Message`]: a page, or a contact channel's activation code (a mail "Your
//! Tocsin activation code", a text, a call spelling the code twice, a signed webhook) — no
//! accept code, acknowledge link or status callback, since there is no page to acknowledge.
//!
//! Every driver answers the same way: accepted by the peer → `Ok(detail)` naming what the peer
//! said (status, provider id); timeouts, connection errors, 408, 429, 5xx and SMTP 4xx →
//! [`SendError::Transient`]; any other refusal → [`SendError::Permanent`]. Details and logs never
//! carry secrets or URLs (webhook URLs may hold tokens).

mod email;
pub(crate) mod gate;
mod provider;
pub(crate) mod signing;
mod sms;
mod text;
mod voice;
mod webhook;

use std::sync::Arc;
use std::time::Duration;

use tocsin_core::clock::Clock;
use tocsin_proto::messages::{SendActivationCodeV1, SendPageV1};
use tocsin_proto::records::ChannelType;
use tocsin_runtime::{Settings, SystemClock};

use self::email::EmailDriver;
use self::gate::{BreakerRules, Gate};
use self::provider::ProviderClient;
use self::sms::SmsDriver;
use self::voice::VoiceDriver;
use self::webhook::WebhookDriver;

pub(crate) use self::text::{activation_id, page_id, truncate};

/// What a driver sends.
#[derive(Debug, Clone, Copy)]
pub enum Message<'a> {
    /// A page of an engagement.
    Page(&'a SendPageV1),
    /// The activation code of a contact channel.
    Activation(&'a SendActivationCodeV1),
}

impl Message<'_> {
    /// The channel it goes over.
    pub fn channel_type(&self) -> ChannelType {
        match self {
            Message::Page(p) => p.channel_type,
            Message::Activation(a) => a.channel_type,
        }
    }

    /// Where it goes (email address, phone number, URL).
    pub fn address(&self) -> &str {
        match self {
            Message::Page(p) => &p.address,
            Message::Activation(a) => &a.address,
        }
    }

    /// Its idempotency key at the peer: the page id, or one derived from (channel, code).
    pub fn id(&self) -> String {
        match self {
            Message::Page(p) => page_id(p).to_string(),
            Message::Activation(a) => activation_id(a),
        }
    }
}

/// Why a send failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// May succeed later (timeout, connection refused, 5xx, 408, 429, SMTP 4xx).
    #[error("transient: {0}")]
    Transient(String),
    /// Will not succeed (other 4xx, SMTP 5xx, bad address, no driver).
    #[error("permanent: {0}")]
    Permanent(String),
    /// The request went out but no answer came before the deadline: the peer may or may not
    /// have acted on it. Retried only with the same idempotency key, and recorded.
    #[error("outcome unknown: {0}")]
    Unknown(String),
    /// Not attempted: the driver's circuit is open, or its slots stayed busy. Nothing reached
    /// the peer; try again after `after`.
    #[error("transient: {reason}")]
    Deferred {
        /// When the driver may take the page.
        after: Duration,
        /// Why it did not.
        reason: String,
    },
}

/// Whether an open circuit may turn a send away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Fail fast ([`SendError::Deferred`]) while the driver's circuit is open.
    Normal,
    /// The page's last attempt: call the peer even through an open circuit, so that a page is
    /// only ever reported failed on the peer's own answer.
    LastAttempt,
}

/// All drivers of a notifier process (cheap to clone; clones share gates and connections).
#[derive(Clone)]
pub struct Drivers {
    inner: Arc<Inner>,
}

struct Inner {
    webhook: (Gate, WebhookDriver),
    email: (Gate, EmailDriver),
    sms: (Gate, SmsDriver),
    voice: (Gate, VoiceDriver),
}

impl std::fmt::Debug for Drivers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Drivers")
            .field("channels", &self.describe())
            .finish_non_exhaustive()
    }
}

impl Drivers {
    /// The drivers of `Settings::default()` with calls timing out after `timeout`: unsigned
    /// webhooks, mails logged, no SMS or voice provider.
    pub fn new(timeout: Duration) -> Self {
        let settings = Settings {
            webhook_timeout: timeout,
            ..Settings::default()
        };
        Self::from_settings(&settings, Arc::new(SystemClock))
    }

    /// The drivers `settings` configure; `clock` stamps signatures and mails.
    pub fn from_settings(settings: &Settings, clock: Arc<dyn Clock>) -> Self {
        let timeout = settings.webhook_timeout;
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("tocsin/", env!("CARGO_PKG_VERSION")))
            // A redirect is an answer, not a detour: follow none (Standard Webhooks advice), so
            // credentials and signed bodies go only where they were configured to go.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        let rules = BreakerRules {
            failures: settings.notifier_breaker_failures,
            cooldown: settings.notifier_breaker_cooldown,
        };
        let gate =
            |name: &'static str| Gate::new(name, settings.notifier_concurrency, timeout, rules);
        let provider = ProviderClient::from_settings(settings, http.clone()).map(Arc::new);
        let inner = Inner {
            webhook: (
                gate("webhook"),
                WebhookDriver::from_settings(settings, http, clock.clone()),
            ),
            email: (gate("email"), EmailDriver::from_settings(settings, clock)),
            sms: (gate("sms"), SmsDriver::new(provider.clone())),
            voice: (gate("voice"), VoiceDriver::new(provider)),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// What each channel is wired to, for the start-up log (no secrets).
    pub fn describe(&self) -> String {
        let i = &*self.inner;
        format!(
            "webhook: {}; email: {}; sms: {}; voice: {}",
            i.webhook.1.describe(),
            i.email.1.describe(),
            i.sms.1.describe(),
            i.voice.1.describe()
        )
    }

    /// Delivers one page; `Ok` carries the peer's answer for the receipt.
    pub async fn send(&self, page: &SendPageV1) -> Result<String, SendError> {
        self.send_with(page, Admission::Normal).await
    }

    /// Delivers one page through its channel's gate.
    pub async fn send_with(
        &self,
        page: &SendPageV1,
        admission: Admission,
    ) -> Result<String, SendError> {
        self.deliver(Message::Page(page), admission).await
    }

    /// Delivers one message through its channel's gate.
    pub async fn deliver(&self, m: Message<'_>, admission: Admission) -> Result<String, SendError> {
        let i = &*self.inner;
        match m.channel_type() {
            ChannelType::Webhook => i.webhook.0.run(admission, i.webhook.1.send(m)).await,
            ChannelType::Email => i.email.0.run(admission, i.email.1.send(m)).await,
            ChannelType::Sms => i.sms.0.run(admission, i.sms.1.send(m)).await,
            ChannelType::Voice => i.voice.0.run(admission, i.voice.1.send(m)).await,
        }
    }
}

// === shared by the HTTP drivers ===

/// The outcome class of an HTTP status that is not a success: 408, 429 and 5xx may pass.
pub(crate) fn http_failure(what: &str, status: reqwest::StatusCode, detail: &str) -> SendError {
    let code = status.as_u16();
    let message = if detail.is_empty() {
        format!("{what} answered HTTP {code}")
    } else {
        format!("{what} answered HTTP {code} ({detail})")
    };
    if status.is_server_error() || code == 408 || code == 429 {
        SendError::Transient(message)
    } else if status.is_redirection() {
        SendError::Permanent(format!("{message}; redirects are not followed"))
    } else {
        SendError::Permanent(message)
    }
}

/// A transport error, without its URL (webhook URLs may carry tokens). A timeout after the
/// connection was made leaves the outcome unknown; one while connecting does not.
pub(crate) fn transport_failure(what: &str, e: &reqwest::Error) -> SendError {
    if e.is_timeout() && !e.is_connect() {
        return SendError::Unknown(format!("{what} request timed out"));
    }
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "transport error"
    };
    SendError::Transient(format!("{what} request failed: {kind}"))
}
