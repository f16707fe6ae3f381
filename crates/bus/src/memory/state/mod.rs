//! The in-memory broker's state: exchanges, bindings and queues, and the synchronous rules
//! that move messages between them.
//!
//! Everything here runs under one `std::sync::Mutex` and never awaits, so no lock is ever
//! held across an `.await`. Timers (message TTL) are returned as [`Expiry`] values for the
//! caller to arm after the lock is released. Routing lives here, delivery in [`flow`].

mod flow;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::BusError;
use crate::topology::topic_matches;

/// One stored message (a copy per queue it was routed to).
#[derive(Debug, Clone)]
pub(super) struct Message {
    /// Unique per stored copy; lets a TTL timer find its message.
    pub(super) seq: u64,
    pub(super) exchange: String,
    pub(super) routing_key: String,
    pub(super) body: Bytes,
    pub(super) message_id: Option<String>,
    pub(super) headers: BTreeMap<String, String>,
    pub(super) redelivered: bool,
    /// How many times it came back unsettled (RabbitMQ's `x-delivery-count`).
    pub(super) returns: u32,
    /// Per-message TTL, like the AMQP `expiration` property.
    pub(super) expiration: Option<Duration>,
}

/// What a message is handed to a consumer as.
#[derive(Debug)]
pub(super) struct Handed {
    pub(super) tag: u64,
    pub(super) message: Message,
}

/// A TTL timer to arm: when it fires, the message is dead-lettered if still ready.
#[derive(Debug)]
pub(super) struct Expiry {
    pub(super) queue: String,
    pub(super) seq: u64,
    pub(super) after: Duration,
}

/// Who holds an unacked message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Holder {
    Consumer(u64),
    Get,
}

/// The declared arguments of a queue; redeclaring with others is an error, as in RabbitMQ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct QueueArgs {
    /// `(exchange, routing key)` that expired or over-delivered messages are republished to.
    pub(super) dead_letter: Option<(String, String)>,
    pub(super) delivery_limit: Option<u32>,
}

#[derive(Debug)]
struct Slot {
    id: u64,
    prefetch: u16,
    in_flight: usize,
    tx: mpsc::UnboundedSender<Handed>,
}

impl Slot {
    /// A prefetch of 0 means unlimited, as in AMQP `basic.qos`.
    fn has_room(&self) -> bool {
        self.prefetch == 0 || self.in_flight < usize::from(self.prefetch)
    }
}

#[derive(Debug)]
struct Queue {
    args: QueueArgs,
    ready: VecDeque<Message>,
    unacked: HashMap<u64, (Holder, Message)>,
    consumers: Vec<Slot>,
    /// Round-robin position among `consumers`.
    cursor: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ExchangeKind {
    Topic,
    Direct,
}

/// The whole broker.
#[derive(Debug, Default)]
pub(super) struct State {
    pub(super) closed: bool,
    exchanges: HashMap<String, ExchangeKind>,
    /// `(exchange, pattern, queue)`, without duplicates.
    bindings: Vec<(String, String, String)>,
    queues: HashMap<String, Queue>,
    /// Work queue → the dead-letter exchange the topology gave it.
    dead_letter_exchange_of: HashMap<String, String>,
    next_id: u64,
}

impl State {
    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Declares an exchange; an existing one must have the same kind.
    pub(super) fn declare_exchange(
        &mut self,
        name: &str,
        kind: ExchangeKind,
    ) -> Result<(), BusError> {
        match self.exchanges.get(name) {
            Some(existing) if *existing != kind => Err(BusError::Protocol(format!(
                "exchange {name:?} already declared as {existing:?}, not {kind:?}"
            ))),
            _ => {
                self.exchanges.insert(name.to_owned(), kind);
                Ok(())
            }
        }
    }

    /// Declares a queue; an existing one must have the same arguments.
    pub(super) fn declare_queue(&mut self, name: &str, args: QueueArgs) -> Result<(), BusError> {
        if let Some(existing) = self.queues.get(name) {
            if existing.args != args {
                return Err(BusError::Protocol(format!(
                    "queue {name:?} already declared with other arguments"
                )));
            }
            return Ok(());
        }
        let queue = Queue {
            args,
            ready: VecDeque::new(),
            unacked: HashMap::new(),
            consumers: Vec::new(),
            cursor: 0,
        };
        self.queues.insert(name.to_owned(), queue);
        Ok(())
    }

