//! The `parts` case: the backend steps of `StartIncident` and of the audit log alone, on the
//! same open-loop schedule and the same connections as the API, to say where an operation's
//! time goes: the confirmed publish of `incident.opened`, the store's atomic create, and one
//! audit stream append.

use std::sync::Arc;

use tocsin_core::clock::Clock;
use tocsin_proto::messages::{Event, IncidentOpenedV1};
use tocsin_runtime::publish::{self, Meta};
use tocsin_runtime::{Context, SystemClock};
use tocsin_store::CreateIncident;

use super::open_loop::{self, Measured};

/// Runs the three steps one after the other, `count` each at `rate`.
pub async fn run(ctx: &Context, rate: f64, count: usize) -> Vec<(&'static str, Measured)> {
    let ctx = Arc::new(ctx.clone());
    let account = ctx.settings.account_id.clone();
    let run_id = format!("{:016x}", rand::random::<u64>());
    let mut out = Vec::new();
    let m = open_loop::run(rate, count, |i| {
        let (ctx, account, run_id) = (ctx.clone(), account.clone(), run_id.clone());
        async move {
            let event = Event::IncidentOpened(IncidentOpenedV1 {
                incident_arn: format!("arn:aws:ssm-incidents::{account}:incident-record/load/p{i}"),
                incident_id: format!("p{i}"),
                response_plan_arn: format!("arn:aws:ssm-incidents::{account}:response-plan/load"),
                title: "parts".into(),
                impact: 3,
                engagements: Vec::new(),
            });
            let key = format!("parts:{run_id}:{i}");
            let meta = Meta {
                account: &account,
                idempotency_key: &key,
                now: SystemClock.now(),
            };
            publish::event(&ctx.bus, &meta, event)
                .await
                .map_err(|e| e.to_string())
        }
    })
    .await;
    out.push(("parts: confirmed publish of incident.opened", m));
    let m = open_loop::run(rate, count, |i| {
        let (ctx, account, run_id) = (ctx.clone(), account.clone(), run_id.clone());
        async move {
            let now = SystemClock.now();
            let entry = |id: &str| tocsin_store::TimelineEntry {
                id: id.to_owned(),
                time_ms: now.timestamp_millis(),
                data: "{}".into(),
            };
            let request = CreateIncident {
                account,
                incident_id: format!("parts-{run_id}-{i}"),
                dedupe: String::new(),
                idempotency_key: format!("parts:{run_id}:{i}"),
                idempotency_ttl: std::time::Duration::from_secs(3600),
                record: serde_json::json!({"status": "OPEN", "impact": 3, "creationTime": now.timestamp()}).to_string(),
                created_timeline: vec![entry("created")],
                merged_timeline: entry("merged"),
            };
            ctx.store.create_incident(&request).await.map(|_| ()).map_err(|e| e.to_string())
        }
    })
    .await;
    out.push(("parts: store create_incident", m));
    let m = open_loop::run(rate, count, |i| {
        let (ctx, account) = (ctx.clone(), account.clone());
        async move {
            let event = format!(
                "{{\"eventName\":\"Parts\",\"n\":{i},\"pad\":\"{}\"}}",
                "x".repeat(600)
            );
            let at = SystemClock.now().timestamp_millis();
            ctx.store
                .append_audit(&account, at, &event, 100_000)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
    })
    .await;
    out.push(("parts: audit stream append", m));
    out
}
