//! `PutResourcePolicy`, `GetResourcePolicies`, `DeleteResourcePolicy`: the resource policies
//! of a response plan, the documents that share it (and its incidents) with other accounts.
//!
//! Policies are stored per plan (one record of kind [`KIND`], keyed by the plan's name). A
//! policy's id is derived from its document, so putting the same document again is the same
//! policy. Deny statements are refused, as Incident Manager does for shared resources.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tocsin_core::ids::sha256_hex;
use tocsin_core::validate::Checker;
use tocsin_proto::records::{ResponsePlan, kinds};
use tocsin_runtime::records::RecordsError;
use tocsin_store::{Expect, StoreError};

use super::{check, own_id, token};
use crate::auth::share;
use crate::aws::error::AwsError;
use crate::aws::wire;
use crate::aws::{AwsState, Caller};

/// Store kind of a plan's policies.
pub const KIND: &str = "resource-policy";
/// Policies one plan holds at most (the model's list maximum).
const MAX_POLICIES: usize = 100;
/// Compare-and-set attempts before answering `ConflictException`.
const ATTEMPTS: usize = 5;

/// One stored policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    /// Id, derived from the document.
    pub policy_id: String,
    /// The policy document (JSON text).
    pub policy_document: String,
}

/// The plan's name when `arn` names one of the caller's existing plans.
async fn plan_name(s: &AwsState, caller: &Caller, arn: &str) -> Result<String, AwsError> {
    let missing = || AwsError::not_found("response plan", arn);
    let name = own_id(caller, "resourceArn", arn, "response-plan")?.ok_or_else(missing)?;
    caller
        .records(&s.ctx)
        .get::<ResponsePlan>(kinds::RESPONSE_PLAN, &name)
        .await?
        .filter(|(p, _)| p.arn == arn)
        .ok_or_else(missing)?;
    Ok(name)
}

/// Checks a document: JSON with statements, none of them a Deny.
fn check_document(doc: &str) -> Result<(), AwsError> {
    let mut c = Checker::default();
    c.length(doc, "policy", 0, 4000);
    c.finish()?;
    let v: Value = serde_json::from_str(doc)
        .map_err(|e| AwsError::validation(format!("policy: not a JSON policy document: {e}")))?;
    let statements = match &v["Statement"] {
        Value::Array(a) => a.clone(),
        Value::Object(_) => vec![v["Statement"].clone()],
        _ => return Err(AwsError::validation("policy: must hold a Statement")),
    };
    for (i, st) in statements.iter().enumerate() {
        match st["Effect"].as_str() {
            Some("Allow") => {}
            Some("Deny") => {
                return Err(AwsError::validation(format!(
                    "policy: Statement[{i}]: resource policies of shared resources cannot Deny"
                )));
            }
            _ => {
                return Err(AwsError::validation(format!(
                    "policy: Statement[{i}].Effect: must be Allow"
                )));
            }
        }
    }
    Ok(())
}

/// Reads the plan's policies, changes them with `change`, writes them compare-and-set.
async fn edit<T>(
    s: &AwsState,
    caller: &Caller,
    name: &str,
    change: impl Fn(&mut Vec<Policy>) -> Result<T, AwsError>,
) -> Result<T, AwsError> {
    let records = caller.records(&s.ctx);
    for _ in 0..ATTEMPTS {
        let (mut list, expect) = match records.get::<Vec<Policy>>(KIND, name).await? {
            Some((l, v)) => (l, Expect::Version(v)),
            None => (Vec::new(), Expect::Absent),
        };
        let out = change(&mut list)?;
        match records.put(KIND, name, &list, expect).await {
            Ok(_) => return Ok(out),
            Err(RecordsError::Store(StoreError::Conflict { .. })) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AwsError::conflict(
        "the resource policies kept changing; retry",
    ))
}

/// `PutResourcePolicyInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PutInput {
    policy: String,
    resource_arn: String,
}

