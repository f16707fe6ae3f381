use std::collections::HashMap;

use tocsin_proto::records::{Contact, ContactType, Stage, Target};

use super::{Want, channel_stage, contact, contact_stage, escalation, expect};
use crate::contacts::{check_escalation_cycles, check_escalation_targets, validate_contact};

fn store(contacts: Vec<Contact>) -> HashMap<String, Contact> {
    contacts
        .into_iter()
        .map(|c| (c.contact_arn.clone(), c))
        .collect()
}

#[test]
fn escalation_plan_rules() {
    let id =
        |i: usize, j: usize| format!("Plan.Stages[{i}].Targets[{j}].ContactTargetInfo.ContactId");
    expect(
        "two stages of contacts and a schedule",
        validate_contact(&escalation(
            "team",
            &[&["alice"], &["bob", "primary-schedule"]],
        )),
        None,
    );
    expect(
        "same contact in two stages",
        validate_contact(&escalation("team", &[&["alice"], &["alice"]])),
        None,
    );
    expect(
        "no stage yet (as Terraform creates it before its plan resource)",
        validate_contact(&escalation("team", &[])),
        None,
    );
    expect(
        "empty stage",
        validate_contact(&escalation("team", &[&["alice"], &[]])),
        Some((
            "Plan.Stages[1].Targets",
            "at least one contact or on-call schedule",
        )),
    );
    expect(
        "repeated in one stage",
        validate_contact(&escalation("team", &[&["alice", "bob", "alice"]])),
        Some((&id(0, 2), "must not repeat a contact of the same stage")),
    );
    expect(
        "direct self-reference",
        validate_contact(&escalation("team", &[&["alice"], &["bob", "team"]])),
        Some((&id(1, 1), "escalation cycle: team -> team")),
    );

    let mut other_account = escalation("team", &[&["alice"]]);
    other_account.plan.stages[0].targets[0]
        .contact_target_info
        .as_mut()
        .unwrap()
        .contact_id = Some("arn:aws:ssm-contacts:us-east-1:210987654321:contact/alice".into());
    expect(
        "shared contact of another account",
        validate_contact(&other_account),
        Some((&id(0, 0), "must be a contact of account 123456789012")),
    );

    let mut no_id = escalation("team", &[&["alice"]]);
    no_id.plan.stages[0].targets[0]
        .contact_target_info
        .as_mut()
        .unwrap()
        .contact_id = None;
    expect(
        "missing ContactId",
        validate_contact(&no_id),
        Some((&id(0, 0), "is required")),
    );

    let mut channel = escalation("team", &[]);
    channel.plan.stages = vec![channel_stage("team", 5, &[("sms", None)])];
    let e = validate_contact(&channel).unwrap_err();
    let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "Plan.Stages[0].Targets[0].ChannelTargetInfo",
            "Plan.Stages[0].Targets[0].ContactTargetInfo"
        ],
        "{e}"
    );

    let duration = escalation_with_stage(Stage {
        duration_in_minutes: 31,
        ..contact_stage(0, &["alice"])
    });
    expect(
        "stage of 31 minutes",
        validate_contact(&duration),
        Some((
            "Plan.Stages[0].DurationInMinutes",
            "between 0 and 30, got 31",
        )),
    );
    let empty_target = escalation_with_stage(Stage {
        duration_in_minutes: 5,
        targets: vec![Target {
            channel_target_info: None,
            contact_target_info: None,
        }],
    });
    expect(
        "empty target",
        validate_contact(&empty_target),
        Some(("Plan.Stages[0].Targets[0].ContactTargetInfo", "is required")),
    );
}

fn escalation_with_stage(stage: Stage) -> Contact {
    contact("team", ContactType::Escalation, vec![stage])
}

