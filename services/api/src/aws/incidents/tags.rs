//! `TagResource`, `UntagResource`, `ListTagsForResource` (`/tags/{resourceArn}`) on the
//! taggable resources of the model: response plans, incident records and the replication set.
//!
//! Each keeps its tags in its own record (`tags`), edited compare-and-set on the record's
//! version. A resource holds at most 50 tags; more is `ServiceQuotaExceededException` (402),
//! as the model's error list says.

use std::collections::{BTreeMap, HashMap};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};
use tocsin_core::validate::Checker;
use tocsin_proto::arn::Arn;
use tocsin_proto::records::kinds;
use tocsin_store::{Expect, StoreError};

use super::check;
use super::replication_set as rs;
use crate::aws::error::AwsError;
use crate::aws::wire;
use crate::aws::{AwsState, Caller};

/// Tags one resource holds at most.
pub const MAX_TAGS: usize = 50;
/// Compare-and-set attempts before answering `ConflictException`.
const ATTEMPTS: usize = 5;

/// Where the tags of the resource an ARN names are kept: (kind, id).
fn locate(caller: &Caller, arn: &str) -> Result<(&'static str, String), AwsError> {
    let missing = || AwsError::not_found("resource", arn);
    let parsed = Arn::parse(arn).map_err(|e| AwsError::validation(format!("resourceArn: {e}")))?;
    if parsed.service != "ssm-incidents" {
        return Err(AwsError::validation(
            "resourceArn: must be an ssm-incidents ARN (response plan, incident record or replication set)",
        ));
    }
    if parsed.account != caller.account {
        return Err(missing());
    }
    let id = parsed.last_segment().to_string();
    match parsed.resource_type() {
        "response-plan" => Ok((kinds::RESPONSE_PLAN, id)),
        "incident-record" => Ok((kinds::INCIDENT, id)),
        "replication-set" => Ok((rs::KIND, rs::SET_ID.to_string())),
        other => Err(AwsError::validation(format!(
            "resourceArn: {other} resources cannot be tagged"
        ))),
    }
}

/// The record the ARN names, as JSON, with its version.
async fn read(
    s: &AwsState,
    caller: &Caller,
    arn: &str,
) -> Result<(&'static str, String, Value, u64), AwsError> {
    let (kind, id) = locate(caller, arn)?;
    match caller.records(&s.ctx).get::<Value>(kind, &id).await? {
        Some((v, version)) if v["arn"] == arn => Ok((kind, id, v, version)),
        _ => Err(AwsError::not_found("resource", arn)),
    }
}

fn tags_of(v: &Value) -> BTreeMap<String, String> {
    serde_json::from_value(v["tags"].clone()).unwrap_or_default()
}

/// Changes the tags of the resource `arn` names, compare-and-set.
async fn edit(
    s: &AwsState,
    caller: &Caller,
    arn: &str,
    change: impl Fn(&mut BTreeMap<String, String>) -> Result<(), AwsError>,
) -> Result<(), AwsError> {
    let records = caller.records(&s.ctx);
    for _ in 0..ATTEMPTS {
        let (kind, id, mut v, version) = read(s, caller, arn).await?;
        let mut tags = tags_of(&v);
        let before = tags.clone();
        change(&mut tags)?;
        if tags == before {
            return Ok(());
        }
        v["tags"] = json!(tags);
        match records.put(kind, &id, &v, Expect::Version(version)).await {
            Ok(_) => return Ok(()),
            Err(tocsin_runtime::records::RecordsError::Store(StoreError::Conflict { .. })) => {
                continue;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(AwsError::conflict(format!("{arn} kept changing; retry")))
}

/// `GET /tags/{resourceArn}`.
#[tracing::instrument(name = "ListTagsForResource", skip_all)]
pub async fn list_tags_for_resource(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    Path(arn): Path<String>,
) -> Result<Json<Value>, AwsError> {
    let (_, _, v, _) = read(&s, &caller, &arn).await?;
    Ok(Json(json!({ "tags": tags_of(&v) })))
}

/// `TagResourceRequest` body.
#[derive(Debug, Deserialize)]
struct TagInput {
    tags: BTreeMap<String, String>,
}

/// `POST /tags/{resourceArn}` (204): adds or overwrites.
#[tracing::instrument(name = "TagResource", skip_all)]
pub async fn tag_resource(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    Path(arn): Path<String>,
    body: Bytes,
) -> Result<StatusCode, AwsError> {
    let input: TagInput = wire::body(&body)?;
    let mut c = Checker::default();
    c.check(!input.tags.is_empty(), "tags", "at least 1 tag");
    check::tags(&mut c, &input.tags, "tags", MAX_TAGS);
    c.finish()?;
    edit(&s, &caller, &arn, |tags| {
        tags.extend(input.tags.clone());
        if tags.len() > MAX_TAGS {
            return Err(AwsError {
                status: StatusCode::PAYMENT_REQUIRED,
                code: "ServiceQuotaExceededException",
                message: format!(
                    "a resource holds at most {MAX_TAGS} tags; this would make {}",
                    tags.len()
                ),
            });
        }
        Ok(())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /tags/{resourceArn}?tagKeys=k1&tagKeys=k2` (204).
#[tracing::instrument(name = "UntagResource", skip_all)]
pub async fn untag_resource(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    Path(arn): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<StatusCode, AwsError> {
    let keys = tag_keys(query.as_deref().unwrap_or_default());
    let mut c = Checker::default();
    c.check(
        (1..=MAX_TAGS).contains(&keys.len()),
        "tagKeys",
        format!("1 to {MAX_TAGS} keys, got {}", keys.len()),
    );
    for (i, k) in keys.iter().enumerate() {
        check::tag_key(&mut c, k, &format!("tagKeys[{i}]"));
    }
    c.finish()?;
    edit(&s, &caller, &arn, |tags| {
        for k in &keys {
            tags.remove(k);
        }
        Ok(())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The repeated `tagKeys` of a query string, decoded.
fn tag_keys(query: &str) -> Vec<String> {
    let pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Some((decode(k)?, decode(v)?))
        })
        .collect();
    let by_name: HashMap<&str, Vec<&String>> =
        pairs.iter().fold(HashMap::new(), |mut m, (k, v)| {
            m.entry(k.as_str()).or_default().push(v);
            m
        });
    by_name
        .get("tagKeys")
        .map(|v| v.iter().map(|s| (*s).clone()).collect())
        .unwrap_or_default()
}

/// Percent-decoding of a query component (`+` is a space, as form encoding says).
fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_tag_keys_are_decoded_in_order() {
        assert_eq!(
            tag_keys("tagKeys=team&other=x&tagKeys=cost%20center&tagKeys=a%2Fb"),
            ["team", "cost center", "a/b"]
        );
        assert!(tag_keys("").is_empty());
    }
}
