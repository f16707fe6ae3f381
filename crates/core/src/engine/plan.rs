//! Running one stage of an engagement's plan, by contact type.

use chrono::Duration;
use serde_json::json;
use tocsin_proto::arn;
use tocsin_proto::records::{
    ActivationStatus, Contact, ContactChannel, ContactType, Engagement, EngagementEffect,
    EngagementStatus, EngagementTimer, Page, PageRetry, ParentLink, Stage, timeline_types,
};

use super::{
    Inputs, MAX_PAGE_ATTEMPTS, complete, engagement_id, new_engagement, round_part, schedule,
    timeline,
};
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
        let page_id = page_id(engagement, &id, k, cycle, &channel.contact_channel_arn, 0);
        if pages.iter().any(|(p, _)| p.page_arn.ends_with(&page_id)) {
            continue; // listed twice in one stage: paged once
        }
        let page = new_page(
            ctx,
            engagement,
            contact,
            channel,
            &page_id,
            inputs.accept_code,
        );
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
    let cause = stage_cause(engagement, k, cycle);
    let cause: Vec<&str> = cause.iter().map(String::as_str).collect();
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
    let cause = stage_cause(engagement, k, cycle);
    let cause: Vec<&str> = cause.iter().map(String::as_str).collect();
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
    let round = round_part(engagement);
    let cause: Vec<&str> = std::iter::once("on-call").chain(round.as_deref()).collect();
    effects.extend(timeline(
        ctx,
        engagement,
        &cause,
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
    let (stage_part, cycle_part) = (stage.to_string(), cycle.to_string());
    let round = round_part(parent);
    let mut parts = vec![parent_id, &stage_part, &cycle_part, contact_arn];
    parts.extend(round.as_deref());
    let id = derive(&parts);
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

/// Timeline cause of a stage run (with the round once the plan re-triggered).
fn stage_cause(engagement: &Engagement, k: u32, cycle: u32) -> Vec<String> {
    let mut cause = vec!["stage".to_owned(), k.to_string(), cycle.to_string()];
    cause.extend(round_part(engagement));
    cause
}

/// The id of the page of `attempt` to `channel` in stage `k` of `cycle` (attempt 0 is the
/// stage's own page, later ones its retries).
fn page_id(
    engagement: &Engagement,
    id: &str,
    k: u32,
    cycle: u32,
    channel: &str,
    attempt: u32,
) -> String {
    let (k, cycle, attempt) = (k.to_string(), cycle.to_string(), attempt.to_string());
    let round = round_part(engagement);
    let mut parts = vec![id, &k, &cycle, channel, &attempt];
    parts.extend(round.as_deref());
    derive(&parts)
}

fn new_page(
    ctx: &Ctx,
    engagement: &Engagement,
    contact: &Contact,
    channel: &ContactChannel,
    page_id: &str,
    accept_code: &mut dyn FnMut() -> String,
) -> Page {
    Page {
        page_arn: arn::page(&ctx.region, &ctx.account, &contact.alias, page_id),
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
        accept_code: accept_code(),
        receipts: Vec::new(),
    }
}

/// The stage whose pages may still be retried: the current one, or the last one run once the
/// plan ran out (a failed page of a final zero-minute stage still deserves its retries).
fn retry_stage<'c>(engagement: &Engagement, contact: &'c Contact) -> Option<(u32, &'c Stage)> {
    let state = &engagement.tocsin;
    if contact.contact_type != ContactType::Personal {
        return None;
    }
    let k = match state.status {
        EngagementStatus::Active => state.stage_index,
        EngagementStatus::Completed => state.stage_index.checked_sub(1)?,
        _ => return None,
    };
    Some((k, contact.plan.stages.get(k as usize)?))
}

/// A page's send failed: schedule its retry if its target asks for one and attempts remain.
pub(super) fn page_failed(
    ctx: &Ctx,
    engagement: &mut Engagement,
    page_arn: &str,
    channel_arn: &str,
    inputs: Inputs<'_>,
) {
    let Some(contact) = inputs.contact else {
        return;
    };
    let Some((k, stage)) = retry_stage(engagement, contact) else {
        return;
    };
    let cycle = engagement.tocsin.cycle;
    let Some(interval) = stage
        .targets
        .iter()
        .filter_map(|t| t.channel_target_info.as_ref())
        .filter(|t| t.contact_channel_id == channel_arn)
        .filter_map(|t| t.retry_interval_in_minutes)
        .find(|m| *m > 0)
    else {
        return;
    };
    let id = engagement_id(engagement).to_string();
    let failed = page_arn.rsplit('/').next().unwrap_or_default();
    // Which attempt failed (a page of an earlier stage or round matches none: no retry).
    let Some(attempt) = (0..MAX_PAGE_ATTEMPTS)
        .find(|a| page_id(engagement, &id, k, cycle, channel_arn, *a) == failed)
    else {
        return;
    };
    let next = attempt + 1;
    let data = json!({
        "engagementArn": engagement.engagement_arn,
        "pageArn": page_arn,
        "contactChannelArn": channel_arn,
        "retryIntervalInMinutes": interval,
        "attempt": next + 1,
        "maxAttempts": MAX_PAGE_ATTEMPTS,
        "willRetry": next < MAX_PAGE_ATTEMPTS,
    });
    let cause = ["retry", failed];
    let ev = timeline(
        ctx,
        engagement,
        &cause,
        timeline_types::PAGE_RETRY_SCHEDULED,
        data,
    );
    engagement.tocsin.outbox.extend(ev);
    if next >= MAX_PAGE_ATTEMPTS {
        return;
    }
    let mut timer = schedule(ctx, engagement, k, cycle, minutes(interval));
    if let EngagementEffect::Schedule { timer, .. } = &mut timer {
        timer.retry = Some(PageRetry {
            contact_channel_arn: channel_arn.to_owned(),
            attempt: next,
        });
    }
    engagement.tocsin.outbox.push(timer);
}

/// A retry timer fired: send the page again if its stage is still the one being retried.
pub(super) fn retry_page(
    ctx: &Ctx,
    engagement: &mut Engagement,
    timer: &EngagementTimer,
    inputs: Inputs<'_>,
) {
    let Some(retry) = &timer.retry else { return };
    let Some(contact) = inputs.contact else {
        return;
    };
    let state = &engagement.tocsin;
    let current = retry_stage(engagement, contact).map(|(k, _)| k);
    if timer.epoch != state.epoch
        || timer.cycle != state.cycle
        || current != Some(timer.stage_index)
    {
        return; // acknowledged, stopped, re-triggered or moved on since
    }
    let Some(channel) = inputs
        .channels
        .iter()
        .find(|c| c.contact_channel_arn == retry.contact_channel_arn)
        .filter(|c| c.activation_status == ActivationStatus::Activated)
    else {
        return;
    };
    let id = engagement_id(engagement).to_string();
    let (k, cycle) = (timer.stage_index, timer.cycle);
    let page_id = page_id(
        engagement,
        &id,
        k,
        cycle,
        &channel.contact_channel_arn,
        retry.attempt,
    );
    let page = new_page(
        ctx,
        engagement,
        contact,
        channel,
        &page_id,
        inputs.accept_code,
    );
    let data = json!({
        "contactArn": engagement.contact_arn,
        "engagementArn": engagement.engagement_arn,
        "stage": k + 1,
        "cycle": cycle + 1,
        "pages": [page.page_arn],
        "attempt": retry.attempt + 1,
    });
    let cause = ["retry-sent", page_id.as_str()];
    let ev = timeline(
        ctx,
        engagement,
        &cause,
        timeline_types::CONTACT_ENGAGED,
        data,
    );
    let address = channel.delivery_address.simple_address.clone();
    let out = &mut engagement.tocsin.outbox;
    out.push(EngagementEffect::SendPage { page, address });
    out.extend(ev);
}
