//! How messages flow once stored: handed to consumers round-robin within their prefetch,
//! settled, returned by a crash (marked redelivered, dead-lettered past the delivery limit),
//! and expired out of a TTL queue into its dead-letter target.

use tokio::sync::mpsc;

use super::{Handed, Holder, Message, Slot, State};
use crate::{BusError, HEADER_DLQ_REASON, HEADER_ORIGIN_QUEUE, REASON_DELIVERY_LIMIT};

impl State {
    /// Hands ready messages to consumers with room, round-robin.
    pub(in crate::memory) fn dispatch(&mut self, name: &str) {
        let next_id = &mut self.next_id;
        let Some(queue) = self.queues.get_mut(name) else {
            return;
        };
        while !queue.ready.is_empty() {
            let count = queue.consumers.len();
            let Some(index) = (0..count)
                .map(|i| (queue.cursor + i) % count)
                .find(|&i| queue.consumers[i].has_room())
            else {
                return;
            };
            queue.cursor = index + 1;
            let Some(message) = queue.ready.pop_front() else {
                return;
            };
            *next_id += 1;
            let tag = *next_id;
            let slot = &mut queue.consumers[index];
            let handed = Handed {
                tag,
                message: message.clone(),
            };
            if slot.tx.send(handed).is_err() {
                // The consumer is being dropped; its guard will remove the slot.
                queue.ready.push_front(message);
                queue.consumers.remove(index);
                continue;
            }
            slot.in_flight += 1;
            queue
                .unacked
                .insert(tag, (Holder::Consumer(slot.id), message));
        }
    }

    /// Adds a consumer to `queue`; deliveries are sent on `tx`.
    pub(in crate::memory) fn add_consumer(
        &mut self,
        name: &str,
        prefetch: u16,
        tx: mpsc::UnboundedSender<Handed>,
    ) -> Result<u64, BusError> {
        let id = self.next_id();
        self.queue(name)?.consumers.push(Slot {
            id,
            prefetch,
            in_flight: 0,
            tx,
        });
        self.dispatch(name);
        Ok(id)
    }

    /// Removes a consumer and returns its unacked messages to the queue (a worker crash).
    pub(in crate::memory) fn remove_consumer(&mut self, name: &str, id: u64) {
        let Some(queue) = self.queues.get_mut(name) else {
            return;
        };
        queue.consumers.retain(|slot| slot.id != id);
        let tags: Vec<u64> = queue
            .unacked
            .iter()
            .filter(|(_, (holder, _))| *holder == Holder::Consumer(id))
            .map(|(tag, _)| *tag)
            .collect();
        let mut returned: Vec<Message> = tags
            .iter()
            .filter_map(|tag| queue.unacked.remove(tag).map(|(_, message)| message))
            .collect();
        // Oldest first back at the head, so order is kept as far as a requeue allows.
        returned.sort_by_key(|message| std::cmp::Reverse(message.seq));
        for message in returned {
            self.give_back(name, message);
        }
        self.dispatch(name);
    }

    /// Takes the head of `queue` for a `basic.get`.
    pub(in crate::memory) fn get(&mut self, name: &str) -> Result<Option<Handed>, BusError> {
        let tag = self.next_id();
        let queue = self.queue(name)?;
        let Some(message) = queue.ready.pop_front() else {
            return Ok(None);
        };
        queue.unacked.insert(tag, (Holder::Get, message.clone()));
        Ok(Some(Handed { tag, message }))
    }

    /// Whether the delivery `tag` of `queue` is still unacked (its holder did not go away).
    pub(in crate::memory) fn holds(&self, name: &str, tag: u64) -> bool {
        self.queues
            .get(name)
            .is_some_and(|queue| queue.unacked.contains_key(&tag))
    }

    /// Removes an unacked delivery (ack) and refills its consumer.
    pub(in crate::memory) fn settle(&mut self, name: &str, tag: u64) -> Option<Message> {
        let queue = self.queues.get_mut(name)?;
        let (holder, message) = queue.unacked.remove(&tag)?;
        if let Holder::Consumer(id) = holder
            && let Some(slot) = queue.consumers.iter_mut().find(|slot| slot.id == id)
        {
            slot.in_flight = slot.in_flight.saturating_sub(1);
        }
        self.dispatch(name);
        Some(message)
    }

    /// Puts an unsettled `basic.get` delivery back.
    pub(in crate::memory) fn release(&mut self, name: &str, tag: u64) {
        let Some(queue) = self.queues.get_mut(name) else {
            return;
        };
        if let Some((_, message)) = queue.unacked.remove(&tag) {
            self.give_back(name, message);
            self.dispatch(name);
        }
    }

    /// Requeues a returned message at the head, or dead-letters it past the delivery limit.
    fn give_back(&mut self, name: &str, mut message: Message) {
        let Some(queue) = self.queues.get_mut(name) else {
            return;
        };
        message.redelivered = true;
        message.returns += 1;
        let over_limit = queue
            .args
            .delivery_limit
            .is_some_and(|limit| message.returns > limit);
        if !over_limit {
            queue.ready.push_front(message);
            return;
        }
        let target = queue.args.dead_letter.clone();
        message.headers.insert(
            HEADER_DLQ_REASON.to_owned(),
            REASON_DELIVERY_LIMIT.to_owned(),
        );
        message
            .headers
            .insert(HEADER_ORIGIN_QUEUE.to_owned(), name.to_owned());
        self.dead_letter(name, target, message);
    }

    /// A TTL timer fired: dead-letter the message if it is still waiting in `queue`.
    pub(in crate::memory) fn expire(&mut self, name: &str, seq: u64) {
        let Some(queue) = self.queues.get_mut(name) else {
            return;
        };
        let Some(position) = queue.ready.iter().position(|message| message.seq == seq) else {
            return;
        };
        let target = queue.args.dead_letter.clone();
        if let Some(message) = queue.ready.remove(position) {
            self.dead_letter(name, target, message);
        }
    }

    /// Republishes a message through a queue's dead-letter target, as RabbitMQ does: fresh
    /// delivery state, no TTL (so it cannot expire again), dropped if nothing matches.
    fn dead_letter(&mut self, from: &str, target: Option<(String, String)>, mut message: Message) {
        let Some((exchange, routing_key)) = target else {
            tracing::warn!(
                queue = from,
                "Dropped a dead letter: the queue has no dead-letter exchange."
            );
            return;
        };
        message.exchange = exchange;
        message.routing_key = routing_key;
        message.redelivered = false;
        message.returns = 0;
        message.expiration = None;
        if let Err(error) = self.route(message) {
            tracing::warn!(queue = from, %error, "Dropped a dead letter that matched no queue.");
        }
    }
}
