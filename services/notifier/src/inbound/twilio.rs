//! The SMS and voice provider calling back (Twilio's shapes): replies to texts, status
//! callbacks, and the key pressed during a voice page.
//!
//! With `TOCSIN_SMS_AUTH_TOKEN` set every request must carry `X-Twilio-Signature`:
//! base64(HMAC-SHA1(auth token, full URL ‖ each form parameter's name and value, sorted by
//! name)), the URL being `TOCSIN_PUBLIC_URL` plus the path and query called.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha1::Sha1;
use tocsin_core::contacts::activation::{ActivationState, activate, deactivate};
use tocsin_engagement::{AcceptPage, AcceptType};
use tocsin_proto::messages::{Event, PageReceiptV1};
use tocsin_proto::records::{ChannelActivation, ChannelType, ContactChannel, Page, kinds};
use tocsin_runtime::publish::{self, Meta};
use tocsin_store::Expect;

use super::{Inbound, escape, sms, twiml};

type Params = Vec<(String, String)>;

fn param<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The `X-Twilio-Signature` of a request to `url` with `params`.
pub(crate) fn signature(token: &str, url: &str, params: &Params) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac = Hmac::<Sha1>::new_from_slice(token.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
    mac.update(url.as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Parses the form and checks the signature.
fn verified(
    s: &Inbound,
    headers: &HeaderMap,
    uri: &Uri,
    body: &[u8],
) -> Result<Params, Box<Response>> {
    let params: Params = serde_urlencoded::from_bytes(body).map_err(|_| {
        Box::new((StatusCode::BAD_REQUEST, "the body is not a form").into_response())
    })?;
    let Some(token) = &s.ctx.settings.sms_auth_token else {
        return Ok(params);
    };
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let Some(url) = s.links.absolute(path) else {
        tracing::warn!(
            "A provider callback arrived but TOCSIN_PUBLIC_URL is unset, so its signature cannot be checked; refused."
        );
        return Err(Box::new(
            (StatusCode::FORBIDDEN, "signature cannot be checked").into_response(),
        ));
    };
    let expected = signature(token.expose_secret(), &url, &params);
    let presented = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // Compared as MACs of the two strings, so timing says nothing about the expected one.
    let key = b"tocsin-compare";
    let a = Hmac::<Sha1>::new_from_slice(key).map(|mut m| {
        m.update(expected.as_bytes());
        m.finalize().into_bytes()
    });
    let b = Hmac::<Sha1>::new_from_slice(key).map(|mut m| {
        m.update(presented.as_bytes());
        m.finalize().into_bytes()
    });
    if presented.is_empty() || a.ok() != b.ok() {
        return Err(Box::new(
            (StatusCode::FORBIDDEN, "bad X-Twilio-Signature").into_response(),
        ));
    }
    Ok(params)
}

fn message(text: &str) -> Response {
    twiml(&format!("<Message>{}</Message>", escape(text)))
}

/// `POST /v1/inbound/twilio/sms`: a reply to a page.
pub(crate) async fn sms(
    State(s): State<Inbound>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let params = match verified(&s, &headers, &uri, &body) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let from = param(&params, "From")
        .unwrap_or_default()
        .trim()
        .to_string();
    let text = param(&params, "Body")
        .unwrap_or_default()
        .trim()
        .to_string();
    let word = text
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_uppercase();
    let now = s.ctx.clock.now();
    let result = match word.as_str() {
        "UNSUBSCRIBE" | "STOP" | "STOPALL" | "CANCEL" | "END" | "QUIT" => {
            unsubscribe(&s, &from, now).await
        }
        "START" | "UNSTOP" => {
            let code = text.split_whitespace().nth(1).unwrap_or_default();
            start(&s, &from, code, now).await
        }
        _ if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            acknowledge(&s, &from, &text).await
        }
        _ => Ok(
            "Reply with the accept code of a page to acknowledge it, UNSUBSCRIBE to stop \
                 pages here, or START <code> to re-enable them."
                .to_string(),
        ),
    };
    match result {
        Ok(reply) => message(&reply),
        Err(e) => {
            tracing::error!(error = %e, "Could not act on an SMS reply.");
            (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response()
        }
    }
}

async fn acknowledge(s: &Inbound, from: &str, code: &str) -> Result<String, String> {
    let Some(page) = sms::page_for(&s.records, from, code)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok("No page sent to this number has that accept code.".into());
    };
    let req = AcceptPage {
        page_id: page,
        contact_channel_id: None,
        accept_type: AcceptType::Read,
        note: Some("acknowledged by SMS reply".into()),
        accept_code: code.to_string(),
        enforce_code: true,
    };
    match tocsin_engagement::accept_page(&s.ctx, &s.records, &req).await {
        Ok(()) => Ok("Acknowledged. Thank you.".into()),
        Err(tocsin_engagement::AcceptError::Unavailable(e)) => Err(e),
        Err(e) => Ok(format!("Not acknowledged: {e}")),
    }
}

/// The SMS channels with this number.
async fn channels(s: &Inbound, number: &str) -> Result<Vec<ContactChannel>, String> {
    let all: Vec<ContactChannel> = s
        .records
        .list(kinds::CONTACT_CHANNEL)
        .await
        .map_err(|e| e.to_string())?;
    Ok(all
        .into_iter()
        .filter(|c| {
            c.channel_type == ChannelType::Sms && c.delivery_address.simple_address == number
        })
        .collect())
}

fn channel_id(c: &ContactChannel) -> String {
    c.contact_channel_arn
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string()
}

async fn unsubscribe(
    s: &Inbound,
    from: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, String> {
    sms::opt_out(&s.records, from, now)
        .await
        .map_err(|e| e.to_string())?;
    for mut ch in channels(s, from).await? {
        let id = channel_id(&ch);
        let record = s
            .records
            .get::<ChannelActivation>(kinds::CONTACT_CHANNEL_ACTIVATION, &id)
            .await
            .map_err(|e| e.to_string())?
            .map(|(r, _)| r);
        let next = deactivate(&ActivationState::of(&ch, record));
        next.apply_to(&mut ch);
        let put = async {
            s.records
                .put(
                    kinds::CONTACT_CHANNEL_ACTIVATION,
                    &id,
                    &next.record,
                    Expect::Any,
                )
                .await?;
            s.records
                .put(kinds::CONTACT_CHANNEL, &id, &ch, Expect::Any)
                .await
        };
        put.await.map_err(|e| e.to_string())?;
        tracing::info!(contact_channel_arn = %ch.contact_channel_arn, "Device replied UNSUBSCRIBE: channel deactivated.");
    }
    Ok(
        "You will get no more Tocsin pages on this number. Reply START followed by a new \
        activation code to re-enable them."
            .into(),
    )
}

async fn start(
    s: &Inbound,
    from: &str,
    code: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, String> {
    if code.is_empty() {
        return Ok("Reply START followed by the activation code sent to this number.".into());
    }
    let found = channels(s, from).await?;
    if found.is_empty() {
        // No channel record: a code of a page sent here proves the sender holds the device.
        if sms::page_for(&s.records, from, code)
            .await
            .map_err(|e| e.to_string())?
            .is_some()
        {
            sms::opt_in(&s.records, from)
                .await
                .map_err(|e| e.to_string())?;
            return Ok("Tocsin pages are re-enabled on this number.".into());
        }
        return Ok("That code is not valid for this number.".into());
    }
    let mut last_error = String::new();
    for mut ch in found {
        let id = channel_id(&ch);
        let (record, version) = match s
            .records
            .get::<ChannelActivation>(kinds::CONTACT_CHANNEL_ACTIVATION, &id)
            .await
            .map_err(|e| e.to_string())?
        {
            Some((r, v)) => (Some(r), Expect::Version(v)),
            None => (None, Expect::Absent),
        };
        match activate(&ActivationState::of(&ch, record), code, now) {
            Ok(next) => {
                next.apply_to(&mut ch);
                s.records
                    .put(
                        kinds::CONTACT_CHANNEL_ACTIVATION,
                        &id,
                        &next.record,
                        version,
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                s.records
                    .put(kinds::CONTACT_CHANNEL, &id, &ch, Expect::Any)
                    .await
                    .map_err(|e| e.to_string())?;
                sms::opt_in(&s.records, from)
                    .await
                    .map_err(|e| e.to_string())?;
                tracing::info!(contact_channel_arn = %ch.contact_channel_arn, "Device replied START with its code: channel activated.");
                return Ok("Tocsin pages are re-enabled on this number.".into());
            }
            Err(rejected) => {
                // A wrong guess is counted, as the API counts it.
                let _ = s
                    .records
                    .put(
                        kinds::CONTACT_CHANNEL_ACTIVATION,
                        &id,
                        &rejected.state.record,
                        version,
                    )
                    .await;
                last_error = rejected.error.to_string();
            }
        }
    }
    Ok(format!("Not re-enabled: {last_error}"))
}

/// `POST /v1/inbound/twilio/status/{page}`: the provider's status of a message or call.
pub(crate) async fn status(
    State(s): State<Inbound>,
    Path(page_id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let params = match verified(&s, &headers, &uri, &body) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let status = param(&params, "MessageStatus")
        .or_else(|| param(&params, "CallStatus"))
        .unwrap_or_default()
        .to_string();
    let delivered = match status.as_str() {
        "delivered" | "completed" | "read" => true,
        "failed" | "undelivered" | "busy" | "no-answer" | "canceled" => false,
        // queued, sent, ringing, in-progress: not an outcome yet.
        _ => return StatusCode::NO_CONTENT.into_response(),
    };
    let page = match s.records.get::<Page>(kinds::PAGE, &page_id).await {
        Ok(Some((p, _))) => p,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "Store error on a status callback.");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let mut detail = format!("provider status {status}");
    if let Some(code) = param(&params, "ErrorCode").filter(|c| !c.is_empty()) {
        detail.push_str(&format!(" (error {code})"));
    }
    let now = s.ctx.clock.now();
    let receipt = PageReceiptV1 {
        page_arn: page.page_arn.clone(),
        engagement_arn: page.engagement_arn.clone(),
        incident_id: page
            .incident_id
            .as_deref()
            .and_then(|i| i.rsplit('/').next())
            .unwrap_or_default()
            .to_string(),
        contact_channel_arn: page.contact_channel_arn.clone(),
        at: now,
        detail,
    };
    let event = if delivered {
        Event::PageDelivered(receipt)
    } else {
        Event::PageFailed(receipt)
    };
    let key = format!("provider-status:{}:{status}", page.page_arn);
    let meta = Meta {
        account: s.records.account(),
        idempotency_key: &key,
        now,
    };
    match publish::event(&s.ctx.bus, &meta, event).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "Could not publish a provider status receipt.");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// The voice page's link query.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct Gather {
    #[serde(default)]
    code: String,
    #[serde(default)]
    sig: Option<String>,
}

/// `POST /v1/inbound/twilio/voice/{page}?code&sig`: the key pressed during a voice page.
pub(crate) async fn voice(
    State(s): State<Inbound>,
    Path(page_id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<Gather>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let params = match verified(&s, &headers, &uri, &body) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    if !s.links.verify(&page_id, &q.code, q.sig.as_deref()) {
        return (StatusCode::FORBIDDEN, "bad link signature").into_response();
    }
    if param(&params, "Digits") != Some("1") {
        return twiml("<Say>The page was not acknowledged. Goodbye.</Say>");
    }
    let req = AcceptPage {
        page_id,
        contact_channel_id: None,
        accept_type: AcceptType::Read,
        note: Some("acknowledged by pressing 1 during the call".into()),
        accept_code: q.code,
        enforce_code: true,
    };
    match tocsin_engagement::accept_page(&s.ctx, &s.records, &req).await {
        Ok(()) => twiml("<Say>Acknowledged. Thank you. Goodbye.</Say>"),
        Err(tocsin_engagement::AcceptError::Unavailable(e)) => {
            tracing::error!(error = %e, "Could not acknowledge a voice page.");
            twiml(
                "<Say>Tocsin could not record the acknowledgement. Please use the accept code.</Say>",
            )
        }
        Err(e) => twiml(&format!(
            "<Say>Not acknowledged: {}</Say>",
            escape(&e.to_string())
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproduces_twilio_s_documented_signature_example() {
        // https://www.twilio.com/docs/usage/webhooks/webhooks-security (the example request).
        let params: Params = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
        assert_eq!(
            signature(
                "12345",
                "https://mycompany.com/myapp.php?foo=1&bar=2",
                &params
            ),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        );
    }
}
