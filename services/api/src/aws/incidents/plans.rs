//! `CreateResponsePlan`, `GetResponsePlan`, `ListResponsePlans`, `DeleteResponsePlan`.
//! Plans are stored by name, the last segment of their ARN, where ingest and `StartIncident`
//! look them up.

use std::collections::{BTreeMap, HashMap};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};
use tocsin_core::validate::Checker;
use tocsin_proto::arn::{self, Arn};
use tocsin_proto::records::{
    ChatChannel, IncidentTemplate, NotificationTargetItem, ResponsePlan, kinds,
};
use tocsin_runtime::Records;
use tocsin_runtime::records::RecordsError;
use tocsin_store::{Expect, StoreError};

use super::{own_id, shapes, token};
use crate::auth::share::Listing;
use crate::aws::error::AwsError;
use crate::aws::wire;
use crate::aws::{AwsState, Caller};

/// `CreateResponsePlanInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateInput {
    #[serde(default)]
    actions: Vec<Value>,
    chat_channel: Option<ChatChannel>,
    #[allow(dead_code)]
    client_token: Option<String>,
    display_name: Option<String>,
    #[serde(default)]
    engagements: Vec<String>,
    incident_template: TemplateInput,
    #[serde(default)]
    integrations: Vec<Value>,
    name: String,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

/// `IncidentTemplate` with an unchecked impact.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TemplateInput {
    dedupe_string: Option<String>,
    impact: i64,
    #[serde(default)]
    incident_tags: BTreeMap<String, String>,
    #[serde(default)]
    notification_targets: Vec<NotificationTargetItem>,
    summary: Option<String>,
    title: String,
}

impl CreateInput {
    fn validate(&self) -> Result<(), AwsError> {
        let mut c = Checker::default();
        c.length(&self.name, "name", 1, 200);
        c.check(
            self.name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "name",
            "must match ^[a-zA-Z0-9-_]*$",
        );
        if let Some(d) = &self.display_name {
            c.length(d, "displayName", 0, 200);
        }
        let t = &self.incident_template;
        c.length(&t.title, "incidentTemplate.title", 0, 200);
        c.check(
            (1..=5).contains(&t.impact),
            "incidentTemplate.impact",
            format!("must be between 1 and 5, got {}", t.impact),
        );
        if let Some(s) = &t.summary {
            c.length(s, "incidentTemplate.summary", 0, 8000);
        }
        if let Some(d) = &t.dedupe_string {
            c.length(d, "incidentTemplate.dedupeString", 0, 1000);
        }
        c.check(
            t.notification_targets.len() <= 10,
            "incidentTemplate.notificationTargets",
            "at most 10 targets",
        );
        c.check(
            t.incident_tags.len() <= 50,
            "incidentTemplate.incidentTags",
            "at most 50 tags",
        );
        c.check(
            self.engagements.len() <= 5,
            "engagements",
            "at most 5 contacts",
        );
        for (i, e) in self.engagements.iter().enumerate() {
            c.check(
                Arn::parse(e).is_ok_and(|a| a.service == "ssm-contacts"),
                format!("engagements[{i}]"),
                "must be an ssm-contacts ARN",
            );
        }
        c.check(self.actions.len() <= 1, "actions", "at most 1 action");
        c.check(
            self.integrations.len() <= 1,
            "integrations",
            "at most 1 integration",
        );
        c.check(self.tags.len() <= 50, "tags", "at most 50 tags");
        Ok(c.finish()?)
    }
}

