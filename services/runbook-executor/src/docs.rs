//! The document registry: versions of each document in the store, `$DEFAULT` / `$LATEST` /
//! numbers resolved to one version, and the documents Tocsin ships (read-only, version 1).

use chrono::{DateTime, Utc};
use tocsin_proto::records::{RunbookDocument, RunbookDocumentVersion, runbook_kinds};
use tocsin_runtime::Records;
use tocsin_runtime::records::RecordsError;
use tocsin_store::{Expect, StoreError};

use crate::core::{self, Document, InvalidDocument};

/// Documents shipped with Tocsin.
pub const BUILT_IN: [(&str, &str); 2] = [
    (
        "AWSIncidents-CriticalIncidentRunbookTemplate",
        include_str!("../documents/AWSIncidents-CriticalIncidentRunbookTemplate.yaml"),
    ),
    (
        "Tocsin-RestartService",
        include_str!("../documents/Tocsin-RestartService.yaml"),
    ),
];

/// Why a registry operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DocsError {
    /// The document breaks a rule.
    #[error(transparent)]
    Invalid(#[from] InvalidDocument),
    /// Bad name.
    #[error("name: {0}")]
    Name(String),
    /// No such document or version.
    #[error("document {name} version {version} does not exist")]
    NotFound {
        /// Name.
        name: String,
        /// Version asked for.
        version: String,
    },
    /// A shipped document cannot be replaced.
    #[error("{0} is a built-in document and cannot be changed; register a copy under another name")]
    BuiltIn(String),
    /// The store failed.
    #[error(transparent)]
    Records(#[from] RecordsError),
}

fn conflict(e: &RecordsError) -> bool {
    matches!(e, RecordsError::Store(StoreError::Conflict { .. }))
}

fn check_name(name: &str) -> Result<(), DocsError> {
    let ok = (3..=128).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(DocsError::Name(format!(
            "{name:?} must be 3–128 characters of a-z, A-Z, 0-9, _, - and ."
        )))
    }
}

fn version_id(name: &str, version: &str) -> String {
    format!("{name}@{version}")
}

fn built_in(name: &str) -> Option<&'static str> {
    BUILT_IN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

fn built_in_version(
    name: &str,
    text: &str,
) -> Result<(RunbookDocument, RunbookDocumentVersion), DocsError> {
    let (doc, format) = core::parse(text)?;
    let document = serde_json::to_value(&doc).unwrap_or_default();
    let at = DateTime::<Utc>::UNIX_EPOCH;
    Ok((
        RunbookDocument {
            name: name.into(),
            document_type: "Automation".into(),
            default_version: "1".into(),
            latest_version: "1".into(),
            description: doc.description,
            created_date: at,
            built_in: true,
        },
        RunbookDocumentVersion {
            name: name.into(),
            document_version: "1".into(),
            document_format: format.as_str().into(),
            content: text.into(),
            document,
            created_date: at,
        },
    ))
}

