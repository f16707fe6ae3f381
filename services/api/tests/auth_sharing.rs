//! Sharing across accounts, on both backends: a response plan shared with `PutResourcePolicy`
//! and a contact shared with `PutContactPolicy` are usable and viewable by the account their
//! policy names — not editable by it, and invisible to every other account.

mod auth_support;

use tocsin_testkit::on_both_backends;

use serde_json::json;
use tocsin_testkit::Kind;

use auth_support::{A, ADMIN_A, ADMIN_B, ADMIN_C, B, B_UNIT, ORG, Server, TestKey};

on_both_backends!(
    a_shared_response_plan_is_usable_not_editable,
    a_shared_contact_can_be_engaged_not_edited,
    listings_mix_in_what_is_shared_until_it_is_not,
    an_organisation_or_a_unit_can_be_shared_with
);

/// The ARNs `key` gets from `ListResponsePlans`, in order.
async fn plans_listed(s: &Server, key: TestKey) -> Vec<String> {
    let listed = s.post(key, "/listResponsePlans", json!({})).await.ok();
    listed["responsePlanSummaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["arn"].as_str().unwrap().to_string())
        .collect()
}

/// The ARNs `key` gets from `ListContacts`, in order.
async fn contacts_listed(s: &Server, key: TestKey) -> Vec<String> {
    let listed = s.contacts(key, "ListContacts", json!({})).await.ok();
    listed["Contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["ContactArn"].as_str().unwrap().to_string())
        .collect()
}

/// Puts `policy` on A's plan `plan` (as A's administrator); the answer (with its `policyId`).
async fn share(s: &Server, plan: &str, policy: &str) -> serde_json::Value {
    s.post(
        ADMIN_A,
        "/putResourcePolicy",
        json!({ "resourceArn": plan, "policy": policy }),
    )
    .await
    .ok()
}

/// A document sharing plan `name` of A (and its incidents) for use, with `principal` and
/// `condition`.
fn plan_policy(name: &str, principal: serde_json::Value, condition: serde_json::Value) -> String {
    let mut statement = json!({
        "Effect": "Allow",
        "Principal": principal,
        "Action": ["ssm-incidents:GetResponsePlan", "ssm-incidents:StartIncident",
                   "ssm-incidents:GetIncidentRecord"],
        "Resource": [
            format!("arn:aws:ssm-incidents:*:{A}:response-plan/{name}"),
            format!("arn:aws:ssm-incidents:*:{A}:incident-record/{name}/*")
        ]
    });
    if !condition.is_null() {
        statement["Condition"] = condition;
    }
    json!({ "Version": "2012-10-17", "Statement": [statement] }).to_string()
}

async fn listings_mix_in_what_is_shared_until_it_is_not(kind: Kind) -> anyhow::Result<()> {
    let s = Server::start(kind, None).await?;
    let shared = s.plan("payments").await;
    let unshared = s.plan("internal").await;
    let own_b = s
        .post(
            ADMIN_B,
            "/createResponsePlan",
            json!({ "name": "b-own", "incidentTemplate": { "title": "B", "impact": 3 } }),
        )
        .await
        .ok()["arn"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        plans_listed(&s, ADMIN_B).await,
        std::slice::from_ref(&own_b)
    );
    let policy = plan_policy("payments", json!({ "AWS": B }), json!(null));
    let put = share(&s, &shared, &policy).await;
    // B sees its own plan and A's shared one mixed (A's account sorts first), not A's other.
    assert_eq!(
        plans_listed(&s, ADMIN_B).await,
        [shared.clone(), own_b.clone()]
    );
    // Paged one at a time, the same two.
    let first = s
        .post(ADMIN_B, "/listResponsePlans", json!({ "maxResults": 1 }))
        .await
        .ok();
    assert_eq!(first["responsePlanSummaries"][0]["arn"], shared.as_str());
    let second = s
        .post(
            ADMIN_B,
            "/listResponsePlans",
            json!({ "maxResults": 1, "nextToken": first["nextToken"] }),
        )
        .await
        .ok();
    assert_eq!(second["responsePlanSummaries"][0]["arn"], own_b.as_str());
    assert!(second.get("nextToken").is_none(), "{second}");
    // The owner's list is its own; C, not named, sees nothing of A's.
    assert_eq!(
        plans_listed(&s, ADMIN_A).await,
        [unshared.clone(), shared.clone()]
    );
    assert!(plans_listed(&s, ADMIN_C).await.is_empty());

    // Sharing stops: the plan leaves B's list.
    s.post(
        ADMIN_A,
        "/deleteResourcePolicy",
        json!({ "resourceArn": shared, "policyId": put["policyId"] }),
    )
    .await
    .ok();
    assert_eq!(
        plans_listed(&s, ADMIN_B).await,
        std::slice::from_ref(&own_b)
    );
    // Shared again, then the plan deleted and created anew under its name: the new plan is
    // not shared (its predecessor's policies went with it).
    share(&s, &shared, &policy).await;
    assert_eq!(plans_listed(&s, ADMIN_B).await.len(), 2);
    s.post(ADMIN_A, "/deleteResponsePlan", json!({ "arn": shared }))
        .await
        .ok();
    assert_eq!(s.plan("payments").await, shared);
    assert_eq!(plans_listed(&s, ADMIN_B).await, [own_b]);
    s.get(ADMIN_B, "/getResponsePlan", &[("arn", &shared)])
        .await
        .err(404, "ResourceNotFoundException");

    // Contacts: the same mix in ListContacts, filters included.
    let alice = s.contact(ADMIN_A, "alice").await;
    let bob = s.contact(ADMIN_B, "bob").await;
    assert_eq!(
        contacts_listed(&s, ADMIN_B).await,
        std::slice::from_ref(&bob)
    );
    let policy = json!({ "Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": { "AWS": [B] },
        "Action": ["ssm-contacts:GetContact", "ssm-contacts:StartEngagement"],
        "Resource": format!("arn:aws:ssm-contacts:*:{A}:contact/alice") }] });
    s.contacts(
        ADMIN_A,
        "PutContactPolicy",
        json!({ "ContactArn": alice, "Policy": policy.to_string() }),
    )
    .await
    .ok();
    assert_eq!(
        contacts_listed(&s, ADMIN_B).await,
        [alice.clone(), bob.clone()]
    );
    let filtered = s
        .contacts(ADMIN_B, "ListContacts", json!({ "AliasPrefix": "al" }))
        .await
        .ok();
    assert_eq!(filtered["Contacts"][0]["ContactArn"], alice.as_str());
    assert_eq!(filtered["Contacts"].as_array().unwrap().len(), 1);
    assert!(contacts_listed(&s, ADMIN_C).await.is_empty());
    s.contacts(ADMIN_A, "DeleteContact", json!({ "ContactId": alice }))
        .await
        .ok();
    assert_eq!(contacts_listed(&s, ADMIN_B).await, [bob]);
    Ok(())
}

