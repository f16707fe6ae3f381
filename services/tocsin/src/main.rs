//! `tocsin`: the all-in-one process and the operator CLI.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use secrecy::ExposeSecret;
use tocsin::manifest;
use tocsin::roles::{self, Role};

mod audit;
mod runbooks;
use tocsin_bus::OutgoingMessage;
use tocsin_proto::records::{Page, kinds};
use tocsin_proto::routing::EXCHANGE_INGEST;
use tocsin_runtime::service::{EXIT_CONFIG, EXIT_UNAVAILABLE};
use tocsin_runtime::{Backends, Context, Settings, shutdown, telemetry};

/// Tocsin: a self-hosted incident manager.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// TOML configuration file (also `TOCSIN_CONFIG`); environment variables override it.
    #[arg(long, global = true, env = "TOCSIN_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run every role in this process on the embedded backends (no RabbitMQ or Redis).
    Dev {
        /// Load an example plan, publish a sample alarm, print the incident, its timeline and
        /// the delivered page, and exit.
        #[arg(long)]
        demo: bool,
        /// Manifest of response plans and contacts to load first.
        #[arg(short = 'f', long = "file")]
        file: Option<PathBuf>,
    },
    /// Run roles on RabbitMQ and Redis (default: all of them).
    Run {
        /// Role to run (repeatable): ingest, engagement, notifier, api, runbook-executor.
        #[arg(long = "role")]
        roles: Vec<Role>,
    },
    /// Load a YAML manifest, or a CloudFormation template (planned first), into Redis.
    Apply {
        /// The manifest or template.
        #[arg(short = 'f', long = "file")]
        file: PathBuf,
        /// Apply a template's plan without asking.
        #[arg(long)]
        yes: bool,
        /// Show a template's plan and stop.
        #[arg(long)]
        dry_run: bool,
    },
    /// Incidents of a running Tocsin (through its API, SigV4).
    Incidents {
        #[command(flatten)]
        remote: tocsin::cli::Remote,
        #[command(subcommand)]
        action: tocsin::cli::IncidentsCommand,
    },
    /// Pages of a running Tocsin (through its API, SigV4).
    Pages {
        #[command(flatten)]
        remote: tocsin::cli::Remote,
        #[command(subcommand)]
        action: tocsin::cli::PagesCommand,
    },
    /// On-call shifts of a running Tocsin (through its API, SigV4).
    Shifts {
        #[command(flatten)]
        remote: tocsin::cli::Remote,
        #[command(subcommand)]
        action: tocsin::cli::ShiftsCommand,
    },
    /// Publish an alarm file to the `tocsin.ingest` exchange on RabbitMQ.
    Publish {
        /// JSON file of the alarm.
        #[arg(short = 'f', long = "file")]
        file: PathBuf,
        /// Its format (the routing key).
        #[arg(long, default_value = "native")]
        format: String,
        /// AMQP message id (redelivery and republishing with the same id are deduplicated).
        #[arg(long)]
        message_id: Option<String>,
    },
    /// Manage the keys HTTP publishers present to the ingest endpoints.
    IntegrationKey {
        #[command(subcommand)]
        action: KeyAction,
    },
    /// Runbooks: register documents; start, resume, approve, cancel and show executions.
    Runbook {
        #[command(subcommand)]
        action: runbooks::RunbookAction,
    },
    /// Show the audit log (every API call), newest first.
    Audit(audit::AuditArgs),
    /// Print an incident, its timeline and its pages from Redis.
    Incident {
        /// Incident id (the last segment of its ARN).
        id: String,
    },
}

#[derive(Debug, Subcommand)]
enum KeyAction {
    /// Create a key (printed once; only its hash is stored).
    Create {
        /// What it is for.
        #[arg(long)]
        name: String,
        /// The format it publishes: cloudwatch, sns, eventbridge, alertmanager, pagerduty, native.
        #[arg(long)]
        format: String,
        /// Response plan (name or ARN) its alarms go to; without it, routing rules decide.
        #[arg(long)]
        plan: Option<String>,
    },
    /// List keys (ids and metadata).
    List,
    /// Revoke a key by id.
    Revoke {
        /// The key id shown by `list`.
        key_id: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tocsin: invalid configuration: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let mut settings = settings;
    if matches!(cli.command, Command::Dev { demo: true, .. })
        && std::env::var_os("TOCSIN_LOG").is_none()
    {
        // The demo prints its own report; keep the logs to what goes wrong.
        settings.log = "warn".into();
    }
    let telemetry = telemetry::init(&settings, "tocsin");
    let code = match run(cli.command, settings).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tocsin: {e:#}");
            ExitCode::FAILURE
        }
    };
    // Export the spans still buffered (blocking I/O) before the process ends.
    let _ = tokio::task::spawn_blocking(move || telemetry.shutdown()).await;
    code
}

