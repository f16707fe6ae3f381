//! Driving engagements: load, step the engine, write state and outbox atomically, carry the
//! outbox out, clear it. Nested engagements are driven in the same pass.

use std::time::Duration;

use rand::Rng;
use tocsin_core::Ctx;
use tocsin_core::engagement::send_command;
use tocsin_core::engine::{self, Command, Inputs};
use tocsin_proto::messages::NotifyCommand;
use tocsin_proto::records::{Engagement, EngagementEffect, EngagementStatus, Page, kinds};
use tocsin_runtime::metrics::TIME_TO_FIRST_ACK;
use tocsin_runtime::publish::{self, Meta};
use tocsin_runtime::records::RecordsError;
use tocsin_runtime::{Context, Outcome, Records};
use tocsin_store::{Expect, StoreError};

use crate::world;

/// Timer set of the engagement service.
pub const TIMER_SET: &str = "engagement";
/// Compare-and-set attempts on one engagement before the message is retried.
const CAS_ATTEMPTS: usize = 8;
/// First retry delay.
pub(crate) const RETRY_AFTER: Duration = Duration::from_millis(250);

/// A failed step, classified for the consumer loop.
pub(crate) fn outcome_of(e: RecordsError) -> Outcome {
    if e.is_transient() {
        Outcome::retry(RETRY_AFTER, e)
    } else {
        Outcome::Reject(e.to_string())
    }
}

fn conflict(e: &RecordsError) -> bool {
    matches!(e, RecordsError::Store(StoreError::Conflict { .. }))
}

/// A 6-digit accept code.
fn accept_code() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000))
}

