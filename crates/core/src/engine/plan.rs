//! Running one stage of an engagement's plan, by contact type.

use chrono::Duration;
use serde_json::json;
use tocsin_proto::arn;
use tocsin_proto::records::{
    ActivationStatus, Contact, ContactType, Engagement, EngagementEffect, Page, ParentLink,
    timeline_types,
};

use super::{Inputs, complete, engagement_id, new_engagement, schedule, timeline};
use crate::Ctx;
use crate::ids::derive;

/// Runs the current stage (`stage_index` of `cycle`), or ends or repeats the plan past its end.
pub(super) fn run_stage(ctx: &Ctx, engagement: &mut Engagement, inputs: Inputs<'_>) {
    let Some(contact) = inputs.contact else {
        let data = json!({ "contactArn": engagement.contact_arn, "reason": "the contact no longer exists" });
        return complete(
            ctx,
            engagement,
            "vanished",
            timeline_types::ENGAGEMENT_FAILED,
            data,
        );
    };
    match contact.contact_type {
        ContactType::OncallSchedule => on_call(ctx, engagement, &inputs),
        ContactType::Personal | ContactType::Escalation => {
            let stages = contact.plan.stages.len() as u32;
            let state = &mut engagement.tocsin;
            if state.stage_index >= stages {
                if state.cycle < state.repeat && stages > 0 {
                    state.cycle += 1;
                    state.stage_index = 0;
                } else {
                    return end_of_plan(ctx, engagement, stages);
                }
            }
            if contact.contact_type == ContactType::Personal {
                personal(ctx, engagement, contact, inputs);
            } else {
                escalation(ctx, engagement, contact);
            }
        }
    }
}

fn end_of_plan(ctx: &Ctx, engagement: &mut Engagement, stages: u32) {
    let data = json!({
        "engagementArn": engagement.engagement_arn,
        "contactArn": engagement.contact_arn,
        "reason": if stages == 0 { "the contact has no plan stages" } else { "no acknowledgement after the last stage" },
        "cycles": engagement.tocsin.cycle + 1,
    });
    complete(
        ctx,
        engagement,
        "ended",
        timeline_types::ENGAGEMENT_ENDED,
        data,
    );
}

fn personal(ctx: &Ctx, engagement: &mut Engagement, contact: &Contact, inputs: Inputs<'_>) {
    let (k, cycle) = (engagement.tocsin.stage_index, engagement.tocsin.cycle);
    let stage = &contact.plan.stages[k as usize];
    let id = engagement_id(engagement).to_string();
    let mut pages: Vec<(Page, String)> = Vec::new();
    let mut skipped = Vec::new();
    for target in stage
        .targets
        .iter()
        .filter_map(|t| t.channel_target_info.as_ref())
    {
        let Some(channel) = inputs
            .channels
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
        let page_id = derive(&[
            &id,
            &k.to_string(),
            &cycle.to_string(),
            &channel.contact_channel_arn,
            "0",
        ]);
        if pages.iter().any(|(p, _)| p.page_arn.ends_with(&page_id)) {
            continue; // listed twice in one stage: paged once
        }
        let page = Page {
            page_arn: arn::page(&ctx.region, &ctx.account, &contact.alias, &page_id),
            engagement_arn: engagement.engagement_arn.clone(),
            contact_arn: engagement.contact_arn.clone(),
            contact_channel_arn: channel.contact_channel_arn.clone(),
            channel_type: channel.channel_type,
            sender: engagement.sender.clone(),
            subject: engagement.subject.clone(),
            content: engagement.content.clone(),
            incident_id: engagement.incident_id.clone(),
            sent_time: ctx.now,
            delivery_time: None,
            read_time: None,
            accept_code: (inputs.accept_code)(),
            receipts: Vec::new(),
        };
        pages.push((page, channel.delivery_address.simple_address.clone()));
    }
    let page_arns: Vec<&str> = pages.iter().map(|(p, _)| p.page_arn.as_str()).collect();
    let data = json!({
        "contactArn": engagement.contact_arn,
        "engagementArn": engagement.engagement_arn,
        "stage": k + 1,
        "cycle": cycle + 1,
        "pages": page_arns,
        "skipped": skipped,
    });
    let cause = ["stage", &k.to_string(), &cycle.to_string()];
    let event_type = if pages.is_empty() {
        timeline_types::ENGAGEMENT_FAILED
    } else {
        timeline_types::CONTACT_ENGAGED
    };
    let ev = timeline(ctx, engagement, &cause, event_type, data);
    let next = schedule(
        ctx,
        engagement,
        k + 1,
        cycle,
        minutes(stage.duration_in_minutes),
    );
    let out = &mut engagement.tocsin.outbox;
    out.extend(
        pages
            .into_iter()
            .map(|(page, address)| EngagementEffect::SendPage { page, address }),
    );
    out.extend(ev);
    out.push(next);
}

