//! `$or` expansion. event-ruler compiles a pattern into `$or`-free branches, one per choice of
//! an alternative in every `$or` group, and a pattern matches when any branch does; an
//! alternative therefore behaves exactly like a pattern of its own, arrays included.

use super::compile::{Result, invalid};
use super::matcher::Matcher;
use super::{Field, Object};

/// `$or` groups multiply into branches; past this many the pattern is refused.
const MAX_BRANCHES: usize = 1024;

/// A level of the pattern as written: fields, and `$or` groups of alternatives.
pub(super) struct Node {
    pub(super) fields: Vec<(String, NodeField)>,
    pub(super) any_of: Vec<Vec<Node>>,
}

pub(super) enum NodeField {
    Values(Vec<Matcher>),
    Object(Node),
}

/// The branches of a node: every choice of one alternative per `$or` group, merged with the
/// node's own fields (objects of the same name merge, so they stay array-consistent).
pub(super) fn expand(node: &Node) -> Result<Vec<Object>> {
    let mut branches = vec![Object { fields: Vec::new() }];
    let too_many = || invalid("", format!("more than {MAX_BRANCHES} $or combinations"));
    for (name, field) in &node.fields {
        let options = match field {
            NodeField::Values(m) => vec![Field::Values(m.clone())],
            NodeField::Object(sub) => expand(sub)?.into_iter().map(Field::Object).collect(),
        };
        if branches.len() * options.len() > MAX_BRANCHES {
            return too_many();
        }
        branches = branches
            .iter()
            .flat_map(|b| {
                options
                    .iter()
                    .map(move |f| with_field(b.clone(), name, f.clone()))
            })
            .collect();
    }
    for group in &node.any_of {
        let mut alternatives = Vec::new();
        for alt in group {
            alternatives.extend(expand(alt)?);
            if branches.len() * alternatives.len() > MAX_BRANCHES {
                return too_many();
            }
        }
        branches = branches
            .iter()
            .flat_map(|b| {
                alternatives
                    .iter()
                    .map(move |a| merge(b.clone(), a.clone()))
            })
            .collect();
    }
    Ok(branches)
}

fn with_field(mut object: Object, name: &str, field: Field) -> Object {
    let existing = object
        .fields
        .iter_mut()
        .find(|(n, f)| n == name && matches!((f, &field), (Field::Object(_), Field::Object(_))));
    match (existing, field) {
        (Some((_, Field::Object(into))), Field::Object(from)) => {
            *into = merge(std::mem::replace(into, Object { fields: Vec::new() }), from);
        }
        (_, field) => object.fields.push((name.to_string(), field)),
    }
    object
}

fn merge(into: Object, from: Object) -> Object {
    from.fields
        .into_iter()
        .fold(into, |acc, (name, field)| with_field(acc, &name, field))
}
