//! One `page.send` command: claim, throttle, send, record, receipt.
//!
//! 1. **Claim** `deliver:<page>` in the store. Done → only the receipt is published again;
//!    in flight elsewhere → back to the queue.
//! 2. **Opt-out.** An SMS to a number that replied `UNSUBSCRIBE` is not sent: the page fails
//!    with a `STOP` detail (see [`crate::inbound`]).
//! 3. **Throttle** ([`crate::throttle`]): over the channel's limit, the claim is released and
//!    the page goes back to the queue until the window has room — delayed, never dropped, and
//!    said so on the timeline and in the log.
//! 4. **Attempt marker.** Before calling the peer the notifier counts the attempt in
//!    `notifier-attempt`. Finding one already there on a fresh claim means an earlier send's
//!    outcome was lost (a crash, a deadline): the send is a possible duplicate, repeated with
//!    the same idempotency key (peers that honour it drop it) and counted in the receipt and
//!    the log, never silently.
//! 5. **Send** through the driver's gate; **record** the outcome (`complete`), then publish
//!    `page.delivered` or `page.failed`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tocsin_bus::Delivery;
use tocsin_core::ids::{derive, sha256_hex};
use tocsin_proto::Envelope;
use tocsin_proto::messages::{Event, NotifyCommand, PageReceiptV1, SendPageV1};
use tocsin_proto::records::{ChannelType, TimelineEvent};
use tocsin_runtime::publish::{self, Meta};
use tocsin_runtime::{Outcome, Records};
use tocsin_store::{Claim, Expect};

use crate::drivers::{Admission, SendError};
use crate::{Notifier, inbound, throttle};

/// How long a delivery outcome is remembered.
pub(crate) const DONE_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// First retry delay after a transient failure.
pub(crate) const RETRY_AFTER: Duration = Duration::from_millis(500);
/// Record kind counting the sends of a page whose outcome was not recorded.
pub const ATTEMPT_KIND: &str = "notifier-attempt";
/// Timeline event type of a page delayed by a throttle (Tocsin extension).
pub const PAGE_THROTTLED: &str = "Page Throttled";

/// The recorded outcome of one page delivery.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Delivered {
    ok: bool,
    detail: String,
    at: DateTime<Utc>,
}

/// Sends of a page so far (the attempt marker).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Attempts {
    /// Calls made to the peer.
    pub sends: u32,
}

