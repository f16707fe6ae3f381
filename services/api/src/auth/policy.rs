//! IAM-style policy documents and their evaluation, pure (no I/O, no clock): the same rules for
//! the identity policies of access keys and the resource policies that share a response plan
//! or a contact with another account.
//!
//! Supported: `Effect` Allow/Deny; `Action` or `NotAction` with `*` and `?` wildcards
//! (case-insensitive, as IAM); `Resource` or `NotResource` ARN patterns (case-sensitive);
//! `Principal` (resource policies); and the condition operators `StringEquals`, `StringLike`,
//! `StringNotEquals`, `StringNotLike`, `ArnEquals`, `ArnLike` (and the `ForAnyValue:` forms of
//! the `String*` ones) on `aws:PrincipalAccount`, `aws:PrincipalArn`, `aws:PrincipalOrgID` and
//! `aws:PrincipalOrgPaths` (the organisation the keys file gives the caller's account). A key
//! the request lacks (an account in no organisation) makes a positive test false and a negated
//! one true, as IAM does. Evaluation: an explicit Deny wins, then any Allow, else deny by default.

use serde_json::Value;

/// Why a document is not a policy Tocsin can evaluate; the message names the element.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {rule}")]
pub struct PolicyError {
    /// Where, e.g. `Statement[1].Action`.
    pub path: String,
    /// The rule broken.
    pub rule: String,
}

fn err(path: impl Into<String>, rule: impl Into<String>) -> PolicyError {
    PolicyError {
        path: path.into(),
        rule: rule.into(),
    }
}

/// Allow or Deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Grants.
    Allow,
    /// Refuses, whatever else grants.
    Deny,
}

/// A list of patterns, or its complement (`NotAction`, `NotResource`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Patterns {
    In(Vec<String>),
    NotIn(Vec<String>),
}

impl Patterns {
    fn matches(&self, value: &str, fold_case: bool) -> bool {
        let any = |ps: &[String]| ps.iter().any(|p| glob(p, value, fold_case));
        match self {
            Patterns::In(ps) => any(ps),
            Patterns::NotIn(ps) => !any(ps),
        }
    }
}

/// One `Condition` test: operator, key, accepted values.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Condition {
    operator: String,
    key: String,
    values: Vec<String>,
}

/// Condition operators understood.
const OPERATORS: &[&str] = &[
    "StringEquals",
    "StringLike",
    "StringNotEquals",
    "StringNotLike",
    "ArnEquals",
    "ArnLike",
    "ForAnyValue:StringEquals",
    "ForAnyValue:StringLike",
];
/// Condition keys understood.
const CONDITION_KEYS: &[&str] = &[
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
];

/// One statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// `Sid`, if any.
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
    actions: Patterns,
    resources: Patterns,
    /// `Principal` patterns (`*`, account ids, IAM ARNs); `None` in identity policies.
    principals: Option<Vec<String>>,
    /// Conditions; a statement whose condition cannot be met does not apply.
    conditions: Vec<Condition>,
    /// A condition Tocsin cannot evaluate (allowed only in resource policies: never applies).
    unsupported: bool,
}

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Its statements, in order.
    pub statements: Vec<Statement>,
}

/// Identity policies (of a key) or resource policies (of a shared resource).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// No `Principal`; `Resource` required; unknown conditions are errors.
    Identity,
    /// `Principal` required; `Resource` defaults to `*`; unknown conditions never match.
    Resource,
}

/// Who asks: the values of the `aws:Principal*` keys.
#[derive(Debug, Clone, Copy)]
pub struct Principal<'a> {
    /// The key's account.
    pub account: &'a str,
    /// `arn:aws:iam::<account>:user/<access key id>`.
    pub arn: &'a str,
    /// The organisation of the account (`aws:PrincipalOrgID`), if it is in one.
    pub org_id: Option<&'a str>,
    /// The account's path in it (`aws:PrincipalOrgPaths`), e.g. `o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/`.
    pub org_path: Option<&'a str>,
}

/// The outcome of evaluating policies for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Some statement allows and none denies.
    Allow,
    /// A statement denies explicitly.
    Deny,
    /// Nothing allows (deny by default).
    NotAllowed,
}

