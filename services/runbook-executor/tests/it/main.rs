//! Component tests of the runbook executor on the embedded backends and on real RabbitMQ and
//! Redis (a fresh vhost and key namespace per test): documents registered through the HTTP
//! routes, executions started by `incident.opened` or by hand, driven by the executor's timer
//! poller, steps against real peers on loopback (HTTP receivers, `python3` and `sh`
//! subprocesses), time moved by a manual clock.

/// Runs each named `async fn(Kind) -> anyhow::Result<()>` of the calling module on both backends.
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

mod crash;
mod failures;
mod harness;
mod lifecycle;
mod passes;
