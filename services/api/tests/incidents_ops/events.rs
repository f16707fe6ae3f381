//! Custom timeline events: create (idempotent by client token), get, update, delete, and the
//! events Tocsin wrote itself staying as written.

use axum::http::StatusCode;
use chrono::Duration;
use serde_json::json;
use tocsin_core::clock::Clock;
use tocsin_testkit::Kind;

use crate::{Api, on_both_backends, plan, start};

on_both_backends!(
    a_custom_event_is_created_once_read_updated_and_deleted,
    system_events_and_bad_types_are_refused
);

async fn a_custom_event_is_created_once_read_updated_and_deleted(kind: Kind) {
    let api = Api::new(kind).await;
    let p = plan(&api, "db", None).await;
    let incident = start(&api, &p, "inc-1").await;
    let at = api.clock.now().timestamp() - 60;
    let create = json!({
        "incidentRecordArn": incident,
        "eventTime": at,
        "eventType": "Custom Event",
        "eventData": "\"failover started\"",
        "clientToken": "ev-1",
        "eventReferences": [{ "resource": "arn:aws:rds:us-east-1:123456789012:db:primary" }]
    });
    let created = api
        .post("/createTimelineEvent", create.clone())
        .await
        .ok(StatusCode::CREATED);
    let id = created["eventId"].as_str().unwrap().to_string();
    assert_eq!(created["incidentRecordArn"], incident.as_str());
    // A retry with the same token finds the same event and adds nothing.
    let again = api
        .post("/createTimelineEvent", create)
        .await
        .ok(StatusCode::CREATED);
    assert_eq!(again["eventId"], id.as_str());
    let listed = api
        .post(
            "/listTimelineEvents",
            json!({ "incidentRecordArn": incident, "filters": [
                { "key": "eventType", "condition": { "equals": { "stringValues": ["Custom Event"] } } }
            ] }),
        )
        .await
        .ok(StatusCode::OK);
    assert_eq!(
        listed["eventSummaries"].as_array().unwrap().len(),
        1,
        "{listed}"
    );

    let q = [
        ("eventId", id.as_str()),
        ("incidentRecordArn", incident.as_str()),
    ];
    let got = api.get("/getTimelineEvent", &q).await.ok(StatusCode::OK);
    assert_eq!(got["event"]["eventData"], "\"failover started\"");
    assert_eq!(got["event"]["eventTime"], at);
    assert_eq!(
        got["event"]["eventReferences"][0]["resource"],
        "arn:aws:rds:us-east-1:123456789012:db:primary"
    );

    api.clock.advance(Duration::minutes(5));
    api.post(
        "/updateTimelineEvent",
        json!({ "incidentRecordArn": incident, "eventId": id, "eventData": "\"failover done\"", "eventType": "Note" }),
    )
    .await
    .ok(StatusCode::NO_CONTENT);
    let got = api.get("/getTimelineEvent", &q).await.ok(StatusCode::OK);
    assert_eq!(got["event"]["eventData"], "\"failover done\"");
    assert_eq!(got["event"]["eventType"], "Note");
    assert_eq!(
        got["event"]["eventTime"], at,
        "the time was not asked to change"
    );
    assert_eq!(
        got["event"]["eventUpdatedTime"],
        api.clock.now().timestamp()
    );

    api.post(
        "/deleteTimelineEvent",
        json!({ "incidentRecordArn": incident, "eventId": id }),
    )
    .await
    .ok(StatusCode::NO_CONTENT);
    api.get("/getTimelineEvent", &q)
        .await
        .err(StatusCode::NOT_FOUND, "ResourceNotFoundException");
    // Deleting again is not an error (the model has no not-found answer for it).
    api.post(
        "/deleteTimelineEvent",
        json!({ "incidentRecordArn": incident, "eventId": id }),
    )
    .await
    .ok(StatusCode::NO_CONTENT);
}

async fn system_events_and_bad_types_are_refused(kind: Kind) {
    let api = Api::new(kind).await;
    let p = plan(&api, "db", None).await;
    let incident = start(&api, &p, "inc-1").await;
    let listed = api
        .post(
            "/listTimelineEvents",
            json!({ "incidentRecordArn": incident }),
        )
        .await
        .ok(StatusCode::OK);
    let created = listed["eventSummaries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["eventType"] == "Incident Created")
        .unwrap_or_else(|| panic!("no Incident Created event: {listed}"))
        .clone();
    let edit = api
        .post(
            "/updateTimelineEvent",
            json!({ "incidentRecordArn": incident, "eventId": created["eventId"], "eventData": "{}" }),
        )
        .await;
    edit.err(StatusCode::BAD_REQUEST, "ValidationException");
    assert!(
        edit.body["message"]
            .as_str()
            .unwrap()
            .contains("Incident Created")
    );
    api.post(
        "/deleteTimelineEvent",
        json!({ "incidentRecordArn": incident, "eventId": created["eventId"] }),
    )
    .await
    .err(StatusCode::BAD_REQUEST, "ValidationException");

    let bad = api
        .post(
            "/createTimelineEvent",
            json!({ "incidentRecordArn": incident, "eventTime": 1, "eventType": "Incident Resolved", "eventData": "{}" }),
        )
        .await;
    bad.err(StatusCode::BAD_REQUEST, "ValidationException");
    assert!(
        bad.body["message"].as_str().unwrap().contains("eventType"),
        "{bad:?}"
    );
    let missing = api
        .post(
            "/createTimelineEvent",
            json!({ "incidentRecordArn": incident, "eventTime": 1, "eventType": "Note" }),
        )
        .await;
    missing.err(StatusCode::BAD_REQUEST, "ValidationException");
    assert!(
        missing.body["message"]
            .as_str()
            .unwrap()
            .contains("eventData"),
        "{missing:?}"
    );
    // Another tenant's view of the incident: it does not exist.
    api.post_as_other(
        "/createTimelineEvent",
        json!({ "incidentRecordArn": incident, "eventTime": 1, "eventType": "Note", "eventData": "{}" }),
    )
    .await
    .err(StatusCode::NOT_FOUND, "ResourceNotFoundException");
}
