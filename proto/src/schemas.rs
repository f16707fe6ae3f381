//! JSON Schemas generated from the wire types, checked in under `proto/schemas/` so alarm
//! sources and other-language consumers can validate what they publish. A test fails when the
//! checked-in files are stale; `TOCSIN_BLESS=1 cargo test -p tocsin-proto` rewrites them.

use schemars::schema_for;

use crate::alarm::NativeAlarm;
use crate::envelope::Envelope;
use crate::messages::{Event, NotifyCommand};
use crate::records::{
    Contact, ContactChannel, Engagement, IncidentRecord, IngestRule, Page, ResponsePlan, Rotation,
    RotationOverride, RunbookDocument, RunbookDocumentVersion, RunbookExecution, TimelineEvent,
};

/// `(file stem, schema)` for every public contract.
pub fn all() -> Vec<(&'static str, serde_json::Value)> {
    fn v(s: schemars::Schema) -> serde_json::Value {
        s.to_value()
    }
    vec![
        ("native-alarm", v(schema_for!(NativeAlarm))),
        ("event-envelope", v(schema_for!(Envelope<Event>))),
        ("notify-envelope", v(schema_for!(Envelope<NotifyCommand>))),
        ("incident-record", v(schema_for!(IncidentRecord))),
        ("timeline-event", v(schema_for!(TimelineEvent))),
        ("response-plan", v(schema_for!(ResponsePlan))),
        ("contact", v(schema_for!(Contact))),
        ("contact-channel", v(schema_for!(ContactChannel))),
        ("engagement", v(schema_for!(Engagement))),
        ("page", v(schema_for!(Page))),
        ("rotation", v(schema_for!(Rotation))),
        ("rotation-override", v(schema_for!(RotationOverride))),
        ("ingest-rule", v(schema_for!(IngestRule))),
        ("runbook-document", v(schema_for!(RunbookDocument))),
        (
            "runbook-document-version",
            v(schema_for!(RunbookDocumentVersion)),
        ),
        ("runbook-execution", v(schema_for!(RunbookExecution))),
    ]
}

/// Pretty JSON text of a schema, as checked in (trailing newline included).
pub fn render(schema: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(schema).unwrap_or_default();
    s.push('\n');
    s
}
