//! The operator commands that work on a running Tocsin: `tocsin incidents list|show|resolve|
//! timeline`, `tocsin pages ack`, `tocsin shifts preview`, and the CloudFormation side of
//! `tocsin apply` ([`apply`]).
//!
//! They call the AWS-protocol API over HTTP with SigV4 ([`client`]) rather than reading the
//! store: what an SRE runs from a laptop then needs only an endpoint and a key, and every call
//! is authorised, scoped to the key's account and audited like any other client's. Human
//! tables by default; `--output json` prints the API's answers for scripts.

pub mod apply;
pub mod client;
mod incidents;
mod table;

use clap::{Args, Subcommand, ValueEnum};

pub use incidents::run as run_incidents;
pub use incidents::{run_pages, run_shifts};

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Output {
    /// Aligned columns for people.
    #[default]
    Table,
    /// The API's JSON, for scripts.
    Json,
}

/// Where the API is and how to print.
#[derive(Debug, Clone, Args)]
pub struct Remote {
    /// API endpoint (also `TOCSIN_ENDPOINT`; default `http://$TOCSIN_API_ADDR`).
    #[arg(long, global = true)]
    pub endpoint: Option<String>,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = Output::Table, global = true)]
    pub output: Output,
}

/// `tocsin incidents ...`.
#[derive(Debug, Subcommand)]
pub enum IncidentsCommand {
    /// Incidents, newest first.
    List {
        /// Only this status (OPEN or RESOLVED).
        #[arg(long)]
        status: Option<String>,
        /// Only these impacts (repeatable, 1–5).
        #[arg(long)]
        impact: Vec<i64>,
        /// Only incidents created after this time (RFC 3339).
        #[arg(long)]
        since: Option<chrono::DateTime<chrono::Utc>>,
        /// Only incidents created by this principal ARN.
        #[arg(long)]
        created_by: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// One incident (id or ARN).
    Show {
        /// Incident id (last segment of its ARN) or ARN.
        incident: String,
    },
    /// Resolve an incident (frees its dedupe string, stops its engagements).
    Resolve {
        /// Incident id or ARN.
        incident: String,
        /// Summary to record.
        #[arg(long)]
        summary: Option<String>,
    },
    /// The incident's timeline, oldest first.
    Timeline {
        /// Incident id or ARN.
        incident: String,
    },
}

/// `tocsin pages ...`.
#[derive(Debug, Subcommand)]
pub enum PagesCommand {
    /// Acknowledge a page (`AcceptPage`, READ).
    Ack {
        /// Page ARN.
        page: String,
        /// The accept code the page carried; without it the code is not checked.
        #[arg(long)]
        code: Option<String>,
    },
}

/// `tocsin shifts ...`.
#[derive(Debug, Subcommand)]
pub enum ShiftsCommand {
    /// Who is on call in a rotation over the coming days (`ListRotationShifts`).
    Preview {
        /// Rotation ARN.
        rotation: String,
        /// Start of the window (RFC 3339; default now).
        #[arg(long)]
        from: Option<chrono::DateTime<chrono::Utc>>,
        /// Length of the window in days.
        #[arg(long, default_value_t = 7)]
        days: i64,
    },
}
