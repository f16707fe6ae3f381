//! `tocsin runbook ...`: register documents and start, resume, approve, cancel and show
//! executions, on the store directly (the same code paths as the HTTP routes). Signals only
//! record the decision and set the execution's timer: a running executor carries on.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Subcommand;
use serde_json::Value;
use tocsin_proto::records::{RunbookExecution, runbook_kinds};
use tocsin_runbook::core::Input;
use tocsin_runbook::start::{self, StartRequest};
use tocsin_runbook::{Engine, RunbookConfig, docs};
use tocsin_runtime::Context;

/// What to do with runbooks.
#[derive(Debug, Subcommand)]
pub enum RunbookAction {
    /// Register a document (YAML or JSON) as the next version of its name.
    Register {
        /// The document file.
        #[arg(short = 'f', long = "file")]
        file: PathBuf,
        /// Its name (default: the file name without extension).
        #[arg(long)]
        name: Option<String>,
        /// Make this version the default one.
        #[arg(long)]
        make_default: bool,
    },
    /// List documents.
    List,
    /// Start a document, for an incident or on its own.
    Start {
        /// Document name.
        document: String,
        /// Version (`$DEFAULT`, `$LATEST` or a number).
        #[arg(long)]
        version: Option<String>,
        /// Incident id.
        #[arg(long)]
        incident: Option<String>,
        /// Parameter `NAME=VALUE` (repeatable; JSON values are read as JSON).
        #[arg(long = "param", short = 'p')]
        params: Vec<String>,
    },
    /// Complete the paused step of an execution.
    Resume {
        /// Execution id.
        id: String,
        /// The step expected to be waiting.
        #[arg(long)]
        step: Option<String>,
        /// Who.
        #[arg(long, default_value = "cli")]
        by: String,
    },
    /// Approve (or `--reject`) the waiting approval step.
    Approve {
        /// Execution id.
        id: String,
        /// Approver name (one of the step's Approvers).
        #[arg(long)]
        approver: String,
        /// Reject instead.
        #[arg(long)]
        reject: bool,
        /// Comment.
        #[arg(long)]
        comment: Option<String>,
    },
    /// Cancel an execution.
    Cancel {
        /// Execution id.
        id: String,
        /// Why.
        #[arg(long, default_value = "cancelled from the CLI")]
        reason: String,
    },
    /// Show an execution, step by step.
    Show {
        /// Execution id.
        id: String,
    },
}

fn print_execution(e: &RunbookExecution) {
    println!(
        "{}  {} v{}  {}{}",
        e.automation_execution_id,
        e.document_name,
        e.document_version,
        e.automation_execution_status.as_str(),
        e.failure_message
            .as_deref()
            .map(|m| format!(" ({m})"))
            .unwrap_or_default()
    );
    for (i, s) in e.step_executions.iter().enumerate() {
        let mark = if e.current_step_index == Some(i) {
            ">"
        } else {
            " "
        };
        println!(
            "{mark} {:<24} {:<22} {:<10} attempt {}",
            s.step_name,
            s.action,
            s.step_status.as_str(),
            s.attempt
        );
        if e.current_step_index == Some(i)
            && let Some(d) = &s.description
        {
            println!("    {}", d.replace('\n', "\n    "));
        }
    }
}

/// Runs one runbook command.
pub async fn run(ctx: &Context, action: RunbookAction) -> anyhow::Result<ExitCode> {
    let records = ctx.records();
    let engine = Engine::new(ctx.clone(), RunbookConfig::default());
    let signal = |id: String, input: Input| {
        let (engine, records) = (engine.clone(), records.clone());
        async move { engine.drive(&records, &id, input, false).await }
    };
    let exec = match action {
        RunbookAction::Register {
            file,
            name,
            make_default,
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let name = name.unwrap_or_else(|| {
                file.file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default()
            });
            match docs::register(&records, &name, &text, make_default, ctx.clock.now()).await {
                Ok((head, v)) => {
                    println!(
                        "Registered {name} version {} (default {}).",
                        v.document_version, head.default_version
                    );
                    return Ok(ExitCode::SUCCESS);
                }
                Err(docs::DocsError::Invalid(inv)) => {
                    for p in inv.0 {
                        eprintln!("{}: {p}", file.display());
                    }
                    return Ok(ExitCode::FAILURE);
                }
                Err(e) => return Err(e.into()),
            }
        }
        RunbookAction::List => {
            for d in docs::list(&records).await? {
                println!(
                    "{:<48} default {:<4} latest {:<4} {}",
                    d.name,
                    d.default_version,
                    d.latest_version,
                    if d.built_in { "built-in" } else { "" }
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
        RunbookAction::Start {
            document,
            version,
            incident,
            params,
        } => {
            let mut parameters = BTreeMap::new();
            for p in params {
                let (k, v) = p
                    .split_once('=')
                    .with_context(|| format!("--param {p:?}: expected NAME=VALUE"))?;
                let value = serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.into()));
                parameters.insert(k.to_string(), value);
            }
            let req = StartRequest {
                document_name: document.clone(),
                document_version: version,
                parameters,
                executed_by: "cli".into(),
                ..StartRequest::default()
            };
            let id = tocsin_core::ids::derive(&[
                "cli-execution",
                &document,
                &ctx.clock.now().to_rfc3339(),
                &std::process::id().to_string(),
            ]);
            start::manual(&engine, &records, &id, &req, incident.as_deref()).await?
        }
        RunbookAction::Resume { id, step, by } => signal(id, Input::Resume { step, by }).await?,
        RunbookAction::Approve {
            id,
            approver,
            reject,
            comment,
        } => {
            let input = Input::Approve {
                by: approver,
                approve: !reject,
                comment,
            };
            signal(id, input).await?
        }
        RunbookAction::Cancel { id, reason } => signal(id, Input::Cancel { reason }).await?,
        RunbookAction::Show { id } => {
            match records
                .get::<RunbookExecution>(runbook_kinds::EXECUTION, &id)
                .await?
            {
                Some((e, _)) => e,
                None => {
                    eprintln!("tocsin: execution {id} does not exist");
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
    };
    print_execution(&exec);
    Ok(ExitCode::SUCCESS)
}
