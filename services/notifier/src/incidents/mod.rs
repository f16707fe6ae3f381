//! The notifier's incident side: `incident.opened`, `incident.merged`, `page.accepted` (READ)
//! and `incident.resolved` from `tocsin.notifier.incidents` become chat messages (opened /
//! updated / resolved, with a link to the incident) on the incident's chat webhooks, signed
//! webhooks to its notification targets ([`targets`]), and a PagerDuty incident with the
//! timeline as notes ([`pagerduty`]).
//!
//! Effectively once: every post is claimed in the store under a key derived from the incident,
//! the event and the target (`chat:<incident>:<event>:<n>`, `target:<incident>:<event>:<topic>`,
//! `pd-note:<incident>:<event id>`),
//! so a redelivered event skips what was done. The same key travels as `Idempotency-Key`.
//! A transient failure (5xx, timeout) frees its claim and retries the event; a permanent one
//! (4xx) is recorded, logged and not retried. Each peer has its own gate (slots, circuit), so a
//! failing chat service does not stall PagerDuty or the other chats.

mod chat;
pub mod format;
pub mod pagerduty;
pub mod targets;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tocsin_bus::Delivery;
use tocsin_proto::Envelope;
use tocsin_proto::messages::Event;
use tocsin_proto::records::{ChatKind, Page, kinds};
use tocsin_runtime::{Context, Handler, Outcome, Records};
use tocsin_store::Claim;

use self::format::Change;
use crate::drivers::SendError;
use crate::drivers::gate::{BreakerRules, Gate};
use crate::links::Links;
use crate::secrets::Secrets;

/// How long a done post is remembered.
const DONE_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// Retry delay of a transient failure.
const RETRY_AFTER: Duration = Duration::from_millis(500);

/// A step that did not finish: the event goes back to the queue.
struct Again(Outcome);

/// Which peer a post goes to; each has its own gate.
#[derive(Debug, Clone, Copy)]
enum Peer {
    Chat(ChatKind),
    PagerDuty,
    Targets,
}

/// Handles the incident events of the notifier.
#[derive(Clone)]
pub struct Incidents {
    inner: Arc<Inner>,
}

struct Inner {
    ctx: Context,
    http: reqwest::Client,
    links: Links,
    pagerduty: pagerduty::Client,
    targets: targets::Directory,
    gates: [Gate; 5],
    unknown_targets: AtomicU64,
}

impl std::fmt::Debug for Incidents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Incidents").finish_non_exhaustive()
    }
}

