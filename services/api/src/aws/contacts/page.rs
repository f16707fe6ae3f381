//! `DescribePage`, `ListPagesByContact`, `ListPagesByEngagement`, `ListPageReceipts`,
//! `ListPageResolutions`, `AcceptPage`. A Tocsin page is one engaged channel; its receipts
//! (SENT, DELIVERED, READ, ERROR, STOP) are kept on it, oldest first. `AcceptPage` is the
//! engagement service's `accept_page`: under `ENFORCE` a wrong code is refused before anything
//! is written; a READ acknowledges the engagement.

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::{Value, json};
use tocsin_engagement::{AcceptError, AcceptPage, AcceptType, accept_page};
use tocsin_proto::records::{ContactType, Engagement, Page, kinds};

use super::call::{Call, Paging, epoch, input, time_key, with_token};
use super::contact;
use super::engagement::{self, EngagementIdInput};
use super::error::ContactsError;
use crate::aws::error::AwsError;

/// A page of the caller's account; `NotFound` otherwise.
async fn load(c: &Call<'_>, field: &str, page_arn: &str) -> Result<Page, ContactsError> {
    let missing = || ContactsError::not_found("PAGE", page_arn);
    let Some(arn) = c.own(field, page_arn, "page")? else {
        return Err(missing());
    };
    match c
        .records()
        .get::<Page>(kinds::PAGE, arn.last_segment())
        .await?
    {
        Some((p, _)) if p.page_arn.ends_with(&format!(":{}", arn.resource)) => Ok(p),
        _ => Err(missing()),
    }
}

/// `Page` (the listing's shape).
fn summary(p: &Page) -> Value {
    let mut out = json!({
        "PageArn": p.page_arn,
        "EngagementArn": p.engagement_arn,
        "ContactArn": p.contact_arn,
        "Sender": p.sender,
        "SentTime": epoch(p.sent_time),
    });
    if let Some(i) = &p.incident_id {
        out["IncidentId"] = json!(i);
    }
    if let Some(t) = p.delivery_time {
        out["DeliveryTime"] = epoch(t);
    }
    if let Some(t) = p.read_time {
        out["ReadTime"] = epoch(t);
    }
    out
}

/// `PageId` requests.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PageIdInput {
    page_id: String,
}

/// `DescribePage`: the page with its engagement's public subject and content.
pub async fn describe(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: PageIdInput = input(&raw)?;
    let p = load(c, "PageId", &i.page_id).await?;
    let mut out = summary(&p);
    out["Subject"] = json!(p.subject);
    out["Content"] = json!(p.content);
    if let Ok(e) = engagement::load(c, "EngagementArn", &p.engagement_arn).await {
        if let Some(s) = e.public_subject {
            out["PublicSubject"] = json!(s);
        }
        if let Some(s) = e.public_content {
            out["PublicContent"] = json!(s);
        }
    }
    Ok(out)
}

/// A listing of pages, oldest first.
async fn listing(
    c: &Call<'_>,
    paging: &Paging,
    keep: impl Fn(&Page) -> bool,
) -> Result<Value, ContactsError> {
    let mut all: Vec<Page> = c.records().list(kinds::PAGE).await?;
    all.retain(|p| keep(p));
    let key = |p: &Page| time_key(p.sent_time, &p.page_arn);
    all.sort_by_key(key);
    let (page, next) = c.page(paging, all, key).await?;
    let pages: Vec<Value> = page.iter().map(summary).collect();
    Ok(with_token(json!({ "Pages": pages }), next))
}

/// `ListPagesByContactRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ByContactInput {
    contact_id: String,
}

/// `ListPagesByContact`.
pub async fn by_contact(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: ByContactInput = input(&raw)?;
    let paging: Paging = input(&raw)?;
    let (target, _) = contact::load(c, "ContactId", &i.contact_id).await?;
    listing(c, &paging, |p| p.contact_arn == target.contact_arn).await
}

/// `ListPagesByEngagement`: the pages of the engagement and of every engagement it started
/// (an escalation plan's pages are its members').
pub async fn by_engagement(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: EngagementIdInput = input(&raw)?;
    let paging: Paging = input(&raw)?;
    let root = engagement::load(c, "EngagementId", &i.engagement_id).await?;
    let all: Vec<Engagement> = c.records().list(kinds::ENGAGEMENT).await?;
    let mut tree = HashSet::from([root.engagement_arn.clone()]);
    let mut todo = root.tocsin.children.clone();
    while let Some(arn) = todo.pop() {
        if tree.insert(arn.clone())
            && let Some(e) = all.iter().find(|e| e.engagement_arn == arn)
        {
            todo.extend(e.tocsin.children.iter().cloned());
        }
    }
    listing(c, &paging, |p| tree.contains(&p.engagement_arn)).await
}

