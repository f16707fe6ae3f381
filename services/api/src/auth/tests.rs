//! The operation table against the official models, and the sharing rules.

use serde_json::{Value, json};

use super::actions::{self, Input, Service};
use super::policy::{Kind, Policy, Principal};
use super::share::{self, Holder, Shared};

fn model(service: Service) -> Value {
    let text = match service {
        Service::Incidents => std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/aws-models/ssm-incidents.service-2.json"
        ))
        .unwrap_or_default(),
        Service::Contacts => include_str!("../aws/contacts/ssm-contacts.service-2.json").into(),
    };
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// The member (or `locationName`) of an input shape that holds `name`.
fn has_member(m: &Value, op: &str, name: &str) -> bool {
    let input = m["operations"][op]["input"]["shape"]
        .as_str()
        .unwrap_or_default();
    m["shapes"][input]["members"].as_object().is_some_and(|ms| {
        ms.iter()
            .any(|(k, v)| k == name || v["locationName"] == name)
    })
}

#[test]
fn every_operation_of_both_models_is_declared_once() {
    for service in [Service::Incidents, Service::Contacts] {
        let m = model(service);
        let Some(ops) = m["operations"].as_object() else {
            // The shared models are outside the crate; the contacts one is embedded.
            assert_eq!(
                service,
                Service::Incidents,
                "the contacts model is embedded"
            );
            continue;
        };
        let mut declared = actions::declared(service);
        declared.sort_unstable();
        let mut in_model: Vec<&str> = ops.keys().map(String::as_str).collect();
        in_model.sort_unstable();
        assert_eq!(declared, in_model, "{service:?}");
    }
}

#[test]
fn resource_members_exist_in_the_models_and_routes_name_operations() {
    let m = model(Service::Incidents);
    let Some(ops) = m["operations"].as_object() else {
        return;
    };
    for (op, o) in ops {
        let path = o["http"]["requestUri"]
            .as_str()
            .unwrap()
            .split('?')
            .next()
            .unwrap();
        let path = path.replace("{resourceArn}", "arn%3Aaws");
        let method = o["http"]["method"].as_str().unwrap();
        assert_eq!(
            actions::rest_operation(method, &path).as_deref(),
            Some(op.as_str())
        );
    }
    for (service, m) in [
        (Service::Incidents, &m),
        (Service::Contacts, &model(Service::Contacts)),
    ] {
        for op in actions::declared(service) {
            // A request holding every candidate member: the target names the one it reads.
            let body = json!({ "arn": "A", "responsePlanArn": "A", "incidentRecordArn": "A",
                "resourceArn": "A", "name": "n", "ContactId": "A", "ContactChannelId": "A",
                "RotationId": "A", "EngagementId": "A", "PageId": "A", "ResourceARN": "A",
                "ContactArn": "A", "Alias": "a" });
            let t = actions::target(
                service,
                op,
                Input {
                    body: &body,
                    query: &[],
                    path_arn: Some("A"),
                },
                "111122223333",
                "us-east-1",
            )
            .unwrap();
            assert_eq!(t.action, format!("{}:{op}", service.prefix()));
            assert_eq!(t.read_only, actions::is_read_only(op));
            if t.resources == ["A"] {
                let named = [
                    "arn",
                    "responsePlanArn",
                    "incidentRecordArn",
                    "resourceArn",
                    "ContactId",
                    "ContactChannelId",
                    "RotationId",
                    "EngagementId",
                    "PageId",
                    "ResourceARN",
                    "ContactArn",
                ]
                .iter()
                .any(|n| has_member(m, op, n));
                assert!(named, "{op} reads a member its input does not have");
            }
        }
    }
}

