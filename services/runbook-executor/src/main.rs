//! `tocsin-runbook-executor`: the runbook executor on RabbitMQ and Redis (see the crate docs).

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    tocsin_runtime::service::main("tocsin-runbook-executor", tocsin_runbook::run).await
}
