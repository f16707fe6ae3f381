//! End-to-end tests of the paging path. The same suite runs on the embedded backends and on
//! real RabbitMQ and Redis (a fresh vhost and key namespace per test); `binaries` runs the real
//! binaries as separate processes.

#[macro_use]
extern crate tocsin_testkit;

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
