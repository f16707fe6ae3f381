//! The plan of a template against the store (create / update / unchanged per resource), its
//! rendering, and applying it: only the records that differ are written, so a second apply
//! of the same template has nothing to do.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tocsin_proto::records::kinds;
use tocsin_runtime::Records;
use tocsin_runtime::records::RecordsError;
use tocsin_store::Expect;

use super::{Desired, WantedSet};

/// Store kind and id of the account's replication set (as the API keeps it).
const SET_KIND: &str = "replication-set";
const SET_ID: &str = "set";

/// The ARN a replication set created by a template gets (derived: the same on every apply).
pub fn replication_set_arn(account: &str) -> String {
    format!(
        "arn:aws:ssm-incidents::{account}:replication-set/{}",
        tocsin_core::ids::derive(&["replication-set", account])
    )
}

/// What applying does to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Not stored yet.
    Create,
    /// Stored, different.
    Update,
    /// Stored as the template says.
    Unchanged,
}

/// One resource of the plan.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// Logical id in the template.
    pub logical_id: String,
    /// CloudFormation type.
    pub resource_type: String,
    /// Its ARN.
    pub arn: String,
    /// What happens.
    pub action: Action,
    /// Store kind and id, and the record to write.
    #[serde(skip)]
    record: (&'static str, String, Value),
}

/// Why a plan cannot be made or applied.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The store failed.
    #[error(transparent)]
    Records(#[from] RecordsError),
    /// The template asks for something only the API may do.
    #[error("{0}")]
    Refused(String),
}

/// The plan of `desired` against what `records` holds.
pub async fn plan(
    records: &Records,
    desired: &Desired,
    now: DateTime<Utc>,
) -> Result<Vec<Change>, PlanError> {
    let last = |a: &str| a.rsplit('/').next().unwrap_or_default().to_owned();
    let mut out = Vec::new();
    for (id, ch) in &desired.channels {
        let key = (kinds::CONTACT_CHANNEL, last(&ch.contact_channel_arn));
        out.push(
            typed(
                records,
                id,
                super::CHANNEL,
                &ch.contact_channel_arn,
                key,
                ch,
            )
            .await?,
        );
    }
    for (id, c) in &desired.contacts {
        let key = (kinds::CONTACT, c.alias.clone());
        out.push(typed(records, id, super::CONTACT, &c.contact_arn, key, c).await?);
    }
    for (id, r) in &desired.rotations {
        let key = (kinds::ROTATION, last(&r.rotation_arn));
        out.push(typed(records, id, super::ROTATION, &r.rotation_arn, key, r).await?);
    }
    for (id, p) in &desired.plans {
        let key = (kinds::RESPONSE_PLAN, p.name.clone());
        out.push(typed(records, id, super::RESPONSE_PLAN, &p.arn, key, p).await?);
    }
    if let Some((id, wanted)) = &desired.replication_set {
        let stored: Option<(Value, u64)> = records.get(SET_KIND, SET_ID).await?;
        out.push(replication_set(
            id,
            wanted,
            stored.map(|(v, _)| v),
            records.account(),
            now,
        )?);
    }
    Ok(out)
}

