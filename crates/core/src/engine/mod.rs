//! The engagement engine: one pure state machine per engagement.
//!
//! An engagement engages one contact. What that means depends on the contact's type:
//!
//! - **PERSONAL**: its engagement plan's stages page its channels, one stage after the other
//!   (stage `k + 1` starts `DurationInMinutes` of stage `k` after it), until one of its pages
//!   is accepted as READ.
//! - **ESCALATION**: each stage starts a nested engagement per target (a contact or an on-call
//!   schedule); stages advance by their duration until an `IsEssential` target acknowledges.
//!   After the last stage the plan repeats `repeat` times (a Tocsin extension, 0 by default),
//!   then ends, which the timeline records.
//! - **ONCALL_SCHEDULE**: starts a nested engagement for whoever is on call at that instant in
//!   each rotation; nobody on call (a coverage gap) is recorded on the timeline and the parent
//!   plan continues.
//!
//! An acknowledgement travels up: a personal engagement tells its parent, which stops (and
//! stops its other nested engagements) if that child is essential to it.
//!
//! A page whose send failed is sent again after its target's `RetryIntervalInMinutes`, while
//! its stage is the current (or, once the plan ran out, the last) one, up to
//! [`MAX_PAGE_ATTEMPTS`] pages per channel and stage. A contact's `AckTimeoutInMinutes`
//! (Tocsin extension) re-triggers an acknowledged plan from stage 1 if it is still running
//! that long after the acknowledgement (its incident not resolved); each re-triggered run is a
//! new `round`, part of every id it derives.
//!
//! [`step`] applies one [`Command`] to an engagement and appends the resulting effects to its
//! outbox. The service writes state and outbox atomically (compare-and-set on the record's
//! version), then carries the effects out idempotently and clears the outbox; every id an
//! effect creates is derived, so carrying an effect out twice changes nothing. Timers carry the
//! engagement's epoch; every transition that makes pending timers meaningless bumps it.

mod plan;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use tocsin_proto::records::{
    Contact, ContactChannel, ContactType, Engagement, EngagementEffect, EngagementStatus,
    EngagementTimer, timeline_types,
};

use crate::Ctx;
use crate::ids::derive;
use crate::timeline::event;

/// Something that happened to an engagement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Begin (a PENDING engagement); ignored once started.
    Start,
    /// A stage timer fired.
    Timer(EngagementTimer),
    /// A page of this (personal) engagement was accepted as READ by `contact_arn`.
    Acknowledged {
        /// Who.
        contact_arn: String,
        /// The accepted page.
        page_arn: String,
    },
    /// A nested engagement was acknowledged.
    ChildAcknowledged {
        /// The nested engagement.
        child_arn: String,
        /// Who acknowledged it.
        acknowledged_by: String,
        /// Whether its acknowledgement stops this plan.
        is_essential: bool,
    },
    /// Stop now (`StopEngagement`, or the parent was acknowledged).
    Stop {
        /// Why.
        reason: String,
    },
    /// The send of a page of this (personal) engagement failed.
    PageFailed {
        /// The page.
        page_arn: String,
        /// Its channel.
        contact_channel_arn: String,
    },
}

/// Most pages sent to one channel in one stage: the first and its retries.
pub const MAX_PAGE_ATTEMPTS: u32 = 5;

/// What the engine may consult (loaded by the shell before the step).
pub struct Inputs<'a> {
    /// The engaged contact (None: it does not exist).
    pub contact: Option<&'a Contact>,
    /// Its channels (personal contacts).
    pub channels: &'a [ContactChannel],
    /// For on-call schedules: the contacts on call at an instant.
    pub on_call: &'a dyn Fn(DateTime<Utc>) -> Vec<String>,
    /// Draws a fresh 6-digit accept code.
    pub accept_code: &'a mut dyn FnMut() -> String,
}