impl Policy {
    /// Parses a JSON policy document.
    pub fn parse(doc: &Value, kind: Kind) -> Result<Self, PolicyError> {
        let Value::Object(map) = doc else {
            return Err(err("policy", "must be a JSON object"));
        };
        for key in map.keys() {
            if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
                return Err(err(key, "unknown element (Version, Id, Statement)"));
            }
        }
        if let Some(v) = map.get("Version")
            && !matches!(v.as_str(), Some("2012-10-17" | "2008-10-17"))
        {
            return Err(err("Version", "must be 2012-10-17"));
        }
        let list = match map.get("Statement") {
            Some(Value::Array(a)) if !a.is_empty() => a.iter().collect(),
            Some(o @ Value::Object(_)) => vec![o],
            _ => return Err(err("Statement", "must be a statement or a non-empty list")),
        };
        let statements = list
            .into_iter()
            .enumerate()
            .map(|(i, s)| statement(&format!("Statement[{i}]"), s, kind))
            .collect::<Result<_, _>>()?;
        Ok(Self { statements })
    }

    /// Parses a policy from JSON text.
    pub fn parse_str(text: &str, kind: Kind) -> Result<Self, PolicyError> {
        let v: Value = serde_json::from_str(text)
            .map_err(|e| err("policy", format!("not a JSON document: {e}")))?;
        Self::parse(&v, kind)
    }

    /// Whether some statement names `principal` (resource policies: is this shared with it).
    pub fn names(&self, principal: Principal<'_>) -> bool {
        self.statements.iter().any(|s| {
            s.effect == Effect::Allow
                && s.principal_matches(principal)
                && s.conditions_hold(principal)
        })
    }
}

fn strings(path: &str, v: &Value) -> Result<Vec<String>, PolicyError> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(a) if !a.is_empty() => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| err(path, "must hold strings"))
            })
            .collect(),
        _ => Err(err(path, "must be a string or a non-empty list of strings")),
    }
}

fn one_of(
    path: &str,
    s: &serde_json::Map<String, Value>,
    yes: &str,
    no: &str,
) -> Result<Option<Patterns>, PolicyError> {
    match (s.get(yes), s.get(no)) {
        (Some(_), Some(_)) => Err(err(path, format!("has both {yes} and {no}"))),
        (Some(v), None) => Ok(Some(Patterns::In(strings(&format!("{path}.{yes}"), v)?))),
        (None, Some(v)) => Ok(Some(Patterns::NotIn(strings(&format!("{path}.{no}"), v)?))),
        (None, None) => Ok(None),
    }
}

fn statement(path: &str, v: &Value, kind: Kind) -> Result<Statement, PolicyError> {
    let Value::Object(s) = v else {
        return Err(err(path, "must be an object"));
    };
    for key in s.keys() {
        let known = matches!(
            key.as_str(),
            "Sid"
                | "Effect"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Principal"
                | "Condition"
        );
        if !known {
            return Err(err(format!("{path}.{key}"), "unknown element"));
        }
    }
    let effect = match s.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        _ => return Err(err(format!("{path}.Effect"), "must be Allow or Deny")),
    };
    let actions = one_of(path, s, "Action", "NotAction")?
        .ok_or_else(|| err(path, "needs Action or NotAction"))?;
    for a in match &actions {
        Patterns::In(a) | Patterns::NotIn(a) => a,
    } {
        if a != "*" && !a.contains(':') {
            return Err(err(
                format!("{path}.Action"),
                format!("{a:?} must be service:Action (like ssm-incidents:Get*) or *"),
            ));
        }
    }
    let resources = match (one_of(path, s, "Resource", "NotResource")?, kind) {
        (Some(r), _) => r,
        (None, Kind::Resource) => Patterns::In(vec!["*".into()]),
        (None, Kind::Identity) => return Err(err(path, "needs Resource or NotResource")),
    };
    let principals = match (s.get("Principal"), kind) {
        (Some(_), Kind::Identity) => {
            return Err(err(
                format!("{path}.Principal"),
                "is only for resource policies",
            ));
        }
        (None, Kind::Resource) => return Err(err(path, "needs a Principal")),
        (None, Kind::Identity) => None,
        (Some(Value::String(star)), Kind::Resource) if star == "*" => Some(vec!["*".into()]),
        (Some(Value::Object(p)), Kind::Resource) => {
            let aws = p
                .get("AWS")
                .ok_or_else(|| err(format!("{path}.Principal"), "must name AWS principals"))?;
            Some(strings(&format!("{path}.Principal.AWS"), aws)?)
        }
        (Some(_), Kind::Resource) => {
            return Err(err(
                format!("{path}.Principal"),
                "must be \"*\" or {\"AWS\": ...}",
            ));
        }
    };
    let (conditions, unsupported) = conditions(path, s.get("Condition"), kind)?;
    Ok(Statement {
        sid: s.get("Sid").and_then(Value::as_str).map(str::to_string),
        effect,
        actions,
        resources,
        principals,
        conditions,
        unsupported,
    })
}

