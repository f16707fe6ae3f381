use tocsin_proto::records::ContactType;

use super::{Case, contact, contact_arn, expect};
use crate::contacts::validate_contact;

#[test]
fn alias_rules() {
    let long = "a".repeat(255);
    let too_long = "a".repeat(256);
    let cases: &[Case<'_, &str>] = &[
        ("one char", "a", None),
        ("all allowed chars", "on-call_team-7", None),
        ("255 chars", &long, None),
        (
            "256 chars",
            &too_long,
            Some(("Alias", "between 1 and 255 characters, got 256")),
        ),
        ("uppercase", "Alice", Some(("Alias", "got 'A'"))),
        ("space", "alice smith", Some(("Alias", "got ' '"))),
        (
            "dot",
            "alice.smith",
            Some(("Alias", "lowercase letters a-z, digits 0-9, `_` and `-`")),
        ),
        ("non-ascii letter", "zoë", Some(("Alias", "got 'ë'"))),
        ("slash", "a/b", Some(("Alias", "got '/'"))),
    ];
    for (case, alias, want) in cases {
        let c = contact(alias, ContactType::Personal, vec![]);
        expect(case, validate_contact(&c), *want);
    }
}

#[test]
fn empty_alias_is_refused() {
    let mut c = contact("a", ContactType::Personal, vec![]);
    c.alias.clear();
    let e = validate_contact(&c).unwrap_err();
    assert!(
        e.0.iter().any(|f| f.field == "Alias"
            && f.rule == "length must be between 1 and 255 characters, got 0"),
        "{e}"
    );
}

#[test]
fn display_name_rules() {
    let long = "é".repeat(255);
    let too_long = "x".repeat(256);
    let cases: &[Case<'_, &str>] = &[
        ("empty", "", None),
        ("letters, spaces, punctuation", "Zoë O-Brien_Jr.", None),
        ("other scripts and digits", "山田 太郎 ٣", None),
        ("no-break space", "Ann\u{a0}Lee", None),
        ("255 chars", &long, None),
        ("256 chars", &too_long, Some(("DisplayName", "got 256"))),
        ("apostrophe", "O'Brien", Some(("DisplayName", "got '\\''"))),
        ("tab", "Ann\tLee", Some(("DisplayName", "got '\\t'"))),
        ("at sign", "ann@example", Some(("DisplayName", "got '@'"))),
    ];
    for (case, name, want) in cases {
        let mut c = contact("ann", ContactType::Personal, vec![]);
        c.display_name = Some((*name).into());
        expect(case, validate_contact(&c), *want);
    }
}

#[test]
fn contact_arn_must_name_the_alias() {
    let cases: &[Case<'_, String>] = &[
        ("matching", contact_arn("ann"), None),
        (
            "other alias",
            contact_arn("bob"),
            Some(("ContactArn", "must end in contact/ann")),
        ),
        (
            "not an arn",
            "ann".into(),
            Some(("ContactArn", "must be an ssm-contacts contact ARN")),
        ),
        (
            "other service",
            "arn:aws:ssm-incidents::123456789012:contact/ann".into(),
            Some(("ContactArn", "must be an ssm-contacts contact ARN")),
        ),
    ];
    for (case, arn, want) in cases {
        let mut c = contact("ann", ContactType::Personal, vec![]);
        c.contact_arn = arn.clone();
        expect(case, validate_contact(&c), *want);
    }
}

#[test]
fn oncall_schedule_plan_holds_rotations_not_stages() {
    let rotation = |n: &str| format!("arn:aws:ssm-contacts:us-east-1:123456789012:rotation/{n}");
    let mut s = contact("primary", ContactType::OncallSchedule, vec![]);
    s.plan.rotation_ids = vec![rotation("day"), rotation("night")];
    expect("two rotations", validate_contact(&s), None);

    s.plan.rotation_ids = vec![];
    expect(
        "no rotation",
        validate_contact(&s),
        Some(("Plan.RotationIds", "between 1 and 8")),
    );

    s.plan.rotation_ids = vec![contact_arn("day")];
    expect(
        "a contact is not a rotation",
        validate_contact(&s),
        Some(("Plan.RotationIds[0]", "ssm-contacts rotation ARN")),
    );

    s.plan.rotation_ids = vec![rotation("day")];
    s.plan.stages = vec![super::contact_stage(5, &["ann"])];
    expect(
        "stages on a schedule",
        validate_contact(&s),
        Some(("Plan.Stages", "must be empty")),
    );
}
