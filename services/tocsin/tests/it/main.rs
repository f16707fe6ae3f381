//! End-to-end tests of the paging path. The same suite runs on the embedded backends and on
//! real RabbitMQ and Redis (a fresh vhost and key namespace per test); `binaries` runs the real
//! binaries as separate processes.

mod binaries;
mod escalation;
mod fleet;
mod ingest;
mod paging;
