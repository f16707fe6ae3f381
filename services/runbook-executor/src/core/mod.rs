//! The pure interpreter: document parsing and rules (with line numbers), parameters and
//! `{{ }}` substitution, and the step state machine. No I/O, no clock: time comes in as `now`.

pub mod branch;
pub mod document;
pub mod inputs;
pub mod locate;
pub mod machine;
pub mod params;
pub mod subst;
pub mod validate;

#[cfg(test)]
mod tests;

pub use document::{Action, Document, Format, OnFailure, ParamType};
pub use machine::{Effect, Input, Refused, StepOutcome, attempt_key, handle, new_execution};
pub use validate::{InvalidDocument, Problem, parse};
