//! Reading a CloudFormation template (YAML or JSON) and evaluating its intrinsic functions.
//!
//! YAML short forms (`!Ref X`, `!GetAtt X.Arn`, `!Sub '...'`, `!Join [...]`) arrive from
//! serde_yaml 0.9 as `Value::Tagged`; they are turned into their long forms (`{"Ref": X}`,
//! `{"Fn::GetAtt": [X, Arn]}`, ...) so the rest of the module reads one JSON tree.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Whether `text` is a CloudFormation template rather than a Tocsin manifest: it has a
/// top-level `Resources:` or `AWSTemplateFormatVersion`.
pub fn is_template(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim_end();
        l.starts_with("Resources:") || l.starts_with("AWSTemplateFormatVersion")
    }) || {
        let t = text.trim_start();
        t.starts_with('{')
            && (t.contains("\"Resources\"") || t.contains("AWSTemplateFormatVersion"))
    }
}

/// A template's resources and parameters, with intrinsics in their long forms.
#[derive(Debug, Clone, Default)]
pub struct Template {
    /// Logical id → `{Type, Properties}`, in file order of the ids.
    pub resources: BTreeMap<String, Value>,
    /// Parameter name → its `Default`, if it has one.
    pub parameters: BTreeMap<String, Option<Value>>,
}

/// Parses YAML or JSON (JSON is YAML) into a [`Template`].
pub fn parse(text: &str) -> Result<Template, String> {
    let yaml: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
    let root = to_json(yaml)?;
    let Some(root) = root.as_object() else {
        return Err("a template is a mapping with `Resources`".into());
    };
    let resources = match root.get("Resources") {
        Some(Value::Object(r)) if !r.is_empty() => r.clone().into_iter().collect(),
        _ => return Err("Resources: a template needs at least one resource".into()),
    };
    let parameters = match root.get("Parameters") {
        Some(Value::Object(p)) => p
            .iter()
            .map(|(k, v)| (k.clone(), v.get("Default").cloned()))
            .collect(),
        _ => BTreeMap::new(),
    };
    Ok(Template {
        resources,
        parameters,
    })
}

/// A YAML value as JSON, with tagged short-form intrinsics as long forms.
fn to_json(v: serde_yaml::Value) -> Result<Value, String> {
    use serde_yaml::Value as Y;
    Ok(match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(&n).map_err(|e| e.to_string())?,
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => {
            Value::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?)
        }
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => return Err(format!("unsupported mapping key {other:?}")),
                };
                out.insert(key, to_json(v)?);
            }
            Value::Object(out)
        }
        Y::Tagged(t) => {
            let name = t.tag.to_string();
            let name = name.trim_start_matches('!');
            let inner = to_json(t.value)?;
            let (key, arg) = match (name, inner) {
                ("Ref", v) => ("Ref".to_owned(), v),
                ("GetAtt", Value::String(s)) => {
                    let (res, attr) = s
                        .split_once('.')
                        .ok_or_else(|| format!("!GetAtt {s}: expected Resource.Attribute"))?;
                    ("Fn::GetAtt".to_owned(), serde_json::json!([res, attr]))
                }
                (other, v) => (format!("Fn::{other}"), v),
            };
            Value::Object(Map::from_iter([(key, arg)]))
        }
    })
}

/// Why a value could not be evaluated yet, or at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvalError {
    /// It names a resource whose ARN is not known yet.
    Pending(String),
    /// It is wrong (unknown resource, unsupported function).
    Invalid(String),
}

/// What intrinsics resolve against.
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    /// Account (`AWS::AccountId`).
    pub account: &'a str,
    /// Region (`AWS::Region`).
    pub region: &'a str,
    /// The template (resource ids, parameter defaults).
    pub template: &'a Template,
    /// ARNs of the resources known so far.
    pub arns: &'a BTreeMap<String, String>,
}

