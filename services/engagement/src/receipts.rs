//! Recording delivery receipts on pages and on the incident timeline.

use std::time::Duration;

use tocsin_core::receipt;
use tocsin_proto::Envelope;
use tocsin_proto::messages::{Event, PageReceiptV1};
use tocsin_proto::records::{Page, ReceiptType, kinds};
use tocsin_runtime::records::RecordsError;
use tocsin_runtime::{Context, Outcome, Records};
use tocsin_store::{Expect, StoreError};

use crate::drive::last_segment;

/// Compare-and-set attempts before the write is retried through the queue.
const CAS_ATTEMPTS: usize = 5;

/// Adds the receipt to its page (compare-and-set on the page's version) and the timeline.
pub(crate) async fn record(
    ctx: &Context,
    env: &Envelope<Event>,
    r: &PageReceiptV1,
    delivered: bool,
) -> Outcome {
    let records = Records::new(ctx.store.clone(), env.account_id.clone());
    let page_id = last_segment(&r.page_arn);
    let kind = if delivered {
        ReceiptType::Delivered
    } else {
        ReceiptType::Error
    };
    for _ in 0..CAS_ATTEMPTS {
        let (page, version) = match records.get::<Page>(kinds::PAGE, page_id).await {
            Ok(Some(p)) => p,
            Ok(None) => return Outcome::Reject(format!("page {} does not exist", r.page_arn)),
            Err(e) if e.is_transient() => return Outcome::retry(Duration::from_millis(250), e),
            Err(e) => return Outcome::Reject(e.to_string()),
        };
        let incident_arn = page.incident_id.clone().unwrap_or_default();
        let Some((updated, event)) = receipt::record(&page, &incident_arn, kind, &r.detail, r.at)
        else {
            // Already recorded: make sure the timeline has it too (a crash may have come between).
            return append(&records, &r.incident_id, &page, &incident_arn, kind, r).await;
        };
        match records
            .put(kinds::PAGE, page_id, &updated, Expect::Version(version))
            .await
        {
            Ok(_) => {}
            Err(RecordsError::Store(StoreError::Conflict { .. })) => continue,
            Err(e) => return Outcome::retry(Duration::from_millis(250), e),
        }
        if let Err(e) = records.append_timeline(&r.incident_id, &event).await {
            return Outcome::retry(Duration::from_millis(250), e);
        }
        tracing::info!(page_arn = %r.page_arn, delivered, "Page receipt recorded.");
        return Outcome::Ack;
    }
    Outcome::retry(
        Duration::from_millis(100),
        "page kept changing under concurrent writers",
    )
}

async fn append(
    records: &Records,
    incident_id: &str,
    page: &Page,
    incident_arn: &str,
    kind: ReceiptType,
    r: &PageReceiptV1,
) -> Outcome {
    // Rebuild the event from the page as it was before the receipt: same derived id.
    let mut before = page.clone();
    before.receipts.retain(|x| x.receipt_type != kind);
    let Some((_, event)) = receipt::record(&before, incident_arn, kind, &r.detail, r.at) else {
        return Outcome::Ack;
    };
    match records.append_timeline(incident_id, &event).await {
        Ok(_) => Outcome::Ack,
        Err(e) => Outcome::retry(Duration::from_millis(250), e),
    }
}
