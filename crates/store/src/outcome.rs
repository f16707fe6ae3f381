//! How a `create_incident` outcome is remembered under its idempotency key.
//!
//! Both backends store it as the result of a done claim (`created:<id>` or
//! `merged:<id>|<arn>`), so a plain [`crate::Store::claim`] on the same key also sees it as
//! done. A merge keeps the ARN of the incident merged into, so callers need not read it.

use crate::{CreateKind, CreateOutcome, StoreError};

const CREATED: &str = "created:";
const MERGED: &str = "merged:";

/// The result string recorded for an outcome.
pub(crate) fn encode(kind: CreateKind, incident_id: &str, merged_arn: Option<&str>) -> String {
    match (kind, merged_arn) {
        (CreateKind::Created, _) => format!("{CREATED}{incident_id}"),
        (CreateKind::Merged, Some(arn)) => format!("{MERGED}{incident_id}|{arn}"),
        (CreateKind::Merged, None) => format!("{MERGED}{incident_id}"),
    }
}

/// Reads a recorded result back; `replayed` says whether it was stored by an earlier call.
pub(crate) fn decode(result: &str, replayed: bool, at: &str) -> Result<CreateOutcome, StoreError> {
    let (kind, id, arn) = if let Some(id) = result.strip_prefix(CREATED) {
        (CreateKind::Created, id, None)
    } else if let Some(rest) = result.strip_prefix(MERGED) {
        match rest.split_once('|') {
            Some((id, arn)) => (CreateKind::Merged, id, Some(arn.to_owned())),
            None => (CreateKind::Merged, rest, None),
        }
    } else {
        return Err(StoreError::Corrupt(format!("idempotency outcome {at}")));
    };
    Ok(CreateOutcome {
        incident_id: id.to_owned(),
        kind,
        replayed,
        merged_arn: arn,
    })
}
