//! `tocsin-runbook-bench`: executions of a 5-step document with one HTTP step, started with
//! `start::manual` and driven by the executor's own timer poller (`poll::poll`, the production
//! tick), on Redis or the in-memory store; the HTTP target is an axum server in this process
//! that answers after `--delay-ms` (the step's own work).
//!
//! ```sh
//! # 1,000 executions/s for 15 s, each HTTP step 1 s long: about 1,000 in flight at once
//! tocsin-runbook-bench --backend redis --rate 1000 --duration 15 --delay-ms 1000
//! # saturation: 1,000 executions all due at the same instant, the target answering at once
//! tocsin-runbook-bench --backend redis --burst 1000
//! ```
//!
//! An execution starts when `start::manual` is called for it (in burst mode: when the poller
//! starts, all being due) and ends when the poller's pass that ended it is over (its timer
//! removed). Overhead per step = (end − start − the pass's time inside the HTTP call) ÷ 5: the
//! start, timer pick-up, store round trips, and waiting for the CPU, all included.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::{Parser, ValueEnum};
use serde_json::json;
use tocsin_bus::Bus;
use tocsin_proto::records::{IncidentRecord, RunbookStatus, kinds};
use tocsin_runbook::poll::{self, PassReport};
use tocsin_runbook::start::{self, StartRequest};
use tocsin_runbook::{Engine, RunbookConfig, docs};
use tocsin_runtime::{Backends, Context, Records, Settings};
use tocsin_store::{Expect, MemoryStore, RedisConfig, RedisStore, Store};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

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

/// Steps of the document.
const STEPS: f64 = 5.0;

/// Which store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backend {
    /// In memory.
    Memory,
    /// Redis at `TOCSIN_REDIS_URL` (default `redis://127.0.0.1:6379/0`).
    Redis,
}

/// Runbook executions through the executor's real start and poller paths.
#[derive(Debug, Parser)]
#[command(name = "tocsin-runbook-bench")]
struct Args {
    /// Store.
    #[arg(long, value_enum, default_value = "redis")]
    backend: Backend,
    /// Executions started per second.
    #[arg(long, default_value_t = 1000)]
    rate: u64,
    /// Seconds of arrivals.
    #[arg(long, default_value_t = 15)]
    duration: u64,
    /// How long the HTTP target takes to answer, ms (default 1000; 0 with --burst).
    #[arg(long)]
    delay_ms: Option<u64>,
    /// Instead of arrivals over time: this many executions all due at the same instant.
    #[arg(long)]
    burst: Option<usize>,
    /// Executions one replica drives at once (`TOCSIN_RUNBOOK_CONCURRENCY`).
    #[arg(long, default_value_t = 2000)]
    concurrency: usize,
    /// Poller tick, ms (the production default is the executor's own).
    #[arg(long)]
    tick_ms: Option<u64>,
    /// Attach each execution to an incident of its own, so its timeline events are written.
    #[arg(long)]
    incident: bool,
}

/// When each execution started and ended (ns since the run's origin, 0 = not yet), and the time
/// its passes spent in the HTTP call.
struct Runs {
    origin: Instant,
    started: Vec<AtomicU64>,
    ended: Vec<AtomicU64>,
    work: Vec<AtomicU64>,
    status: Vec<std::sync::Mutex<Option<RunbookStatus>>>,
    start_errors: AtomicUsize,
}

impl Runs {
    fn new(n: usize) -> Self {
        let zeros = || (0..n).map(|_| AtomicU64::new(0)).collect();
        Self {
            origin: Instant::now(),
            started: zeros(),
            ended: zeros(),
            work: zeros(),
            status: (0..n).map(|_| std::sync::Mutex::new(None)).collect(),
            start_errors: AtomicUsize::new(0),
        }
    }

    fn since(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.origin).as_nanos())
            .unwrap_or(u64::MAX)
            .max(1)
    }
}

fn id(i: usize) -> String {
    format!("bench-{i}")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// `VmHWM` and `VmRSS` of this process, MiB.
fn rss() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

async fn store(backend: Backend) -> anyhow::Result<Store> {
    Ok(match backend {
        Backend::Memory => Store::Memory(MemoryStore::new()),
        Backend::Redis => {
            let mut c = RedisConfig::new(
                std::env::var("TOCSIN_REDIS_URL")
                    .unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into()),
            );
            c.namespace = format!("bench-runbook-{}", std::process::id());
            Store::Redis(RedisStore::connect(c).await.context("redis")?)
        }
    })
}

