//! The AWS-protocol API: `ssm-incidents` operations over restJson1, authenticated with SigV4
//! against `TOCSIN_AWS_CREDENTIALS`, so the AWS CLI and SDKs can call Tocsin with
//! `--endpoint-url`.
//!
//! A request is buffered, its signature verified ([`sigv4`]) with the injected clock, and the
//! key's account becomes the only account the operation sees ([`Caller`]).

mod error;
mod incidents;
pub mod sigv4;
mod wire;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use tocsin_core::Ctx;
use tocsin_runtime::{Context, Records};

use error::AwsError;

/// Signing name of the service (the `service` of the credential scope).
pub const SERVICE: &str = "ssm-incidents";
/// Largest request body buffered for verification.
const MAX_BODY: usize = 1024 * 1024;

/// State of the AWS routes.
#[derive(Clone)]
pub(crate) struct AwsState {
    ctx: Context,
}

/// Who signed the request: the account every record is read from and written to.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// Account of the access key.
    pub account: String,
    /// Principal recorded as creator or modifier.
    pub principal: String,
}

impl Caller {
    /// The records of the caller's account.
    pub fn records(&self, ctx: &Context) -> Records {
        Records::new(ctx.store.clone(), self.account.clone())
    }

    /// The domain context of one operation, now.
    pub fn ctx(&self, ctx: &Context) -> Ctx {
        Ctx {
            account: self.account.clone(),
            region: ctx.settings.region.clone(),
            now: ctx.clock.now(),
            actor: self.principal.clone(),
        }
    }
}

/// The AWS-protocol routes on `ctx` (merged into the API router).
pub fn router(ctx: &Context) -> Router {
    let state = AwsState { ctx: ctx.clone() };
    incidents::routes()
        .route_layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .with_state(state)
}

/// Verifies the SigV4 signature and hands the operation its [`Caller`].
async fn authenticate(State(state): State<AwsState>, request: Request, next: Next) -> Response {
    let settings = &state.ctx.settings;
    if settings.aws_credentials.is_empty() {
        return AwsError {
            status: axum::http::StatusCode::FORBIDDEN,
            code: "UnrecognizedClientException",
            message: "the AWS API is disabled: set TOCSIN_AWS_CREDENTIALS".into(),
        }
        .into_response();
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return AwsError::validation(format!("request body: larger than {MAX_BODY} bytes"))
            .into_response();
    };
    let headers: Vec<(&str, &str)> = parts
        .headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
        .collect();
    let signed = sigv4::SignedRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or_default(),
        headers,
        body: &bytes,
    };
    let mut account = None;
    let verified = sigv4::verify(
        &signed,
        &settings.region,
        SERVICE,
        state.ctx.clock.now(),
        |id| {
            let c = settings
                .aws_credentials
                .iter()
                .find(|c| c.access_key_id == id)?;
            account = Some(c.account_id.clone());
            Some(c.secret_access_key.expose_secret().to_string())
        },
    );
    let (auth, account) = match (verified, account) {
        (Ok(auth), Some(account)) => (auth, account),
        (Err(e), _) => {
            tracing::info!(reason = %e, path = %parts.uri.path(), "AWS request refused.");
            return AwsError::from(e).into_response();
        }
        (Ok(_), None) => return AwsError::from(sigv4::SigError::UnknownKey).into_response(),
    };
    let caller = Caller {
        principal: format!("arn:aws:iam::{account}:user/{}", auth.access_key_id),
        account,
    };
    let mut request = Request::from_parts(parts, Body::from(bytes));
    request.extensions_mut().insert(caller);
    next.run(request).await
}