/// The change of one typed record: compared as the store would hold it.
async fn typed<T: Serialize + DeserializeOwned>(
    records: &Records,
    logical_id: &str,
    resource_type: &str,
    arn: &str,
    (kind, id): (&'static str, String),
    wanted: &T,
) -> Result<Change, PlanError> {
    let value = serde_json::to_value(wanted).unwrap_or_default();
    let stored: Option<(T, u64)> = records.get(kind, &id).await?;
    let action = match stored.map(|(s, _)| serde_json::to_value(s).unwrap_or_default()) {
        None => Action::Create,
        Some(s) if s == value => Action::Unchanged,
        Some(_) => Action::Update,
    };
    Ok(Change {
        logical_id: logical_id.to_owned(),
        resource_type: resource_type.to_owned(),
        arn: arn.to_owned(),
        action,
        record: (kind, id, value),
    })
}

/// The replication set: created as asked, or given the regions it lacks and the asked
/// protection and tags. Removing a region is refused: that is `UpdateReplicationSet`'s, with
/// its 24-hour rule.
fn replication_set(
    logical_id: &str,
    wanted: &WantedSet,
    stored: Option<Value>,
    account: &str,
    now: DateTime<Utc>,
) -> Result<Change, PlanError> {
    let actor = format!("arn:aws:iam::{account}:root");
    let (action, value) = match stored {
        None => {
            let regions: serde_json::Map<String, Value> = wanted
                .regions
                .iter()
                .map(|(r, k)| (r.clone(), json!({ "sseKmsKeyId": k, "addedTime": now })))
                .collect();
            let set = json!({
                "arn": replication_set_arn(account), "createdBy": actor, "createdTime": now,
                "lastModifiedBy": actor, "lastModifiedTime": now,
                "deletionProtected": wanted.deletion_protected, "regions": regions,
                "tags": wanted.tags, "clientToken": null,
            });
            (Action::Create, set)
        }
        Some(mut set) => {
            let had = set["regions"].as_object().cloned().unwrap_or_default();
            if let Some(gone) = had.keys().find(|r| !wanted.regions.contains_key(*r)) {
                return Err(PlanError::Refused(format!(
                    "Resources.{logical_id}.Properties.Regions: region {gone} is in the replication set; \
                     remove regions with UpdateReplicationSet (a region must be 24 hours old)"
                )));
            }
            let mut regions = had.clone();
            for (r, k) in &wanted.regions {
                regions
                    .entry(r.clone())
                    .or_insert_with(|| json!({ "sseKmsKeyId": k, "addedTime": now }));
            }
            let same = regions == had
                && set["deletionProtected"] == json!(wanted.deletion_protected)
                && set["tags"] == json!(wanted.tags);
            if same {
                (Action::Unchanged, set)
            } else {
                set["regions"] = Value::Object(regions);
                set["deletionProtected"] = json!(wanted.deletion_protected);
                set["tags"] = json!(wanted.tags);
                set["lastModifiedBy"] = json!(actor);
                set["lastModifiedTime"] = json!(now);
                (Action::Update, set)
            }
        }
    };
    Ok(Change {
        logical_id: logical_id.to_owned(),
        resource_type: super::REPLICATION_SET.to_owned(),
        arn: value["arn"].as_str().unwrap_or_default().to_owned(),
        action,
        record: (SET_KIND, SET_ID.to_owned(), value),
    })
}

/// Writes the records that the plan creates or updates; returns how many.
pub async fn apply(records: &Records, changes: &[Change]) -> Result<usize, RecordsError> {
    let mut written = 0;
    for ch in changes.iter().filter(|c| c.action != Action::Unchanged) {
        let (kind, id, value) = &ch.record;
        records.put(kind, id, value, Expect::Any).await?;
        written += 1;
    }
    Ok(written)
}

/// The plan as a table people read before saying yes.
pub fn render(changes: &[Change], skipped: &[(String, String)]) -> String {
    let mut out = String::new();
    let sign = |a: Action| match a {
        Action::Create => "+ create   ",
        Action::Update => "~ update   ",
        Action::Unchanged => "  unchanged",
    };
    for c in changes {
        out.push_str(&format!(
            "{} {:<24} {:<36} {}\n",
            sign(c.action),
            c.logical_id,
            c.resource_type,
            c.arn
        ));
    }
    for (id, ty) in skipped {
        out.push_str(&format!(
            "  skipped   {id:<24} {ty:<36} (not a Tocsin resource)\n"
        ));
    }
    let count = |a: Action| changes.iter().filter(|c| c.action == a).count();
    out.push_str(&format!(
        "Plan: {} to create, {} to update, {} unchanged.\n",
        count(Action::Create),
        count(Action::Update),
        count(Action::Unchanged)
    ));
    out
}
