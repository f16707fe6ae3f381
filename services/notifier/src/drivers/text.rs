//! What a page says on channels read by people: the accept link, truncation.

use tocsin_proto::messages::SendPageV1;

/// The page id: the last segment of its ARN (the delivery idempotency key).
pub(crate) fn page_id(page: &SendPageV1) -> &str {
    page.page_arn.rsplit('/').next().unwrap_or_default()
}

/// `<public url>/v1/pages/<page id>/accept?code=<accept code>`, when a public URL is set.
pub(crate) fn accept_link(public_url: Option<&str>, page: &SendPageV1) -> Option<String> {
    let base = public_url?;
    let mut url = reqwest::Url::parse(&format!("{base}/v1/pages/{}/accept", page_id(page))).ok()?;
    url.query_pairs_mut().append_pair("code", &page.accept_code);
    Some(url.into())
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
    fn links_encode_the_code_and_truncation_counts_characters() {
        let page = SendPageV1 {
            page_arn: "arn:aws:ssm-contacts:us-east-1:123456789012:page/alice/p-1".into(),
            engagement_arn: String::new(),
            incident_id: String::new(),
            incident_arn: String::new(),
            contact_arn: String::new(),
            contact_channel_arn: String::new(),
            channel_type: tocsin_proto::records::ChannelType::Email,
            address: String::new(),
            subject: String::new(),
            content: String::new(),
            accept_code: "12 34&5".into(),
        };
        assert_eq!(
            accept_link(Some("https://t.example"), &page).as_deref(),
            Some("https://t.example/v1/pages/p-1/accept?code=12+34%265")
        );
        assert_eq!(accept_link(None, &page), None);
        assert_eq!(truncate("héllo", 10), "héllo");
        assert_eq!(truncate("héllo wörld", 5), "héll…");
    }
}
