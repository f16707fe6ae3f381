//! Contact channels: their name, their owner and the address rules of each type.
//!
//! | type | `DeliveryAddress.SimpleAddress` |
//! |---|---|
//! | `EMAIL` | 6–1000 characters, `local@domain.tld`, no spaces or control characters |
//! | `SMS`, `VOICE` | `+` then 9–15 digits (country code and number, E.164) |
//! | `WEBHOOK` (Tocsin) | an `http://` or `https://` URL with a host, at most 2048 characters |

use tocsin_proto::records::{ChannelType, ContactChannel};

use super::alias::{check_arn, check_name};
use crate::validate::{Checker, ValidationError};

/// Shortest and longest email address, in characters.
pub const EMAIL_CHARS: (usize, usize) = (6, 1000);
/// Fewest and most digits after the `+` of a phone number.
pub const PHONE_DIGITS: (usize, usize) = (9, 15);
/// Longest webhook URL, in characters.
pub const MAX_URL_CHARS: usize = 2048;

/// The wire name of a channel's address.
pub const ADDRESS_FIELD: &str = "DeliveryAddress.SimpleAddress";

/// Checks a stored or submitted channel: its ARN belongs to its contact, its `Name` is 1–255
/// name characters, and its address suits its type.
pub fn validate_channel(channel: &ContactChannel) -> Result<(), ValidationError> {
    let mut c = Checker::default();
    let contact = check_arn(&mut c, &channel.contact_arn, "ContactArn", "contact");
    if let (Some(own), Some(contact)) = (
        check_arn(
            &mut c,
            &channel.contact_channel_arn,
            "ContactChannelArn",
            "contact-channel",
        ),
        contact,
    ) {
        let alias = contact.last_segment();
        let mut path = own.resource.splitn(3, '/').skip(1);
        let (owner, id) = (path.next(), path.next());
        c.check(
            owner == Some(alias)
                && id.is_some_and(|id| !id.is_empty() && !id.contains('/'))
                && own.account == contact.account,
            "ContactChannelArn",
            format!("must be contact-channel/{alias}/<id> in the account of ContactArn"),
        );
    }
    check_name(&mut c, &channel.name, "Name", 1);
    check_address(
        &mut c,
        channel.channel_type,
        &channel.delivery_address.simple_address,
        ADDRESS_FIELD,
    );
    c.finish()
}

/// Checks an address for a channel of `channel_type` (`UpdateContactChannel`).
pub fn validate_address(channel_type: ChannelType, address: &str) -> Result<(), ValidationError> {
    let mut c = Checker::default();
    check_address(&mut c, channel_type, address, ADDRESS_FIELD);
    c.finish()
}

/// [`validate_address`] into an existing checker, under `field`.
pub fn check_address(c: &mut Checker, channel_type: ChannelType, address: &str, field: &str) {
    let broken = match channel_type {
        ChannelType::Email => {
            let (min, max) = EMAIL_CHARS;
            c.length(address, field, min, max);
            email_problem(address)
        }
        ChannelType::Sms | ChannelType::Voice => phone_problem(address),
        ChannelType::Webhook => url_problem(address),
    };
    if let Some(rule) = broken {
        c.check(false, field, rule);
    }
}

/// Why `a` is not `local@domain.tld`, if it is not.
fn email_problem(a: &str) -> Option<String> {
    if a.chars().any(|ch| ch.is_whitespace() || ch.is_control()) {
        return Some("must be an email address without spaces or control characters".into());
    }
    let Some((local, domain)) = a.split_once('@') else {
        return Some("must be an email address: one `@` between a name and a domain".into());
    };
    if domain.contains('@') {
        return Some("must be an email address with exactly one `@`".into());
    }
    if local.is_empty() || local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Some(
            "must be an email address whose part before `@` is not empty and has no leading, trailing or doubled `.`"
                .into(),
        );
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|ch| ch.is_alphanumeric() || ch == '-')
    };
    if labels.len() < 2 || !labels.iter().all(label_ok) {
        return Some(format!(
            "must be an email address whose domain is dot-separated labels of letters, digits and `-` (like example.com), got {domain:?}"
        ));
    }
    None
}

/// Why `a` is not `+` then 9–15 digits, if it is not.
fn phone_problem(a: &str) -> Option<String> {
    let (min, max) = PHONE_DIGITS;
    let Some(digits) = a.strip_prefix('+') else {
        return Some(format!(
            "must start with `+` followed by {min} to {max} digits (country code and number)"
        ));
    };
    if let Some(bad) = digits.chars().find(|ch| !ch.is_ascii_digit()) {
        return Some(format!(
            "must be `+` followed by {min} to {max} digits only, got {bad:?}"
        ));
    }
    let n = digits.len();
    (!(min..=max).contains(&n))
        .then(|| format!("must be `+` followed by {min} to {max} digits, got {n}"))
}

/// Why `a` is not an http(s) URL with a host, if it is not.
fn url_problem(a: &str) -> Option<String> {
    let n = a.chars().count();
    if n > MAX_URL_CHARS {
        return Some(format!(
            "must be a URL of at most {MAX_URL_CHARS} characters, got {n}"
        ));
    }
    if a.chars().any(|ch| ch.is_whitespace() || ch.is_control()) {
        return Some("must be a URL without spaces or control characters".into());
    }
    let Some(rest) = a
        .strip_prefix("https://")
        .or_else(|| a.strip_prefix("http://"))
    else {
        return Some("must be an http:// or https:// URL".into());
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.split(':').next().unwrap_or_default(),
    };
    host.is_empty()
        .then(|| "must be an http:// or https:// URL with a host".to_string())
}
