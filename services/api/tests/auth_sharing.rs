//! Sharing across accounts, on both backends: a response plan shared with `PutResourcePolicy`
//! and a contact shared with `PutContactPolicy` are usable and viewable by the account their
//! policy names — not editable by it, and invisible to every other account.

mod auth_support;

use serde_json::json;
use tocsin_testkit::Kind;

use auth_support::{A, ADMIN_A, ADMIN_B, ADMIN_C, B, Server};

on_both_backends!(
    a_shared_response_plan_is_usable_not_editable,
    a_shared_contact_can_be_engaged_not_edited
);

async fn a_shared_response_plan_is_usable_not_editable(kind: Kind) -> anyhow::Result<()> {
    let s = Server::start(kind, None).await?;
    let plan = s.plan("payments").await;
    // Before sharing, B does not see the plan.
    s.get(ADMIN_B, "/getResponsePlan", &[("arn", &plan)])
        .await
        .err(404, "ResourceNotFoundException");
    // The RAM-style document of the user guide, naming account B.
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "ShareWithB",
            "Effect": "Allow",
            "Principal": { "AWS": format!("arn:aws:iam::{B}:root") },
            "Action": [
                "ssm-incidents:GetResponsePlan", "ssm-incidents:StartIncident",
                "ssm-incidents:UpdateIncidentRecord", "ssm-incidents:GetIncidentRecord",
                "ssm-incidents:CreateTimelineEvent", "ssm-incidents:UpdateTimelineEvent",
                "ssm-incidents:GetTimelineEvent", "ssm-incidents:ListTimelineEvents",
                "ssm-incidents:UpdateRelatedItems", "ssm-incidents:ListRelatedItems",
                "ssm-incidents:UpdateResponsePlan", "ssm-incidents:DeleteResponsePlan"
            ],
            "Resource": [
                format!("arn:aws:ssm-incidents:*:{A}:response-plan/payments"),
                format!("arn:aws:ssm-incidents:*:{A}:incident-record/payments/*")
            ]
        }]
    });
    s.post(
        ADMIN_A,
        "/putResourcePolicy",
        json!({ "resourceArn": plan, "policy": policy.to_string() }),
    )
    .await
    .ok();

    // B uses it: reads the plan, starts an incident (in the owner's account), follows it.
    let got = s
        .get(ADMIN_B, "/getResponsePlan", &[("arn", &plan)])
        .await
        .ok();
    assert_eq!(got["arn"], plan.as_str());
    let incident = s.start_incident(ADMIN_B, &plan, "b-1").await;
    assert!(
        incident.starts_with(&format!(
            "arn:aws:ssm-incidents::{A}:incident-record/payments/"
        )),
        "{incident}"
    );
    let record = s
        .get(ADMIN_B, "/getIncidentRecord", &[("arn", &incident)])
        .await
        .ok();
    assert_eq!(
        record["incidentRecord"]["incidentRecordSource"]["createdBy"],
        format!("arn:aws:iam::{B}:user/{}", ADMIN_B.id)
    );
    s.post(
        ADMIN_B,
        "/updateIncidentRecord",
        json!({ "arn": incident, "impact": 1 }),
    )
    .await
    .ok();
    // The owner sees it among its incidents.
    let mine = s
        .post(ADMIN_A, "/listIncidentRecords", json!({}))
        .await
        .ok();
    assert_eq!(mine["incidentRecordSummaries"][0]["arn"], incident.as_str());

    // B may not edit, delete or re-share the plan, whatever the document lists.
    for (path, body) in [
        (
            "/updateResponsePlan",
            json!({ "arn": plan, "displayName": "mine now" }),
        ),
        ("/deleteResponsePlan", json!({ "arn": plan })),
        (
            "/putResourcePolicy",
            json!({ "resourceArn": plan, "policy": policy.to_string() }),
        ),
        ("/deleteIncidentRecord", json!({ "arn": incident })),
    ] {
        s.post(ADMIN_B, path, body)
            .await
            .err(403, "AccessDeniedException");
    }
    s.get(ADMIN_A, "/getResponsePlan", &[("arn", &plan)])
        .await
        .ok();

    // C was not named: the plan and its incidents do not exist for it.
    s.get(ADMIN_C, "/getResponsePlan", &[("arn", &plan)])
        .await
        .err(404, "ResourceNotFoundException");
    s.get(ADMIN_C, "/getIncidentRecord", &[("arn", &incident)])
        .await
        .err(404, "ResourceNotFoundException");
    Ok(())
}

async fn a_shared_contact_can_be_engaged_not_edited(kind: Kind) -> anyhow::Result<()> {
    let s = Server::start(kind, None).await?;
    let alice = s
        .contacts(
            ADMIN_A,
            "CreateContact",
            json!({ "Alias": "alice", "DisplayName": "Alice", "Type": "PERSONAL", "Plan": { "Stages": [] } }),
        )
        .await
        .ok()["ContactArn"]
        .as_str()
        .unwrap()
        .to_string();
    let engage = json!({
        "ContactId": alice, "Sender": "team-b", "Subject": "Checkout down", "Content": "5xx"
    });
    s.contacts(ADMIN_B, "StartEngagement", engage.clone())
        .await
        .err(404, "ResourceNotFoundException");
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "AWS": [B] },
            "Action": ["ssm-contacts:GetContact", "ssm-contacts:StartEngagement",
                       "ssm-contacts:DescribeEngagement", "ssm-contacts:UpdateContact"],
            "Resource": [
                format!("arn:aws:ssm-contacts:*:{A}:contact/alice"),
                format!("arn:aws:ssm-contacts:*:{A}:engagement/alice/*")
            ]
        }]
    });
    s.contacts(
        ADMIN_A,
        "PutContactPolicy",
        json!({ "ContactArn": alice, "Policy": policy.to_string() }),
    )
    .await
    .ok();

    let engagement = s
        .contacts(ADMIN_B, "StartEngagement", engage.clone())
        .await
        .ok()["EngagementArn"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        engagement.contains(&format!(":{A}:engagement/alice/")),
        "{engagement}"
    );
    let described = s
        .contacts(
            ADMIN_B,
            "DescribeEngagement",
            json!({ "EngagementId": engagement }),
        )
        .await
        .ok();
    assert_eq!(described["Sender"], "team-b");
    let contact = s
        .contacts(ADMIN_B, "GetContact", json!({ "ContactId": alice }))
        .await
        .ok();
    assert_eq!(contact["Alias"], "alice");
    s.contacts(
        ADMIN_B,
        "UpdateContact",
        json!({ "ContactId": alice, "DisplayName": "Not Alice" }),
    )
    .await
    .err(403, "AccessDeniedException");
    s.contacts(ADMIN_B, "DeleteContact", json!({ "ContactId": alice }))
        .await
        .err(403, "AccessDeniedException");
    s.contacts(ADMIN_C, "StartEngagement", engage)
        .await
        .err(404, "ResourceNotFoundException");
    let owner = s
        .contacts(ADMIN_A, "GetContact", json!({ "ContactId": alice }))
        .await
        .ok();
    assert_eq!(owner["DisplayName"], "Alice");
    Ok(())
}
