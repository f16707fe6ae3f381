//! Inbound routes: what people and providers send back. Each request is authenticated by its
//! own signature, not by the API's bearer token, so the API mounts [`inbound_router`] outside
//! its token layer.
//!
//! | route | caller | authenticated by | what |
//! |---|---|---|---|
//! | `GET /v1/inbound/ack/{page}?code&sig` | a person following a mail's link | the link's signature ([`crate::links`]) and the accept code | a confirmation page (a GET never acknowledges: mail scanners follow links) |
//! | `POST /v1/inbound/ack/{page}` | the confirmation form | the same | acknowledges the page (`AcceptPage` READ, code enforced) |
//! | `POST /v1/inbound/twilio/sms` | the SMS provider: a reply | `X-Twilio-Signature` when an auth token is set | the accept code acknowledges its page; `UNSUBSCRIBE` (or `STOP`) stops the device; `START <code>` re-enables it |
//! | `POST /v1/inbound/twilio/status/{page}` | the provider: status callback | `X-Twilio-Signature` | `delivered` → DELIVERED receipt, `failed`/`undelivered`/`busy`/`no-answer` → ERROR receipt |
//! | `POST /v1/inbound/twilio/voice/{page}?code&sig` | the provider: key pressed in a voice page | `X-Twilio-Signature` and the link signature | `1` acknowledges the page |
//! | `POST /v1/inbound/slack/commands` | Slack: `/tocsin …` | `X-Slack-Signature` (v0, `TOCSIN_SLACK_SIGNING_SECRET`), timestamp within 5 minutes | `status`, `ack`, `resolve`, `update-impact`, `add-note` |

mod ack;
mod ops;
mod slack;
pub mod sms;
mod twilio;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tocsin_runtime::{Context, Records};

use crate::incidents::Incidents;
use crate::links::{INBOUND, Links};

/// What the inbound handlers share.
#[derive(Clone)]
pub(crate) struct Inbound {
    pub(crate) ctx: Context,
    pub(crate) records: Records,
    pub(crate) links: Links,
    pub(crate) incidents: Incidents,
}

/// The inbound routes on `ctx` (mounted by the API outside its bearer-token layer).
pub fn inbound_router(ctx: &Context) -> Router {
    let state = Inbound {
        ctx: ctx.clone(),
        records: ctx.records(),
        links: Links::from_settings(&ctx.settings),
        incidents: Incidents::new(ctx.clone()),
    };
    Router::new()
        .route(
            &format!("{INBOUND}/ack/{{page}}"),
            get(ack::confirm).post(ack::accept),
        )
        .route(&format!("{INBOUND}/twilio/sms"), post(twilio::sms))
        .route(
            &format!("{INBOUND}/twilio/status/{{page}}"),
            post(twilio::status),
        )
        .route(
            &format!("{INBOUND}/twilio/voice/{{page}}"),
            post(twilio::voice),
        )
        .route(&format!("{INBOUND}/slack/commands"), post(slack::command))
        .with_state(state)
}

/// An answer in a body type: HTML for people, TwiML for the provider.
pub(crate) fn html(status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body><h1>{t}</h1><p>{x}</p></body></html>",
        t = escape(title),
        x = escape(text)
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// A TwiML answer.
pub(crate) fn twiml(inner: &str) -> Response {
    let body = format!(r#"<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>"#);
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

/// Escapes text for HTML and XML.
pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}
