//! The copies that [`Delivery::retry`] and [`Delivery::dead_letter`] publish.
//!
//! Both backends republish the same copy, so the header rules live here once: a retry bumps
//! the attempt counter and records why; a dead letter records why and where it came from.

use crate::{
    Delivery, HEADER_ATTEMPT, HEADER_DLQ_REASON, HEADER_ORIGIN_QUEUE, HEADER_ORIGINAL_EXCHANGE,
    HEADER_ORIGINAL_ROUTING_KEY, HEADER_ORIGINAL_USER_ID, HEADER_RETRY_REASON, OutgoingMessage,
    topology::retry_name,
};

/// The copy sent to `<queue>.retry` through the default exchange: same body and message id,
/// attempt incremented, origin queue and reason recorded.
pub(crate) fn retry_copy(delivery: &Delivery, reason: &str) -> OutgoingMessage {
    let mut copy = base_copy(delivery, String::new(), retry_name(&delivery.queue));
    copy.headers.insert(
        HEADER_ATTEMPT.to_owned(),
        (delivery.attempt() + 1).to_string(),
    );
    copy.headers
        .insert(HEADER_RETRY_REASON.to_owned(), reason.to_owned());
    copy
}

/// The copy sent to the dead-letter exchange (routed to `<queue>.dlq`) with the reason.
pub(crate) fn dead_letter_copy(
    delivery: &Delivery,
    exchange: String,
    routing_key: String,
    reason: &str,
) -> OutgoingMessage {
    let mut copy = base_copy(delivery, exchange, routing_key);
    copy.headers
        .insert(HEADER_DLQ_REASON.to_owned(), reason.to_owned());
    copy
}

fn base_copy(delivery: &Delivery, exchange: String, routing_key: String) -> OutgoingMessage {
    let mut headers = delivery.headers.clone();
    headers.insert(HEADER_ORIGIN_QUEUE.to_owned(), delivery.queue.clone());
    // The copy is published under the service's own user; the original publisher travels here.
    if let Some(user) = delivery
        .user_id
        .as_ref()
        .filter(|_| !delivery.from_tocsin())
    {
        headers.insert(HEADER_ORIGINAL_USER_ID.to_owned(), user.clone());
    }
    // The first route wins: a message retried twice still remembers where it was published.
    headers
        .entry(HEADER_ORIGINAL_ROUTING_KEY.to_owned())
        .or_insert_with(|| delivery.routing_key.clone());
    headers
        .entry(HEADER_ORIGINAL_EXCHANGE.to_owned())
        .or_insert_with(|| delivery.exchange.clone());
    OutgoingMessage {
        exchange,
        routing_key,
        body: delivery.body.clone(),
        message_id: delivery.message_id.clone(),
        headers,
    }
}
