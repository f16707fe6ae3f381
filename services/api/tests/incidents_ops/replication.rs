//! The replication set: one per account, 1–3 regions, a region leaves only when 24 hours old,
//! deletion protection, and deleting the set deleting the account's Incident Manager data.

use axum::http::StatusCode;
use chrono::Duration;
use serde_json::json;
use tocsin_testkit::Kind;

use crate::{ACCOUNT, Api, on_both_backends, plan};

on_both_backends!(a_replication_set_lives_by_its_rules);

async fn a_replication_set_lives_by_its_rules(kind: Kind) {
    let api = Api::new(kind).await;
    let none = api
        .post("/listReplicationSets", json!({}))
        .await
        .ok(StatusCode::OK);
    assert_eq!(
        none,
        json!({ "replicationSetArns": [] }),
        "a fresh account has no set"
    );

    let create =
        json!({ "regions": { "us-east-1": {} }, "clientToken": "rs-1", "tags": { "team": "sre" } });
    let created = api
        .post("/createReplicationSet", create.clone())
        .await
        .ok(StatusCode::CREATED);
    let arn = created["arn"].as_str().unwrap().to_string();
    assert!(
        arn.starts_with(&format!(
            "arn:aws:ssm-incidents::{ACCOUNT}:replication-set/"
        )),
        "{arn}"
    );
    // A retry answers the same set; any other create finds the account's one set.
    let again = api
        .post("/createReplicationSet", create)
        .await
        .ok(StatusCode::CREATED);
    assert_eq!(again["arn"], arn.as_str());
    api.post(
        "/createReplicationSet",
        json!({ "regions": { "eu-west-1": {} } }),
    )
    .await
    .err(StatusCode::CONFLICT, "ConflictException");
    api.post("/createReplicationSet", json!({ "regions": {} }))
        .await
        .err(StatusCode::BAD_REQUEST, "ValidationException");

    let update = |action: serde_json::Value| json!({ "arn": arn, "actions": [action] });
    api.post(
        "/updateReplicationSet",
        update(
            json!({ "addRegionAction": { "regionName": "us-west-2", "sseKmsKeyId": "alias/ir" } }),
        ),
    )
    .await
    .ok(StatusCode::NO_CONTENT);
    let got = api
        .get("/getReplicationSet", &[("arn", &arn)])
        .await
        .ok(StatusCode::OK);
    let set = &got["replicationSet"];
    assert_eq!(set["status"], "ACTIVE");
    assert_eq!(set["deletionProtected"], false);
    assert_eq!(set["regionMap"]["us-west-2"]["sseKmsKeyId"], "alias/ir");
    assert_eq!(set["regionMap"]["us-east-1"]["sseKmsKeyId"], "DefaultKey");
    assert_eq!(set["regionMap"]["us-east-1"]["status"], "ACTIVE");

    let delete_west = update(json!({ "deleteRegionAction": { "regionName": "us-west-2" } }));
    api.clock.advance(Duration::hours(23));
    let early = api.post("/updateReplicationSet", delete_west.clone()).await;
    early.err(StatusCode::BAD_REQUEST, "ValidationException");
    assert!(
        early.body["message"].as_str().unwrap().contains("24 hours"),
        "{early:?}"
    );
    api.clock.advance(Duration::hours(1));
    api.post("/updateReplicationSet", delete_west)
        .await
        .ok(StatusCode::NO_CONTENT);
    api.post(
        "/updateReplicationSet",
        update(json!({ "deleteRegionAction": { "regionName": "us-east-1" } })),
    )
    .await
    .err(StatusCode::BAD_REQUEST, "ValidationException");

    api.post(
        "/updateDeletionProtection",
        json!({ "arn": arn, "deletionProtected": true }),
    )
    .await
    .ok(StatusCode::NO_CONTENT);
    let query = [("arn", arn.as_str())];
    let delete = || api.call("POST", "/deleteReplicationSet", &query, None);
    let refused = delete().await;
    refused.err(StatusCode::BAD_REQUEST, "ValidationException");
    assert!(
        refused.body["message"]
            .as_str()
            .unwrap()
            .contains("deletion protection")
    );
    api.post(
        "/updateDeletionProtection",
        json!({ "arn": arn, "deletionProtected": false }),
    )
    .await
    .ok(StatusCode::NO_CONTENT);

    let p = plan(&api, "db", None).await;
    delete().await.ok(StatusCode::NO_CONTENT);
    api.get("/getReplicationSet", &[("arn", &arn)])
        .await
        .err(StatusCode::NOT_FOUND, "ResourceNotFoundException");
    api.get("/getResponsePlan", &[("arn", &p)])
        .await
        .err(StatusCode::NOT_FOUND, "ResourceNotFoundException");
    // The other tenant never saw it, and can have its own.
    api.post_as_other(
        "/createReplicationSet",
        json!({ "regions": { "us-east-1": {} } }),
    )
    .await
    .ok(StatusCode::CREATED);
}
