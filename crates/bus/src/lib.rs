//! The message bus port of Tocsin.
//!
//! Every worker talks to RabbitMQ through this crate, and the embedded mode (`tocsin dev`, unit
//! and component tests) talks to an in-process broker with the same semantics:
//!
//! - **Topology** is declared idempotently at start ([`Topology`]): topic exchanges, quorum work
//!   queues, one dead-letter exchange, a `<queue>.dlq` per work queue and a `<queue>.retry`
//!   delay queue that dead-letters back into the work queue when a message's TTL expires.
//! - **Publishing** waits for the broker's confirm; a nack or a lost connection is an error the
//!   caller sees (never a silent drop).
//! - **Consuming** uses an explicit prefetch and manual acks. A delivery that is neither acked
//!   nor settled before its consumer goes away is redelivered (with `redelivered = true`).
//! - **Settling** a delivery is one of [`Delivery::ack`], [`Delivery::retry`] (republish to the
//!   retry queue with a delay and an incremented attempt header, then ack) or
//!   [`Delivery::dead_letter`] (publish to the DLQ with the reason header, then ack).
//!
//! The backend is chosen at run time by [`Bus`], an enum over [`MemoryBus`] and [`AmqpBus`].
//! With the `testing` feature, `testing::TestVhost` gives each test its own RabbitMQ vhost.

mod amqp;
mod backoff;
mod memory;
mod settle;
#[cfg(feature = "testing")]
pub mod testing;
mod topology;

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;

pub use amqp::{AmqpBus, AmqpConfig, AmqpConsumer};
pub use memory::{MemoryBus, MemoryConsumer};
pub use topology::{QueueSpec, Topology, dlq_name, retry_name, topic_matches};

/// Header carrying the reason a message was dead-lettered.
pub const HEADER_DLQ_REASON: &str = "x-tocsin-dlq-reason";
/// Header carrying the queue a dead-lettered or delayed message came from.
pub const HEADER_ORIGIN_QUEUE: &str = "x-tocsin-origin-queue";
/// Header carrying how many times a message has been retried by a handler (0 on first delivery).
pub const HEADER_ATTEMPT: &str = "x-tocsin-attempt";
/// Header carrying why a handler asked for a retry (set by [`Delivery::retry`]).
pub const HEADER_RETRY_REASON: &str = "x-tocsin-retry-reason";
/// Reason recorded when a message that keeps coming back unsettled is dead-lettered.
pub const REASON_DELIVERY_LIMIT: &str = "delivery limit exceeded";
/// Header keeping the exchange a message was first published to, across retries.
pub const HEADER_ORIGINAL_EXCHANGE: &str = "x-tocsin-original-exchange";
/// Header keeping the routing key a message was first published with, across retries: the
/// delay queue returns it to its work queue by the queue's name, and handlers that read the
/// routing key (ingest: the alarm format) must still see the original one.
pub const HEADER_ORIGINAL_ROUTING_KEY: &str = "x-tocsin-original-routing-key";
/// Header on a copy republished by a Tocsin service (retry, dead letter): the validated AMQP
/// `user_id` of the original publisher. Believed only on messages whose own validated
/// `user_id` is the service's (the broker checks it), so a publisher cannot forge it.
pub const HEADER_ORIGINAL_USER_ID: &str = "x-tocsin-original-user-id";
/// Header carrying the W3C trace context of the publisher.
pub const HEADER_TRACEPARENT: &str = "traceparent";

