//! Component tests of the runbook executor on the embedded backends and on real RabbitMQ and
//! Redis (a fresh vhost and key namespace per test): documents registered through the HTTP
//! routes, executions started by `incident.opened` or by hand, driven by the executor's timer
//! poller, steps against real peers on loopback (HTTP receivers, `python3` and `sh`
//! subprocesses), time moved by a manual clock.

#[macro_use]
extern crate tocsin_testkit;

mod crash;
mod failures;
mod harness;
mod lifecycle;
mod passes;
