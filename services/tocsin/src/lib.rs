//! The all-in-one Tocsin process and its operator commands, built from the same service
//! libraries as the separate binaries:
//!
//! - [`roles`]: run any subset of ingest, engagement, notifier and api in one process.
//! - [`manifest`]: response plans and contacts from a YAML file (`tocsin apply -f`).
//! - [`cfn`]: CloudFormation templates (`tocsin apply -f TEMPLATE`), planned then applied.
//! - [`cli`]: operator commands against a running Tocsin's API (incidents, pages, shifts).
//! - [`demo`]: `tocsin dev --demo`, the first page end to end on the embedded backends.
//! - [`dev_keys`]: the AWS key of `tocsin dev` and how to point the aws CLI at it.

pub mod cfn;
pub mod cli;
pub mod demo;
pub mod dev_keys;
pub mod manifest;
pub mod roles;