/// Errors at the bus boundary.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// The broker could not be reached (it is retried with backoff before this is returned).
    #[error("broker unavailable: {0}")]
    Unavailable(String),
    /// The broker refused a publish (negative confirm), so the message is not stored.
    #[error(
        "broker did not confirm the publish to exchange {exchange:?} with routing key {routing_key:?}"
    )]
    Nacked {
        /// Target exchange.
        exchange: String,
        /// Routing key used.
        routing_key: String,
    },
    /// A message could not be routed to any queue (published `mandatory`).
    #[error("message to exchange {exchange:?} with routing key {routing_key:?} matched no queue")]
    Unroutable {
        /// Target exchange.
        exchange: String,
        /// Routing key used.
        routing_key: String,
    },
    /// The exchange or queue does not exist (topology not declared).
    #[error("unknown {kind} {name:?}")]
    Unknown {
        /// `"exchange"` or `"queue"`.
        kind: &'static str,
        /// Its name.
        name: String,
    },
    /// The bus is shutting down.
    #[error("bus closed")]
    Closed,
    /// Any other protocol error.
    #[error("amqp: {0}")]
    Protocol(String),
}

/// A message to publish. Always persistent; the publish returns only after the broker confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    /// Exchange to publish to (`""` is the default exchange, routing by queue name).
    pub exchange: String,
    /// Routing key.
    pub routing_key: String,
    /// Body (JSON for every Tocsin message).
    pub body: Bytes,
    /// AMQP `message_id` property.
    pub message_id: Option<String>,
    /// String headers (`traceparent`, attempt counters, reasons).
    pub headers: BTreeMap<String, String>,
}

impl OutgoingMessage {
    /// A JSON message with no headers.
    pub fn new(
        exchange: impl Into<String>,
        routing_key: impl Into<String>,
        body: impl Into<Bytes>,
    ) -> Self {
        Self {
            exchange: exchange.into(),
            routing_key: routing_key.into(),
            body: body.into(),
            message_id: None,
            headers: BTreeMap::new(),
        }
    }

    /// Sets the AMQP `message_id`.
    pub fn with_message_id(mut self, id: impl Into<String>) -> Self {
        self.message_id = Some(id.into());
        self
    }

    /// Adds a string header.
    pub fn with_header(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.insert(key.into(), value.into());
        self
    }
}

/// What a consumer receives. Dropping a delivery without settling it leaves it unacked: it is
/// redelivered when its consumer (or connection) goes away, like RabbitMQ does.
#[derive(Debug)]
pub struct Delivery {
    /// The queue it was consumed from.
    pub queue: String,
    /// The exchange it was published to.
    pub exchange: String,
    /// The routing key it was published with.
    pub routing_key: String,
    /// Body.
    pub body: Bytes,
    /// AMQP `message_id`, when the publisher set one.
    pub message_id: Option<String>,
    /// String headers (non-string AMQP header values are rendered as text).
    pub headers: BTreeMap<String, String>,
    /// Whether the broker delivered this message before (without an ack).
    pub redelivered: bool,
    /// The validated AMQP `user_id` of the original publisher, when it set one (restored on
    /// retried copies; see [`HEADER_ORIGINAL_USER_ID`]).
    pub user_id: Option<String>,
    /// The bus's own broker user (`None` on the embedded bus).
    pub(crate) own_user: Option<String>,
    pub(crate) acker: Acker,
}

/// How a delivery is settled; private to the backends.
pub(crate) enum Acker {
    Memory(memory::MemoryAcker),
    Amqp(amqp::AmqpAcker),
}

impl std::fmt::Debug for Acker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Acker::Memory(_) => f.write_str("Acker::Memory"),
            Acker::Amqp(_) => f.write_str("Acker::Amqp"),
        }
    }
}

impl Delivery {
    /// Restores the exchange and routing key the message was first published with (a retried
    /// message comes back from its delay queue under the queue's name).
    pub(crate) fn with_original_route(mut self) -> Self {
        self.restore_user_id();
        if let Some(rk) = self.headers.get(HEADER_ORIGINAL_ROUTING_KEY) {
            self.routing_key = rk.clone();
        }
        if let Some(x) = self.headers.get(HEADER_ORIGINAL_EXCHANGE) {
            self.exchange = x.clone();
        }
        self
    }

