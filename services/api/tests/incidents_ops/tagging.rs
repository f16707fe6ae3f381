//! Tags on plans, incidents and the replication set; resource policies on plans; findings;
//! `UpdateResponsePlan`.

use axum::http::StatusCode;
use serde_json::{Value, json};
use tocsin_testkit::Kind;

use crate::{ACCOUNT, Api, encode, on_both_backends, plan, start};

on_both_backends!(
    resources_are_tagged_and_untagged_within_the_rules,
    resource_policies_are_put_listed_and_deleted,
    findings_are_empty_and_well_formed,
    a_response_plan_is_updated_member_by_member
);

fn tags_path(arn: &str) -> String {
    format!("/tags/{}", encode(arn))
}

async fn tags(api: &Api, arn: &str) -> Value {
    api.call("GET", &tags_path(arn), &[], None)
        .await
        .ok(StatusCode::OK)["tags"]
        .clone()
}

async fn resources_are_tagged_and_untagged_within_the_rules(kind: Kind) {
    let api = Api::new(kind).await;
    let p = plan(&api, "db", None).await;
    let incident = start(&api, &p, "inc-1").await;
    for arn in [&p, &incident] {
        api.call(
            "POST",
            &tags_path(arn),
            &[],
            Some(json!({ "tags": { "team": "sre", "cost center": "42" } })),
        )
        .await
        .ok(StatusCode::NO_CONTENT);
        assert_eq!(
            tags(&api, arn).await,
            json!({ "team": "sre", "cost center": "42" })
        );
        api.call(
            "DELETE",
            &tags_path(arn),
            &[("tagKeys", "cost center"), ("tagKeys", "nope")],
            None,
        )
        .await
        .ok(StatusCode::NO_CONTENT);
        assert_eq!(tags(&api, arn).await, json!({ "team": "sre" }));
    }
    // Tagging keeps the rest of the plan.
    let got = api
        .get("/getResponsePlan", &[("arn", &p)])
        .await
        .ok(StatusCode::OK);
    assert_eq!(got["incidentTemplate"]["title"], "db trouble");

    let many: serde_json::Map<String, Value> =
        (0..50).map(|i| (format!("k{i}"), json!("v"))).collect();
    api.call("POST", &tags_path(&p), &[], Some(json!({ "tags": many })))
        .await
        .err(
            StatusCode::PAYMENT_REQUIRED,
            "ServiceQuotaExceededException",
        );
    api.call(
        "POST",
        &tags_path(&p),
        &[],
        Some(json!({ "tags": { "aws:owner": "me" } })),
    )
    .await
    .err(StatusCode::BAD_REQUEST, "ValidationException");
    let elsewhere = format!(
        "arn:aws:ssm-incidents::{}:response-plan/db",
        crate::OTHER_ACCOUNT
    );
    api.call("GET", &tags_path(&elsewhere), &[], None)
        .await
        .err(StatusCode::NOT_FOUND, "ResourceNotFoundException");
    let missing = format!("arn:aws:ssm-incidents::{ACCOUNT}:response-plan/none");
    api.call("GET", &tags_path(&missing), &[], None)
        .await
        .err(StatusCode::NOT_FOUND, "ResourceNotFoundException");
}

