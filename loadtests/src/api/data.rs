//! The data of the `api` scenario: the incidents written before the cases run, and the
//! filtered listing the listing cases ask for.

use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, TimeDelta, Utc};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tocsin_core::Ctx;
use tocsin_core::incident::open_incident;
use tocsin_proto::alarm::NativeAlarm;
use tocsin_runtime::Context;
use tocsin_runtime::records::timeline_entry;
use tocsin_store::CreateIncident;

use super::PAGE;

/// The filtered listing: impact 1, created between 60 and 10 days before `now`.
pub fn list_body(now: DateTime<Utc>, token: Option<&str>) -> Value {
    let epoch = |days: i64| (now - TimeDelta::days(days)).timestamp() as f64;
    let mut body = json!({
        "maxResults": PAGE,
        "filters": [
            {"key": "impact", "condition": {"equals": {"integerValues": [1]}}},
            {"key": "creationTime", "condition": {"after": epoch(60)}},
            {"key": "creationTime", "condition": {"before": epoch(10)}},
        ],
    });
    if let Some(t) = token {
        body["nextToken"] = json!(t);
    }
    body
}

/// Writes `n` incidents of `plan_arn`, created evenly over the 100 days before `now`, impact
/// cycling 1–5, through the store's atomic create (64 at a time). Returns their ARNs.
pub async fn preload(
    ctx: &Context,
    plan_arn: &str,
    n: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<String>> {
    let records = ctx.records();
    let plan = records
        .response_plan(plan_arn)
        .await?
        .context("the plan just created")?;
    let account = ctx.settings.account_id.clone();
    let step = TimeDelta::days(100).num_milliseconds() / n.max(1) as i64;
    let results: Vec<anyhow::Result<String>> = futures_util::stream::iter(0..n)
        .map(|i| {
            let (store, plan, account) = (ctx.store.clone(), &plan, account.clone());
            async move {
                let c = Ctx {
                    account: account.clone(),
                    region: "us-east-1".into(),
                    now: now - TimeDelta::milliseconds(step * i as i64 + 1),
                    actor: "arn:aws:iam::123456789012:user/load".into(),
                };
                let alarm = NativeAlarm {
                    response_plan_arn: plan.arn.clone(),
                    title: Some(format!("load incident {i}")),
                    impact: Some(1 + (i % 5) as u8),
                    related_items: Vec::new(),
                    trigger_details: None,
                    client_token: None,
                    dedupe_string: None,
                };
                let key = format!("load-preload-{i}");
                let opened = open_incident(&c, plan, &alarm, &key);
                let request = CreateIncident {
                    account,
                    incident_id: opened.incident_id.clone(),
                    dedupe: String::new(),
                    idempotency_key: key,
                    idempotency_ttl: Duration::from_secs(3600),
                    record: serde_json::to_string(&opened.record)?,
                    created_timeline: opened.created_timeline.iter().map(timeline_entry).collect(),
                    merged_timeline: timeline_entry(&opened.merged_event),
                };
                store.create_incident(&request).await?;
                Ok(opened.record.arn)
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    results.into_iter().collect()
}
