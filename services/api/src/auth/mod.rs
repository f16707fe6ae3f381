//! Who may do what through the AWS-protocol API.
//!
//! - [`keys`]: access keys (env credentials and the keys file), each with an account and IAM
//!   policies; [`reload`] swaps them on SIGHUP or when the file changes.
//! - [`policy`]: IAM-style documents and their evaluation (pure); [`builtin`]: the named
//!   administrator, resolver and read-only policies.
//! - [`actions`]: the action and resource ARNs of each of the 70 operations (one table).
//! - [`share`]: resource policies that share a response plan or a contact with other accounts.
//!
//! [`authorize`] puts them together for one call: the key's identity policies must allow the
//! action on every resource (an explicit Deny wins, default deny); a resource of another
//! account is reachable only when that account shared it with the caller's, and then only for
//! a consumer's actions, run in the owner's account.

pub mod actions;
pub mod builtin;
pub mod keys;
pub mod policy;
pub mod reload;
pub mod share;

use tocsin_runtime::Records;
use tocsin_runtime::records::RecordsError;
use tocsin_store::Store;

use actions::Target;
use keys::Key;
use policy::{Decision, Principal};
use share::Shared;

/// The decision for one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Allowed, in the caller's own account.
    Own,
    /// Allowed on a resource `owner` shared with the caller: the call runs in `owner`.
    Shared {
        /// The owner account.
        owner: String,
    },
    /// Refused; the message is the `AccessDeniedException` message.
    Denied(String),
}

/// The IAM ARN a key acts as.
pub fn principal_arn(key: &Key) -> String {
    format!("arn:aws:iam::{}:user/{}", key.account, key.access_key_id)
}

/// The values of the `aws:Principal*` condition keys for `key` (whose IAM ARN is `arn`).
pub fn principal_of<'a>(key: &'a Key, arn: &'a str) -> Principal<'a> {
    Principal {
        account: &key.account,
        arn,
        org_id: key.org.as_ref().map(|o| o.id.as_str()),
        org_path: key.org.as_ref().and_then(|o| o.path.as_deref()),
    }
}

fn denied(principal: &str, target: &Target, why: &str) -> Access {
    Access::Denied(format!(
        "User: {principal} is not authorized to perform: {} on resource: {} {why}",
        target.action,
        target.resources.join(", ")
    ))
}

/// Decides whether `key` may make the call `target` describes.
pub async fn authorize(store: &Store, key: &Key, target: &Target) -> Result<Access, RecordsError> {
    let principal = principal_arn(key);
    let who = principal_of(key, &principal);
    match policy::evaluate(&key.policies, &target.action, &target.resources, who) {
        Decision::Allow => {}
        Decision::Deny => {
            return Ok(denied(
                &principal,
                target,
                "with an explicit deny in an identity-based policy",
            ));
        }
        Decision::NotAllowed => {
            let why = format!(
                "because no identity-based policy allows the {} action",
                target.action
            );
            return Ok(denied(&principal, target, &why));
        }
    }
    let foreign: Vec<share::Holder> = target
        .resources
        .iter()
        .filter_map(|r| share::holder(r))
        .filter(|h| !h.account().is_empty() && h.account() != key.account)
        .collect();
    let Some(first) = foreign.first() else {
        return Ok(Access::Own);
    };
    if foreign.iter().any(|h| h != first) {
        // Resources of several owners in one call are never shared together.
        return Ok(Access::Own);
    }
    let records = Records::new(store.clone(), first.account());
    let policies = share::policies_of(&records, first).await?;
    Ok(
        match share::decide(&policies, &target.action, &target.resources, who) {
            Shared::NotShared => Access::Own,
            Shared::Allowed => Access::Shared {
                owner: first.account().to_string(),
            },
            Shared::Refused => denied(
                &principal,
                target,
                "because the resource is shared with your account for use and viewing only",
            ),
        },
    )
}

#[cfg(test)]
mod tests;
