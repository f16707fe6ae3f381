//! `StartEngagement`, `StopEngagement`, `DescribeEngagement`, `ListEngagements`. Starting and
//! stopping run the engagement service's own path (`tocsin_engagement::start_engagement`,
//! `stop_engagement_now`): one page per engaged, activated channel, each with a 6-digit accept
//! code, then the plan's stages on the stage timers.

use serde::Deserialize;
use serde_json::{Value, json};
use tocsin_engagement::{StartEngagement, StartError, start_engagement, stop_engagement_now};
use tocsin_proto::records::{Engagement, kinds};

use super::call::{Call, Paging, epoch, input, time, with_token};
use super::error::ContactsError;
use super::{contact, idempotency};
use crate::aws::error::AwsError;

/// An engagement of the caller's account; `NotFound` otherwise.
pub async fn load(
    c: &Call<'_>,
    field: &str,
    engagement_arn: &str,
) -> Result<Engagement, ContactsError> {
    let missing = || ContactsError::not_found("ENGAGEMENT", engagement_arn);
    let Some(arn) = c.own(field, engagement_arn, "engagement")? else {
        return Err(missing());
    };
    match c
        .records()
        .get::<Engagement>(kinds::ENGAGEMENT, arn.last_segment())
        .await?
    {
        Some((e, _)) if e.engagement_arn.ends_with(&format!(":{}", arn.resource)) => Ok(e),
        _ => Err(missing()),
    }
}

fn start_error(e: StartError, what: &str) -> ContactsError {
    match e {
        StartError::NotFound(_) => ContactsError::not_found("ENGAGEMENT", what),
        StartError::Unavailable(m) => AwsError::internal(&m).into(),
    }
}

/// `StartEngagementRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StartInput {
    contact_id: String,
    sender: String,
    subject: String,
    content: String,
    public_subject: Option<String>,
    public_content: Option<String>,
    incident_id: Option<String>,
    idempotency_token: Option<String>,
}

/// `StartEngagement`.
pub async fn start(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: StartInput = input(&raw)?;
    let token = i.idempotency_token.clone();
    if let Some(first) = idempotency::replay(c, token.as_deref(), &raw).await? {
        return Ok(first);
    }
    let (target, _) = contact::load(c, "ContactId", &i.contact_id).await?;
    let req = StartEngagement {
        contact_arn: target.contact_arn,
        sender: i.sender,
        subject: i.subject,
        content: i.content,
        public_subject: i.public_subject,
        public_content: i.public_content,
        incident_id: i.incident_id,
        idempotency_token: i.idempotency_token,
        actor: c.caller.principal.clone(),
    };
    let e = start_engagement(c.ctx(), &c.records(), &req)
        .await
        .map_err(|e| start_error(e, &i.contact_id))?;
    let out = json!({ "EngagementArn": e.engagement_arn });
    idempotency::remember(c, token.as_deref(), &raw, &out).await?;
    Ok(out)
}

/// `StopEngagementRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StopInput {
    engagement_id: String,
    reason: Option<String>,
}

/// `StopEngagement`: the engagement and what it started stop now.
pub async fn stop(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: StopInput = input(&raw)?;
    let e = load(c, "EngagementId", &i.engagement_id).await?;
    stop_engagement_now(c.ctx(), &c.records(), &e.engagement_arn, i.reason)
        .await
        .map_err(|err| start_error(err, &i.engagement_id))?;
    Ok(json!({}))
}

/// `EngagementId` requests.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EngagementIdInput {
    /// `EngagementId`.
    pub engagement_id: String,
}

/// `DescribeEngagement`.
pub async fn describe(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: EngagementIdInput = input(&raw)?;
    let e = load(c, "EngagementId", &i.engagement_id).await?;
    let mut out = summary(&e);
    out["Subject"] = json!(e.subject);
    out["Content"] = json!(e.content);
    if let Some(s) = &e.public_subject {
        out["PublicSubject"] = json!(s);
    }
    if let Some(s) = &e.public_content {
        out["PublicContent"] = json!(s);
    }
    Ok(out)
}

/// `Engagement` (the listing's shape).
fn summary(e: &Engagement) -> Value {
    let mut out = json!({
        "EngagementArn": e.engagement_arn,
        "ContactArn": e.contact_arn,
        "Sender": e.sender,
        "StartTime": epoch(e.start_time),
    });
    if let Some(i) = &e.incident_id {
        out["IncidentId"] = json!(i);
    }
    if let Some(t) = e.stop_time {
        out["StopTime"] = epoch(t);
    }
    out
}

/// `TimeRange`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TimeRange {
    start_time: Option<f64>,
    end_time: Option<f64>,
}

/// `ListEngagementsRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListInput {
    incident_id: Option<String>,
    time_range_value: Option<TimeRange>,
}

/// `ListEngagements`: newest first, optionally of one incident and started within a range.
pub async fn list(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: ListInput = input(&raw)?;
    let paging: Paging = input(&raw)?;
    let (after, before) = match &i.time_range_value {
        Some(r) => (
            r.start_time
                .map(|t| time(t, "TimeRangeValue.StartTime"))
                .transpose()?,
            r.end_time
                .map(|t| time(t, "TimeRangeValue.EndTime"))
                .transpose()?,
        ),
        None => (None, None),
    };
    let mut all: Vec<Engagement> = c.records().list(kinds::ENGAGEMENT).await?;
    all.retain(|e| {
        i.incident_id
            .as_deref()
            .is_none_or(|x| e.incident_id.as_deref() == Some(x))
            && after.is_none_or(|a| e.start_time >= a)
            && before.is_none_or(|b| e.start_time <= b)
    });
    let key = |e: &Engagement| {
        let newest_first = i64::MAX - e.start_time.timestamp_millis().max(0);
        format!("{newest_first:020}\u{1f}{}", e.engagement_arn)
    };
    all.sort_by_key(key);
    let (page, next) = c.page(&paging, all, key).await?;
    let engagements: Vec<Value> = page.iter().map(summary).collect();
    Ok(with_token(json!({ "Engagements": engagements }), next))
}
