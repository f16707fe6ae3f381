//! Incident operations run from chat, done the way the API does them: a field change is a
//! compare-and-set on the record's version; resolving goes through the store's atomic resolve
//! (which frees the dedupe string), appends "Incident Resolved" and publishes
//! `incident.resolved` with the API's idempotency key (`resolved:<id>`), so engagements stop
//! and a resolve from chat and one from the API are the same event.

use tocsin_core::Ctx;
use tocsin_core::ids::derive;
use tocsin_core::incident::resolve as resolve_record;
use tocsin_engagement::{AcceptPage, AcceptType};
use tocsin_proto::messages::{Event, IncidentResolvedV1};
use tocsin_proto::records::{IncidentRecord, IncidentStatus, Page, TimelineEvent, kinds};
use tocsin_runtime::publish::{self, Meta};
use tocsin_runtime::records::RecordsError;
use tocsin_store::{Expect, StoreError};

use super::Inbound;

/// Compare-and-set attempts before giving up.
const ATTEMPTS: usize = 5;

/// Why an operation did not happen (the text is shown in chat).
#[derive(Debug, thiserror::Error)]
pub(crate) enum OpError {
    /// Said to the person.
    #[error("{0}")]
    User(String),
    /// The store or bus failed.
    #[error("Tocsin could not do it right now; try again ({0})")]
    Unavailable(String),
}

impl From<RecordsError> for OpError {
    fn from(e: RecordsError) -> Self {
        OpError::Unavailable(e.to_string())
    }
}

impl From<StoreError> for OpError {
    fn from(e: StoreError) -> Self {
        OpError::Unavailable(e.to_string())
    }
}

/// The incident an id or ARN names.
pub(crate) async fn find(
    s: &Inbound,
    id_or_arn: &str,
) -> Result<(IncidentRecord, u64, String), OpError> {
    let id = id_or_arn.rsplit('/').next().unwrap_or_default().to_string();
    match s.records.incident(&id).await? {
        Some((r, v)) => Ok((r, v, id)),
        None => Err(OpError::User(format!(
            "incident {id_or_arn} does not exist"
        ))),
    }
}

fn ctx(s: &Inbound, actor: &str) -> Ctx {
    Ctx {
        account: s.records.account().to_string(),
        region: s.ctx.settings.region.clone(),
        now: s.ctx.clock.now(),
        actor: actor.to_string(),
    }
}

/// Resolves an incident (a repeated resolve finishes what an earlier one started).
pub(crate) async fn resolve(s: &Inbound, id_or_arn: &str, actor: &str) -> Result<String, OpError> {
    let c = ctx(s, actor);
    for _ in 0..ATTEMPTS {
        let (current, version, id) = find(s, id_or_arn).await?;
        let record = match resolve_record(&c, &current) {
            Some((resolved, event)) => {
                let json = serde_json::to_string(&resolved)
                    .map_err(|e| OpError::Unavailable(e.to_string()))?;
                match s
                    .records
                    .store()
                    .resolve_incident(
                        &c.account,
                        &id,
                        &json,
                        &current.dedupe_string,
                        Expect::Version(version),
                    )
                    .await
                {
                    Ok(_) => {}
                    Err(StoreError::Conflict { .. }) => continue,
                    Err(e) => return Err(e.into()),
                }
                s.records.append_timeline(&id, &event).await?;
                resolved
            }
            None => current,
        };
        let meta = Meta {
            account: &c.account,
            idempotency_key: &format!("resolved:{id}"),
            now: c.now,
        };
        let event = Event::IncidentResolved(IncidentResolvedV1 {
            incident_arn: record.arn.clone(),
            incident_id: id.clone(),
            resolved_by: record.last_modified_by.clone(),
        });
        publish::event(&s.ctx.bus, &meta, event)
            .await
            .map_err(|e| OpError::Unavailable(e.to_string()))?;
        return Ok(format!("Resolved incident {id}: {}", record.title));
    }
    Err(OpError::Unavailable("the incident kept changing".into()))
}