impl Notifier {
    pub(crate) async fn send_page(
        &self,
        env: &Envelope<NotifyCommand>,
        delivery: &Delivery,
        p: &SendPageV1,
    ) -> Outcome {
        let account = env.account_id.as_str();
        let records = Records::new(self.ctx.store.clone(), account);
        let key = format!("deliver:{}", p.page_arn);
        // The claim outlives one send attempt, so a crashed sender's claim expires in time for
        // the redelivery to take it over.
        let claim_ttl = self.ctx.settings.webhook_timeout * 2 + Duration::from_secs(5);
        match self.ctx.store.claim(account, &key, claim_ttl).await {
            Ok(Claim::Done(result)) => {
                return match serde_json::from_str::<Delivered>(&result) {
                    Ok(d) => self.receipt(env, p, &d).await,
                    Err(e) => {
                        Outcome::Reject(format!("corrupt delivery record for {}: {e}", p.page_arn))
                    }
                };
            }
            Ok(Claim::InFlight) => {
                return Outcome::retry(
                    claim_ttl,
                    format!("{} is being delivered elsewhere", p.page_arn),
                );
            }
            Ok(Claim::New) => {}
            Err(e) => return Outcome::retry(RETRY_AFTER, e),
        }
        let now = self.ctx.clock.now();
        let page_id = crate::drivers::page_id(p);
        if p.channel_type == ChannelType::Sms {
            match inbound::sms::opted_out(&records, &p.address).await {
                Ok(true) => {
                    let d = Delivered {
                        ok: false,
                        detail: "STOP: the device replied UNSUBSCRIBE; reply START <code> to \
                                 re-enable it"
                            .into(),
                        at: now,
                    };
                    return self.finish(env, p, &key, claim_ttl, d).await;
                }
                Ok(false) => {}
                Err(e) => {
                    let _ = self.ctx.store.release(account, &key).await;
                    return Outcome::retry(RETRY_AFTER, e);
                }
            }
        }
        if let Some(limit) = throttle::limit_for(&self.ctx.settings.throttles, p.channel_type) {
            match throttle::admit(&records, limit, &p.contact_channel_arn, page_id, now).await {
                Ok(None) => {}
                Ok(Some(wait)) => {
                    let _ = self.ctx.store.release(account, &key).await;
                    self.throttled(&records, p, limit, wait, now).await;
                    return self.wait_for_room(env, delivery, wait).await;
                }
                Err(e) => {
                    let _ = self.ctx.store.release(account, &key).await;
                    return Outcome::retry(RETRY_AFTER, e);
                }
            }
        }
        let resends = match self.count_attempt(&records, &p.page_arn).await {
            Ok(n) => n,
            Err(e) => {
                let _ = self.ctx.store.release(account, &key).await;
                return Outcome::retry(RETRY_AFTER, e);
            }
        };
        if resends > 0 {
            self.stats.count_possible_duplicate();
            tracing::warn!(page_arn = %p.page_arn, resends, idempotency_key = page_id, "Resending a page whose earlier outcome was lost; peers honouring the idempotency key drop the duplicate.");
        }
        let last_attempt = delivery.attempt() + 1 >= self.ctx.settings.send_attempts;
        let admission = if last_attempt {
            Admission::LastAttempt
        } else {
            Admission::Normal
        };
        let result = self.drivers.send_with(p, admission).await;
        let now = self.ctx.clock.now();
        let note = |detail: String| {
            if resends > 0 {
                format!(
                    "{detail} (resent {resends}x after an unknown outcome, same idempotency key)"
                )
            } else {
                detail
            }
        };
        let delivered = match result {
            Ok(detail) => {
                if matches!(p.channel_type, ChannelType::Sms | ChannelType::Voice) {
                    // Remember which page a reply from this number may acknowledge.
                    if let Err(e) = inbound::sms::remember(&records, p, now).await {
                        tracing::warn!(page_arn = %p.page_arn, error = %e, "Could not index the page for SMS replies.");
                    }
                }
                Delivered {
                    ok: true,
                    detail: note(detail),
                    at: now,
                }
            }
            Err(SendError::Permanent(detail)) => Delivered {
                ok: false,
                detail: note(detail),
                at: now,
            },
            Err(SendError::Deferred { after, reason }) if !last_attempt => {
                // Nothing reached the peer: free the claim and come back when the driver may
                // take the page. The page waits; it is not dropped.
                let _ = self.uncount_attempt(&records, &p.page_arn).await;
                let _ = self.ctx.store.release(account, &key).await;
                tracing::info!(page_arn = %p.page_arn, %reason, "Page deferred; it goes back to the queue, not dropped.");
                // A quarter more, since the consumer loop's jitter may take a fifth off.
                return Outcome::retry(after.max(RETRY_AFTER).mul_f64(1.25), reason);
            }
            Err(SendError::Transient(detail)) if !last_attempt => {
                let _ = self.uncount_attempt(&records, &p.page_arn).await;
                let _ = self.ctx.store.release(account, &key).await;
                return Outcome::retry(RETRY_AFTER, detail);
            }
            Err(SendError::Unknown(detail)) if !last_attempt => {
                // The marker stays: the next send knows it may be a duplicate.
                tracing::warn!(page_arn = %p.page_arn, %detail, "Page outcome unknown past the deadline; recorded, retried only with the same idempotency key.");
                let _ = self.ctx.store.release(account, &key).await;
                return Outcome::retry(RETRY_AFTER, detail);
            }
            Err(
                SendError::Transient(detail)
                | SendError::Unknown(detail)
                | SendError::Deferred { reason: detail, .. },
            ) => Delivered {
                ok: false,
                detail: note(format!(
                    "gave up after {} attempts: {detail}",
                    self.ctx.settings.send_attempts
                )),
                at: now,
            },
        };
        self.finish(env, p, &key, claim_ttl, delivered).await
    }

    async fn finish(
        &self,
        env: &Envelope<NotifyCommand>,
        p: &SendPageV1,
        key: &str,
        claim_ttl: Duration,
        delivered: Delivered,
    ) -> Outcome {
        let record = serde_json::to_string(&delivered).unwrap_or_default();
        if let Err(e) = self
            .ctx
            .store
            .complete(&env.account_id, key, &record, DONE_TTL)
            .await
        {
            // The page went out but the record did not: keep the claim in flight so it expires
            // and a retry finds the peer's idempotency key rather than a free slot right away.
            return Outcome::retry(claim_ttl, e);
        }
        self.stats.count_delivery(delivered.ok);
        tracing::info!(page_arn = %p.page_arn, ok = delivered.ok, detail = %delivered.detail, "Page delivery finished.");
        self.receipt(env, p, &delivered).await
    }

    /// Counts a send of `what` (a page ARN, an activation key) before it is made; returns how
    /// many were made before it.
    pub(crate) async fn count_attempt(
        &self,
        records: &Records,
        what: &str,
    ) -> Result<u32, tocsin_runtime::records::RecordsError> {
        let id = sha256_hex(what.as_bytes());
        let before = records
            .get::<Attempts>(ATTEMPT_KIND, &id)
            .await?
            .map(|(a, _)| a.sends)
            .unwrap_or(0);
        let next = Attempts { sends: before + 1 };
        records.put(ATTEMPT_KIND, &id, &next, Expect::Any).await?;
        Ok(before)
    }

