//! `engagements`: many concurrent active engagements with pending stage timers, fired by the
//! real engagement role (`tocsin_engagement::run`) on RabbitMQ and Redis with the system clock.
//!
//! Setup writes `N` engagements of one personal contact straight into the store, each ACTIVE
//! in stage 1 of a 2-stage plan, and schedules each one's stage-2 timer at an instant spread
//! evenly over a window that starts after the setup. The role then fires them: stage 2 pages
//! the contact (page record + `page.send` command; no notifier runs) and schedules the
//! end-of-plan timer 30 minutes out, so all `N` engagements keep a pending timer throughout.
//!
//! Lateness of a fired stage = the page's `SentTime` (the engine's `now` when it ran the stage)
//! minus the timer's due time. "No lost timer" = exactly one stage-2 page per engagement.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures_util::StreamExt;
use tocsin_core::Ctx;
use tocsin_core::clock::Clock;
use tocsin_core::engine::{self, timer_key};
use tocsin_proto::arn;
use tocsin_proto::records::*;
use tocsin_proto::routing::QUEUE_NOTIFIER;
use tocsin_runtime::{Backends, Context, Records, SystemClock};
use tocsin_store::Expect;
use tokio_util::sync::CancellationToken;

use crate::EngagementArgs;
use crate::env::Env;
use crate::report::Report;
use crate::stats::{Summary, rss_mib};

const ALIAS: &str = "bench";

