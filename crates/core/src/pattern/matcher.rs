//! Matching one field: the leaf values of the event against a field's list of matchers.

use std::net::IpAddr;

use serde_json::Value;

use super::compile::lower;

/// One alternative in a field's value list.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Matcher {
    /// A JSON scalar, compared by representation (`"x"`, `300`, `true`, `null`).
    Exact(Value),
    /// Starts with; the flag means "ignoring case" (operand already lower-cased).
    Prefix(String, bool),
    /// Ends with; the flag means "ignoring case" (operand already lower-cased).
    Suffix(String, bool),
    /// Equal ignoring case (operand lower-cased).
    EqualsIgnoreCase(String),
    /// `*` globbing.
    Wildcard(Wildcard),
    /// Anything except.
    AnythingBut(AnythingBut),
    /// A numeric range.
    Numeric(Range),
    /// The field has (`true`) or lacks (`false`) a leaf value.
    Exists(bool),
    /// An IP address inside a block.
    Cidr(Cidr),
}

/// What `anything-but` excludes.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum AnythingBut {
    /// These strings.
    Strings(Vec<String>),
    /// These numbers (compared by value).
    Numbers(Vec<f64>),
    /// Strings with this prefix.
    Prefix(String),
    /// Strings with this suffix.
    Suffix(String),
    /// These strings, ignoring case (lower-cased).
    IgnoreCase(Vec<String>),
    /// Strings matching this wildcard.
    Wildcard(Wildcard),
}

/// Whether any matcher accepts the field `value` (`None` when the field is missing).
pub(super) fn any_matches(matchers: &[Matcher], value: Option<&Value>) -> bool {
    let mut leaves = Vec::new();
    if let Some(v) = value {
        collect_leaves(v, &mut leaves);
    }
    matchers.iter().any(|m| match m {
        Matcher::Exists(wanted) => *wanted != leaves.is_empty(),
        m => leaves.iter().any(|leaf| m.accepts(leaf)),
    })
}

/// Scalars of a value; arrays are flattened, objects are not leaves.
fn collect_leaves<'a>(value: &'a Value, out: &mut Vec<&'a Value>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| collect_leaves(v, out)),
        Value::Object(_) => {}
        scalar => out.push(scalar),
    }
}

// === impl Matcher ===

impl Matcher {
    fn accepts(&self, leaf: &Value) -> bool {
        let text = leaf.as_str();
        match self {
            Matcher::Exact(v) => v == leaf,
            Matcher::Prefix(p, false) => text.is_some_and(|s| s.starts_with(p.as_str())),
            Matcher::Prefix(p, true) => text.is_some_and(|s| lower(s).starts_with(p.as_str())),
            Matcher::Suffix(p, false) => text.is_some_and(|s| s.ends_with(p.as_str())),
            Matcher::Suffix(p, true) => text.is_some_and(|s| lower(s).ends_with(p.as_str())),
            Matcher::EqualsIgnoreCase(p) => text.is_some_and(|s| lower(s) == *p),
            Matcher::Wildcard(w) => text.is_some_and(|s| w.matches(s)),
            Matcher::AnythingBut(a) => a.accepts(leaf),
            Matcher::Numeric(r) => leaf.as_f64().is_some_and(|n| r.contains(n)),
            Matcher::Cidr(c) => text.is_some_and(|s| c.contains(s)),
            Matcher::Exists(_) => false,
        }
    }
}

impl AnythingBut {
    /// Leaves of another type than the excluded values are not excluded.
    fn accepts(&self, leaf: &Value) -> bool {
        match (self, leaf) {
            (AnythingBut::Strings(set), Value::String(s)) => !set.contains(s),
            (AnythingBut::Numbers(set), Value::Number(n)) => {
                n.as_f64().is_none_or(|n| !set.contains(&n))
            }
            (AnythingBut::Prefix(p), Value::String(s)) => !s.starts_with(p.as_str()),
            (AnythingBut::Suffix(p), Value::String(s)) => !s.ends_with(p.as_str()),
            (AnythingBut::IgnoreCase(set), Value::String(s)) => !set.contains(&lower(s)),
            (AnythingBut::Wildcard(w), Value::String(s)) => !w.matches(s),
            _ => true,
        }
    }
}

// === impl Range ===

/// A numeric interval; each bound is `(value, inclusive)`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Range {
    lower: Option<(f64, bool)>,
    upper: Option<(f64, bool)>,
}

impl Range {
    pub(super) fn equal(x: f64) -> Self {
        Self {
            lower: Some((x, true)),
            upper: Some((x, true)),
        }
    }

    pub(super) fn below(x: f64, inclusive: bool) -> Self {
        Self {
            lower: None,
            upper: Some((x, inclusive)),
        }
    }