    /// Takes back a counted send that surely did not reach the peer (it answered, or it was
    /// never called).
    pub(crate) async fn uncount_attempt(
        &self,
        records: &Records,
        what: &str,
    ) -> Result<(), tocsin_runtime::records::RecordsError> {
        let id = sha256_hex(what.as_bytes());
        if let Some((a, _)) = records.get::<Attempts>(ATTEMPT_KIND, &id).await? {
            let next = Attempts {
                sends: a.sends.saturating_sub(1),
            };
            records.put(ATTEMPT_KIND, &id, &next, Expect::Any).await?;
        }
        Ok(())
    }

    /// Puts a throttled page back for about `wait`. The consumer loop multiplies a retry's
    /// delay by `2^attempt` and counts attempts, so the delay is divided back, and near the last
    /// attempt the command is published afresh (same message id) instead: a throttled page is
    /// never dead-lettered.
    async fn wait_for_room(
        &self,
        env: &Envelope<NotifyCommand>,
        delivery: &Delivery,
        wait: Duration,
    ) -> Outcome {
        let attempt = delivery.attempt();
        if attempt + 2 >= self.ctx.settings.send_attempts {
            let meta = Meta {
                account: &env.account_id,
                idempotency_key: &env.idempotency_key,
                now: self.ctx.clock.now(),
            };
            return match publish::command(&self.ctx.bus, &meta, env.payload.clone()).await {
                Ok(()) => Outcome::Ack,
                Err(e) => Outcome::retry(RETRY_AFTER, e),
            };
        }
        // A quarter more, since the consumer loop's jitter may take a fifth off.
        let after = wait.mul_f64(1.25) / 2u32.saturating_pow(attempt.min(16));
        Outcome::retry(
            after.max(Duration::from_millis(1)),
            "throttled: delayed, not dropped",
        )
    }

    async fn throttled(
        &self,
        records: &Records,
        p: &SendPageV1,
        limit: tocsin_runtime::config::Throttle,
        wait: Duration,
        now: DateTime<Utc>,
    ) {
        self.stats.count_throttled();
        metrics::counter!(throttle::METRIC_THROTTLED, "channel" => format!("{:?}", p.channel_type))
            .increment(1);
        tracing::info!(
            metric = throttle::METRIC_THROTTLED,
            page_arn = %p.page_arn,
            channel = ?p.channel_type,
            limit = limit.count,
            window_secs = limit.window.as_secs(),
            wait_ms = wait.as_millis() as u64,
            "Page throttled: delayed, not dropped."
        );
        // One timeline note per page, however often it is put back.
        let data = serde_json::json!({
            "page": p.page_arn,
            "contactChannel": p.contact_channel_arn,
            "reason": format!(
                "at most {} {:?} pages per {}s to this channel; delayed, not dropped",
                limit.count, p.channel_type, limit.window.as_secs()
            ),
        });
        let event = TimelineEvent {
            incident_record_arn: p.incident_arn.clone(),
            event_id: derive(&["page-throttled", &p.page_arn]),
            event_time: now,
            event_updated_time: now,
            event_type: PAGE_THROTTLED.into(),
            event_data: data.to_string(),
            event_references: vec![],
        };
        if !p.incident_id.is_empty()
            && let Err(e) = records.append_timeline(&p.incident_id, &event).await
        {
            tracing::warn!(error = %e, "Could not note the throttle on the timeline.");
        }
    }

    async fn receipt(
        &self,
        env: &Envelope<NotifyCommand>,
        p: &SendPageV1,
        d: &Delivered,
    ) -> Outcome {
        let receipt = PageReceiptV1 {
            page_arn: p.page_arn.clone(),
            engagement_arn: p.engagement_arn.clone(),
            incident_id: p.incident_id.clone(),
            contact_channel_arn: p.contact_channel_arn.clone(),
            at: d.at,
            detail: d.detail.clone(),
        };
        let event = if d.ok {
            Event::PageDelivered(receipt)
        } else {
            Event::PageFailed(receipt)
        };
        let key = format!("receipt:{}:{}", p.page_arn, d.ok);
        let meta = Meta {
            account: &env.account_id,
            idempotency_key: &key,
            now: self.ctx.clock.now(),
        };
        match publish::event(&self.ctx.bus, &meta, event).await {
            Ok(()) => Outcome::Ack,
            Err(e) => Outcome::retry(RETRY_AFTER, e),
        }
    }
}
