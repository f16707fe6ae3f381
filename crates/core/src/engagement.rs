//! Small helpers around engagements and pages shared by the engine and the services.

use tocsin_proto::arn::Arn;
use tocsin_proto::messages::SendPageV1;
use tocsin_proto::records::Page;

/// The command that delivers `page` to `address` (self-contained: the notifier does no
/// lookups). `incident_record_id` is the store id of the page's incident, if any.
pub fn send_command(page: &Page, address: &str, incident_record_id: Option<&str>) -> SendPageV1 {
    SendPageV1 {
        page_arn: page.page_arn.clone(),
        engagement_arn: page.engagement_arn.clone(),
        incident_id: incident_record_id.unwrap_or_default().to_string(),
        incident_arn: page.incident_id.clone().unwrap_or_default(),
        contact_arn: page.contact_arn.clone(),
        contact_channel_arn: page.contact_channel_arn.clone(),
        channel_type: page.channel_type,
        address: address.to_string(),
        subject: page.subject.clone(),
        content: page.content.clone(),
        accept_code: page.accept_code.clone(),
    }
}

/// The alias of a contact ARN (its last segment), for store lookups.
pub fn contact_alias(contact_arn: &str) -> Option<String> {
    let arn = Arn::parse(contact_arn).ok()?;
    (arn.service == "ssm-contacts" && arn.resource_type() == "contact")
        .then(|| arn.last_segment().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_alias_reads_contact_arns_only() {
        let c = tocsin_proto::arn::contact("us-east-1", "123456789012", "alice");
        assert_eq!(contact_alias(&c).as_deref(), Some("alice"));
        assert_eq!(
            contact_alias(&tocsin_proto::arn::response_plan("123456789012", "x")),
            None
        );
    }
}
