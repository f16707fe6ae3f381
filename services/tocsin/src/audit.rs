//! `tocsin audit`: the audit log of an account (every AWS-API and native-API call), newest
//! first, read from Redis — a table for people, `--output json` for scripts.
//!
//! ```text
//! tocsin audit --since 1h --name StartIncident
//! tocsin audit --errors --output json
//! ```

use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{DateTime, TimeDelta, Utc};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tocsin_api::audit::query::{self, Query};
use tocsin_core::clock::Clock;
use tocsin_runtime::{Settings, SystemClock};
use tocsin_store::{RedisConfig, RedisStore, Store};

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// Aligned columns.
    Table,
    /// `{"events": [...], "nextToken"?}`.
    Json,
}

/// Options of `tocsin audit`.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Events at or after: a duration back from now (`30m`, `2h`, `7d`), an RFC 3339 time or
    /// epoch seconds.
    #[arg(long)]
    since: Option<String>,
    /// Events at or before (same forms as `--since`).
    #[arg(long)]
    until: Option<String>,
    /// Only this event name (e.g. `StartIncident`, case-insensitive).
    #[arg(long)]
    name: Option<String>,
    /// Only failed calls.
    #[arg(long)]
    errors: bool,
    /// Account whose log to read (default `TOCSIN_ACCOUNT_ID`).
    #[arg(long)]
    account: Option<String>,
    /// Most events to show (1-1000).
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// Continue after a previous page (its `nextToken`).
    #[arg(long)]
    next_token: Option<String>,
    /// `table` or `json`.
    #[arg(long, value_enum, default_value_t = Output::Table)]
    output: Output,
}

/// A point in time: `<n>s|m|h|d` back from `now`, RFC 3339, or epoch seconds.
pub fn parse_when(v: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let v = v.trim();
    let (n, unit) = v.split_at(v.len().saturating_sub(1));
    if let Ok(n) = n.parse::<i64>() {
        let back = match unit {
            "s" => Some(TimeDelta::seconds(n)),
            "m" => Some(TimeDelta::minutes(n)),
            "h" => Some(TimeDelta::hours(n)),
            "d" => Some(TimeDelta::days(n)),
            _ => None,
        };
        if let Some(back) = back {
            return Ok(now - back);
        }
    }
    tocsin_api::audit::native::parse_time(v, "time")
        .map_err(|_| format!("{v:?}: use 30m, 2h, 7d, an RFC 3339 time or epoch seconds"))
}

/// Runs `tocsin audit`.
pub async fn run(settings: &Settings, args: AuditArgs) -> anyhow::Result<ExitCode> {
    let now = SystemClock.now();
    let when = |v: &Option<String>, flag: &str| {
        v.as_deref()
            .map(|t| parse_when(t, now).map_err(|e| anyhow::anyhow!("--{flag}: {e}")))
            .transpose()
    };
    let q = Query {
        since: when(&args.since, "since")?,
        until: when(&args.until, "until")?,
        name: args.name,
        errors_only: args.errors,
        limit: args.limit,
        next_token: args.next_token,
    };
    let mut redis = RedisConfig::new(settings.redis_url.expose_secret());
    redis.namespace = settings.namespace.clone();
    redis.pool_size = 2;
    let store = Store::Redis(
        RedisStore::connect(redis)
            .await
            .context("Redis is unreachable")?,
    );
    let account = args.account.unwrap_or_else(|| settings.account_id.clone());
    let page = query::query(&store, &account, &q).await?;
    match args.output {
        Output::Json => {
            let mut out = json!({ "events": page.events });
            if let Some(t) = &page.next_token {
                out["nextToken"] = json!(t);
            }
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        Output::Table => print!("{}", table(&page.events, page.next_token.as_deref())),
    }
    Ok(ExitCode::SUCCESS)
}

/// The events as aligned columns (and how to get the next page).
pub fn table(events: &[Value], next: Option<&str>) -> String {
    let s = |v: &Value| v.as_str().unwrap_or("-").to_string();
    let rows: Vec<[String; 6]> = events
        .iter()
        .map(|e| {
            let who = e["userIdentity"]["accessKeyId"]
                .as_str()
                .or_else(|| e["userIdentity"]["userName"].as_str())
                .unwrap_or("-");
            let source = s(&e["eventSource"]);
            let source = source.trim_end_matches(".amazonaws.com").to_string();
            [
                s(&e["eventTime"]),
                s(&e["eventName"]),
                source,
                format!("{who} ({})", s(&e["userIdentity"]["accountId"])),
                s(&e["sourceIPAddress"]),
                e["errorCode"].as_str().unwrap_or("").to_string(),
            ]
        })
        .collect();
    let header = ["TIME", "EVENT", "SOURCE", "IDENTITY", "SOURCE IP", "ERROR"].map(String::from);
    let mut widths = header.clone().map(|h| h.len());
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.len());
        }
    }
    let mut out = String::new();
    for r in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = r
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    if rows.is_empty() {
        out.push_str("(no events)\n");
    }
    if let Some(t) = next {
        out.push_str(&format!("More: --next-token {t}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_relative_or_absolute() {
        let now = DateTime::parse_from_rfc3339("2026-03-03T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(parse_when("2h", now).unwrap(), now - TimeDelta::hours(2));
        assert_eq!(parse_when("7d", now).unwrap(), now - TimeDelta::days(7));
        assert_eq!(
            parse_when("2026-03-01T00:00:00Z", now)
                .unwrap()
                .to_rfc3339(),
            "2026-03-01T00:00:00+00:00"
        );
        assert_eq!(parse_when("0", now).unwrap().timestamp(), 0);
        assert!(parse_when("yesterday", now).is_err());
    }

    #[test]
    fn the_table_has_one_row_per_event() {
        let e = json!({
            "eventTime": "2026-03-03T09:00:00Z", "eventName": "StartIncident",
            "eventSource": "ssm-incidents.amazonaws.com", "sourceIPAddress": "127.0.0.1",
            "userIdentity": { "accessKeyId": "AKIDEXAMPLE", "accountId": "123456789012" },
            "errorCode": "AccessDeniedException"
        });
        let t = table(&[e], Some("1-0"));
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].starts_with("TIME"), "{t}");
        assert!(
            lines[1].contains("StartIncident")
                && lines[1].contains("ssm-incidents ")
                && lines[1].contains("AKIDEXAMPLE (123456789012)")
                && lines[1].ends_with("AccessDeniedException"),
            "{t}"
        );
        assert_eq!(lines[2], "More: --next-token 1-0");
        assert!(table(&[], None).contains("(no events)"));
    }
}