/// The HTTP target: answers `{"healthy": true}` after `delay`.
async fn target(delay: Duration) -> anyhow::Result<String> {
    let app = axum::Router::new().route(
        "/check",
        axum::routing::post(move || async move {
            tokio::time::sleep(delay).await;
            axum::Json(json!({"healthy": true}))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/check", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

/// An OPEN incident `id`, for executions that write a timeline.
async fn incident(records: &Records, ctx: &Context, id: &str) -> anyhow::Result<()> {
    let account = records.account().to_string();
    let now = ctx.clock.now();
    let record: IncidentRecord = serde_json::from_value(json!({
        "arn": format!("arn:aws:ssm-incidents::{account}:incident-record/bench/{id}"),
        "title": "Bench",
        "status": "OPEN",
        "impact": 3,
        "creationTime": now,
        "lastModifiedTime": now,
        "lastModifiedBy": "bench",
        "dedupeString": "",
        "incidentRecordSource": {"createdBy": "bench", "source": "bench"},
        "responsePlanArn": format!("arn:aws:ssm-incidents::{account}:response-plan/bench"),
    }))?;
    records
        .put(kinds::INCIDENT, id, &record, Expect::Any)
        .await?;
    Ok(())
}

/// Records the pass reports until every execution has ended.
async fn collect(runs: Arc<Runs>, mut reports: mpsc::UnboundedReceiver<PassReport>, n: usize) {
    let mut ended = 0;
    while let Some(r) = reports.recv().await {
        let Some(i) = r
            .execution_id
            .strip_prefix("bench-")
            .and_then(|i| i.parse::<usize>().ok())
            .filter(|i| *i < n)
        else {
            continue;
        };
        let work = u64::try_from(r.work.as_nanos()).unwrap_or(u64::MAX);
        runs.work[i].fetch_add(work, Ordering::Relaxed);
        let Some(status) = r.status.filter(|s| s.is_terminal()) else {
            continue;
        };
        if runs.ended[i].load(Ordering::Relaxed) == 0 {
            runs.ended[i].store(runs.since(r.at), Ordering::Relaxed);
            *runs.status[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(status);
            ended += 1;
            if ended == n {
                return;
            }
        }
    }
}

/// Peak and time-weighted mean of executions in flight, the mean over `[from, to]` ns.
fn in_flight(runs: &Runs, from: u64, to: u64) -> (usize, f64) {
    let mut events: Vec<(u64, i64)> = Vec::new();
    for (s, e) in runs.started.iter().zip(&runs.ended) {
        let (s, e) = (s.load(Ordering::Relaxed), e.load(Ordering::Relaxed));
        if s != 0 {
            events.push((s, 1));
            events.push((if e == 0 { u64::MAX } else { e }, -1));
        }
    }
    events.sort_unstable();
    let (mut current, mut peak, mut area, mut previous) = (0i64, 0i64, 0f64, 0u64);
    let mut add = |current: i64, a: u64, b: u64| {
        let (a, b) = (a.max(from), b.min(to));
        if b > a {
            area += current as f64 * (b - a) as f64;
        }
    };
    for (t, d) in events {
        add(current, previous, t);
        previous = t;
        current += d;
        peak = peak.max(current);
    }
    add(current, previous, to);
    let mean = if to > from {
        area / (to - from) as f64
    } else {
        0.0
    };
    (usize::try_from(peak).unwrap_or(0), mean)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let n = match args.burst {
        Some(n) => n,
        None => usize::try_from(args.rate * args.duration)?,
    }
    .max(1);
    let default_delay = if args.burst.is_some() { 0 } else { 1000 };
    let delay = Duration::from_millis(args.delay_ms.unwrap_or(default_delay));
    let ctx = Context::new(
        Settings::default(),
        Backends {
            bus: Bus::memory(),
            store: store(args.backend).await?,
        },
    );
    let url = target(delay).await?;
    let mut config = RunbookConfig {
        http_allowlist: vec!["127.0.0.1".into()],
        concurrency: args.concurrency.max(1),
        ..RunbookConfig::default()
    };
    if let Some(ms) = args.tick_ms {
        config.tick = Duration::from_millis(ms);
    }
    let tick = config.tick;
    let (tx, rx) = mpsc::unbounded_channel();
    let engine = Engine::new(ctx.clone(), config).with_reports(tx);
    let records = ctx.records();
    docs::register(&records, "Bench", DOC, false, ctx.clock.now()).await?;
    if args.incident {
        for i in 0..n {
            incident(&records, &ctx, &id(i)).await?;
        }
    }
    let params: BTreeMap<String, serde_json::Value> = [("Url".to_string(), json!(url))].into();
    let request = Arc::new(StartRequest {
        document_name: "Bench".into(),
        parameters: params,
        executed_by: "bench".into(),
        ..StartRequest::default()
    });
    let start_one = {
        let (engine, records) = (engine.clone(), records.clone());
        let incident = args.incident;
        move |i: usize| {
            let (engine, records, request) = (engine.clone(), records.clone(), request.clone());
            async move {
                let incident = incident.then(|| id(i));
                start::manual(&engine, &records, &id(i), &request, incident.as_deref()).await
            }
        }
    };
    let load_before = load();
    let shutdown = CancellationToken::new();
    let runs = Arc::new(Runs::new(n));
    let collector = tokio::spawn(collect(runs.clone(), rx, n));

    if args.burst.is_some() {
        // All created first, each with its timer due; then the poller finds them at once.
        for i in 0..n {
            start_one(i).await?;
        }
        let at = runs.since(Instant::now());
        for s in &runs.started {
            s.store(at, Ordering::Relaxed);
        }
        tokio::spawn(poll::poll(engine.clone(), shutdown.clone()));
    } else {
        tokio::spawn(poll::poll(engine.clone(), shutdown.clone()));
        let origin = tokio::time::Instant::now();
        for i in 0..n {
            let due = origin + Duration::from_secs_f64(i as f64 / args.rate as f64);
            tokio::time::sleep_until(due).await;
            let (runs, start_one) = (runs.clone(), start_one.clone());
            // Its start is when it was due to arrive, however late the runtime gets to it.
            runs.started[i].store(runs.since(due.into_std()), Ordering::Relaxed);
            tokio::spawn(async move {
                if let Err(e) = start_one(i).await
                    && runs.start_errors.fetch_add(1, Ordering::Relaxed) == 0
                {
                    eprintln!("start failed: {e}");
                }
            });
        }
    }
    let patience = Duration::from_secs(60) + delay * 2;
    let finished = tokio::time::timeout(patience, collector).await.is_ok();
    shutdown.cancel();
    let load_after = load();
    report(
        &args,
        &runs,
        n,
        delay,
        tick,
        finished,
        (load_before, load_after),
    );
    Ok(())
}

fn report(
    args: &Args,
    runs: &Runs,
    n: usize,
    delay: Duration,
    tick: Duration,
    finished: bool,
    load: (String, String),
) {
    let at = |v: &AtomicU64| v.load(Ordering::Relaxed);
    let mut overhead = Vec::new();
    let mut http = Vec::new();
    let (mut ok, mut failed, mut open) = (0, 0, 0);
    let (mut first, mut last, mut last_start) = (u64::MAX, 0, 0);
    for i in 0..n {
        let (s, e, w) = (at(&runs.started[i]), at(&runs.ended[i]), at(&runs.work[i]));
        let status = *runs.status[i].lock().unwrap_or_else(|p| p.into_inner());
        if s != 0 {
            first = first.min(s);
            last_start = last_start.max(s);
        }
        match status {
            Some(RunbookStatus::Success) => ok += 1,
            Some(_) => failed += 1,
            None => {
                open += 1;
                continue;
            }
        }
        last = last.max(e);
        let own = e.saturating_sub(s).saturating_sub(w);
        overhead.push(own as f64 / 1e6 / STEPS);
        http.push(w as f64 / 1e6);
    }
    overhead.sort_by(f64::total_cmp);
    http.sort_by(f64::total_cmp);
    let transport: Vec<f64> = http.iter().map(|h| h - delay.as_secs_f64() * 1e3).collect();
    let wall = last.saturating_sub(first) as f64 / 1e9;
    // Arrivals: the steady state, once the first executions can have ended, until the last
    // one arrives. Burst: the whole run.
    let delay_ns = u64::try_from(delay.as_nanos()).unwrap_or(u64::MAX);
    let (from, to) = match args.burst {
        Some(_) => (first, last),
        None if first.saturating_add(delay_ns) < last_start => (first + delay_ns, last_start),
        None => (first, last_start),
    };
    let (peak, mean) = in_flight(runs, from, to);
    let (hwm, rss) = rss();
    let mode = match args.burst {
        Some(b) => format!("burst of {b}"),
        None => format!("{}/s for {} s", args.rate, args.duration),
    };
    println!(
        "backend={:?} mode={mode} executions={n} http_delay={} ms concurrency={} tick={} ms incident={}",
        args.backend,
        delay.as_millis(),
        args.concurrency,
        tick.as_millis(),
        args.incident
    );
    println!("load average before: {} / after: {}", load.0, load.1);
    println!(
        "succeeded={ok} failed={failed} unfinished={open}{} start_errors={}",
        if finished { "" } else { " (gave up waiting)" },
        runs.start_errors.load(Ordering::Relaxed)
    );
    println!(
        "wall (first start → last end) = {wall:.3} s; steps/s = {:.0}",
        ok as f64 * STEPS / wall.max(1e-9)
    );
    println!(
        "in flight: peak = {peak}, mean = {mean:.0} ({})",
        if args.burst.is_some() {
            "over the whole run"
        } else {
            "from the first start + the target's delay to the last start"
        }
    );
    println!(
        "overhead per step: p50 = {:.3} ms, p99 = {:.3} ms, max = {:.3} ms",
        percentile(&overhead, 0.5),
        percentile(&overhead, 0.99),
        overhead.last().copied().unwrap_or(0.0)
    );
    println!(
        "HTTP call (own work, excluded): p50 = {:.3} ms, p99 = {:.3} ms; beyond the target's delay: p50 = {:.3} ms, p99 = {:.3} ms",
        percentile(&http, 0.5),
        percentile(&http, 0.99),
        percentile(&transport, 0.5),
        percentile(&transport, 0.99)
    );
    println!("RSS: peak = {hwm:.0} MiB, end = {rss:.0} MiB");
}
