//! Whose alarm is it? An alarm published over AMQP belongs to an account by the broker's own
//! authentication: the `user_id` property, which RabbitMQ refuses unless it names the
//! publishing connection's user, maps to an account (`TOCSIN_AMQP_PUBLISHERS`); any other
//! publisher of the vhost publishes for the vhost's account (`TOCSIN_ACCOUNT_ID` of the
//! deployment consuming it). Alarms from the HTTP endpoints come from Tocsin's own broker user
//! and carry the integration key, which only Tocsin may set.

use std::collections::BTreeMap;

use tocsin_bus::Delivery;

use crate::route::HEADER_INTEGRATION;

/// The account of `delivery`, or why it is refused.
pub fn account_of(
    delivery: &Delivery,
    default_account: &str,
    publishers: &BTreeMap<String, String>,
) -> Result<String, String> {
    account_for(
        delivery.from_tocsin(),
        delivery.user_id.as_deref(),
        delivery.headers.contains_key(HEADER_INTEGRATION),
        default_account,
        publishers,
    )
}

/// [`account_of`] on the facts that decide it.
fn account_for(
    from_tocsin: bool,
    user_id: Option<&str>,
    has_integration_header: bool,
    default_account: &str,
    publishers: &BTreeMap<String, String>,
) -> Result<String, String> {
    if from_tocsin {
        return Ok(default_account.to_owned());
    }
    if has_integration_header {
        return Err(format!(
            "header {HEADER_INTEGRATION}: set only by Tocsin's HTTP endpoints; publisher {} may not set it",
            user_id.unwrap_or("(no user_id)")
        ));
    }
    Ok(user_id
        .and_then(|u| publishers.get(u))
        .map_or_else(|| default_account.to_owned(), Clone::clone))
}

#[cfg(test)]
mod tests {
    use super::*;

    const VHOST: &str = "123456789012";

    fn publishers() -> BTreeMap<String, String> {
        BTreeMap::from([("team-b".to_owned(), "210987654321".to_owned())])
    }

    #[test]
    fn accounts_come_from_the_validated_user_or_the_vhost() {
        let p = publishers();
        let cases = [
            // (from tocsin, user_id, integration header, expected)
            (true, None, false, Ok(VHOST)),
            (true, Some("tocsin"), true, Ok(VHOST)),
            (false, Some("team-b"), false, Ok("210987654321")),
            (false, Some("team-c"), false, Ok(VHOST)),
            (false, None, false, Ok(VHOST)),
            (false, Some("team-b"), true, Err(())),
            (false, None, true, Err(())),
        ];
        for (from_tocsin, user, header, expected) in cases {
            let got = account_for(from_tocsin, user, header, VHOST, &p);
            match expected {
                Ok(account) => assert_eq!(got.as_deref(), Ok(account), "{user:?}"),
                Err(()) => {
                    let e = got.unwrap_err();
                    assert!(e.starts_with("header x-tocsin-integration"), "{e}");
                }
            }
        }
    }
}
