//! `VOICE`: a phone call through the provider's Calls API ([`super::provider`]).
//!
//! The call's TwiML says the subject and the content, spells the accept code, and asks the
//! callee to press 1 to acknowledge (a `<Gather>` of one digit, posted to
//! `/v1/inbound/twilio/voice/<page id>` when `TOCSIN_PUBLIC_URL` is set). An activation call
//! says the code digit by digit, twice, and hangs up.

use std::sync::Arc;

use tocsin_proto::messages::{SendActivationCodeV1, SendPageV1};

use super::provider::{ProviderClient, Resource};
use super::sms::check_e164;
use super::{Message, SendError, text};

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

    pub(crate) async fn send(&self, m: Message<'_>) -> Result<String, SendError> {
        let Some(provider) = &self.provider else {
            return Err(SendError::Permanent(
                "no voice provider configured (TOCSIN_SMS_PROVIDER_URL)".into(),
            ));
        };
        check_e164(m.address())?;
        let twiml = match m {
            Message::Page(page) => twiml(
                page,
                provider
                    .links()
                    .voice_gather(text::page_id(page), &page.accept_code),
            ),
            Message::Activation(a) => activation_twiml(a),
        };
        let created = provider
            .create(Resource::Calls, m, &[("Twiml", twiml.as_str())])
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
        // Digits one by one, so the code is spelled rather than read as a number.
        code = xml_escape(&text::spelled(&page.accept_code)),
    )
}

/// The script of an activation call: the code, spelled, twice.
pub(crate) fn activation_twiml(a: &SendActivationCodeV1) -> String {
    let code = xml_escape(&text::spelled(&a.activation_code));
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            "<Response><Say>This is Tocsin. Your activation code is {code}. ",
            "Again, your activation code is {code}.</Say>",
            "<Say>Goodbye.</Say></Response>"
        ),
        code = code,
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

    #[test]
    fn an_activation_call_spells_the_code_twice_and_asks_for_nothing() {
        let a = SendActivationCodeV1 {
            contact_arn: String::new(),
            contact_channel_arn: String::new(),
            channel_type: tocsin_proto::records::ChannelType::Voice,
            address: "+15550001111".into(),
            activation_code: "305817".into(),
        };
        let t = activation_twiml(&a);
        assert_eq!(t.matches("3 0 5 8 1 7").count(), 2, "{t}");
        assert!(!t.contains("Gather") && !t.contains("Press"), "{t}");
    }
}
