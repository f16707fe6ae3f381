//! Messages inside the fleet. Events (past tense) go to `tocsin.events`, commands (imperative)
//! to `tocsin.notify`; both travel in an [`crate::Envelope`].

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::records::ChannelType;
use crate::routing;

/// Domain events on `tocsin.events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A new incident was created: engage its contacts, run its runbook, tell chat.
    IncidentOpened(IncidentOpenedV1),
    /// An alarm was merged into an OPEN incident with the same dedupe string (no new page).
    IncidentMerged(IncidentMergedV1),
    /// An incident was resolved: its engagements stop.
    IncidentResolved(IncidentResolvedV1),
    /// A page reached its channel.
    PageDelivered(PageReceiptV1),
    /// A page could not be delivered.
    PageFailed(PageReceiptV1),
    /// A page was acknowledged (`AcceptPage`), its code already checked.
    PageAccepted(PageAcceptedV1),
    /// An engagement is to stop (`StopEngagement`).
    EngagementStopRequested(StopEngagementV1),
}

impl Event {
    /// The routing key it is published with.
    pub fn routing_key(&self) -> &'static str {
        match self {
            Event::IncidentOpened(_) => routing::RK_INCIDENT_OPENED,
            Event::IncidentMerged(_) => routing::RK_INCIDENT_MERGED,
            Event::IncidentResolved(_) => routing::RK_INCIDENT_RESOLVED,
            Event::PageDelivered(_) => routing::RK_PAGE_DELIVERED,
            Event::PageFailed(_) => routing::RK_PAGE_FAILED,
            Event::PageAccepted(_) => routing::RK_PAGE_ACCEPTED,
            Event::EngagementStopRequested(_) => routing::RK_ENGAGEMENT_STOP,
        }
    }
}

/// [`Event::IncidentOpened`], version 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct IncidentOpenedV1 {
    /// Incident record ARN.
    pub incident_arn: String,
    /// Incident id (the last segment of the ARN).
    pub incident_id: String,
    /// Response plan ARN.
    pub response_plan_arn: String,
    /// Title.
    pub title: String,
    /// Impact 1–5.
    pub impact: u8,
    /// Contacts to engage.
    pub engagements: Vec<String>,
}

/// [`Event::IncidentMerged`], version 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct IncidentMergedV1 {
    /// The OPEN incident the alarm was merged into.
    pub incident_arn: String,
    /// Its id.
    pub incident_id: String,
    /// The dedupe string they share.
    pub dedupe_string: String,
}

/// [`Event::IncidentResolved`], version 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct IncidentResolvedV1 {
    /// The incident.
    pub incident_arn: String,
    /// Its id.
    pub incident_id: String,
    /// Who or what resolved it.
    pub resolved_by: String,
}

/// [`Event::PageDelivered`] / [`Event::PageFailed`], version 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PageReceiptV1 {
    /// The page.
    pub page_arn: String,
    /// Its engagement.
    pub engagement_arn: String,
    /// The incident id.
    pub incident_id: String,
    /// The channel used.
    pub contact_channel_arn: String,
    /// When the outcome was known.
    pub at: DateTime<Utc>,
    /// Provider detail (status, message id) or the failure reason.
    pub detail: String,
}

/// [`Event::PageAccepted`], version 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PageAcceptedV1 {
    /// The page.
    pub page_arn: String,
    /// Its engagement.
    pub engagement_arn: String,
    /// The contact who accepted.
    pub contact_arn: String,
    /// `DELIVERED` or `READ`; READ is the acknowledgement.
    pub accept_type: String,
    /// The responder's note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// [`Event::EngagementStopRequested`], version 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StopEngagementV1 {
    /// The engagement.
    pub engagement_arn: String,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// Commands on `tocsin.notify`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum NotifyCommand {
    /// Deliver one page to one channel.
    SendPage(SendPageV1),
    /// Deliver a contact channel's activation code (`SendActivationCode`).
    SendActivationCode(SendActivationCodeV1),
}

impl NotifyCommand {
    /// The routing key it is published with.
    pub fn routing_key(&self) -> &'static str {
        match self {
            NotifyCommand::SendPage(_) => routing::RK_SEND_PAGE,
            NotifyCommand::SendActivationCode(_) => routing::RK_SEND_ACTIVATION_CODE,
        }
    }
}

/// [`NotifyCommand::SendActivationCode`], version 1: the code a contact channel must be
/// activated with, delivered over that channel. Idempotent per (channel, code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SendActivationCodeV1 {
    /// The contact.
    pub contact_arn: String,
    /// The channel being activated.
    pub contact_channel_arn: String,
    /// Channel type.
    pub channel_type: ChannelType,
    /// Address (email, phone).
    pub address: String,
    /// The 6-digit activation code.
    pub activation_code: String,
}

/// [`NotifyCommand::SendPage`], version 1. Self-contained, so the notifier needs no lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SendPageV1 {
    /// The page (its id is the delivery idempotency key).
    pub page_arn: String,
    /// Its engagement.
    pub engagement_arn: String,
    /// The incident id.
    pub incident_id: String,
    /// The incident ARN.
    pub incident_arn: String,
    /// The contact.
    pub contact_arn: String,
    /// The channel.
    pub contact_channel_arn: String,
    /// Channel type.
    pub channel_type: ChannelType,
    /// Address (email, phone, URL).
    pub address: String,
    /// Subject.
    pub subject: String,
    /// Content.
    pub content: String,
    /// Code that acknowledges the page.
    pub accept_code: String,
}