async fn an_organisation_or_a_unit_can_be_shared_with(kind: Kind) -> anyhow::Result<()> {
    let s = Server::start(kind, None).await?;
    // The whole organisation (A and B are in it, C is not).
    let whole = s.plan("org-wide").await;
    let policy = plan_policy(
        "org-wide",
        json!("*"),
        json!({ "StringEquals": { "aws:PrincipalOrgID": ORG } }),
    );
    share(&s, &whole, &policy).await;
    s.get(ADMIN_B, "/getResponsePlan", &[("arn", &whole)])
        .await
        .ok();
    let incident = s.start_incident(ADMIN_B, &whole, "org-1").await;
    assert!(incident.contains(&format!(":{A}:incident-record/org-wide/")));
    assert_eq!(
        plans_listed(&s, ADMIN_B).await,
        std::slice::from_ref(&whole)
    );
    // Outside the organisation the plan does not exist.
    s.get(ADMIN_C, "/getResponsePlan", &[("arn", &whole)])
        .await
        .err(404, "ResourceNotFoundException");
    s.post(
        ADMIN_C,
        "/startIncident",
        json!({ "responsePlanArn": whole, "clientToken": "c-1" }),
    )
    .await
    .err(400, "ValidationException");
    assert!(plans_listed(&s, ADMIN_C).await.is_empty());

    // One organisational unit: B's, by path; then a sibling unit, which B is not in.
    let unit = s.plan("unit-only").await;
    let policy = plan_policy(
        "unit-only",
        json!("*"),
        json!({ "ForAnyValue:StringLike": { "aws:PrincipalOrgPaths": [format!("{B_UNIT}*")] } }),
    );
    share(&s, &unit, &policy).await;
    s.get(ADMIN_B, "/getResponsePlan", &[("arn", &unit)])
        .await
        .ok();
    let sibling = s.plan("sibling-unit").await;
    let policy = plan_policy(
        "sibling-unit",
        json!("*"),
        json!({ "ForAnyValue:StringLike": {
            "aws:PrincipalOrgPaths": [format!("{ORG}/r-ab12/ou-ab12-22222222/*")] } }),
    );
    share(&s, &sibling, &policy).await;
    s.get(ADMIN_B, "/getResponsePlan", &[("arn", &sibling)])
        .await
        .err(404, "ResourceNotFoundException");
    let mut want = vec![whole, unit.clone()];
    want.sort();
    assert_eq!(plans_listed(&s, ADMIN_B).await, want);
    s.get(ADMIN_C, "/getResponsePlan", &[("arn", &unit)])
        .await
        .err(404, "ResourceNotFoundException");
    Ok(())
}

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
    share(&s, &plan, &policy.to_string()).await;

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
