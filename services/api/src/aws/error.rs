//! Errors of the AWS-protocol API, as the SDKs parse them: the model's status code and the
//! shape name — for restJson1 (`ssm-incidents`) in `x-amzn-ErrorType` with `{"message"}` in the
//! body; for JSON 1.1 (`ssm-contacts`) as `{"__type", "Message", ...members}` in the body (the
//! header is sent too, harmlessly).

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tocsin_core::validate::ValidationError;
use tocsin_runtime::records::RecordsError;
use tocsin_store::StoreError;

use super::sigv4::SigError;

/// Header naming the error shape (botocore and the SDKs read it first).
const ERROR_TYPE_HEADER: &str = "x-amzn-errortype";
/// Content type of JSON 1.1 requests and answers.
pub const JSON_11: &str = "application/x-amz-json-1.1";

/// An error answer: status, shape name and a message that never carries internals (those are
/// logged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// HTTP status of the shape.
    pub status: StatusCode,
    /// Shape name, e.g. `ValidationException`.
    pub code: &'static str,
    /// Message for the caller.
    pub message: String,
}

impl AwsError {
    /// `ValidationException` (400): `message` names the field and the rule.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "ValidationException", message)
    }

    /// `ResourceNotFoundException` (404).
    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            format!("{what} {id} does not exist"),
        )
    }

    /// `ConflictException` (409).
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "ConflictException", message)
    }

    /// `InternalServerException` (500); the cause is logged, not returned.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "AWS API request failed.");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerException",
            "internal error",
        )
    }

    /// The answer in the JSON 1.1 protocol: `{"__type": code, "Message": message}` plus the
    /// shape's other members in `extra` (`Reason`, `Fields`, `ResourceId`, ...).
    pub fn into_json11(self, extra: serde_json::Map<String, serde_json::Value>) -> Response {
        let mut body = serde_json::Map::new();
        body.insert("__type".into(), json!(self.code));
        body.insert("Message".into(), json!(self.message));
        body.extend(extra);
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(ERROR_TYPE_HEADER, HeaderValue::from_static(self.code));
        headers.insert(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static(JSON_11),
        );
        response
    }

    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }
}

impl From<SigError> for AwsError {
    fn from(e: SigError) -> Self {
        let code = match e {
            SigError::Missing => "MissingAuthenticationTokenException",
            SigError::UnknownKey => "UnrecognizedClientException",
            SigError::Malformed(_) => "IncompleteSignatureException",
            SigError::Expired { .. } | SigError::WrongScope(_) | SigError::Mismatch => {
                "InvalidSignatureException"
            }
        };
        Self::new(StatusCode::FORBIDDEN, code, e.to_string())
    }
}

impl From<ValidationError> for AwsError {
    fn from(e: ValidationError) -> Self {
        Self::validation(e.to_string())
    }
}

impl From<RecordsError> for AwsError {
    fn from(e: RecordsError) -> Self {
        Self::internal(&e)
    }
}

impl From<StoreError> for AwsError {
    fn from(e: StoreError) -> Self {
        Self::internal(&e)
    }
}

impl IntoResponse for AwsError {
    fn into_response(self) -> Response {
        let mut response =
            (self.status, axum::Json(json!({ "message": self.message }))).into_response();
        response
            .headers_mut()
            .insert(ERROR_TYPE_HEADER, HeaderValue::from_static(self.code));
        response
    }
}
