//! `DeleteIncidentRecord`: the record and its timeline go, and its dedupe string is free.

use axum::http::StatusCode;
use serde_json::json;
use tocsin_testkit::Kind;

use crate::{Api, on_both_backends, plan, start};

on_both_backends!(a_deleted_incident_frees_its_dedupe_string);

async fn a_deleted_incident_frees_its_dedupe_string(kind: Kind) {
    let api = Api::new(kind).await;
    let p = plan(&api, "db", Some("db-down")).await;
    let first = start(&api, &p, "inc-1").await;
    assert_eq!(start(&api, &p, "inc-2").await, first, "merged while open");
    api.post("/deleteIncidentRecord", json!({ "arn": first }))
        .await
        .ok(StatusCode::NO_CONTENT);
    api.get("/getIncidentRecord", &[("arn", &first)])
        .await
        .err(StatusCode::NOT_FOUND, "ResourceNotFoundException");
    let events = api
        .post("/listTimelineEvents", json!({ "incidentRecordArn": first }))
        .await
        .ok(StatusCode::OK);
    assert_eq!(
        events,
        json!({ "eventSummaries": [] }),
        "the timeline went too"
    );
    let next = start(&api, &p, "inc-3").await;
    assert_ne!(next, first, "the dedupe string was freed");
    // Deleting what is gone, or another tenant's, answers the same: nothing to do.
    api.post("/deleteIncidentRecord", json!({ "arn": first }))
        .await
        .ok(StatusCode::NO_CONTENT);
    api.post_as_other("/deleteIncidentRecord", json!({ "arn": next }))
        .await
        .ok(StatusCode::NO_CONTENT);
    api.get("/getIncidentRecord", &[("arn", &next)])
        .await
        .ok(StatusCode::OK);
}
