//! The runbook executor: automation documents run for incidents, step by step, crash-safe.
//!
//! Consumes `tocsin.runbook.events`, bound to `tocsin.events`:
//! - `incident.opened` → one execution per `ssmAutomation` action of the incident's response
//!   plan (not for incidents opened by a region failover);
//! - `incident.resolved` → executions of the incident whose action says `cancelOnResolve` are
//!   cancelled.
//!
//! Each replica also polls the `runbook` timer set ([`poll`]) and drives the executions whose
//! timer is due ([`drive`]; the attempts of external steps in `attempt`): steps, retries,
//! sleeps, time limits, and the signals people send through the API ([`router`]: resume a
//! pause, approve, cancel). The interpreter is pure ([`core`]); this crate persists its
//! decisions and carries out their effects: scripts in subprocesses ([`script`]), `tocsin:http`
//! calls ([`http`]), the `ssm-incidents` reads ([`awsapi`]), child executions ([`start`]),
//! timeline events.

mod attempt;
pub mod awsapi;
pub mod config;
pub mod core;
pub mod docs;
pub mod drive;
pub mod http;
pub mod poll;
mod routes;
pub mod script;
pub mod start;

use std::sync::Arc;

use tocsin_bus::{Delivery, QueueSpec, Topology};
use tocsin_proto::Envelope;
use tocsin_proto::messages::Event;
use tocsin_proto::records::{RunbookExecution, runbook_kinds};
use tocsin_proto::routing::{EXCHANGE_DLX, EXCHANGE_EVENTS, QUEUE_RUNBOOK, RUNBOOK_BINDINGS};
use tocsin_runtime::consumer::{self, LoopConfig};
use tocsin_runtime::{Context, Handler, Outcome, Records};
use tokio_util::sync::CancellationToken;

pub use config::RunbookConfig;
pub use drive::{DriveError, Engine, TIMER_SET};
pub use routes::router;

const RETRY_AFTER: std::time::Duration = std::time::Duration::from_millis(250);

/// The executor's queue and its bindings (declared by the executor itself, idempotently).
pub fn topology() -> Topology {
    let queue = RUNBOOK_BINDINGS
        .iter()
        .fold(QueueSpec::new(QUEUE_RUNBOOK), |q, (x, rk)| q.bind(*x, *rk));
    Topology {
        exchanges: vec![EXCHANGE_EVENTS.into()],
        dead_letter_exchange: EXCHANGE_DLX.into(),
        queues: vec![queue],
    }
}

/// Handles deliveries of the runbook queue.
#[derive(Debug, Clone)]
pub struct Runbooks {
    engine: Engine,
}

impl Runbooks {
    /// A handler on `engine`.
    pub fn new(engine: Engine) -> Self {
        Self { engine }
    }

    async fn opened(&self, records: &Records, incident_id: &str) -> Outcome {
        let incident = match records.incident(incident_id).await {
            Ok(Some((r, _))) => r,
            Ok(None) => return Outcome::Reject(format!("incident {incident_id} does not exist")),
            Err(e) => return Outcome::retry(RETRY_AFTER, e),
        };
        let plan = match records.response_plan(&incident.response_plan_arn).await {
            Ok(Some(p)) => p,
            Ok(None) => return Outcome::Ack, // No plan, no runbook.
            Err(e) => return Outcome::retry(RETRY_AFTER, e),
        };
        match start::for_incident(&self.engine, records, incident_id, &incident, &plan).await {
            Ok(ids) if !ids.is_empty() => {
                tracing::info!(incident_id, executions = ids.len(), "Runbooks started.");
                Outcome::Ack
            }
            Ok(_) => Outcome::Ack,
            Err(e) => Outcome::retry(RETRY_AFTER, e),
        }
    }

    async fn resolved(&self, records: &Records, incident_id: &str) -> Outcome {
        let all: Vec<RunbookExecution> = match records.list(runbook_kinds::EXECUTION).await {
            Ok(a) => a,
            Err(e) => return Outcome::retry(RETRY_AFTER, e),
        };
        for e in all.iter().filter(|e| {
            e.cancel_on_resolve
                && e.incident_id.as_deref() == Some(incident_id)
                && !e.automation_execution_status.is_terminal()
        }) {
            let input = core::Input::Cancel {
                reason: "the incident was resolved".into(),
            };
            match self
                .engine
                .drive(records, &e.automation_execution_id, input, false)
                .await
            {
                Ok(_) | Err(DriveError::Refused(_)) => {}
                Err(err) => return Outcome::retry(RETRY_AFTER, err),
            }
        }
        Outcome::Ack
    }
}

impl Handler for Runbooks {
    async fn handle(&self, delivery: &Delivery) -> Outcome {
        let env: Envelope<Event> = match Envelope::decode(&delivery.body) {
            Ok(e) => e,
            Err(e) => return Outcome::Reject(e.to_string()),
        };
        let records = Records::new(self.engine.ctx.store.clone(), env.account_id.clone());
        match &env.payload {
            Event::IncidentOpened(e) => self.opened(&records, &e.incident_id).await,
            Event::IncidentResolved(e) => self.resolved(&records, &e.incident_id).await,
            _ => Outcome::Ack,
        }
    }
}

/// Consumes the runbook queue and drives executions until `shutdown`.
pub async fn run(ctx: Context, shutdown: CancellationToken) -> anyhow::Result<()> {
    let config = RunbookConfig::from_env()?;
    run_with(ctx, config, shutdown).await
}

/// [`run`] with explicit settings (tests, the benchmark).
pub async fn run_with(
    ctx: Context,
    config: RunbookConfig,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    ctx.bus.declare(&topology()).await?;
    let engine = Engine::new(ctx.clone(), config);
    let loop_config = LoopConfig {
        queue: QUEUE_RUNBOOK.into(),
        prefetch: ctx.settings.prefetch,
        max_attempts: 20,
        grace: ctx.settings.shutdown_grace,
    };
    // Joined, not spawned: dropping this future stops everything, child processes included.
    let (_, result) = tokio::join!(
        poll::poll(engine.clone(), shutdown.clone()),
        consumer::run(
            ctx.bus.clone(),
            loop_config,
            Arc::new(Runbooks::new(engine)),
            shutdown,
        )
    );
    result?;
    Ok(())
}
