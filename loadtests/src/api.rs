//! `api`: the real API (`tocsin_api::router`, audit log and authorisation included) served on
//! a loopback port in this process, on RabbitMQ and Redis, called over HTTP by a client that
//! signs every request with SigV4 and sends on an open-loop schedule ([`open_loop`]).
//!
//! Cases: `GetIncidentRecord` and `StartIncident` at a fixed rate, and `ListIncidentRecords`
//! with an impact and creation-time filter over `--incidents` incidents written beforehand
//! through the store's `create_incident`: the first page, and later pages by their tokens.
//! Reports p50/p99/max from the scheduled send, the achieved rate, errors, RSS and the load
//! average (client, server and generator share the machine).

mod data;
mod open_loop;
mod parts;
mod sign;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use secrecy::SecretString;
use serde_json::{Value, json};
use tocsin_core::clock::Clock;
use tocsin_runtime::config::AwsCredential;
use tocsin_runtime::{Backends, Context, SystemClock};
use tokio_util::sync::CancellationToken;

use crate::ApiArgs;
use crate::env::Env;
use crate::report::Report;
use crate::stats::rss_mib;

const KEY_ID: &str = "AKIDTOCSINLOAD000001";
const SECRET: &str = "tocsin-load-secret-not-for-production";
/// Incidents per page in the listing cases.
const PAGE: usize = 50;

/// A signing HTTP client of the API under test.
#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    signer: sign::Signer,
    base: String,
}

