use tocsin_proto::records::Tag;

use super::{Case, expect};
use crate::contacts::validate_tags;

fn tag(key: &str, value: Option<&str>) -> Tag {
    Tag {
        key: key.into(),
        value: value.map(Into::into),
    }
}

#[test]
fn tag_rules() {
    let k128 = "k".repeat(128);
    let k129 = "k".repeat(129);
    let v256 = "v".repeat(256);
    let v257 = "v".repeat(257);
    let cases: Vec<Case<'_, Tag>> = vec![
        ("key only", tag("team", None), None),
        (
            "key and value",
            tag("cost-center/db_1+=\\", Some("Zoë @ ops: a/b=c+d-e_f.g")),
            None,
        ),
        ("128-char key", tag(&k128, None), None),
        (
            "129-char key",
            tag(&k129, None),
            Some(("Tags[0].Key", "between 1 and 128 characters, got 129")),
        ),
        ("empty key", tag("", None), Some(("Tags[0].Key", "got 0"))),
        (
            "colon in key",
            tag("aws:owner", None),
            Some(("Tags[0].Key", "got ':'")),
        ),
        (
            "space in key",
            tag("my key", None),
            Some(("Tags[0].Key", "got ' '")),
        ),
        ("256-char value", tag("k", Some(&v256)), None),
        (
            "257-char value",
            tag("k", Some(&v257)),
            Some(("Tags[0].Value", "got 257")),
        ),
        (
            "empty value",
            tag("k", Some("")),
            Some(("Tags[0].Value", "between 1 and 256 characters, got 0")),
        ),
        (
            "comma in value",
            tag("k", Some("a,b")),
            Some(("Tags[0].Value", "got ','")),
        ),
    ];
    for (case, t, want) in cases {
        expect(case, validate_tags(&[t]), want);
    }
}

#[test]
fn tag_count_and_repeats() {
    let many = |n: usize| {
        (0..n)
            .map(|i| tag(&format!("k{i}"), None))
            .collect::<Vec<_>>()
    };
    expect("50 tags", validate_tags(&many(50)), None);
    expect(
        "51 tags",
        validate_tags(&many(51)),
        Some(("Tags", "at most 50 tags, got 51")),
    );
    expect(
        "repeated key",
        validate_tags(&[
            tag("team", Some("a")),
            tag("env", None),
            tag("team", Some("b")),
        ]),
        Some(("Tags[2].Key", "must not repeat the key \"team\"")),
    );
}
