//! Tocsin's native alarm (routing key `native`): [`NativeAlarm`], validated by
//! [`crate::alarm::validate_native`]. It names its response plan, and its title, impact, dedupe
//! string and related items pass through unchanged; without trigger details it gets the
//! [`NATIVE_SOURCE`] source and the arrival time.

use serde_json::Value;
use tocsin_proto::alarm::NativeAlarm;
use tocsin_proto::records::TriggerDetails;

use super::json;
use super::{Action, Format, FormatError, Normalized, ParseCtx, PlanRef};
use crate::alarm::validate_native;
use crate::incident::NATIVE_SOURCE;

pub(super) fn parse(body: Value, ctx: &ParseCtx) -> Result<Normalized, FormatError> {
    let alarm: NativeAlarm = serde_json::from_value(body.clone()).map_err(|e| {
        let message = e.to_string();
        // serde names the field between backticks: "missing field `responsePlanArn`".
        let field = message
            .split('`')
            .nth(1)
            .unwrap_or("(document)")
            .to_string();
        json::schema_error(Format::Native, &field, message)
    })?;
    validate_native(&alarm, &ctx.account).map_err(|errors| FormatError::Schema {
        format: Format::Native,
        errors,
    })?;
    let trigger = alarm.trigger_details.unwrap_or_else(|| TriggerDetails {
        source: NATIVE_SOURCE.into(),
        timestamp: ctx.received_at,
        trigger_arn: None,
        raw_data: Some(json::raw_data(&body)),
    });
    Ok(Normalized {
        format: Format::Native,
        action: Action::Trigger,
        plan: PlanRef::Arn(alarm.response_plan_arn),
        title: alarm.title.unwrap_or_default(),
        impact: alarm.impact,
        dedupe: alarm.dedupe_string,
        auto_dedupe: None,
        related_items: alarm.related_items,
        trigger,
        client_token: alarm.client_token,
        event: body,
    })
}
