//! How a `create_incident` outcome is remembered under its idempotency key.
//!
//! Both backends store it as the result of a done claim (`created:<id>` or `merged:<id>`), so a
//! plain [`crate::Store::claim`] on the same key also sees it as done.

use crate::{CreateKind, CreateOutcome, StoreError};

const CREATED: &str = "created:";
const MERGED: &str = "merged:";

/// The result string recorded for an outcome.
pub(crate) fn encode(kind: CreateKind, incident_id: &str) -> String {
    match kind {
        CreateKind::Created => format!("{CREATED}{incident_id}"),
        CreateKind::Merged => format!("{MERGED}{incident_id}"),
    }
}

/// Reads a recorded result back; `replayed` says whether it was stored by an earlier call.
pub(crate) fn decode(result: &str, replayed: bool, at: &str) -> Result<CreateOutcome, StoreError> {
    let (kind, id) = if let Some(id) = result.strip_prefix(CREATED) {
        (CreateKind::Created, id)
    } else if let Some(id) = result.strip_prefix(MERGED) {
        (CreateKind::Merged, id)
    } else {
        return Err(StoreError::Corrupt(format!("idempotency outcome {at}")));
    };
    Ok(CreateOutcome {
        incident_id: id.to_owned(),
        kind,
        replayed,
    })
}
