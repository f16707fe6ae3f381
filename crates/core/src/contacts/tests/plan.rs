use tocsin_proto::records::{ChannelType, ContactType, Stage, Target};

use super::{Case, channel, channel_arn, channel_stage, contact, contact_stage, expect};
use crate::contacts::plan::{MAX_STAGES, MAX_TARGETS_PER_STAGE};
use crate::contacts::{check_plan_channels, validate_contact};

fn personal(stages: Vec<Stage>) -> tocsin_proto::records::Contact {
    contact("alice", ContactType::Personal, stages)
}

#[test]
fn stage_durations() {
    let cases: &[Case<'_, u32>] = &[
        ("0 with a target", 0, None),
        ("30", 30, None),
        (
            "31",
            31,
            Some((
                "Plan.Stages[1].DurationInMinutes",
                "between 0 and 30, got 31",
            )),
        ),
        (
            "u32::MAX",
            u32::MAX,
            Some(("Plan.Stages[1].DurationInMinutes", "between 0 and 30")),
        ),
    ];
    for (case, minutes, want) in cases {
        let c = personal(vec![
            channel_stage("alice", 5, &[("sms", None)]),
            channel_stage("alice", *minutes, &[("email", None)]),
        ]);
        expect(case, validate_contact(&c), *want);
    }
}

#[test]
fn zero_duration_needs_a_target() {
    expect(
        "pause stage",
        validate_contact(&personal(vec![channel_stage("alice", 10, &[])])),
        None,
    );
    expect(
        "empty zero stage",
        validate_contact(&personal(vec![
            channel_stage("alice", 0, &[("sms", None)]),
            channel_stage("alice", 0, &[]),
        ])),
        Some((
            "Plan.Stages[1].DurationInMinutes",
            "may be 0 only if the stage has a target",
        )),
    );
}

#[test]
fn retry_intervals() {
    let field = "Plan.Stages[0].Targets[1].ChannelTargetInfo.RetryIntervalInMinutes";
    let cases: &[Case<'_, Option<u32>>] = &[
        ("absent", None, None),
        ("0", Some(0), None),
        ("60", Some(60), None),
        ("61", Some(61), Some((field, "between 0 and 60, got 61"))),
    ];
    for (case, retry, want) in cases {
        let c = personal(vec![channel_stage(
            "alice",
            5,
            &[("sms", Some(1)), ("voice", *retry)],
        )]);
        expect(case, validate_contact(&c), *want);
    }
}

#[test]
fn a_channel_may_appear_more_than_once() {
    let c = personal(vec![
        channel_stage("alice", 0, &[("sms", None), ("sms", Some(2))]),
        channel_stage("alice", 10, &[("sms", None), ("voice", None)]),
    ]);
    expect("repeated channel", validate_contact(&c), None);
}

#[test]
fn targets_must_be_own_channels() {
    let target = "Plan.Stages[0].Targets[0]";
    let other = personal(vec![channel_stage("bob", 5, &[("sms", None)])]);
    expect(
        "channel of bob",
        validate_contact(&other),
        Some((
            &format!("{target}.ChannelTargetInfo.ContactChannelId"),
            "must be a channel of this contact (contact-channel/alice/<id>)",
        )),
    );

    let mut not_arn = personal(vec![channel_stage("alice", 5, &[("sms", None)])]);
    not_arn.plan.stages[0].targets[0]
        .channel_target_info
        .as_mut()
        .unwrap()
        .contact_channel_id = "sms".into();
    expect(
        "not an ARN",
        validate_contact(&not_arn),
        Some((
            &format!("{target}.ChannelTargetInfo.ContactChannelId"),
            "ssm-contacts contact-channel ARN",
        )),
    );

    let contact_target = personal(vec![contact_stage(5, &["bob"])]);
    let e = validate_contact(&contact_target).unwrap_err();
    let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            format!("{target}.ContactTargetInfo"),
            format!("{target}.ChannelTargetInfo")
        ],
        "{e}"
    );

    let empty = personal(vec![Stage {
        duration_in_minutes: 5,
        targets: vec![Target {
            channel_target_info: None,
            contact_target_info: None,
        }],
    }]);
    expect(
        "empty target",
        validate_contact(&empty),
        Some((&format!("{target}.ChannelTargetInfo"), "is required")),
    );
}

#[test]
fn no_stages_is_valid_but_rotations_are_not() {
    expect("no plan", validate_contact(&personal(vec![])), None);
    let mut c = personal(vec![]);
    c.plan.rotation_ids = vec!["arn:aws:ssm-contacts:us-east-1:123456789012:rotation/r".into()];
    expect(
        "rotations on a person",
        validate_contact(&c),
        Some(("Plan.RotationIds", "only on-call schedules")),
    );
}

#[test]
fn stage_and_target_caps() {
    let stages = |n: usize| personal(vec![channel_stage("alice", 1, &[("sms", None)]); n]);
    expect("30 stages", validate_contact(&stages(MAX_STAGES)), None);
    expect(
        "31 stages",
        validate_contact(&stages(MAX_STAGES + 1)),
        Some(("Plan.Stages", "at most 30 stages, got 31")),
    );
    let targets = |n: usize| personal(vec![channel_stage("alice", 1, &vec![("sms", None); n])]);
    expect(
        "30 targets",
        validate_contact(&targets(MAX_TARGETS_PER_STAGE)),
        None,
    );
    expect(
        "31 targets",
        validate_contact(&targets(MAX_TARGETS_PER_STAGE + 1)),
        Some(("Plan.Stages[0].Targets", "at most 30 targets, got 31")),
    );
}

#[test]
fn every_error_is_reported_at_once() {
    let mut c = personal(vec![
        channel_stage("alice", 31, &[("sms", Some(61))]),
        channel_stage("alice", 45, &[]),
    ]);
    c.alias = "Alice".into();
    let e = validate_contact(&c).unwrap_err();
    let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "Alias",
            "ContactArn",
            "Plan.Stages[0].DurationInMinutes",
            "Plan.Stages[1].DurationInMinutes",
            "Plan.Stages[0].Targets[0].ChannelTargetInfo.ContactChannelId",
            "Plan.Stages[0].Targets[0].ChannelTargetInfo.RetryIntervalInMinutes",
        ],
        "{e}"
    );
}

#[test]
fn plan_channels_must_exist() {
    let c = personal(vec![channel_stage(
        "alice",
        5,
        &[("c1", None), ("gone", None)],
    )]);
    let mut ch = channel(ChannelType::Sms, "+15551234567");
    assert_eq!(ch.contact_channel_arn, channel_arn("alice", "c1"));
    expect(
        "one missing",
        check_plan_channels(&c, std::slice::from_ref(&ch)),
        Some((
            "Plan.Stages[0].Targets[1].ChannelTargetInfo.ContactChannelId",
            "is not a channel of alice",
        )),
    );
    ch.contact_arn = super::contact_arn("bob");
    let e = check_plan_channels(&c, &[ch]).unwrap_err();
    assert_eq!(
        e.0.len(),
        2,
        "a channel of another contact does not count: {e}"
    );
}