/// Registers `text` as the next version of `name` (version 1 creates the document, and is its
/// default). `make_default` makes the new version the default.
pub async fn register(
    records: &Records,
    name: &str,
    text: &str,
    make_default: bool,
    now: DateTime<Utc>,
) -> Result<(RunbookDocument, RunbookDocumentVersion), DocsError> {
    check_name(name)?;
    if built_in(name).is_some() {
        return Err(DocsError::BuiltIn(name.into()));
    }
    let (doc, format) = core::parse(text)?;
    let document = serde_json::to_value(&doc).unwrap_or_default();
    for _ in 0..8 {
        let head = records
            .get::<RunbookDocument>(runbook_kinds::DOCUMENT, name)
            .await?;
        let (next, expect, created) = match &head {
            Some((h, v)) => (
                h.latest_version.parse::<u64>().unwrap_or(0) + 1,
                Expect::Version(*v),
                h.created_date,
            ),
            None => (1, Expect::Absent, now),
        };
        let version = RunbookDocumentVersion {
            name: name.into(),
            document_version: next.to_string(),
            document_format: format.as_str().into(),
            content: text.into(),
            document: document.clone(),
            created_date: now,
        };
        // The version first (a lost race leaves an unreferenced version, overwritten next time).
        records
            .put(
                runbook_kinds::DOCUMENT_VERSION,
                &version_id(name, &version.document_version),
                &version,
                Expect::Any,
            )
            .await?;
        let default_version = match &head {
            Some((h, _)) if !make_default => h.default_version.clone(),
            _ => next.to_string(),
        };
        let new_head = RunbookDocument {
            name: name.into(),
            document_type: "Automation".into(),
            default_version,
            latest_version: next.to_string(),
            description: doc.description.clone(),
            created_date: created,
            built_in: false,
        };
        match records
            .put(runbook_kinds::DOCUMENT, name, &new_head, expect)
            .await
        {
            Ok(_) => return Ok((new_head, version)),
            Err(e) if conflict(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(DocsError::Name(format!(
        "{name} is being registered concurrently; try again"
    )))
}

/// The document heads, built-ins included, sorted by name.
pub async fn list(records: &Records) -> Result<Vec<RunbookDocument>, DocsError> {
    let mut out: Vec<RunbookDocument> = records.list(runbook_kinds::DOCUMENT).await?;
    for (name, text) in BUILT_IN {
        out.push(built_in_version(name, text)?.0);
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// A document's head and every version.
pub async fn versions(
    records: &Records,
    name: &str,
) -> Result<(RunbookDocument, Vec<RunbookDocumentVersion>), DocsError> {
    if let Some(text) = built_in(name) {
        let (head, v) = built_in_version(name, text)?;
        return Ok((head, vec![v]));
    }
    let not_found = || DocsError::NotFound {
        name: name.into(),
        version: "$LATEST".into(),
    };
    let (head, _) = records
        .get::<RunbookDocument>(runbook_kinds::DOCUMENT, name)
        .await?
        .ok_or_else(not_found)?;
    let prefix = format!("{name}@");
    let mut all: Vec<RunbookDocumentVersion> = Vec::new();
    for (id, v) in records
        .store()
        .list(records.account(), runbook_kinds::DOCUMENT_VERSION)
        .await
        .map_err(RecordsError::from)?
    {
        if id.starts_with(&prefix)
            && let Ok(d) = serde_json::from_str::<RunbookDocumentVersion>(&v.data)
        {
            all.push(d);
        }
    }
    let latest: u64 = head.latest_version.parse().unwrap_or(0);
    all.retain(|v| v.document_version.parse::<u64>().is_ok_and(|n| n <= latest));
    all.sort_by_key(|v| v.document_version.parse::<u64>().unwrap_or(0));
    Ok((head, all))
}

/// Resolves `name` at `version` (`$DEFAULT` when None) to a runnable document.
pub async fn resolve(
    records: &Records,
    name: &str,
    version: Option<&str>,
) -> Result<(Document, RunbookDocumentVersion), DocsError> {
    let asked = version.unwrap_or("$DEFAULT");
    let not_found = || DocsError::NotFound {
        name: name.into(),
        version: asked.into(),
    };
    let stored = if let Some(text) = built_in(name) {
        let (_, v) = built_in_version(name, text)?;
        if !matches!(asked, "$DEFAULT" | "$LATEST" | "1") {
            return Err(not_found());
        }
        v
    } else {
        let (head, _) = records
            .get::<RunbookDocument>(runbook_kinds::DOCUMENT, name)
            .await?
            .ok_or_else(not_found)?;
        let number = match asked {
            "$DEFAULT" => head.default_version.clone(),
            "$LATEST" => head.latest_version.clone(),
            n => n.to_string(),
        };
        records
            .get::<RunbookDocumentVersion>(
                runbook_kinds::DOCUMENT_VERSION,
                &version_id(name, &number),
            )
            .await?
            .map(|(v, _)| v)
            .ok_or_else(not_found)?
    };
    let doc: Document = serde_json::from_value(stored.document.clone()).map_err(|e| {
        DocsError::Invalid(InvalidDocument(vec![core::Problem {
            line: None,
            path: "$".into(),
            rule: format!("stored document does not parse: {e}"),
        }]))
    })?;
    Ok((doc, stored))
}