fn conditions(
    path: &str,
    v: Option<&Value>,
    kind: Kind,
) -> Result<(Vec<Condition>, bool), PolicyError> {
    let Some(v) = v else {
        return Ok((Vec::new(), false));
    };
    let path = format!("{path}.Condition");
    let Value::Object(ops) = v else {
        return Err(err(path, "must be an object"));
    };
    let mut out = Vec::new();
    let mut unsupported = false;
    for (op, tests) in ops {
        let Value::Object(tests) = tests else {
            return Err(err(format!("{path}.{op}"), "must be an object"));
        };
        for (key, values) in tests {
            let known = OPERATORS.contains(&op.as_str())
                && CONDITION_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key));
            if !known {
                if kind == Kind::Identity {
                    return Err(err(
                        format!("{path}.{op}.{key}"),
                        format!(
                            "unsupported condition (operators {}; keys {})",
                            OPERATORS.join(", "),
                            CONDITION_KEYS.join(", ")
                        ),
                    ));
                }
                unsupported = true;
                continue;
            }
            out.push(Condition {
                operator: op.clone(),
                key: key.to_ascii_lowercase(),
                values: strings(&format!("{path}.{op}.{key}"), values)?,
            });
        }
    }
    Ok((out, unsupported))
}

impl Statement {
    fn principal_matches(&self, who: Principal<'_>) -> bool {
        let Some(ps) = &self.principals else {
            return true;
        };
        ps.iter().any(|p| {
            p == "*"
                || p == who.account
                || *p == format!("arn:aws:iam::{}:root", who.account)
                || p == who.arn
        })
    }

    fn conditions_hold(&self, who: Principal<'_>) -> bool {
        !self.unsupported
            && self.conditions.iter().all(|c| {
                let actual = match c.key.as_str() {
                    "aws:principalaccount" => Some(who.account),
                    "aws:principalarn" => Some(who.arn),
                    "aws:principalorgid" => who.org_id,
                    _ => who.org_path,
                };
                let hit = |like: bool| {
                    actual.is_some_and(|actual| {
                        c.values.iter().any(|v| {
                            if like {
                                glob(v, actual, false)
                            } else {
                                v == actual
                            }
                        })
                    })
                };
                let operator = c
                    .operator
                    .strip_prefix("ForAnyValue:")
                    .unwrap_or(&c.operator);
                match operator {
                    "StringEquals" | "ArnEquals" => hit(false),
                    "StringLike" | "ArnLike" => hit(true),
                    "StringNotEquals" => !hit(false),
                    _ => !hit(true),
                }
            })
    }

    /// Whether this statement covers `action` on `resource` for `who`.
    fn applies(&self, action: &str, resource: &str, who: Principal<'_>) -> bool {
        self.actions.matches(action, true)
            && self.resources.matches(resource, false)
            && self.principal_matches(who)
            && self.conditions_hold(who)
    }
}

/// Evaluates `policies` for `action` on every one of `resources`: Deny if any statement denies
/// any of them, Allow if each is allowed by some statement, else NotAllowed.
pub fn evaluate(
    policies: &[Policy],
    action: &str,
    resources: &[String],
    who: Principal<'_>,
) -> Decision {
    let statements = || policies.iter().flat_map(|p| p.statements.iter());
    let mut all_allowed = true;
    for r in resources {
        if statements().any(|s| s.effect == Effect::Deny && s.applies(action, r, who)) {
            return Decision::Deny;
        }
        all_allowed &= statements().any(|s| s.effect == Effect::Allow && s.applies(action, r, who));
    }
    if all_allowed && !resources.is_empty() {
        Decision::Allow
    } else {
        Decision::NotAllowed
    }
}

/// `*` (any run, empty included) and `?` (one character) wildcard match.
pub fn glob(pattern: &str, value: &str, fold_case: bool) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let v: Vec<char> = value.chars().collect();
    let eq = |a: char, b: char| {
        if fold_case {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < v.len() {
        if i < p.len() && (p[i] == '?' || (p[i] != '*' && eq(p[i], v[j]))) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests;
