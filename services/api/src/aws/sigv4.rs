//! AWS Signature Version 4 verification of a buffered request (`Authorization` header form),
//! as the AWS CLI and SDKs sign it: canonical request, string to sign, derived key, HMAC.
//!
//! Pure: the caller supplies the secret lookup and the current time (the injected clock), so
//! the rules are unit-tested against the published AWS examples.

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The only algorithm accepted.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// How far the signing time may be from the server's clock (AWS allows 15 minutes).
pub const MAX_SKEW: TimeDelta = TimeDelta::minutes(15);
/// Header carrying the signing time.
const X_AMZ_DATE: &str = "x-amz-date";
/// Header carrying the payload hash (optional for this service).
const X_AMZ_CONTENT_SHA256: &str = "x-amz-content-sha256";

/// Why a request is refused. Each variant maps to the AWS error type a client expects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigError {
    /// No `Authorization` header at all.
    #[error("missing Authentication Token")]
    Missing,
    /// The header or a required part of the request is malformed.
    #[error("{0}")]
    Malformed(String),
    /// The access key id is not configured.
    #[error("the security token included in the request is invalid")]
    UnknownKey,
    /// The signing time is too far from now.
    #[error("signature expired: {signed} is not within 15 minutes of {now}")]
    Expired {
        /// `x-amz-date` of the request.
        signed: String,
        /// Server time, same format.
        now: String,
    },
    /// The credential scope names another region or service.
    #[error("credential should be scoped to {0}")]
    WrongScope(String),
    /// The signature does not match.
    #[error(
        "the request signature we calculated does not match the signature you provided; check your AWS secret access key and signing method"
    )]
    Mismatch,
}

/// The parts of a request that are signed, borrowed from it.
#[derive(Debug)]
pub struct SignedRequest<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Path as sent (still percent-encoded).
    pub path: &'a str,
    /// Raw query string without `?` (empty when none).
    pub query: &'a str,
    /// Headers (name, value); names in any case, repeated names allowed.
    pub headers: Vec<(&'a str, &'a str)>,
    /// Body.
    pub body: &'a [u8],
}

/// The parsed `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// Access key id.
    pub access_key_id: String,
    /// `yyyymmdd` of the scope.
    pub date: String,
    /// Region of the scope.
    pub region: String,
    /// Service of the scope.
    pub service: String,
    /// Signed header names, lower case, as listed.
    pub signed_headers: Vec<String>,
    /// Hex signature.
    pub signature: String,
}

impl Authorization {
    /// Parses `AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request,
    /// SignedHeaders=a;b, Signature=hex`.
    pub fn parse(header: &str) -> Result<Self, SigError> {
        let bad = |m: &str| SigError::Malformed(format!("Authorization header: {m}"));
        let rest = header
            .strip_prefix(ALGORITHM)
            .filter(|r| r.starts_with(' '))
            .ok_or_else(|| bad("only AWS4-HMAC-SHA256 is supported"))?;
        let (mut credential, mut signed, mut signature) = (None, None, None);
        for part in rest.split(',').map(str::trim) {
            match part.split_once('=') {
                Some(("Credential", v)) => credential = Some(v),
                Some(("SignedHeaders", v)) => signed = Some(v),
                Some(("Signature", v)) => signature = Some(v),
                _ => return Err(bad(&format!("unexpected element {part:?}"))),
            }
        }
        let credential = credential.ok_or_else(|| bad("missing Credential"))?;
        let signed = signed.ok_or_else(|| bad("missing SignedHeaders"))?;
        let signature = signature.ok_or_else(|| bad("missing Signature"))?;
        let scope: Vec<&str> = credential.split('/').collect();
        let [id, date, region, service, "aws4_request"] = scope[..] else {
            return Err(bad(
                "Credential must be <key id>/<yyyymmdd>/<region>/<service>/aws4_request",
            ));
        };
        let signed_headers: Vec<String> = signed.split(';').map(str::to_string).collect();
        let well_formed = signed_headers
            .iter()
            .all(|h| !h.is_empty() && *h == h.to_ascii_lowercase())
            && signed_headers.windows(2).all(|w| w[0] < w[1]);
        if !well_formed {
            return Err(bad("SignedHeaders must be lower-case names, sorted"));
        }
        if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("Signature must be 64 hex digits"));
        }
        Ok(Self {
            access_key_id: id.into(),
            date: date.into(),
            region: region.into(),
            service: service.into(),
            signed_headers,
            signature: signature.to_ascii_lowercase(),
        })
    }
}

