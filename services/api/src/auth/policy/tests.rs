//! Table-driven evaluation cases.

use serde_json::json;

use super::*;
use crate::auth::builtin;

const ME: Principal<'static> = Principal {
    account: "111122223333",
    arn: "arn:aws:iam::111122223333:user/AKIDME0000000001",
    org_id: None,
    org_path: None,
};
const OTHER: Principal<'static> = Principal {
    account: "444455556666",
    arn: "arn:aws:iam::444455556666:user/AKIDOTHER00000001",
    org_id: None,
    org_path: None,
};
const PLAN: &str = "arn:aws:ssm-incidents::111122223333:response-plan/db";
const INCIDENT: &str = "arn:aws:ssm-incidents::111122223333:incident-record/db/abc";

fn identity(doc: serde_json::Value) -> Policy {
    Policy::parse(&doc, Kind::Identity).unwrap()
}

fn eval(policies: &[Policy], action: &str, resource: &str, who: Principal<'_>) -> Decision {
    evaluate(policies, action, &[resource.to_string()], who)
}

#[test]
fn glob_matches_like_iam() {
    for (pattern, value, fold, want) in [
        ("*", "", false, true),
        ("*", "anything", false, true),
        (
            "ssm-incidents:Get*",
            "ssm-incidents:GetIncidentRecord",
            true,
            true,
        ),
        (
            "ssm-incidents:get*",
            "SSM-INCIDENTS:GetIncidentRecord",
            true,
            true,
        ),
        (
            "ssm-incidents:get*",
            "ssm-incidents:GetIncidentRecord",
            false,
            false,
        ),
        (
            "ssm-incidents:Get*",
            "ssm-incidents:ListIncidentRecords",
            true,
            false,
        ),
        ("a?c", "abc", false, true),
        ("a?c", "ac", false, false),
        (
            "arn:aws:ssm-incidents:*:111122223333:response-plan/db",
            PLAN,
            false,
            true,
        ),
        ("arn:*:incident-record/db/*", INCIDENT, false, true),
        ("arn:*:incident-record/db/*", PLAN, false, false),
        ("*b*b*", "abxxb", false, true),
        ("*b*b*", "abx", false, false),
    ] {
        assert_eq!(glob(pattern, value, fold), want, "{pattern} vs {value}");
    }
}

