//! The built-in policies a key can name instead of writing a document.
//!
//! | name (aliases) | grants |
//! |---|---|
//! | `AdministratorAccess` (`administrator`, `admin`) | every `ssm-incidents:*` and `ssm-contacts:*` action |
//! | `AWSIncidentManagerResolverAccess` (`resolver`, `IncidentManagerResolverAccess`) | the AWS managed policy as the user guide prints it: start, view and update incidents; list and view response plans; timeline events and related items |
//! | `ReadOnlyAccess` (`read-only`, `readonly`) | `Get*`, `List*`, `Describe*`, `BatchGet*` of both services |
//!
//! The resolver document is the one of the spec (user guide part 3, §3.3), with the printed
//! typo `ssm-incidents>DeleteTimelineEvent` read as `ssm-incidents:DeleteTimelineEvent`.

use serde_json::json;

use super::policy::{Kind, Policy};

/// Canonical names of the built-in policies.
pub const NAMES: &[&str] = &[
    "AdministratorAccess",
    "AWSIncidentManagerResolverAccess",
    "ReadOnlyAccess",
];

/// The built-in policy `name` (canonical name or alias, case-insensitive).
pub fn named(name: &str) -> Option<Policy> {
    let doc = match name.to_ascii_lowercase().as_str() {
        "administratoraccess" | "administrator" | "admin" => json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "IncidentManagerFullAccess",
                "Effect": "Allow",
                "Action": ["ssm-incidents:*", "ssm-contacts:*"],
                "Resource": "*"
            }]
        }),
        "awsincidentmanagerresolveraccess" | "incidentmanagerresolveraccess" | "resolver" => {
            json!({
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "StartIncidentPermissions",
                        "Effect": "Allow",
                        "Action": ["ssm-incidents:StartIncident"],
                        "Resource": "*"
                    },
                    {
                        "Sid": "ResponsePlanReadOnlyPermissions",
                        "Effect": "Allow",
                        "Action": [
                            "ssm-incidents:ListResponsePlans",
                            "ssm-incidents:GetResponsePlan"
                        ],
                        "Resource": "*"
                    },
                    {
                        "Sid": "IncidentRecordResolverPermissions",
                        "Effect": "Allow",
                        "Action": [
                            "ssm-incidents:ListIncidentRecords",
                            "ssm-incidents:GetIncidentRecord",
                            "ssm-incidents:UpdateIncidentRecord",
                            "ssm-incidents:ListTimelineEvents",
                            "ssm-incidents:CreateTimelineEvent",
                            "ssm-incidents:GetTimelineEvent",
                            "ssm-incidents:UpdateTimelineEvent",
                            "ssm-incidents:DeleteTimelineEvent",
                            "ssm-incidents:ListRelatedItems",
                            "ssm-incidents:UpdateRelatedItems"
                        ],
                        "Resource": "*"
                    }
                ]
            })
        }
        "readonlyaccess" | "read-only" | "readonly" => json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "IncidentManagerReadOnly",
                "Effect": "Allow",
                "Action": [
                    "ssm-incidents:Get*",
                    "ssm-incidents:List*",
                    "ssm-incidents:BatchGet*",
                    "ssm-contacts:Get*",
                    "ssm-contacts:List*",
                    "ssm-contacts:Describe*"
                ],
                "Resource": "*"
            }]
        }),
        _ => return None,
    };
    // The documents above are literals checked by the tests: parsing cannot fail.
    Policy::parse(&doc, Kind::Identity).ok()
}

/// The administrator policy (keys of `TOCSIN_AWS_CREDENTIALS` and the dev pair).
pub fn administrator() -> Policy {
    named("AdministratorAccess").unwrap_or_else(|| unreachable!("a literal document"))
}