/// `POST /putResourcePolicy`.
#[tracing::instrument(name = "PutResourcePolicy", skip_all)]
pub async fn put_resource_policy(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Json<Value>, AwsError> {
    let input: PutInput = wire::body(&body)?;
    let mut c = Checker::default();
    check::arn(&mut c, &input.resource_arn, "resourceArn");
    c.finish()?;
    check_document(&input.policy)?;
    let name = plan_name(&s, &caller, &input.resource_arn).await?;
    let policy = Policy {
        policy_id: sha256_hex(input.policy.as_bytes())[..32].to_string(),
        policy_document: input.policy,
    };
    let id = edit(&s, &caller, &name, |list| {
        if !list.iter().any(|p| p.policy_id == policy.policy_id) {
            if list.len() >= MAX_POLICIES {
                return Err(AwsError::validation(format!(
                    "resourceArn: a response plan holds at most {MAX_POLICIES} policies"
                )));
            }
            list.push(policy.clone());
        }
        Ok(policy.policy_id.clone())
    })
    .await?;
    share::mark(&s.ctx.store, &holder(&caller, &name), &input.resource_arn).await?;
    Ok(Json(json!({ "policyId": id })))
}

/// `GetResourcePoliciesInput` (body part; `resourceArn` is in the query).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetInput {
    max_results: Option<i64>,
    next_token: Option<String>,
}

/// `POST /getResourcePolicies?resourceArn=`.
#[tracing::instrument(name = "GetResourcePolicies", skip_all)]
pub async fn get_resource_policies(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Json<Value>, AwsError> {
    let input: GetInput = wire::body(&body)?;
    let max = wire::max_results(input.max_results)?;
    let arn = q
        .get("resourceArn")
        .ok_or_else(|| AwsError::validation("resourceArn: is required"))?;
    let mut c = Checker::default();
    check::arn(&mut c, arn, "resourceArn");
    c.finish()?;
    let name = plan_name(&s, &caller, arn).await?;
    let list = caller
        .records(&s.ctx)
        .get::<Vec<Policy>>(KIND, &name)
        .await?
        .map(|(l, _)| l)
        .unwrap_or_default();
    let keyed: Vec<(String, Policy)> = list
        .into_iter()
        .enumerate()
        .map(|(i, p)| (format!("{i:04}"), p))
        .collect();
    let (page, next) = token::page(
        &s,
        &caller,
        "GetResourcePolicies",
        keyed,
        |(k, _)| k.clone(),
        input.next_token.as_deref(),
        max,
    )
    .await?;
    let region = &s.ctx.settings.region;
    let policies: Vec<Value> = page
        .into_iter()
        .map(|(_, p)| {
            json!({
                "policyDocument": p.policy_document,
                "policyId": p.policy_id,
                "ramResourceShareRegion": region,
            })
        })
        .collect();
    let mut out = json!({ "resourcePolicies": policies });
    if let Some(n) = next {
        out["nextToken"] = json!(n);
    }
    Ok(Json(out))
}

/// `DeleteResourcePolicyInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteInput {
    policy_id: String,
    resource_arn: String,
}

/// `POST /deleteResourcePolicy`.
#[tracing::instrument(name = "DeleteResourcePolicy", skip_all)]
pub async fn delete_resource_policy(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Json<Value>, AwsError> {
    let input: DeleteInput = wire::body(&body)?;
    let mut c = Checker::default();
    check::arn(&mut c, &input.resource_arn, "resourceArn");
    c.length(&input.policy_id, "policyId", 0, 256);
    c.finish()?;
    let name = plan_name(&s, &caller, &input.resource_arn).await?;
    let left = edit(&s, &caller, &name, |list| {
        let before = list.len();
        list.retain(|p| p.policy_id != input.policy_id);
        if list.len() == before {
            return Err(AwsError::not_found("resource policy", &input.policy_id));
        }
        Ok(list.len())
    })
    .await?;
    if left == 0 {
        share::unmark(&s.ctx.store, &holder(&caller, &name)).await?;
    }
    Ok(Json(json!({})))
}

/// The plan `name` of the caller's account, as the sharing index knows it.
fn holder(caller: &Caller, name: &str) -> share::Holder {
    share::Holder::Plan {
        account: caller.account.clone(),
        name: name.to_string(),
    }
}

/// Removes the policies of the plan `name` (it is being deleted): a plan created again under
/// the name starts unshared.
pub async fn forget(s: &AwsState, caller: &Caller, name: &str) -> Result<(), AwsError> {
    s.ctx.store.delete(&caller.account, KIND, name).await?;
    share::unmark(&s.ctx.store, &holder(caller, name)).await?;
    Ok(())
}
