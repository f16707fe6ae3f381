//! `tocsin:http`: one HTTP call per attempt to a host of the allowlist, with the attempt's
//! idempotency key as `Idempotency-Key` (so a target sees a retried attempt as new, and a
//! replayed one as the same), no redirects (they could leave the allowlist), and the JSON
//! response as `$.Payload` (`$.StatusCode`, `$.Headers` beside it).

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use crate::config::RunbookConfig;
use crate::core::StepOutcome;

/// One call.
#[derive(Debug, Clone)]
pub struct HttpCall<'a> {
    /// Method.
    pub method: &'a str,
    /// URL.
    pub url: &'a str,
    /// Headers.
    pub headers: &'a BTreeMap<String, String>,
    /// Body.
    pub body: Option<&'a Value>,
    /// Statuses that succeed (empty: 2xx).
    pub expected: &'a [u16],
    /// Idempotency key of the attempt.
    pub key: &'a str,
    /// Time limit.
    pub timeout: Duration,
}

/// An HTTP client for runbook calls (no redirects).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(64)
        .build()
        .unwrap_or_default()
}

/// Makes one call.
pub async fn call(
    config: &RunbookConfig,
    client: &reqwest::Client,
    c: HttpCall<'_>,
) -> StepOutcome {
    let url = match reqwest::Url::parse(c.url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        _ => return StepOutcome::Failed(format!("Url {:?} is not an http(s) URL", c.url)),
    };
    let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']);
    if !config.allows(host, url.port_or_known_default()) {
        return StepOutcome::Failed(format!(
            "host {host} is not in TOCSIN_RUNBOOK_HTTP_ALLOWLIST"
        ));
    }
    let method = reqwest::Method::from_bytes(c.method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut req = client
        .request(method, url)
        .timeout(c.timeout)
        .header("Idempotency-Key", c.key);
    for (k, v) in c.headers {
        req = req.header(k, v);
    }
    req = match c.body {
        None | Some(Value::Null) => req,
        Some(Value::String(s)) => req.body(s.clone()),
        Some(v) => req.json(v),
    };
    let resp = match req.send().await {
        Ok(r) => r,
        Err(e) if e.is_timeout() => {
            return StepOutcome::TimedOut(format!("no answer within {}s", c.timeout.as_secs()));
        }
        Err(e) => return StepOutcome::Failed(format!("the call failed: {e}")),
    };
    let status = resp.status().as_u16();
    let headers: serde_json::Map<String, Value> = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                Value::String(v.to_str().unwrap_or_default().into()),
            )
        })
        .collect();
    let text = resp.text().await.unwrap_or_default();
    let ok = if c.expected.is_empty() {
        (200..300).contains(&status)
    } else {
        c.expected.contains(&status)
    };
    if !ok {
        let snippet: String = text.chars().take(300).collect();
        return StepOutcome::Failed(format!("HTTP {status}: {snippet}"));
    }
    let payload = serde_json::from_str(&text).unwrap_or(Value::String(text));
    StepOutcome::Ok(json!({ "Payload": payload, "StatusCode": status, "Headers": headers }))
}
