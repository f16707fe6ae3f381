//! Per-contact-channel throttles: at most `count` pages per sliding `window` to one contact
//! channel (`TOCSIN_THROTTLE_{EMAIL,SMS,VOICE,WEBHOOK}`; default voice 3 per 15 minutes, SMS
//! 10, email 20, webhooks unlimited).
//!
//! The window lives in the store (record kind [`KIND`], one per channel, compare-and-set on
//! its version), so every notifier replica counts the same sends. A page takes its place in
//! the window before it is sent and keeps it when redelivered (entries carry the page id), so
//! a crash and redelivery never count one page twice. A page over the limit is not dropped:
//! the notifier puts it back on the queue until the oldest send leaves the window, logs it,
//! counts it (`tocsin_notifier_throttled_total`) and notes it on the incident's timeline.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tocsin_core::ids::sha256_hex;
use tocsin_proto::records::ChannelType;
use tocsin_runtime::Records;
use tocsin_runtime::config::{Throttle, Throttles};
use tocsin_runtime::records::RecordsError;
use tocsin_store::{Expect, StoreError};

/// Record kind of the windows.
pub const KIND: &str = "notifier-throttle";
/// Metric: pages delayed by a throttle.
pub const METRIC_THROTTLED: &str = "tocsin_notifier_throttled_total";

/// Sends of one channel inside its window, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// `(page id, when it took its place)`.
    pub sends: Vec<(String, DateTime<Utc>)>,
}

/// What the throttle says about one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Send it; store this window (None: unchanged, the page already had its place).
    Send(Option<Window>),
    /// Over the limit: try again after this long.
    Wait(Duration),
}

/// The pure rule: may `page` go to a channel whose window is `w`, at `now`?
pub fn decide(w: &Window, limit: Throttle, page: &str, now: DateTime<Utc>) -> Decision {
    if w.sends.iter().any(|(p, _)| p == page) {
        return Decision::Send(None);
    }
    let window = chrono::Duration::from_std(limit.window).unwrap_or(chrono::Duration::MAX);
    let live: Vec<(String, DateTime<Utc>)> = w
        .sends
        .iter()
        .filter(|(_, at)| *at + window > now)
        .cloned()
        .collect();
    if live.len() >= limit.count as usize {
        let oldest = live.iter().map(|(_, at)| *at).min().unwrap_or(now);
        let wait = (oldest + window - now).to_std().unwrap_or_default();
        return Decision::Wait(wait.max(Duration::from_millis(1)));
    }
    let mut next = Window { sends: live };
    next.sends.push((page.to_string(), now));
    Decision::Send(Some(next))
}

/// The limit of a channel type.
pub fn limit_for(throttles: &Throttles, channel: ChannelType) -> Option<Throttle> {
    match channel {
        ChannelType::Email => throttles.email,
        ChannelType::Sms => throttles.sms,
        ChannelType::Voice => throttles.voice,
        ChannelType::Webhook => throttles.webhook,
    }
}

/// Takes `page`'s place in `channel_arn`'s window, or says how long to wait.
pub async fn admit(
    records: &Records,
    limit: Throttle,
    channel_arn: &str,
    page: &str,
    now: DateTime<Utc>,
) -> Result<Option<Duration>, RecordsError> {
    let id = sha256_hex(channel_arn.as_bytes());
    for _ in 0..8 {
        let (window, expect) = match records.get::<Window>(KIND, &id).await? {
            Some((w, v)) => (w, Expect::Version(v)),
            None => (Window::default(), Expect::Absent),
        };
        match decide(&window, limit, page, now) {
            Decision::Wait(d) => return Ok(Some(d)),
            Decision::Send(None) => return Ok(None),
            Decision::Send(Some(next)) => match records.put(KIND, &id, &next, expect).await {
                Ok(_) => return Ok(None),
                Err(RecordsError::Store(StoreError::Conflict { .. })) => continue,
                Err(e) => return Err(e),
            },
        }
    }
    // Lost the race eight times: another replica is sending to this channel right now.
    Ok(Some(Duration::from_millis(200)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + chrono::Duration::seconds(secs)
    }

    const VOICE: Throttle = Throttle {
        count: 3,
        window: Duration::from_secs(900),
    };

    #[test]
    fn three_calls_per_fifteen_minutes_then_wait_for_the_oldest_to_leave() {
        let mut w = Window::default();
        for (i, t) in [0, 60, 120].into_iter().enumerate() {
            let Decision::Send(Some(next)) = decide(&w, VOICE, &format!("p{i}"), at(t)) else {
                panic!("send {i}")
            };
            w = next;
        }
        assert_eq!(
            decide(&w, VOICE, "p3", at(300)),
            Decision::Wait(Duration::from_secs(600))
        );
        // A page that already has its place is not counted again (redelivery).
        assert_eq!(decide(&w, VOICE, "p1", at(300)), Decision::Send(None));
        // Once the first call is 15 minutes old, the fourth goes and the old one is forgotten.
        let Decision::Send(Some(next)) = decide(&w, VOICE, "p3", at(900)) else {
            panic!("send p3")
        };
        let pages: Vec<&str> = next.sends.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(pages, ["p1", "p2", "p3"]);
    }
}
