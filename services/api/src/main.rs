//! `tocsin-api`: the API service on Redis and RabbitMQ (see the crate docs).

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    tocsin_runtime::service::main("tocsin-api", tocsin_api::run).await
}
