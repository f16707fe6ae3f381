//! Replication set operations: `CreateReplicationSet`, `GetReplicationSet`,
//! `ListReplicationSets`, `UpdateReplicationSet`, `UpdateDeletionProtection`,
//! `DeleteReplicationSet`. The rules live in [`super::replication_set`]; here the set is read,
//! changed and written compare-and-set. An account starts without a set, as a fresh AWS
//! account does; the regions are recorded (and shown ACTIVE) for the replicator to follow.
//!
//! Deleting the set deletes all of the account's Incident Manager data (incidents with their
//! timelines, response plans and their resource policies), as the user guide says.

use std::collections::{BTreeMap, HashMap};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};
use tocsin_core::validate::Checker;
use tocsin_proto::records::{IncidentRecord, kinds};
use tocsin_runtime::records::RecordsError;
use tocsin_store::{Expect, StoreError};

use super::replication_set::{self as rs, Action, Region, ReplicationSet};
use super::{check, own_id, policies, token};
use crate::aws::error::AwsError;
use crate::aws::wire;
use crate::aws::{AwsState, Caller};

/// Compare-and-set attempts before answering `ConflictException`.
const ATTEMPTS: usize = 5;

/// `RegionMapInputValue`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegionInput {
    sse_kms_key_id: Option<String>,
}

/// `CreateReplicationSetInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateInput {
    client_token: Option<String>,
    regions: BTreeMap<String, RegionInput>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

/// `RegionName`: 1–20 characters like `us-east-1`.
fn region_name(c: &mut Checker, name: &str, field: &str) {
    c.length(name, field, 1, 20);
    c.check(
        name.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
        field,
        format!("must be a region name like us-east-1, got {name:?}"),
    );
}

/// The account's set, with its version.
async fn current(s: &AwsState, caller: &Caller) -> Result<Option<(ReplicationSet, u64)>, AwsError> {
    Ok(caller.records(&s.ctx).get(rs::KIND, rs::SET_ID).await?)
}

/// The account's set if `arn` names it.
async fn named(
    s: &AwsState,
    caller: &Caller,
    arn: &str,
) -> Result<(ReplicationSet, u64), AwsError> {
    let missing = || AwsError::not_found("replication set", arn);
    own_id(caller, "arn", arn, "replication-set")?.ok_or_else(missing)?;
    current(s, caller)
        .await?
        .filter(|(set, _)| set.arn == arn)
        .ok_or_else(missing)
}

