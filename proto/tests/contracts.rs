//! Contract tests: golden JSON fixtures and checked-in JSON Schemas.
//!
//! A failure here means a wire name changed. If that is intended (a new schema version, a new
//! field), rerun with `TOCSIN_BLESS=1` and review the diff of `proto/` in the commit.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Serialize, de::DeserializeOwned};
use tocsin_proto::alarm::NativeAlarm;
use tocsin_proto::messages::*;
use tocsin_proto::records::*;
use tocsin_proto::{Envelope, SCHEMA_VERSION, arn, schemas};

fn bless() -> bool {
    std::env::var_os("TOCSIN_BLESS").is_some()
}

fn dir(sub: &str) -> PathBuf {
    // The runner's CARGO_MANIFEST_DIR, when set, is the checkout being tested even if the
    // binary was built in another one sharing the target directory.
    let root = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    root.join(sub)
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0).unwrap()
}

const ACCOUNT: &str = "123456789012";

fn check_golden<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    name: &str,
    value: &T,
) {
    let path = dir("tests/golden").join(format!("{name}.json"));
    let rendered = format!("{}\n", serde_json::to_string_pretty(value).unwrap());
    if bless() {
        std::fs::write(&path, &rendered).unwrap();
    }
    let stored = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing {path:?}; run with TOCSIN_BLESS=1"));
    assert_eq!(
        stored, rendered,
        "{name}: serialised form differs from {path:?}"
    );
    let back: T = serde_json::from_str(&stored).unwrap();
    assert_eq!(
        &back, value,
        "{name}: fixture does not deserialise to the same value"
    );
}

fn plan() -> ResponsePlan {
    ResponsePlan {
        arn: arn::response_plan(ACCOUNT, "db-outage"),
        name: "db-outage".into(),
        display_name: Some("Database outage".into()),
        incident_template: IncidentTemplate {
            title: "Database outage".into(),
            impact: 2,
            summary: Some("The primary database does not answer.".into()),
            dedupe_string: Some("db-primary".into()),
            incident_tags: BTreeMap::from([("team".into(), "storage".into())]),
            notification_targets: vec![],
        },
        engagements: vec![arn::contact("us-east-1", ACCOUNT, "alice")],
        chat_channel: None,
        actions: vec![],
        integrations: vec![],
        tags: BTreeMap::new(),
        auto_resolve: false,
    }
}

fn incident() -> IncidentRecord {
    IncidentRecord {
        arn: arn::incident_record(ACCOUNT, "db-outage", "6f1c1b1e-0000-5000-8000-000000000001"),
        title: "Database outage".into(),
        summary: None,
        status: IncidentStatus::Open,
        impact: 2,
        creation_time: t0(),
        resolved_time: None,
        last_modified_time: t0(),
        last_modified_by: "arn:aws:iam::123456789012:role/tocsin-ingest".into(),
        dedupe_string: "db-primary".into(),
        incident_record_source: IncidentRecordSource {
            created_by: "arn:aws:iam::123456789012:role/tocsin-ingest".into(),
            invoked_by: None,
            resource_arn: None,
            source: "tocsin.native".into(),
        },
        chat_channel: None,
        notification_targets: vec![],
        response_plan_arn: arn::response_plan(ACCOUNT, "db-outage"),
        engagements: vec![arn::contact("us-east-1", ACCOUNT, "alice")],
        related_items: vec![RelatedItem {
            identifier: ItemIdentifier {
                item_type: "OTHER".into(),
                value: ItemValue {
                    url: Some("https://runbooks.example.com/db".into()),
                    ..Default::default()
                },
            },
            title: Some("Runbook".into()),
            generated_id: None,
        }],
        tags: BTreeMap::new(),
    }
}

#[test]
fn golden_native_alarm() {
    check_golden(
        "native-alarm",
        &NativeAlarm {
            response_plan_arn: arn::response_plan(ACCOUNT, "db-outage"),
            title: Some("db-primary unreachable".into()),
            impact: Some(1),
            related_items: vec![],
            trigger_details: Some(TriggerDetails {
                source: "tocsin.native".into(),
                timestamp: t0(),
                trigger_arn: None,
                raw_data: Some("{\"probe\":\"tcp\"}".into()),
            }),
            client_token: Some("probe-42".into()),
            dedupe_string: Some("db-primary".into()),
        },
    );
}

