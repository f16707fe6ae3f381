//! One `activation.send` command: a contact channel's 6-digit activation code, delivered over
//! that channel (published by the API's `SendActivationCode` and `CreateContactChannel`).
//!
//! The same drivers as pages carry it ([`crate::drivers::Message::Activation`]): a mail "Your
//! Tocsin activation code", a text, a call spelling the code twice, a signed webhook. Nothing
//! to acknowledge, so no accept code, link or status callback, and no page receipt: the
//! outcome is logged (and counted), since there is no page to report it on.
//!
//! Idempotent per (channel, code): the claim `activation:<channel>:<id>` (the id derived from
//! both, [`crate::drivers::activation_id`]) makes a redelivered command a no-op once done, and
//! the same id is the peer's idempotency key. A new code is a new message. Like pages, a send is
//! counted before it is made (the attempt marker), so one whose outcome was lost — a crash, a
//! deadline — is resent only with the same key and logged as a possible duplicate. Transient
//! failures are retried with backoff up to `TOCSIN_SEND_ATTEMPTS`; permanent ones (bad address,
//! no provider, a 4xx) are logged at once. Throttles and opt-outs do not apply: the API limits
//! codes per channel, and a code is how an opted-out number re-enables itself (`START <code>`).

use std::time::Duration;

use tocsin_bus::Delivery;
use tocsin_proto::Envelope;
use tocsin_proto::messages::{NotifyCommand, SendActivationCodeV1};
use tocsin_runtime::{Outcome, Records};
use tocsin_store::Claim;

use crate::Notifier;
use crate::drivers::{Admission, Message, SendError, activation_id};
use crate::pages::{DONE_TTL, RETRY_AFTER};

impl Notifier {
    pub(crate) async fn send_activation(
        &self,
        env: &Envelope<NotifyCommand>,
        delivery: &Delivery,
        a: &SendActivationCodeV1,
    ) -> Outcome {
        let account = env.account_id.as_str();
        let records = Records::new(self.ctx.store.clone(), account);
        let key = format!("activation:{}:{}", a.contact_channel_arn, activation_id(a));
        let claim_ttl = self.ctx.settings.webhook_timeout * 2 + Duration::from_secs(5);
        match self.ctx.store.claim(account, &key, claim_ttl).await {
            Ok(Claim::Done(_)) => return Outcome::Ack,
            Ok(Claim::InFlight) => {
                return Outcome::retry(claim_ttl, "the activation code is being sent elsewhere");
            }
            Ok(Claim::New) => {}
            Err(e) => return Outcome::retry(RETRY_AFTER, e),
        }
        let resends = match self.count_attempt(&records, &key).await {
            Ok(n) => n,
            Err(e) => {
                let _ = self.ctx.store.release(account, &key).await;
                return Outcome::retry(RETRY_AFTER, e);
            }
        };
        if resends > 0 {
            self.stats.count_possible_duplicate();
            tracing::warn!(contact_channel_arn = %a.contact_channel_arn, resends, "Resending an activation code whose earlier outcome was lost; peers honouring the idempotency key drop the duplicate.");
        }
        let last_attempt = delivery.attempt() + 1 >= self.ctx.settings.send_attempts;
        let admission = if last_attempt {
            Admission::LastAttempt
        } else {
            Admission::Normal
        };
        let result = self
            .drivers
            .deliver(Message::Activation(a), admission)
            .await;
        let (ok, detail) = match result {
            Ok(detail) => (true, detail),
            Err(SendError::Permanent(detail)) => (false, detail),
            Err(SendError::Deferred { after, reason }) if !last_attempt => {
                let _ = self.uncount_attempt(&records, &key).await;
                let _ = self.ctx.store.release(account, &key).await;
                return Outcome::retry(after.max(RETRY_AFTER).mul_f64(1.25), reason);
            }
            Err(SendError::Transient(detail)) if !last_attempt => {
                let _ = self.uncount_attempt(&records, &key).await;
                let _ = self.ctx.store.release(account, &key).await;
                return Outcome::retry(RETRY_AFTER, detail);
            }
            Err(SendError::Unknown(detail)) if !last_attempt => {
                // The marker stays: the next send knows it may be a duplicate.
                tracing::warn!(contact_channel_arn = %a.contact_channel_arn, %detail, "Activation code outcome unknown past the deadline; retried only with the same idempotency key.");
                let _ = self.ctx.store.release(account, &key).await;
                return Outcome::retry(RETRY_AFTER, detail);
            }
            Err(
                SendError::Transient(detail)
                | SendError::Unknown(detail)
                | SendError::Deferred { reason: detail, .. },
            ) => (
                false,
                format!(
                    "gave up after {} attempts: {detail}",
                    self.ctx.settings.send_attempts
                ),
            ),
        };
        let record = if ok {
            detail.clone()
        } else {
            format!("failed: {detail}")
        };
        if let Err(e) = self
            .ctx
            .store
            .complete(account, &key, &record, DONE_TTL)
            .await
        {
            return Outcome::retry(claim_ttl, e);
        }
        self.stats.count_activation(ok);
        if ok {
            tracing::info!(contact_channel_arn = %a.contact_channel_arn, channel = ?a.channel_type, %detail, "Activation code sent.");
        } else {
            tracing::warn!(contact_channel_arn = %a.contact_channel_arn, channel = ?a.channel_type, %detail, "Activation code could not be delivered; SendActivationCode issues a new one.");
        }
        Outcome::Ack
    }
}