    /// Restores the original publisher of a copy that this bus's user republished; drops the
    /// header from anyone else (it would be a forgery: only the broker-validated `user_id` of
    /// the message itself is believed).
    fn restore_user_id(&mut self) {
        let Some(original) = self.headers.remove(HEADER_ORIGINAL_USER_ID) else {
            return;
        };
        if self.user_id == self.own_user {
            self.user_id = Some(original);
        } else {
            tracing::warn!(
                user_id = ?self.user_id,
                "Ignored an {HEADER_ORIGINAL_USER_ID} header on a message its publisher did not relay."
            );
        }
    }

    /// Whether this message was published (or relayed) by a Tocsin service of this bus: its
    /// validated `user_id` is the bus's own user. On the embedded bus every message is.
    pub fn from_tocsin(&self) -> bool {
        self.user_id == self.own_user
    }

    /// Handler attempt number: 0 on the first delivery, incremented by every [`Delivery::retry`].
    pub fn attempt(&self) -> u32 {
        self.headers
            .get(HEADER_ATTEMPT)
            .and_then(|a| a.parse().ok())
            .unwrap_or(0)
    }

    /// The effect is durable: remove the message.
    ///
    /// Fails when the delivery's channel (or, in memory, its consumer) is gone: the broker has
    /// already put the message back, so the caller may log the error and move on.
    pub async fn ack(self) -> Result<(), BusError> {
        match self.acker {
            Acker::Memory(acker) => acker.ack(),
            Acker::Amqp(acker) => acker.ack().await,
        }
    }

    /// Try again later: republish (confirmed) to `<queue>.retry` with a TTL of `after` and the
    /// attempt header incremented, then ack this delivery.
    ///
    /// If the republish fails the delivery is not acked, so the broker redelivers it.
    pub async fn retry(self, after: Duration, reason: &str) -> Result<(), BusError> {
        let copy = settle::retry_copy(&self, reason);
        self.acker.republish_then_ack(copy, Some(after)).await
    }

    /// Give up: publish (confirmed) to the dead-letter exchange, routed to `<queue>.dlq`, with
    /// the reason in [`HEADER_DLQ_REASON`] and the origin queue in [`HEADER_ORIGIN_QUEUE`], then
    /// ack this delivery.
    ///
    /// The dead-letter exchange is the one the bus declared for this queue; when this bus did
    /// not declare the queue, the copy goes straight to `<queue>.dlq` through the default
    /// exchange (the same destination).
    pub async fn dead_letter(self, reason: &str) -> Result<(), BusError> {
        let (exchange, routing_key) = match &self.acker {
            Acker::Memory(acker) => acker.dead_letter_target(&self.queue),
            Acker::Amqp(acker) => acker.dead_letter_target(&self.queue),
        };
        let copy = settle::dead_letter_copy(&self, exchange, routing_key, reason);
        self.acker.republish_then_ack(copy, None).await
    }
}

impl Acker {
    /// Publishes `copy` (confirmed), then acks the original; no ack when the publish fails.
    async fn republish_then_ack(
        self,
        copy: OutgoingMessage,
        expiration: Option<Duration>,
    ) -> Result<(), BusError> {
        match self {
            Acker::Memory(acker) => acker.republish_then_ack(copy, expiration),
            Acker::Amqp(acker) => acker.republish_then_ack(copy, expiration).await,
        }
    }
}

/// Consumer options.
#[derive(Debug, Clone)]
pub struct ConsumeOptions {
    /// How many unacked deliveries the broker may hand this consumer at once.
    pub prefetch: u16,
    /// Consumer tag prefix (for the broker's management view).
    pub tag: String,
}

impl Default for ConsumeOptions {
    fn default() -> Self {
        Self {
            prefetch: 32,
            tag: "tocsin".into(),
        }
    }
}