#[test]
fn evaluation_table() {
    let get_only = identity(json!({
        "Version": "2012-10-17",
        "Statement": { "Effect": "Allow", "Action": "ssm-incidents:Get*", "Resource": "*" }
    }));
    let one_plan = identity(json!({
        "Statement": [{ "Effect": "Allow", "Action": ["ssm-incidents:*"],
                        "Resource": ["arn:aws:ssm-incidents:*:111122223333:response-plan/db"] }]
    }));
    let deny_delete = identity(json!({
        "Statement": [{ "Effect": "Deny", "Action": "ssm-incidents:Delete*", "Resource": "*" }]
    }));
    let not_action = identity(json!({
        "Statement": [{ "Effect": "Allow", "NotAction": "ssm-incidents:Delete*", "Resource": "*" }]
    }));
    let not_resource = identity(json!({
        "Statement": [{ "Effect": "Allow", "Action": "*",
                        "NotResource": "arn:aws:ssm-incidents::*:response-plan/prod-*" }]
    }));
    let account_condition = identity(json!({
        "Statement": [{ "Effect": "Allow", "Action": "*", "Resource": "*",
                        "Condition": { "StringEquals": { "aws:PrincipalAccount": "111122223333" } } }]
    }));
    let admin = builtin::administrator();
    let resolver = builtin::named("resolver").unwrap();
    let read_only = builtin::named("read-only").unwrap();
    use Decision::*;
    let cases: Vec<(&str, Vec<&Policy>, &str, &str, Decision)> = vec![
        (
            "nothing allows",
            vec![],
            "ssm-incidents:GetIncidentRecord",
            INCIDENT,
            NotAllowed,
        ),
        (
            "wildcard action",
            vec![&get_only],
            "ssm-incidents:GetIncidentRecord",
            INCIDENT,
            Allow,
        ),
        (
            "wildcard miss",
            vec![&get_only],
            "ssm-incidents:ListIncidentRecords",
            "*",
            NotAllowed,
        ),
        (
            "action case",
            vec![&get_only],
            "SSM-Incidents:getincidentrecord",
            INCIDENT,
            Allow,
        ),
        (
            "other service",
            vec![&get_only],
            "ssm-contacts:GetContact",
            "*",
            NotAllowed,
        ),
        (
            "resource arn",
            vec![&one_plan],
            "ssm-incidents:UpdateResponsePlan",
            PLAN,
            Allow,
        ),
        (
            "other resource",
            vec![&one_plan],
            "ssm-incidents:GetIncidentRecord",
            INCIDENT,
            NotAllowed,
        ),
        (
            "deny beats allow",
            vec![&admin, &deny_delete],
            "ssm-incidents:DeleteResponsePlan",
            PLAN,
            Deny,
        ),
        (
            "deny elsewhere",
            vec![&admin, &deny_delete],
            "ssm-incidents:UpdateResponsePlan",
            PLAN,
            Allow,
        ),
        (
            "not action",
            vec![&not_action],
            "ssm-incidents:DeleteIncidentRecord",
            INCIDENT,
            NotAllowed,
        ),
        (
            "not action other",
            vec![&not_action],
            "ssm-contacts:CreateContact",
            "*",
            Allow,
        ),
        (
            "not resource hit",
            vec![&not_resource],
            "ssm-incidents:GetResponsePlan",
            "arn:aws:ssm-incidents::111122223333:response-plan/prod-db",
            NotAllowed,
        ),
        (
            "not resource miss",
            vec![&not_resource],
            "ssm-incidents:GetResponsePlan",
            PLAN,
            Allow,
        ),
        (
            "condition holds",
            vec![&account_condition],
            "ssm-contacts:GetContact",
            "*",
            Allow,
        ),
        (
            "admin",
            vec![&admin],
            "ssm-contacts:DeleteContact",
            "*",
            Allow,
        ),
        (
            "admin not other services",
            vec![&admin],
            "iam:CreateUser",
            "*",
            NotAllowed,
        ),
        (
            "resolver starts",
            vec![&resolver],
            "ssm-incidents:StartIncident",
            PLAN,
            Allow,
        ),
        (
            "resolver updates",
            vec![&resolver],
            "ssm-incidents:UpdateIncidentRecord",
            INCIDENT,
            Allow,
        ),
        (
            "resolver deletes notes",
            vec![&resolver],
            "ssm-incidents:DeleteTimelineEvent",
            INCIDENT,
            Allow,
        ),
        (
            "resolver no plan delete",
            vec![&resolver],
            "ssm-incidents:DeleteResponsePlan",
            PLAN,
            NotAllowed,
        ),
        (
            "resolver no plan create",
            vec![&resolver],
            "ssm-incidents:CreateResponsePlan",
            PLAN,
            NotAllowed,
        ),
        (
            "read-only get",
            vec![&read_only],
            "ssm-contacts:DescribeEngagement",
            "*",
            Allow,
        ),
        (
            "read-only list",
            vec![&read_only],
            "ssm-incidents:ListIncidentRecords",
            "*",
            Allow,
        ),
        (
            "read-only write",
            vec![&read_only],
            "ssm-incidents:StartIncident",
            PLAN,
            NotAllowed,
        ),
        (
            "read-only accept",
            vec![&read_only],
            "ssm-contacts:AcceptPage",
            "*",
            NotAllowed,
        ),
    ];
    for (name, policies, action, resource, want) in cases {
        let owned: Vec<Policy> = policies.into_iter().cloned().collect();
        assert_eq!(eval(&owned, action, resource, ME), want, "{name}");
    }
    let owned = vec![account_condition];
    assert_eq!(
        eval(&owned, "ssm-contacts:GetContact", "*", OTHER),
        NotAllowed
    );
}

#[test]
fn every_resource_must_be_allowed() {
    let one_plan = identity(json!({
        "Statement": [{ "Effect": "Allow", "Action": "*", "Resource": PLAN }]
    }));
    let both = [PLAN.to_string(), INCIDENT.to_string()];
    assert_eq!(
        evaluate(
            std::slice::from_ref(&one_plan),
            "ssm-incidents:X",
            &both,
            ME
        ),
        Decision::NotAllowed
    );
    assert_eq!(
        evaluate(&[one_plan], "ssm-incidents:X", &[], ME),
        Decision::NotAllowed
    );
}

#[test]
fn resource_policies_name_principals() {
    let shared = Policy::parse(
        &json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": { "AWS": ["arn:aws:iam::444455556666:root"] },
                "Action": ["ssm-incidents:GetResponsePlan", "ssm-incidents:StartIncident"],
                "Resource": [PLAN, "arn:aws:ssm-incidents:*:111122223333:incident-record/db/*"]
            }]
        }),
        Kind::Resource,
    )
    .unwrap();
    assert!(shared.names(OTHER));
    assert!(!shared.names(ME));
    let policies = [shared];
    assert_eq!(
        eval(&policies, "ssm-incidents:StartIncident", PLAN, OTHER),
        Decision::Allow
    );
    assert_eq!(
        eval(&policies, "ssm-incidents:StartIncident", PLAN, ME),
        Decision::NotAllowed
    );
    assert_eq!(
        eval(&policies, "ssm-incidents:UpdateResponsePlan", PLAN, OTHER),
        Decision::NotAllowed
    );
    let by_account = Policy::parse(
        &json!({ "Statement": { "Effect": "Allow", "Principal": { "AWS": "444455556666" },
                                "Action": "ssm-contacts:*" } }),
        Kind::Resource,
    )
    .unwrap();
    assert!(by_account.names(OTHER));
}

