//! `ssm-contacts` over JSON 1.1: `POST /` with `X-Amz-Target: SSMContacts.<Operation>` and
//! `Content-Type: application/x-amz-json-1.1`, all 39 operations of the service model.
//!
//! Every request is first checked against the model itself ([`model`], the official JSON
//! embedded with `include_str!`): required members, lengths, patterns, ranges and enums, so the
//! rules cannot drift from the model. Then the operation parses its typed input and applies the
//! domain rules of `tocsin_core::contacts` / `tocsin_core::rotation` (the same the YAML manifest
//! path uses, so both paths agree).
//!
//! | file | operations |
//! |---|---|
//! | [`contact`] | `CreateContact`, `GetContact`, `ListContacts`, `UpdateContact`, `DeleteContact` |
//! | [`channel`] | `CreateContactChannel`, `GetContactChannel`, `ListContactChannels`, `UpdateContactChannel`, `DeleteContactChannel` |
//! | [`activation`] | `SendActivationCode`, `ActivateContactChannel`, `DeactivateContactChannel` |
//! | [`rotation`] | `CreateRotation`, `GetRotation`, `ListRotations`, `UpdateRotation`, `DeleteRotation` |
//! | [`shifts`] | `ListRotationShifts`, `ListPreviewRotationShifts` |
//! | [`overrides`] | `CreateRotationOverride`, `GetRotationOverride`, `ListRotationOverrides`, `DeleteRotationOverride` |
//! | [`engagement`] | `StartEngagement`, `StopEngagement`, `DescribeEngagement`, `ListEngagements` |
//! | [`page`] | `DescribePage`, `ListPagesByContact`, `ListPagesByEngagement`, `ListPageReceipts`, `ListPageResolutions`, `AcceptPage` |
//! | [`tags`] | `TagResource`, `UntagResource`, `ListTagsForResource`, `PutContactPolicy`, `GetContactPolicy` |
//!
//! Tenancy: an ARN of another account is answered exactly like a missing resource — unless the
//! contact is shared with the caller's account by its policy, which `crate::auth::share`
//! evaluates before the operation runs (in the owner's account).

mod activation;
mod call;
mod channel;
mod contact;
mod engagement;
mod error;
mod idempotency;
mod model;
mod overrides;
mod page;
mod rotation;
mod shifts;
mod tags;

use std::future::Future;
use std::pin::Pin;

use axum::Extension;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::Value;

use super::error::JSON_11;
use super::{AwsState, Caller, X_AMZ_TARGET};
use call::Call;
use error::ContactsError;

/// `targetPrefix` of the model.
const TARGET_PREFIX: &str = "SSMContacts.";

/// The JSON 1.1 route; authentication is layered on by the caller.
pub(super) fn routes() -> Router<AwsState> {
    Router::new().route("/", post(dispatch))
}

type Answer<'a> = Pin<Box<dyn Future<Output = Result<Value, ContactsError>> + Send + 'a>>;

/// Runs the operation `X-Amz-Target` names.
async fn dispatch(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = headers
        .get(X_AMZ_TARGET)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let span = tracing::info_span!("ssm-contacts", operation = target);
    let _enter = span.enter();
    match run(&s, &caller, target, &body).await {
        Ok(out) => {
            let mut r = (StatusCode::OK, axum::Json(out)).into_response();
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_11));
            r
        }
        Err(e) => {
            tracing::info!(
                operation = target,
                code = e.code(),
                "ssm-contacts request refused."
            );
            e.into_response()
        }
    }
}

async fn run(
    s: &AwsState,
    caller: &Caller,
    target: &str,
    body: &[u8],
) -> Result<Value, ContactsError> {
    let Some((op, shape)) = target
        .strip_prefix(TARGET_PREFIX)
        .and_then(|op| Some((op, model::input_shape(op)?)))
    else {
        return Err(ContactsError::unknown_operation(target));
    };
    let input = call::parse_body(body)?;
    model::validate(shape, &input)?;
    let call = Call::new(s, caller, op);
    operation(&call, op, input).await
}

/// The handler of `op` (the model's operation names; [`model`] has vetted `op`).
fn operation<'a>(c: &'a Call<'a>, op: &str, input: Value) -> Answer<'a> {
    match op {
        "CreateContact" => Box::pin(contact::create(c, input)),
        "GetContact" => Box::pin(contact::get(c, input)),
        "ListContacts" => Box::pin(contact::list(c, input)),
        "UpdateContact" => Box::pin(contact::update(c, input)),
        "DeleteContact" => Box::pin(contact::delete(c, input)),
        "CreateContactChannel" => Box::pin(channel::create(c, input)),
        "GetContactChannel" => Box::pin(channel::get(c, input)),
        "ListContactChannels" => Box::pin(channel::list(c, input)),
        "UpdateContactChannel" => Box::pin(channel::update(c, input)),
        "DeleteContactChannel" => Box::pin(channel::delete(c, input)),
        "SendActivationCode" => Box::pin(activation::send(c, input)),
        "ActivateContactChannel" => Box::pin(activation::activate(c, input)),
        "DeactivateContactChannel" => Box::pin(activation::deactivate(c, input)),
        "CreateRotation" => Box::pin(rotation::create(c, input)),
        "GetRotation" => Box::pin(rotation::get(c, input)),
        "ListRotations" => Box::pin(rotation::list(c, input)),
        "UpdateRotation" => Box::pin(rotation::update(c, input)),
        "DeleteRotation" => Box::pin(rotation::delete(c, input)),
        "ListRotationShifts" => Box::pin(shifts::shifts(c, input)),
        "ListPreviewRotationShifts" => Box::pin(shifts::preview(c, input)),
        "CreateRotationOverride" => Box::pin(overrides::create(c, input)),
        "GetRotationOverride" => Box::pin(overrides::get(c, input)),
        "ListRotationOverrides" => Box::pin(overrides::list(c, input)),
        "DeleteRotationOverride" => Box::pin(overrides::delete(c, input)),
        "StartEngagement" => Box::pin(engagement::start(c, input)),
        "StopEngagement" => Box::pin(engagement::stop(c, input)),
        "DescribeEngagement" => Box::pin(engagement::describe(c, input)),
        "ListEngagements" => Box::pin(engagement::list(c, input)),
        "DescribePage" => Box::pin(page::describe(c, input)),
        "ListPagesByContact" => Box::pin(page::by_contact(c, input)),
        "ListPagesByEngagement" => Box::pin(page::by_engagement(c, input)),
        "ListPageReceipts" => Box::pin(page::receipts(c, input)),
        "ListPageResolutions" => Box::pin(page::resolutions(c, input)),
        "AcceptPage" => Box::pin(page::accept(c, input)),
        "TagResource" => Box::pin(tags::tag(c, input)),
        "UntagResource" => Box::pin(tags::untag(c, input)),
        "ListTagsForResource" => Box::pin(tags::list(c, input)),
        "PutContactPolicy" => Box::pin(tags::put_policy(c, input)),
        "GetContactPolicy" => Box::pin(tags::get_policy(c, input)),
        other => {
            let e = ContactsError::unknown_operation(other);
            Box::pin(async move { Err(e) })
        }
    }
}

/// Every operation of the model has a handler (the unknown arm is never reached).
#[cfg(test)]
pub(crate) const OPERATIONS: usize = 39;
