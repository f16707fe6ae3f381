//! ARNs of Tocsin records, in the AWS formats so that tools parsing them keep working.
//!
//! `ssm-incidents` ARNs have no region (`arn:aws:ssm-incidents::<account>:…`); `ssm-contacts`
//! ARNs carry one.

use std::fmt;

/// A parsed ARN: `arn:<partition>:<service>:<region>:<account>:<resource>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn {
    /// `aws`, `aws-cn`, `aws-us-gov`.
    pub partition: String,
    /// e.g. `ssm-incidents`.
    pub service: String,
    /// Region, possibly empty.
    pub region: String,
    /// 12-digit account, possibly empty.
    pub account: String,
    /// `<type>/<path…>`.
    pub resource: String,
}

/// Why a string is not an ARN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an ARN of the form arn:<partition>:<service>:<region>:<account>:<resource>")]
pub struct ArnError(pub String);

impl Arn {
    /// Parses an ARN.
    pub fn parse(s: &str) -> Result<Self, ArnError> {
        let mut parts = s.splitn(6, ':');
        let bad = || ArnError(s.to_string());
        if parts.next() != Some("arn") {
            return Err(bad());
        }
        let partition = parts.next().ok_or_else(bad)?;
        let service = parts.next().ok_or_else(bad)?;
        let region = parts.next().ok_or_else(bad)?;
        let account = parts.next().ok_or_else(bad)?;
        let resource = parts.next().ok_or_else(bad)?;
        if !matches!(partition, "aws" | "aws-cn" | "aws-us-gov")
            || service.is_empty()
            || resource.is_empty()
            || !(account.is_empty()
                || (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())))
        {
            return Err(bad());
        }
        Ok(Self {
            partition: partition.into(),
            service: service.into(),
            region: region.into(),
            account: account.into(),
            resource: resource.into(),
        })
    }

    /// The resource type (`response-plan`, `contact`, ...).
    pub fn resource_type(&self) -> &str {
        self.resource.split('/').next().unwrap_or_default()
    }

    /// The last `/` segment of the resource (a name or an id).
    pub fn last_segment(&self) -> &str {
        self.resource.rsplit('/').next().unwrap_or_default()
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Arn {
            partition,
            service,
            region,
            account,
            resource,
        } = self;
        write!(f, "arn:{partition}:{service}:{region}:{account}:{resource}")
    }
}

/// `arn:aws:ssm-incidents::<account>:response-plan/<name>`
pub fn response_plan(account: &str, name: &str) -> String {
    format!("arn:aws:ssm-incidents::{account}:response-plan/{name}")
}

/// `arn:aws:ssm-incidents::<account>:incident-record/<plan>/<id>`
pub fn incident_record(account: &str, plan: &str, id: &str) -> String {
    format!("arn:aws:ssm-incidents::{account}:incident-record/{plan}/{id}")
}

/// `arn:aws:ssm-contacts:<region>:<account>:contact/<alias>`
pub fn contact(region: &str, account: &str, alias: &str) -> String {
    format!("arn:aws:ssm-contacts:{region}:{account}:contact/{alias}")
}

/// `arn:aws:ssm-contacts:<region>:<account>:contact-channel/<alias>/<id>`
pub fn contact_channel(region: &str, account: &str, alias: &str, id: &str) -> String {
    format!("arn:aws:ssm-contacts:{region}:{account}:contact-channel/{alias}/{id}")
}

/// `arn:aws:ssm-contacts:<region>:<account>:engagement/<alias>/<id>`
pub fn engagement(region: &str, account: &str, alias: &str, id: &str) -> String {
    format!("arn:aws:ssm-contacts:{region}:{account}:engagement/{alias}/{id}")
}

/// `arn:aws:ssm-contacts:<region>:<account>:rotation/<id>`
pub fn rotation(region: &str, account: &str, id: &str) -> String {
    format!("arn:aws:ssm-contacts:{region}:{account}:rotation/{id}")
}

/// `arn:aws:ssm-contacts:<region>:<account>:page/<alias>/<id>`
pub fn page(region: &str, account: &str, alias: &str, id: &str) -> String {
    format!("arn:aws:ssm-contacts:{region}:{account}:page/{alias}/{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_splits() {
        let s = incident_record("123456789012", "db-outage", "abc");
        let a = Arn::parse(&s).unwrap();
        assert_eq!(a.service, "ssm-incidents");
        assert_eq!(a.region, "");
        assert_eq!(a.account, "123456789012");
        assert_eq!(a.resource_type(), "incident-record");
        assert_eq!(a.last_segment(), "abc");
        assert_eq!(a.to_string(), s);
    }

    #[test]
    fn rejects_non_arns() {
        for s in [
            "",
            "arn",
            "arn:aws:x:y:123:",
            "arn:gcp:s:r:123456789012:r",
            "arn:aws:s:r:12:r",
            "nope:aws:s:r:123456789012:r",
        ] {
            assert!(Arn::parse(s).is_err(), "{s}");
        }
    }
}
