//! Stages shared by both plan kinds, and the engagement plan of a personal contact.
//!
//! A personal contact's `Plan.Stages` engage its own channels: each stage waits
//! `DurationInMinutes` (0–30, 0 only when the stage has a target) before the next starts, and
//! each target is a `ChannelTargetInfo` naming a channel of this contact with an optional
//! `RetryIntervalInMinutes` (0–60) before a failed send is retried. A channel may appear in
//! several stages and more than once in one stage ("a single channel may be engaged several
//! times"). A contact with no stages is valid but cannot be engaged.

use std::collections::HashSet;

use tocsin_proto::records::{Contact, ContactChannel, Plan};

use super::alias::check_arn;
use crate::validate::{Checker, ValidationError};

/// Longest stage, in minutes (`StageDurationInMins`).
pub const MAX_STAGE_MINUTES: u32 = 30;
/// Longest retry interval, in minutes (`RetryIntervalInMinutes`).
pub const MAX_RETRY_MINUTES: u32 = 60;
/// Most stages in a plan. The model sets no limit; Tocsin caps a plan at 30 stages (15 hours
/// of 30-minute stages) so one engagement's timers and pages stay bounded.
pub const MAX_STAGES: usize = 30;
/// Most targets in one stage. The model sets no limit; Tocsin caps the pages one stage can
/// fan out to.
pub const MAX_TARGETS_PER_STAGE: usize = 30;

/// `Plan.Stages[i].rest`.
pub(crate) fn stage_field(i: usize, rest: &str) -> String {
    format!("Plan.Stages[{i}].{rest}")
}

/// `Plan.Stages[i].Targets[j].rest` (or the target itself when `rest` is empty).
pub(crate) fn target_field(i: usize, j: usize, rest: &str) -> String {
    if rest.is_empty() {
        format!("Plan.Stages[{i}].Targets[{j}]")
    } else {
        format!("Plan.Stages[{i}].Targets[{j}].{rest}")
    }
}

/// Rules of every plan with stages: at most [`MAX_STAGES`] stages, durations 0–30 (0 only with
/// a target), at most [`MAX_TARGETS_PER_STAGE`] targets per stage.
pub(crate) fn check_stages(c: &mut Checker, plan: &Plan) {
    let n = plan.stages.len();
    c.check(
        n <= MAX_STAGES,
        "Plan.Stages",
        format!("must hold at most {MAX_STAGES} stages, got {n}"),
    );
    for (i, stage) in plan.stages.iter().enumerate() {
        let d = stage.duration_in_minutes;
        c.check(
            d <= MAX_STAGE_MINUTES,
            stage_field(i, "DurationInMinutes"),
            format!("must be between 0 and {MAX_STAGE_MINUTES}, got {d}"),
        );
        c.check(
            d > 0 || !stage.targets.is_empty(),
            stage_field(i, "DurationInMinutes"),
            "may be 0 only if the stage has a target",
        );
        let t = stage.targets.len();
        c.check(
            t <= MAX_TARGETS_PER_STAGE,
            stage_field(i, "Targets"),
            format!("must hold at most {MAX_TARGETS_PER_STAGE} targets, got {t}"),
        );
    }
}

/// The engagement plan of the personal contact `contact_arn`: [`check_stages`], and every
/// target a `ChannelTargetInfo` of one of this contact's channels with a retry interval of
/// 0–60 minutes. `RotationIds` must be empty.
pub(crate) fn check_engagement_plan(c: &mut Checker, contact_arn: &str, alias: &str, plan: &Plan) {
    check_stages(c, plan);
    c.check(
        plan.rotation_ids.is_empty(),
        "Plan.RotationIds",
        "must be empty: only on-call schedules have rotations",
    );
    let account = tocsin_proto::arn::Arn::parse(contact_arn)
        .map(|a| a.account)
        .unwrap_or_default();
    for (i, stage) in plan.stages.iter().enumerate() {
        for (j, target) in stage.targets.iter().enumerate() {
            c.check(
                target.contact_target_info.is_none(),
                target_field(i, j, "ContactTargetInfo"),
                "must be absent: a personal contact's engagement plan engages its own channels",
            );
            let Some(info) = &target.channel_target_info else {
                c.check(
                    false,
                    target_field(i, j, "ChannelTargetInfo"),
                    "is required in a personal contact's engagement plan",
                );
                continue;
            };
            let field = target_field(i, j, "ChannelTargetInfo.ContactChannelId");
            if let Some(arn) = check_arn(c, &info.contact_channel_id, &field, "contact-channel") {
                let prefix = format!("contact-channel/{alias}/");
                c.check(
                    arn.resource.starts_with(&prefix) && arn.account == account,
                    &field,
                    format!("must be a channel of this contact ({prefix}<id>)"),
                );
            }
            if let Some(r) = info.retry_interval_in_minutes {
                c.check(
                    r <= MAX_RETRY_MINUTES,
                    target_field(i, j, "ChannelTargetInfo.RetryIntervalInMinutes"),
                    format!("must be between 0 and {MAX_RETRY_MINUTES}, got {r}"),
                );
            }
        }
    }
}

/// Every channel the personal `contact`'s plan engages exists among `channels` (the contact's
/// stored channels). Run on `UpdateContact`, once the channels exist.
pub fn check_plan_channels(
    contact: &Contact,
    channels: &[ContactChannel],
) -> Result<(), ValidationError> {
    let known: HashSet<&str> = channels
        .iter()
        .filter(|ch| ch.contact_arn == contact.contact_arn)
        .map(|ch| ch.contact_channel_arn.as_str())
        .collect();
    let mut c = Checker::default();
    for (i, stage) in contact.plan.stages.iter().enumerate() {
        for (j, target) in stage.targets.iter().enumerate() {
            if let Some(info) = &target.channel_target_info {
                c.check(
                    known.contains(info.contact_channel_id.as_str()),
                    target_field(i, j, "ChannelTargetInfo.ContactChannelId"),
                    format!(
                        "{} is not a channel of {}",
                        info.contact_channel_id, contact.alias
                    ),
                );
            }
        }
    }
    c.finish()
}
