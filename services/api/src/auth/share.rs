//! Cross-account sharing: a response plan shared with `PutResourcePolicy`, or a contact shared
//! with `PutContactPolicy`, is usable and viewable by the accounts its policy names — and by
//! nobody else. The owner keeps update, delete, tags and sharing to itself (user guide part 3,
//! §4.5: "Consumer: use and view only"), whatever the document grants.
//!
//! A plan's policy covers the plan and every incident created from it
//! (`incident-record/<plan>/*`); a contact's covers its channels, engagements and pages (their
//! ARNs carry the contact's alias). [`decide`] is pure; [`policies_of`] reads the documents.
//!
//! `ListResponsePlans` and `ListContacts` return the caller's own resources and those shared
//! with it mixed together (part 3, §4.4). To find the shared ones without scanning every
//! account, the deployment keeps an index of the resources that have a policy ([`mark`] on
//! `Put*Policy`, [`unmark`] when the last policy or the resource goes); [`shared_with`] reads
//! it and keeps only what the policies grant the caller now, so an entry left behind by a
//! crash between the two writes shares nothing.

use futures_util::future::try_join_all;
use serde_json::Value;
use tocsin_proto::arn::Arn;
use tocsin_runtime::Records;
use tocsin_runtime::records::RecordsError;
use tocsin_store::{Expect, Store};

use super::policy::{self, Decision, Kind, Policy, Principal};

/// What a consumer account may do with a shared response plan and its incidents. Not
/// `DeleteTimelineEvent`: shared incidents' notes are the owner's to delete (part 2, §10.4).
const PLAN_ACTIONS: &[&str] = &[
    "ssm-incidents:GetResponsePlan",
    "ssm-incidents:StartIncident",
    "ssm-incidents:GetIncidentRecord",
    "ssm-incidents:UpdateIncidentRecord",
    "ssm-incidents:ListTimelineEvents",
    "ssm-incidents:CreateTimelineEvent",
    "ssm-incidents:GetTimelineEvent",
    "ssm-incidents:UpdateTimelineEvent",
    "ssm-incidents:ListRelatedItems",
    "ssm-incidents:UpdateRelatedItems",
    "ssm-incidents:ListIncidentFindings",
    "ssm-incidents:BatchGetIncidentFindings",
];

/// What a consumer account may do with a shared contact: view it, engage it, follow the
/// engagements and pages.
const CONTACT_ACTIONS: &[&str] = &[
    "ssm-contacts:GetContact",
    "ssm-contacts:ListContactChannels",
    "ssm-contacts:GetContactChannel",
    "ssm-contacts:StartEngagement",
    "ssm-contacts:StopEngagement",
    "ssm-contacts:DescribeEngagement",
    "ssm-contacts:ListPagesByContact",
    "ssm-contacts:ListPagesByEngagement",
    "ssm-contacts:DescribePage",
    "ssm-contacts:ListPageReceipts",
    "ssm-contacts:ListPageResolutions",
    "ssm-contacts:AcceptPage",
];

/// Store kind of a plan's resource policies (as `PutResourcePolicy` writes them).
const PLAN_POLICY_KIND: &str = "resource-policy";
/// Store kind of a contact's policy (as `PutContactPolicy` writes it).
const CONTACT_POLICY_KIND: &str = "contact-policy";

/// The shareable resource whose policy governs an ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// A response plan (for the plan and its incidents).
    Plan {
        /// Owner account.
        account: String,
        /// Plan name.
        name: String,
    },
    /// A contact (for the contact, its channels, engagements and pages).
    Contact {
        /// Owner account.
        account: String,
        /// Contact alias.
        alias: String,
    },
}

impl Holder {
    /// The owner account.
    pub fn account(&self) -> &str {
        match self {
            Holder::Plan { account, .. } | Holder::Contact { account, .. } => account,
        }
    }
}

/// Where the index of shared resources lives: a pseudo-account no access key maps to.
const INDEX_ACCOUNT: &str = "tocsin-system";

impl Holder {
    /// The index kind and id of this holder.
    fn index_key(&self) -> (&'static str, String) {
        match self {
            Holder::Plan { account, name } => {
                ("shared-response-plans", format!("{account}/{name}"))
            }
            Holder::Contact { account, alias } => ("shared-contacts", format!("{account}/{alias}")),
        }
    }

    /// The action that lets a consumer see this holder in a listing.
    fn view_action(&self) -> &'static str {
        match self {
            Holder::Plan { .. } => "ssm-incidents:GetResponsePlan",
            Holder::Contact { .. } => "ssm-contacts:GetContact",
        }
    }
}

