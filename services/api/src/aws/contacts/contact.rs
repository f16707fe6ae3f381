//! `CreateContact`, `GetContact`, `ListContacts`, `UpdateContact`, `DeleteContact`. Contacts
//! are stored by alias, where engagement and the manifest path (`tocsin apply`) find them; the
//! rules are `tocsin_core::contacts`, plus the checks that need stored records (escalation
//! targets exist and form no cycle, a personal plan names the contact's own channels, a
//! schedule's rotations exist).

use serde::Deserialize;
use serde_json::{Value, json};
use tocsin_core::contacts::{self, check_escalation_cycles, check_escalation_targets};
use tocsin_core::validate::Checker;
use tocsin_proto::arn::{self, Arn};
use tocsin_proto::records::{Contact, ContactChannel, ContactType, Plan, Rotation, Tag, kinds};
use tocsin_runtime::Records;
use tocsin_runtime::records::RecordsError;
use tocsin_store::{Expect, StoreError};

use super::call::{self, Call, Paging, input, with_token};
use super::error::ContactsError;
use super::{idempotency, tags};
use crate::auth::share::{self, Listing};

/// `CreateContactRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateInput {
    alias: String,
    display_name: Option<String>,
    #[serde(rename = "Type")]
    contact_type: ContactType,
    plan: Plan,
    #[serde(default)]
    tags: Vec<Tag>,
    idempotency_token: Option<String>,
}

/// The contact `ContactId` names, with its version; `NotFound` when absent or another
/// account's.
pub async fn load(
    c: &Call<'_>,
    field: &str,
    contact_arn: &str,
) -> Result<(Contact, u64), ContactsError> {
    let missing = || ContactsError::not_found("CONTACT", contact_arn);
    let Some(arn) = c.own(field, contact_arn, "contact")? else {
        return Err(missing());
    };
    match c
        .records()
        .get::<Contact>(kinds::CONTACT, arn.last_segment())
        .await?
    {
        Some((contact, v)) if arn.resource == format!("contact/{}", contact.alias) => {
            Ok((contact, v))
        }
        _ => Err(missing()),
    }
}

/// The rules that need stored records (see the module doc).
async fn check_references(c: &Call<'_>, contact: &Contact) -> Result<(), ContactsError> {
    let records = c.records();
    match contact.contact_type {
        ContactType::Escalation => {
            let all: Vec<Contact> = records.list(kinds::CONTACT).await?;
            let account = c.account().to_string();
            let lookup = |id: &str| {
                let a = Arn::parse(id).ok()?;
                (a.account == account && a.resource_type() == "contact")
                    .then(|| all.iter().find(|x| x.alias == a.last_segment()))
                    .flatten()
            };
            check_escalation_targets(contact, lookup)?;
            check_escalation_cycles(contact, lookup)?;
        }
        ContactType::Personal => {
            let channels = records.channels_of(&contact.contact_arn).await?;
            contacts::check_plan_channels(contact, &channels)?;
        }
        ContactType::OncallSchedule => {
            let mut checker = Checker::default();
            for (i, id) in contact.plan.rotation_ids.iter().enumerate() {
                let found = match Arn::parse(id) {
                    Ok(a) if a.account == c.account() => records
                        .get::<Rotation>(kinds::ROTATION, a.last_segment())
                        .await?
                        .is_some(),
                    _ => false,
                };
                checker.check(
                    found,
                    format!("Plan.RotationIds[{i}]"),
                    format!("rotation {id} does not exist"),
                );
            }
            checker.finish()?;
        }
    }
    Ok(())
}

/// `CreateContact`.
pub async fn create(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: CreateInput = input(&raw)?;
    let token = i.idempotency_token.as_deref();
    if let Some(first) = idempotency::replay(c, token, &raw).await? {
        return Ok(first);
    }
    let contact = Contact {
        contact_arn: arn::contact(c.region(), c.account(), &i.alias),
        alias: i.alias.clone(),
        display_name: i.display_name,
        contact_type: i.contact_type,
        tocsin: Default::default(),
        plan: i.plan,
    };
    let mut checker = Checker::default();
    contacts::check_contact(&mut checker, &contact);
    contacts::tags::check_tags(&mut checker, &i.tags);
    checker.finish()?;
    check_references(c, &contact).await?;
    match c
        .records()
        .put(kinds::CONTACT, &contact.alias, &contact, Expect::Absent)
        .await
    {
        Ok(_) => {}
        Err(RecordsError::Store(StoreError::Conflict { .. })) => {
            return Err(ContactsError::conflict(
                "CONTACT",
                &contact.contact_arn,
                format!("a contact with alias {} already exists", contact.alias),
                vec![],
            ));
        }
        Err(e) => return Err(e.into()),
    }
    tags::store(c, &contact.contact_arn, &i.tags).await?;
    let out = json!({ "ContactArn": contact.contact_arn });
    idempotency::remember(c, token, &raw, &out).await?;
    tracing::info!(alias = %contact.alias, "Contact created.");
    Ok(out)
}

/// `GetContactRequest` and the other requests naming a contact.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ContactIdInput {
    contact_id: String,
}

/// `GetContact`.
pub async fn get(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: ContactIdInput = input(&raw)?;
    let (contact, _) = load(c, "ContactId", &i.contact_id).await?;
    let mut out = summary(&contact);
    out["Plan"] = serde_json::to_value(&contact.plan).unwrap_or_default();
    Ok(out)
}

