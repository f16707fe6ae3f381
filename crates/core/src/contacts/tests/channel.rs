use tocsin_proto::records::ChannelType;

use super::{Case, channel, channel_arn, expect};
use crate::contacts::{validate_address, validate_channel};

const ADDR: &str = "DeliveryAddress.SimpleAddress";

fn email_of(len: usize) -> String {
    let domain = "@example.com";
    format!("{}{domain}", "a".repeat(len - domain.len()))
}

#[test]
fn email_addresses() {
    let cases: Vec<Case<'_, String>> = vec![
        (
            "5 chars",
            "a@b.c".into(),
            Some((ADDR, "between 6 and 1000 characters, got 5")),
        ),
        ("6 chars", "a@b.co".into(), None),
        ("1000 chars", email_of(1000), None),
        (
            "1001 chars",
            email_of(1001),
            Some((ADDR, "between 6 and 1000 characters, got 1001")),
        ),
        ("plain", "arosalez@example.com".into(), None),
        (
            "plus and subdomain",
            "on.call+db@mail.example.co.uk".into(),
            None,
        ),
        ("no @", "alice.example.com".into(), Some((ADDR, "one `@`"))),
        (
            "two @",
            "a@b@example.com".into(),
            Some((ADDR, "exactly one `@`")),
        ),
        (
            "empty local part",
            "@example.com".into(),
            Some((ADDR, "part before `@` is not empty")),
        ),
        (
            "leading dot",
            ".alice@example.com".into(),
            Some((ADDR, "leading, trailing or doubled `.`")),
        ),
        (
            "single-label domain",
            "alice@localhost".into(),
            Some((ADDR, "like example.com")),
        ),
        (
            "empty label",
            "alice@example..com".into(),
            Some((ADDR, "like example.com")),
        ),
        (
            "hyphen-led label",
            "alice@-example.com".into(),
            Some((ADDR, "like example.com")),
        ),
        (
            "space",
            "alice @example.com".into(),
            Some((ADDR, "without spaces")),
        ),
        (
            "newline",
            "alice@example.com\n".into(),
            Some((ADDR, "without spaces or control characters")),
        ),
    ];
    for (case, address, want) in &cases {
        expect(
            case,
            validate_channel(&channel(ChannelType::Email, address)),
            *want,
        );
    }
}

#[test]
fn phone_numbers() {
    let cases: &[Case<'_, &str>] = &[
        ("9 digits", "+123456789", None),
        ("15 digits", "+123456789012345", None),
        ("E.164 US", "+15551234567", None),
        (
            "8 digits",
            "+12345678",
            Some((ADDR, "9 to 15 digits, got 8")),
        ),
        (
            "16 digits",
            "+1234567890123456",
            Some((ADDR, "9 to 15 digits, got 16")),
        ),
        ("plus only", "+", Some((ADDR, "got 0"))),
        (
            "missing +",
            "15551234567",
            Some((ADDR, "must start with `+`")),
        ),
        (
            "00 prefix",
            "0015551234567",
            Some((ADDR, "must start with `+`")),
        ),
        (
            "letters",
            "+1555CALLME1",
            Some((ADDR, "digits only, got 'C'")),
        ),
        (
            "spaces",
            "+1 555 123 4567",
            Some((ADDR, "digits only, got ' '")),
        ),
        (
            "dashes",
            "+1-555-123-4567",
            Some((ADDR, "digits only, got '-'")),
        ),
        (
            "fullwidth digits",
            "+１５５５１２３４５６７",
            Some((ADDR, "digits only")),
        ),
    ];
    for ty in [ChannelType::Sms, ChannelType::Voice] {
        for (case, address, want) in cases {
            expect(
                &format!("{ty:?} {case}"),
                validate_channel(&channel(ty, address)),
                *want,
            );
        }
    }
}

#[test]
fn webhook_urls() {
    let long = format!("https://h.example/{}", "p".repeat(2048 - 18));
    let too_long = format!("{long}p");
    let cases: Vec<Case<'_, String>> = vec![
        ("https", "https://hooks.example.com/alice".into(), None),
        ("http with port", "http://127.0.0.1:9000/page".into(), None),
        ("ipv6 host", "http://[::1]:8080/".into(), None),
        ("2048 chars", long, None),
        (
            "2049 chars",
            too_long,
            Some((ADDR, "at most 2048 characters, got 2049")),
        ),
        (
            "ftp",
            "ftp://files.example.com/x".into(),
            Some((ADDR, "http:// or https://")),
        ),
        (
            "no scheme",
            "hooks.example.com".into(),
            Some((ADDR, "http:// or https://")),
        ),
        (
            "no host",
            "https:///path".into(),
            Some((ADDR, "with a host")),
        ),
        (
            "userinfo only",
            "https://user@/p".into(),
            Some((ADDR, "with a host")),
        ),
        (
            "space",
            "https://example.com/a b".into(),
            Some((ADDR, "without spaces")),
        ),
    ];
    for (case, address, want) in &cases {
        expect(
            case,
            validate_channel(&channel(ChannelType::Webhook, address)),
            *want,
        );
    }
}

#[test]
fn address_is_checked_against_the_type() {
    expect(
        "email for SMS",
        validate_address(ChannelType::Sms, "alice@example.com"),
        Some((ADDR, "must start with `+`")),
    );
    expect(
        "phone for email",
        validate_address(ChannelType::Email, "+15551234567"),
        Some((ADDR, "one `@`")),
    );
    expect(
        "url for voice",
        validate_address(ChannelType::Voice, "https://example.com"),
        Some((ADDR, "must start with `+`")),
    );
}

#[test]
fn channel_name_and_owner() {
    let mut ch = channel(ChannelType::Sms, "+15551234567");
    expect("valid", validate_channel(&ch), None);

    ch.name = String::new();
    expect(
        "empty name",
        validate_channel(&ch),
        Some(("Name", "between 1 and 255 characters, got 0")),
    );
    ch.name = "x".repeat(256);
    expect(
        "256-char name",
        validate_channel(&ch),
        Some(("Name", "got 256")),
    );
    ch.name = "alice's phone".into();
    expect(
        "apostrophe",
        validate_channel(&ch),
        Some(("Name", "got '\\''")),
    );
    ch.name = "Alice mobile-2".into();

    ch.contact_channel_arn = channel_arn("bob", "c1");
    expect(
        "channel of another contact",
        validate_channel(&ch),
        Some(("ContactChannelArn", "must be contact-channel/alice/<id>")),
    );
    ch.contact_channel_arn = super::contact_arn("alice");
    expect(
        "not a channel ARN",
        validate_channel(&ch),
        Some(("ContactChannelArn", "ssm-contacts contact-channel ARN")),
    );
}
