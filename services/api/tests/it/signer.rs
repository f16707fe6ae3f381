//! A SigV4 signer written for the tests from the AWS documentation, independent of the
//! server's verifier: it builds the canonical request the way botocore does for a
//! restJson1 call (host, x-amz-date and x-amz-content-sha256 signed; the path, as sent,
//! encoded once more in the canonical request, as for every service but S3). Shared by the
//! API test binaries (`#[path]`).

use axum::body::Body;
use axum::http::Request;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::{Digest, Sha256};

const HOST: &str = "tocsin.test";

/// Signs as one access key, for a region and service.
pub struct Signer {
    pub key_id: String,
    pub secret: String,
    pub region: String,
    pub service: String,
}

fn hmac(key: &[u8], msg: &str) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
    m.update(msg.as_bytes());
    m.finalize().into_bytes().to_vec()
}

/// RFC 3986 strict encoding (what botocore's `quote(safe='-_.~')` yields).
pub fn encode(s: &str) -> String {
    quote(s, false)
}

/// [`encode`] keeping `/`: a path as the canonical request holds it.
fn encode_path(s: &str) -> String {
    quote(s, true)
}

fn quote(s: &str, keep_slash: bool) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b'/' if keep_slash => "/".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Signer {
    pub fn new(key_id: &str, secret: &str) -> Self {
        Self {
            key_id: key_id.into(),
            secret: secret.into(),
            region: "us-east-1".into(),
            service: "ssm-incidents".into(),
        }
    }

    /// A signed JSON POST.
    pub fn post(&self, path: &str, body: &Value, at: DateTime<Utc>) -> Request<Body> {
        let bytes = serde_json::to_vec(body).unwrap();
        self.request("POST", path, &[], bytes, at)
    }

    /// A signed GET with query parameters.
    pub fn get(&self, path: &str, query: &[(&str, &str)], at: DateTime<Utc>) -> Request<Body> {
        self.request("GET", path, query, Vec::new(), at)
    }

    /// A signed request.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Vec<u8>,
        at: DateTime<Utc>,
    ) -> Request<Body> {
        let amz_date = at.format("%Y%m%dT%H%M%SZ").to_string();
        let day = &amz_date[..8];
        let payload_hash = hex::encode(Sha256::digest(&body));
        let mut q: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        q.sort();
        let query_string = q.join("&");
        let canonical = format!(
            "{method}\n{}\n{query_string}\nhost:{HOST}\nx-amz-content-sha256:{payload_hash}\nx-amz-date:{amz_date}\n\nhost;x-amz-content-sha256;x-amz-date\n{payload_hash}",
            encode_path(path)
        );
        let scope = format!("{day}/{}/{}/aws4_request", self.region, self.service);
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        let k = hmac(format!("AWS4{}", self.secret).as_bytes(), day);
        let k = hmac(&k, &self.region);
        let k = hmac(&k, &self.service);
        let k = hmac(&k, "aws4_request");
        let signature = hex::encode(hmac(&k, &to_sign));
        let uri = if query_string.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{query_string}")
        };
        Request::builder()
            .method(method)
            .uri(uri)
            .header("host", HOST)
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-date", &amz_date)
            .header("x-amz-content-sha256", &payload_hash)
            .header(
                "authorization",
                format!(
                    "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={signature}",
                    self.key_id
                ),
            )
            .body(Body::from(body))
            .unwrap()
    }
}
