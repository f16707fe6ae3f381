//! `tocsin-load ingest`: the real ingest workers on RabbitMQ and Redis.
//!
//! A response plan with no engagements is stored, so only ingest's work is measured (the
//! `incident.opened` events wait in the engagement queue, which nobody consumes). R replicas
//! of `tocsin_ingest::run` run in this process, each on its own `Backends::connect` (one
//! broker connection, one Redis pool). At the end the store must hold exactly one incident per
//! dedupe string, and the incidents' timelines one `Incident Merged` event per other alarm.

use std::collections::HashSet;
use std::sync::Arc;

use anyhow::Context as _;
use futures_util::StreamExt;
use tocsin_bus::{dlq_name, retry_name};
use tocsin_proto::arn;
use tocsin_proto::records::{
    IncidentRecord, IncidentTemplate, ResponsePlan, TimelineEvent, kinds, timeline_types,
};
use tocsin_proto::routing::QUEUE_INGEST;
use tocsin_runtime::{Backends, Context, Records};
use tocsin_store::{Expect, INCIDENT_KIND};
use tokio_util::sync::CancellationToken;

use crate::LoadArgs;
use crate::alarms::Workload;
use crate::drive::{self, Measured, Workers};
use crate::env::Env;
use crate::observer::Observer;
use crate::report::Report;

/// Name of the load test's response plan.
const PLAN: &str = "load-test";

/// Runs the scenario and reports; fails when the store is not what the alarms imply.
pub async fn run(args: &LoadArgs) -> anyhow::Result<()> {
    let env = Env::create(args.prefetch).await?;
    let account = env.settings.account_id.clone();
    let plan = plan(&account);
    Records::new(env.store.clone(), account.as_str())
        .put(kinds::RESPONSE_PLAN, &plan.name, &plan, Expect::Any)
        .await
        .context("storing the response plan")?;
    let workload = Arc::new(Workload::generate(args, plan.arn)?);
    let token = CancellationToken::new();
    let mut workers = Workers::default();
    for _ in 0..args.replicas {
        let backends = Backends::connect(&env.settings).await?;
        let ctx = Context::new(env.settings.clone(), backends);
        let bus = ctx.bus.clone();
        workers.push(tokio::spawn(tocsin_ingest::run(ctx, token.clone())), bus);
    }
    let mut observer = Observer::start(&env.amqp_url()).await?;
    let measured = Box::pin(drive::drive(&env, &mut observer, workload.clone(), args)).await;
    workers.stop(&token).await;
    let measured = measured?;
    let (rss, peak) = crate::stats::rss_mib();
    let check = verify(&env, &account, &workload, &observer).await;
    observer.close().await;
    let check = check?;

    let mut report = Report::new(title("ingest", args, &workload));
    describe(&mut report, args, &measured);
    report.row(
        "RSS at end / peak (MiB, incl. generator)",
        format!("{rss:.0} / {peak:.0}"),
    );
    report.row(
        "incidents in Redis (expected)",
        format!("{} ({})", check.incidents, workload.distinct),
    );
    report.row(
        "distinct dedupe strings held by incidents",
        check.distinct_dedupe,
    );
    report.row(
        "Incident Merged events (expected)",
        format!("{} ({})", check.merges, workload.len() - workload.distinct),
    );
    report.row(
        "dead-lettered / waiting retry",
        format!("{} / {}", check.dlq, check.retry),
    );
    let ok = check.incidents == workload.distinct
        && check.distinct_dedupe == workload.distinct
        && check.merges == workload.len() - workload.distinct
        && check.dlq == 0
        && measured.seen.done() == workload.len()
        && measured.publish_errors == 0;
    report.row("correct", if ok { "yes" } else { "NO" });
    report.emit(args.out.as_deref())?;
    anyhow::ensure!(ok, "the store does not match the alarms published");
    Ok(())
}

