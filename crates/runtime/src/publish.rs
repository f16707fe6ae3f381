//! Publishing envelopes. The message id derives from the idempotency key, so a republished
//! message (after a crash before the ack) is recognisably the same message. The trace context
//! of the current span travels in the W3C `traceparent`/`tracestate` headers and in the
//! envelope's `traceparent`.

use serde::Serialize;
use tocsin_bus::{Bus, BusError, OutgoingMessage};
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
}

fn message<T: Serialize>(
    exchange: &str,
    routing_key: &str,
    meta: &Meta<'_>,
    payload: T,
) -> OutgoingMessage {
    let message_id = derive(&["message", meta.account, meta.idempotency_key]);
    let trace = crate::telemetry::trace_headers();
    let env = Envelope {
        message_id: message_id.clone(),
        idempotency_key: meta.idempotency_key.to_string(),
        occurred_at: meta.now,
        schema_version: SCHEMA_VERSION,
        traceparent: trace.get(crate::telemetry::HEADER_TRACEPARENT).cloned(),
        account_id: meta.account.to_string(),
        payload,
    };
    let mut out =
        OutgoingMessage::new(exchange, routing_key, env.to_vec()).with_message_id(message_id);
    out.headers.extend(trace);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consumer::{self, Handler, Outcome};
    use crate::telemetry::{HEADER_TRACEPARENT, test_subscriber};
    use tocsin_bus::Delivery;
    use tocsin_proto::messages::PageReceiptV1;
    use tocsin_proto::routing::{EXCHANGE_INGEST, QUEUE_ENGAGEMENT, QUEUE_INGEST, RK_NATIVE};

    const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    /// Publishes a receipt for every delivery.
    struct Republish(Bus);

    impl Handler for Republish {
        async fn handle(&self, _: &Delivery) -> Outcome {
            let meta = Meta {
                account: "123456789012",
                idempotency_key: "receipt:p1:true",
                now: chrono::DateTime::UNIX_EPOCH,
            };
            let receipt = PageReceiptV1 {
                page_arn: "p1".into(),
                engagement_arn: "e1".into(),
                incident_id: "i1".into(),
                contact_channel_arn: "c1".into(),
                at: chrono::DateTime::UNIX_EPOCH,
                detail: "200".into(),
            };
            match event(&self.0, &meta, Event::PageDelivered(receipt)).await {
                Ok(()) => Outcome::Ack,
                Err(e) => Outcome::Reject(e.to_string()),
            }
        }
    }

    #[tokio::test]
    async fn a_message_published_while_handling_continues_the_trace() {
        // Per-thread subscriber: the test runs on the current-thread runtime.
        let _guard = tracing::subscriber::set_default(test_subscriber());
        let bus = crate::Backends::embedded().await.unwrap().bus;
        let incoming = OutgoingMessage::new(EXCHANGE_INGEST, RK_NATIVE, "{}")
            .with_header(HEADER_TRACEPARENT, PARENT);
        bus.publish(incoming).await.unwrap();
        let delivery = bus.get(QUEUE_INGEST).await.unwrap().unwrap();

        consumer::settle(&Republish(bus.clone()), delivery, 3).await;

        let out = bus.get(QUEUE_ENGAGEMENT).await.unwrap().unwrap();
        let header = out
            .headers
            .get(HEADER_TRACEPARENT)
            .expect("a traceparent header");
        let parts: Vec<&str> = header.split('-').collect();
        assert_eq!(parts[1], "4bf92f3577b34da6a3ce929d0e0e4736", "{header}");
        assert_ne!(parts[2], "00f067aa0ba902b7", "{header}");
        let env: Envelope<Event> = Envelope::decode(&out.body).unwrap();
        assert_eq!(env.traceparent.as_ref(), Some(header));
        assert_eq!(bus.message_count(QUEUE_INGEST).await.unwrap(), 0, "acked");

        // Outside any span nothing is invented.
        let plain = message(
            EXCHANGE_EVENTS,
            "x",
            &Meta {
                account: "123456789012",
                idempotency_key: "k",
                now: chrono::DateTime::UNIX_EPOCH,
            },
            1,
        );
        assert!(plain.headers.is_empty());
    }
}
