//! `tocsin-runbook-bench`: N concurrent executions of a 5-step document with one HTTP step,
//! each driven by its own task (as the timer poller does) on the in-memory store or Redis; prints steps/s and
//! the executor's overhead per step (p50/p99), the HTTP step's own time excluded.
//!
//! ```sh
//! cargo run --release -p tocsin-runbook --bin tocsin-runbook-bench -- [N] [memory|redis] [CONCURRENCY]
//! ```
//!
//! Overhead of one execution = (wall time of its pass, all 5 steps) − (time inside the HTTP call
//! itself), divided by its 5 steps: loading, deciding, substituting, persisting (compare-and-set
//! per step), claiming the attempt and recording its result. The HTTP target is an axum server
//! on loopback answering JSON, in the same process.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::json;
use std::cell::Cell;
use tocsin_bus::Bus;
use tocsin_proto::records::{RunbookExecution, runbook_kinds};
use tocsin_runbook::start::{self, StartRequest};
use tocsin_runbook::{Engine, RunbookConfig, docs};
use tocsin_runtime::{Backends, Context, Settings};
use tocsin_store::{MemoryStore, RedisConfig, RedisStore, Store};

use tocsin_runbook::core::Input;
use tocsin_runbook::drive::WORK_TIME;

const DOC: &str = r#"
schemaVersion: '0.3'
parameters:
  Url: {type: String}
mainSteps:
  - name: Prepare
    action: aws:sleep
    inputs: {Duration: PT0S}
  - name: Call
    action: tocsin:http
    inputs: {Url: '{{ Url }}', Method: POST, Body: {execution: '{{ automation:EXECUTION_ID }}'}}
    outputs:
      - {Name: Healthy, Selector: $.Payload.healthy, Type: Boolean}
  - name: Check
    action: aws:branch
    inputs:
      Choices:
        - {NextStep: Record, Variable: '{{ Call.Healthy }}', BooleanEquals: true}
      Default: Record
  - name: Record
    action: aws:sleep
    inputs: {Duration: PT0S}
  - name: Finish
    action: aws:sleep
    isEnd: true
    inputs: {Duration: PT0S}
"#;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1000);
    let backend = args.next().unwrap_or_else(|| "memory".into());
    let concurrency: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(n)
        .max(1);
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(concurrency));
    let store = match backend.as_str() {
        "memory" => Store::Memory(MemoryStore::new()),
        "redis" => {
            let mut c = RedisConfig::new(
                std::env::var("TOCSIN_REDIS_URL")
                    .unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into()),
            );
            c.namespace = format!("bench-runbook-{}", std::process::id());
            c.pool_size = 32;
            Store::Redis(RedisStore::connect(c).await.context("redis")?)
        }
        other => anyhow::bail!("backend {other:?}: memory or redis"),
    };
    // The HTTP target.
    let app = axum::Router::new().route(
        "/check",
        axum::routing::post(|| async { axum::Json(json!({"healthy": true})) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/check", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let ctx = Context::new(
        Settings::default(),
        Backends {
            bus: Bus::memory(),
            store,
        },
    );
    let config = RunbookConfig {
        http_allowlist: vec!["127.0.0.1".into()],
        concurrency: n.max(1),
        tick: Duration::from_millis(5),
        ..RunbookConfig::default()
    };
    let engine = Engine::new(ctx.clone(), config);
    let records = ctx.records();
    docs::register(&records, "Bench", DOC, false, ctx.clock.now()).await?;

    // Executions created first (each with its timer due now), then one executor drives them.
    let params: BTreeMap<String, serde_json::Value> = [("Url".to_string(), json!(url))].into();
    for i in 0..n {
        let req = StartRequest {
            document_name: "Bench".into(),
            parameters: params.clone(),
            executed_by: "bench".into(),
            ..StartRequest::default()
        };
        start::manual(&engine, &records, &format!("bench-{i}"), &req, None).await?;
    }
    // Each execution driven by its own task, as the poller would, all at once; the task
    // measures its pass and the time spent in the HTTP call itself.
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let (engine, records) = (engine.clone(), records.clone());
        let permits = permits.clone();
        tasks.spawn(WORK_TIME.scope(Cell::new(Duration::ZERO), async move {
            let _permit = permits.acquire_owned().await;
            let t = Instant::now();
            let r = engine
                .drive(&records, &format!("bench-{i}"), Input::Tick, true)
                .await;
            let work = WORK_TIME.with(Cell::get);
            (r.err().map(|e| e.to_string()), t.elapsed(), work)
        }));
    }
    let mut overhead = Vec::new();
    let mut http = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (err, total, work) = joined?;
        if let Some(e) = err {
            errors.push(e);
        }
        overhead.push((total.as_secs_f64() - work.as_secs_f64()) * 1000.0 / 5.0);
        http.push(work.as_secs_f64() * 1000.0);
    }
    let wall = started.elapsed().as_secs_f64();
    let done: Vec<RunbookExecution> = records.list(runbook_kinds::EXECUTION).await?;
    let ok = done
        .iter()
        .filter(|e| e.automation_execution_status.as_str() == "Success")
        .count();
    overhead.sort_by(f64::total_cmp);
    http.sort_by(f64::total_cmp);
    let mut why: Vec<String> = done
        .iter()
        .filter_map(|e| e.failure_message.clone())
        .collect();
    why.sort();
    why.dedup();
    if let Some(e) = errors.first() {
        println!(
            "passes that failed (an executor retries them at the timer's next firing): {} — first: {e}",
            errors.len()
        );
    }
    for w in why.iter().take(3) {
        println!("failure: {w}");
    }
    let steps = 5 * ok;
    println!("backend={backend} executions={n} succeeded={ok} steps={steps}");
    println!(
        "concurrency={concurrency} wall = {wall:.3} s; steps/s = {:.0}",
        steps as f64 / wall
    );
    println!(
        "overhead per step: p50 = {:.3} ms, p99 = {:.3} ms, max = {:.3} ms",
        percentile(&overhead, 0.5),
        percentile(&overhead, 0.99),
        overhead.last().copied().unwrap_or(0.0)
    );
    println!(
        "HTTP call itself: p50 = {:.3} ms, p99 = {:.3} ms",
        percentile(&http, 0.5),
        percentile(&http, 0.99)
    );
    Ok(())
}
