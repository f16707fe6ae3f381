//! `notify`: the real notifier (`tocsin_notifier::run`, 1 or more replicas, each on its own
//! broker connection and Redis pool) delivering `page.send` commands to a local webhook sink.
//! Reports deliveries/s, the publish-to-sink latency (p50/p99: broker hop, claim, attempt
//! marker, HTTP call, record), duplicates at the sink, and RSS (one process holds the
//! generator, the sink and the replicas).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use futures_util::StreamExt;
use tocsin_proto::messages::{NotifyCommand, SendPageV1};
use tocsin_proto::records::ChannelType;
use tocsin_runtime::publish::{self, Meta};
use tocsin_runtime::{Backends, Context};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::NotifyArgs;
use crate::env::Env;
use crate::report::Report;
use crate::stats::Summary;

/// Arrival times at the sink, by page index (nanoseconds since the start; 0 = not yet).
struct Sink {
    start: Instant,
    arrived: Vec<AtomicU64>,
    received: AtomicUsize,
    duplicates: AtomicUsize,
}

async fn receive(State(sink): State<Arc<Sink>>, headers: HeaderMap) -> StatusCode {
    let at = sink.start.elapsed().as_nanos() as u64;
    sink.received.fetch_add(1, Ordering::Relaxed);
    let index = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|id| id.strip_prefix("load-"))
        .and_then(|i| i.parse::<usize>().ok());
    if let Some(slot) = index.and_then(|i| sink.arrived.get(i))
        && slot.swap(at.max(1), Ordering::Relaxed) != 0
    {
        sink.duplicates.fetch_add(1, Ordering::Relaxed);
    }
    StatusCode::NO_CONTENT
}

fn page(account: &str, i: usize, url: &str) -> SendPageV1 {
    SendPageV1 {
        page_arn: format!("arn:aws:ssm-contacts:us-east-1:{account}:page/load/load-{i}"),
        engagement_arn: format!("arn:aws:ssm-contacts:us-east-1:{account}:engagement/load/e"),
        incident_id: String::new(),
        incident_arn: String::new(),
        contact_arn: format!("arn:aws:ssm-contacts:us-east-1:{account}:contact/load"),
        contact_channel_arn: format!(
            "arn:aws:ssm-contacts:us-east-1:{account}:contact-channel/load/c{}",
            i % 100
        ),
        channel_type: ChannelType::Webhook,
        address: url.to_string(),
        subject: "Load".into(),
        content: "Load test page.".into(),
        accept_code: "123456".into(),
    }
}

/// Runs the scenario.
pub async fn run(args: &NotifyArgs) -> anyhow::Result<()> {
    let mut env = Env::create(args.prefetch).await?;
    env.settings.notifier_concurrency = usize::from(args.prefetch);
    let account = env.settings.account_id.clone();
    let sink = Arc::new(Sink {
        start: Instant::now(),
        arrived: (0..args.pages).map(|_| AtomicU64::new(0)).collect(),
        received: AtomicUsize::new(0),
        duplicates: AtomicUsize::new(0),
    });
    let app = Router::new()
        .route("/sink", post(receive))
        .with_state(sink.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/sink", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let token = CancellationToken::new();
    let mut replicas = Vec::new();
    for _ in 0..args.replicas {
        let backends = Backends::connect(&env.settings).await?;
        let ctx = Context::new(env.settings.clone(), backends);
        replicas.push((
            tokio::spawn(tocsin_notifier::run(ctx.clone(), token.clone())),
            ctx.bus,
        ));
    }
    let bus = env.bus("tocsin-load-publisher").await?;
    let published: Arc<Vec<AtomicU64>> =
        Arc::new((0..args.pages).map(|_| AtomicU64::new(0)).collect());
    let gap = args.rate.map(|r| Duration::from_secs_f64(1.0 / r));
    let begin = Instant::now();
    let errors = AtomicUsize::new(0);
    futures_util::stream::iter(0..args.pages)
        .map(|i| {
            let (bus, sink, published, account, url) = (
                bus.clone(),
                sink.clone(),
                published.clone(),
                account.clone(),
                url.clone(),
            );
            let errors = &errors;
            async move {
                if let Some(gap) = gap {
                    tokio::time::sleep_until(begin + gap.mul_f64(i as f64)).await;
                }
                let p = page(&account, i, &url);
                let key = format!("send:{}", p.page_arn);
                let meta = Meta {
                    account: &account,
                    idempotency_key: &key,
                    now: chrono::DateTime::UNIX_EPOCH,
                };
                published[i].store(sink.start.elapsed().as_nanos() as u64, Ordering::Relaxed);
                if publish::command(&bus, &meta, NotifyCommand::SendPage(p))
                    .await
                    .is_err()
                {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
        .buffer_unordered(args.inflight)
        .collect::<()>()
        .await;
    let deadline = Instant::now() + Duration::from_secs(args.timeout_secs);
    let arrived = |s: &Sink| {
        s.arrived
            .iter()
            .filter(|a| a.load(Ordering::Relaxed) != 0)
            .count()
    };
    while arrived(&sink) < args.pages && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let delivered = arrived(&sink);
    let first = published
        .iter()
        .map(|p| p.load(Ordering::Relaxed))
        .filter(|p| *p != 0)
        .min()
        .unwrap_or(0);
    let last = sink
        .arrived
        .iter()
        .map(|a| a.load(Ordering::Relaxed))
        .max()
        .unwrap_or(0);
    let span = Duration::from_nanos(last.saturating_sub(first));
    let latencies: Vec<f64> = (0..args.pages)
        .filter_map(|i| {
            let (p, a) = (
                published[i].load(Ordering::Relaxed),
                sink.arrived[i].load(Ordering::Relaxed),
            );
            (a != 0).then(|| a.saturating_sub(p) as f64 / 1e6)
        })
        .collect();
    token.cancel();
    for (task, bus) in replicas {
        let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        bus.close().await;
    }
    bus.close().await;
    let (rss, peak) = crate::stats::rss_mib();
    let lat = Summary::of(latencies);

    let pace = args
        .rate
        .map_or("as fast as confirms allow".to_string(), |r| {
            format!("{r}/s")
        });
    let mut report = Report::new(format!(
        "notify: {} pages to a local webhook sink, {} replica(s), prefetch {}, publish {pace}",
        args.pages, args.replicas, args.prefetch
    ));
    report.row(
        "deliveries/s (first publish to last arrival)",
        format!("{:.0}", delivered as f64 / span.as_secs_f64().max(1e-9)),
    );
    report.row(
        "delivered / published",
        format!("{delivered} / {}", args.pages),
    );
    report.row(
        "publish-to-sink latency p50 / p99 / max (ms)",
        format!("{:.1} / {:.1} / {:.1}", lat.p50, lat.p99, lat.max),
    );
    report.row(
        "requests at the sink / duplicates",
        format!(
            "{} / {}",
            sink.received.load(Ordering::Relaxed),
            sink.duplicates.load(Ordering::Relaxed)
        ),
    );
    report.row("publish errors", errors.load(Ordering::Relaxed));
    report.row(
        "RSS at end / peak (MiB, whole process: generator, sink, replicas)",
        format!("{rss:.0} / {peak:.0}"),
    );
    report.emit(args.out.as_deref())?;
    anyhow::ensure!(
        delivered == args.pages,
        "{delivered} of {} pages delivered",
        args.pages
    );
    Ok(())
}