/// The key of a timer in the timer set: one stage (or acknowledgement-timeout) timer per
/// engagement, replaced by the next one, plus one retry timer per channel.
pub fn timer_key(timer: &EngagementTimer) -> String {
    match &timer.retry {
        Some(r) => format!(
            "{}:{}:retry:{}",
            timer.account,
            timer.engagement_id,
            r.contact_channel_arn.rsplit('/').next().unwrap_or_default()
        ),
        None => format!("{}:{}", timer.account, timer.engagement_id),
    }
}

/// The store id of an engagement (the last segment of its ARN).
pub fn engagement_id(e: &Engagement) -> &str {
    e.engagement_arn.rsplit('/').next().unwrap_or_default()
}

/// Applies `command` to `engagement` at `ctx.now`, appending effects to its outbox.
pub fn step(ctx: &Ctx, engagement: &mut Engagement, command: Command, inputs: Inputs<'_>) {
    let state = &engagement.tocsin;
    let finished = matches!(
        state.status,
        EngagementStatus::Acknowledged | EngagementStatus::Stopped
    );
    match command {
        Command::Start if state.status == EngagementStatus::Pending => {
            start(ctx, engagement, inputs)
        }
        Command::Start => {}
        Command::Timer(t) if t.ack_timeout => {
            if state.status == EngagementStatus::Acknowledged && t.epoch == state.epoch {
                retrigger(ctx, engagement, inputs);
            }
        }
        Command::Timer(t) if t.retry.is_some() => plan::retry_page(ctx, engagement, &t, inputs),
        Command::PageFailed {
            page_arn,
            contact_channel_arn,
        } => plan::page_failed(ctx, engagement, &page_arn, &contact_channel_arn, inputs),
        Command::Timer(t) => {
            // Only the timer of the next stage, scheduled in the current epoch, moves the plan:
            // a replayed or superseded timer is dropped.
            let next = t.cycle == state.cycle && t.stage_index == state.stage_index + 1;
            if !finished
                && state.status == EngagementStatus::Active
                && t.epoch == state.epoch
                && next
            {
                engagement.tocsin.stage_index = t.stage_index;
                engagement.tocsin.cycle = t.cycle;
                plan::run_stage(ctx, engagement, inputs);
            }
        }
        Command::Acknowledged {
            contact_arn,
            page_arn,
        } => {
            if !finished {
                acknowledge(ctx, engagement, &contact_arn, &[&page_arn], None);
            }
        }
        Command::ChildAcknowledged {
            child_arn,
            acknowledged_by,
            is_essential,
        } => {
            if finished {
                return;
            }
            if is_essential || engagement.tocsin.contact_type == Some(ContactType::OncallSchedule) {
                acknowledge(
                    ctx,
                    engagement,
                    &acknowledged_by,
                    &[&child_arn],
                    Some(&child_arn),
                );
            } else {
                let ev = timeline(
                    ctx,
                    engagement,
                    &["ack-non-essential", &child_arn],
                    timeline_types::ACKNOWLEDGED,
                    json!({ "engagementArn": engagement.engagement_arn, "acknowledgedBy": acknowledged_by, "isEssential": false, "planContinues": true }),
                );
                engagement.tocsin.outbox.extend(ev);
            }
        }
        Command::Stop { reason } => {
            if !finished {
                stop(ctx, engagement, &reason);
            } else if state.status == EngagementStatus::Acknowledged
                && engagement.stop_time.is_none()
            {
                // It stays acknowledged, but ends: a pending acknowledgement timeout is void.
                engagement.tocsin.epoch += 1;
                engagement.stop_time = Some(ctx.now);
            }
        }
    }
}

fn start(ctx: &Ctx, engagement: &mut Engagement, inputs: Inputs<'_>) {
    let Some(contact) = inputs.contact else {
        let data =
            json!({ "contactArn": engagement.contact_arn, "reason": "the contact does not exist" });
        return complete(
            ctx,
            engagement,
            "failed",
            timeline_types::ENGAGEMENT_FAILED,
            data,
        );
    };
    let state = &mut engagement.tocsin;
    state.status = EngagementStatus::Active;
    state.contact_type = Some(contact.contact_type);
    state.stage_index = 0;
    state.cycle = 0;
    state.repeat = contact.tocsin.repeat.min(MAX_REPEAT);
    state.ack_timeout_in_minutes = contact.tocsin.ack_timeout_in_minutes;
    plan::run_stage(ctx, engagement, inputs);
}