impl Incidents {
    /// The incident side on `ctx`.
    pub fn new(ctx: Context) -> Self {
        let s = &ctx.settings;
        let http = reqwest::Client::builder()
            .timeout(s.webhook_timeout)
            .connect_timeout(s.webhook_timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("tocsin/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        let rules = BreakerRules {
            failures: s.notifier_breaker_failures,
            cooldown: s.notifier_breaker_cooldown,
        };
        let gate = |name| Gate::new(name, s.notifier_concurrency, s.webhook_timeout, rules);
        let pagerduty = pagerduty::Client::new(
            http.clone(),
            s.pagerduty_url.clone(),
            Secrets::new(s.secrets_file.clone()),
        );
        let targets = targets::Directory::from_settings(s);
        Self {
            inner: Arc::new(Inner {
                links: Links::from_settings(s),
                http,
                pagerduty,
                targets,
                gates: [
                    gate("slack"),
                    gate("teams"),
                    gate("chime"),
                    gate("pagerduty"),
                    gate("notification-targets"),
                ],
                unknown_targets: AtomicU64::new(0),
                ctx,
            }),
        }
    }

    fn gate(&self, peer: Peer) -> &Gate {
        let g = &self.inner.gates;
        match peer {
            Peer::Chat(ChatKind::Slack) => &g[0],
            Peer::Chat(ChatKind::Teams) => &g[1],
            Peer::Chat(ChatKind::Chime) => &g[2],
            Peer::PagerDuty => &g[3],
            Peer::Targets => &g[4],
        }
    }

    /// Notification targets whose topic no mapping knows, so far (each event counted once).
    pub fn unknown_targets(&self) -> u64 {
        self.inner.unknown_targets.load(Ordering::Relaxed)
    }

    /// Tells chat and PagerDuty that `change` happened to incident `id`; `event` names the
    /// event for the idempotency keys.
    pub(crate) async fn tell(
        &self,
        records: &Records,
        id: &str,
        event: &str,
        change: Change,
    ) -> Outcome {
        // Boxed: the steps' futures (HTTP calls, store round trips) are large.
        Box::pin(self.tell_now(records, id, event, change)).await
    }

    async fn tell_now(&self, records: &Records, id: &str, event: &str, change: Change) -> Outcome {
        let incident = match records.incident(id).await {
            Ok(Some((i, _))) => i,
            Ok(None) => {
                tracing::warn!(incident_id = %id, "Incident event for an incident that does not exist; nothing to tell.");
                return Outcome::Ack;
            }
            Err(e) => return Outcome::retry(RETRY_AFTER, e),
        };
        let mut again: Option<Outcome> = None;
        if let Err(Again(o)) = self.chat(records, id, event, &incident, &change).await {
            again = Some(o);
        }
        if let Err(Again(o)) = self.targets(records, id, event, &incident, &change).await {
            again.get_or_insert(o);
        }
        if let Err(Again(o)) = self.pagerduty(records, id, &incident, &change).await {
            again.get_or_insert(o);
        }
        again.unwrap_or(Outcome::Ack)
    }

    /// Runs `step` once per `key`: a done key is skipped (its result returned), a transient
    /// failure frees the key and asks for the event again, a permanent failure is recorded
    /// and logged.
    async fn once<F, Fut>(
        &self,
        account: &str,
        key: &str,
        peer: Peer,
        step: F,
    ) -> Result<Result<String, String>, Again>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<String, SendError>>,
    {
        let store = &self.inner.ctx.store;
        let ttl = self.inner.ctx.settings.webhook_timeout * 2 + Duration::from_secs(5);
        match store.claim(account, key, ttl).await {
            Ok(Claim::Done(r)) => {
                return Ok(match r.strip_prefix("failed: ") {
                    Some(e) => Err(e.to_string()),
                    None => Ok(r),
                });
            }
            Ok(Claim::InFlight) => {
                return Err(Again(Outcome::retry(
                    ttl,
                    format!("{key} is in flight elsewhere"),
                )));
            }
            Ok(Claim::New) => {}
            Err(e) => return Err(Again(Outcome::retry(RETRY_AFTER, e))),
        }
        let result = self.gate(peer).run(crate::Admission::Normal, step()).await;
        let (record, out) = match result {
            Ok(r) => (r.clone(), Ok(r)),
            Err(SendError::Permanent(e)) => {
                tracing::warn!(key, error = %e, "Incident message failed permanently (refused by its peer, or nowhere to send it); not retried.");
                (format!("failed: {e}"), Err(e))
            }
            Err(e) => {
                let _ = store.release(account, key).await;
                return Err(Again(Outcome::retry(RETRY_AFTER, e)));
            }
        };
        if let Err(e) = store.complete(account, key, &record, DONE_TTL).await {
            return Err(Again(Outcome::retry(ttl, e)));
        }
        Ok(out)
    }
}

impl Handler for Incidents {
    async fn handle(&self, delivery: &Delivery) -> Outcome {
        let env: Envelope<Event> = match Envelope::decode(&delivery.body) {
            Ok(e) => e,
            Err(e) => return Outcome::Reject(e.to_string()),
        };
        let records = Records::new(self.inner.ctx.store.clone(), env.account_id.clone());
        match &env.payload {
            Event::IncidentOpened(o) => {
                self.tell(&records, &o.incident_id, "opened", Change::Opened)
                    .await
            }
            Event::IncidentMerged(m) => {
                let what = "another alarm was merged into it (same dedupe string)".to_string();
                let event = format!("merged:{}", env.message_id);
                self.tell(&records, &m.incident_id, &event, Change::Updated(what))
                    .await
            }
            Event::IncidentResolved(r) => {
                self.tell(&records, &r.incident_id, "resolved", Change::Resolved)
                    .await
            }
            Event::PageAccepted(a) if a.accept_type == "READ" => {
                let page_id = a.page_arn.rsplit('/').next().unwrap_or_default();
                let incident = match records.get::<Page>(kinds::PAGE, page_id).await {
                    Ok(Some((p, _))) => p.incident_id,
                    Ok(None) => None,
                    Err(e) => return Outcome::retry(RETRY_AFTER, e),
                };
                let Some(incident) = incident else {
                    return Outcome::Ack;
                };
                let id = incident.rsplit('/').next().unwrap_or_default().to_string();
                let contact = a.contact_arn.rsplit('/').next().unwrap_or_default();
                let what = format!("acknowledged by {contact}");
                let event = format!("ack:{}", a.page_arn);
                self.tell(&records, &id, &event, Change::Updated(what))
                    .await
            }
            _ => Outcome::Ack,
        }
    }
}
