//! Requests without a valid signature are refused with the error type clients expect.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Duration;
use serde_json::json;
use sha2::Digest;
use tocsin_core::clock::Clock;

use crate::signer::Signer;
use crate::{Api, KEY_ID, SECRET};

async fn refused(api: &Api, req: Request<Body>, error_type: &str) {
    let a = api.send(req).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{a:?}");
    assert_eq!(a.error_type.as_deref(), Some(error_type), "{a:?}");
    assert!(a.body["message"].is_string(), "{a:?}");
}

#[tokio::test]
async fn a_signed_request_passes() {
    let api = Api::new().await;
    let a = api.post("/listResponsePlans", json!({})).await;
    assert_eq!(a.status, StatusCode::OK, "{a:?}");
    assert_eq!(a.body, json!({ "responsePlanSummaries": [] }));
}

#[tokio::test]
async fn unsigned_requests_are_refused() {
    let api = Api::new().await;
    let req = Request::post("/listResponsePlans")
        .body(Body::from("{}"))
        .unwrap();
    refused(&api, req, "MissingAuthenticationTokenException").await;
}

#[tokio::test]
async fn a_wrong_secret_or_tampered_request_is_refused() {
    let api = Api::new().await;
    let now = api.clock.now();
    let wrong = Signer::new(KEY_ID, "not-the-right-secret-at-all").post(
        "/listResponsePlans",
        &json!({}),
        now,
    );
    refused(&api, wrong, "InvalidSignatureException").await;

    // The body changed after signing (and its declared hash with it).
    let signed = Signer::new(KEY_ID, SECRET).post("/listResponsePlans", &json!({}), now);
    let (mut parts, _) = signed.into_parts();
    let body = br#"{"maxResults":1}"#.to_vec();
    parts.headers.insert(
        "x-amz-content-sha256",
        hex::encode(sha2::Sha256::digest(&body)).parse().unwrap(),
    );
    refused(
        &api,
        Request::from_parts(parts, Body::from(body)),
        "InvalidSignatureException",
    )
    .await;

    // Another path than the one signed.
    let signed = Signer::new(KEY_ID, SECRET).post("/listResponsePlans", &json!({}), now);
    let (mut parts, body) = signed.into_parts();
    parts.uri = "/listIncidentRecords".parse().unwrap();
    refused(
        &api,
        Request::from_parts(parts, body),
        "InvalidSignatureException",
    )
    .await;
}

#[tokio::test]
async fn unknown_keys_and_other_services_are_refused() {
    let api = Api::new().await;
    let now = api.clock.now();
    let unknown =
        Signer::new("AKIDNOSUCHKEY00001", SECRET).post("/listResponsePlans", &json!({}), now);
    refused(&api, unknown, "UnrecognizedClientException").await;
    let mut other = Signer::new(KEY_ID, SECRET);
    other.service = "ssm-contacts".into();
    refused(
        &api,
        other.post("/listResponsePlans", &json!({}), now),
        "InvalidSignatureException",
    )
    .await;
}

#[tokio::test]
async fn an_old_or_future_signature_is_expired() {
    let api = Api::new().await;
    let signed_at = api.clock.now();
    let req = Signer::new(KEY_ID, SECRET).post("/listResponsePlans", &json!({}), signed_at);
    api.clock.advance(Duration::minutes(16));
    let a = api.send(req).await;
    assert_eq!(
        a.error_type.as_deref(),
        Some("InvalidSignatureException"),
        "{a:?}"
    );
    assert!(
        a.body["message"].as_str().unwrap().contains("expired"),
        "{a:?}"
    );
    let future = api.clock.now() + Duration::minutes(20);
    refused(
        &api,
        Signer::new(KEY_ID, SECRET).post("/listResponsePlans", &json!({}), future),
        "InvalidSignatureException",
    )
    .await;
}

#[tokio::test]
async fn without_credentials_every_aws_request_is_refused() {
    let api = Api::with_credentials(vec![]).await;
    let req = Signer::new(KEY_ID, SECRET).post("/listResponsePlans", &json!({}), api.clock.now());
    refused(&api, req, "UnrecognizedClientException").await;
}
