//! End-to-end tests of the paging path. The same suite runs on the embedded backends and on
//! real RabbitMQ and Redis (a fresh vhost and key namespace per test); `binaries` runs the real
//! binaries as separate processes.

/// Runs each named `async fn(Kind) -> anyhow::Result<()>` of the calling module twice: on the
/// embedded backends (`memory::<name>`) and on real RabbitMQ and Redis (`real::<name>`).
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(tocsin_testkit::Kind::Memory).await.unwrap() })*
        }
        mod real {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(tocsin_testkit::Kind::Real).await.unwrap() })*
        }
    };
}

mod alertmanager;
mod audit;
mod binaries;
mod cli;
mod compat;
mod escalation;
mod fleet;
mod ingest;
mod notifier_crash;
mod paging;
mod procs;
mod restarts;
mod retries;
mod runbooks;
mod tenancy;
mod terraform;