impl Client {
    /// Sends a signed request; the JSON answer, or a description of the failure.
    async fn call(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value, String> {
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let signed = self
            .signer
            .sign(method, path, query, &bytes, SystemClock.now());
        let mut req = match method {
            "GET" => self.http.get(format!("{}{}", self.base, signed.uri)),
            _ => self.http.post(format!("{}{}", self.base, signed.uri)),
        };
        for (name, value) in signed.headers {
            req = req.header(name, value);
        }
        let res = req
            .body(bytes)
            .send()
            .await
            .map_err(|e| format!("{path}: {e}"))?;
        let status = res.status();
        let text = res.text().await.map_err(|e| format!("{path}: {e}"))?;
        if !status.is_success() {
            return Err(format!("{path}: {status} {text}"));
        }
        serde_json::from_str(&text).map_err(|e| format!("{path}: {e}: {text}"))
    }
}

/// One case's rows.
fn record(report: &mut Report, name: &str, m: &open_loop::Measured, rate: f64) {
    let l = &m.latency_ms;
    report.row(
        format!("{name} p50 / p99 / max (ms)"),
        format!(
            "{:.2} / {:.2} / {:.2} ({} requests, {} ok)",
            l.p50, l.p99, l.max, l.count, m.ok
        ),
    );
    report.row(
        format!("{name} achieved rate (req/s)"),
        format!("{:.0} of {rate:.0}", m.achieved_rate),
    );
    report.row(format!("{name} errors"), m.errors);
    report.row(
        format!("{name} max sender lag (ms)"),
        format!("{:.1}", m.max_send_lag_ms),
    );
    report.row(format!("{name} load average after"), loadavg());
    if let Some(e) = &m.first_error {
        report.row(
            format!("{name} first error"),
            e.chars().take(200).collect::<String>(),
        );
    }
}

/// `/proc/loadavg`'s 1, 5 and 15 minute figures.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs the scenario.
pub async fn run(args: &ApiArgs) -> anyhow::Result<()> {
    let wants = |case: &str| args.case.iter().any(|c| c == case || c == "all");
    let mut env = Env::create(32).await?;
    env.settings.aws_credentials = vec![AwsCredential {
        access_key_id: KEY_ID.into(),
        secret_access_key: SecretString::from(SECRET.to_owned()),
        account_id: env.settings.account_id.clone(),
    }];
    let ctx = Context::new(
        env.settings.clone(),
        Backends::connect(&env.settings).await?,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let stop = CancellationToken::new();
    let app = tocsin_api::router(&ctx).into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(
        axum::serve(listener, app)
            .with_graceful_shutdown(stop.clone().cancelled_owned())
            .into_future(),
    );
    let client = Arc::new(Client {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(1024)
            .build()?,
        signer: sign::Signer {
            key_id: KEY_ID.into(),
            secret: SECRET.into(),
            region: env.settings.region.clone(),
            host: addr.to_string(),
        },
        base: format!("http://{addr}"),
    });
    let plan = json!({"name": "load", "incidentTemplate": {"title": "Load", "impact": 3}});
    let plan_arn = client
        .call("POST", "/createResponsePlan", &[], Some(&plan))
        .await
        .map_err(anyhow::Error::msg)?["arn"]
        .as_str()
        .context("CreateResponsePlan answer without arn")?
        .to_owned();

    let mut report = Report::new(format!(
        "api: {} incidents, {} req/s for {} s",
        args.incidents, args.rate, args.secs
    ));
    report.row("load average before", loadavg());
    let now = SystemClock.now();
    let started = std::time::Instant::now();
    let arns = Arc::new(data::preload(&ctx, &plan_arn, args.incidents, now).await?);
    let took = started.elapsed().as_secs_f64();
    report.row(
        "preload (create_incident, 64 at a time)",
        format!(
            "{} incidents in {took:.1} s ({:.0}/s)",
            arns.len(),
            arns.len() as f64 / took
        ),
    );
    let count = (args.rate * args.secs as f64) as usize;

    if wants("get") {
        let m = open_loop::run(args.rate, count, |i| {
            let (client, arns) = (client.clone(), arns.clone());
            async move {
                let arn = &arns[(i * 7919) % arns.len()];
                let v = client
                    .call("GET", "/getIncidentRecord", &[("arn", arn)], None)
                    .await?;
                if v["incidentRecord"]["arn"] != json!(arn) {
                    return Err(format!("wrong record for {arn}: {v}"));
                }
                Ok(())
            }
        })
        .await;
        record(&mut report, "GetIncidentRecord", &m, args.rate);
    }
    if wants("list") {
        // The account's first listing builds its indexes (the store indexes incidents written
        // before any listing on first use): timed once, before the measured requests.
        let cold = std::time::Instant::now();
        client
            .call(
                "POST",
                "/listIncidentRecords",
                &[],
                Some(&data::list_body(now, None)),
            )
            .await
            .map_err(anyhow::Error::msg)?;
        report.row(
            "ListIncidentRecords first call (builds the indexes, s)",
            format!("{:.2}", cold.elapsed().as_secs_f64()),
        );
        let list_count = (args.list_rate * args.secs as f64) as usize;
        let m = open_loop::run(args.list_rate, list_count, |_| {
            let client = client.clone();
            async move {
                let v = client
                    .call(
                        "POST",
                        "/listIncidentRecords",
                        &[],
                        Some(&data::list_body(now, None)),
                    )
                    .await?;
                match v["incidentRecordSummaries"].as_array() {
                    Some(a) if a.len() == PAGE => Ok(()),
                    _ => Err(format!("first page not full: {v}")),
                }
            }
        })
        .await;
        record(
            &mut report,
            "ListIncidentRecords first page",
            &m,
            args.list_rate,
        );
        // The tokens of the following pages, walked once, then asked for at the same rate.
        let mut tokens = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..args.pages {
            let v = client
                .call(
                    "POST",
                    "/listIncidentRecords",
                    &[],
                    Some(&data::list_body(now, token.as_deref())),
                )
                .await
                .map_err(anyhow::Error::msg)?;
            match v["nextToken"].as_str() {
                Some(t) => {
                    tokens.push(t.to_owned());
                    token = Some(t.to_owned());
                }
                None => break,
            }
        }
        if tokens.is_empty() {
            bail!("the filtered listing has a single page");
        }
        report.row("ListIncidentRecords pages walked", tokens.len());
        let tokens = Arc::new(tokens);
        let m = open_loop::run(args.list_rate, list_count, |i| {
            let (client, tokens) = (client.clone(), tokens.clone());
            async move {
                let t = &tokens[i % tokens.len()];
                let v = client
                    .call(
                        "POST",
                        "/listIncidentRecords",
                        &[],
                        Some(&data::list_body(now, Some(t))),
                    )
                    .await?;
                match v["incidentRecordSummaries"].as_array() {
                    Some(a) if !a.is_empty() => Ok(()),
                    _ => Err(format!("empty page: {v}")),
                }
            }
        })
        .await;
        record(
            &mut report,
            "ListIncidentRecords next pages",
            &m,
            args.list_rate,
        );
    }
    if wants("start") {
        let run_id = uuid_like();
        let m = open_loop::run(args.rate, count, |i| {
            let (client, plan_arn, run_id) = (client.clone(), plan_arn.clone(), run_id.clone());
            async move {
                let body = json!({"responsePlanArn": plan_arn, "title": format!("load start {i}"), "impact": 3, "clientToken": format!("load-{run_id}-{i}")});
                let v = client.call("POST", "/startIncident", &[], Some(&body)).await?;
                v["incidentRecordArn"].as_str().map(|_| ()).ok_or_else(|| format!("no incidentRecordArn: {v}"))
            }
        })
        .await;
        record(&mut report, "StartIncident", &m, args.rate);
    }
    if args.case.iter().any(|c| c == "parts") {
        for (name, m) in parts::run(&ctx, args.rate, count).await {
            record(&mut report, name, &m, args.rate);
        }
    }
    let (rss, peak) = rss_mib();
    report.row(
        "RSS now / peak (MiB, server + client + generator)",
        format!("{rss:.0} / {peak:.0}"),
    );
    stop.cancel();
    server.await??;
    report.emit(args.out.as_deref())?;
    drop(env);
    Ok(())
}

/// A distinct prefix of this run's client tokens.
fn uuid_like() -> String {
    format!("{:016x}", rand::random::<u64>())
}