/// The bus, with its backend chosen at run time. Cheap to clone.
#[derive(Clone, Debug)]
pub enum Bus {
    /// In-process broker.
    Memory(MemoryBus),
    /// RabbitMQ.
    Amqp(AmqpBus),
}

/// A stream of deliveries from one queue.
pub enum Consumer {
    /// From the in-process broker.
    Memory(memory::MemoryConsumer),
    /// From RabbitMQ; re-subscribes after a reconnect.
    Amqp(amqp::AmqpConsumer),
}

impl Bus {
    /// A fresh in-process broker (nothing declared yet).
    pub fn memory() -> Self {
        Bus::Memory(MemoryBus::new())
    }

    /// Connects to RabbitMQ, retrying with backoff up to [`AmqpConfig::connect_timeout`].
    pub async fn amqp(config: AmqpConfig) -> Result<Self, BusError> {
        Ok(Bus::Amqp(AmqpBus::connect(config).await?))
    }

    /// The broker user this bus publishes as (`None` on the embedded bus). Messages whose
    /// validated `user_id` is this user come from Tocsin itself ([`Delivery::from_tocsin`]).
    pub fn user(&self) -> Option<&str> {
        match self {
            Bus::Memory(_) => None,
            Bus::Amqp(bus) => bus.user(),
        }
    }

    /// Declares exchanges, queues, bindings, retry and dead-letter queues. Idempotent.
    pub async fn declare(&self, topology: &Topology) -> Result<(), BusError> {
        match self {
            Bus::Memory(bus) => bus.declare(topology),
            Bus::Amqp(bus) => bus.declare(topology).await,
        }
    }

    /// Publishes and waits for the broker's confirm.
    pub async fn publish(&self, message: OutgoingMessage) -> Result<(), BusError> {
        match self {
            Bus::Memory(bus) => bus.publish(message),
            Bus::Amqp(bus) => bus.publish(message).await,
        }
    }

    /// Starts consuming `queue`.
    pub async fn consume(
        &self,
        queue: &str,
        options: ConsumeOptions,
    ) -> Result<Consumer, BusError> {
        match self {
            Bus::Memory(bus) => bus.consume(queue, options).map(Consumer::Memory),
            Bus::Amqp(bus) => bus.consume(queue, options).await.map(Consumer::Amqp),
        }
    }

    /// Takes one ready message from `queue` (AMQP `basic.get`), or `None` when it is empty.
    ///
    /// Settle it like any delivery; dropping it unsettled puts it back (redelivered).
    pub async fn get(&self, queue: &str) -> Result<Option<Delivery>, BusError> {
        match self {
            Bus::Memory(bus) => bus.get(queue),
            Bus::Amqp(bus) => bus.get(queue).await,
        }
    }

    /// How many messages of `queue` are ready (not counting deliveries awaiting an ack).
    pub async fn message_count(&self, queue: &str) -> Result<u32, BusError> {
        match self {
            Bus::Memory(bus) => bus.message_count(queue),
            Bus::Amqp(bus) => bus.message_count(queue).await,
        }
    }

    /// Removes every ready message of `queue`; returns how many were removed.
    pub async fn purge(&self, queue: &str) -> Result<u32, BusError> {
        match self {
            Bus::Memory(bus) => bus.purge(queue),
            Bus::Amqp(bus) => bus.purge(queue).await,
        }
    }

    /// Closes connections; in-flight unacked deliveries go back to their queues.
    ///
    /// Afterwards consumers yield `None` and every operation fails with [`BusError::Closed`].
    pub async fn close(&self) {
        match self {
            Bus::Memory(bus) => bus.close(),
            Bus::Amqp(bus) => bus.close().await,
        }
    }
}

impl Consumer {
    /// The next delivery, or `None` once the bus is closed or the consumer was cancelled.
    pub async fn next(&mut self) -> Option<Delivery> {
        match self {
            Consumer::Memory(consumer) => consumer.next().await,
            Consumer::Amqp(consumer) => consumer.next().await,
        }
    }
}
