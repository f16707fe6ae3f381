//! Escalation plans: contacts of type `ESCALATION` whose ordered stages engage contacts and
//! on-call schedules (`ContactTargetInfo{ContactId, IsEssential}`), and the cycle check that
//! keeps a plan from reaching itself through nested escalation plans.
//!
//! An escalation plan has 0 to [`MAX_STAGES`](super::plan::MAX_STAGES) stages, each with at
//! least one target (no stage is what AWS accepts, and what Terraform's `aws_ssmcontacts_contact`
//! creates before `aws_ssmcontacts_plan` fills it in; engaging such a contact ends at once with
//! "the contact has no plan stages" on the timeline); a target names a contact of the plan's own account (shared contacts are
//! refused), at most once per stage. Nesting another escalation plan is allowed; reaching the
//! plan itself again, directly or through any depth of nesting, is a cycle and refused, since
//! engaging it would never end.

use std::collections::{HashMap, HashSet};

use tocsin_proto::arn::Arn;
use tocsin_proto::records::{Contact, ContactType, Plan};

use super::alias::check_arn;
use super::plan::{check_stages, stage_field, target_field};
use crate::validate::{Checker, ValidationError};

/// The wire name of the contact a target engages.
const CONTACT_ID: &str = "ContactTargetInfo.ContactId";

/// Rules of an escalation plan that need no other record (see the module doc), including a
/// plan that names itself.
pub(crate) fn check_escalation_plan(c: &mut Checker, contact_arn: &str, alias: &str, plan: &Plan) {
    check_stages(c, plan);
    c.check(
        plan.rotation_ids.is_empty(),
        "Plan.RotationIds",
        "must be empty: only on-call schedules have rotations",
    );
    let own = Arn::parse(contact_arn).ok();
    for (i, stage) in plan.stages.iter().enumerate() {
        c.check(
            !stage.targets.is_empty(),
            stage_field(i, "Targets"),
            "must hold at least one contact or on-call schedule",
        );
        let mut seen = HashSet::new();
        for (j, target) in stage.targets.iter().enumerate() {
            c.check(
                target.channel_target_info.is_none(),
                target_field(i, j, "ChannelTargetInfo"),
                "must be absent: an escalation plan engages contacts, each through its own plan",
            );
            let Some(info) = &target.contact_target_info else {
                c.check(
                    false,
                    target_field(i, j, "ContactTargetInfo"),
                    "is required in an escalation plan",
                );
                continue;
            };
            let field = target_field(i, j, CONTACT_ID);
            let Some(id) = &info.contact_id else {
                c.check(false, field, "is required in an escalation plan");
                continue;
            };
            let Some(arn) = check_arn(c, id, &field, "contact") else {
                continue;
            };
            if let Some(own) = &own {
                c.check(
                    arn.account == own.account,
                    &field,
                    format!(
                        "must be a contact of account {} (escalation plans may use only contacts of their own account)",
                        own.account
                    ),
                );
            }
            c.check(
                key(id) != key(contact_arn),
                &field,
                format!("escalation cycle: {alias} -> {alias}"),
            );
            c.check(
                seen.insert(key(id)),
                &field,
                "must not repeat a contact of the same stage",
            );
        }
    }
}

/// Refuses an escalation plan that reaches itself, directly or through nested escalation
/// plans, or that reaches any other cycle of stored plans. `lookup` resolves a `ContactId` (a
/// contact ARN, as written in a plan) to the stored contact; `contact` is the plan being
/// written and stands in for its stored version. The error names the root target that starts
/// the cycle and the path of aliases: `escalation cycle: a -> b -> a`. Contacts that do not
/// exist end a path (see [`check_escalation_targets`]). Iterative, so nesting depth is bounded
/// by memory only; each contact is expanded at most once per root target.
pub fn check_escalation_cycles<'a>(
    contact: &'a Contact,
    lookup: impl Fn(&str) -> Option<&'a Contact>,
) -> Result<(), ValidationError> {
    let mut c = Checker::default();
    if contact.contact_type != ContactType::Escalation {
        return c.finish();
    }
    let root_key = key(&contact.contact_arn);
    let resolve = |id: &str| -> Option<&'a Contact> {
        if key(id) == root_key {
            Some(contact)
        } else {
            lookup(id).filter(|found| found.contact_type == ContactType::Escalation)
        }
    };
    let mut done = HashSet::new();
    for (i, j, first) in targets(contact) {
        if let Some(path) = find_cycle(contact, first, &resolve, &mut done) {
            c.check(
                false,
                target_field(i, j, CONTACT_ID),
                format!("escalation cycle: {}", path.join(" -> ")),
            );
        }
    }
    c.finish()
}