/// Most repeats of a plan (the validation bound; older records are clamped).
const MAX_REPEAT: u32 = 9;

/// The acknowledgement timed out while the engagement still runs: the plan starts over from
/// stage 1 as a new round, and the timeline says who had acknowledged.
fn retrigger(ctx: &Ctx, engagement: &mut Engagement, inputs: Inputs<'_>) {
    let state = &mut engagement.tocsin;
    let previous = state.acknowledged_by.take();
    state.acknowledged_at = None;
    state.status = EngagementStatus::Active;
    state.round += 1;
    state.epoch += 1;
    state.stage_index = 0;
    state.cycle = 0;
    state.children.clear();
    let round = state.round;
    let data = json!({
        "engagementArn": engagement.engagement_arn,
        "contactArn": engagement.contact_arn,
        "acknowledgedBy": previous,
        "ackTimeoutInMinutes": state.ack_timeout_in_minutes,
        "round": round + 1,
    });
    let cause = ["ack-timeout", &round.to_string()];
    let ev = timeline(ctx, engagement, &cause, timeline_types::ACK_TIMED_OUT, data);
    engagement.tocsin.outbox.extend(ev);
    plan::run_stage(ctx, engagement, inputs);
}

fn acknowledge(
    ctx: &Ctx,
    engagement: &mut Engagement,
    by: &str,
    refs: &[&str],
    keep_child: Option<&str>,
) {
    let state = &mut engagement.tocsin;
    state.status = EngagementStatus::Acknowledged;
    state.epoch += 1;
    state.acknowledged_by = Some(by.to_string());
    state.acknowledged_at = Some(ctx.now);
    let mut effects: Vec<EngagementEffect> = state
        .children
        .iter()
        .filter(|c| Some(c.as_str()) != keep_child)
        .map(|c| EngagementEffect::StopChild {
            engagement_arn: c.clone(),
            reason: format!("acknowledged by {by}"),
        })
        .collect();
    if let Some(parent) = &state.parent {
        effects.push(EngagementEffect::NotifyParent {
            engagement_arn: parent.engagement_arn.clone(),
            child_arn: engagement.engagement_arn.clone(),
            acknowledged_by: by.to_string(),
            is_essential: parent.is_essential,
        });
    }
    // Time to acknowledge, from the start of this engagement: the root engagement's figure is
    // the incident's TimeToFirstAcknowledgement.
    let seconds = (ctx.now - engagement.start_time).num_milliseconds() as f64 / 1000.0;
    let data = json!({
        "engagementArn": engagement.engagement_arn,
        "contactArn": engagement.contact_arn,
        "acknowledgedBy": by,
        "references": refs,
        "secondsToAcknowledge": seconds,
    });
    let round = engagement.tocsin.round.to_string();
    let cause: &[&str] = if engagement.tocsin.round == 0 {
        &["acknowledged"]
    } else {
        &["acknowledged", &round]
    };
    effects.extend(timeline(
        ctx,
        engagement,
        cause,
        timeline_types::ACKNOWLEDGED,
        data,
    ));
    if let Some(m) = engagement.tocsin.ack_timeout_in_minutes {
        let mut timer = schedule(ctx, engagement, 0, 0, Duration::minutes(i64::from(m)));
        if let EngagementEffect::Schedule { timer, .. } = &mut timer {
            timer.ack_timeout = true;
        }
        effects.push(timer);
    }
    engagement.tocsin.outbox.extend(effects);
}

fn stop(ctx: &Ctx, engagement: &mut Engagement, reason: &str) {
    let state = &mut engagement.tocsin;
    state.status = EngagementStatus::Stopped;
    state.epoch += 1;
    engagement.stop_time = Some(ctx.now);
    let mut effects: Vec<EngagementEffect> = state
        .children
        .iter()
        .map(|c| EngagementEffect::StopChild {
            engagement_arn: c.clone(),
            reason: reason.to_string(),
        })
        .collect();
    let data = json!({ "engagementArn": engagement.engagement_arn, "contactArn": engagement.contact_arn, "reason": reason });
    effects.extend(timeline(
        ctx,
        engagement,
        &["stopped"],
        timeline_types::ENGAGEMENT_STOPPED,
        data,
    ));
    engagement.tocsin.outbox.extend(effects);
}