/// The store id at the end of an ARN.
pub(crate) fn last_segment(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// Creates `engagement` unless it exists (a replay finds it there).
pub(crate) async fn create(records: &Records, engagement: &Engagement) -> Result<(), Outcome> {
    match records
        .put(
            kinds::ENGAGEMENT,
            engine::engagement_id(engagement),
            engagement,
            Expect::Absent,
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if conflict(&e) => Ok(()),
        Err(e) => Err(outcome_of(e)),
    }
}

/// Applies `command` to the engagement `id`, and everything it causes, until nothing is left.
pub(crate) async fn drive(
    ctx: &Context,
    records: &Records,
    id: &str,
    command: Command,
) -> Result<(), Outcome> {
    let mut work = vec![(id.to_string(), command)];
    while let Some((id, command)) = work.pop() {
        let effects = step_one(ctx, records, &id, command).await?;
        execute(ctx, records, &id, effects, &mut work).await?;
    }
    Ok(())
}

/// Steps one engagement with compare-and-set. Returns the outbox to carry out (including one
/// left over by an earlier, interrupted pass).
async fn step_one(
    ctx: &Context,
    records: &Records,
    id: &str,
    command: Command,
) -> Result<Vec<EngagementEffect>, Outcome> {
    for _ in 0..CAS_ATTEMPTS {
        let Some((mut e, version)) = records
            .get::<Engagement>(kinds::ENGAGEMENT, id)
            .await
            .map_err(outcome_of)?
        else {
            tracing::warn!(
                engagement_id = id,
                "Command for an engagement that does not exist; dropped."
            );
            return Ok(Vec::new());
        };
        let before = e.clone();
        let (contact, channels, on_call) = world::load(records, &e.contact_arn).await?;
        let c = Ctx {
            account: records.account().to_string(),
            region: ctx.settings.region.clone(),
            now: ctx.clock.now(),
            actor: format!("arn:aws:iam::{}:role/tocsin-engagement", records.account()),
        };
        let on_call_fn = |at| world::on_call_at(&on_call, at);
        let mut code = accept_code;
        let inputs = Inputs {
            contact: contact.as_ref(),
            channels: &channels,
            on_call: &on_call_fn,
            accept_code: &mut code,
        };
        engine::step(&c, &mut e, command.clone(), inputs);
        if e == before {
            return Ok(e.tocsin.outbox);
        }
        match records
            .put(kinds::ENGAGEMENT, id, &e, Expect::Version(version))
            .await
        {
            Ok(_) => {
                first_acknowledgement(&before, &e);
                return Ok(e.tocsin.outbox);
            }
            Err(err) if conflict(&err) => continue,
            Err(err) => return Err(outcome_of(err)),
        }
    }
    Err(Outcome::retry(
        RETRY_AFTER,
        format!("engagement {id} kept changing under concurrent writers"),
    ))
}

/// Counts a root engagement's first acknowledgement (the incident's time to first
/// acknowledgement); the compare-and-set that made it succeeded once, so it counts once.
fn first_acknowledgement(before: &Engagement, after: &Engagement) {
    let (b, a) = (&before.tocsin, &after.tocsin);
    if a.parent.is_none()
        && a.round == 0
        && a.status == EngagementStatus::Acknowledged
        && b.status != EngagementStatus::Acknowledged
        && let Some(at) = a.acknowledged_at
    {
        let seconds = (at - after.start_time).num_milliseconds() as f64 / 1000.0;
        metrics::histogram!(TIME_TO_FIRST_ACK).record(seconds.max(0.0));
    }
}

/// Carries `effects` out (each idempotent), then removes them from the engagement's outbox.
async fn execute(
    ctx: &Context,
    records: &Records,
    id: &str,
    effects: Vec<EngagementEffect>,
    work: &mut Vec<(String, Command)>,
) -> Result<(), Outcome> {
    if effects.is_empty() {
        return Ok(());
    }
    let now = ctx.clock.now();
    for effect in &effects {
        match effect {
            EngagementEffect::SendPage { page, address } => {
                send(ctx, records, page, address).await?
            }
            EngagementEffect::StartChild { engagement } => {
                create(records, engagement).await?;
                work.push((
                    engine::engagement_id(engagement).to_string(),
                    Command::Start,
                ));
            }
            EngagementEffect::StopChild {
                engagement_arn,
                reason,
            } => {
                work.push((
                    last_segment(engagement_arn).to_string(),
                    Command::Stop {
                        reason: reason.clone(),
                    },
                ));
            }
            EngagementEffect::NotifyParent {
                engagement_arn,
                child_arn,
                acknowledged_by,
                is_essential,
            } => {
                work.push((
                    last_segment(engagement_arn).to_string(),
                    Command::ChildAcknowledged {
                        child_arn: child_arn.clone(),
                        acknowledged_by: acknowledged_by.clone(),
                        is_essential: *is_essential,
                    },
                ));
            }
            EngagementEffect::Schedule { due, timer } => {
                let key = engine::timer_key(timer);
                let payload = serde_json::to_string(timer).unwrap_or_default();
                records
                    .store()
                    .schedule_timer(TIMER_SET, &key, due.timestamp_millis(), &payload)
                    .await
                    .map_err(|e| Outcome::retry(RETRY_AFTER, e))?;
            }
            EngagementEffect::Timeline { incident_id, event } => {
                records
                    .append_timeline(incident_id, event)
                    .await
                    .map_err(outcome_of)?;
            }
        }
    }
    tracing::debug!(engagement_id = id, effects = effects.len(), at = %now, "Effects carried out.");
    clear_outbox(records, id, &effects).await
}

/// Removes the carried-out effects from the outbox (others may have been added meanwhile).
async fn clear_outbox(
    records: &Records,
    id: &str,
    done: &[EngagementEffect],
) -> Result<(), Outcome> {
    for _ in 0..CAS_ATTEMPTS {
        let Some((mut e, version)) = records
            .get::<Engagement>(kinds::ENGAGEMENT, id)
            .await
            .map_err(outcome_of)?
        else {
            return Ok(());
        };
        let before = e.tocsin.outbox.len();
        e.tocsin.outbox.retain(|x| !done.contains(x));
        if e.tocsin.outbox.len() == before {
            return Ok(());
        }
        match records
            .put(kinds::ENGAGEMENT, id, &e, Expect::Version(version))
            .await
        {
            Ok(_) => return Ok(()),
            Err(err) if conflict(&err) => continue,
            Err(err) => return Err(outcome_of(err)),
        }
    }
    Err(Outcome::retry(
        RETRY_AFTER,
        format!("could not clear the outbox of engagement {id}"),
    ))
}

/// Writes the page (a page written earlier keeps its accept code) and publishes its delivery.
async fn send(ctx: &Context, records: &Records, page: &Page, address: &str) -> Result<(), Outcome> {
    let id = last_segment(&page.page_arn);
    let stored = match records.put(kinds::PAGE, id, page, Expect::Absent).await {
        Ok(_) => {
            metrics::counter!(tocsin_runtime::metrics::PAGES_CREATED).increment(1);
            page.clone()
        }
        Err(e) if conflict(&e) => match records
            .get::<Page>(kinds::PAGE, id)
            .await
            .map_err(outcome_of)?
        {
            Some((p, _)) => p,
            None => return Err(Outcome::retry(RETRY_AFTER, "page vanished between writes")),
        },
        Err(e) => return Err(outcome_of(e)),
    };
    // The incident's store id ends its ARN (`.../incident-record/<plan>/<id>`).
    let incident = stored.incident_id.as_deref().map(last_segment);
    let cmd = send_command(&stored, address, incident);
    let key = format!("send:{}", stored.page_arn);
    let meta = Meta {
        account: records.account(),
        idempotency_key: &key,
        now: ctx.clock.now(),
    };
    publish::command(&ctx.bus, &meta, NotifyCommand::SendPage(cmd))
        .await
        .map_err(|e| Outcome::retry(RETRY_AFTER, e))
}
