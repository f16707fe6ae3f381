//! `tocsin-load`: load scenarios for Tocsin, run against local servers only.
//!
//! - `ingest`: the real ingest workers (`tocsin_ingest::run`) on RabbitMQ and Redis, fed native
//!   alarms over a set of dedupe strings; sustained alarms/s, queue-to-incident latency, RSS,
//!   and a check that exactly one incident per dedupe string exists and every other alarm
//!   merged.
//! - `ceiling`: the same alarms through a minimal worker doing the same broker and Redis work
//!   (consume, `SET NX`, `HSET`, one confirmed publish, ack): what the backends allow.
//! - `rotation-shifts`: `tocsin_core::rotation::shifts` over a year, timed.
//! - `engagements`: many active engagements with pending stage timers fired by the real
//!   engagement role; lateness of fired stages, lost or doubled timers, RSS.
//!
//! - `api`: the real API on a loopback port, called with SigV4-signed requests at a fixed rate:
//!   `GetIncidentRecord`, `StartIncident`, and a filtered `ListIncidentRecords` over 100,000
//!   incidents; latency from the scheduled send, errors, RSS.
//! - `notify`: the real notifier replicas delivering pages to a local webhook sink;
//!   deliveries/s, publish-to-sink latency, duplicates, RSS.
//!
//! Every run gets its own RabbitMQ vhost and Redis namespace, deleted at the end, and every
//! loop is bounded in count and time. Results print to stdout and, with `--out`, are appended
//! to a markdown file.

mod alarms;
mod api;
mod ceiling;
mod cpu;
mod drive;
mod engagements;
mod env;
mod ingest;
mod notify;
mod observer;
mod report;
mod rotation;
mod stats;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Load scenarios for Tocsin (local RabbitMQ and Redis only).
#[derive(Debug, Parser)]
#[command(name = "tocsin-load", version)]
struct Cli {
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Debug, Subcommand)]
enum Scenario {
    /// The full ingest path: native alarms in, incidents and merges out.
    Ingest(LoadArgs),
    /// The broker and Redis work of ingest done by a minimal worker.
    Ceiling(LoadArgs),
    /// `rotation::shifts` over one year of a 30-contact rotation.
    RotationShifts(RotationArgs),
    /// Active engagements with pending stage timers, fired by the engagement role.
    Engagements(EngagementArgs),
    /// The notifier delivering pages to a local webhook sink.
    Notify(NotifyArgs),
    /// The AWS API with SigV4 at a fixed rate: get, start and list incidents.
    Api(ApiArgs),
}

/// Options of `api`.
#[derive(Debug, Clone, Args)]
pub struct ApiArgs {
    /// Cases to run, in this order: get, list, start (or all); `parts` adds the backend steps
    /// alone (confirmed publish, store create, audit append) at `--rate`.
    #[arg(long, value_delimiter = ',', default_value = "all")]
    pub case: Vec<String>,
    /// Incidents written before the cases run.
    #[arg(long, default_value_t = 100_000)]
    pub incidents: usize,
    /// Requests/s of `GetIncidentRecord` and `StartIncident`.
    #[arg(long, default_value_t = 1000.0)]
    pub rate: f64,
    /// Requests/s of the listing cases.
    #[arg(long, default_value_t = 100.0)]
    pub list_rate: f64,
    /// Seconds each case runs.
    #[arg(long, default_value_t = 20)]
    pub secs: u64,
    /// Pages of the filtered listing walked for the paging case.
    #[arg(long, default_value_t = 100)]
    pub pages: usize,
    /// Append the results to this markdown file.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Options of `notify`.
#[derive(Debug, Clone, Args)]
pub struct NotifyArgs {
    /// Pages to deliver.
    #[arg(long, default_value_t = 20_000)]
    pub pages: usize,
    /// Notifier replicas, each on its own broker connection and Redis pool.
    #[arg(long, default_value_t = 1)]
    pub replicas: usize,
    /// Prefetch (= concurrent sends) per replica.
    #[arg(long, default_value_t = 64)]
    pub prefetch: u16,
    /// Publish at this many pages/s instead of as fast as confirms allow.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Publishes awaiting their confirm at once.
    #[arg(long, default_value_t = 256)]
    pub inflight: usize,
    /// Give up waiting for the last delivery after this many seconds.
    #[arg(long, default_value_t = 300)]
    pub timeout_secs: u64,
    /// Append the results to this markdown file.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Shape of an alarm load, shared by `ingest` and `ceiling`.
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Alarms to publish.
    #[arg(long, default_value_t = 20_000)]
    pub alarms: usize,
    /// Distinct dedupe strings (= incidents). Default: derived from --duplicates.
    #[arg(long)]
    pub keys: Option<usize>,
    /// Percentage of alarms repeating the dedupe string of an earlier one. Default: derived
    /// from --keys (0 when neither is given).
    #[arg(long)]
    pub duplicates: Option<f64>,
    /// Worker replicas, each on its own broker connection and Redis pool.
    #[arg(long, default_value_t = 1)]
    pub replicas: usize,
    /// Prefetch (= concurrent handlers) per replica.
    #[arg(long, default_value_t = 32)]
    pub prefetch: u16,
    /// Publish at this many alarms/s instead of as fast as confirms allow.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Publishes awaiting their confirm at once.
    #[arg(long, default_value_t = 256)]
    pub inflight: usize,
    /// Give up waiting for the last incident after this many seconds.
    #[arg(long, default_value_t = 300)]
    pub timeout_secs: u64,
    /// Seed of the dedupe-string sequence.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Append the results to this markdown file.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Options of `engagements`.
#[derive(Debug, Clone, Args)]
pub struct EngagementArgs {
    /// Active engagements, each with a pending stage timer.
    #[arg(long, default_value_t = 100_000)]
    pub engagements: usize,
    /// The stage timers fall due evenly over this many seconds.
    #[arg(long, default_value_t = 120)]
    pub window_secs: u64,
    /// Engagement replicas, each on its own broker connection and Redis pool.
    #[arg(long, default_value_t = 1)]
    pub replicas: usize,
    /// Give up this many seconds after the window ends.
    #[arg(long, default_value_t = 300)]
    pub timeout_secs: u64,
    /// Append the results to this markdown file.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Options of `rotation-shifts`.
#[derive(Debug, Clone, Args)]
pub struct RotationArgs {
    /// Calls timed per case.
    #[arg(long, default_value_t = 200)]
    pub iterations: usize,
    /// Append the results to this markdown file.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let scenario = async {
        match cli.scenario {
            Scenario::Ingest(args) => ingest::run(&args).await,
            Scenario::Ceiling(args) => ceiling::run(&args).await,
            Scenario::RotationShifts(args) => rotation::run(&args),
            Scenario::Engagements(args) => engagements::run(&args).await,
            Scenario::Notify(args) => notify::run(&args).await,
            Scenario::Api(args) => Box::pin(api::run(&args)).await,
        }
    };
    // On Ctrl-C or SIGTERM the scenario is dropped, and with it the vhost and the namespace.
    let result = tokio::select! {
        r = Box::pin(scenario) => r,
        () = tocsin_runtime::shutdown::on_signals().cancelled_owned() => {
            Err(anyhow::anyhow!("interrupted; the vhost and the Redis keys are removed"))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tocsin-load: {e:#}");
            ExitCode::FAILURE
        }
    }
}
