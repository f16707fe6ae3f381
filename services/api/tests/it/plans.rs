//! Response plan CRUD.

use axum::http::StatusCode;
use serde_json::json;

use crate::{ACCOUNT, Api, plan};

#[tokio::test]
async fn a_plan_is_created_read_listed_and_deleted() {
    let api = Api::new().await;
    let body = json!({
        "name": "db",
        "displayName": "Database",
        "incidentTemplate": { "title": "Database down", "impact": 2, "dedupeString": "db" },
        "engagements": [format!("arn:aws:ssm-contacts:us-east-1:{ACCOUNT}:contact/alice")],
        "clientToken": "t-1"
    });
    let a = api.post("/createResponsePlan", body.clone()).await;
    assert_eq!(a.status, StatusCode::CREATED, "{a:?}");
    let arn = format!("arn:aws:ssm-incidents::{ACCOUNT}:response-plan/db");
    assert_eq!(a.body, json!({ "arn": arn }));
    // An SDK retry of the same call answers the same.
    assert_eq!(
        api.post("/createResponsePlan", body.clone()).await.status,
        StatusCode::CREATED
    );

    let g = api.get("/getResponsePlan", &arn).await;
    assert_eq!(g.status, StatusCode::OK, "{g:?}");
    assert_eq!(
        g.body,
        json!({
            "actions": [],
            "arn": arn,
            "displayName": "Database",
            "engagements": [format!("arn:aws:ssm-contacts:us-east-1:{ACCOUNT}:contact/alice")],
            "incidentTemplate": { "dedupeString": "db", "impact": 2, "title": "Database down" },
            "integrations": [],
            "name": "db"
        })
    );

    plan(&api, "api", None).await;
    let l = api
        .post("/listResponsePlans", json!({ "maxResults": 1 }))
        .await;
    assert_eq!(
        l.body["responsePlanSummaries"],
        json!([{ "arn": format!("arn:aws:ssm-incidents::{ACCOUNT}:response-plan/api"), "name": "api" }])
    );
    let token = l.body["nextToken"].as_str().unwrap();
    let l2 = api
        .post(
            "/listResponsePlans",
            json!({ "maxResults": 1, "nextToken": token }),
        )
        .await;
    assert_eq!(l2.body["responsePlanSummaries"][0]["name"], "db");
    assert!(l2.body.get("nextToken").is_none(), "{l2:?}");

    let d = api.post("/deleteResponsePlan", json!({ "arn": arn })).await;
    assert_eq!(
        (d.status, d.body),
        (StatusCode::NO_CONTENT, serde_json::Value::Null)
    );
    let g = api.get("/getResponsePlan", &arn).await;
    assert_eq!(g.status, StatusCode::NOT_FOUND);
    assert_eq!(g.error_type.as_deref(), Some("ResourceNotFoundException"));
}

#[tokio::test]
async fn a_different_plan_under_a_taken_name_conflicts() {
    let api = Api::new().await;
    plan(&api, "db", None).await;
    let a = api
        .post(
            "/createResponsePlan",
            json!({ "name": "db", "incidentTemplate": { "title": "other", "impact": 1 } }),
        )
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{a:?}");
    assert_eq!(a.error_type.as_deref(), Some("ConflictException"));
}

#[tokio::test]
async fn invalid_plans_name_the_field_and_rule() {
    let api = Api::new().await;
    for (body, needle) in [
        (
            json!({ "name": "has space", "incidentTemplate": { "title": "t", "impact": 1 } }),
            "name: must match",
        ),
        (
            json!({ "name": "ok", "incidentTemplate": { "title": "t", "impact": 9 } }),
            "incidentTemplate.impact: must be between 1 and 5",
        ),
        (json!({ "name": "ok" }), "incidentTemplate"),
        (
            json!({ "name": "ok", "incidentTemplate": { "title": 5, "impact": 1 } }),
            "incidentTemplate.title",
        ),
    ] {
        let a = api.post("/createResponsePlan", body.clone()).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{body}: {a:?}");
        assert_eq!(a.error_type.as_deref(), Some("ValidationException"));
        let m = a.body["message"].as_str().unwrap();
        assert!(m.contains(needle), "{body}: {m}");
    }
}
