//! `tocsin-load ceiling`: the broker and Redis work of ingest, done by a minimal worker, to
//! see what the backends allow on this machine.
//!
//! The worker runs in the same consumer loop as ingest (`tocsin_runtime::consumer`, same
//! prefetch, its own connection and Redis pool per replica) and per alarm: parses the native
//! alarm, takes the dedupe string with one `SET NX`, writes the alarm with one `HSET`,
//! publishes one persistent, confirmed event (`incident.opened` when it took the string, which
//! reaches the engagement queue as ingest's does; `incident.merged` otherwise), and acks.

use std::sync::Arc;

use anyhow::Context as _;
use deadpool_redis::redis;
use serde_json::json;
use tocsin_bus::{Bus, Delivery, OutgoingMessage};
use tocsin_proto::alarm::NativeAlarm;
use tocsin_proto::routing::{
    EXCHANGE_EVENTS, QUEUE_INGEST, RK_INCIDENT_MERGED, RK_INCIDENT_OPENED,
};
use tocsin_runtime::consumer::{self, LoopConfig};
use tocsin_runtime::{Handler, Outcome};
use tokio_util::sync::CancellationToken;

use crate::LoadArgs;
use crate::alarms::Workload;
use crate::drive::{self, Workers};
use crate::env::Env;
use crate::ingest::{describe, title};
use crate::observer::Observer;
use crate::report::Report;

const RETRY_AFTER: std::time::Duration = std::time::Duration::from_millis(200);

/// Runs the scenario and reports.
pub async fn run(args: &LoadArgs) -> anyhow::Result<()> {
    let env = Env::create(args.prefetch).await?;
    let plan_arn = tocsin_proto::arn::response_plan(&env.settings.account_id, "load-test");
    let workload = Arc::new(Workload::generate(args, plan_arn)?);
    let token = CancellationToken::new();
    let mut workers = Workers::default();
    for r in 0..args.replicas {
        let bus = env.bus(&format!("tocsin-load-ceiling-{r}")).await?;
        bus.declare(&tocsin_runtime::topology()).await?;
        let worker = Minimal {
            bus: bus.clone(),
            redis: env.redis_pool()?,
            prefix: format!("{}:{{{}}}", env.namespace(), env.settings.account_id),
        };
        let config = LoopConfig {
            queue: QUEUE_INGEST.into(),
            prefetch: args.prefetch,
            max_attempts: 10,
            grace: env.settings.shutdown_grace,
        };
        let (bus2, token2) = (bus.clone(), token.clone());
        let task = tokio::spawn(async move {
            consumer::run(bus2, config, Arc::new(worker), token2)
                .await
                .context("ceiling consumer")
        });
        workers.push(task, bus);
    }
    let mut observer = Observer::start(&env.amqp_url()).await?;
    let measured = Box::pin(drive::drive(&env, &mut observer, workload.clone(), args)).await;
    workers.stop(&token).await;
    observer.close().await;
    let measured = measured?;
    let (rss, peak) = crate::stats::rss_mib();

    let mut report = Report::new(title("ceiling", args, &workload));
    describe(&mut report, args, &measured);
    report.row(
        "RSS at end / peak (MiB, incl. generator)",
        format!("{rss:.0} / {peak:.0}"),
    );
    let ok = measured.seen.opened == workload.distinct
        && measured.seen.done() == workload.len()
        && measured.publish_errors == 0;
    report.row(
        "correct (one opened per dedupe string)",
        if ok { "yes" } else { "NO" },
    );
    report.emit(args.out.as_deref())?;
    anyhow::ensure!(ok, "the minimal worker did not process every alarm once");
    Ok(())
}

/// The minimal worker.
struct Minimal {
    bus: Bus,
    redis: deadpool_redis::Pool,
    /// `<namespace>:{<account>}`, as the store's keys start.
    prefix: String,
}

impl Minimal {
    async fn work(&self, delivery: &Delivery) -> Result<Outcome, String> {
        let alarm: NativeAlarm = match serde_json::from_slice(&delivery.body) {
            Ok(a) => a,
            Err(e) => return Ok(Outcome::Reject(e.to_string())),
        };
        let id = delivery.message_id.clone().unwrap_or_default();
        let dedupe = alarm.dedupe_string.unwrap_or_default();
        let mut conn = self.redis.get().await.map_err(|e| e.to_string())?;
        let took: Option<String> = redis::cmd("SET")
            .arg(format!("{}:dedupe:{dedupe}", self.prefix))
            .arg(&id)
            .arg("NX")
            .query_async(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        redis::cmd("HSET")
            .arg(format!("{}:rec:alarm:{id}", self.prefix))
            .arg("v")
            .arg(1)
            .arg("d")
            .arg(&delivery.body[..])
            .query_async::<()>(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        drop(conn);
        let rk = if took.is_some() {
            RK_INCIDENT_OPENED
        } else {
            RK_INCIDENT_MERGED
        };
        let body = json!({ "idempotency_key": format!("alarm:message:{id}") }).to_string();
        let event = OutgoingMessage::new(EXCHANGE_EVENTS, rk, body).with_message_id(id);
        self.bus.publish(event).await.map_err(|e| e.to_string())?;
        Ok(Outcome::Ack)
    }
}

impl Handler for Minimal {
    async fn handle(&self, delivery: &Delivery) -> Outcome {
        self.work(delivery)
            .await
            .unwrap_or_else(|e| Outcome::retry(RETRY_AFTER, e))
    }
}
