//! StartIncident, GetIncidentRecord, ListIncidentRecords, UpdateIncidentRecord and
//! ListTimelineEvents round trips.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::signer::Signer;
use crate::{ACCOUNT, Api, OTHER_KEY_ID, OTHER_SECRET, plan};
use tocsin_core::clock::Clock;

async fn start(api: &Api, plan_arn: &str, token: &str, title: &str) -> String {
    let a = api
        .post(
            "/startIncident",
            json!({ "responsePlanArn": plan_arn, "clientToken": token, "title": title }),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{a:?}");
    a.body["incidentRecordArn"].as_str().unwrap().to_string()
}

async fn list(api: &Api, body: Value) -> Value {
    let a = api.post("/listIncidentRecords", body).await;
    assert_eq!(a.status, StatusCode::OK, "{a:?}");
    a.body
}

#[tokio::test]
async fn start_incident_is_idempotent_by_client_token() {
    let api = Api::new().await;
    let p = plan(&api, "db", None).await;
    let first = start(&api, &p, "token-1", "disk full").await;
    assert!(
        first.starts_with(&format!(
            "arn:aws:ssm-incidents::{ACCOUNT}:incident-record/db/"
        )),
        "{first}"
    );
    assert_eq!(start(&api, &p, "token-1", "disk full").await, first);
    let other = start(&api, &p, "token-2", "disk full").await;
    assert_ne!(other, first);
    let l = list(&api, json!({})).await;
    assert_eq!(
        l["incidentRecordSummaries"].as_array().unwrap().len(),
        2,
        "{l}"
    );
}

#[tokio::test]
async fn start_incident_checks_its_input() {
    let api = Api::new().await;
    let missing = format!("arn:aws:ssm-incidents::{ACCOUNT}:response-plan/none");
    let a = api
        .post("/startIncident", json!({ "responsePlanArn": missing }))
        .await;
    assert_eq!(
        a.error_type.as_deref(),
        Some("ResourceNotFoundException"),
        "{a:?}"
    );
    let p = plan(&api, "db", None).await;
    let a = api
        .post(
            "/startIncident",
            json!({ "responsePlanArn": p, "impact": 7 }),
        )
        .await;
    assert_eq!(
        a.error_type.as_deref(),
        Some("ValidationException"),
        "{a:?}"
    );
    assert!(
        a.body["message"].as_str().unwrap().starts_with("impact:"),
        "{a:?}"
    );
    let a = api.post("/startIncident", json!({ "title": "x" })).await;
    assert!(
        a.body["message"]
            .as_str()
            .unwrap()
            .contains("responsePlanArn"),
        "{a:?}"
    );
}

#[tokio::test]
async fn incidents_are_read_listed_updated_and_resolved() {
    let api = Api::new().await;
    let p = plan(&api, "db", None).await;
    let first = start(&api, &p, "t1", "first").await;
    api.clock.advance(chrono::Duration::seconds(30));
    let second = start(&api, &p, "t2", "second").await;

    let g = api.get("/getIncidentRecord", &first).await;
    assert_eq!(g.status, StatusCode::OK, "{g:?}");
    let r = &g.body["incidentRecord"];
    assert_eq!(r["arn"], first.as_str());
    assert_eq!(r["title"], "first");
    assert_eq!(r["status"], "OPEN");
    assert_eq!(r["impact"], 3);
    assert_eq!(r["creationTime"], json!(1_772_355_600));
    assert_eq!(
        r["incidentRecordSource"]["createdBy"],
        format!("arn:aws:iam::{ACCOUNT}:user/{}", crate::KEY_ID)
    );
    assert!(
        r.get("responsePlanArn").is_none() && r.get("resolvedTime").is_none(),
        "{r}"
    );

    // Newest first, one per page.
    let page1 = list(&api, json!({ "maxResults": 1 })).await;
    assert_eq!(page1["incidentRecordSummaries"][0]["arn"], second.as_str());
    let token = page1["nextToken"].as_str().unwrap();
    let page2 = list(&api, json!({ "maxResults": 1, "nextToken": token })).await;
    assert_eq!(page2["incidentRecordSummaries"][0]["arn"], first.as_str());
    assert!(page2.get("nextToken").is_none(), "{page2}");

    // A field update, then the resolution.
    let u = api
        .post(
            "/updateIncidentRecord",
            json!({ "arn": first, "title": "renamed", "impact": 1 }),
        )
        .await;
    assert_eq!(u.status, StatusCode::NO_CONTENT, "{u:?}");
    api.clock.advance(chrono::Duration::seconds(60));
    let u = api
        .post(
            "/updateIncidentRecord",
            json!({ "arn": first, "status": "RESOLVED" }),
        )
        .await;
    assert_eq!(u.status, StatusCode::NO_CONTENT, "{u:?}");
    // Repeating it is harmless.
    let u = api
        .post(
            "/updateIncidentRecord",
            json!({ "arn": first, "status": "RESOLVED" }),
        )
        .await;
    assert_eq!(u.status, StatusCode::NO_CONTENT, "{u:?}");
    let r = api.get("/getIncidentRecord", &first).await.body["incidentRecord"].clone();
    assert_eq!(
        (r["title"].clone(), r["impact"].clone(), r["status"].clone()),
        (json!("renamed"), json!(1), json!("RESOLVED"))
    );
    assert_eq!(r["resolvedTime"], json!(1_772_355_690));
    let reopen = api
        .post(
            "/updateIncidentRecord",
            json!({ "arn": first, "status": "OPEN" }),
        )
        .await;
    assert_eq!(
        reopen.error_type.as_deref(),
        Some("ValidationException"),
        "{reopen:?}"
    );

    let open = list(&api, json!({ "filters": [{ "key": "status", "condition": { "equals": { "stringValues": ["OPEN"] } } }] })).await;
    let arns: Vec<_> = open["incidentRecordSummaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["arn"].clone())
        .collect();
    assert_eq!(arns, [json!(second)]);
    let bad = api.post("/listIncidentRecords", json!({ "filters": [{ "key": "color", "condition": { "equals": { "stringValues": ["x"] } } }] })).await;
    assert!(
        bad.body["message"]
            .as_str()
            .unwrap()
            .starts_with("filters[0].key:"),
        "{bad:?}"
    );

    // The timeline: trigger, creation, resolution.
    let t = api
        .post("/listTimelineEvents", json!({ "incidentRecordArn": first }))
        .await;
    assert_eq!(t.status, StatusCode::OK, "{t:?}");
    let types: Vec<_> = t.body["eventSummaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["eventType"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        types,
        [
            "SSM Incident Trigger",
            "Incident Created",
            "Incident Resolved"
        ],
        "{t:?}"
    );
    let e = &t.body["eventSummaries"][0];
    assert_eq!(e["incidentRecordArn"], first.as_str());
    assert!(
        e["eventTime"].is_number() && e.get("eventData").is_none(),
        "{e}"
    );
    let desc = api
        .post(
            "/listTimelineEvents",
            json!({ "incidentRecordArn": first, "sortOrder": "DESCENDING", "maxResults": 1 }),
        )
        .await;
    assert_eq!(
        desc.body["eventSummaries"][0]["eventType"],
        "Incident Resolved"
    );
    let token = desc.body["nextToken"].as_str().unwrap();
    let desc2 = api.post("/listTimelineEvents", json!({ "incidentRecordArn": first, "sortOrder": "DESCENDING", "maxResults": 1, "nextToken": token })).await;
    // Trigger and creation share a time; either may come next, never the resolution again.
    assert_ne!(
        desc2.body["eventSummaries"][0]["eventType"],
        "Incident Resolved"
    );
    assert!(desc2.body["nextToken"].is_string(), "{desc2:?}");
    let only = api.post("/listTimelineEvents", json!({ "incidentRecordArn": first, "filters": [{ "key": "eventType", "condition": { "equals": { "stringValues": ["Incident Created"] } } }] })).await;
    assert_eq!(
        only.body["eventSummaries"].as_array().unwrap().len(),
        1,
        "{only:?}"
    );
}

#[tokio::test]
async fn another_account_sees_nothing() {
    let api = Api::new().await;
    let p = plan(&api, "db", None).await;
    let arn = start(&api, &p, "t1", "mine").await;
    let other = Signer::new(OTHER_KEY_ID, OTHER_SECRET);
    let a = api
        .send(other.get("/getIncidentRecord", &[("arn", &arn)], api.clock.now()))
        .await;
    assert_eq!(
        a.error_type.as_deref(),
        Some("ResourceNotFoundException"),
        "{a:?}"
    );
    let a = api
        .send(other.post("/listIncidentRecords", &json!({}), api.clock.now()))
        .await;
    assert_eq!(a.body, json!({ "incidentRecordSummaries": [] }));
    let a = api
        .send(other.post(
            "/startIncident",
            &json!({ "responsePlanArn": p }),
            api.clock.now(),
        ))
        .await;
    assert_eq!(
        a.error_type.as_deref(),
        Some("ValidationException"),
        "{a:?}"
    );
    let a = api
        .send(other.post(
            "/updateIncidentRecord",
            &json!({ "arn": arn, "status": "RESOLVED" }),
            api.clock.now(),
        ))
        .await;
    assert_eq!(
        a.error_type.as_deref(),
        Some("ResourceNotFoundException"),
        "{a:?}"
    );
}
