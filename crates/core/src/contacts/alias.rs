//! Names: the contact's `Alias`, `DisplayName` and ARN, and a channel's `Name`.

use tocsin_proto::arn::Arn;

use crate::validate::Checker;

/// Longest alias, display name or channel name, in characters.
pub const MAX_NAME_CHARS: usize = 255;

/// `ContactAlias`: 1–255 characters of `^[a-z0-9_\-]*$`.
pub fn check_alias(c: &mut Checker, alias: &str, field: &str) {
    c.length(alias, field, 1, MAX_NAME_CHARS);
    if let Some(bad) = alias
        .chars()
        .find(|ch| !(ch.is_ascii_lowercase() || ch.is_ascii_digit() || *ch == '_' || *ch == '-'))
    {
        c.check(
            false,
            field,
            format!("may contain only lowercase letters a-z, digits 0-9, `_` and `-`, got {bad:?}"),
        );
    }
}

/// `ContactName` (0–255) and `ChannelName` (1–255): letters, numbers, separators (`\p{L}`,
/// `\p{N}`, `\p{Z}`), `_`, `.` and `-`.
pub fn check_name(c: &mut Checker, name: &str, field: &str, min: usize) {
    c.length(name, field, min, MAX_NAME_CHARS);
    if let Some(bad) = name.chars().find(|ch| !is_name_char(*ch)) {
        c.check(
            false,
            field,
            format!("may contain only letters, numbers, spaces, `_`, `.` and `-`, got {bad:?}"),
        );
    }
}

/// `^[\p{L}\p{Z}\p{N}_.\-]*$`, one character. `is_alphabetic` stands in for `\p{L}` (it also
/// admits the few combining vowel signs Unicode calls alphabetic); `\p{Z}` is listed exactly,
/// so tabs and newlines (control characters, not separators) are refused.
fn is_name_char(ch: char) -> bool {
    ch.is_alphabetic() || ch.is_numeric() || is_separator(ch) || matches!(ch, '_' | '.' | '-')
}

/// Unicode general category Z (Zs, Zl, Zp).
pub(crate) fn is_separator(ch: char) -> bool {
    matches!(
        ch,
        ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

/// An `ssm-contacts` ARN of `resource_type` (`contact`, `contact-channel`, `rotation`), at most
/// 2048 characters (`SsmContactsArn`). Returns the parsed ARN when it is one.
pub fn check_arn(c: &mut Checker, value: &str, field: &str, resource_type: &str) -> Option<Arn> {
    let arn = Arn::parse(value)
        .ok()
        .filter(|a| a.service == "ssm-contacts" && a.resource_type() == resource_type);
    c.check(
        arn.is_some() && value.chars().count() <= 2048,
        field,
        format!(
            "must be an ssm-contacts {resource_type} ARN (arn:aws:ssm-contacts:<region>:<account>:{resource_type}/...) of at most 2048 characters"
        ),
    );
    arn
}

/// The contact's own ARN: `arn:aws:ssm-contacts:<region>:<account>:contact/<Alias>`.
pub fn check_contact_arn(c: &mut Checker, contact_arn: &str, alias: &str) {
    if let Some(arn) = check_arn(c, contact_arn, "ContactArn", "contact") {
        c.check(
            arn.resource == format!("contact/{alias}"),
            "ContactArn",
            format!("must end in contact/{alias} (the contact's Alias)"),
        );
    }
}