#[test]
fn targets_read_the_request() {
    let t = |service, op: &str, body: Value, query: &[(String, String)]| {
        actions::target(
            service,
            op,
            Input {
                body: &body,
                query,
                path_arn: None,
            },
            "111122223333",
            "us-east-1",
        )
        .unwrap()
        .resources
    };
    let q = [(
        "arn".to_string(),
        "arn:aws:ssm-incidents::111122223333:incident-record/db/x".to_string(),
    )];
    assert_eq!(
        t(Service::Incidents, "GetIncidentRecord", Value::Null, &q),
        [q[0].1.clone()]
    );
    assert_eq!(
        t(
            Service::Incidents,
            "CreateResponsePlan",
            json!({ "name": "db" }),
            &[]
        ),
        ["arn:aws:ssm-incidents::111122223333:response-plan/db"]
    );
    assert_eq!(
        t(
            Service::Contacts,
            "CreateContact",
            json!({ "Alias": "alice" }),
            &[]
        ),
        ["arn:aws:ssm-contacts:us-east-1:111122223333:contact/alice"]
    );
    assert_eq!(
        t(Service::Incidents, "ListIncidentRecords", json!({}), &[]),
        ["*"]
    );
    assert_eq!(
        t(Service::Incidents, "UpdateResponsePlan", json!({}), &[]),
        ["*"],
        "absent member"
    );
    assert!(
        actions::target(
            Service::Contacts,
            "NoSuchOperation",
            Input {
                body: &Value::Null,
                query: &[],
                path_arn: None
            },
            "1",
            "r"
        )
        .is_none()
    );
}

#[test]
fn holders_follow_the_arn_layouts() {
    let plan = Holder::Plan {
        account: "111122223333".into(),
        name: "db".into(),
    };
    assert_eq!(
        share::holder("arn:aws:ssm-incidents::111122223333:response-plan/db"),
        Some(plan.clone())
    );
    assert_eq!(
        share::holder("arn:aws:ssm-incidents::111122223333:incident-record/db/x"),
        Some(plan)
    );
    let alice = Holder::Contact {
        account: "111122223333".into(),
        alias: "alice".into(),
    };
    for arn in [
        "arn:aws:ssm-contacts:us-east-1:111122223333:contact/alice",
        "arn:aws:ssm-contacts:us-east-1:111122223333:engagement/alice/e",
        "arn:aws:ssm-contacts:us-east-1:111122223333:page/alice/p",
        "arn:aws:ssm-contacts:us-east-1:111122223333:contact-channel/alice/c",
    ] {
        assert_eq!(share::holder(arn), Some(alice.clone()), "{arn}");
    }
    assert_eq!(
        share::holder("arn:aws:ssm-contacts:us-east-1:111122223333:rotation/r"),
        None
    );
    assert_eq!(share::holder("*"), None);
}

#[test]
fn consumers_use_and_view_only() {
    let b = Principal {
        account: "444455556666",
        arn: "arn:aws:iam::444455556666:user/AKIDB00000000001",
        org_id: None,
        org_path: None,
    };
    let c = Principal {
        account: "777788889999",
        arn: "arn:aws:iam::777788889999:user/AKIDC00000000001",
        org_id: None,
        org_path: None,
    };
    let doc = Policy::parse(&json!({
        "Version": "2012-10-17",
        "Statement": [{ "Effect": "Allow", "Principal": { "AWS": "arn:aws:iam::444455556666:root" },
            "Action": ["ssm-incidents:*"],
            "Resource": ["arn:aws:ssm-incidents:*:111122223333:response-plan/db",
                         "arn:aws:ssm-incidents:*:111122223333:incident-record/db/*"] }]
    }), Kind::Resource).unwrap();
    let plan = ["arn:aws:ssm-incidents::111122223333:response-plan/db".to_string()];
    let incident = ["arn:aws:ssm-incidents::111122223333:incident-record/db/x".to_string()];
    let policies = [doc];
    for (action, resources, who, want) in [
        ("ssm-incidents:StartIncident", &plan, b, Shared::Allowed),
        ("ssm-incidents:GetResponsePlan", &plan, b, Shared::Allowed),
        (
            "ssm-incidents:UpdateIncidentRecord",
            &incident,
            b,
            Shared::Allowed,
        ),
        (
            "ssm-incidents:UpdateResponsePlan",
            &plan,
            b,
            Shared::Refused,
        ),
        (
            "ssm-incidents:DeleteResponsePlan",
            &plan,
            b,
            Shared::Refused,
        ),
        (
            "ssm-incidents:DeleteTimelineEvent",
            &incident,
            b,
            Shared::Refused,
        ),
        ("ssm-incidents:PutResourcePolicy", &plan, b, Shared::Refused),
        ("ssm-incidents:StartIncident", &plan, c, Shared::NotShared),
    ] {
        assert_eq!(
            share::decide(&policies, action, resources, who),
            want,
            "{action} {}",
            who.account
        );
    }
    assert_eq!(
        share::decide(&[], "ssm-incidents:StartIncident", &plan, b),
        Shared::NotShared
    );
}
