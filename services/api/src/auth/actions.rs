//! What each of the 31 `ssm-incidents` and 39 `ssm-contacts` operations asks permission for:
//! its IAM action (`<service>:<Operation>`) and the ARNs of the resources it touches, read from
//! the request — in one table, so the dispatch of each operation stays as it was.
//!
//! A resource is a member of the request (body first, then query: `arn`, `ContactId`, ...), the
//! ARN the operation will create (`CreateResponsePlan` → `response-plan/<name>`), the ARN in
//! the path (`/tags/{resourceArn}`), or `*` for listings and operations without a resource.
//! A member that is absent yields `*`: only a key allowed on every resource gets past, and the
//! operation's own validation then answers.

use serde_json::Value;

/// The two AWS services of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// `ssm-incidents` (restJson1).
    Incidents,
    /// `ssm-contacts` (JSON 1.1).
    Contacts,
}

impl Service {
    /// The IAM prefix / signing name.
    pub fn prefix(self) -> &'static str {
        match self {
            Service::Incidents => "ssm-incidents",
            Service::Contacts => "ssm-contacts",
        }
    }

    /// The CloudTrail `eventSource`.
    pub fn event_source(self) -> &'static str {
        match self {
            Service::Incidents => "ssm-incidents.amazonaws.com",
            Service::Contacts => "ssm-contacts.amazonaws.com",
        }
    }
}

/// Where an operation's resource comes from.
#[derive(Debug, Clone, Copy)]
enum Res {
    /// No resource-level permission: `*`.
    All,
    /// A request member holding an ARN (body, else query).
    Member(&'static str),
    /// `CreateResponsePlan`: the plan ARN of member `name`.
    NewPlan,
    /// `CreateContact`: the contact ARN of member `Alias`.
    NewContact,
    /// A resource whose id the operation generates: `<service ARN prefix>:<type>/*`.
    New(&'static str),
    /// `/tags/{resourceArn}`.
    PathArn,
}

use Res::*;

const INCIDENTS: &[(&str, Res)] = &[
    ("StartIncident", Member("responsePlanArn")),
    ("GetIncidentRecord", Member("arn")),
    ("ListIncidentRecords", All),
    ("UpdateIncidentRecord", Member("arn")),
    ("DeleteIncidentRecord", Member("arn")),
    ("ListTimelineEvents", Member("incidentRecordArn")),
    ("CreateTimelineEvent", Member("incidentRecordArn")),
    ("GetTimelineEvent", Member("incidentRecordArn")),
    ("UpdateTimelineEvent", Member("incidentRecordArn")),
    ("DeleteTimelineEvent", Member("incidentRecordArn")),
    ("ListRelatedItems", Member("incidentRecordArn")),
    ("UpdateRelatedItems", Member("incidentRecordArn")),
    ("CreateResponsePlan", NewPlan),
    ("GetResponsePlan", Member("arn")),
    ("ListResponsePlans", All),
    ("UpdateResponsePlan", Member("arn")),
    ("DeleteResponsePlan", Member("arn")),
    ("CreateReplicationSet", New("replication-set")),
    ("GetReplicationSet", Member("arn")),
    ("ListReplicationSets", All),
    ("UpdateReplicationSet", Member("arn")),
    ("UpdateDeletionProtection", Member("arn")),
    ("DeleteReplicationSet", Member("arn")),
    ("PutResourcePolicy", Member("resourceArn")),
    ("GetResourcePolicies", Member("resourceArn")),
    ("DeleteResourcePolicy", Member("resourceArn")),
    ("TagResource", PathArn),
    ("UntagResource", PathArn),
    ("ListTagsForResource", PathArn),
    ("ListIncidentFindings", Member("incidentRecordArn")),
    ("BatchGetIncidentFindings", Member("incidentRecordArn")),
];

const CONTACTS: &[(&str, Res)] = &[
    ("CreateContact", NewContact),
    ("GetContact", Member("ContactId")),
    ("ListContacts", All),
    ("UpdateContact", Member("ContactId")),
    ("DeleteContact", Member("ContactId")),
    ("CreateContactChannel", Member("ContactId")),
    ("GetContactChannel", Member("ContactChannelId")),
    ("ListContactChannels", Member("ContactId")),
    ("UpdateContactChannel", Member("ContactChannelId")),
    ("DeleteContactChannel", Member("ContactChannelId")),
    ("SendActivationCode", Member("ContactChannelId")),
    ("ActivateContactChannel", Member("ContactChannelId")),
    ("DeactivateContactChannel", Member("ContactChannelId")),
    ("CreateRotation", New("rotation")),
    ("GetRotation", Member("RotationId")),
    ("ListRotations", All),
    ("UpdateRotation", Member("RotationId")),
    ("DeleteRotation", Member("RotationId")),
    ("ListRotationShifts", Member("RotationId")),
    ("ListPreviewRotationShifts", All),
    ("CreateRotationOverride", Member("RotationId")),
    ("GetRotationOverride", Member("RotationId")),
    ("ListRotationOverrides", Member("RotationId")),
    ("DeleteRotationOverride", Member("RotationId")),
    ("StartEngagement", Member("ContactId")),
    ("StopEngagement", Member("EngagementId")),
    ("DescribeEngagement", Member("EngagementId")),
    ("ListEngagements", All),
    ("DescribePage", Member("PageId")),
    ("ListPagesByContact", Member("ContactId")),
    ("ListPagesByEngagement", Member("EngagementId")),
    ("ListPageReceipts", Member("PageId")),
    ("ListPageResolutions", Member("PageId")),
    ("AcceptPage", Member("PageId")),
    ("TagResource", Member("ResourceARN")),
    ("UntagResource", Member("ResourceARN")),
    ("ListTagsForResource", Member("ResourceARN")),
    ("PutContactPolicy", Member("ContactArn")),
    ("GetContactPolicy", Member("ContactArn")),
];

/// The parts of a request the table reads.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// JSON body (`Null` when empty or not JSON).
    pub body: &'a Value,
    /// Decoded query parameters.
    pub query: &'a [(String, String)],
    /// The ARN in the path (`/tags/{resourceArn}`), decoded.
    pub path_arn: Option<&'a str>,
}

/// What one call asks permission for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Service.
    pub service: Service,
    /// Operation, e.g. `GetIncidentRecord`.
    pub operation: String,
    /// IAM action, e.g. `ssm-incidents:GetIncidentRecord`.
    pub action: String,
    /// ARNs (or `*`) the call touches.
    pub resources: Vec<String>,
    /// Whether the call only reads (CloudTrail `readOnly`).
    pub read_only: bool,
}

