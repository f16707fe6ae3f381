//! `UpdateIncidentRecord`: field changes are compare-and-set on the record's version; status
//! `RESOLVED` goes through the store's atomic resolve (which frees the dedupe string), appends
//! the "Incident Resolved" event and publishes `incident.resolved` so engagements stop.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use tocsin_core::Ctx;
use tocsin_core::incident::resolve;
use tocsin_core::validate::Checker;
use tocsin_proto::messages::{Event, IncidentResolvedV1};
use tocsin_proto::records::{
    ChatChannel, IncidentRecord, IncidentStatus, NotificationTargetItem, kinds,
};
use tocsin_runtime::Records;
use tocsin_runtime::publish::{self, Meta};
use tocsin_runtime::records::RecordsError;
use tocsin_store::{Expect, StoreError};

use super::records::find;
use crate::aws::error::AwsError;
use crate::aws::wire;
use crate::aws::{AwsState, Caller};

/// Compare-and-set attempts before answering `ConflictException`.
const ATTEMPTS: usize = 5;

/// `UpdateIncidentRecordInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateInput {
    arn: String,
    chat_channel: Option<ChatChannel>,
    #[allow(dead_code)]
    client_token: Option<String>,
    impact: Option<i64>,
    notification_targets: Option<Vec<NotificationTargetItem>>,
    status: Option<String>,
    summary: Option<String>,
    title: Option<String>,
}

impl UpdateInput {
    fn validate(&self) -> Result<Option<IncidentStatus>, AwsError> {
        let mut c = Checker::default();
        if let Some(t) = &self.title {
            c.length(t, "title", 0, 200);
        }
        if let Some(t) = &self.summary {
            c.length(t, "summary", 0, 8000);
        }
        if let Some(i) = self.impact {
            c.check(
                (1..=5).contains(&i),
                "impact",
                format!("must be between 1 and 5, got {i}"),
            );
        }
        if let Some(n) = &self.notification_targets {
            c.check(n.len() <= 10, "notificationTargets", "at most 10 targets");
        }
        let status = match self.status.as_deref() {
            None => None,
            Some("OPEN") => Some(IncidentStatus::Open),
            Some("RESOLVED") => Some(IncidentStatus::Resolved),
            Some(other) => {
                c.check(
                    false,
                    "status",
                    format!("must be OPEN or RESOLVED, got {other:?}"),
                );
                None
            }
        };
        c.finish()?;
        Ok(status)
    }
}

/// `POST /updateIncidentRecord` (204).
#[tracing::instrument(name = "UpdateIncidentRecord", skip_all)]
pub async fn update_incident_record(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<StatusCode, AwsError> {
    let input: UpdateInput = wire::body(&body)?;
    let status = input.validate()?;
    let records = caller.records(&s.ctx);
    for _ in 0..ATTEMPTS {
        let (current, version) = find(&s, &caller, "arn", &input.arn).await?;
        let id = current
            .arn
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        if status == Some(IncidentStatus::Open) && current.status == IncidentStatus::Resolved {
            return Err(AwsError::validation(
                "status: a RESOLVED incident cannot be reopened; start a new incident",
            ));
        }
        let c = caller.ctx(&s.ctx);
        let mut next = current.clone();
        if let Some(t) = &input.title {
            next.title.clone_from(t);
        }
        if let Some(t) = &input.summary {
            next.summary = Some(t.clone());
        }
        if let Some(i) = input.impact {
            next.impact = i as u8;
        }
        if let Some(ch) = &input.chat_channel {
            next.chat_channel = Some(ch.clone());
        }
        if let Some(n) = &input.notification_targets {
            next.notification_targets.clone_from(n);
        }
        let resolving = status == Some(IncidentStatus::Resolved);
        let (target, written) = match resolving.then(|| resolve(&c, &next)).flatten() {
            Some((resolved, _)) => {
                let json = serde_json::to_string(&resolved).map_err(|e| AwsError::internal(&e))?;
                let w = records
                    .store()
                    .resolve_incident(
                        &c.account,
                        &id,
                        &json,
                        &current.dedupe_string,
                        Expect::Version(version),
                    )
                    .await;
                (resolved, w.map(|_| ()))
            }
            // Nothing changes; a repeated RESOLVED still finishes the resolution below.
            None if next == current => (next, Ok(())),
            None => {
                next.last_modified_time = c.now;
                next.last_modified_by.clone_from(&c.actor);
                let w = records
                    .put(kinds::INCIDENT, &id, &next, Expect::Version(version))
                    .await
                    .map(|_| ())
                    .map_err(|e| match e {
                        RecordsError::Store(s) => s,
                        other => StoreError::Corrupt(other.to_string()),
                    });
                (next, w)
            }
        };
        match written {
            Ok(()) => {
                if resolving {
                    finish_resolution(&s, &c, &records, &id, &target).await?;
                }
                return Ok(StatusCode::NO_CONTENT);
            }
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AwsError::conflict(format!(
        "incident record {} kept changing; retry",
        input.arn
    )))
}

/// After the record says RESOLVED: the timeline event (idempotent by its derived id, stamped
/// with the resolution time) and `incident.resolved`. Done again on a repeated call, so a
/// failure after the write heals when the caller retries.
async fn finish_resolution(
    s: &AwsState,
    c: &Ctx,
    records: &Records,
    id: &str,
    record: &IncidentRecord,
) -> Result<(), AwsError> {
    let mut open = record.clone();
    open.status = IncidentStatus::Open;
    let at = Ctx {
        now: record.resolved_time.unwrap_or(c.now),
        actor: record.last_modified_by.clone(),
        ..c.clone()
    };
    if let Some((_, event)) = resolve(&at, &open) {
        records.append_timeline(id, &event).await?;
    }
    tracing::info!(incident_id = %id, "Incident resolved through the API.");
    publish_resolved(s, c, &record.arn, id).await
}

pub(super) async fn publish_resolved(
    s: &AwsState,
    c: &Ctx,
    arn: &str,
    id: &str,
) -> Result<(), AwsError> {
    let event = Event::IncidentResolved(IncidentResolvedV1 {
        incident_arn: arn.to_string(),
        incident_id: id.to_string(),
        resolved_by: c.actor.clone(),
    });
    let meta = Meta {
        account: &c.account,
        idempotency_key: &format!("resolved:{id}"),
        now: c.now,
    };
    publish::event(&s.ctx.bus, &meta, event)
        .await
        .map_err(|e| AwsError::internal(&e))
}