/// `POST /createResponsePlan` (201). Creating the same plan again (an SDK retry) answers the
/// same; a different plan under an existing name is a `ConflictException`.
#[tracing::instrument(name = "CreateResponsePlan", skip_all)]
pub async fn create_response_plan(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), AwsError> {
    let input: CreateInput = wire::body(&body)?;
    input.validate()?;
    let t = input.incident_template;
    let plan = ResponsePlan {
        arn: arn::response_plan(&caller.account, &input.name),
        name: input.name,
        display_name: input.display_name,
        incident_template: IncidentTemplate {
            title: t.title,
            impact: t.impact as u8,
            summary: t.summary,
            dedupe_string: t.dedupe_string,
            incident_tags: t.incident_tags,
            notification_targets: t.notification_targets,
        },
        engagements: input.engagements,
        chat_channel: input.chat_channel,
        actions: input.actions,
        integrations: input.integrations,
        tags: input.tags,
        auto_resolve: false,
    };
    let records = caller.records(&s.ctx);
    match records
        .put(kinds::RESPONSE_PLAN, &plan.name, &plan, Expect::Absent)
        .await
    {
        Ok(_) => {}
        Err(RecordsError::Store(StoreError::Conflict { .. })) => {
            let existing = records.response_plan(&plan.arn).await?;
            if existing.as_ref() != Some(&plan) {
                return Err(AwsError::conflict(format!(
                    "response plan {} already exists",
                    plan.name
                )));
            }
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(name = %plan.name, "Response plan created.");
    Ok((StatusCode::CREATED, Json(json!({ "arn": plan.arn }))))
}

/// `GET /getResponsePlan?arn=`.
#[tracing::instrument(name = "GetResponsePlan", skip_all)]
pub async fn get_response_plan(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, AwsError> {
    let arn = q
        .get("arn")
        .ok_or_else(|| AwsError::validation("arn: is required"))?;
    own_id(&caller, "arn", arn, "response-plan")?;
    match caller.records(&s.ctx).response_plan(arn).await? {
        Some(p) if p.arn == *arn => Ok(Json(shapes::response_plan(&p))),
        _ => Err(AwsError::not_found("response plan", arn)),
    }
}

/// `POST /listResponsePlans`: the caller's plans and those other accounts share with it, by ARN
/// (the owner's account is in each ARN, the only mark of a shared plan, as in AWS).
#[tracing::instrument(name = "ListResponsePlans", skip_all)]
pub async fn list_response_plans(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Json<Value>, AwsError> {
    let input: wire::PageInput = wire::body(&body)?;
    let max = wire::max_results(input.max_results)?;
    let mut plans: Vec<ResponsePlan> = caller.records(&s.ctx).list(kinds::RESPONSE_PLAN).await?;
    for (holder, arn) in caller.shared(&s.ctx, Listing::Plans).await? {
        let owner = Records::new(s.ctx.store.clone(), holder.account());
        plans.extend(owner.response_plan(&arn).await?);
    }
    plans.sort_by(|a, b| a.arn.cmp(&b.arn));
    let (page, next) = token::page(
        &s,
        &caller,
        "ListResponsePlans",
        plans,
        |p| p.arn.clone(),
        input.next_token.as_deref(),
        max,
    )
    .await?;
    let summaries: Vec<Value> = page.iter().map(shapes::plan_summary).collect();
    let mut out = json!({ "responsePlanSummaries": summaries });
    if let Some(n) = next {
        out["nextToken"] = json!(n);
    }
    Ok(Json(out))
}

/// `DeleteResponsePlanInput`.
#[derive(Debug, Deserialize)]
struct DeleteInput {
    arn: String,
}

/// `POST /deleteResponsePlan` (204, also when the plan was already gone). Incidents it opened
/// keep their records.
#[tracing::instrument(name = "DeleteResponsePlan", skip_all)]
pub async fn delete_response_plan(
    State(s): State<AwsState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<StatusCode, AwsError> {
    let input: DeleteInput = wire::body(&body)?;
    if let Some(name) = own_id(&caller, "arn", &input.arn, "response-plan")? {
        let deleted = s
            .ctx
            .store
            .delete(&caller.account, kinds::RESPONSE_PLAN, &name)
            .await?;
        super::policies::forget(&s, &caller, &name).await?;
        tracing::info!(%name, deleted, "Response plan deleted.");
    }
    Ok(StatusCode::NO_CONTENT)
}
