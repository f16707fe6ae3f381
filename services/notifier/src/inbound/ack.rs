//! The one-click acknowledge link of a page: `GET` shows what will be acknowledged and a
//! button, `POST` (the button) acknowledges. A `GET` never changes anything, because mail
//! scanners and link previews follow links.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tocsin_engagement::{AcceptError, AcceptPage, AcceptType};
use tocsin_proto::records::{Page, kinds};

use super::{Inbound, escape, html};

/// The link's query (and the form's fields).
#[derive(Debug, Deserialize)]
pub(crate) struct Link {
    #[serde(default)]
    code: String,
    #[serde(default)]
    sig: Option<String>,
}

fn refused() -> Response {
    html(
        StatusCode::FORBIDDEN,
        "Link not valid",
        "This acknowledge link is not valid. Use the accept code from the page instead.",
    )
}

pub(crate) async fn confirm(
    State(s): State<Inbound>,
    Path(page): Path<String>,
    Query(link): Query<Link>,
) -> Response {
    if !s.links.verify(&page, &link.code, link.sig.as_deref()) {
        return refused();
    }
    let found = match s.records.get::<Page>(kinds::PAGE, &page).await {
        Ok(Some((p, _))) => p,
        Ok(None) => {
            return html(
                StatusCode::NOT_FOUND,
                "No such page",
                "The page does not exist.",
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "Store error showing an acknowledge link.");
            return html(
                StatusCode::SERVICE_UNAVAILABLE,
                "Try again",
                "Please try again.",
            );
        }
    };
    let sig = link
        .sig
        .as_deref()
        .map(|s| format!(r#"<input type="hidden" name="sig" value="{}">"#, escape(s)))
        .unwrap_or_default();
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Acknowledge page</title></head>\
         <body><h1>Acknowledge page?</h1><p><strong>{subject}</strong></p><p>{content}</p>\
         <form method=\"post\"><input type=\"hidden\" name=\"code\" value=\"{code}\">{sig}\
         <button type=\"submit\">Acknowledge</button></form></body></html>",
        subject = escape(&found.subject),
        content = escape(&found.content),
        code = escape(&link.code),
    );
    (
        StatusCode::OK,
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

pub(crate) async fn accept(
    State(s): State<Inbound>,
    Path(page): Path<String>,
    Form(link): Form<Link>,
) -> Response {
    if !s.links.verify(&page, &link.code, link.sig.as_deref()) {
        return refused();
    }
    let req = AcceptPage {
        page_id: page.clone(),
        contact_channel_id: None,
        accept_type: AcceptType::Read,
        note: Some("acknowledged with the link in the page".into()),
        accept_code: link.code,
        enforce_code: true,
    };
    match tocsin_engagement::accept_page(&s.ctx, &s.records, &req).await {
        Ok(()) => html(
            StatusCode::OK,
            "Acknowledged",
            "The page is acknowledged. Thank you.",
        ),
        Err(e) => accept_failure(&e),
    }
}

/// An [`AcceptError`] as a page for a person.
pub(crate) fn accept_failure(e: &AcceptError) -> Response {
    match e {
        AcceptError::NotFound(_) => html(
            StatusCode::NOT_FOUND,
            "No such page",
            "The page does not exist.",
        ),
        AcceptError::WrongCode => refused(),
        AcceptError::Invalid(m) => html(StatusCode::BAD_REQUEST, "Not acknowledged", m),
        AcceptError::Unavailable(m) => {
            tracing::error!(error = %m, "Could not acknowledge a page from its link.");
            html(
                StatusCode::SERVICE_UNAVAILABLE,
                "Try again",
                "Please try again.",
            )
        }
    }
}
