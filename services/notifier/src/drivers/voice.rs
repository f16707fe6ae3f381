//! `VOICE`: a phone call through the provider's Calls API ([`super::provider`]).
//!
//! The call's TwiML says the subject and the content, spells the accept code, and asks the
//! callee to press 1 to acknowledge (a `<Gather>` of one digit, posted to the acknowledge link
//! when `TOCSIN_PUBLIC_URL` is set).

use std::sync::Arc;

use tocsin_proto::messages::SendPageV1;

use super::provider::{ProviderClient, Resource};
use super::sms::check_e164;
use super::{SendError, text};

/// Longest text spoken; the provider takes TwiML of up to 4,000 characters.
const MAX_SPOKEN: usize = 1500;

/// Pages by phone call.
pub(crate) struct VoiceDriver {
    provider: Option<Arc<ProviderClient>>,
}

impl VoiceDriver {
    pub(crate) fn new(provider: Option<Arc<ProviderClient>>) -> Self {
        Self { provider }
    }

    pub(crate) fn describe(&self) -> String {
        match &self.provider {
            Some(p) => format!("provider {}", p.base()),
            None => "no voice provider configured".into(),
        }
    }

    pub(crate) async fn send(&self, page: &SendPageV1) -> Result<String, SendError> {
        let Some(provider) = &self.provider else {
            return Err(SendError::Permanent(
                "no voice provider configured (TOCSIN_SMS_PROVIDER_URL)".into(),
            ));
        };
        check_e164(&page.address)?;
        let twiml = twiml(page, text::accept_link(provider.public_url(), page));
        let created = provider
            .create(Resource::Calls, page, &[("Twiml", twiml.as_str())])
            .await?;
        Ok(format!(
            "call accepted by the provider: sid {}, status {}",
            created.sid, created.status
        ))
    }
}

/// The call's script.
pub(crate) fn twiml(page: &SendPageV1, action: Option<String>) -> String {
    let spoken = text::truncate(
        &format!("{}. {}", page.subject.trim(), page.content.trim()),
        MAX_SPOKEN,
    );
    // Digits one by one, so the code is spelled rather than read as a number.
    let code: Vec<String> = page.accept_code.chars().map(String::from).collect();
    let action = action
        .map(|a| format!(r#" action="{}" method="POST""#, xml_escape(&a)))
        .unwrap_or_default();
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<Response><Gather numDigits="1" timeout="10"{action}>"#,
            "<Say>This is Tocsin. {spoken} Your accept code is {code}. ",
            "Press 1 to acknowledge.</Say></Gather>",
            "<Say>No key was pressed. Goodbye.</Say></Response>"
        ),
        action = action,
        spoken = xml_escape(&spoken),
        code = xml_escape(&code.join(" ")),
    )
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0 text.
            c if c.is_control() && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twiml_escapes_and_asks_for_one_digit() {
        let page = SendPageV1 {
            page_arn: "arn:aws:ssm-contacts:us-east-1:123456789012:page/a/p-1".into(),
            engagement_arn: String::new(),
            incident_id: String::new(),
            incident_arn: String::new(),
            contact_arn: String::new(),
            contact_channel_arn: String::new(),
            channel_type: tocsin_proto::records::ChannelType::Voice,
            address: "+15550001111".into(),
            subject: "DB <down> & out".into(),
            content: "Primary \"db-1\" lost".into(),
            accept_code: "472".into(),
        };
        let t = twiml(
            &page,
            Some("https://t/v1/pages/p-1/accept?code=472&x=1".into()),
        );
        assert!(t.contains("DB &lt;down&gt; &amp; out"), "{t}");
        assert!(t.contains("&quot;db-1&quot;"), "{t}");
        assert!(t.contains("accept code is 4 7 2"), "{t}");
        assert!(t.contains("Press 1 to acknowledge"), "{t}");
        assert!(t.contains(r#"numDigits="1""#), "{t}");
        assert!(
            t.contains(r#"action="https://t/v1/pages/p-1/accept?code=472&amp;x=1""#),
            "{t}"
        );
    }
}