#[test]
fn cycles_through_nested_plans() {
    let person = contact("alice", ContactType::Personal, vec![]);
    let schedule = contact("primary", ContactType::OncallSchedule, vec![]);
    let cases: Vec<(&str, Contact, Vec<Contact>, Want<'_>)> = vec![
        (
            "self",
            escalation("a", &[&["alice"], &["a"]]),
            vec![person.clone()],
            Some((
                "Plan.Stages[1].Targets[0].ContactTargetInfo.ContactId",
                "escalation cycle: a -> a",
            )),
        ),
        (
            "two steps",
            escalation("a", &[&["b"]]),
            vec![escalation("b", &[&["alice"], &["a"]])],
            Some((
                "Plan.Stages[0].Targets[0].ContactTargetInfo.ContactId",
                "escalation cycle: a -> b -> a",
            )),
        ),
        (
            "three steps, second target",
            escalation("a", &[&["alice", "b"]]),
            vec![
                person.clone(),
                escalation("b", &[&["c"]]),
                escalation("c", &[&["primary"], &["a"]]),
                schedule.clone(),
            ],
            Some((
                "Plan.Stages[0].Targets[1].ContactTargetInfo.ContactId",
                "escalation cycle: a -> b -> c -> a",
            )),
        ),
        (
            "reaches a stored cycle not through a",
            escalation("a", &[&["b"]]),
            vec![escalation("b", &[&["c"]]), escalation("c", &[&["b"]])],
            Some((
                "Plan.Stages[0].Targets[0].ContactTargetInfo.ContactId",
                "escalation cycle: b -> c -> b",
            )),
        ),
        (
            "diamond without a cycle",
            escalation("a", &[&["b", "c"]]),
            vec![
                escalation("b", &[&["d"]]),
                escalation("c", &[&["d"]]),
                escalation("d", &[&["alice"]]),
                person.clone(),
            ],
            None,
        ),
        (
            "persons and schedules end paths",
            escalation("a", &[&["alice", "primary"]]),
            vec![person, schedule],
            None,
        ),
        (
            "missing contacts end paths",
            escalation("a", &[&["ghost"]]),
            vec![],
            None,
        ),
        (
            "the stored version of a is not used",
            escalation("a", &[&["alice"]]),
            vec![escalation("a", &[&["b"]]), escalation("b", &[&["a"]])],
            None,
        ),
        (
            "a stored person named like a non-escalation is not expanded",
            escalation("a", &[&["b"]]),
            vec![contact(
                "b",
                ContactType::Personal,
                vec![contact_stage(5, &["a"])],
            )],
            None,
        ),
    ];
    for (case, root, stored, want) in cases {
        let stored = store(stored);
        let got = check_escalation_cycles(&root, |id| stored.get(id));
        expect(case, got, want);
    }
}

#[test]
fn the_updated_plan_replaces_the_stored_one() {
    // Stored: a -> alice. Update: a -> b, where b -> a. The update must be refused.
    let stored = store(vec![
        escalation("a", &[&["alice"]]),
        escalation("b", &[&["a"]]),
    ]);
    let update = escalation("a", &[&["b"]]);
    let e = check_escalation_cycles(&update, |id| stored.get(id)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Plan.Stages[0].Targets[0].ContactTargetInfo.ContactId: escalation cycle: a -> b -> a"
    );
}

#[test]
fn arns_differing_in_region_name_the_same_contact() {
    let a = escalation("a", &[&["b"]]);
    let mut b = escalation("b", &[&["a"]]);
    b.plan.stages[0].targets[0]
        .contact_target_info
        .as_mut()
        .unwrap()
        .contact_id = Some("arn:aws:ssm-contacts:eu-west-1:123456789012:contact/a".into());
    let stored = store(vec![b]);
    expect(
        "other region spelling",
        check_escalation_cycles(&a, |id| stored.get(id)),
        Some((
            "Plan.Stages[0].Targets[0].ContactTargetInfo.ContactId",
            "a -> b -> a",
        )),
    );
}

#[test]
fn deep_nesting_needs_no_deep_stack() {
    let n = 20_000;
    let name = |i: usize| format!("p{i}");
    let mut chain: Vec<Contact> = (1..n)
        .map(|i| escalation(&name(i), &[&[name(i + 1).as_str()]]))
        .collect();
    chain.push(escalation(&name(n), &[&["alice"]]));
    let root = escalation(&name(0), &[&["p1"]]);
    let stored = store(chain.clone());
    expect(
        "long chain",
        check_escalation_cycles(&root, |id| stored.get(id)),
        None,
    );

    chain.pop();
    chain.push(escalation(&name(n), &[&["p0"]]));
    let stored = store(chain);
    let e = check_escalation_cycles(&root, |id| stored.get(id)).unwrap_err();
    assert!(
        e.0[0]
            .rule
            .starts_with("escalation cycle: p0 -> p1 -> p2 -> "),
        "{}",
        &e.0[0].rule[..60]
    );
    assert!(e.0[0].rule.ends_with(" -> p20000 -> p0"));
}

#[test]
fn targets_must_exist() {
    let stored = store(vec![contact("alice", ContactType::Personal, vec![])]);
    let plan = escalation("team", &[&["alice"], &["ghost", "team"]]);
    expect(
        "ghost",
        check_escalation_targets(&plan, |id| stored.get(id)),
        Some((
            "Plan.Stages[1].Targets[0].ContactTargetInfo.ContactId",
            "contact arn:aws:ssm-contacts:us-east-1:123456789012:contact/ghost does not exist",
        )),
    );
}

#[test]
fn non_escalation_contacts_have_no_cycles_to_check() {
    let person = contact(
        "alice",
        ContactType::Personal,
        vec![contact_stage(5, &["alice"])],
    );
    let none: HashMap<String, Contact> = HashMap::new();
    assert!(check_escalation_cycles(&person, |id| none.get(id)).is_ok());
    assert!(check_escalation_targets(&person, |id| none.get(id)).is_ok());
}
