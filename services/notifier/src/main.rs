//! `tocsin-notifier`: the notifier on RabbitMQ and Redis (see the crate docs).

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    tocsin_runtime::service::main("tocsin-notifier", tocsin_notifier::run).await
}
