//! A restJson1 answer read back from the router (status, `x-amzn-ErrorType`, JSON body), shared
//! by the API test binaries (`#[path]`).

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

/// An answer: status, `x-amzn-ErrorType`, JSON body (Null when empty).
#[derive(Debug)]
pub struct Answer {
    /// Status.
    pub status: StatusCode,
    /// `x-amzn-ErrorType`.
    pub error_type: Option<String>,
    /// JSON body.
    pub body: Value,
}

impl Answer {
    /// Asserts the status and returns the body.
    #[track_caller]
    pub fn ok(self, status: StatusCode) -> Value {
        assert_eq!(self.status, status, "{self:?}");
        self.body
    }

    /// Asserts an error shape and status.
    #[track_caller]
    pub fn err(&self, status: StatusCode, code: &str) {
        assert_eq!(
            (self.status, self.error_type.as_deref()),
            (status, Some(code)),
            "{self:?}"
        );
    }
}

/// Sends `req` through `router` and reads the answer.
pub async fn send(router: &Router, req: Request<Body>) -> Answer {
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let error_type = res
        .headers()
        .get("x-amzn-errortype")
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = to_bytes(res.into_body(), usize::MAX).await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    Answer {
        status,
        error_type,
        body,
    }
}
