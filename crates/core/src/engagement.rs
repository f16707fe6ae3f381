//! Engaging a contact for an incident: which channels are paged, and what is recorded.
//!
//! This version engages the first stage of a personal contact's engagement plan. Later stages,
//! escalation plans and on-call schedules are timers and rotations (the engagement issue); they
//! plug in here by returning more pages and timer effects. Whatever cannot be engaged is said
//! on the timeline: a page is never dropped silently.

use serde_json::json;
use tocsin_proto::arn::{self, Arn};
use tocsin_proto::messages::SendPageV1;
use tocsin_proto::records::{
    ActivationStatus, Contact, ContactChannel, ContactType, Engagement, IncidentRecord, Page,
    TimelineEvent, timeline_types,
};

use crate::Ctx;
use crate::ids::derive;
use crate::timeline::event;

/// What engaging one contact produces.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Engaged {
    /// The engagement record (none if the contact could not be engaged at all).
    pub engagement: Option<Engagement>,
    /// One page per engaged channel.
    pub pages: Vec<Page>,
    /// The send commands, one per page.
    pub commands: Vec<SendPageV1>,
    /// Timeline events: "Contact Engaged" or "Engagement Failed".
    pub timeline: Vec<TimelineEvent>,
}

/// Engages `contact_arn` for `incident`. `contact` is the stored contact (None if missing),
/// `channels` its stored channels; `accept_code` draws a fresh 6-digit code per page.
pub fn engage(
    ctx: &Ctx,
    incident: &IncidentRecord,
    incident_id: &str,
    contact_arn: &str,
    contact: Option<&Contact>,
    channels: &[ContactChannel],
    accept_code: &mut dyn FnMut() -> String,
) -> Engaged {
    let failed = |reason: String| Engaged {
        timeline: vec![event(
            &incident.arn,
            &[incident_id, contact_arn, "engagement-failed"],
            ctx.now,
            timeline_types::ENGAGEMENT_FAILED,
            json!({ "contactArn": contact_arn, "reason": reason }),
            &[contact_arn],
        )],
        ..Engaged::default()
    };
    let Some(contact) = contact else {
        return failed(format!("contact {contact_arn} does not exist"));
    };
    if contact.contact_type != ContactType::Personal {
        return failed(format!(
            "contact type {:?} is not engaged by this version (escalation plans and on-call schedules come with the engagement service)",
            contact.contact_type
        ));
    }
    let engagement_id = derive(&[incident_id, contact_arn, "engagement"]);
    let engagement_arn = arn::engagement(&ctx.region, &ctx.account, &contact.alias, &engagement_id);
    let subject = format!("[Impact {}] {}", incident.impact, incident.title);
    let content = match &incident.summary {
        Some(s) => format!("{}\n{}\nIncident: {}", incident.title, s, incident.arn),
        None => format!("{}\nIncident: {}", incident.title, incident.arn),
    };
    let engagement = Engagement {
        engagement_arn: engagement_arn.clone(),
        contact_arn: contact_arn.to_string(),
        sender: incident.response_plan_arn.clone(),
        subject: subject.clone(),
        content: content.clone(),
        incident_id: Some(incident.arn.clone()),
        start_time: ctx.now,
        stop_time: None,
    };

    let mut pages = Vec::new();
    let mut skipped = Vec::new();
    let targets = contact
        .plan
        .stages
        .first()
        .map(|s| s.targets.as_slice())
        .unwrap_or_default();
    for target in targets
        .iter()
        .filter_map(|t| t.channel_target_info.as_ref())
    {
        let Some(channel) = channels
            .iter()
            .find(|c| c.contact_channel_arn == target.contact_channel_id)
        else {
            skipped.push(
                json!({ "channel": target.contact_channel_id, "reason": "channel does not exist" }),
            );
            continue;
        };
        if channel.activation_status != ActivationStatus::Activated {
            skipped.push(json!({ "channel": channel.contact_channel_arn, "reason": "channel is not activated" }));
            continue;
        }
        // Stage 0, attempt 0: later stages and retries get their own ids.
        let page_id = derive(&[&engagement_id, "0", &channel.contact_channel_arn, "0"]);
        if pages.iter().any(|p: &Page| p.page_arn.ends_with(&page_id)) {
            continue; // the same channel listed twice in one stage is paged once
        }
        pages.push(Page {
            page_arn: arn::page(&ctx.region, &ctx.account, &contact.alias, &page_id),
            engagement_arn: engagement_arn.clone(),
            contact_arn: contact_arn.to_string(),
            contact_channel_arn: channel.contact_channel_arn.clone(),
            channel_type: channel.channel_type,
            sender: engagement.sender.clone(),
            subject: subject.clone(),
            content: content.clone(),
            incident_id: Some(incident.arn.clone()),
            sent_time: ctx.now,
            delivery_time: None,
            read_time: None,
            accept_code: accept_code(),
            receipts: Vec::new(),
        });
    }
    if pages.is_empty() {
        let mut out = failed(format!(
            "no activated channel in the first stage of {contact_arn}"
        ));
        out.timeline[0].event_data = json!({ "contactArn": contact_arn, "reason": "no activated channel in the first stage", "skipped": skipped }).to_string();
        return out;
    }
    let commands = pages
        .iter()
        .map(|p| send_command(incident, incident_id, p, channels))
        .collect();
    let page_arns: Vec<&str> = pages.iter().map(|p| p.page_arn.as_str()).collect();
    let mut refs = vec![contact_arn, engagement_arn.as_str()];
    refs.extend(&page_arns);
    let timeline = vec![event(
        &incident.arn,
        &[&engagement_id, "engaged"],
        ctx.now,
        timeline_types::CONTACT_ENGAGED,
        json!({ "contactArn": contact_arn, "engagementArn": engagement_arn, "pages": page_arns, "skipped": skipped }),
        &refs,
    )];
    Engaged {
        engagement: Some(engagement),
        pages,
        commands,
        timeline,
    }
}

/// The command that delivers `page` (self-contained: the notifier does no lookups).
pub fn send_command(
    incident: &IncidentRecord,
    incident_id: &str,
    page: &Page,
    channels: &[ContactChannel],
) -> SendPageV1 {
    let address = channels
        .iter()
        .find(|c| c.contact_channel_arn == page.contact_channel_arn)
        .map(|c| c.delivery_address.simple_address.clone())
        .unwrap_or_default();
    SendPageV1 {
        page_arn: page.page_arn.clone(),
        engagement_arn: page.engagement_arn.clone(),
        incident_id: incident_id.to_string(),
        incident_arn: incident.arn.clone(),
        contact_arn: page.contact_arn.clone(),
        contact_channel_arn: page.contact_channel_arn.clone(),
        channel_type: page.channel_type,
        address,
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
mod tests;
