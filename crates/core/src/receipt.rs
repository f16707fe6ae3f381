//! Recording a delivery outcome on its page and on the incident timeline.

use chrono::{DateTime, Utc};
use serde_json::json;
use tocsin_proto::records::{Page, Receipt, ReceiptType, TimelineEvent, timeline_types};

use crate::timeline::event;

/// Adds a DELIVERED or ERROR receipt to `page`. `None` when the page already has that receipt
/// (a redelivered receipt changes nothing).
pub fn record(
    page: &Page,
    incident_arn: &str,
    kind: ReceiptType,
    detail: &str,
    at: DateTime<Utc>,
) -> Option<(Page, TimelineEvent)> {
    if page.receipts.iter().any(|r| r.receipt_type == kind) {
        return None;
    }
    let mut updated = page.clone();
    updated.receipts.push(Receipt {
        contact_channel_arn: Some(page.contact_channel_arn.clone()),
        receipt_type: kind,
        receipt_info: Some(detail.to_string()),
        receipt_time: at,
    });
    let (event_type, tag) = match kind {
        ReceiptType::Delivered => {
            updated.delivery_time.get_or_insert(at);
            (timeline_types::PAGE_DELIVERED, "delivered")
        }
        ReceiptType::Read => {
            updated.read_time.get_or_insert(at);
            (timeline_types::PAGE_READ, "read")
        }
        _ => (timeline_types::PAGE_FAILED, "failed"),
    };
    let ev = event(
        incident_arn,
        &[&page.page_arn, tag],
        at,
        event_type,
        json!({
            "pageArn": page.page_arn,
            "contactArn": page.contact_arn,
            "contactChannelArn": page.contact_channel_arn,
            "channelType": page.channel_type,
            "detail": detail,
        }),
        &[&page.page_arn, &page.contact_arn],
    );
    Some((updated, ev))
}
