//! Consuming from RabbitMQ: one channel per consumer, explicit prefetch, manual acks, and a
//! transparent re-subscribe when the connection drops.
//!
//! Deliveries of a dead channel are redelivered by the broker; acking one fails with
//! `BusError::Unavailable`, which callers may log and ignore.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicGetOptions, BasicQosOptions};
use lapin::types::FieldTable;
use lapin::{Acker as LapinAcker, Channel};
use uuid::Uuid;

use super::connection::{Failure, Shared, classify, short, transient};
use super::headers::to_strings;
use crate::topology::dlq_name;
use crate::{Acker, BusError, ConsumeOptions, Delivery, OutgoingMessage};

/// A stream of deliveries from one RabbitMQ queue; re-subscribes after a reconnect.
pub struct AmqpConsumer {
    shared: Arc<Shared>,
    queue: String,
    options: ConsumeOptions,
    /// Boxed: lapin's consumer is large, and `Consumer` is an enum over both backends.
    subscription: Option<Box<Subscription>>,
}

/// A live `basic.consume`; dropping it closes its channel, so the broker requeues whatever
/// it left unacked.
struct Subscription {
    _channel: Channel,
    consumer: lapin::Consumer,
}

/// Opens a channel, sets its prefetch and starts consuming `queue`.
async fn subscribe(
    shared: &Shared,
    queue: &str,
    options: &ConsumeOptions,
) -> Result<Subscription, Failure> {
    let channel = shared.scratch_channel().await?;
    // Prefetch first: a consumer without a QoS limit would be sent the whole queue.
    channel
        .basic_qos(options.prefetch, BasicQosOptions::default())
        .await
        .map_err(transient)?;
    let tag = format!("{}-{}", options.tag, Uuid::new_v4().simple());
    // `no_ack: false` (the default): manual acks, so an unsettled message is never lost.
    let consumer = channel
        .basic_consume(
            short(queue)?,
            short(&tag)?,
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(|error| classify(&error, "queue", queue))?;
    Ok(Subscription {
        _channel: channel,
        consumer,
    })
}

impl AmqpConsumer {
    /// Subscribes now, so an unknown queue is reported by `Bus::consume` itself.
    pub(super) async fn start(
        shared: Arc<Shared>,
        queue: &str,
        options: ConsumeOptions,
    ) -> Result<Self, BusError> {
        let subscription = shared
            .retrying("consume", || subscribe(&shared, queue, &options))
            .await?;
        Ok(Self {
            shared,
            queue: queue.to_owned(),
            options,
            subscription: Some(Box::new(subscription)),
        })
    }

    pub(crate) async fn next(&mut self) -> Option<Delivery> {
        loop {
            if self.shared.closed.is_cancelled() {
                return None;
            }
            if self.subscription.is_none() {
                self.subscription = Some(Box::new(self.resubscribe().await?));
            }
            let subscription = self.subscription.as_mut()?;
            let item = tokio::select! {
                biased;
                () = self.shared.closed.cancelled() => return None,
                item = subscription.consumer.next() => item,
            };
            match item {
                Some(Ok(delivery)) => {
                    return Some(delivery_of(&self.shared, &self.queue, delivery, None));
                }
                Some(Err(error)) => {
                    tracing::warn!(queue = %self.queue, %error, "Consumer lost its channel; re-subscribing.");
                    self.subscription = None;
                }
                None => {
                    tracing::info!(queue = %self.queue, "Consumer was cancelled; re-subscribing.");
                    self.subscription = None;
                }
            }
        }
    }

    /// Subscribes again with backoff until it works, the bus closes (`None`), or the broker
    /// refuses for good (the queue was deleted: `None`, the consumer ends).
    async fn resubscribe(&self) -> Option<Subscription> {
        let mut backoff = self.shared.backoff();
        loop {
            let attempt = tokio::select! {
                biased;
                () = self.shared.closed.cancelled() => return None,
                attempt = subscribe(&self.shared, &self.queue, &self.options) => attempt,
            };
            match attempt {
                Ok(subscription) => {
                    tracing::info!(queue = %self.queue, "Re-subscribed.");
                    return Some(subscription);
                }
                Err(Failure::Final(BusError::Closed)) => return None,
                Err(Failure::Final(error)) => {
                    tracing::error!(queue = %self.queue, %error, "Cannot re-subscribe; the consumer ends.");
                    return None;
                }
                Err(Failure::Transient(reason)) => {
                    tracing::debug!(queue = %self.queue, %reason, "Re-subscribing failed; retrying.");
                }
            }
            tokio::select! {
                biased;
                () = self.shared.closed.cancelled() => return None,
                () = tokio::time::sleep(backoff.next_delay()) => {}
            }
        }
    }
}

/// One `basic.get` on a fresh channel; the delivery keeps the channel, so dropping it
/// unsettled closes the channel and the broker puts the message back.
pub(super) async fn get_once(
    shared: &Arc<Shared>,
    queue: &str,
) -> Result<Option<Delivery>, Failure> {
    let channel = shared.scratch_channel().await?;
    let message = channel
        .basic_get(short(queue)?, BasicGetOptions { no_ack: false })
        .await
        .map_err(|error| classify(&error, "queue", queue))?;
    Ok(message.map(|message| delivery_of(shared, queue, message.delivery, Some(channel))))
}

fn delivery_of(
    shared: &Arc<Shared>,
    queue: &str,
    delivery: lapin::message::Delivery,
    channel: Option<Channel>,
) -> Delivery {
    let properties = delivery.properties;
    let original_headers = properties.headers().clone();
    Delivery {
        queue: queue.to_owned(),
        exchange: delivery.exchange.to_string(),
        routing_key: delivery.routing_key.to_string(),
        body: Bytes::from(delivery.data),
        message_id: properties.message_id().as_ref().map(ToString::to_string),
        headers: to_strings(original_headers.as_ref()),
        redelivered: delivery.redelivered,
        user_id: properties.user_id().as_ref().map(ToString::to_string),
        own_user: shared.user().map(str::to_owned),
        acker: Acker::Amqp(AmqpAcker {
            acker: delivery.acker,
            shared: Arc::clone(shared),
            original_headers,
            _channel: channel,
        }),
    }
    .with_original_route()
}

/// Settles one RabbitMQ delivery.
pub(crate) struct AmqpAcker {
    acker: LapinAcker,
    shared: Arc<Shared>,
    /// Kept so republished copies carry the broker's typed headers (`x-death`) unchanged.
    original_headers: Option<FieldTable>,
    /// Only for `basic.get` deliveries: their channel lives as long as they do.
    _channel: Option<Channel>,
}

fn channel_gone() -> BusError {
    BusError::Unavailable("the delivery's channel is closed; the broker redelivers it".into())
}

impl AmqpAcker {
    pub(crate) async fn ack(self) -> Result<(), BusError> {
        match self.acker.ack(BasicAckOptions::default()).await {
            Ok(true) => Ok(()),
            // Poisoned: the channel died and the broker has already requeued the message.
            Ok(false) => Err(channel_gone()),
            Err(error) => Err(BusError::Unavailable(error.to_string())),
        }
    }

    /// Publishes `copy` confirmed, then acks; a failed publish leaves the delivery unacked.
    pub(crate) async fn republish_then_ack(
        self,
        copy: OutgoingMessage,
        expiration: Option<Duration>,
    ) -> Result<(), BusError> {
        // The ack could not succeed: do not publish a copy of a message the broker redelivers.
        if !self.acker.usable() {
            return Err(channel_gone());
        }
        self.shared
            .publish(copy, expiration, self.original_headers.as_ref())
            .await?;
        self.ack().await
    }

    /// The dead-letter exchange this bus declared for `queue`, else `<queue>.dlq` directly.
    pub(crate) fn dead_letter_target(&self, queue: &str) -> (String, String) {
        match self.shared.dead_letter_exchange(queue) {
            Some(exchange) => (exchange, queue.to_owned()),
            None => (String::new(), dlq_name(queue)),
        }
    }
}
