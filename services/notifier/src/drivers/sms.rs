//! `SMS`: a text message through the provider's Messages API ([`super::provider`]).
//!
//! A page's body is the subject, the content, the accept code and the acknowledge link when
//! `TOCSIN_PUBLIC_URL` is set, cut to the provider's 1,600 characters. An activation code's
//! body is the code and how to use it (also `START <code>` from this phone).

use std::sync::Arc;

use tocsin_proto::messages::{SendActivationCodeV1, SendPageV1};

use super::provider::{ProviderClient, Resource};
use super::{Message, SendError, text};

/// Longest body the provider takes.
const MAX_BODY: usize = 1600;

/// Sends pages as SMS.
pub(crate) struct SmsDriver {
    provider: Option<Arc<ProviderClient>>,
}

impl SmsDriver {
    pub(crate) fn new(provider: Option<Arc<ProviderClient>>) -> Self {
        Self { provider }
    }

    pub(crate) fn describe(&self) -> String {
        match &self.provider {
            Some(p) => format!("provider {}", p.base()),
            None => "no SMS provider configured".into(),
        }
    }

    pub(crate) async fn send(&self, m: Message<'_>) -> Result<String, SendError> {
        let Some(provider) = &self.provider else {
            return Err(SendError::Permanent("no SMS provider configured".into()));
        };
        check_e164(m.address())?;
        let body = match m {
            Message::Page(page) => body(page, text::accept_link(provider.links(), page)),
            Message::Activation(a) => activation_body(a),
        };
        let created = provider
            .create(Resource::Messages, m, &[("Body", body.as_str())])
            .await?;
        Ok(format!(
            "SMS accepted by the provider: sid {}, status {}",
            created.sid, created.status
        ))
    }
}

/// The text of the message.
pub(crate) fn body(page: &SendPageV1, link: Option<String>) -> String {
    let tail = match link {
        Some(link) => format!("\nAccept code: {}\n{link}", page.accept_code),
        None => format!("\nAccept code: {}", page.accept_code),
    };
    let head = format!("{}\n{}", page.subject.trim(), page.content.trim());
    let room = MAX_BODY.saturating_sub(tail.chars().count());
    format!("{}{tail}", text::truncate(head.trim(), room))
}

/// The text carrying an activation code.
pub(crate) fn activation_body(a: &SendActivationCodeV1) -> String {
    let code = &a.activation_code;
    format!(
        "Your Tocsin activation code is {code}. Enter it to activate this number, or reply \
         START {code}. It expires in 15 minutes."
    )
}

/// Phone numbers in E.164 (`+` and 8–15 digits), as the provider wants them.
pub(crate) fn check_e164(address: &str) -> Result<(), SendError> {
    let digits = address.strip_prefix('+').unwrap_or_default();
    let ok = (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(())
    } else {
        Err(SendError::Permanent(format!(
            "{address:?} is not a phone number in E.164 form (+ and 8-15 digits)"
        )))
    }
}
