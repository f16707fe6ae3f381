//! Confirmed, persistent, mandatory publishing.
//!
//! A publish returns only once the broker confirmed it: a nack or a returned (unroutable)
//! message is an error the caller sees, and a lost connection is waited out and retried until
//! the publish deadline. A retried publish may duplicate a message the broker had stored before
//! the link dropped; consumers are idempotent (at-least-once delivery).

use std::time::Duration;

use bytes::Bytes;
use lapin::options::BasicPublishOptions;
use lapin::types::{FieldTable, ShortString};
use lapin::{BasicProperties, Confirmation};

use super::connection::{Failure, Shared, is_not_found, short, transient};
use super::headers::to_table;
use crate::{BusError, OutgoingMessage};

/// AMQP `delivery_mode` 2: the broker writes the message to disk.
const PERSISTENT: u8 = 2;

/// A message ready for the wire, built once and reused by every attempt.
struct Wire {
    exchange: String,
    routing_key: String,
    exchange_name: ShortString,
    routing_key_name: ShortString,
    body: Bytes,
    properties: BasicProperties,
}

impl Wire {
    fn new(
        message: OutgoingMessage,
        expiration: Option<Duration>,
        original_headers: Option<&FieldTable>,
    ) -> Result<Self, BusError> {
        let mut properties = BasicProperties::default()
            .with_delivery_mode(PERSISTENT)
            .with_headers(to_table(&message.headers, original_headers)?);
        if let Some(id) = &message.message_id {
            properties = properties.with_message_id(short(id)?);
        }
        if let Some(after) = expiration {
            // Per-message TTL, in milliseconds as a decimal string (RabbitMQ's format).
            properties = properties.with_expiration(short(&after.as_millis().to_string())?);
        }
        Ok(Self {
            exchange_name: short(&message.exchange)?,
            routing_key_name: short(&message.routing_key)?,
            exchange: message.exchange,
            routing_key: message.routing_key,
            body: message.body,
            properties,
        })
    }
}

impl Shared {
    /// Publishes with a confirm, waiting out lost connections until `publish_timeout`.
    pub(super) async fn publish(
        &self,
        message: OutgoingMessage,
        expiration: Option<Duration>,
        original_headers: Option<&FieldTable>,
    ) -> Result<(), BusError> {
        let mut wire = Wire::new(message, expiration, original_headers)?;
        if let Some(user) = self.user() {
            // The broker refuses a user_id that is not the connection's: consumers can trust it.
            wire.properties = wire.properties.with_user_id(short(user)?);
        }
        let wire = &wire;
        self.retrying("publish", move || self.publish_once(wire))
            .await
    }

    async fn publish_once(&self, wire: &Wire) -> Result<(), Failure> {
        self.check_exchange(&wire.exchange).await?;
        let channel = self.publisher().await?;
        // `mandatory`: an unroutable message comes back (basic.return) instead of vanishing.
        let options = BasicPublishOptions {
            mandatory: true,
            immediate: false,
        };
        let confirm = channel
            .basic_publish(
                wire.exchange_name.clone(),
                wire.routing_key_name.clone(),
                options,
                &wire.body,
                wire.properties.clone(),
            )
            .await
            .map_err(|error| self.publish_failure(error, &wire.exchange))?;
        let confirmation = confirm
            .await
            .map_err(|error| self.publish_failure(error, &wire.exchange))?;
        match confirmation {
            Confirmation::Ack(None) => Ok(()),
            Confirmation::Ack(Some(_returned)) => Err(Failure::Final(BusError::Unroutable {
                exchange: wire.exchange.clone(),
                routing_key: wire.routing_key.clone(),
            })),
            Confirmation::Nack(_) => Err(Failure::Final(BusError::Nacked {
                exchange: wire.exchange.clone(),
                routing_key: wire.routing_key.clone(),
            })),
            Confirmation::NotRequested => Err(Failure::Transient(
                "the publishing channel was not in confirm mode".to_owned(),
            )),
        }
    }

    /// A "not found" on the shared channel may come from another publish in flight; forget the
    /// exchange so the next attempt checks it again (and reports `Unknown` if it is ours).
    fn publish_failure(&self, error: lapin::Error, exchange: &str) -> Failure {
        if is_not_found(&error) {
            self.remember_exchange(exchange, false);
        }
        transient(error)
    }
}