/// `ListPageReceipts`: oldest first.
pub async fn receipts(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: PageIdInput = input(&raw)?;
    let paging: Paging = input(&raw)?;
    let p = load(c, "PageId", &i.page_id).await?;
    let numbered: Vec<(usize, _)> = p.receipts.into_iter().enumerate().collect();
    let (page, next) = c
        .page(&paging, numbered, |(n, _)| format!("{n:010}"))
        .await?;
    let receipts: Vec<Value> = page
        .into_iter()
        .map(|(_, r)| {
            let mut out = json!({
                "ReceiptType": r.receipt_type,
                "ReceiptTime": epoch(r.receipt_time),
            });
            if let Some(ch) = r.contact_channel_arn {
                out["ContactChannelArn"] = json!(ch);
            }
            if let Some(info) = r.receipt_info.filter(|s| !s.is_empty()) {
                out["ReceiptInfo"] = json!(info);
            }
            out
        })
        .collect();
    Ok(with_token(json!({ "Receipts": receipts }), next))
}

/// `ListPageResolutions`: how the page's contact was reached, from the contact first engaged
/// (an escalation plan, an on-call schedule) down to the paged contact; each step but the
/// last names the stage that engaged the next.
pub async fn resolutions(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: PageIdInput = input(&raw)?;
    let paging = Paging {
        next_token: input::<Paging>(&raw)?.next_token,
        max_results: None,
    };
    let p = load(c, "PageId", &i.page_id).await?;
    // Leaf first: each engagement and the stage of its parent that started it.
    let mut chain: Vec<(Engagement, Option<u32>)> = Vec::new();
    let mut next = Some(p.engagement_arn.clone());
    while let Some(arn) = next.take() {
        let Ok(e) = engagement::load(c, "EngagementArn", &arn).await else {
            break;
        };
        let link = e.tocsin.parent.clone();
        chain.push((e, link.as_ref().map(|l| l.stage_index)));
        if chain.len() <= 32 {
            next = link.map(|l| l.engagement_arn);
        }
    }
    chain.reverse();
    let steps: Vec<(usize, Value)> = chain
        .iter()
        .enumerate()
        .map(|(n, (e, _))| {
            let mut out = json!({
                "ContactArn": e.contact_arn,
                "Type": e.tocsin.contact_type.unwrap_or(ContactType::Personal),
            });
            if let Some(stage) = chain.get(n + 1).and_then(|(_, s)| *s) {
                out["StageIndex"] = json!(stage);
            }
            (n, out)
        })
        .collect();
    let (page, next) = c.page(&paging, steps, |(n, _)| format!("{n:010}")).await?;
    let steps: Vec<Value> = page.into_iter().map(|(_, v)| v).collect();
    Ok(with_token(json!({ "PageResolutions": steps }), next))
}

/// `AcceptPageRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AcceptInput {
    page_id: String,
    contact_channel_id: Option<String>,
    accept_type: String,
    note: Option<String>,
    accept_code: String,
    accept_code_validation: Option<String>,
}

/// `AcceptPage`.
pub async fn accept(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: AcceptInput = input(&raw)?;
    let p = load(c, "PageId", &i.page_id).await?;
    let req = AcceptPage {
        page_id: p.page_arn.clone(),
        contact_channel_id: i.contact_channel_id,
        accept_type: if i.accept_type == "READ" {
            AcceptType::Read
        } else {
            AcceptType::Delivered
        },
        note: i.note,
        accept_code: i.accept_code,
        enforce_code: i.accept_code_validation.as_deref() == Some("ENFORCE"),
    };
    match accept_page(c.ctx(), &c.records(), &req).await {
        Ok(()) => Ok(json!({})),
        Err(AcceptError::NotFound(_)) => Err(ContactsError::not_found("PAGE", &i.page_id)),
        Err(AcceptError::WrongCode) => Err(ContactsError::field(
            "AcceptCode",
            "does not match the code sent with the page",
        )),
        Err(AcceptError::Invalid(m)) => Err(ContactsError::other("ContactChannelId", m)),
        Err(AcceptError::Unavailable(m)) => Err(AwsError::internal(&m).into()),
    }
}