/// Verifies `req`: the scope must be `region`/`service`, the key known to `secret_of`, the
/// signing time within [`MAX_SKEW`] of `now`, and the signature right. Returns the header.
pub fn verify(
    req: &SignedRequest<'_>,
    region: &str,
    service: &str,
    now: DateTime<Utc>,
    secret_of: impl FnOnce(&str) -> Option<String>,
) -> Result<Authorization, SigError> {
    let header = header_values(req, "authorization");
    let auth = match header.as_slice() {
        [] => return Err(SigError::Missing),
        [one] => Authorization::parse(one)?,
        _ => return Err(SigError::Malformed("several Authorization headers".into())),
    };
    let secret = secret_of(&auth.access_key_id).ok_or(SigError::UnknownKey)?;
    if auth.region != region || auth.service != service {
        return Err(SigError::WrongScope(format!(
            "region {region} and service {service}, not {}/{}",
            auth.region, auth.service
        )));
    }
    for required in ["host", X_AMZ_DATE] {
        if !auth.signed_headers.iter().any(|h| h == required) {
            return Err(SigError::Malformed(format!(
                "SignedHeaders must include {required}"
            )));
        }
    }
    let amz_date = match header_values(req, X_AMZ_DATE).as_slice() {
        [one] => one.trim().to_string(),
        _ => {
            return Err(SigError::Malformed(
                "exactly one X-Amz-Date header is required".into(),
            ));
        }
    };
    let signed_at = NaiveDateTime::parse_from_str(&amz_date, "%Y%m%dT%H%M%SZ")
        .map_err(|_| {
            SigError::Malformed(format!("X-Amz-Date {amz_date:?} is not yyyymmddThhmmssZ"))
        })?
        .and_utc();
    if !amz_date.starts_with(&auth.date) {
        return Err(SigError::Malformed(
            "the Credential date must be the day of X-Amz-Date".into(),
        ));
    }
    if (signed_at - now).abs() > MAX_SKEW {
        return Err(SigError::Expired {
            signed: amz_date,
            now: now.format("%Y%m%dT%H%M%SZ").to_string(),
        });
    }
    let body_hash = hex::encode(Sha256::digest(req.body));
    if let [claimed] = header_values(req, X_AMZ_CONTENT_SHA256).as_slice()
        && !claimed.trim().eq_ignore_ascii_case(&body_hash)
    {
        return Err(SigError::Malformed(
            "X-Amz-Content-Sha256 does not match the body".into(),
        ));
    }
    let canonical = canonical_request(req, &auth.signed_headers, &body_hash)?;
    let scope = format!("{}/{region}/{service}/aws4_request", auth.date);
    let to_sign = string_to_sign(&amz_date, &scope, &canonical);
    let key = signing_key(&secret, &auth.date, region, service);
    let expected = hex::decode(&auth.signature).map_err(|_| SigError::Mismatch)?;
    let mut mac = HmacSha256::new_from_slice(&key).map_err(|_| SigError::Mismatch)?;
    mac.update(to_sign.as_bytes());
    // `verify_slice` compares in constant time.
    mac.verify_slice(&expected)
        .map_err(|_| SigError::Mismatch)?;
    Ok(auth)
}

/// All values of a header (case-insensitive name).
fn header_values<'a>(req: &SignedRequest<'a>, name: &str) -> Vec<&'a str> {
    req.headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
        .collect()
}

/// The canonical request: method, canonical URI, canonical query, canonical headers, signed
/// headers, payload hash, one per line.
pub fn canonical_request(
    req: &SignedRequest<'_>,
    signed_headers: &[String],
    payload_hash: &str,
) -> Result<String, SigError> {
    let mut headers = String::new();
    for name in signed_headers {
        let values = header_values(req, name);
        if values.is_empty() {
            return Err(SigError::Malformed(format!(
                "signed header {name} is not in the request"
            )));
        }
        let joined: Vec<String> = values.iter().map(|v| collapse_spaces(v)).collect();
        headers.push_str(&format!("{name}:{}\n", joined.join(",")));
    }
    Ok(format!(
        "{}\n{}\n{}\n{headers}\n{}\n{payload_hash}",
        req.method,
        canonical_uri(req.path),
        canonical_query(req.query),
        signed_headers.join(";"),
    ))
}

/// The path encoded once more (every service but S3 signs the already-encoded path).
fn canonical_uri(path: &str) -> String {
    if path.is_empty() {
        return "/".into();
    }
    uri_encode(path.as_bytes(), false)
}

/// Query parameters decoded, re-encoded strictly and sorted by name, then value.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&percent_decode(k), true),
                uri_encode(&percent_decode(v), true),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The string to sign.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    )
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length: `new_from_slice` cannot fail here.
    let mut mac = HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// Trims and collapses runs of spaces, as SigV4 canonical header values require.
fn collapse_spaces(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// RFC 3986 encoding: unreserved characters kept, everything else `%XX` (upper case); `/`
/// kept unless `encode_slash`.
fn uri_encode(bytes: &[u8], encode_slash: bool) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (b == b'/' && !encode_slash)
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes (a malformed escape stays as it is).
fn percent_decode(s: &str) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16);
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match (
            b[i],
            b.get(i + 1).and_then(|&h| hex(h)),
            b.get(i + 2).and_then(|&l| hex(l)),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
