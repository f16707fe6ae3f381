//! `UpdateResponsePlan`: each member given replaces the plan's (the incident template's
//! members arrive flattened as `incidentTemplate*`); the rest stay. Written compare-and-set on
//! the plan's version, so two concurrent edits never lose one another.

use std::collections::BTreeMap;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;
use tocsin_core::validate::Checker;
use tocsin_proto::arn::Arn;
use tocsin_proto::records::{ChatChannel, NotificationTargetItem, ResponsePlan, kinds};
use tocsin_runtime::records::RecordsError;
use tocsin_store::{Expect, StoreError};

use super::{check, own_id};
use crate::aws::error::AwsError;
use crate::aws::wire;
use crate::aws::{AwsState, Caller};

/// Compare-and-set attempts before answering `ConflictException`.
const ATTEMPTS: usize = 5;

/// `UpdateResponsePlanInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateInput {
    actions: Option<Vec<Value>>,
    arn: String,
    chat_channel: Option<ChatChannel>,
    client_token: Option<String>,
    display_name: Option<String>,
    engagements: Option<Vec<String>>,
    incident_template_dedupe_string: Option<String>,
    incident_template_impact: Option<i64>,
    incident_template_notification_targets: Option<Vec<NotificationTargetItem>>,
    incident_template_summary: Option<String>,
    incident_template_tags: Option<BTreeMap<String, String>>,
    incident_template_title: Option<String>,
    integrations: Option<Vec<Value>>,
}

impl UpdateInput {
    fn validate(&self) -> Result<(), AwsError> {
        let mut c = Checker::default();
        check::arn(&mut c, &self.arn, "arn");
        check::client_token(&mut c, self.client_token.as_deref());
        if let Some(d) = &self.display_name {
            c.length(d, "displayName", 0, 200);
        }
        if let Some(t) = &self.incident_template_title {
            c.length(t, "incidentTemplateTitle", 0, 200);
        }
        if let Some(sm) = &self.incident_template_summary {
            c.length(sm, "incidentTemplateSummary", 0, 8000);
        }
        if let Some(d) = &self.incident_template_dedupe_string {
            c.length(d, "incidentTemplateDedupeString", 0, 1000);
        }
        if let Some(i) = self.incident_template_impact {
            c.check(
                (1..=5).contains(&i),
                "incidentTemplateImpact",
                format!("must be between 1 and 5, got {i}"),
            );
        }
        if let Some(n) = &self.incident_template_notification_targets {
            c.check(
                n.len() <= 10,
                "incidentTemplateNotificationTargets",
                "at most 10 targets",
            );
        }
        if let Some(t) = &self.incident_template_tags {
            check::tags(&mut c, t, "incidentTemplateTags", 50);
        }
        if let Some(e) = &self.engagements {
            c.check(e.len() <= 5, "engagements", "at most 5 contacts");
            for (i, a) in e.iter().enumerate() {
                c.check(
                    Arn::parse(a).is_ok_and(|a| a.service == "ssm-contacts"),
                    format!("engagements[{i}]"),
                    "must be an ssm-contacts ARN",
                );
            }
        }
        if let Some(a) = &self.actions {
            c.check(a.len() <= 1, "actions", "at most 1 action");
        }
        if let Some(i) = &self.integrations {
            c.check(i.len() <= 1, "integrations", "at most 1 integration");
        }
        if let Some(ch) = &self.chat_channel {
            c.check(
                ch.chatbot_sns.is_some() != ch.empty.is_some(),
                "chatChannel",
                "exactly one of chatbotSns, empty",
            );
            if let Some(topics) = &ch.chatbot_sns {
                c.check(
                    (1..=5).contains(&topics.len()),
                    "chatChannel.chatbotSns",
                    "1 to 5 SNS topic ARNs",
                );
            }
        }
        Ok(c.finish()?)
    }

    /// The plan with this update applied.
    fn apply(&self, mut p: ResponsePlan) -> ResponsePlan {
        if let Some(d) = &self.display_name {
            p.display_name = Some(d.clone()).filter(|d| !d.is_empty());
        }
        let t = &mut p.incident_template;
        if let Some(v) = &self.incident_template_title {
            t.title.clone_from(v);
        }
        if let Some(v) = self.incident_template_impact {
            t.impact = v as u8;
        }
        if let Some(v) = &self.incident_template_summary {
            t.summary = Some(v.clone()).filter(|v| !v.is_empty());
        }
        if let Some(v) = &self.incident_template_dedupe_string {
            t.dedupe_string = Some(v.clone()).filter(|v| !v.is_empty());
        }
        if let Some(v) = &self.incident_template_notification_targets {
            t.notification_targets.clone_from(v);
        }
        if let Some(v) = &self.incident_template_tags {
            t.incident_tags.clone_from(v);
        }
        if let Some(v) = &self.chat_channel {
            p.chat_channel = Some(v.clone());
        }
        if let Some(v) = &self.engagements {
            p.engagements.clone_from(v);
        }
        if let Some(v) = &self.actions {
            p.actions.clone_from(v);
        }
        if let Some(v) = &self.integrations {
            p.integrations.clone_from(v);
        }
        p
    }
}

/// `POST /updateResponsePlan` (204).
#[tracing::instrument(name = "UpdateResponsePlan", skip_all)]
pub async fn update_response_plan(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<StatusCode, AwsError> {
    let input: UpdateInput = wire::body(&body)?;
    input.validate()?;
    let missing = || AwsError::not_found("response plan", &input.arn);
    let name = own_id(&caller, "arn", &input.arn, "response-plan")?.ok_or_else(missing)?;
    let records = caller.records(&s.ctx);
    for _ in 0..ATTEMPTS {
        let Some((plan, version)) = records
            .get::<ResponsePlan>(kinds::RESPONSE_PLAN, &name)
            .await?
            .filter(|(p, _)| p.arn == input.arn)
        else {
            return Err(missing());
        };
        let next = input.apply(plan.clone());
        if next == plan {
            return Ok(StatusCode::NO_CONTENT);
        }
        match records
            .put(kinds::RESPONSE_PLAN, &name, &next, Expect::Version(version))
            .await
        {
            Ok(_) => {
                tracing::info!(%name, "Response plan updated.");
                return Ok(StatusCode::NO_CONTENT);
            }
            Err(RecordsError::Store(StoreError::Conflict { .. })) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AwsError::conflict(format!(
        "response plan {} kept changing; retry",
        input.arn
    )))
}