async fn resource_policies_are_put_listed_and_deleted(kind: Kind) {
    let api = Api::new(kind).await;
    let p = plan(&api, "db", None).await;
    let doc = json!({ "Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": { "AWS": "arn:aws:iam::210987654321:root" },
        "Action": ["ssm-incidents:GetResponsePlan", "ssm-incidents:StartIncident"],
        "Resource": [p.clone(), format!("arn:aws:ssm-incidents::{ACCOUNT}:incident-record/db/*")]
    }]})
    .to_string();
    let put = api
        .post(
            "/putResourcePolicy",
            json!({ "resourceArn": p, "policy": doc }),
        )
        .await
        .ok(StatusCode::OK);
    let id = put["policyId"].as_str().unwrap().to_string();
    let again = api
        .post(
            "/putResourcePolicy",
            json!({ "resourceArn": p, "policy": doc }),
        )
        .await
        .ok(StatusCode::OK);
    assert_eq!(
        again["policyId"],
        id.as_str(),
        "the same document is the same policy"
    );
    let listed = api
        .call(
            "POST",
            "/getResourcePolicies",
            &[("resourceArn", &p)],
            Some(json!({})),
        )
        .await
        .ok(StatusCode::OK);
    assert_eq!(
        listed["resourcePolicies"],
        json!([{ "policyDocument": doc, "policyId": id, "ramResourceShareRegion": "us-east-1" }])
    );
    let deny = doc.replace("\"Allow\"", "\"Deny\"");
    api.post(
        "/putResourcePolicy",
        json!({ "resourceArn": p, "policy": deny }),
    )
    .await
    .err(StatusCode::BAD_REQUEST, "ValidationException");
    api.post(
        "/deleteResourcePolicy",
        json!({ "resourceArn": p, "policyId": id }),
    )
    .await
    .ok(StatusCode::OK);
    api.post(
        "/deleteResourcePolicy",
        json!({ "resourceArn": p, "policyId": id }),
    )
    .await
    .err(StatusCode::NOT_FOUND, "ResourceNotFoundException");
    let missing = format!("arn:aws:ssm-incidents::{ACCOUNT}:response-plan/none");
    api.post(
        "/putResourcePolicy",
        json!({ "resourceArn": missing, "policy": doc }),
    )
    .await
    .err(StatusCode::NOT_FOUND, "ResourceNotFoundException");
}

async fn findings_are_empty_and_well_formed(kind: Kind) {
    let api = Api::new(kind).await;
    let p = plan(&api, "db", None).await;
    let incident = start(&api, &p, "inc-1").await;
    let listed = api
        .post(
            "/listIncidentFindings",
            json!({ "incidentRecordArn": incident }),
        )
        .await
        .ok(StatusCode::OK);
    assert_eq!(listed, json!({ "findings": [] }));
    let batch = api
        .post(
            "/batchGetIncidentFindings",
            json!({ "incidentRecordArn": incident, "findingIds": ["f-1"] }),
        )
        .await
        .ok(StatusCode::OK);
    assert_eq!(batch["findings"], json!([]));
    assert_eq!(batch["errors"][0]["findingId"], "f-1");
    assert_eq!(batch["errors"][0]["code"], "ResourceNotFoundException");
    let gone = incident.replace("/db/", "/none/");
    api.post(
        "/listIncidentFindings",
        json!({ "incidentRecordArn": gone }),
    )
    .await
    .err(StatusCode::NOT_FOUND, "ResourceNotFoundException");
    api.post(
        "/listIncidentFindings",
        json!({ "incidentRecordArn": incident, "maxResults": 21 }),
    )
    .await
    .err(StatusCode::BAD_REQUEST, "ValidationException");
}

async fn a_response_plan_is_updated_member_by_member(kind: Kind) {
    let api = Api::new(kind).await;
    let p = plan(&api, "db", Some("db-dedupe")).await;
    api.post(
        "/updateResponsePlan",
        json!({ "arn": p, "displayName": "Database", "incidentTemplateImpact": 1,
                "incidentTemplateTags": { "service": "db" },
                "chatChannel": { "empty": {} } }),
    )
    .await
    .ok(StatusCode::NO_CONTENT);
    let got = api
        .get("/getResponsePlan", &[("arn", &p)])
        .await
        .ok(StatusCode::OK);
    assert_eq!(got["displayName"], "Database");
    assert_eq!(got["incidentTemplate"]["impact"], 1);
    assert_eq!(got["incidentTemplate"]["title"], "db trouble", "untouched");
    assert_eq!(
        got["incidentTemplate"]["dedupeString"], "db-dedupe",
        "untouched"
    );
    assert_eq!(
        got["incidentTemplate"]["incidentTags"],
        json!({ "service": "db" })
    );
    assert_eq!(got["chatChannel"], json!({ "empty": {} }));
    api.post(
        "/updateResponsePlan",
        json!({ "arn": p, "incidentTemplateImpact": 9 }),
    )
    .await
    .err(StatusCode::BAD_REQUEST, "ValidationException");
    let missing = format!("arn:aws:ssm-incidents::{ACCOUNT}:response-plan/none");
    api.post(
        "/updateResponsePlan",
        json!({ "arn": missing, "displayName": "x" }),
    )
    .await
    .err(StatusCode::NOT_FOUND, "ResourceNotFoundException");
}
