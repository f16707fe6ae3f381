//! Publishing envelopes. The message id derives from the idempotency key, so a republished
//! message (after a crash before the ack) is recognisably the same message.

use serde::Serialize;
use tocsin_bus::{Bus, BusError, HEADER_TRACEPARENT, OutgoingMessage};
use tocsin_core::ids::derive;
use tocsin_proto::messages::{Event, NotifyCommand};
use tocsin_proto::routing::{EXCHANGE_EVENTS, EXCHANGE_NOTIFY};
use tocsin_proto::{Envelope, SCHEMA_VERSION};

/// Metadata of one publish.
#[derive(Debug, Clone)]
pub struct Meta<'a> {
    /// Account.
    pub account: &'a str,
    /// Idempotency key of the effect this message carries.
    pub idempotency_key: &'a str,
    /// Now.
    pub now: chrono::DateTime<chrono::Utc>,
    /// Trace context to carry on.
    pub traceparent: Option<&'a str>,
}

fn message<T: Serialize>(
    exchange: &str,
    routing_key: &str,
    meta: &Meta<'_>,
    payload: T,
) -> OutgoingMessage {
    let message_id = derive(&["message", meta.account, meta.idempotency_key]);
    let env = Envelope {
        message_id: message_id.clone(),
        idempotency_key: meta.idempotency_key.to_string(),
        occurred_at: meta.now,
        schema_version: SCHEMA_VERSION,
        traceparent: meta.traceparent.map(str::to_string),
        account_id: meta.account.to_string(),
        payload,
    };
    let mut out =
        OutgoingMessage::new(exchange, routing_key, env.to_vec()).with_message_id(message_id);
    if let Some(tp) = meta.traceparent {
        out = out.with_header(HEADER_TRACEPARENT, tp);
    }
    out
}

/// Publishes a domain event. An event nobody subscribes to is not an error: events are facts,
/// and subscribers come and go.
pub async fn event(bus: &Bus, meta: &Meta<'_>, event: Event) -> Result<(), BusError> {
    let rk = event.routing_key();
    match bus.publish(message(EXCHANGE_EVENTS, rk, meta, event)).await {
        Err(BusError::Unroutable { .. }) => {
            tracing::debug!(routing_key = rk, "Event has no subscriber.");
            Ok(())
        }
        other => other,
    }
}

/// Publishes a command. Commands must reach a queue: unroutable is an error.
pub async fn command(bus: &Bus, meta: &Meta<'_>, command: NotifyCommand) -> Result<(), BusError> {
    let rk = command.routing_key();
    bus.publish(message(EXCHANGE_NOTIFY, rk, meta, command))
        .await
}
