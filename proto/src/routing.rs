//! Names of exchanges, queues and routing keys: the broker topology is part of the contract
//! (alarm sources publish to [`EXCHANGE_INGEST`], operators watch the `.dlq` queues).

/// Topic exchange alarm sources publish to; the routing key names the format.
pub const EXCHANGE_INGEST: &str = "tocsin.ingest";
/// Topic exchange of domain events (incident opened, page delivered, ...).
pub const EXCHANGE_EVENTS: &str = "tocsin.events";
/// Topic exchange of notification commands (send a page, post to chat).
pub const EXCHANGE_NOTIFY: &str = "tocsin.notify";
/// Direct exchange receiving dead letters; each `<queue>.dlq` is bound with the queue's name.
pub const EXCHANGE_DLX: &str = "tocsin.dlx";

/// Work queue of the ingest service: every format published to [`EXCHANGE_INGEST`].
pub const QUEUE_INGEST: &str = "tocsin.ingest.alarms";
/// Work queue of the engagement service: incidents to engage and page receipts to record.
pub const QUEUE_ENGAGEMENT: &str = "tocsin.engagement.events";
/// Work queue of the notifier: pages to deliver.
pub const QUEUE_NOTIFIER: &str = "tocsin.notifier.pages";

/// Routing key of the native alarm format (shaped like `StartIncident`'s input).
pub const RK_NATIVE: &str = "native";
/// Routing key of [`crate::messages::Event::IncidentOpened`].
pub const RK_INCIDENT_OPENED: &str = "incident.opened";
/// Routing key of [`crate::messages::Event::IncidentMerged`].
pub const RK_INCIDENT_MERGED: &str = "incident.merged";
/// Routing key of [`crate::messages::Event::IncidentResolved`].
pub const RK_INCIDENT_RESOLVED: &str = "incident.resolved";
/// Routing key of [`crate::messages::Event::PageDelivered`].
pub const RK_PAGE_DELIVERED: &str = "page.delivered";
/// Routing key of [`crate::messages::Event::PageFailed`].
pub const RK_PAGE_FAILED: &str = "page.failed";
/// Routing key of [`crate::messages::Event::PageAccepted`].
pub const RK_PAGE_ACCEPTED: &str = "page.accepted";
/// Routing key of [`crate::messages::Event::EngagementStopRequested`].
pub const RK_ENGAGEMENT_STOP: &str = "engagement.stop";
/// Routing key of [`crate::messages::NotifyCommand::SendPage`].
pub const RK_SEND_PAGE: &str = "page.send";
/// Routing key of [`crate::messages::NotifyCommand::SendActivationCode`].
pub const RK_SEND_ACTIVATION_CODE: &str = "activation.send";

/// Binding patterns of the ingest queue.
pub const INGEST_BINDINGS: &[(&str, &str)] = &[(EXCHANGE_INGEST, "#")];
/// Binding patterns of the engagement queue.
pub const ENGAGEMENT_BINDINGS: &[(&str, &str)] = &[
    (EXCHANGE_EVENTS, RK_INCIDENT_OPENED),
    (EXCHANGE_EVENTS, RK_INCIDENT_RESOLVED),
    (EXCHANGE_EVENTS, "page.*"),
    (EXCHANGE_EVENTS, RK_ENGAGEMENT_STOP),
];
/// Binding patterns of the notifier queue.
pub const NOTIFIER_BINDINGS: &[(&str, &str)] = &[
    (EXCHANGE_NOTIFY, RK_SEND_PAGE),
    (EXCHANGE_NOTIFY, RK_SEND_ACTIVATION_CODE),
];

/// Work queue of the notifier's incident side: chat messages, PagerDuty incidents and notes
/// for incidents opened, merged into, acknowledged and resolved.
pub const QUEUE_NOTIFIER_INCIDENTS: &str = "tocsin.notifier.incidents";
/// Binding patterns of [`QUEUE_NOTIFIER_INCIDENTS`].
pub const NOTIFIER_INCIDENT_BINDINGS: &[(&str, &str)] = &[
    (EXCHANGE_EVENTS, RK_INCIDENT_OPENED),
    (EXCHANGE_EVENTS, RK_INCIDENT_MERGED),
    (EXCHANGE_EVENTS, RK_INCIDENT_RESOLVED),
    (EXCHANGE_EVENTS, RK_PAGE_ACCEPTED),
];

/// Work queue of the runbook executor: incidents to run runbooks for, and to cancel them on.
pub const QUEUE_RUNBOOK: &str = "tocsin.runbook.events";
/// Binding patterns of the runbook executor queue.
pub const RUNBOOK_BINDINGS: &[(&str, &str)] = &[
    (EXCHANGE_EVENTS, RK_INCIDENT_OPENED),
    (EXCHANGE_EVENTS, RK_INCIDENT_RESOLVED),
];
