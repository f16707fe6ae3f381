//! Table-driven tests of the contacts rules: each case names the input, the field expected to
//! break (or none) and a piece of the rule's text.

mod activation;
mod alias;
mod channel;
mod escalation;
mod plan;
mod tags;

use tocsin_proto::arn;
use tocsin_proto::records::{
    ActivationStatus, ChannelTargetInfo, ChannelType, Contact, ContactChannel,
    ContactChannelAddress, ContactTargetInfo, ContactType, Plan, Stage, Target,
};

use crate::validate::ValidationError;

/// The broken rule a case expects: `(field, piece of the rule)`, or `None` for valid.
type Want<'a> = Option<(&'a str, &'a str)>;
/// One table row: a name, the input, the expectation.
type Case<'a, T> = (&'a str, T, Want<'a>);

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

fn contact_arn(alias: &str) -> String {
    arn::contact(REGION, ACCOUNT, alias)
}

fn channel_arn(alias: &str, id: &str) -> String {
    arn::contact_channel(REGION, ACCOUNT, alias, id)
}

fn contact(alias: &str, contact_type: ContactType, stages: Vec<Stage>) -> Contact {
    Contact {
        contact_arn: contact_arn(alias),
        alias: alias.into(),
        display_name: None,
        contact_type,
        tocsin: Default::default(),
        plan: Plan {
            stages,
            rotation_ids: vec![],
        },
    }
}

/// A stage of channel targets of `alias` (`(id, retry)`).
fn channel_stage(alias: &str, minutes: u32, targets: &[(&str, Option<u32>)]) -> Stage {
    Stage {
        duration_in_minutes: minutes,
        targets: targets
            .iter()
            .map(|(id, retry)| Target {
                channel_target_info: Some(ChannelTargetInfo {
                    contact_channel_id: channel_arn(alias, id),
                    retry_interval_in_minutes: *retry,
                }),
                contact_target_info: None,
            })
            .collect(),
    }
}

/// A stage of contact targets (aliases).
fn contact_stage(minutes: u32, aliases: &[&str]) -> Stage {
    Stage {
        duration_in_minutes: minutes,
        targets: aliases
            .iter()
            .map(|a| Target {
                channel_target_info: None,
                contact_target_info: Some(ContactTargetInfo {
                    contact_id: Some(contact_arn(a)),
                    is_essential: true,
                }),
            })
            .collect(),
    }
}

/// An escalation plan with one 5-minute stage per list of target aliases.
fn escalation(alias: &str, stages: &[&[&str]]) -> Contact {
    contact(
        alias,
        ContactType::Escalation,
        stages.iter().map(|s| contact_stage(5, s)).collect(),
    )
}

fn channel(channel_type: ChannelType, address: &str) -> ContactChannel {
    ContactChannel {
        contact_channel_arn: channel_arn("alice", "c1"),
        contact_arn: contact_arn("alice"),
        name: "alice-phone".into(),
        channel_type,
        delivery_address: ContactChannelAddress {
            simple_address: address.into(),
        },
        activation_status: ActivationStatus::NotActivated,
    }
}

/// Asserts the outcome of one case: `None` means valid; `Some((field, text))` means exactly
/// one broken rule, on `field`, whose rule contains `text`.
#[track_caller]
fn expect(case: &str, got: Result<(), ValidationError>, want: Want<'_>) {
    match (got, want) {
        (Ok(()), None) => {}
        (Err(e), Some((field, text))) => {
            assert_eq!(e.0.len(), 1, "{case}: expected one broken rule, got {e}");
            assert_eq!(e.0[0].field, field, "{case}: {e}");
            assert!(e.0[0].rule.contains(text), "{case}: {e} lacks {text:?}");
        }
        (got, want) => panic!("{case}: expected {want:?}, got {got:?}"),
    }
}
