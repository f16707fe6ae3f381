//! The `parameters` block: types, defaults, allowed values and patterns.

use super::*;

pub(super) fn check_parameters(
    c: &mut Checker<'_>,
    v: Option<&Value>,
) -> BTreeMap<String, ParamSpec> {
    let mut out = BTreeMap::new();
    let m = match v {
        None | Some(Value::Null) => return out,
        Some(Value::Object(m)) => m,
        Some(_) => {
            c.fail(
                "parameters",
                "must be a mapping of parameter name to declaration",
            );
            return out;
        }
    };
    for (name, decl) in m {
        let path = format!("parameters.{name}");
        if !name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
        {
            c.fail(&path, "parameter names are letters, digits and _");
        }
        let Some(d) = decl.as_object() else {
            c.fail(&path, "must be a mapping with a type");
            continue;
        };
        let Some(kind) = d
            .get("type")
            .and_then(Value::as_str)
            .and_then(ParamType::parse)
        else {
            c.fail(
                format!("{path}.type"),
                "required: String, StringList, Integer, Boolean, StringMap or MapList",
            );
            continue;
        };
        let allowed_pattern = d
            .get("allowedPattern")
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(p) = &allowed_pattern
            && regex::Regex::new(p).is_err()
        {
            c.fail(
                format!("{path}.allowedPattern"),
                "not a valid regular expression",
            );
        }
        let spec = ParamSpec {
            kind,
            description: d
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_string),
            default: d.get("default").cloned(),
            allowed_values: d
                .get("allowedValues")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            allowed_pattern,
        };
        if let Some(def) = &spec.default
            && let Err(e) = crate::core::params::coerce(def, &spec)
        {
            c.fail(
                format!("{path}.default"),
                format!("the default does not fit its declaration: {e}"),
            );
        }
        out.insert(name.clone(), spec);
    }
    out
}
