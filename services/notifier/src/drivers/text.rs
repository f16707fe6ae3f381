//! What a page says on channels read by people: the accept link, truncation.

use tocsin_core::ids::derive;
use tocsin_proto::messages::{SendActivationCodeV1, SendPageV1};

use crate::links::Links;

/// The page id: the last segment of its ARN (the delivery idempotency key).
pub(crate) fn page_id(page: &SendPageV1) -> &str {
    page.page_arn.rsplit('/').next().unwrap_or_default()
}

/// The idempotency key of an activation code: derived from (channel, code), so a redelivered
/// command is the same message at the peer and a new code is a new one.
pub(crate) fn activation_id(a: &SendActivationCodeV1) -> String {
    derive(&["activation", &a.contact_channel_arn, &a.activation_code])
}

/// The code spelled digit by digit, so a voice reads `4 7 2` rather than a number.
pub(crate) fn spelled(code: &str) -> String {
    code.chars().map(String::from).collect::<Vec<_>>().join(" ")
}

/// The page's one-click acknowledge link ([`crate::links`]), when a public URL is set.
pub(crate) fn accept_link(links: &Links, page: &SendPageV1) -> Option<String> {
    links.ack(page_id(page), &page.accept_code)
}

/// At most `max` characters of `s`, ending in `…` when cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_counts_characters() {
        assert_eq!(truncate("héllo", 10), "héllo");
        assert_eq!(truncate("héllo wörld", 5), "héll…");
    }
}