/// Whether an operation of either service only reads.
pub fn is_read_only(operation: &str) -> bool {
    ["Get", "List", "Describe", "BatchGet"]
        .iter()
        .any(|p| operation.starts_with(p))
}

/// The target of `operation` of `service`, or `None` when the model has no such operation.
pub fn target(
    service: Service,
    operation: &str,
    input: Input<'_>,
    account: &str,
    region: &str,
) -> Option<Target> {
    let table = match service {
        Service::Incidents => INCIDENTS,
        Service::Contacts => CONTACTS,
    };
    let (_, res) = table.iter().find(|(op, _)| *op == operation)?;
    let text = |member: &str| {
        input
            .body
            .get(member)
            .and_then(Value::as_str)
            .or_else(|| {
                input
                    .query
                    .iter()
                    .find(|(k, _)| k == member)
                    .map(|(_, v)| v.as_str())
            })
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let resource = match *res {
        All => None,
        Member(m) => text(m),
        NewPlan => text("name").map(|n| tocsin_proto::arn::response_plan(account, &n)),
        NewContact => text("Alias").map(|a| tocsin_proto::arn::contact(region, account, &a)),
        New(kind) => Some(match service {
            Service::Incidents => format!("arn:aws:ssm-incidents::{account}:{kind}/*"),
            Service::Contacts => format!("arn:aws:ssm-contacts:{region}:{account}:{kind}/*"),
        }),
        PathArn => input.path_arn.filter(|a| !a.is_empty()).map(str::to_string),
    };
    Some(Target {
        service,
        operation: operation.to_string(),
        action: format!("{}:{operation}", service.prefix()),
        resources: vec![resource.unwrap_or_else(|| "*".into())],
        read_only: is_read_only(operation),
    })
}

/// The restJson1 operation a matched route names: `/tags/{resourceArn}` by method, every other
/// path is `/<operation in lowerCamelCase>`.
pub fn rest_operation(method: &str, path: &str) -> Option<String> {
    if path.starts_with("/tags/") {
        return match method {
            "GET" => Some("ListTagsForResource".into()),
            "POST" => Some("TagResource".into()),
            "DELETE" => Some("UntagResource".into()),
            _ => None,
        };
    }
    let name = path.strip_prefix('/')?;
    let mut chars = name.chars();
    let first = chars.next()?.to_ascii_uppercase();
    let op = format!("{first}{}", chars.as_str());
    INCIDENTS.iter().any(|(o, _)| *o == op).then_some(op)
}

/// Number of operations declared per service (tests compare with the models).
#[cfg(test)]
pub(crate) fn declared(service: Service) -> Vec<&'static str> {
    match service {
        Service::Incidents => INCIDENTS.iter().map(|(o, _)| *o).collect(),
        Service::Contacts => CONTACTS.iter().map(|(o, _)| *o).collect(),
    }
}