/// Ends the plan (no more stages; still acknowledgeable) and says why on the timeline.
fn complete(
    ctx: &Ctx,
    engagement: &mut Engagement,
    cause: &str,
    event_type: &str,
    data: serde_json::Value,
) {
    engagement.tocsin.status = EngagementStatus::Completed;
    let ev = timeline(ctx, engagement, &[cause], event_type, data);
    engagement.tocsin.outbox.extend(ev);
}

/// A timeline effect on the engagement's incident (none for engagements without one).
fn timeline(
    ctx: &Ctx,
    engagement: &Engagement,
    cause: &[&str],
    event_type: &str,
    data: serde_json::Value,
) -> Option<EngagementEffect> {
    let incident_id = engagement.tocsin.incident_record_id.clone()?;
    let mut parts = vec![engagement_id(engagement)];
    parts.extend_from_slice(cause);
    let incident_arn = engagement.incident_id.clone().unwrap_or_default();
    let ev = event(
        &incident_arn,
        &parts,
        ctx.now,
        event_type,
        data,
        &[&engagement.engagement_arn, &engagement.contact_arn],
    );
    Some(EngagementEffect::Timeline {
        incident_id,
        event: ev,
    })
}

/// The timer that starts `stage` of `cycle` after `after`.
fn schedule(
    ctx: &Ctx,
    engagement: &Engagement,
    stage: u32,
    cycle: u32,
    after: Duration,
) -> EngagementEffect {
    EngagementEffect::Schedule {
        due: ctx.now + after,
        timer: EngagementTimer {
            account: ctx.account.clone(),
            engagement_id: engagement_id(engagement).to_string(),
            stage_index: stage,
            cycle,
            epoch: engagement.tocsin.epoch,
            retry: None,
            ack_timeout: false,
        },
    }
}

/// Id parts that keep a re-triggered round's ids apart from the first run's (none in round 0,
/// so ids of plans that never re-trigger are what they always were).
fn round_part(engagement: &Engagement) -> Option<String> {
    let round = engagement.tocsin.round;
    (round > 0).then(|| format!("round-{round}"))
}

/// A PENDING engagement of `contact_arn` for an incident, as a root (no parent).
pub fn root(
    ctx: &Ctx,
    incident_record_id: &str,
    incident_arn: &str,
    sender: &str,
    subject: &str,
    content: &str,
    contact_arn: &str,
) -> Engagement {
    let id = derive(&[incident_record_id, contact_arn, "engagement"]);
    new_engagement(
        ctx,
        &id,
        contact_arn,
        sender,
        subject,
        content,
        Some(incident_arn),
        Some(incident_record_id),
    )
}

/// A PENDING engagement record.
#[allow(clippy::too_many_arguments)]
pub fn new_engagement(
    ctx: &Ctx,
    id: &str,
    contact_arn: &str,
    sender: &str,
    subject: &str,
    content: &str,
    incident_arn: Option<&str>,
    incident_record_id: Option<&str>,
) -> Engagement {
    let alias = contact_arn.rsplit('/').next().unwrap_or_default();
    Engagement {
        engagement_arn: tocsin_proto::arn::engagement(&ctx.region, &ctx.account, alias, id),
        contact_arn: contact_arn.to_string(),
        sender: sender.to_string(),
        subject: subject.to_string(),
        content: content.to_string(),
        incident_id: incident_arn.map(str::to_string),
        start_time: ctx.now,
        stop_time: None,
        public_subject: None,
        public_content: None,
        tocsin: tocsin_proto::records::EngagementState {
            incident_record_id: incident_record_id.map(str::to_string),
            ..Default::default()
        },
    }
}