#[test]
fn golden_records() {
    check_golden("response-plan", &plan());
    check_golden("incident-record", &incident());
    check_golden(
        "contact",
        &Contact {
            contact_arn: arn::contact("us-east-1", ACCOUNT, "alice"),
            alias: "alice".into(),
            display_name: Some("Alice".into()),
            contact_type: ContactType::Personal,
            tocsin: Default::default(),
            plan: Plan {
                stages: vec![Stage {
                    duration_in_minutes: 0,
                    targets: vec![Target {
                        channel_target_info: Some(ChannelTargetInfo {
                            contact_channel_id: arn::contact_channel(
                                "us-east-1",
                                ACCOUNT,
                                "alice",
                                "hook",
                            ),
                            retry_interval_in_minutes: Some(1),
                        }),
                        contact_target_info: None,
                    }],
                }],
                rotation_ids: vec![],
            },
        },
    );
    check_golden(
        "contact-channel",
        &ContactChannel {
            contact_channel_arn: arn::contact_channel("us-east-1", ACCOUNT, "alice", "hook"),
            contact_arn: arn::contact("us-east-1", ACCOUNT, "alice"),
            name: "alice-webhook".into(),
            channel_type: ChannelType::Webhook,
            delivery_address: ContactChannelAddress {
                simple_address: "http://127.0.0.1:9000/page".into(),
            },
            activation_status: ActivationStatus::Activated,
        },
    );
    check_golden(
        "timeline-event",
        &TimelineEvent {
            incident_record_arn: incident().arn,
            event_id: "0b0e7f5c-0000-5000-8000-000000000002".into(),
            event_time: t0(),
            event_updated_time: t0(),
            event_type: timeline_types::INCIDENT_CREATED.into(),
            event_data: "{\"title\":\"Database outage\"}".into(),
            event_references: vec![],
        },
    );
}

#[test]
fn golden_envelopes() {
    check_golden(
        "event-incident-opened",
        &Envelope {
            message_id: "m-1".into(),
            idempotency_key: "incident-opened:6f1c1b1e".into(),
            occurred_at: t0(),
            schema_version: SCHEMA_VERSION,
            traceparent: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into()),
            account_id: ACCOUNT.into(),
            payload: Event::IncidentOpened(IncidentOpenedV1 {
                incident_arn: incident().arn,
                incident_id: "6f1c1b1e-0000-5000-8000-000000000001".into(),
                response_plan_arn: plan().arn,
                title: "Database outage".into(),
                impact: 2,
                engagements: plan().engagements,
            }),
        },
    );
    check_golden(
        "notify-send-page",
        &Envelope {
            message_id: "m-2".into(),
            idempotency_key: "page:p-1".into(),
            occurred_at: t0(),
            schema_version: SCHEMA_VERSION,
            traceparent: None,
            account_id: ACCOUNT.into(),
            payload: NotifyCommand::SendPage(SendPageV1 {
                page_arn: arn::page("us-east-1", ACCOUNT, "alice", "p-1"),
                engagement_arn: arn::engagement("us-east-1", ACCOUNT, "alice", "e-1"),
                incident_id: "6f1c1b1e".into(),
                incident_arn: incident().arn,
                contact_arn: arn::contact("us-east-1", ACCOUNT, "alice"),
                contact_channel_arn: arn::contact_channel("us-east-1", ACCOUNT, "alice", "hook"),
                channel_type: ChannelType::Webhook,
                address: "http://127.0.0.1:9000/page".into(),
                subject: "Database outage".into(),
                content: "Impact 2".into(),
                accept_code: "123456".into(),
            }),
        },
    );
}

#[test]
fn unknown_schema_version_is_reported_as_such() {
    let mut v = serde_json::to_value(Envelope {
        message_id: "m".into(),
        idempotency_key: "k".into(),
        occurred_at: t0(),
        schema_version: SCHEMA_VERSION,
        traceparent: None,
        account_id: ACCOUNT.into(),
        payload: Event::IncidentMerged(IncidentMergedV1 {
            incident_arn: "a".into(),
            incident_id: "i".into(),
            dedupe_string: "d".into(),
        }),
    })
    .unwrap();
    v["schema_version"] = 99.into();
    let err = Envelope::<Event>::decode(&serde_json::to_vec(&v).unwrap()).unwrap_err();
    assert!(
        err.to_string().contains("unsupported schema_version 99"),
        "{err}"
    );
    let err = Envelope::<Event>::decode(b"{not json").unwrap_err();
    assert!(err.to_string().starts_with("malformed message"), "{err}");
}

#[test]
fn checked_in_schemas_are_fresh() {
    let out = dir("schemas");
    let mut stale = Vec::new();
    for (name, schema) in schemas::all() {
        let path = out.join(format!("{name}.json"));
        let rendered = schemas::render(&schema);
        if bless() {
            std::fs::write(&path, &rendered).unwrap();
        }
        if std::fs::read_to_string(&path).ok().as_deref() != Some(rendered.as_str()) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "stale schemas in proto/schemas: {stale:?}; run TOCSIN_BLESS=1 cargo test -p tocsin-proto"
    );
}
