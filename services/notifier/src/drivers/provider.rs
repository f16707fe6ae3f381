//! The SMS and voice provider: an HTTP API of Twilio's shape at `TOCSIN_SMS_PROVIDER_URL`.
//!
//! `POST <base>/2010-04-01/Accounts/<AccountSid>/{Messages,Calls}.json`, form-encoded, HTTP
//! basic auth `AccountSid:AuthToken`, header `I-Twilio-Idempotency-Token: <message id>` (a
//! retried request whose answer was lost does not make a second message), and for pages, when
//! `TOCSIN_PUBLIC_URL` is set, a `StatusCallback` of `<url>/v1/inbound/twilio/status/<page id>`
//! (activation codes have no page to report on, so no callback).
//! A 2xx answer is JSON with the resource's `sid` and `status`; an error answer is JSON with
//! `code` and `message`.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tocsin_runtime::Settings;

use super::{Message, SendError, http_failure, text, transport_failure};
use crate::links::Links;

/// Which resource a request creates.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Resource {
    /// An SMS (`Messages.json`).
    Messages,
    /// A phone call (`Calls.json`).
    Calls,
}

/// What the provider created.
#[derive(Debug, Clone)]
pub(crate) struct Created {
    /// Its id (`SM…`, `CA…`).
    pub sid: String,
    /// Its status (`queued`, `accepted`, ...).
    pub status: String,
}

/// A client of the provider API.
pub(crate) struct ProviderClient {
    http: reqwest::Client,
    base: String,
    account_sid: String,
    auth_token: SecretString,
    from: String,
    links: Links,
}

#[derive(Debug, Deserialize)]
struct Answer {
    #[serde(default)]
    sid: Option<String>,
    #[serde(default)]
    status: Option<serde_json::Value>,
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default)]
    message: Option<String>,
}

impl ProviderClient {
    /// The client `settings` configure; none without `TOCSIN_SMS_PROVIDER_URL`.
    pub(crate) fn from_settings(settings: &Settings, http: reqwest::Client) -> Option<Self> {
        let base = settings.sms_provider_url.clone()?;
        Some(Self {
            http,
            base,
            account_sid: settings.sms_account_sid.clone().unwrap_or_default(),
            auth_token: settings
                .sms_auth_token
                .clone()
                .unwrap_or_else(|| SecretString::from("")),
            from: settings.sms_from.clone().unwrap_or_default(),
            links: Links::from_settings(settings),
        })
    }

    /// The provider's base URL with any password hidden, for the start-up log.
    pub(crate) fn base(&self) -> String {
        tocsin_runtime::config::redact(&self.base)
    }

    /// The links put in what is sent.
    pub(crate) fn links(&self) -> &Links {
        &self.links
    }

    /// Asks the provider to create `resource` for `m`, with `fields` besides `To`, `From`
    /// and `StatusCallback`.
    pub(crate) async fn create(
        &self,
        resource: Resource,
        m: Message<'_>,
        fields: &[(&str, &str)],
    ) -> Result<Created, SendError> {
        let (what, file) = match resource {
            Resource::Messages => ("SMS provider", "Messages.json"),
            Resource::Calls => ("voice provider", "Calls.json"),
        };
        let url = format!(
            "{}/2010-04-01/Accounts/{}/{file}",
            self.base, self.account_sid
        );
        let id = m.id();
        let callback = match m {
            Message::Page(_) => self.links.provider_status(&id),
            Message::Activation(_) => None,
        };
        let mut form: Vec<(&str, &str)> = vec![("To", m.address()), ("From", self.from.as_str())];
        form.extend_from_slice(fields);
        if let Some(cb) = &callback {
            form.push(("StatusCallback", cb.as_str()));
        }
        let response = self
            .http
            .post(url)
            .basic_auth(&self.account_sid, Some(self.auth_token.expose_secret()))
            .header("I-Twilio-Idempotency-Token", id.as_str())
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&form)
            .send()
            .await
            .map_err(|e| transport_failure(what, &e))?;
        let status = response.status();
        // An unreadable answer still has its status; the body only adds detail.
        let answer: Option<Answer> = response.json().await.ok();
        if status.is_success() {
            let answer = answer.unwrap_or(Answer {
                sid: None,
                status: None,
                code: None,
                message: None,
            });
            return Ok(Created {
                sid: answer.sid.unwrap_or_else(|| "unknown".into()),
                status: answer
                    .status
                    .map(|s| s.as_str().map_or_else(|| s.to_string(), str::to_string))
                    .unwrap_or_else(|| format!("HTTP {}", status.as_u16())),
            });
        }
        let detail = answer
            .map(|a| {
                let message = text::truncate(a.message.as_deref().unwrap_or_default(), 200);
                match a.code {
                    Some(code) => format!("code {code}: {message}"),
                    None => message,
                }
            })
            .unwrap_or_default();
        Err(http_failure(what, status, detail.trim()))
    }
}
