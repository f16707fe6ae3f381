//! Wire contracts of Tocsin: everything that crosses a process boundary is defined here and only
//! here, so that a rename is a deliberate, reviewed change (golden fixtures and the checked-in
//! JSON Schemas in `proto/schemas/` fail the build otherwise).
//!
//! - [`routing`]: exchange, queue and routing-key names.
//! - [`envelope`]: the envelope every internal bus message travels in.
//! - [`alarm`]: the formats alarm sources publish to `tocsin.ingest` (public contracts).
//! - [`messages`]: events on `tocsin.events` and commands on `tocsin.notify`.
//! - [`records`]: stored records (incident, timeline event, response plan, contact, channel,
//!   engagement, page), shaped like the AWS `ssm-incidents` / `ssm-contacts` models.
//! - [`arn`]: ARN builders and parsers for those records.
//! - [`schemas`]: JSON Schemas generated from the types above.
//!
//! No I/O, no async, no clock.

pub mod alarm;
pub mod arn;
pub mod envelope;
pub mod messages;
pub mod records;
pub mod routing;
pub mod schemas;

pub use envelope::{DecodeError, Envelope, SCHEMA_VERSION};
