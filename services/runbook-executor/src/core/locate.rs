//! Finding the line of a value in a document's source text, so a rejected document names the
//! line that broke a rule. The parsers give positions only for syntax errors; for rules on the
//! parsed document this walks the block structure (indentation, `-` items, `{` items of
//! pretty-printed JSON) along the path of the offending value.

/// A segment of a path into a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// Parses `mainSteps[2].inputs.Url` into segments.
pub fn parse_path(path: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (name, rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !name.is_empty() {
            out.push(Seg::Key(name.to_string()));
        }
        for idx in rest.split('[').filter(|s| !s.is_empty()) {
            if let Ok(n) = idx.trim_end_matches(']').parse() {
                out.push(Seg::Index(n));
            }
        }
    }
    out
}

#[derive(Debug)]
struct Line<'a> {
    /// Column of the first character after indentation and item markers.
    key_col: usize,
    /// Column of an item marker (`-` or `{`) opening the line, if any.
    item_col: Option<usize>,
    /// The key the line starts with, if any.
    key: Option<&'a str>,
}

fn scan(line: &str) -> Option<Line<'_>> {
    let trimmed = line.trim_start();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return None;
    }
    let mut col = line.len() - trimmed.len();
    let mut rest = trimmed;
    let mut item_col = None;
    while let Some(r) = rest.strip_prefix('-').or_else(|| rest.strip_prefix('{')) {
        if !(r.is_empty() || r.starts_with(' ') || rest.starts_with('{')) {
            break;
        }
        item_col.get_or_insert(col);
        let r2 = r.trim_start();
        col += rest.len() - r2.len();
        rest = r2;
    }
    let key = rest.find(':').and_then(|i| {
        let k = rest[..i].trim().trim_matches('"').trim_matches('\'');
        (!k.is_empty() && !k.contains(' ')).then_some(k)
    });
    Some(Line {
        key_col: col,
        item_col,
        key,
    })
}

/// The 1-based line of the value at `path` in `source`, if the walk finds it.
pub fn line_of(source: &str, path: &str) -> Option<usize> {
    let lines: Vec<Option<Line<'_>>> = source.lines().map(scan).collect();
    let (mut start, mut end) = (0usize, lines.len());
    let mut found = None;
    for seg in parse_path(path) {
        let within = || (start..end).filter_map(|i| lines[i].as_ref().map(|l| (i, l)));
        match seg {
            Seg::Key(k) => {
                let col = within()
                    .filter(|(_, l)| l.key.is_some())
                    .map(|(_, l)| l.key_col)
                    .min()?;
                let (i, _) = within().find(|(_, l)| l.key_col == col && l.key == Some(&k))?;
                let stop = within()
                    .find(|(j, l)| *j > i && l.key_col <= col)
                    .map(|(j, _)| j)
                    .unwrap_or(end);
                found = Some(i);
                (start, end) = (i + 1, stop.max(i + 1));
            }
            Seg::Index(n) => {
                let col = within().filter_map(|(_, l)| l.item_col).min()?;
                let items: Vec<usize> = within()
                    .filter(|(_, l)| l.item_col == Some(col))
                    .map(|(i, _)| i)
                    .collect();
                let i = *items.get(n)?;
                let stop = items.get(n + 1).copied().unwrap_or(end);
                found = Some(i);
                // The item's first key may sit on the marker line itself.
                (start, end) = (i, stop);
            }
        }
    }
    found.map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "\
description: x
schemaVersion: '0.3'
parameters:
  Service:
    type: String
mainSteps:
  - name: first
    action: aws:pause
  - name: second
    action: aws:nope
    inputs:
      Url: http://x
";

    #[test]
    fn finds_keys_and_items_in_yaml() {
        assert_eq!(line_of(YAML, "schemaVersion"), Some(2));
        assert_eq!(line_of(YAML, "parameters.Service.type"), Some(5));
        assert_eq!(line_of(YAML, "mainSteps[0]"), Some(7));
        assert_eq!(line_of(YAML, "mainSteps[0].name"), Some(7));
        assert_eq!(line_of(YAML, "mainSteps[1].action"), Some(10));
        assert_eq!(line_of(YAML, "mainSteps[1].inputs.Url"), Some(12));
        assert_eq!(line_of(YAML, "mainSteps[2]"), None);
    }

    #[test]
    fn finds_keys_and_items_in_pretty_json() {
        let json = "{\n  \"schemaVersion\": \"0.3\",\n  \"mainSteps\": [\n    {\n      \"name\": \"a\",\n      \"action\": \"aws:pause\"\n    },\n    {\n      \"name\": \"b\",\n      \"action\": \"aws:nope\"\n    }\n  ]\n}\n";
        assert_eq!(line_of(json, "mainSteps[1].action"), Some(10));
        assert_eq!(line_of(json, "schemaVersion"), Some(2));
    }
}