/// Accounts the keys file places in organisation `o-abc123def45` (one in the unit
/// `ou-ab12-11111111`, one in its sibling), and one in another organisation.
const IN_UNIT: Principal<'static> = Principal {
    account: "444455556666",
    arn: "arn:aws:iam::444455556666:user/AKIDOTHER00000001",
    org_id: Some("o-abc123def45"),
    org_path: Some("o-abc123def45/r-ab12/ou-ab12-11111111/"),
};
const IN_SIBLING: Principal<'static> = Principal {
    account: "777788889999",
    arn: "arn:aws:iam::777788889999:user/AKIDSIBLING000001",
    org_id: Some("o-abc123def45"),
    org_path: Some("o-abc123def45/r-ab12/ou-ab12-22222222/"),
};
const OTHER_ORG: Principal<'static> = Principal {
    account: "121212121212",
    arn: "arn:aws:iam::121212121212:user/AKIDOTHERORG00001",
    org_id: Some("o-zzzzzzzzzz99"),
    org_path: None,
};

#[test]
fn organisation_conditions_share_with_an_organisation_or_a_unit() {
    let resource = |condition: serde_json::Value| {
        Policy::parse(
            &json!({ "Statement": { "Effect": "Allow", "Principal": "*",
                     "Action": "ssm-incidents:GetResponsePlan", "Condition": condition } }),
            Kind::Resource,
        )
        .unwrap()
    };
    let org = resource(json!({ "StringEquals": { "aws:PrincipalOrgID": "o-abc123def45" } }));
    let unit = resource(json!({ "ForAnyValue:StringLike": {
        "aws:PrincipalOrgPaths": ["o-abc123def45/r-ab12/ou-ab12-11111111/*"] } }));
    let not_org = resource(json!({ "StringNotEquals": { "aws:PrincipalOrgID": "o-abc123def45" } }));
    let get = "ssm-incidents:GetResponsePlan";
    for (name, policy, who, want) in [
        ("org member", &org, IN_UNIT, true),
        ("org member, other unit", &org, IN_SIBLING, true),
        ("other org", &org, OTHER_ORG, false),
        ("no org", &org, OTHER, false),
        ("unit member", &unit, IN_UNIT, true),
        ("sibling unit", &unit, IN_SIBLING, false),
        ("org without a path", &unit, OTHER_ORG, false),
        ("no org", &unit, OTHER, false),
        ("negated: member", &not_org, IN_UNIT, false),
        ("negated: other org", &not_org, OTHER_ORG, true),
        // A key the request lacks makes a negated test true, as IAM does.
        ("negated: no org", &not_org, OTHER, true),
    ] {
        let policies = [policy.clone()];
        let want_decision = if want {
            Decision::Allow
        } else {
            Decision::NotAllowed
        };
        assert_eq!(eval(&policies, get, PLAN, who), want_decision, "{name}");
        // Only those the conditions admit are named: others are not told it exists.
        assert_eq!(policy.names(who), want, "{name}");
    }
}

#[test]
fn bad_documents_name_the_element() {
    for (doc, kind, path) in [
        (json!([]), Kind::Identity, "policy"),
        (json!({ "Statement": [] }), Kind::Identity, "Statement"),
        (
            json!({ "Version": "2020", "Statement": {} }),
            Kind::Identity,
            "Version",
        ),
        (
            json!({ "Statement": { "Effect": "Permit", "Action": "*", "Resource": "*" } }),
            Kind::Identity,
            "Statement[0].Effect",
        ),
        (
            json!({ "Statement": { "Effect": "Allow", "Resource": "*" } }),
            Kind::Identity,
            "Statement[0]",
        ),
        (
            json!({ "Statement": { "Effect": "Allow", "Action": "Get*", "Resource": "*" } }),
            Kind::Identity,
            "Statement[0].Action",
        ),
        (
            json!({ "Statement": { "Effect": "Allow", "Action": "*" } }),
            Kind::Identity,
            "Statement[0]",
        ),
        (
            json!({ "Statement": { "Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*" } }),
            Kind::Identity,
            "Statement[0].Principal",
        ),
        (
            json!({ "Statement": { "Effect": "Allow", "Action": "*", "Resource": "*",
                 "Condition": { "DateGreaterThan": { "aws:CurrentTime": "2020-01-01" } } } }),
            Kind::Identity,
            "Statement[0].Condition.DateGreaterThan.aws:CurrentTime",
        ),
        (
            json!({ "Statement": { "Effect": "Allow", "Action": "*" } }),
            Kind::Resource,
            "Statement[0]",
        ),
        (
            json!({ "Statement": { "Effect": "Allow", "Action": "*", "Resource": "*", "Extra": 1 } }),
            Kind::Identity,
            "Statement[0].Extra",
        ),
    ] {
        let e = Policy::parse(&doc, kind).unwrap_err();
        assert_eq!(e.path, path, "{doc}: {e}");
    }
}
