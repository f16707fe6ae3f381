//! `AcceptPage` and `StopEngagement`: checked here, applied by the engagement consumer.

use tocsin_core::receipt;
use tocsin_proto::messages::{Event, PageAcceptedV1, StopEngagementV1};
use tocsin_proto::records::{Engagement, Page, ReceiptType, kinds};
use tocsin_runtime::publish::{self, Meta};
use tocsin_runtime::records::RecordsError;
use tocsin_runtime::{Context, Records};
use tocsin_store::{Expect, StoreError};

use crate::drive::last_segment;

/// `AcceptType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptType {
    /// The page reached the device.
    Delivered,
    /// The responder read it: the acknowledgement.
    Read,
}

/// An `AcceptPage` request.
#[derive(Debug, Clone)]
pub struct AcceptPage {
    /// Page id (store id or ARN).
    pub page_id: String,
    /// The channel, if given (must be the page's).
    pub contact_channel_id: Option<String>,
    /// DELIVERED or READ.
    pub accept_type: AcceptType,
    /// The responder's note.
    pub note: Option<String>,
    /// The code presented.
    pub accept_code: String,
    /// Whether the code must match (`ENFORCE`) or not (`IGNORE`, the default).
    pub enforce_code: bool,
}

/// Why an accept or stop was refused.
#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    /// No such page or engagement.
    #[error("{0} does not exist")]
    NotFound(String),
    /// `AcceptCodeValidation` ENFORCE and the code does not match: nothing changes.
    #[error("AcceptCode: does not match the code sent with the page")]
    WrongCode,
    /// The request contradicts the page.
    #[error("{0}")]
    Invalid(String),
    /// The store or bus failed.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

impl From<RecordsError> for AcceptError {
    fn from(e: RecordsError) -> Self {
        AcceptError::Unavailable(e.to_string())
    }
}

/// Accepts a page: records the receipt on the page and announces it; a READ acknowledges the
/// engagement (the consumer stops its plan, and its parent's if essential).
pub async fn accept_page(
    ctx: &Context,
    records: &Records,
    req: &AcceptPage,
) -> Result<(), AcceptError> {
    let id = last_segment(&req.page_id).to_string();
    let now = ctx.clock.now();
    for _ in 0..8 {
        let Some((page, version)) = records.get::<Page>(kinds::PAGE, &id).await? else {
            return Err(AcceptError::NotFound(format!("page {}", req.page_id)));
        };
        if req.enforce_code && req.accept_code != page.accept_code {
            return Err(AcceptError::WrongCode);
        }
        if let Some(ch) = &req.contact_channel_id
            && ch != &page.contact_channel_arn
        {
            return Err(AcceptError::Invalid(format!(
                "ContactChannelId: {ch} is not the channel of this page"
            )));
        }
        let kind = if req.accept_type == AcceptType::Read {
            ReceiptType::Read
        } else {
            ReceiptType::Delivered
        };
        let incident_arn = page.incident_id.clone().unwrap_or_default();
        if let Some((updated, event)) = receipt::record(
            &page,
            &incident_arn,
            kind,
            req.note.as_deref().unwrap_or("accepted"),
            now,
        ) {
            match records
                .put(kinds::PAGE, &id, &updated, Expect::Version(version))
                .await
            {
                Ok(_) => {}
                Err(RecordsError::Store(StoreError::Conflict { .. })) => continue,
                Err(e) => return Err(e.into()),
            }
            if let Some((e, _)) = records
                .get::<Engagement>(kinds::ENGAGEMENT, last_segment(&page.engagement_arn))
                .await?
                && let Some(incident_id) = e.tocsin.incident_record_id
            {
                records.append_timeline(&incident_id, &event).await?;
            }
        }
        let accepted = PageAcceptedV1 {
            page_arn: page.page_arn.clone(),
            engagement_arn: page.engagement_arn.clone(),
            contact_arn: page.contact_arn.clone(),
            accept_type: if kind == ReceiptType::Read {
                "READ"
            } else {
                "DELIVERED"
            }
            .into(),
            note: req.note.clone(),
            at: now,
        };
        let key = format!("accept:{}:{}", page.page_arn, accepted.accept_type);
        let meta = Meta {
            account: records.account(),
            idempotency_key: &key,
            now,
        };
        return publish::event(&ctx.bus, &meta, Event::PageAccepted(accepted))
            .await
            .map_err(|e| AcceptError::Unavailable(e.to_string()));
    }
    Err(AcceptError::Unavailable(
        "the page kept changing under concurrent writers".into(),
    ))
}

/// Asks the engagement service to stop an engagement (and what it started).
pub async fn stop_engagement(
    ctx: &Context,
    records: &Records,
    engagement_id: &str,
    reason: Option<String>,
) -> Result<(), AcceptError> {
    let id = last_segment(engagement_id);
    let Some((e, _)) = records.get::<Engagement>(kinds::ENGAGEMENT, id).await? else {
        return Err(AcceptError::NotFound(format!("engagement {engagement_id}")));
    };
    let now = ctx.clock.now();
    let stop = StopEngagementV1 {
        engagement_arn: e.engagement_arn.clone(),
        reason,
        at: now,
    };
    let key = format!("stop:{}", e.engagement_arn);
    let meta = Meta {
        account: records.account(),
        idempotency_key: &key,
        now,
    };
    publish::event(&ctx.bus, &meta, Event::EngagementStopRequested(stop))
        .await
        .map_err(|e| AcceptError::Unavailable(e.to_string()))
}