/// The plan every alarm names: no engagements, no dedupe string of its own.
fn plan(account: &str) -> ResponsePlan {
    ResponsePlan {
        arn: arn::response_plan(account, PLAN),
        name: PLAN.into(),
        display_name: Some("Load test".into()),
        incident_template: IncidentTemplate {
            title: "Load test".into(),
            impact: 3,
            summary: None,
            dedupe_string: None,
            incident_tags: Default::default(),
            notification_targets: vec![],
        },
        engagements: vec![],
        chat_channel: None,
        actions: vec![],
        integrations: vec![],
        tags: Default::default(),
        auto_resolve: false,
    }
}

/// A scenario's title line.
pub fn title(scenario: &str, args: &LoadArgs, w: &Workload) -> String {
    let dup = 100.0 * (w.len() - w.distinct) as f64 / w.len() as f64;
    let mode = match args.rate {
        Some(r) => format!("at {r} alarms/s"),
        None => "as fast as confirms allow".into(),
    };
    format!(
        "{scenario}: {} alarms, {} dedupe strings ({dup:.0}% duplicates), {} replica(s) × prefetch {}, {mode}",
        w.len(),
        w.distinct,
        args.replicas,
        args.prefetch
    )
}

/// The measurement rows both alarm scenarios print.
pub fn describe(report: &mut Report, args: &LoadArgs, m: &Measured) {
    report.row(
        "published (failed)",
        format!("{} ({})", m.published, m.publish_errors),
    );
    report.row(
        "publish time / publish rate",
        format!(
            "{:.2} s / {:.0} alarms/s (in flight ≤ {})",
            m.publish_time.as_secs_f64(),
            m.published as f64 / m.publish_time.as_secs_f64(),
            args.inflight
        ),
    );
    report.row(
        "done (opened + merged) / repeats / foreign",
        format!(
            "{} ({} + {}) / {} / {}",
            m.seen.done(),
            m.seen.opened,
            m.seen.merged,
            m.seen.repeats,
            m.seen.foreign
        ),
    );
    report.row(
        "first publish → last incident/merge",
        format!("{:.2} s", m.total_time.as_secs_f64()),
    );
    report.row("sustained alarms/s", format!("{:.0}", m.rate()));
    report.row(
        "publish → event latency p50 / p99 / max (ms)",
        format!(
            "{:.1} / {:.1} / {:.1} (n = {})",
            m.latency.p50, m.latency.p99, m.latency.max, m.latency.count
        ),
    );
    report.row("left in the work queue", m.left_in_queue);
    for (name, value) in &m.cost {
        report.row(name.as_str(), value);
    }
}

/// What the store and the queues hold after a run.
struct Check {
    incidents: usize,
    distinct_dedupe: usize,
    merges: usize,
    dlq: u32,
    retry: u32,
}

async fn verify(
    env: &Env,
    account: &str,
    workload: &Workload,
    observer: &Observer,
) -> anyhow::Result<Check> {
    let records = env
        .store
        .list(account, INCIDENT_KIND)
        .await
        .context("listing incidents")?;
    let expected: HashSet<String> = workload.keys.iter().map(|&k| Workload::dedupe(k)).collect();
    let mut dedupes = HashSet::new();
    for (_, v) in &records {
        let incident: IncidentRecord = serde_json::from_str(&v.data)?;
        if expected.contains(&incident.dedupe_string) {
            dedupes.insert(incident.dedupe_string);
        }
    }
    let merges = futures_util::stream::iter(records.iter().map(|(id, _)| id))
        .map(|id| async move {
            let timeline = env.store.timeline(account, id).await?;
            let mut merged = 0;
            for e in timeline {
                let ev: TimelineEvent = serde_json::from_str(&e.data)?;
                merged += usize::from(ev.event_type == timeline_types::INCIDENT_MERGED);
            }
            anyhow::Ok(merged)
        })
        .buffer_unordered(8)
        .fold(anyhow::Ok(0), |acc, n| async move { Ok(acc? + n?) })
        .await?;
    let (dlq, _) = observer.queue_state(&dlq_name(QUEUE_INGEST)).await?;
    let (retry, _) = observer.queue_state(&retry_name(QUEUE_INGEST)).await?;
    Ok(Check {
        incidents: records.len(),
        distinct_dedupe: dedupes.len(),
        merges,
        dlq,
        retry,
    })
}
