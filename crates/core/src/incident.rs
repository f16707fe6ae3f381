//! Opening and resolving incidents from response plans.

use serde_json::json;
use tocsin_proto::alarm::NativeAlarm;
use tocsin_proto::arn;
use tocsin_proto::records::{
    IncidentRecord, IncidentRecordSource, IncidentStatus, ResponsePlan, TimelineEvent,
    timeline_types,
};

use crate::Ctx;
use crate::ids::derive;
use crate::timeline::event;

/// Source recorded for native alarms without trigger details.
pub const NATIVE_SOURCE: &str = "tocsin.native";

/// What opening an incident writes: the record and its first timeline events, or, if an OPEN
/// incident already holds the dedupe string, the one event merged into that incident.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenIncident {
    /// Id of the incident (derived from the alarm's idempotency key).
    pub incident_id: String,
    /// The record, OPEN.
    pub record: IncidentRecord,
    /// Trigger and creation events.
    pub created_timeline: Vec<TimelineEvent>,
    /// The event appended to the open incident on a merge. Its `incidentRecordArn` is empty:
    /// the target is only known inside the atomic store operation, and readers fill it in.
    pub merged_event: TimelineEvent,
}

/// Builds the incident an alarm opens under `plan`. The alarm's title, impact and dedupe string
/// override the plan's incident template.
pub fn open_incident(
    ctx: &Ctx,
    plan: &ResponsePlan,
    alarm: &NativeAlarm,
    idempotency_key: &str,
) -> OpenIncident {
    let template = &plan.incident_template;
    let incident_id = derive(&["incident", &ctx.account, idempotency_key]);
    let incident_arn = arn::incident_record(&ctx.account, &plan.name, &incident_id);
    let title = alarm
        .title
        .clone()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| template.title.clone());
    let impact = alarm.impact.unwrap_or(template.impact);
    let dedupe = alarm
        .dedupe_string
        .clone()
        .or_else(|| template.dedupe_string.clone())
        .unwrap_or_default();
    let trigger = alarm.trigger_details.as_ref();
    let source = trigger
        .map_or(NATIVE_SOURCE, |t| t.source.as_str())
        .to_string();
    let record = IncidentRecord {
        arn: incident_arn.clone(),
        title: title.clone(),
        summary: template.summary.clone(),
        status: IncidentStatus::Open,
        impact,
        creation_time: ctx.now,
        resolved_time: None,
        last_modified_time: ctx.now,
        last_modified_by: ctx.actor.clone(),
        dedupe_string: dedupe.clone(),
        incident_record_source: IncidentRecordSource {
            created_by: ctx.actor.clone(),
            invoked_by: None,
            resource_arn: trigger.and_then(|t| t.trigger_arn.clone()),
            source: source.clone(),
        },
        chat_channel: plan.chat_channel.clone(),
        notification_targets: template.notification_targets.clone(),
        response_plan_arn: plan.arn.clone(),
        engagements: plan.engagements.clone(),
        related_items: alarm.related_items.clone(),
        tags: template.incident_tags.clone(),
    };
    let trigger_data = json!({
        "source": source,
        "triggerArn": trigger.and_then(|t| t.trigger_arn.clone()),
        "rawData": trigger.and_then(|t| t.raw_data.clone()),
    });
    let created_timeline = vec![
        event(
            &incident_arn,
            &[&incident_id, "trigger"],
            trigger.map_or(ctx.now, |t| t.timestamp),
            timeline_types::TRIGGER,
            trigger_data.clone(),
            &[],
        ),
        event(
            &incident_arn,
            &[&incident_id, "created"],
            ctx.now,
            timeline_types::INCIDENT_CREATED,
            json!({ "title": title, "impact": impact, "responsePlanArn": plan.arn, "dedupeString": dedupe }),
            &[&plan.arn],
        ),
    ];
    let merged_event = event(
        "",
        &["merged", &ctx.account, idempotency_key],
        ctx.now,
        timeline_types::INCIDENT_MERGED,
        json!({ "title": title, "impact": impact, "dedupeString": dedupe, "trigger": trigger_data }),
        &[],
    );
    OpenIncident {
        incident_id,
        record,
        created_timeline,
        merged_event,
    }
}