    /// Binds `queue` to `exchange` with a topic (or direct) pattern.
    pub(super) fn bind(
        &mut self,
        queue: &str,
        exchange: &str,
        pattern: &str,
    ) -> Result<(), BusError> {
        self.exchange_kind(exchange)?;
        self.queue(queue)?;
        let binding = (exchange.to_owned(), pattern.to_owned(), queue.to_owned());
        if !self.bindings.contains(&binding) {
            self.bindings.push(binding);
        }
        Ok(())
    }

    /// Records which exchange dead letters of a work queue go to.
    pub(super) fn set_dead_letter_exchange(&mut self, queue: &str, exchange: &str) {
        self.dead_letter_exchange_of
            .insert(queue.to_owned(), exchange.to_owned());
    }

    /// The dead-letter exchange of a declared work queue.
    pub(super) fn dead_letter_exchange(&self, queue: &str) -> Option<&str> {
        self.dead_letter_exchange_of.get(queue).map(String::as_str)
    }

    fn exchange_kind(&self, name: &str) -> Result<ExchangeKind, BusError> {
        self.exchanges
            .get(name)
            .copied()
            .ok_or_else(|| BusError::Unknown {
                kind: "exchange",
                name: name.to_owned(),
            })
    }

    fn queue(&mut self, name: &str) -> Result<&mut Queue, BusError> {
        self.queues.get_mut(name).ok_or_else(|| BusError::Unknown {
            kind: "queue",
            name: name.to_owned(),
        })
    }

    /// Routes `message` (its `exchange` and `routing_key`) to every matching queue, one copy
    /// each, and hands copies to consumers with room.
    pub(super) fn route(&mut self, message: Message) -> Result<Vec<Expiry>, BusError> {
        let key = message.routing_key.as_str();
        let mut targets: Vec<String> = Vec::new();
        if message.exchange.is_empty() {
            // The default exchange routes by queue name (AMQP 0-9-1 §3.1.3.1).
            if self.queues.contains_key(key) {
                targets.push(key.to_owned());
            }
        } else {
            let kind = self.exchange_kind(&message.exchange)?;
            for (exchange, pattern, queue) in &self.bindings {
                let matched = match kind {
                    ExchangeKind::Topic => topic_matches(pattern, key),
                    ExchangeKind::Direct => pattern == key,
                };
                if *exchange == message.exchange && matched && !targets.contains(queue) {
                    targets.push(queue.clone());
                }
            }
        }
        if targets.is_empty() {
            return Err(BusError::Unroutable {
                exchange: message.exchange,
                routing_key: message.routing_key,
            });
        }
        let mut expiries = Vec::new();
        for queue in targets {
            let mut copy = message.clone();
            copy.seq = self.next_id();
            if let Some(after) = copy.expiration {
                expiries.push(Expiry {
                    queue: queue.clone(),
                    seq: copy.seq,
                    after,
                });
            }
            self.queue(&queue)?.ready.push_back(copy);
            self.dispatch(&queue);
        }
        Ok(expiries)
    }

    /// Ready messages of `queue`.
    pub(super) fn ready_count(&mut self, name: &str) -> Result<u32, BusError> {
        Ok(u32::try_from(self.queue(name)?.ready.len()).unwrap_or(u32::MAX))
    }

    /// Drops the ready messages of `queue`; returns how many.
    pub(super) fn purge(&mut self, name: &str) -> Result<u32, BusError> {
        let queue = self.queue(name)?;
        let count = u32::try_from(queue.ready.len()).unwrap_or(u32::MAX);
        queue.ready.clear();
        Ok(count)
    }
}

impl Message {
    /// A message as published; `seq` is assigned per queue copy when routed.
    pub(super) fn published(message: crate::OutgoingMessage, expiration: Option<Duration>) -> Self {
        Self {
            seq: 0,
            exchange: message.exchange,
            routing_key: message.routing_key,
            body: message.body,
            message_id: message.message_id,
            headers: message.headers,
            redelivered: false,
            returns: 0,
            expiration,
        }
    }
}
