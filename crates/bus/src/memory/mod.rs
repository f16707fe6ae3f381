//! An in-process broker with the semantics of the RabbitMQ topology Tocsin declares.
//!
//! `tocsin dev`, unit tests and component tests run on it, so it must behave like the real
//! thing where handlers can tell: topic routing, unroutable and unknown-exchange errors,
//! prefetch-limited round-robin consumers, redelivery (with `redelivered = true`) of whatever a
//! dropped consumer left unacked, TTL retry queues that dead-letter back into the work queue,
//! and the delivery limit that sends a crash-looping message to its DLQ.
//!
//! Layout: [`state`] holds the synchronous broker rules under one lock; [`consumer`] holds the
//! consumer stream and the acker, whose drop guards return unsettled messages.

mod consumer;
mod state;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub(crate) use consumer::MemoryAcker;
pub use consumer::MemoryConsumer;
use state::{ExchangeKind, Expiry, Holder, Message, QueueArgs, State};

use crate::topology::{dlq_name, retry_name};
use crate::{BusError, ConsumeOptions, Delivery, OutgoingMessage, Topology};

/// The in-process broker. Cheap to clone: clones share the same queues.
#[derive(Clone, Debug, Default)]
pub struct MemoryBus {
    broker: Arc<Broker>,
}

/// Shared by the bus handle, its consumers and its deliveries' ackers.
#[derive(Debug, Default)]
struct Broker {
    state: Mutex<State>,
    /// Wakes consumers waiting in `next()` when the bus closes.
    closed: CancellationToken,
}

impl Broker {
    /// The state, even if a panicking thread poisoned the lock (the state stays consistent:
    /// every mutation is completed before anything can panic).
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The state of an open bus.
    fn open(&self) -> Result<MutexGuard<'_, State>, BusError> {
        let state = self.lock();
        if state.closed {
            return Err(BusError::Closed);
        }
        Ok(state)
    }

    /// Arms TTL timers on tokio's clock, so paused-time tests can jump over retry delays.
    fn arm(self: &Arc<Self>, expiries: Vec<Expiry>) {
        for expiry in expiries {
            let broker = Arc::downgrade(self);
            tokio::spawn(async move {
                tokio::time::sleep(expiry.after).await;
                if let Some(broker) = broker.upgrade() {
                    broker.lock().expire(&expiry.queue, expiry.seq);
                }
            });
        }
    }

    /// Routes a message and arms its TTL, if any.
    fn publish(
        self: &Arc<Self>,
        message: OutgoingMessage,
        expiration: Option<Duration>,
    ) -> Result<(), BusError> {
        let expiries = self
            .open()?
            .route(Message::published(message, expiration))?;
        self.arm(expiries);
        Ok(())
    }
}

impl MemoryBus {
    /// An empty broker: declare a [`Topology`] before publishing.
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn declare(&self, topology: &Topology) -> Result<(), BusError> {
        let mut state = self.broker.open()?;
        for exchange in &topology.exchanges {
            state.declare_exchange(exchange, ExchangeKind::Topic)?;
        }
        let dlx = topology.dead_letter_exchange.as_str();
        state.declare_exchange(dlx, ExchangeKind::Direct)?;
        for queue in &topology.queues {
            let name = queue.name.as_str();
            state.declare_queue(
                name,
                QueueArgs {
                    dead_letter: Some((dlx.to_owned(), name.to_owned())),
                    delivery_limit: Some(queue.delivery_limit),
                },
            )?;
            state.declare_queue(
                &dlq_name(name),
                QueueArgs {
                    dead_letter: None,
                    delivery_limit: None,
                },
            )?;
            // Expired retries dead-letter through the default exchange back to the work queue.
            state.declare_queue(
                &retry_name(name),
                QueueArgs {
                    dead_letter: Some((String::new(), name.to_owned())),
                    delivery_limit: None,
                },
            )?;
            state.bind(&dlq_name(name), dlx, name)?;
            for (exchange, pattern) in &queue.bindings {
                state.bind(name, exchange, pattern)?;
            }
            state.set_dead_letter_exchange(name, dlx);
        }
        Ok(())
    }

    pub(crate) fn publish(&self, message: OutgoingMessage) -> Result<(), BusError> {
        self.broker.publish(message, None)
    }

    pub(crate) fn consume(
        &self,
        queue: &str,
        options: ConsumeOptions,
    ) -> Result<MemoryConsumer, BusError> {
        let (tx, rx) = mpsc::unbounded_channel();
        let id = self
            .broker
            .open()?
            .add_consumer(queue, options.prefetch, tx)?;
        Ok(MemoryConsumer::new(Arc::clone(&self.broker), queue, id, rx))
    }

    pub(crate) fn get(&self, queue: &str) -> Result<Option<Delivery>, BusError> {
        let handed = self.broker.open()?.get(queue)?;
        Ok(handed.map(|handed| consumer::delivery(&self.broker, queue, Holder::Get, handed)))
    }

    pub(crate) fn message_count(&self, queue: &str) -> Result<u32, BusError> {
        self.broker.open()?.ready_count(queue)
    }

    pub(crate) fn purge(&self, queue: &str) -> Result<u32, BusError> {
        self.broker.open()?.purge(queue)
    }

    pub(crate) fn close(&self) {
        self.broker.lock().closed = true;
        self.broker.closed.cancel();
    }
}