async fn run(command: Command, mut settings: Settings) -> anyhow::Result<ExitCode> {
    match command {
        Command::Dev { demo: true, .. } => {
            tocsin::demo::run(settings, &mut std::io::stdout()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Dev { demo: false, file } => {
            if settings.api_token.is_none() {
                let token = format!("dev-{}", uuid::Uuid::new_v4().simple());
                println!("Native API token for this run: {token}");
                settings.api_token = Some(token.into());
            }
            let dev_key = tocsin::dev_keys::ensure(&mut settings);
            let ctx = Context::new(settings, Backends::embedded().await?);
            if let Some(f) = file {
                apply_file(&ctx, &f, tocsin::cli::apply::Confirm::Yes).await?;
            }
            println!(
                "Tocsin dev: all roles on the embedded backends; API on http://{}",
                ctx.settings.api_addr
            );
            print!(
                "{}",
                tocsin::dev_keys::instructions(&ctx.settings, dev_key.as_ref())
            );
            serve(ctx, &Role::ALL).await
        }
        Command::Run { roles } => {
            let roles = if roles.is_empty() {
                Role::ALL.to_vec()
            } else {
                roles
            };
            let Some(ctx) = connect(settings).await else {
                return Ok(ExitCode::from(EXIT_UNAVAILABLE));
            };
            serve(ctx, &roles).await
        }
        Command::Apply { file, yes, dry_run } => {
            let Some(ctx) = connect(settings).await else {
                return Ok(ExitCode::from(EXIT_UNAVAILABLE));
            };
            use tocsin::cli::apply::Confirm;
            let confirm = match (dry_run, yes) {
                (true, _) => Confirm::DryRun,
                (false, true) => Confirm::Yes,
                (false, false) => Confirm::Ask,
            };
            apply_file(&ctx, &file, confirm).await?;
            ctx.bus.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Publish {
            file,
            format,
            message_id,
        } => {
            let body =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            serde_json::from_slice::<serde_json::Value>(&body)
                .with_context(|| format!("{} is not JSON", file.display()))?;
            let bus = tocsin_bus::Bus::amqp(tocsin_bus::AmqpConfig::new(
                settings.amqp_url.expose_secret(),
            ))
            .await?;
            let mut msg = OutgoingMessage::new(EXCHANGE_INGEST, format.clone(), body);
            if let Some(id) = message_id {
                msg = msg.with_message_id(id);
            }
            // The alarm starts a trace; every message and call it causes continues it.
            let span = tracing::info_span!("publish_alarm", format = %format);
            for (name, value) in span.in_scope(telemetry::trace_headers) {
                msg = msg.with_header(name, value);
            }
            bus.publish(msg).await?;
            bus.close().await;
            println!(
                "Published {} to {EXCHANGE_INGEST} with routing key {format}.",
                file.display()
            );
            if let Some(trace_id) = telemetry::trace_id(&span) {
                println!("Trace id: {trace_id}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::IntegrationKey { action } => {
            let Some(ctx) = connect(settings).await else {
                return Ok(ExitCode::from(EXIT_UNAVAILABLE));
            };
            let code = integration_key(&ctx, action).await?;
            ctx.bus.close().await;
            Ok(code)
        }
        Command::Runbook { action } => {
            let Some(ctx) = connect(settings).await else {
                return Ok(ExitCode::from(EXIT_UNAVAILABLE));
            };
            let code = runbooks::run(&ctx, action).await?;
            ctx.bus.close().await;
            Ok(code)
        }
        Command::Audit(args) => audit::run(&settings, args).await,
        Command::Incidents { remote, action } => {
            let client = tocsin::cli::client::Client::new(&settings, remote.endpoint)?;
            tocsin::cli::run_incidents(&client, remote.output, action, &mut std::io::stdout())
                .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Pages { remote, action } => {
            let client = tocsin::cli::client::Client::new(&settings, remote.endpoint)?;
            tocsin::cli::run_pages(&client, remote.output, action, &mut std::io::stdout()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Shifts { remote, action } => {
            let client = tocsin::cli::client::Client::new(&settings, remote.endpoint)?;
            let now = tocsin_core::clock::Clock::now(&tocsin_runtime::SystemClock);
            let out = &mut std::io::stdout();
            tocsin::cli::run_shifts(&client, remote.output, action, now, out).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Incident { id } => {
            let Some(ctx) = connect(settings).await else {
                return Ok(ExitCode::from(EXIT_UNAVAILABLE));
            };
            let records = ctx.records();
            let Some((incident, version)) = records.incident(&id).await? else {
                eprintln!("tocsin: incident {id} does not exist");
                return Ok(ExitCode::FAILURE);
            };
            println!("{}", serde_json::to_string_pretty(&incident)?);
            println!("(version {version})\n\nTimeline:");
            for ev in records.timeline(&id).await? {
                println!(
                    "{}  {:<22} {}",
                    ev.event_time.to_rfc3339(),
                    ev.event_type,
                    ev.event_data
                );
            }
            let pages: Vec<Page> = records.list(kinds::PAGE).await?;
            println!("\nPages:");
            for p in pages
                .iter()
                .filter(|p| p.incident_id.as_deref() == Some(incident.arn.as_str()))
            {
                let receipts: Vec<String> = p
                    .receipts
                    .iter()
                    .map(|r| format!("{:?}", r.receipt_type))
                    .collect();
                println!(
                    "{}  {:?}  receipts: {}",
                    p.page_arn,
                    p.channel_type,
                    receipts.join(", ")
                );
            }
            ctx.bus.close().await;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn integration_key(ctx: &Context, action: KeyAction) -> anyhow::Result<ExitCode> {
    use tocsin_ingest::keys;
    let records = ctx.records();
    match action {
        KeyAction::Create { name, format, plan } => {
            let plan = plan.map(|p| {
                if p.starts_with("arn:") {
                    p
                } else {
                    tocsin_proto::arn::response_plan(&ctx.settings.account_id, &p)
                }
            });
            let k =
                keys::create(&records, &name, &format, plan.as_deref(), ctx.clock.now()).await?;
            println!(
                "Key id: {}\nKey:    {}\n(store the key now: it is not shown again)",
                k.record.key_id, k.key
            );
        }
        KeyAction::List => {
            for k in keys::list(&records).await? {
                let plan = k.response_plan_arn.as_deref().unwrap_or("(routing rules)");
                let state = if k.revoked { "revoked" } else { "active" };
                println!(
                    "{}  {:<12} {:<8} {:<24} {}",
                    k.key_id, k.format, state, k.name, plan
                );
            }
        }
        KeyAction::Revoke { key_id } => {
            if !keys::revoke(&records, &key_id).await? {
                eprintln!("tocsin: no integration key {key_id}");
                return Ok(ExitCode::FAILURE);
            }
            println!(
                "Revoked {key_id}; ingest replicas refuse it within {:?}.",
                tocsin_ingest::http::KEY_REFRESH
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn connect(settings: Settings) -> Option<Context> {
    match Backends::connect(&settings).await {
        Ok(b) => Some(Context::new(settings, b)),
        Err(e) => {
            eprintln!("tocsin: backends unreachable: {e}");
            None
        }
    }
}

async fn apply_file(
    ctx: &Context,
    file: &std::path::Path,
    confirm: tocsin::cli::apply::Confirm,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    if tocsin::cfn::is_template(&text) {
        return tocsin::cli::apply::template(ctx, file, &text, confirm, &mut std::io::stdout())
            .await;
    }
    let m = manifest::parse(&text)
        .with_context(|| format!("{} is not a valid manifest", file.display()))?;
    let resolved = manifest::resolve(&m, &ctx.settings.account_id, &ctx.settings.region)
        .with_context(|| format!("{} is not a valid manifest", file.display()))?;
    manifest::apply(&ctx.records(), &resolved).await?;
    println!(
        "Applied {}: {} contacts, {} channels, {} response plans.",
        file.display(),
        resolved.contacts.len(),
        resolved.channels.len(),
        resolved.plans.len()
    );
    Ok(())
}

async fn serve(ctx: Context, roles: &[Role]) -> anyhow::Result<ExitCode> {
    let token = shutdown::on_signals();
    let health = tocsin_runtime::health::Health::new(ctx.store.clone());
    if let Some(addr) = ctx.settings.health_addr {
        let local = tocsin_runtime::health::serve(addr, health.router(), token.clone()).await?;
        tracing::info!(%local, "Serving health probes.");
    }
    let set = roles::start(&ctx, roles, &token);
    let result = roles::join(set, &token).await;
    health.drain();
    ctx.bus.close().await;
    result.map(|()| ExitCode::SUCCESS)
}