/// Resolves an incident: the new record and the timeline event. `None` if already resolved.
pub fn resolve(ctx: &Ctx, record: &IncidentRecord) -> Option<(IncidentRecord, TimelineEvent)> {
    if record.status == IncidentStatus::Resolved {
        return None;
    }
    let mut resolved = record.clone();
    resolved.status = IncidentStatus::Resolved;
    resolved.resolved_time = Some(ctx.now);
    resolved.last_modified_time = ctx.now;
    resolved.last_modified_by = ctx.actor.clone();
    let ev = event(
        &record.arn,
        &[&record.arn, "resolved"],
        ctx.now,
        timeline_types::INCIDENT_RESOLVED,
        json!({ "resolvedBy": ctx.actor }),
        &[],
    );
    Some((resolved, ev))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use std::collections::BTreeMap;
    use tocsin_proto::records::IncidentTemplate;

    fn ctx() -> Ctx {
        Ctx {
            account: "123456789012".into(),
            region: "us-east-1".into(),
            now: Utc.with_ymd_and_hms(2026, 1, 1, 3, 0, 0).unwrap(),
            actor: "arn:aws:iam::123456789012:role/tocsin".into(),
        }
    }

    fn plan() -> ResponsePlan {
        ResponsePlan {
            arn: arn::response_plan("123456789012", "db"),
            name: "db".into(),
            display_name: None,
            incident_template: IncidentTemplate {
                title: "Database".into(),
                impact: 3,
                summary: Some("s".into()),
                dedupe_string: Some("plan-dedupe".into()),
                incident_tags: BTreeMap::from([("team".into(), "db".into())]),
                notification_targets: vec![],
            },
            engagements: vec![arn::contact("us-east-1", "123456789012", "alice")],
            chat_channel: None,
            actions: vec![],
            integrations: vec![],
            tags: BTreeMap::new(),
            auto_resolve: false,
        }
    }

    fn alarm() -> NativeAlarm {
        NativeAlarm {
            response_plan_arn: plan().arn,
            title: None,
            impact: None,
            related_items: vec![],
            trigger_details: None,
            client_token: None,
            dedupe_string: None,
        }
    }

    #[test]
    fn the_plan_template_fills_what_the_alarm_leaves_out() {
        let o = open_incident(&ctx(), &plan(), &alarm(), "k1");
        assert_eq!(o.record.title, "Database");
        assert_eq!(o.record.impact, 3);
        assert_eq!(o.record.dedupe_string, "plan-dedupe");
        assert_eq!(o.record.status, IncidentStatus::Open);
        assert_eq!(o.record.tags.get("team").map(String::as_str), Some("db"));
        assert_eq!(o.record.incident_record_source.source, NATIVE_SOURCE);
        assert_eq!(
            o.record.arn,
            format!(
                "arn:aws:ssm-incidents::123456789012:incident-record/db/{}",
                o.incident_id
            )
        );
        let types: Vec<_> = o
            .created_timeline
            .iter()
            .map(|e| e.event_type.as_str())
            .collect();
        assert_eq!(
            types,
            [timeline_types::TRIGGER, timeline_types::INCIDENT_CREATED]
        );
    }

    #[test]
    fn the_alarm_overrides_the_template() {
        let mut a = alarm();
        a.title = Some("disk full".into());
        a.impact = Some(1);
        a.dedupe_string = Some("mine".into());
        let o = open_incident(&ctx(), &plan(), &a, "k1");
        assert_eq!(
            (
                o.record.title.as_str(),
                o.record.impact,
                o.record.dedupe_string.as_str()
            ),
            ("disk full", 1, "mine")
        );
    }

    #[test]
    fn ids_derive_from_the_idempotency_key() {
        let a = open_incident(&ctx(), &plan(), &alarm(), "k1");
        let b = open_incident(&ctx(), &plan(), &alarm(), "k1");
        let c = open_incident(&ctx(), &plan(), &alarm(), "k2");
        assert_eq!(a.incident_id, b.incident_id);
        assert_eq!(a.merged_event.event_id, b.merged_event.event_id);
        assert_ne!(a.incident_id, c.incident_id);
        assert_ne!(a.merged_event.event_id, c.merged_event.event_id);
    }

    #[test]
    fn resolving_twice_does_nothing_the_second_time() {
        let o = open_incident(&ctx(), &plan(), &alarm(), "k1");
        let (r, ev) = resolve(&ctx(), &o.record).unwrap();
        assert_eq!(r.status, IncidentStatus::Resolved);
        assert_eq!(ev.event_type, timeline_types::INCIDENT_RESOLVED);
        assert!(resolve(&ctx(), &r).is_none());
    }
}
