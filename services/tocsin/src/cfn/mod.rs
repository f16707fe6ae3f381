//! `tocsin apply -f TEMPLATE`: CloudFormation templates of Incident Manager resources, so a
//! team brings its stacks over unchanged.
//!
//! Read: `AWS::SSMContacts::Contact`, `ContactChannel`, `Plan`, `Rotation`,
//! `AWS::SSMIncidents::ResponsePlan` and `ReplicationSet`, in YAML or JSON, with `Ref`,
//! `Fn::GetAtt X.Arn`, `Fn::Sub` (`${AWS::AccountId}`, `${AWS::Region}`, `${X}`, `${X.Arn}`)
//! and `Fn::Join`, short (`!Ref`) or long forms, and `Parameters` with a `Default`. Other
//! resource types (SNS topics, alarms, roles) are listed as skipped; SNS topics and IAM roles
//! still answer `Ref`/`GetAtt` with the ARN AWS would give them.
//!
//! Every resource's ARN derives from its identity (alias, name, contact + channel name), as in
//! the YAML manifest, so a contact and its channels may reference each other. The records pass
//! the same core validators as the API's and the manifest's; errors name the template path
//! (`Resources.Alice.Properties.Plan[0].DurationInMinutes: must be between 0 and 30`).
//! [`changes`] compares them with the store and applies only what differs.

pub mod changes;
mod contacts;
mod incidents;
mod props;
mod template;

use std::collections::BTreeMap;

use serde_json::Value;
use tocsin_core::validate::{Checker, ValidationError};
use tocsin_proto::records::{Contact, ContactChannel, ResponsePlan, Rotation};

pub use incidents::WantedSet;
use props::Props;
use template::{EvalError, Scope};
pub use template::{Template, is_template, parse};

/// The records a template asks for, each with its logical id.
#[derive(Debug, Clone, Default)]
pub struct Desired {
    /// Contacts (with the stages of their `AWS::SSMContacts::Plan`s).
    pub contacts: Vec<(String, Contact)>,
    /// Channels.
    pub channels: Vec<(String, ContactChannel)>,
    /// Rotations.
    pub rotations: Vec<(String, Rotation)>,
    /// Response plans.
    pub plans: Vec<(String, ResponsePlan)>,
    /// The replication set.
    pub replication_set: Option<(String, WantedSet)>,
    /// Resources of other types, left alone: (logical id, type).
    pub skipped: Vec<(String, String)>,
}

const CONTACT: &str = "AWS::SSMContacts::Contact";
const CHANNEL: &str = "AWS::SSMContacts::ContactChannel";
const PLAN: &str = "AWS::SSMContacts::Plan";
const ROTATION: &str = "AWS::SSMContacts::Rotation";
const RESPONSE_PLAN: &str = "AWS::SSMIncidents::ResponsePlan";
const REPLICATION_SET: &str = "AWS::SSMIncidents::ReplicationSet";

fn type_of(resource: &Value) -> &str {
    resource.get("Type").and_then(Value::as_str).unwrap_or("")
}

/// Validates the template and builds its records for `account` in `region`.
pub fn resolve(t: &Template, account: &str, region: &str) -> Result<Desired, ValidationError> {
    let mut c = Checker::default();
    let arns = identities(&mut c, t, account, region);
    let scope = Scope {
        account,
        region,
        template: t,
        arns: &arns,
    };
    let mut out = Desired::default();
    let mut plans = Vec::new();
    for (id, resource) in &t.resources {
        let ty = type_of(resource);
        let at = format!("Resources.{id}.Properties");
        let props = match scope.eval(resource.get("Properties").unwrap_or(&Value::Null)) {
            Ok(p) => p,
            Err(EvalError::Invalid(m)) => {
                c.check(false, at, m);
                continue;
            }
            Err(EvalError::Pending(r)) => {
                c.check(
                    false,
                    at,
                    format!("{r} has no ARN Tocsin knows (its type is not managed here)"),
                );
                continue;
            }
        };
        let p = Props {
            value: &props,
            at: &at,
        };
        let id = id.clone();
        match ty {
            CONTACT => {
                if let Some(x) = contacts::contact(&mut c, p, account, region) {
                    out.contacts.push((id, x));
                }
            }
            CHANNEL => {
                if let Some(x) = contacts::channel(&mut c, p, account, region) {
                    out.channels.push((id, x));
                }
            }
            ROTATION => {
                if let Some(x) = contacts::rotation(&mut c, p, account, region) {
                    out.rotations.push((id, x));
                }
            }
            PLAN => {
                let contact = p.string(&mut c, &["ContactId"], true);
                let plan = contacts::plan(&mut c, p, &["Stages"]);
                plans.push((id, at, contact, plan));
            }
            RESPONSE_PLAN => {
                if let Some(x) = incidents::response_plan(&mut c, p, account) {
                    out.plans.push((id, x));
                }
            }
            REPLICATION_SET => {
                c.check(
                    out.replication_set.is_none(),
                    at.clone(),
                    "an account has one replication set",
                );
                out.replication_set = Some((id, incidents::replication_set(&mut c, p)));
            }
            t if t.starts_with("AWS::SSMContacts::") || t.starts_with("AWS::SSMIncidents::") => {
                c.check(
                    false,
                    format!("Resources.{id}.Type"),
                    format!("{t} is not a resource type Tocsin reads"),
                );
            }
            t => out.skipped.push((id, t.to_owned())),
        }
    }
    for (id, at, contact, plan) in plans {
        match out
            .contacts
            .iter_mut()
            .find(|(_, x)| Some(&x.contact_arn) == contact.as_ref())
        {
            Some((_, x)) => x.plan = plan,
            None => c.check(
                false,
                format!("{at}.ContactId"),
                format!("{id}: the contact must be declared in the same template"),
            ),
        }
    }
    check_with_core(&mut c, &out);
    c.finish().map(|()| out)
}

