//! The RabbitMQ backend (lapin 4 on tokio).
//!
//! One connection per bus, with a shared confirm-mode publishing channel and one channel per
//! consumer. The connection is re-established transparently: requests wait for it (bounded by
//! [`AmqpConfig::publish_timeout`]) and consumers re-subscribe.
//!
//! Layout: [`config`] (settings, URL redaction), [`connection`] (link, reconnect, retries),
//! [`declare`] (topology and queue requests), [`publish`] (confirmed publishing),
//! [`consumer`] (consuming and settling), [`headers`] (header tables).

mod config;
mod connection;
mod consumer;
mod declare;
mod headers;
mod publish;

use std::fmt;
use std::sync::Arc;

pub use config::AmqpConfig;
use connection::Shared;
pub(crate) use consumer::AmqpAcker;
pub use consumer::AmqpConsumer;

use crate::{BusError, ConsumeOptions, Delivery, OutgoingMessage, Topology};

/// A RabbitMQ-backed bus. Cheap to clone: clones share the connection.
#[derive(Clone)]
pub struct AmqpBus {
    shared: Arc<Shared>,
}

impl fmt::Debug for AmqpBus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AmqpBus")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl AmqpBus {
    /// Connects, retrying with backoff for up to [`AmqpConfig::connect_timeout`] (the broker
    /// may still be starting when the service does).
    pub async fn connect(config: AmqpConfig) -> Result<Self, BusError> {
        let timeout = config.connect_timeout;
        let shared = Arc::new(Shared::new(config)?);
        match tokio::time::timeout(timeout, shared.connection()).await {
            Ok(connection) => connection.map(drop)?,
            Err(_) => {
                shared.closed.cancel();
                return Err(BusError::Unavailable(format!(
                    "could not connect to {} within {timeout:?}",
                    shared.config.redacted_url()
                )));
            }
        }
        Ok(Self { shared })
    }

    pub(crate) async fn declare(&self, topology: &Topology) -> Result<(), BusError> {
        let shared = &self.shared;
        shared
            .retrying("declare", || shared.declare_once(topology))
            .await
    }

    /// The broker user of the connection.
    pub(crate) fn user(&self) -> Option<&str> {
        self.shared.user()
    }

    pub(crate) async fn publish(&self, message: OutgoingMessage) -> Result<(), BusError> {
        self.shared.publish(message, None, None).await
    }

    pub(crate) async fn consume(
        &self,
        queue: &str,
        options: ConsumeOptions,
    ) -> Result<AmqpConsumer, BusError> {
        AmqpConsumer::start(Arc::clone(&self.shared), queue, options).await
    }

    pub(crate) async fn get(&self, queue: &str) -> Result<Option<Delivery>, BusError> {
        let shared = &self.shared;
        shared
            .retrying("get", || consumer::get_once(shared, queue))
            .await
    }

    pub(crate) async fn message_count(&self, queue: &str) -> Result<u32, BusError> {
        let shared = &self.shared;
        shared
            .retrying("message count", || shared.message_count_once(queue))
            .await
    }

    pub(crate) async fn purge(&self, queue: &str) -> Result<u32, BusError> {
        let shared = &self.shared;
        shared.retrying("purge", || shared.purge_once(queue)).await
    }

    pub(crate) async fn close(&self) {
        self.shared.close().await;
    }
}
