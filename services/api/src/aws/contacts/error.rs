//! The exceptions of the `ssm-contacts` model with their members (`Reason` and `Fields` of a
//! `ValidationException`, `ResourceId`/`ResourceType` of a `ResourceNotFoundException`, ...),
//! answered in the JSON 1.1 shape. Statuses: 400 validation, 402 quota, 403 access, 404 not
//! found, 409 conflict, 429 throttling, 500 internal (the `ssm-incidents` model's codes for
//! the same shapes; the JSON 1.1 model carries none).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use tocsin_core::contacts::{ActivationError, ContactsException};
use tocsin_core::validate::ValidationError;
use tocsin_runtime::records::RecordsError;
use tocsin_store::StoreError;

use crate::aws::error::AwsError;

/// An `ssm-contacts` exception.
#[derive(Debug)]
pub struct ContactsError {
    inner: AwsError,
    extra: Map<String, Value>,
}

impl ContactsError {
    fn with(inner: AwsError, extra: Value) -> Self {
        let extra = match extra {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        Self { inner, extra }
    }

    /// The shape name.
    pub fn code(&self) -> &'static str {
        self.inner.code
    }

    /// `ValidationException` with `Reason` and the broken fields.
    pub fn validation(reason: &str, fields: Vec<(String, String)>) -> Self {
        let message = fields
            .iter()
            .map(|(f, m)| format!("{f}: {m}"))
            .collect::<Vec<_>>()
            .join("; ");
        let fields: Vec<Value> = fields
            .into_iter()
            .map(|(n, m)| json!({ "Name": n, "Message": m }))
            .collect();
        Self::with(
            AwsError::validation(message),
            json!({ "Reason": reason, "Fields": fields }),
        )
    }

    /// `ValidationException` `FIELD_VALIDATION_FAILED` naming one field.
    pub fn field(field: &str, rule: impl Into<String>) -> Self {
        Self::validation("FIELD_VALIDATION_FAILED", vec![(field.into(), rule.into())])
    }

    /// `ValidationException` `OTHER`: the input is well formed but the state refuses it.
    pub fn other(field: &str, rule: impl Into<String>) -> Self {
        Self::validation("OTHER", vec![(field.into(), rule.into())])
    }

    /// `ValidationException` `CANNOT_PARSE`.
    pub fn cannot_parse(message: impl Into<String>) -> Self {
        Self::with(
            AwsError::validation(message),
            json!({ "Reason": "CANNOT_PARSE" }),
        )
    }

    /// `ValidationException` `UNKNOWN_OPERATION`.
    pub fn unknown_operation(target: &str) -> Self {
        Self::with(
            AwsError::validation(format!(
                "X-Amz-Target: {target:?} is not an operation of ssm-contacts"
            )),
            json!({ "Reason": "UNKNOWN_OPERATION" }),
        )
    }

    /// `ResourceNotFoundException` (404).
    pub fn not_found(resource_type: &str, id: &str) -> Self {
        Self::with(
            AwsError::new(
                StatusCode::NOT_FOUND,
                "ResourceNotFoundException",
                format!("{resource_type} {id} does not exist"),
            ),
            json!({ "ResourceId": id, "ResourceType": resource_type }),
        )
    }

    /// `ConflictException` (409), with the resources that depend on this one.
    pub fn conflict(
        resource_type: &str,
        id: &str,
        message: impl Into<String>,
        dependents: Vec<(&str, Vec<String>)>,
    ) -> Self {
        let deps: Vec<Value> = dependents
            .into_iter()
            .map(|(rel, ids)| json!({ "RelationType": rel, "DependentResourceIds": ids }))
            .collect();
        let mut extra = json!({ "ResourceId": id, "ResourceType": resource_type });
        if !deps.is_empty() {
            extra["DependentEntities"] = json!(deps);
        }
        Self::with(
            AwsError::new(StatusCode::CONFLICT, "ConflictException", message),
            extra,
        )
    }

    /// `ServiceQuotaExceededException` (402).
    pub fn quota(resource_type: &str, id: &str, quota: &str, message: impl Into<String>) -> Self {
        Self::with(
            AwsError::new(
                StatusCode::PAYMENT_REQUIRED,
                "ServiceQuotaExceededException",
                message,
            ),
            json!({
                "ResourceId": id,
                "ResourceType": resource_type,
                "QuotaCode": quota,
                "ServiceCode": "ssm-contacts",
            }),
        )
    }

    /// An activation refusal, as `tocsin_core::contacts::activation` maps it.
    pub fn activation(e: &ActivationError, channel_arn: &str) -> Self {
        match e.exception() {
            ContactsException::ServiceQuotaExceeded => Self::quota(
                "CONTACT_CHANNEL",
                channel_arn,
                "activation-codes",
                format!("ContactChannelId: {e}"),
            ),
            ContactsException::Validation(reason) => {
                Self::validation(reason.as_str(), vec![(e.field().into(), e.to_string())])
            }
        }
    }
}

impl From<AwsError> for ContactsError {
    fn from(inner: AwsError) -> Self {
        Self {
            inner,
            extra: Map::new(),
        }
    }
}

impl From<ValidationError> for ContactsError {
    fn from(e: ValidationError) -> Self {
        Self::validation(
            "FIELD_VALIDATION_FAILED",
            e.0.into_iter().map(|f| (f.field, f.rule)).collect(),
        )
    }
}

impl From<RecordsError> for ContactsError {
    fn from(e: RecordsError) -> Self {
        AwsError::internal(&e).into()
    }
}

impl From<StoreError> for ContactsError {
    fn from(e: StoreError) -> Self {
        AwsError::internal(&e).into()
    }
}

impl IntoResponse for ContactsError {
    fn into_response(self) -> Response {
        self.inner.into_json11(self.extra)
    }
}
