//! `EMAIL`: a plain-text mail through the SMTP relay of `TOCSIN_SMTP_URL` (lettre).
//!
//! The URL picks the transport: `smtp://host[:port]` (plain; port 25), `smtp://host?tls=required`
//! (STARTTLS required; port 587), `smtp://host?tls=opportunistic`, `smtps://host` (implicit
//! TLS; port 465); `user:pass@` adds AUTH. The mail carries the subject, the content, the
//! accept code, the acknowledge link when `TOCSIN_PUBLIC_URL` is set, and a `Message-ID` made
//! from the page id, so a relay or reader can tell a resent page from a new one. An activation
//! code is a mail "Your Tocsin activation code" with the code and nothing to acknowledge; its
//! `Message-ID` comes from (channel, code).
//!
//! Without a relay (what `tocsin dev` does) the driver logs the mail's recipient and subject
//! — never its body, accept code or activation code — and reports it "logged (no SMTP relay
//! configured)".
//!
//! The relay's verdict maps as SMTP defines it: 2xx accepted, 4xx transient, 5xx permanent;
//! timeouts, connection and TLS errors are transient.

use std::sync::Arc;
use std::time::SystemTime;

use lettre::message::Mailbox;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::transport::smtp::Error as SmtpError;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use tocsin_core::clock::Clock;
use tocsin_proto::messages::{SendActivationCodeV1, SendPageV1};
use tocsin_runtime::Settings;

use super::{Message as Outgoing, SendError, text};
use crate::links::Links;

/// Subject of activation code mails.
pub(crate) const ACTIVATION_SUBJECT: &str = "Your Tocsin activation code";

/// Where mails go.
enum Relay {
    /// Nowhere: they are logged (no `TOCSIN_SMTP_URL`).
    Log,
    /// An SMTP relay; `shown` is its URL without password.
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        shown: String,
    },
    /// The settings could not make a relay: every mail fails permanently with this reason.
    Broken(String),
}

/// Sends pages as mails.
pub(crate) struct EmailDriver {
    relay: Relay,
    from: Result<Mailbox, String>,
    links: Links,
    clock: Arc<dyn Clock>,
}

impl EmailDriver {
    pub(crate) fn from_settings(settings: &Settings, clock: Arc<dyn Clock>) -> Self {
        let relay = match &settings.smtp_url {
            None => Relay::Log,
            Some(url) => {
                let shown = settings.smtp_url_redacted().unwrap_or_default();
                match AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret()) {
                    Ok(builder) => Relay::Smtp {
                        transport: builder.timeout(Some(settings.webhook_timeout)).build(),
                        shown,
                    },
                    Err(e) => {
                        tracing::error!(relay = %shown, error = %e, "TOCSIN_SMTP_URL is unusable; EMAIL pages will fail.");
                        Relay::Broken(format!("the SMTP relay {shown} is misconfigured: {e}"))
                    }
                }
            }
        };
        let from = settings.smtp_from.parse::<Mailbox>().map_err(|e| {
            tracing::error!(error = %e, "TOCSIN_SMTP_FROM is not a mailbox; EMAIL pages will fail.");
            format!("TOCSIN_SMTP_FROM is not a mailbox: {e}")
        });
        Self {
            relay,
            from,
            links: Links::from_settings(settings),
            clock,
        }
    }

    pub(crate) fn describe(&self) -> String {
        match &self.relay {
            Relay::Log => "logged (no SMTP relay configured)".into(),
            Relay::Smtp { shown, .. } => format!("SMTP relay {shown}"),
            Relay::Broken(_) => "misconfigured SMTP relay".into(),
        }
    }

    pub(crate) async fn send(&self, m: Outgoing<'_>) -> Result<String, SendError> {
        let to: Mailbox = m.address().parse().map_err(|e| {
            SendError::Permanent(format!("{:?} is not an email address: {e}", m.address()))
        })?;
        match &self.relay {
            Relay::Log => {
                let (what, subject) = match m {
                    Outgoing::Page(p) => (p.page_arn.as_str(), p.subject.as_str()),
                    Outgoing::Activation(a) => (a.contact_channel_arn.as_str(), ACTIVATION_SUBJECT),
                };
                tracing::info!(
                    about = %what,
                    to = %to,
                    subject = %subject,
                    "No SMTP relay configured: logging the mail instead of sending it."
                );
                Ok("logged (no SMTP relay configured)".into())
            }
            Relay::Broken(reason) => Err(SendError::Permanent(reason.clone())),
            Relay::Smtp { transport, .. } => {
                let message = match m {
                    Outgoing::Page(page) => self.message(page, to)?,
                    Outgoing::Activation(a) => self.activation(a, to)?,
                };
                let response = transport.send(message).await.map_err(|e| classify(&e))?;
                Ok(format!(
                    "SMTP relay accepted: {} {}",
                    response.code(),
                    response.first_line().unwrap_or_default()
                )
                .trim_end()
                .to_string())
            }
        }
    }

    fn message(&self, page: &SendPageV1, to: Mailbox) -> Result<Message, SendError> {
        let from = self.from.clone().map_err(SendError::Permanent)?;
        let mut body = format!(
            "{}\n\nAccept code: {}\n",
            page.content.trim_end(),
            page.accept_code
        );
        if let Some(link) = text::accept_link(&self.links, page) {
            body.push_str(&format!("Acknowledge: {link}\n"));
        }
        body.push_str(&format!(
            "\nIncident: {}\nPage: {}\n",
            page.incident_arn, page.page_arn
        ));
        let subject = if page.subject.trim().is_empty() {
            "Tocsin page"
        } else {
            page.subject.as_str()
        };
        Message::builder()
            .from(from)
            .to(to)
            .subject(subject)
            .message_id(Some(format!("<{}@tocsin>", text::page_id(page))))
            .date(SystemTime::from(self.clock.now()))
            .header(PageArn(page.page_arn.clone()))
            .header(AutoSubmitted)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| SendError::Permanent(format!("the mail cannot be built: {e}")))
    }
}

