use chrono::{TimeZone, Utc};
use std::collections::BTreeMap;
use tocsin_proto::records::*;

use super::*;

const ACCT: &str = "123456789012";

fn ctx() -> Ctx {
    Ctx {
        account: ACCT.into(),
        region: "us-east-1".into(),
        now: Utc.with_ymd_and_hms(2026, 1, 1, 3, 0, 0).unwrap(),
        actor: "tocsin".into(),
    }
}

fn incident() -> IncidentRecord {
    IncidentRecord {
        arn: arn::incident_record(ACCT, "db", "i-1"),
        title: "Database".into(),
        summary: None,
        status: IncidentStatus::Open,
        impact: 2,
        creation_time: ctx().now,
        resolved_time: None,
        last_modified_time: ctx().now,
        last_modified_by: "tocsin".into(),
        dedupe_string: String::new(),
        incident_record_source: IncidentRecordSource {
            created_by: "tocsin".into(),
            invoked_by: None,
            resource_arn: None,
            source: "tocsin.native".into(),
        },
        chat_channel: None,
        notification_targets: vec![],
        response_plan_arn: arn::response_plan(ACCT, "db"),
        engagements: vec![],
        related_items: vec![],
        tags: BTreeMap::new(),
    }
}

fn channel(id: &str, status: ActivationStatus) -> ContactChannel {
    ContactChannel {
        contact_channel_arn: arn::contact_channel("us-east-1", ACCT, "alice", id),
        contact_arn: arn::contact("us-east-1", ACCT, "alice"),
        name: id.into(),
        channel_type: ChannelType::Webhook,
        delivery_address: ContactChannelAddress {
            simple_address: format!("http://127.0.0.1:1/{id}"),
        },
        activation_status: status,
    }
}

fn contact(channel_ids: &[&str]) -> Contact {
    Contact {
        contact_arn: arn::contact("us-east-1", ACCT, "alice"),
        alias: "alice".into(),
        display_name: None,
        contact_type: ContactType::Personal,
        plan: Plan {
            stages: vec![Stage {
                duration_in_minutes: 0,
                targets: channel_ids
                    .iter()
                    .map(|id| Target {
                        channel_target_info: Some(ChannelTargetInfo {
                            contact_channel_id: arn::contact_channel(
                                "us-east-1",
                                ACCT,
                                "alice",
                                id,
                            ),
                            retry_interval_in_minutes: None,
                        }),
                        contact_target_info: None,
                    })
                    .collect(),
            }],
            rotation_ids: vec![],
        },
    }
}

fn codes() -> impl FnMut() -> String {
    let mut n = 100_000;
    move || {
        n += 1;
        n.to_string()
    }
}

#[test]
fn pages_every_activated_channel_of_the_first_stage_once() {
    let c = contact(&["hook", "off", "hook", "gone"]);
    let chans = [
        channel("hook", ActivationStatus::Activated),
        channel("off", ActivationStatus::NotActivated),
    ];
    let out = engage(
        &ctx(),
        &incident(),
        "i-1",
        &c.contact_arn,
        Some(&c),
        &chans,
        &mut codes(),
    );
    assert_eq!(out.pages.len(), 1);
    assert_eq!(out.commands.len(), 1);
    assert_eq!(out.commands[0].address, "http://127.0.0.1:1/hook");
    assert_eq!(out.commands[0].accept_code, out.pages[0].accept_code);
    assert_eq!(out.timeline.len(), 1);
    assert_eq!(out.timeline[0].event_type, timeline_types::CONTACT_ENGAGED);
    let data: serde_json::Value = serde_json::from_str(&out.timeline[0].event_data).unwrap();
    assert_eq!(data["skipped"].as_array().unwrap().len(), 2, "{data}");
}

#[test]
fn ids_are_deterministic() {
    let c = contact(&["hook"]);
    let chans = [channel("hook", ActivationStatus::Activated)];
    let a = engage(
        &ctx(),
        &incident(),
        "i-1",
        &c.contact_arn,
        Some(&c),
        &chans,
        &mut codes(),
    );
    let b = engage(
        &ctx(),
        &incident(),
        "i-1",
        &c.contact_arn,
        Some(&c),
        &chans,
        &mut codes(),
    );
    assert_eq!(a.pages[0].page_arn, b.pages[0].page_arn);
    assert_eq!(a.engagement, b.engagement);
    assert_eq!(a.timeline[0].event_id, b.timeline[0].event_id);
}

#[test]
fn nothing_to_page_is_said_on_the_timeline() {
    let c = contact(&["off"]);
    let chans = [channel("off", ActivationStatus::NotActivated)];
    let out = engage(
        &ctx(),
        &incident(),
        "i-1",
        &c.contact_arn,
        Some(&c),
        &chans,
        &mut codes(),
    );
    assert!(out.pages.is_empty() && out.engagement.is_none());
    assert_eq!(
        out.timeline[0].event_type,
        timeline_types::ENGAGEMENT_FAILED
    );

    let missing = engage(
        &ctx(),
        &incident(),
        "i-1",
        &c.contact_arn,
        None,
        &[],
        &mut codes(),
    );
    assert!(missing.timeline[0].event_data.contains("does not exist"));

    let mut esc = contact(&[]);
    esc.contact_type = ContactType::Escalation;
    let out = engage(
        &ctx(),
        &incident(),
        "i-1",
        &c.contact_arn,
        Some(&esc),
        &[],
        &mut codes(),
    );
    assert_eq!(
        out.timeline[0].event_type,
        timeline_types::ENGAGEMENT_FAILED
    );
}

#[test]
fn receipts_are_recorded_once() {
    let c = contact(&["hook"]);
    let chans = [channel("hook", ActivationStatus::Activated)];
    let out = engage(
        &ctx(),
        &incident(),
        "i-1",
        &c.contact_arn,
        Some(&c),
        &chans,
        &mut codes(),
    );
    let page = &out.pages[0];
    let (p2, ev) = crate::receipt::record(
        page,
        &incident().arn,
        ReceiptType::Delivered,
        "200",
        ctx().now,
    )
    .unwrap();
    assert_eq!(p2.delivery_time, Some(ctx().now));
    assert_eq!(ev.event_type, timeline_types::PAGE_DELIVERED);
    assert!(
        crate::receipt::record(
            &p2,
            &incident().arn,
            ReceiptType::Delivered,
            "200",
            ctx().now
        )
        .is_none()
    );
}

#[test]
fn contact_alias_reads_contact_arns_only() {
    assert_eq!(
        contact_alias(&arn::contact("us-east-1", ACCT, "alice")).as_deref(),
        Some("alice")
    );
    assert_eq!(contact_alias(&arn::response_plan(ACCT, "x")), None);
}