/// Records `holder` (whose ARN is `arn`) as having a resource policy.
pub async fn mark(store: &Store, holder: &Holder, arn: &str) -> Result<(), RecordsError> {
    let (kind, id) = holder.index_key();
    let doc = serde_json::json!({ "arn": arn }).to_string();
    store
        .put(INDEX_ACCOUNT, kind, &id, &doc, Expect::Any)
        .await
        .map(|_| ())
        .map_err(RecordsError::Store)
}

/// Forgets `holder` (its last policy, or the resource itself, is gone).
pub async fn unmark(store: &Store, holder: &Holder) -> Result<(), RecordsError> {
    let (kind, id) = holder.index_key();
    store
        .delete(INDEX_ACCOUNT, kind, &id)
        .await
        .map(|_| ())
        .map_err(RecordsError::Store)
}

/// Which shared resources [`shared_with`] lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// Response plans (`ListResponsePlans`).
    Plans,
    /// Contacts (`ListContacts`).
    Contacts,
}

/// The holders of other accounts whose policies let `who` view them now, with their ARNs.
pub async fn shared_with(
    store: &Store,
    listing: Listing,
    who: Principal<'_>,
) -> Result<Vec<(Holder, String)>, RecordsError> {
    let kind = match listing {
        Listing::Plans => "shared-response-plans",
        Listing::Contacts => "shared-contacts",
    };
    let candidates: Vec<(Holder, String)> = store
        .list(INDEX_ACCOUNT, kind)
        .await?
        .into_iter()
        .filter_map(|(_, v)| {
            let arn = serde_json::from_str::<Value>(&v.data).ok()?["arn"]
                .as_str()?
                .to_string();
            let h = holder(&arn).filter(|h| h.account() != who.account)?;
            Some((h, arn))
        })
        .collect();
    // The policies of every candidate at once: one round trip's latency, not one per resource.
    let policies = try_join_all(candidates.iter().map(|(h, _)| async move {
        policies_of(&Records::new(store.clone(), h.account()), h).await
    }))
    .await?;
    Ok(candidates
        .into_iter()
        .zip(policies)
        .filter(|((h, arn), policies)| {
            let resources = [arn.clone()];
            decide(policies, h.view_action(), &resources, who) == Shared::Allowed
        })
        .map(|(c, _)| c)
        .collect())
}

/// The holder of `arn`, when it names something shareable.
pub fn holder(arn: &str) -> Option<Holder> {
    let a = Arn::parse(arn).ok()?;
    let mut segments = a.resource.split('/');
    let kind = segments.next()?;
    let name = segments.next().filter(|s| !s.is_empty())?.to_string();
    let account = a.account.clone();
    match (a.service.as_str(), kind) {
        ("ssm-incidents", "response-plan" | "incident-record") => {
            Some(Holder::Plan { account, name })
        }
        ("ssm-contacts", "contact" | "contact-channel" | "engagement" | "page") => {
            Some(Holder::Contact {
                account,
                alias: name,
            })
        }
        _ => None,
    }
}

/// The answer for a call on another account's resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shared {
    /// No policy names the caller: the resources are not shared with it (answered like
    /// missing ones — tenants never learn of each other).
    NotShared,
    /// Shared, and this action is a consumer's on every resource: run it in the owner account.
    Allowed,
    /// Shared, but the action is the owner's or the policy does not grant it.
    Refused,
}

/// Pure: whether `action` on `resources` (all of one holder's) is granted to `who` by
/// `policies` (the holder's resource policies).
pub fn decide(
    policies: &[Policy],
    action: &str,
    resources: &[String],
    who: Principal<'_>,
) -> Shared {
    if !policies.iter().any(|p| p.names(who)) {
        return Shared::NotShared;
    }
    let consumer_action = PLAN_ACTIONS
        .iter()
        .chain(CONTACT_ACTIONS)
        .any(|a| a.eq_ignore_ascii_case(action));
    if consumer_action && policy::evaluate(policies, action, resources, who) == Decision::Allow {
        Shared::Allowed
    } else {
        Shared::Refused
    }
}

/// The resource policies of `holder`, read from its owner's records. Documents that do not
/// parse grant nothing.
pub async fn policies_of(records: &Records, holder: &Holder) -> Result<Vec<Policy>, RecordsError> {
    let texts: Vec<String> = match holder {
        Holder::Plan { name, .. } => records
            .get::<Vec<Value>>(PLAN_POLICY_KIND, name)
            .await?
            .map(|(list, _)| {
                list.iter()
                    .filter_map(|p| p["policyDocument"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        Holder::Contact { alias, .. } => records
            .get::<Value>(CONTACT_POLICY_KIND, alias)
            .await?
            .and_then(|(p, _)| p["Policy"].as_str().map(str::to_string))
            .into_iter()
            .collect(),
    };
    Ok(texts
        .iter()
        .filter_map(|t| Policy::parse_str(t, Kind::Resource).ok())
        .collect())
}