impl EmailDriver {
    fn activation(&self, a: &SendActivationCodeV1, to: Mailbox) -> Result<Message, SendError> {
        let from = self.from.clone().map_err(SendError::Permanent)?;
        let body = format!(
            "Your Tocsin activation code is {code}.\n\n\
             Enter it to activate this address as a contact channel \
             (ActivateContactChannel). It expires in 15 minutes; a new code replaces it.\n\n\
             Contact channel: {channel}\n",
            code = a.activation_code,
            channel = a.contact_channel_arn,
        );
        Message::builder()
            .from(from)
            .to(to)
            .subject(ACTIVATION_SUBJECT)
            .message_id(Some(format!("<{}@tocsin>", text::activation_id(a))))
            .date(SystemTime::from(self.clock.now()))
            .header(ContactChannel(a.contact_channel_arn.clone()))
            .header(AutoSubmitted)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| SendError::Permanent(format!("the mail cannot be built: {e}")))
    }
}

/// The relay's verdict as a send outcome.
fn classify(e: &SmtpError) -> SendError {
    if e.is_permanent() {
        SendError::Permanent(format!("SMTP relay refused the mail: {e}"))
    } else if e.is_transient() {
        SendError::Transient(format!("SMTP relay deferred the mail: {e}"))
    } else if e.is_timeout() {
        SendError::Unknown("SMTP relay timed out".into())
    } else if e.is_tls() {
        SendError::Transient(format!("TLS with the SMTP relay failed: {e}"))
    } else {
        SendError::Transient(format!("SMTP relay unreachable or misbehaving: {e}"))
    }
}

// === headers ===

/// `X-Tocsin-Page`: the page ARN, for filters and for tracing a mail back to its page.
#[derive(Debug, Clone)]
struct PageArn(String);

impl Header for PageArn {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Tocsin-Page")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_string()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `X-Tocsin-Contact-Channel`: the channel an activation code is for.
#[derive(Debug, Clone)]
struct ContactChannel(String);

impl Header for ContactChannel {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Tocsin-Contact-Channel")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_string()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `Auto-Submitted: auto-generated` (RFC 3834), so out-of-office replies stay away.
#[derive(Debug, Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".into())
    }
}
