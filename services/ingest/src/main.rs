//! `tocsin-ingest`: the ingest service on RabbitMQ and Redis (see the crate docs).

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    tocsin_runtime::service::main("tocsin-ingest", tocsin_ingest::run).await
}
