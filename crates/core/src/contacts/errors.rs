//! How the contacts rules' failures map onto the `ssm-contacts` exceptions, for the API layer.
//!
//! Every [`ValidationError`] of this module names fields, so it is a `ValidationException`
//! with reason `FIELD_VALIDATION_FAILED` and one `ValidationExceptionField` per broken rule.
//! `UNKNOWN_OPERATION` and `CANNOT_PARSE` are the API's own (an unknown `X-Amz-Target`, a body
//! that is not the operation's JSON); the core never produces them.

use std::fmt;

use crate::validate::ValidationError;

/// `ValidationExceptionReason` of the `ssm-contacts` model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValidationExceptionReason {
    /// `UNKNOWN_OPERATION`: the operation does not exist.
    UnknownOperation,
    /// `CANNOT_PARSE`: the body is not the operation's input.
    CannotParse,
    /// `FIELD_VALIDATION_FAILED`: a field breaks a rule (the fields are listed).
    FieldValidationFailed,
    /// `OTHER`: the input is well formed but the resource's state refuses it.
    Other,
}

impl ValidationExceptionReason {
    /// The wire value (`FIELD_VALIDATION_FAILED`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::UnknownOperation => "UNKNOWN_OPERATION",
            Self::CannotParse => "CANNOT_PARSE",
            Self::FieldValidationFailed => "FIELD_VALIDATION_FAILED",
            Self::Other => "OTHER",
        }
    }
}

impl fmt::Display for ValidationExceptionReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `ssm-contacts` exception an operation answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactsException {
    /// `ValidationException` (HTTP 400) with this reason.
    Validation(ValidationExceptionReason),
    /// `ServiceQuotaExceededException` (HTTP 400): too many activation codes sent.
    ServiceQuotaExceeded,
}

/// The reason of a [`ValidationError`] from this module: always `FIELD_VALIDATION_FAILED`,
/// since each names its fields.
pub fn validation_reason(_: &ValidationError) -> ValidationExceptionReason {
    ValidationExceptionReason::FieldValidationFailed
}

/// The `ValidationExceptionField`s (`Name`, `Message`) of a [`ValidationError`].
pub fn exception_fields(e: &ValidationError) -> Vec<(String, String)> {
    e.0.iter()
        .map(|f| (f.field.clone(), f.rule.clone()))
        .collect()
}
