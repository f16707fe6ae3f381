//! Consumers and ackers of the in-process broker, with the drop guards that make a crash look
//! like one: dropping a consumer returns its unacked deliveries, dropping an unsettled
//! `basic.get` delivery returns it too.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::Broker;
use super::state::{Handed, Holder, Message};
use crate::topology::dlq_name;
use crate::{Acker, BusError, Delivery, OutgoingMessage};

/// A stream of deliveries from one in-memory queue.
#[derive(Debug)]
pub struct MemoryConsumer {
    /// Declared first so it drops first: the slot is gone before the receiver is.
    subscription: Subscription,
    rx: mpsc::UnboundedReceiver<Handed>,
}

/// Drop guard of a consumer: removes it and requeues what it left unacked.
#[derive(Debug)]
struct Subscription {
    broker: Arc<Broker>,
    queue: String,
    id: u64,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.broker.lock().remove_consumer(&self.queue, self.id);
    }
}

impl MemoryConsumer {
    pub(super) fn new(
        broker: Arc<Broker>,
        queue: &str,
        id: u64,
        rx: mpsc::UnboundedReceiver<Handed>,
    ) -> Self {
        let subscription = Subscription {
            broker,
            queue: queue.to_owned(),
            id,
        };
        Self { subscription, rx }
    }

    pub(crate) async fn next(&mut self) -> Option<Delivery> {
        let Subscription { broker, queue, .. } = &self.subscription;
        tokio::select! {
            biased;
            () = broker.closed.cancelled() => None,
            handed = self.rx.recv() => {
                let holder = Holder::Consumer(self.subscription.id);
                handed.map(|handed| delivery(broker, queue, holder, handed))
            }
        }
    }
}

/// Builds the public delivery for a message handed out of `queue`.
pub(super) fn delivery(
    broker: &Arc<Broker>,
    queue: &str,
    holder: Holder,
    handed: Handed,
) -> Delivery {
    let Handed { tag, message } = handed;
    let Message {
        exchange,
        routing_key,
        body,
        message_id,
        headers,
        redelivered,
        ..
    } = message;
    let acker = MemoryAcker {
        broker: Arc::clone(broker),
        queue: queue.to_owned(),
        tag,
        holder,
        settled: false,
    };
    Delivery {
        queue: queue.to_owned(),
        exchange,
        routing_key,
        body,
        message_id,
        headers,
        redelivered,
        user_id: None,
        own_user: None,
        acker: Acker::Memory(acker),
    }
    .with_original_route()
}

/// Settles one in-memory delivery.
pub(crate) struct MemoryAcker {
    broker: Arc<Broker>,
    queue: String,
    tag: u64,
    holder: Holder,
    settled: bool,
}

/// What acking a delivery whose holder went away returns (the message was already requeued).
fn gone() -> BusError {
    BusError::Unavailable("the delivery's consumer is gone; the message was requeued".into())
}

impl MemoryAcker {
    pub(crate) fn ack(mut self) -> Result<(), BusError> {
        self.broker
            .open()?
            .settle(&self.queue, self.tag)
            .ok_or_else(gone)?;
        self.settled = true;
        Ok(())
    }

    /// Publish and ack under one lock: the copy exists if and only if the original is gone.
    pub(crate) fn republish_then_ack(
        mut self,
        copy: OutgoingMessage,
        expiration: Option<Duration>,
    ) -> Result<(), BusError> {
        let mut state = self.broker.open()?;
        if !state.holds(&self.queue, self.tag) {
            return Err(gone());
        }
        let expiries = state.route(Message::published(copy, expiration))?;
        state.settle(&self.queue, self.tag);
        drop(state);
        self.settled = true;
        self.broker.arm(expiries);
        Ok(())
    }

    /// The declared dead-letter exchange of `queue`, else `<queue>.dlq` via the default one.
    pub(crate) fn dead_letter_target(&self, queue: &str) -> (String, String) {
        match self.broker.lock().dead_letter_exchange(queue) {
            Some(exchange) => (exchange.to_owned(), queue.to_owned()),
            None => (String::new(), dlq_name(queue)),
        }
    }
}

impl Drop for MemoryAcker {
    /// A `basic.get` delivery has no consumer to outlive it: returning it on drop is what
    /// closing its channel does in RabbitMQ.
    fn drop(&mut self) {
        if self.holder == Holder::Get && !self.settled {
            self.broker.lock().release(&self.queue, self.tag);
        }
    }
}