/// The ARN of every resource that has one, from its identity properties, resolving references
/// between them in rounds (a channel's `ContactId` may be `!Ref` of its contact, whose plan
/// names the channel back).
fn identities(
    c: &mut Checker,
    t: &Template,
    account: &str,
    region: &str,
) -> BTreeMap<String, String> {
    let mut arns = BTreeMap::new();
    loop {
        let mut progress = false;
        let mut pending = Vec::new();
        for (id, resource) in &t.resources {
            if arns.contains_key(id) {
                continue;
            }
            let scope = Scope {
                account,
                region,
                template: t,
                arns: &arns,
            };
            let field = |name: &str| -> Result<Option<String>, EvalError> {
                match resource.get("Properties").and_then(|p| p.get(name)) {
                    None => Ok(None),
                    Some(v) => Ok(scope.eval(v)?.as_str().map(str::to_owned)),
                }
            };
            let arn = (|| -> Result<Option<String>, EvalError> {
                Ok(match type_of(resource) {
                    CONTACT => {
                        field("Alias")?.map(|a| tocsin_proto::arn::contact(region, account, &a))
                    }
                    CHANNEL => match (
                        field("ContactId")?,
                        field("ChannelName")?.or(field("Name")?),
                    ) {
                        (Some(contact), Some(name)) => {
                            Some(contacts::channel_arn(&contact, &name, account, region))
                        }
                        _ => None,
                    },
                    PLAN => field("ContactId")?,
                    ROTATION => field("Name")?.map(|n| contacts::rotation_arn(&n, account, region)),
                    RESPONSE_PLAN => {
                        field("Name")?.map(|n| tocsin_proto::arn::response_plan(account, &n))
                    }
                    REPLICATION_SET => Some(changes::replication_set_arn(account)),
                    "AWS::SNS::Topic" => Some(format!(
                        "arn:aws:sns:{region}:{account}:{}",
                        field("TopicName")?.unwrap_or(id.clone())
                    )),
                    "AWS::IAM::Role" => Some(format!(
                        "arn:aws:iam::{account}:role/{}",
                        field("RoleName")?.unwrap_or(id.clone())
                    )),
                    _ => None,
                })
            })();
            match arn {
                Ok(Some(arn)) => {
                    pending.push((id.clone(), arn));
                    progress = true;
                }
                Ok(None) => {}
                Err(EvalError::Pending(_)) => {}
                Err(EvalError::Invalid(m)) => {
                    c.check(false, format!("Resources.{id}.Properties"), m)
                }
            }
        }
        arns.extend(pending);
        if !progress {
            return arns;
        }
    }
}

/// The contact rules of the `ssm-contacts` model, from the core, each field prefixed with the
/// template path of its resource.
fn check_with_core(c: &mut Checker, out: &Desired) {
    use tocsin_core::contacts;
    let mut relay = |prefix: String, r: Result<(), ValidationError>| {
        for fe in r.err().map(|e| e.0).unwrap_or_default() {
            c.check(false, format!("{prefix}.{}", fe.field), fe.rule);
        }
    };
    let lookup = |arn: &str| {
        out.contacts
            .iter()
            .map(|(_, x)| x)
            .find(|x| x.contact_arn == arn)
    };
    for (id, contact) in &out.contacts {
        let prefix = format!("Resources.{id}.Properties");
        relay(prefix.clone(), contacts::validate_contact(contact));
        relay(prefix, contacts::check_escalation_cycles(contact, lookup));
    }
    for (id, ch) in &out.channels {
        relay(
            format!("Resources.{id}.Properties"),
            contacts::validate_channel(ch),
        );
    }
    for (id, r) in &out.rotations {
        relay(
            format!("Resources.{id}.Properties"),
            tocsin_core::rotation::validate_rotation(r),
        );
    }
}

#[cfg(test)]
mod tests;
