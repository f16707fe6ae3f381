//! The audit log, on both backends: every call of both APIs — reads and refusals included —
//! is one CloudTrail-shaped event in the account's stream, with no secret in it, and the log
//! is queryable by name, errors and pages.

mod auth_support;

use tocsin_testkit::on_both_backends;

use serde_json::{Value, json};
use tocsin_api::audit::query::{Query, query};
use tocsin_testkit::Kind;

use auth_support::{A, ADMIN_A, ADMIN_B, B, RESOLVER_A, Server};

on_both_backends!(
    every_call_lands_in_the_audit_stream_without_secrets,
    native_calls_are_audited_and_queryable
);

fn named<'a>(events: &'a [Value], name: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["eventName"] == name).collect()
}

async fn every_call_lands_in_the_audit_stream_without_secrets(kind: Kind) -> anyhow::Result<()> {
    let s = Server::start(kind, None).await?;
    let plan = s.plan("db").await;
    let started = s
        .post(
            ADMIN_A,
            "/startIncident",
            json!({ "responsePlanArn": plan, "clientToken": "audit-1" }),
        )
        .await;
    let request_id = started.request_id.clone().expect("x-amzn-RequestId");
    let incident = started.ok()["incidentRecordArn"]
        .as_str()
        .unwrap()
        .to_string();
    s.get(ADMIN_A, "/getIncidentRecord", &[("arn", &incident)])
        .await
        .ok();
    s.post(RESOLVER_A, "/deleteResponsePlan", json!({ "arn": plan }))
        .await
        .err(403, "AccessDeniedException");
    let alice = s.contact(ADMIN_A, "alice").await;
    s.contacts(
        ADMIN_A,
        "CreateContactChannel",
        json!({ "ContactId": alice, "Name": "sms", "Type": "SMS",
                "DeliveryAddress": { "SimpleAddress": "+15555550199" }, "DeferActivation": true }),
    )
    .await
    .ok();
    let page = format!("arn:aws:ssm-contacts:us-east-1:{A}:page/alice/no-such-page");
    s.contacts(
        ADMIN_A,
        "AcceptPage",
        json!({ "PageId": page, "AcceptType": "READ", "AcceptCode": "918273" }),
    )
    .await
    .err(404, "ResourceNotFoundException");
    // B's own call goes to B's stream only.
    s.post(ADMIN_B, "/listResponsePlans", json!({})).await.ok();

    let events = s.audit(A).await;
    let text = serde_json::to_string(&events)?;
    for secret in [ADMIN_A.secret, RESOLVER_A.secret, "+15555550199", "918273"] {
        assert!(!text.contains(secret), "{secret} leaked into {text}");
    }
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["eventName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "AcceptPage",
            "CreateContactChannel",
            "CreateContact",
            "DeleteResponsePlan",
            "GetIncidentRecord",
            "StartIncident",
            "CreateResponsePlan"
        ],
        "newest first, B's call not among them"
    );
    let start = named(&events, "StartIncident")[0];
    assert_eq!(start["eventVersion"], "1.08");
    assert_eq!(start["eventSource"], "ssm-incidents.amazonaws.com");
    assert_eq!(start["eventType"], "AwsApiCall");
    assert_eq!(start["eventTime"], "2026-03-03T09:00:00Z");
    assert_eq!(start["awsRegion"], "us-east-1");
    assert_eq!(start["sourceIPAddress"], "127.0.0.1");
    assert_eq!(start["userAgent"], "auth-suite/1.0");
    assert_eq!(start["requestID"], request_id.as_str());
    assert_eq!(start["readOnly"], false);
    assert_eq!(start["recipientAccountId"], A);
    assert_eq!(start["userIdentity"]["type"], "IAMUser");
    assert_eq!(start["userIdentity"]["accountId"], A);
    assert_eq!(start["userIdentity"]["accessKeyId"], ADMIN_A.id);
    assert_eq!(
        start["userIdentity"]["arn"],
        format!("arn:aws:iam::{A}:user/{}", ADMIN_A.id)
    );
    assert_eq!(start["requestParameters"]["responsePlanArn"], plan.as_str());
    assert_eq!(start["requestParameters"]["clientToken"], "audit-1");
    assert_eq!(
        start["responseElements"]["incidentRecordArn"],
        incident.as_str()
    );
    assert!(start.get("errorCode").is_none());
    let get = named(&events, "GetIncidentRecord")[0];
    assert_eq!(get["readOnly"], true);
    assert_eq!(get["requestParameters"]["arn"], incident.as_str());
    assert_eq!(get["responseElements"], Value::Null);
    let refused = named(&events, "DeleteResponsePlan")[0];
    assert_eq!(refused["errorCode"], "AccessDeniedException");
    assert!(
        refused["errorMessage"]
            .as_str()
            .unwrap()
            .contains("not authorized")
    );
    assert_eq!(refused["userIdentity"]["accessKeyId"], RESOLVER_A.id);
    let channel = named(&events, "CreateContactChannel")[0];
    assert_eq!(channel["eventSource"], "ssm-contacts.amazonaws.com");
    assert_eq!(
        channel["requestParameters"]["DeliveryAddress"]["SimpleAddress"],
        "HIDDEN_DUE_TO_SECURITY_REASONS"
    );
    let accept = named(&events, "AcceptPage")[0];
    assert_eq!(
        accept["requestParameters"]["AcceptCode"],
        "HIDDEN_DUE_TO_SECURITY_REASONS"
    );
    assert_eq!(accept["errorCode"], "ResourceNotFoundException");
    assert!(
        events
            .iter()
            .all(|e| e["eventID"].as_str().is_some_and(|id| !id.is_empty()))
    );

    let theirs = s.audit(B).await;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0]["eventName"], "ListResponsePlans");

    // Filters and pages.
    let store = &s.ctx.store;
    let errors = query(
        store,
        A,
        &Query {
            errors_only: true,
            limit: 10,
            ..Default::default()
        },
    )
    .await?;
    assert_eq!(errors.events.len(), 2);
    let by_name = query(
        store,
        A,
        &Query {
            name: Some("startincident".into()),
            limit: 10,
            ..Default::default()
        },
    )
    .await?;
    assert_eq!(by_name.events.len(), 1);
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = query(
            store,
            A,
            &Query {
                limit: 3,
                next_token: token,
                ..Default::default()
            },
        )
        .await?;
        seen.extend(page.events.iter().map(|e| e["eventID"].clone()));
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    let all: Vec<Value> = events.iter().map(|e| e["eventID"].clone()).collect();
    assert_eq!(seen, all, "pages cover the log once, in order");
    let later = query(
        store,
        A,
        &Query {
            since: Some(tocsin_core::clock::Clock::now(&*s.clock) + chrono::TimeDelta::seconds(1)),
            limit: 10,
            ..Default::default()
        },
    )
    .await?;
    assert!(later.events.is_empty());
    Ok(())
}

