//! The published AWS SigV4 examples, then one tampering per signed element.

use chrono::TimeZone;

use super::*;

/// Secret of the AWS documentation examples.
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn at_signing() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2015, 8, 30, 12, 36, 0).unwrap()
}

fn secret_of(id: &str) -> Option<String> {
    (id == "AKIDEXAMPLE").then(|| SECRET.to_string())
}

/// The IAM `ListUsers` example of the AWS General Reference ("Create a signed AWS API
/// request"): its canonical request hash and signature are published.
#[test]
fn the_iam_list_users_example_has_the_published_signature() {
    let headers = vec![
        (
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        ),
        ("host", "iam.amazonaws.com"),
        ("x-amz-date", "20150830T123600Z"),
    ];
    let req = SignedRequest {
        method: "GET",
        path: "/",
        query: "Version=2010-05-08&Action=ListUsers",
        headers,
        body: b"",
    };
    let signed = ["content-type", "host", "x-amz-date"].map(String::from);
    let creq = canonical_request(&req, &signed, EMPTY_SHA256).unwrap();
    assert_eq!(
        hex::encode(Sha256::digest(creq.as_bytes())),
        "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
    );
    let sts = string_to_sign(
        "20150830T123600Z",
        "20150830/us-east-1/iam/aws4_request",
        &creq,
    );
    let mut mac =
        HmacSha256::new_from_slice(&signing_key(SECRET, "20150830", "us-east-1", "iam")).unwrap();
    mac.update(sts.as_bytes());
    assert_eq!(
        hex::encode(mac.finalize().into_bytes()),
        "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
    );
}

/// `get-vanilla` of the AWS SigV4 test suite, verified end to end.
fn vanilla(signature: &str) -> (String, Vec<(&'static str, &'static str)>) {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}"
    );
    (
        auth,
        vec![
            ("Host", "example.amazonaws.com"),
            ("X-Amz-Date", "20150830T123600Z"),
        ],
    )
}

const VANILLA_SIG: &str = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

fn check(
    method: &str,
    path: &str,
    query: &str,
    auth: &str,
    headers: &[(&str, &str)],
    now: DateTime<Utc>,
) -> Result<Authorization, SigError> {
    let mut h: Vec<(&str, &str)> = headers.to_vec();
    h.push(("Authorization", auth));
    let req = SignedRequest {
        method,
        path,
        query,
        headers: h,
        body: b"",
    };
    verify(&req, "us-east-1", "service", now, secret_of)
}

#[test]
fn get_vanilla_verifies() {
    let (auth, headers) = vanilla(VANILLA_SIG);
    let a = check("GET", "/", "", &auth, &headers, at_signing()).unwrap();
    assert_eq!(a.access_key_id, "AKIDEXAMPLE");
    // Within the allowed skew either way.
    let later = at_signing() + TimeDelta::minutes(14);
    assert!(check("GET", "/", "", &auth, &headers, later).is_ok());
}

#[test]
fn tampering_is_refused() {
    let (auth, headers) = vanilla(VANILLA_SIG);
    let now = at_signing();
    assert_eq!(
        check("POST", "/", "", &auth, &headers, now),
        Err(SigError::Mismatch)
    );
    assert_eq!(
        check("GET", "/other", "", &auth, &headers, now),
        Err(SigError::Mismatch)
    );
    assert_eq!(
        check("GET", "/", "a=b", &auth, &headers, now),
        Err(SigError::Mismatch)
    );
    let other_host = [
        ("Host", "evil.example.com"),
        ("X-Amz-Date", "20150830T123600Z"),
    ];
    assert_eq!(
        check("GET", "/", "", &auth, &other_host, now),
        Err(SigError::Mismatch)
    );
    let (bad_sig, _) = vanilla(&VANILLA_SIG.replace('5', "6"));
    assert_eq!(
        check("GET", "/", "", &bad_sig, &headers, now),
        Err(SigError::Mismatch)
    );
    let unknown = auth.replace("AKIDEXAMPLE", "AKIDOTHER");
    assert_eq!(
        check("GET", "/", "", &unknown, &headers, now),
        Err(SigError::UnknownKey)
    );
    let other_service = auth.replace("/service/", "/iam/");
    assert!(matches!(
        check("GET", "/", "", &other_service, &headers, now),
        Err(SigError::WrongScope(_))
    ));
    let unsigned_date = auth.replace("host;x-amz-date", "host");
    assert!(matches!(
        check("GET", "/", "", &unsigned_date, &headers, now),
        Err(SigError::Malformed(_))
    ));
    assert_eq!(
        check("GET", "/", "", "", &[], now).map(|_| ()),
        Err(SigError::Malformed(
            "Authorization header: only AWS4-HMAC-SHA256 is supported".into()
        ))
    );
    let req = SignedRequest {
        method: "GET",
        path: "/",
        query: "",
        headers: headers.clone(),
        body: b"",
    };
    assert_eq!(
        verify(&req, "us-east-1", "service", now, secret_of),
        Err(SigError::Missing)
    );
}

#[test]
fn a_stale_or_future_signature_is_expired() {
    let (auth, headers) = vanilla(VANILLA_SIG);
    for now in [
        at_signing() + TimeDelta::minutes(16),
        at_signing() - TimeDelta::minutes(16),
    ] {
        assert!(matches!(
            check("GET", "/", "", &auth, &headers, now),
            Err(SigError::Expired { .. })
        ));
    }
}

#[test]
fn the_query_is_decoded_reencoded_and_sorted() {
    assert_eq!(
        canonical_query("b=2&a=x%3Ay%2Fz&a=%7e1"),
        "a=x%3Ay%2Fz&a=~1&b=2"
    );
    assert_eq!(canonical_query(""), "");
    assert_eq!(canonical_uri("/a b/%2F"), "/a%20b/%252F");
}
