//! EventBridge events of any source (EventBridge User Guide, "Amazon EventBridge events"):
//! `version`, `id`, `detail-type`, `source`, `account`, `time`, `region`, `resources`, `detail`.
//!
//! - CloudWatch alarm state changes are handed to the `cloudwatch` parser.
//! - Otherwise the event triggers; its title is the `detail-type`, its automatic dedupe key the
//!   event `id` (each event is its own incident unless a plan or rule sets a dedupe string;
//!   an `id` over 1,000 characters is replaced by `eventbridge-sha256:<hex>`), its
//!   trigger source the event `source`, its time `time`.
//! - Each `resources` entry that is an ARN becomes an `INVOLVED_RESOURCE` item.
//! - The trigger ARN is left empty: it is the ARN of the rule that matched, which the service
//!   knows and the event does not.

use serde_json::Value;
use tocsin_proto::records::TriggerDetails;

use super::json::{self, Reader};
use super::{Action, Format, FormatError, Normalized, ParseCtx, PlanRef, cloudwatch};

pub(super) fn parse(event: Value, ctx: &ParseCtx) -> Result<Normalized, FormatError> {
    if cloudwatch::is_alarm_event(&event) {
        return cloudwatch::parse(event, ctx);
    }
    let mut r = Reader::new(&event);
    let id = r.required("id");
    let source = r.required("source");
    let detail_type = r.required("detail-type");
    let time = r.optional("time");
    let resources = match event.get("resources") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| match v.as_str() {
                Some(s) => Some(s),
                None => r.fail(&format!("resources[{i}]"), "must be a string"),
            })
            .collect(),
        Some(_) => r
            .fail("resources", "must be an array of ARNs")
            .unwrap_or_default(),
    };
    r.check(
        event.get("detail").is_none_or(Value::is_object),
        "detail",
        "must be an object",
    );
    let timestamp = match time {
        Some(t) => json::timestamp(t).or_else(|| r.fail("time", "must be an RFC 3339 timestamp")),
        None => None,
    };
    r.finish(Format::EventBridge)?;
    let (Some(id), Some(source), Some(detail_type)) = (id, source, detail_type) else {
        // `finish` refused the event if any was missing.
        return Err(json::schema_error(Format::EventBridge, "id", "required"));
    };
    let mut related_items = Vec::new();
    for arn in &resources {
        json::push_item(&mut related_items, json::arn_item(arn, None));
    }
    Ok(Normalized {
        format: Format::EventBridge,
        action: Action::Trigger,
        plan: PlanRef::None,
        title: detail_type.to_string(),
        impact: None,
        dedupe: None,
        auto_dedupe: Some(json::dedupe("eventbridge", id)),
        related_items,
        trigger: TriggerDetails {
            source: json::source(source),
            timestamp: timestamp.unwrap_or(ctx.received_at),
            trigger_arn: None,
            raw_data: Some(json::raw_data(&event)),
        },
        client_token: None,
        event,
    })
}
