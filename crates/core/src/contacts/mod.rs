//! Contacts, their channels and their plans, as `ssm-contacts` defines them: the rules a
//! contact or channel must follow before it is stored, the escalation-cycle check, and channel
//! activation as state transitions.
//!
//! - [`alias`]: `Alias`, `DisplayName`, a channel's `Name`, and ssm-contacts ARNs.
//! - [`channel`]: `DeliveryAddress.SimpleAddress` per channel type (`EMAIL`, `SMS`, `VOICE`,
//!   and Tocsin's `WEBHOOK`).
//! - [`plan`]: stages, and a personal contact's engagement plan of its own channels.
//! - [`escalation`]: escalation plans of contacts and schedules, and cycle detection.
//! - [`activation`]: issuing, presenting and withdrawing activation codes.
//! - [`tags`]: the `Tags` of contacts and escalation plans.
//! - [`errors`]: how the failures map onto the API's exceptions.
//!
//! Errors name fields as the wire does (`Alias`, `DeliveryAddress.SimpleAddress`,
//! `Plan.Stages[2].DurationInMinutes`,
//! `Plan.Stages[0].Targets[1].ChannelTargetInfo.RetryIntervalInMinutes`) and list every broken
//! rule at once.

pub mod activation;
pub mod alias;
pub mod channel;
pub mod errors;
pub mod escalation;
pub mod plan;
pub mod tags;

pub use activation::{
    ActivationCode, ActivationError, ActivationState, Rejected, activate, can_engage, deactivate,
    issue_code,
};
pub use channel::{validate_address, validate_channel};
pub use errors::{ContactsException, ValidationExceptionReason, validation_reason};
pub use escalation::{check_escalation_cycles, check_escalation_targets};
pub use plan::check_plan_channels;
pub use tags::validate_tags;

use tocsin_proto::records::{Contact, ContactType, Plan};

use crate::validate::{Checker, ValidationError};

/// Checks a stored or submitted contact on its own: `ContactArn` names `contact/<Alias>`;
/// `Alias` is 1–255 characters of `[a-z0-9_-]`; `DisplayName` is 0–255 name characters; the
/// plan suits the type (a personal contact's engagement plan of its own channels, an escalation
/// plan of contacts of the same account that does not name itself, or an on-call schedule's
/// rotations). Cycles through other plans and missing targets need the stored contacts:
/// [`check_escalation_cycles`], [`check_escalation_targets`], [`check_plan_channels`].
pub fn validate_contact(contact: &Contact) -> Result<(), ValidationError> {
    let mut c = Checker::default();
    check_contact(&mut c, contact);
    c.finish()
}

/// [`validate_contact`] into an existing checker (to add, say, [`tags::check_tags`]).
pub fn check_contact(c: &mut Checker, contact: &Contact) {
    alias::check_alias(c, &contact.alias, "Alias");
    alias::check_contact_arn(c, &contact.contact_arn, &contact.alias);
    if let Some(name) = &contact.display_name {
        alias::check_name(c, name, "DisplayName", 0);
    }
    let (arn, name, plan) = (&contact.contact_arn, &contact.alias, &contact.plan);
    match contact.contact_type {
        ContactType::Personal => plan::check_engagement_plan(c, arn, name, plan),
        ContactType::Escalation => escalation::check_escalation_plan(c, arn, name, plan),
        ContactType::OncallSchedule => check_schedule_plan(c, plan),
    }
}

/// An on-call schedule's plan: no stages, and its rotations (count and repeats as
/// [`crate::rotation::validate_schedule_rotations`] rules, each an ssm-contacts rotation ARN).
fn check_schedule_plan(c: &mut Checker, plan: &Plan) {
    c.check(
        plan.stages.is_empty(),
        "Plan.Stages",
        "must be empty: an on-call schedule engages whoever its rotations put on call",
    );
    if let Err(e) = crate::rotation::validate_schedule_rotations(&plan.rotation_ids) {
        for f in e.0 {
            c.check(false, f.field, f.rule);
        }
    }
    for (i, id) in plan.rotation_ids.iter().enumerate() {
        alias::check_arn(c, id, &format!("Plan.RotationIds[{i}]"), "rotation");
    }
}

#[cfg(test)]
mod tests;