fn escalation(ctx: &Ctx, engagement: &mut Engagement, contact: &Contact) {
    let (k, cycle) = (engagement.tocsin.stage_index, engagement.tocsin.cycle);
    let stage = &contact.plan.stages[k as usize];
    let id = engagement_id(engagement).to_string();
    let mut targets = Vec::new();
    let mut effects = Vec::new();
    for t in stage
        .targets
        .iter()
        .filter_map(|t| t.contact_target_info.as_ref())
    {
        let Some(target) = &t.contact_id else {
            continue;
        };
        let child = child(ctx, engagement, &id, k, cycle, target, t.is_essential);
        targets.push(json!({ "contactArn": target, "isEssential": t.is_essential, "engagementArn": child.engagement_arn }));
        engagement
            .tocsin
            .children
            .push(child.engagement_arn.clone());
        effects.push(EngagementEffect::StartChild {
            engagement: Box::new(child),
        });
    }
    let data = json!({
        "engagementArn": engagement.engagement_arn,
        "contactArn": engagement.contact_arn,
        "stage": k + 1,
        "stages": contact.plan.stages.len(),
        "cycle": cycle + 1,
        "targets": targets,
    });
    let cause = ["stage", &k.to_string(), &cycle.to_string()];
    effects.extend(timeline(
        ctx,
        engagement,
        &cause,
        timeline_types::ESCALATION_STAGE,
        data,
    ));
    effects.push(schedule(
        ctx,
        engagement,
        k + 1,
        cycle,
        minutes(stage.duration_in_minutes),
    ));
    engagement.tocsin.outbox.extend(effects);
}

fn on_call(ctx: &Ctx, engagement: &mut Engagement, inputs: &Inputs<'_>) {
    let contacts = (inputs.on_call)(ctx.now);
    if contacts.is_empty() {
        let data = json!({ "scheduleArn": engagement.contact_arn, "at": ctx.now, "reason": "nobody is on call; the plan continues" });
        return complete(ctx, engagement, "gap", timeline_types::COVERAGE_GAP, data);
    }
    let id = engagement_id(engagement).to_string();
    let mut effects = Vec::new();
    for c in &contacts {
        // Whoever is on call speaks for the schedule: their acknowledgement is the schedule's.
        let child = child(ctx, engagement, &id, 0, 0, c, true);
        engagement
            .tocsin
            .children
            .push(child.engagement_arn.clone());
        effects.push(EngagementEffect::StartChild {
            engagement: Box::new(child),
        });
    }
    let data = json!({ "scheduleArn": engagement.contact_arn, "engagementArn": engagement.engagement_arn, "onCall": contacts });
    effects.extend(timeline(
        ctx,
        engagement,
        &["on-call"],
        timeline_types::CONTACT_ENGAGED,
        data,
    ));
    engagement.tocsin.outbox.extend(effects);
}

#[allow(clippy::too_many_arguments)]
fn child(
    ctx: &Ctx,
    parent: &Engagement,
    parent_id: &str,
    stage: u32,
    cycle: u32,
    contact_arn: &str,
    essential: bool,
) -> Engagement {
    let id = derive(&[
        parent_id,
        &stage.to_string(),
        &cycle.to_string(),
        contact_arn,
    ]);
    let mut e = new_engagement(
        ctx,
        &id,
        contact_arn,
        &parent.sender,
        &parent.subject,
        &parent.content,
        parent.incident_id.as_deref(),
        parent.tocsin.incident_record_id.as_deref(),
    );
    e.public_subject.clone_from(&parent.public_subject);
    e.public_content.clone_from(&parent.public_content);
    e.tocsin.parent = Some(ParentLink {
        engagement_arn: parent.engagement_arn.clone(),
        stage_index: stage,
        is_essential: essential,
    });
    e
}

fn minutes(m: u32) -> Duration {
    Duration::minutes(i64::from(m))
}
