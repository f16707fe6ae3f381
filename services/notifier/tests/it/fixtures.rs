//! Records the incident side and the inbound routes act on, written straight to the store.

use serde_json::json;
use tocsin_proto::records::{
    ChannelType, ContactChannel, IncidentRecord, Page, ResponsePlan, kinds,
};
use tocsin_runtime::Records;
use tocsin_store::Expect;

use crate::ACCOUNT;

pub(crate) const PLAN: &str = "db-outage";

pub(crate) fn plan_arn() -> String {
    format!("arn:aws:ssm-incidents::{ACCOUNT}:response-plan/{PLAN}")
}

pub(crate) fn incident_arn(id: &str) -> String {
    format!("arn:aws:ssm-incidents::{ACCOUNT}:incident-record/{PLAN}/{id}")
}

/// An OPEN incident of [`PLAN`] with these chat webhooks (`(kind, url)`).
pub(crate) async fn incident(
    records: &Records,
    id: &str,
    webhooks: &[(&str, String)],
) -> IncidentRecord {
    let hooks: Vec<_> = webhooks
        .iter()
        .map(|(k, u)| json!({"kind": k, "url": u}))
        .collect();
    let r: IncidentRecord = serde_json::from_value(json!({
        "arn": incident_arn(id),
        "title": "Database outage",
        "summary": "Primary db-1 stopped answering.",
        "status": "OPEN",
        "impact": 2,
        "creationTime": "2026-11-22T03:00:00Z",
        "lastModifiedTime": "2026-11-22T03:00:00Z",
        "lastModifiedBy": "arn:aws:iam::123456789012:role/tocsin-ingest",
        "dedupeString": "db-primary",
        "incidentRecordSource": {"createdBy": "tocsin", "source": "tocsin.native"},
        "chatChannel": {"webhooks": hooks},
        "responsePlanArn": plan_arn(),
    }))
    .unwrap();
    records
        .put(kinds::INCIDENT, id, &r, Expect::Any)
        .await
        .unwrap();
    r
}

/// The response plan, with a PagerDuty integration when `secret_id` is given.
pub(crate) async fn plan(records: &Records, pagerduty: Option<(&str, &str)>) {
    let integrations = match pagerduty {
        Some((secret_id, service)) => json!([{"pagerDutyConfiguration": {
            "name": "pd", "secretId": secret_id,
            "pagerDutyIncidentConfiguration": {"serviceId": service}}}]),
        None => json!([]),
    };
    let p: ResponsePlan = serde_json::from_value(json!({
        "arn": plan_arn(),
        "name": PLAN,
        "incidentTemplate": {"title": "Database outage", "impact": 2},
        "integrations": integrations,
    }))
    .unwrap();
    records
        .put(kinds::RESPONSE_PLAN, PLAN, &p, Expect::Any)
        .await
        .unwrap();
}

/// An unread page of incident `incident` to `channel` with accept code `code`.
pub(crate) async fn page(
    records: &Records,
    id: &str,
    incident: &str,
    channel: &str,
    code: &str,
) -> Page {
    let p: Page = serde_json::from_value(json!({
        "PageArn": format!("arn:aws:ssm-contacts:us-east-1:{ACCOUNT}:page/alice/{id}"),
        "EngagementArn": format!("arn:aws:ssm-contacts:us-east-1:{ACCOUNT}:engagement/alice/e-{id}"),
        "ContactArn": format!("arn:aws:ssm-contacts:us-east-1:{ACCOUNT}:contact/alice"),
        "ContactChannelArn": channel,
        "ChannelType": "SMS",
        "Sender": "tocsin",
        "Subject": "Database outage",
        "Content": "Primary db-1 stopped answering.",
        "IncidentId": incident_arn(incident),
        "SentTime": "2026-11-22T03:00:00Z",
        "AcceptCode": code,
    }))
    .unwrap();
    records.put(kinds::PAGE, id, &p, Expect::Any).await.unwrap();
    p
}

/// An ACTIVATED SMS channel of alice at `number`.
pub(crate) async fn sms_channel(records: &Records, id: &str, number: &str) -> ContactChannel {
    let c: ContactChannel = serde_json::from_value(json!({
        "ContactChannelArn": format!("arn:aws:ssm-contacts:us-east-1:{ACCOUNT}:contact-channel/alice/{id}"),
        "ContactArn": format!("arn:aws:ssm-contacts:us-east-1:{ACCOUNT}:contact/alice"),
        "Name": "phone",
        "Type": "SMS",
        "DeliveryAddress": {"SimpleAddress": number},
        "ActivationStatus": "ACTIVATED",
    }))
    .unwrap();
    assert_eq!(c.channel_type, ChannelType::Sms);
    records
        .put(kinds::CONTACT_CHANNEL, id, &c, Expect::Any)
        .await
        .unwrap();
    c
}