impl Scope<'_> {
    /// The value of `Ref name`.
    fn reference(&self, name: &str) -> Result<Value, EvalError> {
        let s = |v: &str| Ok(Value::String(v.to_owned()));
        match name {
            "AWS::AccountId" => s(self.account),
            "AWS::Region" => s(self.region),
            "AWS::Partition" => s("aws"),
            "AWS::URLSuffix" => s("amazonaws.com"),
            "AWS::StackName" => s("tocsin"),
            _ => self.attribute(name, "Arn").or_else(|e| match e {
                EvalError::Invalid(_) => match self.template.parameters.get(name) {
                    Some(Some(default)) => Ok(default.clone()),
                    Some(None) => Err(EvalError::Invalid(format!(
                        "parameter {name} has no Default (Tocsin takes no stack parameters)"
                    ))),
                    None => Err(e),
                },
                pending => Err(pending),
            }),
        }
    }

    /// The value of `Fn::GetAtt [resource, attribute]`.
    fn attribute(&self, resource: &str, attribute: &str) -> Result<Value, EvalError> {
        if !self.template.resources.contains_key(resource) {
            return Err(EvalError::Invalid(format!(
                "{resource:?} is not a resource or parameter of this template"
            )));
        }
        if attribute != "Arn" {
            return Err(EvalError::Invalid(format!(
                "{resource}.{attribute}: only the Arn attribute is supported"
            )));
        }
        match self.arns.get(resource) {
            Some(arn) => Ok(Value::String(arn.clone())),
            None => Err(EvalError::Pending(resource.to_owned())),
        }
    }

    /// Evaluates every intrinsic in `v`.
    pub fn eval(&self, v: &Value) -> Result<Value, EvalError> {
        let invalid = |m: String| Err(EvalError::Invalid(m));
        match v {
            Value::Array(items) => Ok(Value::Array(
                items
                    .iter()
                    .map(|i| self.eval(i))
                    .collect::<Result<_, _>>()?,
            )),
            Value::Object(m) if m.len() == 1 => {
                let (k, arg) = m.iter().next().unwrap_or_else(|| unreachable!());
                match (k.as_str(), arg) {
                    ("Ref", Value::String(name)) => self.reference(name),
                    ("Fn::GetAtt", Value::Array(parts)) => match parts.as_slice() {
                        [Value::String(r), Value::String(a)] => self.attribute(r, a),
                        _ => invalid("Fn::GetAtt takes [Resource, Attribute]".into()),
                    },
                    ("Fn::Sub", Value::String(s)) => self.sub(s, &Map::new()),
                    ("Fn::Sub", Value::Array(parts)) => match parts.as_slice() {
                        [Value::String(s), Value::Object(vars)] => self.sub(s, vars),
                        _ => invalid("Fn::Sub takes a string or [string, variables]".into()),
                    },
                    ("Fn::Join", Value::Array(parts)) => match parts.as_slice() {
                        [Value::String(sep), list] => {
                            let list = self.eval(list)?;
                            let items: Vec<String> = list
                                .as_array()
                                .into_iter()
                                .flatten()
                                .map(|i| i.as_str().map(str::to_owned).unwrap_or(i.to_string()))
                                .collect();
                            Ok(Value::String(items.join(sep)))
                        }
                        _ => invalid("Fn::Join takes [delimiter, list]".into()),
                    },
                    (f, _) if f == "Ref" || f.starts_with("Fn::") => invalid(format!(
                        "{f} is not supported (Ref, Fn::GetAtt, Fn::Sub, Fn::Join are)"
                    )),
                    _ => Ok(Value::Object(Map::from_iter([(
                        k.clone(),
                        self.eval(arg)?,
                    )]))),
                }
            }
            Value::Object(m) => Ok(Value::Object(
                m.iter()
                    .map(|(k, v)| Ok((k.clone(), self.eval(v)?)))
                    .collect::<Result<_, EvalError>>()?,
            )),
            other => Ok(other.clone()),
        }
    }

    /// `Fn::Sub`: `${Name}`, `${Resource.Arn}`, `${AWS::AccountId}`, `${!Literal}`.
    fn sub(&self, text: &str, vars: &Map<String, Value>) -> Result<Value, EvalError> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| EvalError::Invalid(format!("Fn::Sub: unclosed ${{ in {text:?}")))?;
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else {
                let value = match vars.get(name) {
                    Some(v) => self.eval(v)?,
                    None => match name.split_once('.') {
                        Some((r, a)) if !name.starts_with("AWS::") => self.attribute(r, a)?,
                        _ => self.reference(name)?,
                    },
                };
                match value {
                    Value::String(s) => out.push_str(&s),
                    other => out.push_str(&other.to_string()),
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(Value::String(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_forms_evaluate_alike() {
        let t = parse(
            r#"
Parameters:
  Team: { Type: String, Default: sre }
Resources:
  A:
    Type: AWS::SSMContacts::Contact
    Properties:
      Short: [!Ref A, !GetAtt A.Arn, !Sub "x-${AWS::AccountId}-${AWS::Region}-${A}-${Team}-${!Raw}"]
      Long: [{ Ref: A }, { "Fn::GetAtt": [A, Arn] }, { "Fn::Sub": ["${X}", { X: !Ref Team }] }]
"#,
        )
        .unwrap();
        let arns = BTreeMap::from([("A".to_owned(), "arn:a".to_owned())]);
        let scope = Scope {
            account: "111122223333",
            region: "eu-west-1",
            template: &t,
            arns: &arns,
        };
        let props = scope.eval(&t.resources["A"]["Properties"]).unwrap();
        assert_eq!(
            props["Short"],
            serde_json::json!([
                "arn:a",
                "arn:a",
                "x-111122223333-eu-west-1-arn:a-sre-${Raw}"
            ])
        );
        assert_eq!(props["Long"], serde_json::json!(["arn:a", "arn:a", "sre"]));
        let pending = Scope {
            arns: &BTreeMap::new(),
            ..scope.clone()
        };
        assert_eq!(
            pending.eval(&serde_json::json!({"Ref": "A"})),
            Err(EvalError::Pending("A".into()))
        );
        assert!(matches!(
            scope.eval(&serde_json::json!({"Ref": "Nope"})),
            Err(EvalError::Invalid(m)) if m.contains("\"Nope\" is not a resource")
        ));
    }

    #[test]
    fn templates_are_told_from_manifests() {
        assert!(is_template(
            "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n"
        ));
        assert!(is_template("Resources:\n  A: {}\n"));
        assert!(is_template(r#"{ "Resources": { "A": {} } }"#));
        assert!(!is_template("contacts: []\nresponsePlans: []\n"));
    }
}