/// Runs the scenario.
pub async fn run(args: &EngagementArgs) -> anyhow::Result<()> {
    let env = Env::create(32).await?;
    let account = env.settings.account_id.clone();
    let region = env.settings.region.clone();
    let records = Records::new(env.store.clone(), account.as_str());
    let contact = contact(&account, &region);
    let channel = channel(&account, &region);
    records
        .put(kinds::CONTACT, ALIAS, &contact, Expect::Any)
        .await?;
    let channel_id = channel
        .contact_channel_arn
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    records
        .put(kinds::CONTACT_CHANNEL, &channel_id, &channel, Expect::Any)
        .await?;

    // Setup: engagements, then timers due over the window, starting after the setup.
    let started = Instant::now();
    let n = args.engagements;
    let base = SystemClock.now();
    let ids: Vec<String> = (0..n).map(|i| format!("bench-{i:07}")).collect();
    let ids = Arc::new(ids);
    let ctx = Ctx {
        account: account.clone(),
        region: region.clone(),
        now: base,
        actor: "tocsin-load".into(),
    };
    let written = futures_util::stream::iter(0..n)
        .map(|i| {
            let (records, ctx, ids, contact_arn) = (
                records.clone(),
                ctx.clone(),
                ids.clone(),
                contact.contact_arn.clone(),
            );
            async move {
                let mut e = engine::new_engagement(
                    &ctx,
                    &ids[i],
                    &contact_arn,
                    "load",
                    "Load",
                    "Load test",
                    None,
                    None,
                );
                e.tocsin.status = EngagementStatus::Active;
                e.tocsin.contact_type = Some(ContactType::Personal);
                records
                    .put(kinds::ENGAGEMENT, &ids[i], &e, Expect::Any)
                    .await
            }
        })
        .buffer_unordered(64)
        .filter(|r| std::future::ready(r.is_err()))
        .count()
        .await;
    anyhow::ensure!(written == 0, "{written} engagements could not be written");
    let setup_records = started.elapsed();
    let window = Duration::from_secs(args.window_secs);
    // Timers go in at roughly the rate the records did; start the window after that and a margin.
    let start =
        SystemClock.now() + chrono::Duration::from_std(setup_records + Duration::from_secs(5))?;
    let due = |i: usize| {
        start + chrono::Duration::from_std(window.mul_f64(i as f64 / n as f64)).unwrap_or_default()
    };
    let failed = futures_util::stream::iter(0..n)
        .map(|i| {
            let (store, ids, account) = (env.store.clone(), ids.clone(), account.clone());
            async move {
                let timer = EngagementTimer {
                    account,
                    engagement_id: ids[i].clone(),
                    stage_index: 1,
                    cycle: 0,
                    epoch: 0,
                    retry: None,
                    ack_timeout: false,
                };
                let payload = serde_json::to_string(&timer).unwrap_or_default();
                store
                    .schedule_timer(
                        tocsin_engagement::TIMER_SET,
                        &timer_key(&timer),
                        due(i).timestamp_millis(),
                        &payload,
                    )
                    .await
            }
        })
        .buffer_unordered(64)
        .filter(|r| std::future::ready(r.is_err()))
        .count()
        .await;
    anyhow::ensure!(failed == 0, "{failed} timers could not be scheduled");
    let setup = started.elapsed();
    let late_setup = SystemClock.now() > start;
    eprintln!(
        "tocsin-load: {n} engagements and timers in {:.1} s; firing from {start}",
        setup.as_secs_f64()
    );
    let (rss_before, _) = rss_mib();

    // The engagement role(s).
    let token = CancellationToken::new();
    let mut roles = Vec::new();
    for _ in 0..args.replicas {
        let backends = Backends::connect(&env.settings).await?;
        let ctx = Context::new(env.settings.clone(), backends);
        roles.push(tokio::spawn(tocsin_engagement::run(ctx, token.clone())));
    }
    let bus = env.bus("observer").await?;
    let deadline = Instant::now() + window + Duration::from_secs(args.timeout_secs);
    let mut peak_rss = rss_before;
    loop {
        let sent = bus.message_count(QUEUE_NOTIFIER).await.unwrap_or(0) as usize;
        peak_rss = peak_rss.max(rss_mib().0);
        if sent >= n || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let fired_at = SystemClock.now();
    token.cancel();
    for r in roles {
        r.await.context("engagement role panicked")??;
    }
    let (rss_end, rss_peak) = rss_mib();

    // Verification and lateness from the pages, read one by one by their derived ids (the
    // id of stage 2's first page of engagement `i`), never as one huge listing.
    let channel_arn = channel.contact_channel_arn.clone();
    let pages: Vec<Option<(usize, Page)>> = futures_util::stream::iter(0..n)
        .map(|i| {
            let (records, ids, channel_arn) = (records.clone(), ids.clone(), channel_arn.clone());
            async move {
                let page_id = tocsin_core::ids::derive(&[&ids[i], "1", "0", &channel_arn, "0"]);
                let page = records
                    .get::<Page>(kinds::PAGE, &page_id)
                    .await
                    .ok()
                    .flatten();
                page.map(|(p, _)| (i, p))
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let pages: Vec<(usize, Page)> = pages.into_iter().flatten().collect();
    let lateness: Vec<f64> = pages
        .iter()
        .map(|(i, p)| (p.sent_time - due(*i)).num_milliseconds() as f64 / 1000.0)
        .collect();
    // One `page.send` per fired stage: a timer fired twice would have published twice.
    let commands = bus.message_count(QUEUE_NOTIFIER).await.unwrap_or(0) as usize;
    let once = if commands == n { pages.len() } else { 0 };
    let pending = env
        .store
        .timer_count(tocsin_engagement::TIMER_SET)
        .await
        .unwrap_or(0);
    let late = Summary::of(lateness);

    let mut report = Report::new(format!(
        "engagements: {n} active engagements, stage timers due over {} s, {} engagement replica(s)",
        args.window_secs, args.replicas
    ));
    report.row(
        "setup (records + timers)",
        format!(
            "{:.1} s{}",
            setup.as_secs_f64(),
            if late_setup {
                " (overran the window start)"
            } else {
                ""
            }
        ),
    );
    report.row(
        "stages fired (pages) / expected",
        format!("{} / {n}", pages.len()),
    );
    report.row(
        "engagements paged exactly once (page.send commands)",
        format!("{once} / {n} ({commands})"),
    );
    report.row(
        "pending timers after firing (next stage, expected)",
        format!("{pending} ({n})"),
    );
    report.row(
        "lateness p50 / p99 / max (s)",
        format!("{:.3} / {:.3} / {:.3}", late.p50, late.p99, late.max),
    );
    report.row("firing finished", fired_at.to_rfc3339());
    report.row(
        "RSS before firing / peak during / end (MiB, incl. setup data)",
        format!(
            "{rss_before:.0} / {:.0} / {rss_end:.0} (VmHWM {rss_peak:.0})",
            peak_rss
        ),
    );
    let ok = pages.len() == n && once == n && pending as usize == n && late.p99 <= 1.0;
    report.row(
        "within target (no lost timer, p99 ≤ 1 s)",
        if ok { "yes" } else { "NO" },
    );
    report.emit(args.out.as_deref())?;
    bus.purge(QUEUE_NOTIFIER).await.ok();
    bus.close().await;
    anyhow::ensure!(
        pages.len() == n && once == n,
        "timers were lost or fired twice"
    );
    Ok(())
}

fn contact(account: &str, region: &str) -> Contact {
    let channel = arn::contact_channel(region, account, ALIAS, "hook");
    let target = |d: u32| Stage {
        duration_in_minutes: d,
        targets: vec![Target {
            channel_target_info: Some(ChannelTargetInfo {
                contact_channel_id: channel.clone(),
                retry_interval_in_minutes: None,
            }),
            contact_target_info: None,
        }],
    };
    Contact {
        contact_arn: arn::contact(region, account, ALIAS),
        alias: ALIAS.into(),
        display_name: Some("Load test".into()),
        contact_type: ContactType::Personal,
        tocsin: ContactOptions::default(),
        plan: Plan {
            stages: vec![target(1), target(30)],
            rotation_ids: vec![],
        },
    }
}

fn channel(account: &str, region: &str) -> ContactChannel {
    ContactChannel {
        contact_channel_arn: arn::contact_channel(region, account, ALIAS, "hook"),
        contact_arn: arn::contact(region, account, ALIAS),
        name: "hook".into(),
        channel_type: ChannelType::Webhook,
        delivery_address: ContactChannelAddress {
            simple_address: "http://127.0.0.1:9/never".into(),
        },
        activation_status: ActivationStatus::Activated,
    }
}
