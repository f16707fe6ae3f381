//! Reading evaluated resource properties with errors that name where they are
//! (`Resources.Alice.Properties.Alias: is required`). Where the seeds spell a property as the
//! API does rather than as CloudFormation (`DeliveryAddress.SimpleAddress` for
//! `ChannelAddress`), both spellings are read: the first name given is CloudFormation's.

use serde_json::Value;
use tocsin_core::validate::Checker;

/// The properties of one resource (or a nested property object).
#[derive(Debug, Clone, Copy)]
pub struct Props<'a> {
    /// The object.
    pub value: &'a Value,
    /// Where it sits, for error messages.
    pub at: &'a str,
}

impl<'a> Props<'a> {
    /// The field path of `name`.
    pub fn field(&self, name: &str) -> String {
        format!("{}.{name}", self.at)
    }

    /// The first present of `names`, with the name found.
    pub fn get(&self, names: &[&'a str]) -> Option<(&'a str, &'a Value)> {
        names
            .iter()
            .find_map(|n| self.value.get(n).filter(|v| !v.is_null()).map(|v| (*n, v)))
    }

    /// A string property (numbers are read as their text, as CloudFormation does).
    pub fn string(&self, c: &mut Checker, names: &[&'a str], required: bool) -> Option<String> {
        match self.get(names) {
            Some((_, Value::String(s))) => Some(s.clone()),
            Some((_, Value::Number(n))) => Some(n.to_string()),
            Some((n, _)) => {
                c.check(false, self.field(n), "must be a string");
                None
            }
            None => {
                c.check(!required, self.field(names[0]), "is required");
                None
            }
        }
    }

    /// An integer property (CloudFormation also accepts it quoted).
    pub fn int(&self, c: &mut Checker, names: &[&'a str], required: bool) -> Option<i64> {
        match self.get(names) {
            Some((_, Value::Number(n))) if n.as_i64().is_some() => n.as_i64(),
            Some((n, Value::String(s))) => {
                let v = s.trim().parse().ok();
                c.check(v.is_some(), self.field(n), "must be an integer");
                v
            }
            Some((n, _)) => {
                c.check(false, self.field(n), "must be an integer");
                None
            }
            None => {
                c.check(!required, self.field(names[0]), "is required");
                None
            }
        }
    }

    /// A boolean property (`"true"` too).
    pub fn bool(&self, c: &mut Checker, names: &[&'a str]) -> Option<bool> {
        match self.get(names) {
            Some((_, Value::Bool(b))) => Some(*b),
            Some((_, Value::String(s))) if s.eq_ignore_ascii_case("true") => Some(true),
            Some((_, Value::String(s))) if s.eq_ignore_ascii_case("false") => Some(false),
            Some((n, _)) => {
                c.check(false, self.field(n), "must be true or false");
                None
            }
            None => None,
        }
    }

    /// A list property, each item with its path (`...Targets[0]`).
    pub fn list(&self, c: &mut Checker, names: &[&'a str]) -> Vec<(String, &'a Value)> {
        match self.get(names) {
            Some((n, Value::Array(items))) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("{}[{i}]", self.field(n)), v))
                .collect(),
            Some((n, _)) => {
                c.check(false, self.field(n), "must be a list");
                vec![]
            }
            None => vec![],
        }
    }

    /// A list of strings.
    pub fn strings(&self, c: &mut Checker, names: &[&'a str]) -> Vec<String> {
        self.list(c, names)
            .into_iter()
            .filter_map(|(at, v)| {
                let s = v.as_str().map(str::to_owned);
                c.check(s.is_some(), at, "must be a string");
                s
            })
            .collect()
    }

    /// CloudFormation `Tags` (`[{Key, Value}]`) as a map.
    pub fn tags(&self, c: &mut Checker) -> std::collections::BTreeMap<String, String> {
        let mut out = std::collections::BTreeMap::new();
        for (at, t) in self.list(c, &["Tags"]) {
            let p = Props { value: t, at: &at };
            if let (Some(k), v) = (p.string(c, &["Key"], true), p.string(c, &["Value"], false)) {
                out.insert(k, v.unwrap_or_default());
            }
        }
        c.check(out.len() <= 50, self.field("Tags"), "at most 50 tags");
        out
    }
}
