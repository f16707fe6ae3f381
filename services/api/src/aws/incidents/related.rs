//! `ListRelatedItems` and `UpdateRelatedItems`: the resources, links and metrics attached to
//! an incident, kept in its record (written compare-and-set on its version).
//!
//! Each item gets a `generatedId` (`related-item/<TYPE>/<32 hex>`, derived from the incident
//! and the item's identifier) that timeline events reference. An identifier is related at
//! most once (adding it again is a `ConflictException`); removing one that is not there is a
//! `ResourceNotFoundException`. A `clientToken` makes a retried update answer as the first.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tocsin_core::validate::Checker;
use tocsin_proto::records::{IncidentRecord, ItemIdentifier, RelatedItem, kinds};

use super::once::once;
use super::records::find;
use super::{check, token};
use crate::aws::error::AwsError;
use crate::aws::wire;
use crate::aws::{AwsState, Caller};

/// Related items one incident holds at most (Tocsin's quota; the model sets none).
pub const MAX_RELATED_ITEMS: usize = 1000;
/// Compare-and-set attempts before answering `ConflictException`.
const ATTEMPTS: usize = 5;

/// The `generatedId` of an item of an incident.
pub fn generated_id(incident_arn: &str, id: &ItemIdentifier) -> String {
    let value = serde_json::to_string(&id.value).unwrap_or_default();
    let digest = Sha256::digest(format!("{incident_arn}\u{1f}{}\u{1f}{value}", id.item_type));
    format!(
        "related-item/{}/{}",
        id.item_type,
        hex::encode_upper(&digest[..16])
    )
}

/// The item as listed: with its `generatedId` (derived when it came without one).
fn listed(incident_arn: &str, item: &RelatedItem) -> Value {
    let mut item = item.clone();
    if item.generated_id.is_none() {
        item.generated_id = Some(generated_id(incident_arn, &item.identifier));
    }
    json!(item)
}

/// `ListRelatedItemsInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListInput {
    incident_record_arn: String,
    max_results: Option<i64>,
    next_token: Option<String>,
}

/// `POST /listRelatedItems`: in the order they were added.
#[tracing::instrument(name = "ListRelatedItems", skip_all)]
pub async fn list_related_items(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Json<Value>, AwsError> {
    let input: ListInput = wire::body(&body)?;
    let mut c = Checker::default();
    check::arn(&mut c, &input.incident_record_arn, "incidentRecordArn");
    c.finish()?;
    let max = wire::max_results(input.max_results)?;
    // The model has no not-found answer here: an incident that is not there (or is another
    // account's) has no related items.
    let record = match find(&s, &caller, "incidentRecordArn", &input.incident_record_arn).await {
        Ok((r, _)) => r,
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            return Ok(Json(json!({ "relatedItems": [] })));
        }
        Err(e) => return Err(e),
    };
    let items: Vec<(String, Value)> = record
        .related_items
        .iter()
        .enumerate()
        .map(|(i, item)| (format!("{i:06}"), listed(&record.arn, item)))
        .collect();
    let (page, next) = token::page(
        &s,
        &caller,
        "ListRelatedItems",
        items,
        |(k, _)| k.clone(),
        input.next_token.as_deref(),
        max,
    )
    .await?;
    let mut out = json!({ "relatedItems": page.into_iter().map(|(_, v)| v).collect::<Vec<_>>() });
    if let Some(n) = next {
        out["nextToken"] = json!(n);
    }
    Ok(Json(out))
}

/// `UpdateRelatedItemsInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateInput {
    client_token: Option<String>,
    incident_record_arn: String,
    related_items_update: ItemsUpdate,
}

/// `RelatedItemsUpdate` (a union).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ItemsUpdate {
    item_to_add: Option<RelatedItem>,
    item_to_remove: Option<ItemIdentifier>,
}

/// What one update does.
enum Change {
    Add(RelatedItem),
    Remove(ItemIdentifier),
}

/// `POST /updateRelatedItems` (204).
#[tracing::instrument(name = "UpdateRelatedItems", skip_all)]
pub async fn update_related_items(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<StatusCode, AwsError> {
    let input: UpdateInput = wire::body(&body)?;
    let mut c = Checker::default();
    check::arn(&mut c, &input.incident_record_arn, "incidentRecordArn");
    check::client_token(&mut c, input.client_token.as_deref());
    let u = input.related_items_update;
    let change = match (u.item_to_add, u.item_to_remove) {
        (Some(item), None) => {
            check::related_item(&mut c, &item, "relatedItemsUpdate.itemToAdd");
            Some(Change::Add(item))
        }
        (None, Some(id)) => {
            check::identifier(&mut c, &id, "relatedItemsUpdate.itemToRemove");
            Some(Change::Remove(id))
        }
        _ => {
            c.check(
                false,
                "relatedItemsUpdate",
                "exactly one of itemToAdd, itemToRemove",
            );
            None
        }
    };
    c.finish()?;
    let Some(change) = change else {
        return Err(AwsError::validation("relatedItemsUpdate: is required"));
    };
    let arn = input.incident_record_arn;
    let scope = format!("UpdateRelatedItems:{arn}");
    once(&s, &caller, &scope, input.client_token.as_deref(), || {
        apply(&s, &caller, &arn, change)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Applies one change compare-and-set.
async fn apply(
    s: &AwsState,
    caller: &Caller,
    arn: &str,
    change: Change,
) -> Result<String, AwsError> {
    let records = caller.records(&s.ctx);
    for _ in 0..ATTEMPTS {
        let (mut record, version) = find(s, caller, "incidentRecordArn", arn).await?;
        edit(&mut record, &change)?;
        let c = caller.ctx(&s.ctx);
        record.last_modified_time = c.now;
        record.last_modified_by = c.actor;
        let id = record
            .arn
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        if records
            .put_versioned(kinds::INCIDENT, &id, &record, version)
            .await?
        {
            return Ok(String::new());
        }
    }
    Err(AwsError::conflict(format!(
        "incident record {arn} kept changing; retry"
    )))
}

/// The change on the record, or why it cannot be made.
fn edit(record: &mut IncidentRecord, change: &Change) -> Result<(), AwsError> {
    match change {
        Change::Add(item) => {
            if record
                .related_items
                .iter()
                .any(|i| i.identifier == item.identifier)
            {
                return Err(AwsError::conflict(
                    "relatedItemsUpdate.itemToAdd: this item is already related to the incident",
                ));
            }
            if record.related_items.len() >= MAX_RELATED_ITEMS {
                return Err(AwsError::validation(format!(
                    "relatedItemsUpdate.itemToAdd: an incident holds at most {MAX_RELATED_ITEMS} related items"
                )));
            }
            let mut item = item.clone();
            if item.generated_id.is_none() {
                item.generated_id = Some(generated_id(&record.arn, &item.identifier));
            }
            record.related_items.push(item);
        }
        Change::Remove(id) => {
            let before = record.related_items.len();
            record.related_items.retain(|i| &i.identifier != id);
            if record.related_items.len() == before {
                return Err(AwsError::not_found(
                    "related item",
                    &format!("{} of the incident", id.item_type),
                ));
            }
        }
    }
    Ok(())
}
