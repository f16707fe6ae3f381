//! A SigV4 signer for the load client, written from the AWS documentation like the API's test
//! signer (the server's verifier is private to `tocsin-api`): it signs `host`, `x-amz-date`
//! and `x-amz-content-sha256`, as botocore does for a restJson1 call.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// One access key signing for `ssm-incidents` in a region.
#[derive(Debug, Clone)]
pub struct Signer {
    /// Access key id.
    pub key_id: String,
    /// Its secret.
    pub secret: String,
    /// Region of the deployment.
    pub region: String,
    /// `host` header value (`127.0.0.1:<port>`).
    pub host: String,
}

/// A request ready to send: its URI (path and query) and headers.
#[derive(Debug)]
pub struct Signed {
    /// Path and canonical query.
    pub uri: String,
    /// Headers to set (host included).
    pub headers: Vec<(&'static str, String)>,
}

fn hmac(key: &[u8], msg: &str) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    m.update(msg.as_bytes());
    m.finalize().into_bytes().to_vec()
}

/// RFC 3986 strict encoding (botocore's `quote(safe='-_.~')`).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Signer {
    /// Signs `method path?query` with `body` at `at`.
    pub fn sign(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: &[u8],
        at: DateTime<Utc>,
    ) -> Signed {
        const SERVICE: &str = "ssm-incidents";
        let amz_date = at.format("%Y%m%dT%H%M%SZ").to_string();
        let day = &amz_date[..8];
        let payload_hash = hex::encode(Sha256::digest(body));
        let mut q: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        q.sort();
        let query_string = q.join("&");
        let host = &self.host;
        let canonical = format!(
            "{method}\n{path}\n{query_string}\nhost:{host}\nx-amz-content-sha256:{payload_hash}\nx-amz-date:{amz_date}\n\nhost;x-amz-content-sha256;x-amz-date\n{payload_hash}"
        );
        let scope = format!("{day}/{}/{SERVICE}/aws4_request", self.region);
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        let k = hmac(format!("AWS4{}", self.secret).as_bytes(), day);
        let k = hmac(&k, &self.region);
        let k = hmac(&k, SERVICE);
        let k = hmac(&k, "aws4_request");
        let signature = hex::encode(hmac(&k, &to_sign));
        let uri = if query_string.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{query_string}")
        };
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={signature}",
            self.key_id
        );
        Signed {
            uri,
            headers: vec![
                ("host", host.clone()),
                ("content-type", "application/json".into()),
                ("x-amz-date", amz_date),
                ("x-amz-content-sha256", payload_hash),
                ("authorization", authorization),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn encodes_like_botocore() {
        assert_eq!(
            encode("arn:aws:x/y z~"),
            "arn%3Aaws%3Ax%2Fy%20z~".to_string()
        );
    }
}
