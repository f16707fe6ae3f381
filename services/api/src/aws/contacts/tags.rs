//! `TagResource`, `UntagResource`, `ListTagsForResource` on contacts and rotations (the
//! taggable resources of the model: those whose create call takes `Tags`), at most 50 tags per
//! resource with the model's key and value rules; and `PutContactPolicy` / `GetContactPolicy`,
//! which store a contact's resource policy (a JSON document), kept and returned as given;
//! `crate::auth::share` evaluates it for other accounts' calls.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tocsin_core::contacts::tags::{MAX_TAGS, check_tags};
use tocsin_core::ids::sha256_hex;
use tocsin_core::validate::Checker;
use tocsin_proto::arn::Arn;
use tocsin_proto::records::Tag;
use tocsin_store::Expect;

use super::call::{Call, input, kinds};
use super::error::ContactsError;
use super::{contact, rotation};
use crate::auth::share;

fn tags_id(resource_arn: &str) -> String {
    sha256_hex(resource_arn.as_bytes())
}

/// The stored tags of a resource.
async fn stored(c: &Call<'_>, resource_arn: &str) -> Result<Vec<Tag>, ContactsError> {
    Ok(c.records()
        .get::<Vec<Tag>>(kinds::TAGS, &tags_id(resource_arn))
        .await?
        .map(|(t, _)| t)
        .unwrap_or_default())
}

/// Replaces a resource's tags (none: forgets them).
pub async fn store(c: &Call<'_>, resource_arn: &str, tags: &[Tag]) -> Result<(), ContactsError> {
    let id = tags_id(resource_arn);
    if tags.is_empty() {
        c.records()
            .store()
            .delete(c.account(), kinds::TAGS, &id)
            .await?;
    } else {
        c.records()
            .put(kinds::TAGS, &id, &tags, Expect::Any)
            .await?;
    }
    Ok(())
}

/// The canonical ARN of the contact or rotation `ResourceARN` names, if it exists.
async fn resource(c: &Call<'_>, arn: &str) -> Result<String, ContactsError> {
    let kind = Arn::parse(arn)
        .map(|a| a.resource_type().to_string())
        .unwrap_or_default();
    match kind.as_str() {
        "contact" => Ok(contact::load(c, "ResourceARN", arn).await?.0.contact_arn),
        "rotation" => Ok(rotation::load(c, "ResourceARN", arn).await?.0.rotation_arn),
        _ => Err(ContactsError::field(
            "ResourceARN",
            "must be the ARN of an ssm-contacts contact or rotation",
        )),
    }
}

/// `TagResourceRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagInput {
    #[serde(rename = "ResourceARN")]
    resource_arn: String,
    tags: Vec<Tag>,
}

/// `TagResource`: adds or overwrites keys; beyond 50 tags in all is a quota error.
pub async fn tag(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: TagInput = input(&raw)?;
    let mut checker = Checker::default();
    check_tags(&mut checker, &i.tags);
    checker.finish()?;
    let arn = resource(c, &i.resource_arn).await?;
    let mut merged: BTreeMap<String, Option<String>> = stored(c, &arn)
        .await?
        .into_iter()
        .map(|t| (t.key, t.value))
        .collect();
    for t in i.tags {
        merged.insert(t.key, t.value);
    }
    if merged.len() > MAX_TAGS {
        return Err(ContactsError::quota(
            "TAGS",
            &arn,
            "tags-per-resource",
            format!(
                "Tags: a resource has at most {MAX_TAGS} tags, this would make {}",
                merged.len()
            ),
        ));
    }
    let tags: Vec<Tag> = merged
        .into_iter()
        .map(|(key, value)| Tag { key, value })
        .collect();
    store(c, &arn, &tags).await?;
    Ok(json!({}))
}

/// `UntagResourceRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UntagInput {
    #[serde(rename = "ResourceARN")]
    resource_arn: String,
    tag_keys: Vec<String>,
}

/// `UntagResource`: removes the keys (absent keys are fine).
pub async fn untag(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: UntagInput = input(&raw)?;
    let arn = resource(c, &i.resource_arn).await?;
    let mut tags = stored(c, &arn).await?;
    tags.retain(|t| !i.tag_keys.contains(&t.key));
    store(c, &arn, &tags).await?;
    Ok(json!({}))
}

/// `ListTagsForResourceRequest`.
#[derive(Debug, Deserialize)]
struct ListInput {
    #[serde(rename = "ResourceARN")]
    resource_arn: String,
}

/// `ListTagsForResource`.
pub async fn list(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: ListInput = input(&raw)?;
    let arn = resource(c, &i.resource_arn).await?;
    Ok(json!({ "Tags": stored(c, &arn).await? }))
}

/// A stored contact policy.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StoredPolicy {
    policy: String,
}

/// `PutContactPolicyRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutPolicyInput {
    contact_arn: String,
    policy: String,
}

/// `PutContactPolicy`: the policy must be a JSON object (an IAM policy document).
pub async fn put_policy(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: PutPolicyInput = input(&raw)?;
    let (contact, _) = contact::load(c, "ContactArn", &i.contact_arn).await?;
    if !serde_json::from_str::<Value>(&i.policy).is_ok_and(|v| v.is_object()) {
        return Err(ContactsError::field(
            "Policy",
            "must be a JSON policy document (an object)",
        ));
    }
    let stored = StoredPolicy { policy: i.policy };
    c.records()
        .put(kinds::CONTACT_POLICY, &contact.alias, &stored, Expect::Any)
        .await?;
    let holder = share::Holder::Contact {
        account: c.account().to_string(),
        alias: contact.alias.clone(),
    };
    share::mark(&c.ctx().store, &holder, &contact.contact_arn).await?;
    Ok(json!({}))
}

/// `GetContactPolicy`.
pub async fn get_policy(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: PutPolicyInputArn = input(&raw)?;
    let (contact, _) = contact::load(c, "ContactArn", &i.contact_arn).await?;
    let mut out = json!({ "ContactArn": contact.contact_arn });
    if let Some((p, _)) = c
        .records()
        .get::<StoredPolicy>(kinds::CONTACT_POLICY, &contact.alias)
        .await?
    {
        out["Policy"] = json!(p.policy);
    }
    Ok(out)
}

/// `GetContactPolicyRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutPolicyInputArn {
    contact_arn: String,
}