/// Sets an OPEN incident's impact.
pub(crate) async fn update_impact(
    s: &Inbound,
    id_or_arn: &str,
    impact: &str,
    actor: &str,
) -> Result<(String, String), OpError> {
    let impact: u8 = match impact.parse() {
        Ok(i) if (1..=5).contains(&i) => i,
        _ => {
            return Err(OpError::User(format!(
                "impact must be a number from 1 (critical) to 5 (no impact), got {impact:?}"
            )));
        }
    };
    let c = ctx(s, actor);
    for _ in 0..ATTEMPTS {
        let (mut record, version, id) = find(s, id_or_arn).await?;
        if record.status == IncidentStatus::Resolved {
            return Err(OpError::User(format!("incident {id} is resolved")));
        }
        if record.impact == impact {
            return Ok((
                id,
                format!(
                    "Impact is already {}",
                    crate::incidents::format::impact(impact)
                ),
            ));
        }
        record.impact = impact;
        record.last_modified_time = c.now;
        record.last_modified_by.clone_from(&c.actor);
        match s
            .records
            .put(kinds::INCIDENT, &id, &record, Expect::Version(version))
            .await
        {
            Ok(_) => {
                let text = format!("impact set to {}", crate::incidents::format::impact(impact));
                return Ok((id, text));
            }
            Err(RecordsError::Store(StoreError::Conflict { .. })) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(OpError::Unavailable("the incident kept changing".into()))
}

/// Adds a note to the incident's timeline (a `Custom Event`, as `CreateTimelineEvent` makes);
/// `dedupe` makes a retried request the same note.
pub(crate) async fn add_note(
    s: &Inbound,
    id_or_arn: &str,
    text: &str,
    actor: &str,
    dedupe: &str,
) -> Result<String, OpError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 10_000 {
        return Err(OpError::User("a note is 1 to 10,000 characters".into()));
    }
    let (record, _, id) = find(s, id_or_arn).await?;
    let now = s.ctx.clock.now();
    let event = TimelineEvent {
        incident_record_arn: record.arn.clone(),
        event_id: derive(&["chat-note", &id, dedupe]),
        event_time: now,
        event_updated_time: now,
        event_type: "Custom Event".into(),
        event_data: serde_json::Value::String(format!("{text} (by {actor})")).to_string(),
        event_references: vec![],
    };
    s.records.append_timeline(&id, &event).await?;
    Ok(id)
}

/// Acknowledges every unread page of the incident.
pub(crate) async fn acknowledge(
    s: &Inbound,
    id_or_arn: &str,
    actor: &str,
) -> Result<String, OpError> {
    let (record, _, id) = find(s, id_or_arn).await?;
    let pages: Vec<Page> = s.records.list(kinds::PAGE).await?;
    let mine: Vec<Page> = pages
        .into_iter()
        .filter(|p| {
            p.incident_id.as_deref().and_then(|i| i.rsplit('/').next()) == Some(id.as_str())
                && p.read_time.is_none()
        })
        .collect();
    if mine.is_empty() {
        return Ok(format!(
            "No unacknowledged pages for incident {id}: {}",
            record.title
        ));
    }
    for p in &mine {
        let req = AcceptPage {
            page_id: p.page_arn.clone(),
            contact_channel_id: None,
            accept_type: AcceptType::Read,
            note: Some(format!("acknowledged in chat by {actor}")),
            accept_code: String::new(),
            enforce_code: false,
        };
        tocsin_engagement::accept_page(&s.ctx, &s.records, &req)
            .await
            .map_err(|e| OpError::Unavailable(e.to_string()))?;
    }
    Ok(format!(
        "Acknowledged {} page(s) of incident {id}: {}",
        mine.len(),
        record.title
    ))
}