/// `POST /createReplicationSet` (201). An account has at most one set: creating another is a
/// `ConflictException`, except a retry carrying the creating call's `clientToken`.
#[tracing::instrument(name = "CreateReplicationSet", skip_all)]
pub async fn create_replication_set(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), AwsError> {
    let input: CreateInput = wire::body(&body)?;
    let mut c = Checker::default();
    check::client_token(&mut c, input.client_token.as_deref());
    c.check(
        (1..=rs::MAX_REGIONS).contains(&input.regions.len()),
        "regions",
        format!(
            "1 to {} regions, got {}",
            rs::MAX_REGIONS,
            input.regions.len()
        ),
    );
    for (name, r) in &input.regions {
        region_name(&mut c, name, &format!("regions.{name}"));
        if let Some(k) = &r.sse_kms_key_id {
            c.length(k, format!("regions.{name}.sseKmsKeyId"), 0, 2048);
        }
    }
    check::tags(&mut c, &input.tags, "tags", 50);
    c.finish()?;
    let token = input.client_token.filter(|t| !t.is_empty());
    let ctx = caller.ctx(&s.ctx);
    let set = ReplicationSet {
        arn: format!(
            "arn:aws:ssm-incidents::{}:replication-set/{}",
            caller.account,
            uuid::Uuid::new_v4()
        ),
        created_by: ctx.actor.clone(),
        created_time: ctx.now,
        last_modified_by: ctx.actor.clone(),
        last_modified_time: ctx.now,
        deletion_protected: false,
        regions: input
            .regions
            .into_iter()
            .map(|(name, r)| {
                let region = Region {
                    sse_kms_key_id: r.sse_kms_key_id.unwrap_or_else(|| "DefaultKey".into()),
                    added_time: ctx.now,
                };
                (name, region)
            })
            .collect(),
        tags: input.tags,
        client_token: token.clone(),
    };
    let records = caller.records(&s.ctx);
    match records
        .put(rs::KIND, rs::SET_ID, &set, Expect::Absent)
        .await
    {
        Ok(_) => {
            tracing::info!(arn = %set.arn, "Replication set created.");
            Ok((StatusCode::CREATED, Json(json!({ "arn": set.arn }))))
        }
        Err(RecordsError::Store(StoreError::Conflict { .. })) => {
            match current(&s, &caller).await? {
                Some((existing, _)) if token.is_some() && existing.client_token == token => {
                    Ok((StatusCode::CREATED, Json(json!({ "arn": existing.arn }))))
                }
                _ => Err(AwsError::conflict(
                    "a replication set already exists in this account; an account has at most one",
                )),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /getReplicationSet?arn=`.
#[tracing::instrument(name = "GetReplicationSet", skip_all)]
pub async fn get_replication_set(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, AwsError> {
    let arn = q
        .get("arn")
        .ok_or_else(|| AwsError::validation("arn: is required"))?;
    let (set, _) = named(&s, &caller, arn).await?;
    Ok(Json(json!({ "replicationSet": rs::shape(&set) })))
}

/// `POST /listReplicationSets`: none or the one.
#[tracing::instrument(name = "ListReplicationSets", skip_all)]
pub async fn list_replication_sets(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Json<Value>, AwsError> {
    let input: wire::PageInput = wire::body(&body)?;
    let max = wire::max_results(input.max_results)?;
    let arns: Vec<String> = current(&s, &caller)
        .await?
        .into_iter()
        .map(|(set, _)| set.arn)
        .collect();
    let (page, next) = token::page(
        &s,
        &caller,
        "ListReplicationSets",
        arns,
        Clone::clone,
        input.next_token.as_deref(),
        max,
    )
    .await?;
    let mut out = json!({ "replicationSetArns": page });
    if let Some(n) = next {
        out["nextToken"] = json!(n);
    }
    Ok(Json(out))
}

/// `AddRegionAction`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AddRegion {
    region_name: String,
    sse_kms_key_id: Option<String>,
}

/// `DeleteRegionAction`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteRegion {
    region_name: String,
}

/// `UpdateReplicationSetAction` (a union).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActionInput {
    add_region_action: Option<AddRegion>,
    delete_region_action: Option<DeleteRegion>,
}

/// `UpdateReplicationSetInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateInput {
    actions: Vec<ActionInput>,
    arn: String,
    client_token: Option<String>,
}

impl UpdateInput {
    fn action(self) -> Result<Action, AwsError> {
        let mut c = Checker::default();
        check::client_token(&mut c, self.client_token.as_deref());
        c.check(self.actions.len() == 1, "actions", "exactly 1 action");
        c.finish()?;
        let Some(a) = self.actions.into_iter().next() else {
            return Err(AwsError::validation("actions: exactly 1 action"));
        };
        let mut c = Checker::default();
        let action = match (a.add_region_action, a.delete_region_action) {
            (Some(add), None) => {
                region_name(
                    &mut c,
                    &add.region_name,
                    "actions[0].addRegionAction.regionName",
                );
                if let Some(k) = &add.sse_kms_key_id {
                    c.length(k, "actions[0].addRegionAction.sseKmsKeyId", 0, 2048);
                }
                Action::Add {
                    region: add.region_name,
                    sse_kms_key_id: add.sse_kms_key_id,
                }
            }
            (None, Some(del)) => {
                region_name(
                    &mut c,
                    &del.region_name,
                    "actions[0].deleteRegionAction.regionName",
                );
                Action::Delete {
                    region: del.region_name,
                }
            }
            _ => {
                return Err(AwsError::validation(
                    "actions[0]: exactly one of addRegionAction, deleteRegionAction",
                ));
            }
        };
        c.finish()?;
        Ok(action)
    }
}

/// Reads the set `arn` names, changes it with `change`, writes it compare-and-set.
async fn edit(
    s: &AwsState,
    caller: &Caller,
    arn: &str,
    change: impl Fn(&ReplicationSet) -> Result<ReplicationSet, AwsError>,
) -> Result<(), AwsError> {
    let records = caller.records(&s.ctx);
    for _ in 0..ATTEMPTS {
        let (set, version) = named(s, caller, arn).await?;
        let next = change(&set)?;
        if records
            .put_versioned(rs::KIND, rs::SET_ID, &next, version)
            .await?
        {
            return Ok(());
        }
    }
    Err(AwsError::conflict(format!(
        "replication set {arn} kept changing; retry"
    )))
}

/// `POST /updateReplicationSet` (204): add a region, or delete one at least 24 hours old.
#[tracing::instrument(name = "UpdateReplicationSet", skip_all)]
pub async fn update_replication_set(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<StatusCode, AwsError> {
    let input: UpdateInput = wire::body(&body)?;
    let arn = input.arn.clone();
    let action = input.action()?;
    let c = caller.ctx(&s.ctx);
    edit(&s, &caller, &arn, |set| {
        // A retried add of a region now present, or delete of one now gone, is done already.
        match &action {
            Action::Add { region, .. } if set.regions.contains_key(region) => {}
            Action::Delete { region } if !set.regions.contains_key(region) => {}
            _ => return rs::update(set, &action, c.now, &c.actor),
        }
        Err(AwsError::validation(match &action {
            Action::Add { region, .. } => format!(
                "actions[0].addRegionAction.regionName: {region} is already in the replication set"
            ),
            Action::Delete { region } => format!(
                "actions[0].deleteRegionAction.regionName: {region} is not in the replication set"
            ),
        }))
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `UpdateDeletionProtectionInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProtectionInput {
    arn: String,
    client_token: Option<String>,
    deletion_protected: bool,
}

/// `POST /updateDeletionProtection` (204).
#[tracing::instrument(name = "UpdateDeletionProtection", skip_all)]
pub async fn update_deletion_protection(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<StatusCode, AwsError> {
    let input: ProtectionInput = wire::body(&body)?;
    let mut c = Checker::default();
    check::arn(&mut c, &input.arn, "arn");
    check::client_token(&mut c, input.client_token.as_deref());
    c.finish()?;
    let ctx = caller.ctx(&s.ctx);
    edit(&s, &caller, &input.arn, |set| {
        let mut next = set.clone();
        next.deletion_protected = input.deletion_protected;
        next.last_modified_by.clone_from(&ctx.actor);
        next.last_modified_time = ctx.now;
        Ok(next)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /deleteReplicationSet?arn=` (204): refused while deletion protection is on.
#[tracing::instrument(name = "DeleteReplicationSet", skip_all)]
pub async fn delete_replication_set(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<StatusCode, AwsError> {
    let arn = q
        .get("arn")
        .ok_or_else(|| AwsError::validation("arn: is required"))?;
    let (set, _) = named(&s, &caller, arn).await?;
    rs::check_delete(&set)?;
    let store = &s.ctx.store;
    store.delete(&caller.account, rs::KIND, rs::SET_ID).await?;
    if let Err(e) = delete_data(&s, &caller).await {
        tracing::error!(error = %e.message, "Replication set deleted, but not all of its data.");
        return Err(e);
    }
    tracing::info!(%arn, "Replication set and Incident Manager data deleted.");
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes the account's incidents, response plans and their policies.
async fn delete_data(s: &AwsState, caller: &Caller) -> Result<(), AwsError> {
    let store = &s.ctx.store;
    let records = caller.records(&s.ctx);
    for r in records.list::<IncidentRecord>(kinds::INCIDENT).await? {
        let id = r.arn.rsplit('/').next().unwrap_or_default();
        store
            .delete_incident(&caller.account, id, &r.dedupe_string)
            .await?;
    }
    for (name, _) in store.list(&caller.account, kinds::RESPONSE_PLAN).await? {
        store
            .delete(&caller.account, kinds::RESPONSE_PLAN, &name)
            .await?;
        store.delete(&caller.account, policies::KIND, &name).await?;
    }
    Ok(())
}
