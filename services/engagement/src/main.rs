//! `tocsin-engagement`: the engagement service on RabbitMQ and Redis (see the crate docs).

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    tocsin_runtime::service::main("tocsin-engagement", tocsin_engagement::run).await
}