async fn native_calls_are_audited_and_queryable(kind: Kind) -> anyhow::Result<()> {
    let token = "native-token-0123456789";
    let s = Server::start(kind, Some(token)).await?;
    let (status, _) = s.native(token, "/v1/incidents").await;
    assert_eq!(status, 200);
    let (status, _) = s.native("not-the-token-at-all", "/v1/incidents").await;
    assert_eq!(status, 401);
    let (status, _) = s.native(token, "/v1/pages/nope").await;
    assert_eq!(status, 404);
    let (status, page) = s
        .native(token, "/v1/audit?eventName=ListIncidents&maxResults=5")
        .await;
    assert_eq!(status, 200, "{page}");
    let events = page["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "the refused call is not stored: {page}");
    let e = &events[0];
    assert_eq!(e["eventSource"], "tocsin.native");
    assert_eq!(e["userIdentity"]["type"], "TocsinApiToken");
    assert_eq!(e["readOnly"], true);
    assert_eq!(e["recipientAccountId"], A);
    let (_, errors) = s.native(token, "/v1/audit?errors=true").await;
    let errors = errors["events"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["eventName"], "GetPage");
    assert_eq!(errors[0]["errorCode"], "ResourceNotFoundException");
    let (status, bad) = s.native(token, "/v1/audit?since=yesterday").await;
    assert_eq!(status, 400, "{bad}");
    // The lookups themselves are audited.
    let all = s.audit(A).await;
    assert_eq!(all[0]["eventName"], "LookupEvents");
    assert!(!serde_json::to_string(&all)?.contains(token));
    Ok(())
}
