//! The operator commands' connection to a running Tocsin: its AWS-protocol API, signed with
//! SigV4 as the aws CLI signs (and as the API's tests do), so the commands go through the same
//! authentication, authorisation, tenancy and audit as any other client.
//!
//! Endpoint: `--endpoint`, else `TOCSIN_ENDPOINT`, else `http://` + `TOCSIN_API_ADDR`. Keys:
//! `TOCSIN_ACCESS_KEY_ID` / `TOCSIN_SECRET_ACCESS_KEY` (else `AWS_ACCESS_KEY_ID` /
//! `AWS_SECRET_ACCESS_KEY`); region `TOCSIN_REGION`.

use anyhow::{Context as _, bail};
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tocsin_core::clock::Clock as _;
use tocsin_runtime::Settings;

/// A signed client of one Tocsin API.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    endpoint: String,
    key_id: String,
    secret: String,
    region: String,
}

/// The first of these environment variables that is set.
fn env(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
}

impl Client {
    /// A client from the flags, the environment and the settings.
    pub fn new(settings: &Settings, endpoint: Option<String>) -> anyhow::Result<Self> {
        let endpoint = endpoint
            .or_else(|| env(&["TOCSIN_ENDPOINT"]))
            .unwrap_or_else(|| format!("http://{}", settings.api_addr));
        let (key_id, secret) = match (
            env(&["TOCSIN_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID"]),
            env(&["TOCSIN_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY"]),
        ) {
            (Some(k), Some(s)) => (k, s),
            _ => match settings.aws_credentials.first() {
                Some(c) => (
                    c.access_key_id.clone(),
                    c.secret_access_key.expose_secret().to_owned(),
                ),
                None => bail!(
                    "no access key: set TOCSIN_ACCESS_KEY_ID and TOCSIN_SECRET_ACCESS_KEY \
                     (tocsin dev prints its pair)"
                ),
            },
        };
        Ok(Self {
            http: reqwest::Client::new(),
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            key_id,
            secret,
            region: settings.region.clone(),
        })
    }

    /// An `ssm-incidents` (REST-JSON) call: `POST path` with a JSON body, or `GET path?query`.
    pub async fn incidents(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        self.send("ssm-incidents", method, path, query, None, body)
            .await
    }

    /// An `ssm-contacts` (JSON 1.1) call: `X-Amz-Target: SSMContacts.<operation>`.
    pub async fn contacts(&self, operation: &str, body: Value) -> anyhow::Result<Value> {
        let target = format!("SSMContacts.{operation}");
        self.send(
            "ssm-contacts",
            "POST",
            "/",
            &[],
            Some(&target),
            body.to_string(),
        )
        .await
    }

    async fn send(
        &self,
        service: &str,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        target: Option<&str>,
        body: String,
    ) -> anyhow::Result<Value> {
        let url: reqwest::Url = format!("{}{path}", self.endpoint)
            .parse()
            .with_context(|| format!("endpoint {} is not a URL", self.endpoint))?;
        let host = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        let query: String = query
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let amz_date = chrono_now().format("%Y%m%dT%H%M%SZ").to_string();
        let payload_hash = hex::encode(Sha256::digest(body.as_bytes()));
        let content_type = if target.is_some() {
            "application/x-amz-json-1.1"
        } else {
            "application/json"
        };
        let mut headers = vec![
            ("content-type", content_type),
            ("host", host.as_str()),
            ("x-amz-content-sha256", payload_hash.as_str()),
            ("x-amz-date", amz_date.as_str()),
        ];
        if let Some(t) = target {
            headers.push(("x-amz-target", t));
        }
        let signed: Vec<String> = headers.iter().map(|(n, _)| n.to_string()).collect();
        let canonical_headers: String = headers
            .iter()
            .map(|(n, v)| format!("{n}:{}\n", v.trim()))
            .collect();
        // Every service but S3 signs the path encoded once more (an ARN in `/tags/{arn}` arrives
        // as `%3A`, and is signed as `%253A`), as botocore and the API do.
        let canonical_path: Vec<String> = url.path().split('/').map(encode).collect();
        let canonical = format!(
            "{method}\n{}\n{query}\n{canonical_headers}\n{}\n{payload_hash}",
            canonical_path.join("/"),
            signed.join(";")
        );
        let day = &amz_date[..8];
        let scope = format!("{day}/{}/{service}/aws4_request", self.region);
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        let mut key = format!("AWS4{}", self.secret).into_bytes();
        for part in [day, self.region.as_str(), service, "aws4_request"] {
            key = hmac(&key, part.as_bytes());
        }
        let signature = hex::encode(hmac(&key, to_sign.as_bytes()));
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
            self.key_id,
            signed.join(";")
        );
        let mut full = url.clone();
        full.set_query((!query.is_empty()).then_some(query.as_str()));
        let mut rb = self
            .http
            .request(method.parse().context("HTTP method")?, full)
            .header("authorization", authorization);
        for (n, v) in &headers {
            if *n != "host" {
                rb = rb.header(*n, *v);
            }
        }
        let resp = rb
            .body(body)
            .send()
            .await
            .with_context(|| format!("Tocsin API at {} unreachable", self.endpoint))?;
        let status = resp.status();
        let error_type = resp
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(':').next().unwrap_or(v).to_owned());
        let text = resp.text().await.unwrap_or_default();
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if !status.is_success() {
            let kind = error_type
                .or_else(|| value["__type"].as_str().map(str::to_owned))
                .unwrap_or_else(|| status.to_string());
            let message = value["message"]
                .as_str()
                .or(value["Message"].as_str())
                .unwrap_or(&text);
            bail!("{kind}: {message}");
        }
        Ok(value)
    }
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length: `new_from_slice` cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The wall clock: SigV4 signs the real time (the one place the CLI reads it).
fn chrono_now() -> chrono::DateTime<chrono::Utc> {
    tocsin_runtime::SystemClock.now()
}

/// RFC 3986 percent-encoding of everything but the unreserved characters, as SigV4 and the
/// API's paths and queries want it.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
