//! `Tags` of contacts and escalation plans (`TagsList`).

use std::collections::HashSet;

use tocsin_proto::records::Tag;

use super::alias::is_separator;
use crate::validate::{Checker, ValidationError};

/// Most tags on one resource (`TagsList` max).
pub const MAX_TAGS: usize = 50;

/// Checks a tag list: at most 50 tags; keys 1–128 characters of `[a-zA-Z0-9_+=\-\\/]` and
/// distinct; values, when present, 1–256 characters of letters, numbers, spaces and
/// `_.:/=+-@`.
pub fn validate_tags(tags: &[Tag]) -> Result<(), ValidationError> {
    let mut c = Checker::default();
    check_tags(&mut c, tags);
    c.finish()
}

/// [`validate_tags`] into an existing checker.
pub fn check_tags(c: &mut Checker, tags: &[Tag]) {
    c.check(
        tags.len() <= MAX_TAGS,
        "Tags",
        format!("must hold at most {MAX_TAGS} tags, got {}", tags.len()),
    );
    let mut keys = HashSet::new();
    for (i, tag) in tags.iter().enumerate() {
        let key = format!("Tags[{i}].Key");
        c.length(&tag.key, &key, 1, 128);
        if let Some(bad) = tag.key.chars().find(|ch| !is_key_char(*ch)) {
            c.check(
                false,
                &key,
                format!("may contain only a-z, A-Z, 0-9 and `_+=-\\/`, got {bad:?}"),
            );
        }
        c.check(
            keys.insert(tag.key.as_str()),
            &key,
            format!("must not repeat the key {:?}", tag.key),
        );
        if let Some(value) = &tag.value {
            let field = format!("Tags[{i}].Value");
            c.length(value, &field, 1, 256);
            if let Some(bad) = value.chars().find(|ch| !is_value_char(*ch)) {
                c.check(
                    false,
                    &field,
                    format!(
                        "may contain only letters, numbers, spaces and `_.:/=+-@`, got {bad:?}"
                    ),
                );
            }
        }
    }
}

/// `^[\\\/a-zA-Z0-9_+=\-]*$`, one character.
fn is_key_char(ch: char) -> bool {
    ch.is_ascii_alphanumeric() || matches!(ch, '_' | '+' | '=' | '-' | '\\' | '/')
}

/// `^[\p{L}\p{Z}\p{N}_.:\/=+\-@]*$`, one character (see `alias::check_name` for `\p{L}`).
fn is_value_char(ch: char) -> bool {
    ch.is_alphabetic()
        || ch.is_numeric()
        || is_separator(ch)
        || matches!(ch, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
}
