//! The shell every Tocsin service shares: configuration ([`config`]), logs and traces
//! ([`telemetry`]), the system clock ([`clock`]), signal handling ([`shutdown`]), health
//! endpoints ([`health`]), the broker topology and backend selection ([`backends`]), typed
//! records on the store ([`records`]), envelope publishing ([`publish`]) and the consumer loop
//! that turns a handler's [`consumer::Outcome`] into ack, delayed retry or dead letter
//! ([`consumer`]).

pub mod backends;
pub mod clock;
pub mod config;
pub mod consumer;
pub mod health;
pub mod metrics;
pub mod publish;
pub mod records;
pub mod service;
pub mod shutdown;
pub mod telemetry;

pub use backends::{Backends, topology};
pub use clock::SystemClock;
pub use config::Settings;
pub use consumer::{Handler, Outcome};
pub use records::Records;
pub use service::Context;