    pub(super) fn above(x: f64, inclusive: bool) -> Self {
        Self {
            lower: Some((x, inclusive)),
            upper: None,
        }
    }

    pub(super) fn with_upper(self, y: f64, inclusive: bool) -> Self {
        Self {
            upper: Some((y, inclusive)),
            ..self
        }
    }

    fn contains(&self, n: f64) -> bool {
        let above = self
            .lower
            .is_none_or(|(x, inc)| if inc { n >= x } else { n > x });
        let below = self
            .upper
            .is_none_or(|(y, inc)| if inc { n <= y } else { n < y });
        above && below
    }
}

// === impl Wildcard ===

/// A wildcard pattern: literal segments separated by `*` (which matches any run of
/// characters). `\*` is a literal asterisk and `\\` a literal backslash.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Wildcard {
    segments: Vec<String>,
}

impl Wildcard {
    /// Parses the event-ruler syntax: consecutive `*` and escapes of other characters are
    /// refused.
    pub(super) fn parse(text: &str) -> Result<Self, String> {
        let mut segments = vec![String::new()];
        let mut chars = text.chars();
        let mut previous_star = false;
        while let Some(c) = chars.next() {
            match c {
                '*' if previous_star => {
                    return Err("consecutive wildcard characters are not allowed".into());
                }
                '*' => segments.push(String::new()),
                '\\' => match chars.next() {
                    Some(e @ ('*' | '\\')) => {
                        segments.last_mut().into_iter().for_each(|s| s.push(e))
                    }
                    _ => {
                        return Err("a backslash may only escape '*' or another backslash".into());
                    }
                },
                c => segments.last_mut().into_iter().for_each(|s| s.push(c)),
            }
            previous_star = c == '*';
        }
        Ok(Self { segments })
    }

    pub(super) fn matches(&self, s: &str) -> bool {
        let (first, rest) = match self.segments.split_first() {
            Some(split) => split,
            None => return s.is_empty(),
        };
        let Some((last, middle)) = rest.split_last() else {
            return s == first;
        };
        if s.len() < first.len() + last.len()
            || !s.starts_with(first.as_str())
            || !s.ends_with(last.as_str())
        {
            return false;
        }
        // The text between the fixed ends; the middle segments must occur in order in it, and
        // the leftmost occurrence of each is always the best choice.
        let mut window = &s[first.len()..s.len() - last.len()];
        for segment in middle {
            match window.find(segment.as_str()) {
                Some(at) => window = &window[at + segment.len()..],
                None => return false,
            }
        }
        true
    }
}

// === impl Cidr ===

/// An IPv4 or IPv6 network.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Cidr {
    network: IpAddr,
    prefix: u32,
}

impl Cidr {
    pub(super) fn parse(text: &str) -> Option<Self> {
        let (ip, prefix) = text.split_once('/')?;
        let network: IpAddr = ip.parse().ok()?;
        let prefix: u32 = prefix.parse().ok()?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        (prefix <= max).then_some(Self { network, prefix })
    }

    fn contains(&self, text: &str) -> bool {
        let Ok(ip) = text.parse::<IpAddr>() else {
            return false;
        };
        match (self.network, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - self.prefix).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - self.prefix).unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_runs_and_honour_escapes() {
        let w = |p: &str| Wildcard::parse(p).unwrap();
        assert!(w("dir/*.png").matches("dir/image.png"));
        assert!(w("dir/*.png").matches("dir/a/b.png"));
        assert!(!w("dir/*.png").matches("dir/image.jpg"));
        assert!(w("*").matches(""));
        assert!(w("a*b*c").matches("abc"));
        assert!(!w("a*a").matches("a"));
        assert!(w("a\\*b").matches("a*b"));
        assert!(!w("a\\*b").matches("axb"));
        assert!(w("a\\\\b").matches("a\\b"));
        assert!(Wildcard::parse("a\\b").is_err());
        assert!(Wildcard::parse("a\\").is_err());
        assert!(Wildcard::parse("a\\**").is_ok());
    }

    #[test]
    fn cidr_blocks_contain_addresses_of_their_family() {
        let c = Cidr::parse("10.0.0.0/24").unwrap();
        assert!(c.contains("10.0.0.33"));
        assert!(!c.contains("10.0.1.1"));
        assert!(!c.contains("::1"));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains("8.8.8.8"));
        assert!(
            Cidr::parse("2001:db8::/32")
                .unwrap()
                .contains("2001:db8::1")
        );
        assert!(Cidr::parse("10.0.0.0").is_none());
    }

    #[test]
    fn ranges_respect_open_and_closed_bounds() {
        let r = Range::above(0.0, false).with_upper(5.0, true);
        assert!(!r.contains(0.0));
        assert!(r.contains(5.0));
        assert!(Range::equal(301.8).contains(3.018e2));
        assert!(!Range::below(10.0, false).contains(10.0));
    }
}