/// Every contact the escalation plan `contact` names exists (`lookup` as for
/// [`check_escalation_cycles`]).
pub fn check_escalation_targets<'a>(
    contact: &Contact,
    lookup: impl Fn(&str) -> Option<&'a Contact>,
) -> Result<(), ValidationError> {
    let mut c = Checker::default();
    if contact.contact_type == ContactType::Escalation {
        for (i, j, id) in targets(contact) {
            c.check(
                key(id) == key(&contact.contact_arn) || lookup(id).is_some(),
                target_field(i, j, CONTACT_ID),
                format!("contact {id} does not exist"),
            );
        }
    }
    c.finish()
}

/// One contact on the current path of the search.
struct Frame<'a> {
    key: String,
    alias: &'a str,
    next: std::vec::IntoIter<&'a str>,
}

/// Depth-first search from `root` through `first`: the aliases of the first cycle met, or
/// `None`. Contacts fully explored without a cycle go into `done` and are not expanded again,
/// so the search is linear in the contacts and targets it reaches.
fn find_cycle<'a>(
    root: &'a Contact,
    first: &'a str,
    resolve: &impl Fn(&str) -> Option<&'a Contact>,
    done: &mut HashSet<String>,
) -> Option<Vec<&'a str>> {
    let root_key = key(&root.contact_arn);
    let mut on_path = HashMap::from([(root_key.clone(), 0)]);
    let mut path = vec![Frame {
        key: root_key,
        alias: &root.alias,
        next: vec![first].into_iter(),
    }];
    while let Some(top) = path.last_mut() {
        let Some(id) = top.next.next() else {
            if let Some(explored) = path.pop().filter(|_| !path.is_empty()) {
                on_path.remove(&explored.key);
                done.insert(explored.key);
            }
            continue;
        };
        let k = key(id);
        if let Some(&pos) = on_path.get(&k) {
            let mut cycle: Vec<&str> = path[pos..].iter().map(|f| f.alias).collect();
            cycle.push(path[pos].alias);
            return Some(cycle);
        }
        if done.contains(&k) {
            continue;
        }
        match resolve(id) {
            Some(next) => {
                on_path.insert(k.clone(), path.len());
                path.push(Frame {
                    key: k,
                    alias: &next.alias,
                    next: targets(next)
                        .map(|(_, _, id)| id)
                        .collect::<Vec<_>>()
                        .into_iter(),
                });
            }
            None => {
                done.insert(k);
            }
        }
    }
    None
}

/// The contacts an escalation plan's stages name: (stage, target, `ContactId`).
fn targets(contact: &Contact) -> impl Iterator<Item = (usize, usize, &str)> {
    contact.plan.stages.iter().enumerate().flat_map(|(i, s)| {
        s.targets.iter().enumerate().filter_map(move |(j, t)| {
            t.contact_target_info
                .as_ref()
                .and_then(|info| info.contact_id.as_deref())
                .map(|id| (i, j, id))
        })
    })
}

/// A contact ARN's identity (`<account>:contact/<alias>`), so spellings that differ only in
/// partition or region name the same contact.
fn key(arn: &str) -> String {
    Arn::parse(arn)
        .map(|a| format!("{}:{}", a.account, a.resource))
        .unwrap_or_else(|_| arn.to_string())
}
