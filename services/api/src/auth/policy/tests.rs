//! Table-driven evaluation cases.

use serde_json::json;

use super::*;
use crate::auth::builtin;

const ME: Principal<'static> = Principal {
    account: "111122223333",
    arn: "arn:aws:iam::111122223333:user/AKIDME0000000001",
};
const OTHER: Principal<'static> = Principal {
    account: "444455556666",
    arn: "arn:aws:iam::444455556666:user/AKIDOTHER00000001",
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
    // An organisation condition cannot be met here: the statement grants nothing.
    let org = Policy::parse(
        &json!({ "Statement": { "Effect": "Allow", "Principal": "*", "Action": "*",
                 "Condition": { "StringEquals": { "aws:PrincipalOrgID": "o-abc123def45" } } } }),
        Kind::Resource,
    )
    .unwrap();
    assert_eq!(
        eval(&[org], "ssm-incidents:GetResponsePlan", PLAN, OTHER),
        Decision::NotAllowed
    );
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
