//! One audit event in the CloudTrail record layout (user guide part 3, §8.3), built purely from
//! what the API saw of a call; secrets and personal addresses are replaced before anything is
//! stored or logged.
//!
//! Redacted (the value becomes `HIDDEN_DUE_TO_SECURITY_REASONS`, as CloudTrail writes it):
//! accept and activation codes (`AcceptCode`, `ActivationCode`), contact channel addresses
//! (`SimpleAddress`: phone numbers and e-mail addresses are personal data), the native API's
//! ingest keys (`key`), and any member whose name holds `password`, `secretAccessKey` or
//! `authToken`. Ids of secrets (`secretId`) and idempotency tokens (`clientToken`) are kept.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

/// What CloudTrail writes in place of a hidden value.
pub const HIDDEN: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";
/// `eventVersion` of the records.
pub const EVENT_VERSION: &str = "1.08";
/// Request parameters larger than this (serialised) are not kept.
const MAX_PARAMETERS: usize = 64 * 1024;

/// Who called.
#[derive(Debug, Clone)]
pub struct Identity {
    /// `IAMUser` (an access key) or `TocsinApiToken` (the native API's bearer token).
    pub kind: &'static str,
    /// The caller's account.
    pub account: String,
    /// The access key id, when there is one.
    pub access_key_id: Option<String>,
    /// The caller's ARN.
    pub arn: String,
    /// The user name (the key id; `native-api` for the token).
    pub user_name: String,
}

/// Everything an event records about one call.
#[derive(Debug, Clone)]
pub struct Call {
    /// When it was received (injected clock).
    pub time: DateTime<Utc>,
    /// `ssm-incidents.amazonaws.com`, `ssm-contacts.amazonaws.com` or `tocsin.native`.
    pub source: &'static str,
    /// Operation, e.g. `StartIncident`.
    pub name: String,
    /// `TOCSIN_REGION`.
    pub region: String,
    /// Peer address, when known.
    pub source_ip: Option<String>,
    /// `User-Agent`, when sent.
    pub user_agent: Option<String>,
    /// Who called.
    pub identity: Identity,
    /// The request's parameters (body members, query parameters), not yet redacted.
    pub request: Option<Value>,
    /// The answer's elements (successful writes only), not yet redacted.
    pub response: Option<Value>,
    /// Error shape name, when the call failed.
    pub error_code: Option<String>,
    /// Error message, when the call failed.
    pub error_message: Option<String>,
    /// The request id returned to the caller.
    pub request_id: String,
    /// This event's unique id.
    pub event_id: String,
    /// Whether the operation only reads.
    pub read_only: bool,
    /// The account whose resources the call acted on.
    pub recipient_account: String,
}

/// The CloudTrail record of `call`, redacted.
pub fn record(call: Call) -> Value {
    let id = &call.identity;
    let mut identity = json!({
        "type": id.kind,
        "principalId": id.access_key_id.clone().unwrap_or_else(|| id.account.clone()),
        "arn": id.arn,
        "accountId": id.account,
        "userName": id.user_name,
    });
    if let Some(k) = &id.access_key_id {
        identity["accessKeyId"] = json!(k);
    }
    let request = call
        .request
        .map(redacted)
        .filter(|r| serde_json::to_string(r).is_ok_and(|t| t.len() <= MAX_PARAMETERS));
    let mut event = json!({
        "eventVersion": EVENT_VERSION,
        "userIdentity": identity,
        "eventTime": call.time.to_rfc3339_opts(SecondsFormat::Secs, true),
        "eventSource": call.source,
        "eventName": call.name,
        "awsRegion": call.region,
        "sourceIPAddress": call.source_ip,
        "userAgent": call.user_agent,
        "requestParameters": request,
        "responseElements": call.response.map(redacted),
        "requestID": call.request_id,
        "eventID": call.event_id,
        "readOnly": call.read_only,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "eventCategory": "Management",
        "recipientAccountId": call.recipient_account,
    });
    if let Some(code) = call.error_code {
        event["errorCode"] = json!(code);
        event["errorMessage"] = json!(call.error_message.unwrap_or_default());
    }
    event
}

/// Whether a member's value must not be recorded.
fn secret_member(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(
        n.as_str(),
        "acceptcode" | "activationcode" | "simpleaddress" | "key"
    ) || ["password", "secretaccesskey", "authtoken"]
        .iter()
        .any(|s| n.contains(s))
}

/// `v` with every secret member's value hidden, at any depth.
pub fn redacted(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = if secret_member(&k) && !v.is_null() {
                        json!(HIDDEN)
                    } else {
                        redacted(v)
                    };
                    (k, v)
                })
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redacted).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_addresses_are_hidden_at_any_depth() {
        let v = redacted(json!({
            "PageId": "p",
            "AcceptCode": "123456",
            "DeliveryAddress": { "SimpleAddress": "+15550100" },
            "items": [{ "authToken": "t" }],
            "secretId": "pagerduty-secret",
            "clientToken": "ct",
        }));
        assert_eq!(v["AcceptCode"], HIDDEN);
        assert_eq!(v["DeliveryAddress"]["SimpleAddress"], HIDDEN);
        assert_eq!(v["items"][0]["authToken"], HIDDEN);
        assert_eq!(v["secretId"], "pagerduty-secret");
        assert_eq!(v["clientToken"], "ct");
        assert_eq!(v["PageId"], "p");
    }

    #[test]
    fn a_failed_call_has_the_cloudtrail_fields() {
        let time = DateTime::parse_from_rfc3339("2026-03-01T09:00:00.250Z")
            .unwrap()
            .with_timezone(&Utc);
        let e = record(Call {
            time,
            source: "ssm-incidents.amazonaws.com",
            name: "DeleteResponsePlan".into(),
            region: "us-east-1".into(),
            source_ip: Some("192.0.2.1".into()),
            user_agent: Some("aws-cli/2".into()),
            identity: Identity {
                kind: "IAMUser",
                account: "123456789012".into(),
                access_key_id: Some("AKIDEXAMPLE0000001".into()),
                arn: "arn:aws:iam::123456789012:user/AKIDEXAMPLE0000001".into(),
                user_name: "AKIDEXAMPLE0000001".into(),
            },
            request: Some(json!({ "arn": "arn:aws:ssm-incidents::123456789012:response-plan/p" })),
            response: None,
            error_code: Some("AccessDeniedException".into()),
            error_message: Some("not authorized".into()),
            request_id: "r".into(),
            event_id: "e".into(),
            read_only: false,
            recipient_account: "123456789012".into(),
        });
        assert_eq!(e["eventTime"], "2026-03-01T09:00:00Z");
        assert_eq!(e["eventVersion"], "1.08");
        assert_eq!(e["userIdentity"]["accessKeyId"], "AKIDEXAMPLE0000001");
        assert_eq!(e["errorCode"], "AccessDeniedException");
        assert_eq!(e["responseElements"], Value::Null);
        assert_eq!(e["eventType"], "AwsApiCall");
        assert_eq!(e["readOnly"], false);
    }
}
