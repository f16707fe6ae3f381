//! `StartEngagement` and `StopEngagement` of the `ssm-contacts` API: engagements a person or a
//! tool starts directly, not tied to an incident unless `IncidentId` names one. They run the
//! same way as an incident's (the engine, [`drive`]'s compare-and-set and outbox, the stage
//! timers the consumer polls); only their start differs.
//!
//! Both are driven in the caller's process, so when the call returns the engagement has
//! started (its first pages are written and handed to the notifier) or stopped. With an
//! `IdempotencyToken` the engagement id derives from (contact, token): a retry finds the
//! engagement the first call created and starts nothing new.

use tocsin_core::Ctx;
use tocsin_core::engine::{self, Command};
use tocsin_core::ids::derive;
use tocsin_proto::arn::Arn;
use tocsin_proto::records::{Engagement, kinds};
use tocsin_runtime::records::RecordsError;
use tocsin_runtime::{Context, Outcome, Records};

use crate::drive::{create, drive, last_segment};

/// A `StartEngagement` request, checked by the caller against the model.
#[derive(Debug, Clone)]
pub struct StartEngagement {
    /// The contact (ARN) to engage.
    pub contact_arn: String,
    /// Who engages.
    pub sender: String,
    /// Subject of the pages.
    pub subject: String,
    /// Content of the pages.
    pub content: String,
    /// Insecure subject (SMS, voice).
    pub public_subject: Option<String>,
    /// Insecure content (SMS, voice).
    pub public_content: Option<String>,
    /// The incident, free text; an incident-record ARN of this account ties the engagement's
    /// timeline events to that incident.
    pub incident_id: Option<String>,
    /// Makes retries find the first engagement.
    pub idempotency_token: Option<String>,
    /// Principal recorded as the actor.
    pub actor: String,
}

/// Why an engagement could not be started or stopped.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// No such contact or engagement in this account.
    #[error("{0} does not exist")]
    NotFound(String),
    /// The store or the bus failed; retrying may help.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

impl From<RecordsError> for StartError {
    fn from(e: RecordsError) -> Self {
        StartError::Unavailable(e.to_string())
    }
}

fn unavailable(o: Outcome) -> StartError {
    StartError::Unavailable(match o {
        Outcome::Retry { reason, .. } | Outcome::Reject(reason) => reason,
        Outcome::Ack => "unexpected acknowledgement".into(),
    })
}

/// The store id of the incident an `IncidentId` names, when it is one of this account's.
async fn incident_of(
    records: &Records,
    incident_id: Option<&str>,
) -> Result<Option<String>, StartError> {
    let Some(arn) = incident_id.and_then(|i| Arn::parse(i).ok()) else {
        return Ok(None);
    };
    if arn.service != "ssm-incidents"
        || arn.resource_type() != "incident-record"
        || arn.account != records.account()
    {
        return Ok(None);
    }
    let id = arn.last_segment().to_string();
    Ok(records.incident(&id).await?.map(|_| id))
}

/// Creates the engagement (unless a retry finds it) and starts it; answers it as stored.
pub async fn start_engagement(
    ctx: &Context,
    records: &Records,
    req: &StartEngagement,
) -> Result<Engagement, StartError> {
    if records.contact(&req.contact_arn).await?.is_none() {
        return Err(StartError::NotFound(format!("contact {}", req.contact_arn)));
    }
    let id = match req.idempotency_token.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => derive(&["start-engagement", &req.contact_arn, t]),
        None => uuid::Uuid::new_v4().to_string(),
    };
    let c = Ctx {
        account: records.account().to_string(),
        region: ctx.settings.region.clone(),
        now: ctx.clock.now(),
        actor: req.actor.clone(),
    };
    let incident_record = incident_of(records, req.incident_id.as_deref()).await?;
    let mut e = engine::new_engagement(
        &c,
        &id,
        &req.contact_arn,
        &req.sender,
        &req.subject,
        &req.content,
        req.incident_id.as_deref(),
        incident_record.as_deref(),
    );
    e.public_subject.clone_from(&req.public_subject);
    e.public_content.clone_from(&req.public_content);
    create(records, &e).await.map_err(unavailable)?;
    drive(ctx, records, &id, Command::Start)
        .await
        .map_err(unavailable)?;
    tracing::info!(engagement_arn = %e.engagement_arn, contact_arn = %req.contact_arn, "Engagement started.");
    load(records, &id).await
}

/// Stops an engagement and everything it started, now; answers it as stored. Stopping a
/// stopped engagement changes nothing.
pub async fn stop_engagement_now(
    ctx: &Context,
    records: &Records,
    engagement_id: &str,
    reason: Option<String>,
) -> Result<Engagement, StartError> {
    let id = last_segment(engagement_id);
    load(records, id).await?;
    let reason = reason.unwrap_or_else(|| "stopped".into());
    drive(ctx, records, id, Command::Stop { reason })
        .await
        .map_err(unavailable)?;
    load(records, id).await
}

async fn load(records: &Records, id: &str) -> Result<Engagement, StartError> {
    records
        .get::<Engagement>(kinds::ENGAGEMENT, id)
        .await?
        .map(|(e, _)| e)
        .ok_or_else(|| StartError::NotFound(format!("engagement {id}")))
}
