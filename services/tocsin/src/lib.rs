//! The all-in-one Tocsin process and its operator commands, built from the same service
//! libraries as the separate binaries:
//!
//! - [`roles`]: run any subset of ingest, engagement, notifier and api in one process.
//! - [`manifest`]: response plans and contacts from a YAML file (`tocsin apply -f`).
//! - [`demo`]: `tocsin dev --demo`, the first page end to end on the embedded backends.

pub mod demo;
pub mod manifest;
pub mod roles;