/// `Contact` (the listing's shape).
fn summary(contact: &Contact) -> Value {
    let mut out = json!({
        "ContactArn": contact.contact_arn,
        "Alias": contact.alias,
        "Type": contact.contact_type,
    });
    if let Some(d) = &contact.display_name {
        out["DisplayName"] = json!(d);
    }
    out
}

/// `ListContactsRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListInput {
    alias_prefix: Option<String>,
    #[serde(rename = "Type")]
    contact_type: Option<ContactType>,
}

/// `ListContacts`: by alias.
pub async fn list(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: ListInput = input(&raw)?;
    let paging: Paging = input(&raw)?;
    let mut all: Vec<Contact> = c.records().list(kinds::CONTACT).await?;
    // Contacts other accounts share with the caller's, mixed in (their ARNs name the owner).
    for (holder, arn) in c.caller.shared(c.ctx(), Listing::Contacts).await? {
        let owner = Records::new(c.ctx().store.clone(), holder.account());
        all.extend(owner.contact(&arn).await?);
    }
    all.retain(|x| {
        i.alias_prefix
            .as_deref()
            .is_none_or(|p| x.alias.starts_with(p))
            && i.contact_type.is_none_or(|t| x.contact_type == t)
    });
    all.sort_by(|a, b| a.contact_arn.cmp(&b.contact_arn));
    let (page, next) = c.page(&paging, all, |x| x.contact_arn.clone()).await?;
    let contacts: Vec<Value> = page.iter().map(summary).collect();
    Ok(with_token(json!({ "Contacts": contacts }), next))
}

/// `UpdateContactRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateInput {
    contact_id: String,
    display_name: Option<String>,
    plan: Option<Plan>,
}

/// `UpdateContact`: display name and plan, compare-and-set.
pub async fn update(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: UpdateInput = input(&raw)?;
    for _ in 0..8 {
        let (mut contact, version) = load(c, "ContactId", &i.contact_id).await?;
        if let Some(d) = &i.display_name {
            contact.display_name = Some(d.clone());
        }
        if let Some(p) = &i.plan {
            contact.plan = p.clone();
        }
        contacts::validate_contact(&contact)?;
        check_references(c, &contact).await?;
        if c.records()
            .put_versioned(kinds::CONTACT, &contact.alias, &contact, version)
            .await?
        {
            return Ok(json!({}));
        }
    }
    Err(ContactsError::conflict(
        "CONTACT",
        &i.contact_id,
        "the contact kept changing under concurrent updates; retry",
        vec![],
    ))
}

/// `DeleteContact`: refused while an escalation plan or a rotation names the contact;
/// removes its channels, tags and policy with it.
pub async fn delete(c: &Call<'_>, raw: Value) -> Result<Value, ContactsError> {
    let i: ContactIdInput = input(&raw)?;
    let (contact, _) = load(c, "ContactId", &i.contact_id).await?;
    let records = c.records();
    let same = |id: &str| {
        Arn::parse(id).is_ok_and(|a| {
            a.account == c.account() && a.resource == format!("contact/{}", contact.alias)
        })
    };
    let plans: Vec<String> = records
        .list::<Contact>(kinds::CONTACT)
        .await?
        .into_iter()
        .filter(|x| {
            x.plan.stages.iter().flat_map(|s| &s.targets).any(|t| {
                t.contact_target_info
                    .as_ref()
                    .and_then(|info| info.contact_id.as_deref())
                    .is_some_and(same)
            })
        })
        .map(|x| x.contact_arn)
        .collect();
    let rotations: Vec<String> = records
        .list::<Rotation>(kinds::ROTATION)
        .await?
        .into_iter()
        .filter(|r| r.contact_ids.iter().any(|id| same(id)))
        .map(|r| r.rotation_arn)
        .collect();
    if !plans.is_empty() || !rotations.is_empty() {
        let mut deps = Vec::new();
        if !plans.is_empty() {
            deps.push(("ESCALATION_PLAN", plans));
        }
        if !rotations.is_empty() {
            deps.push(("ROTATION", rotations));
        }
        return Err(ContactsError::conflict(
            "CONTACT",
            &contact.contact_arn,
            format!(
                "contact {} is still engaged by escalation plans or rotations",
                contact.alias
            ),
            deps,
        ));
    }
    let store = records.store();
    for ch in records.channels_of(&contact.contact_arn).await? {
        let id = channel_id(&ch);
        store
            .delete(c.account(), kinds::CONTACT_CHANNEL, &id)
            .await?;
        store
            .delete(c.account(), kinds::CONTACT_CHANNEL_ACTIVATION, &id)
            .await?;
    }
    store
        .delete(c.account(), kinds::CONTACT, &contact.alias)
        .await?;
    store
        .delete(c.account(), call::kinds::CONTACT_POLICY, &contact.alias)
        .await?;
    let holder = share::Holder::Contact {
        account: c.account().to_string(),
        alias: contact.alias.clone(),
    };
    share::unmark(store, &holder).await?;
    tags::store(c, &contact.contact_arn, &[]).await?;
    tracing::info!(alias = %contact.alias, "Contact deleted.");
    Ok(json!({}))
}

/// The store id of a channel (the last segment of its ARN).
pub fn channel_id(ch: &ContactChannel) -> String {
    ch.contact_channel_arn
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string()
}
