//! Stored records. Each is one JSON document in the store, versioned there.

mod contact;
mod engagement;
mod incident;
mod ingest;
mod plan;
mod rotation;
mod runbook;

pub use contact::*;
pub use engagement::*;
pub use incident::*;
pub use ingest::*;
pub use plan::*;
pub use rotation::*;
pub use runbook::*;

/// Store kinds: the `<kind>` part of a record's key.
pub mod kinds {
    /// [`super::IncidentRecord`], by incident id.
    pub const INCIDENT: &str = "incident";
    /// [`super::ResponsePlan`], by name.
    pub const RESPONSE_PLAN: &str = "response-plan";
    /// [`super::Contact`], by alias.
    pub const CONTACT: &str = "contact";
    /// [`super::ContactChannel`], by channel id.
    pub const CONTACT_CHANNEL: &str = "contact-channel";
    /// [`super::ChannelActivation`], by channel id.
    pub const CONTACT_CHANNEL_ACTIVATION: &str = "contact-channel-activation";
    /// [`super::IntegrationKey`], by key hash.
    pub const INTEGRATION_KEY: &str = "integration-key";
    /// [`super::IngestRule`], by name.
    pub const INGEST_RULE: &str = "ingest-rule";
    /// [`super::UnroutedEvent`], by id.
    pub const UNROUTED_EVENT: &str = "unrouted-event";
    /// [`super::Engagement`] with its run state, by engagement id.
    pub const ENGAGEMENT: &str = "engagement";
    /// [`super::Page`], by page id.
    pub const PAGE: &str = "page";
    /// [`super::Rotation`], by rotation id.
    pub const ROTATION: &str = "rotation";
    /// [`super::RotationOverride`], by rotation id and override id.
    pub const ROTATION_OVERRIDE: &str = "rotation-override";
}

/// `eventType` values of the timeline events Tocsin writes.
pub mod timeline_types {
    /// The alarm or event that opened the incident (as AWS names it).
    pub const TRIGGER: &str = "SSM Incident Trigger";
    /// The incident was created.
    pub const INCIDENT_CREATED: &str = "Incident Created";
    /// Another alarm with the same dedupe string arrived while the incident was open.
    pub const INCIDENT_MERGED: &str = "Incident Merged";
    /// An escalation stage started.
    pub const ESCALATION_STAGE: &str = "Escalation Stage Started";
    /// A page was acknowledged.
    pub const ACKNOWLEDGED: &str = "Engagement Acknowledged";
    /// An engagement ran out of stages without an acknowledgement.
    pub const ENGAGEMENT_ENDED: &str = "Engagement Ended";
    /// An engagement was stopped.
    pub const ENGAGEMENT_STOPPED: &str = "Engagement Stopped";
    /// Nobody was on call in a schedule when it was engaged.
    pub const COVERAGE_GAP: &str = "On-call Coverage Gap";
    /// A contact was engaged.
    pub const CONTACT_ENGAGED: &str = "Contact Engaged";
    /// A contact could not be engaged (missing, no active channel, unsupported type).
    pub const ENGAGEMENT_FAILED: &str = "Engagement Failed";
    /// A page reached its channel.
    pub const PAGE_DELIVERED: &str = "Page Delivered";
    /// A page was read (accepted as READ by its recipient).
    pub const PAGE_READ: &str = "Page Read";
    /// A page could not be delivered.
    pub const PAGE_FAILED: &str = "Page Failed";
    /// A failed page will be sent again (`RetryIntervalInMinutes`).
    pub const PAGE_RETRY_SCHEDULED: &str = "Page Retry Scheduled";
    /// An acknowledgement timed out and the plan started again (Tocsin extension).
    pub const ACK_TIMED_OUT: &str = "Acknowledgement Timed Out";
    /// The alarm behind an open incident changed state (OK, INSUFFICIENT_DATA, acknowledge).
    pub const ALARM_STATE_CHANGED: &str = "Alarm State Changed";
    /// The incident was resolved.
    pub const INCIDENT_RESOLVED: &str = "Incident Resolved";
}
