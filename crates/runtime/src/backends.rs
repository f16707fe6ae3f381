//! The broker topology of a Tocsin deployment and the choice of backends.

use secrecy::ExposeSecret;
use tocsin_bus::{AmqpConfig, Bus, BusError, QueueSpec, Topology};
use tocsin_proto::routing::*;
use tocsin_store::{MemoryStore, RedisConfig, RedisStore, Store, StoreError};

use crate::config::Settings;

/// Every exchange and queue the fleet uses.
pub fn topology() -> Topology {
    let queue = |name: &str, bindings: &[(&str, &str)]| {
        bindings
            .iter()
            .fold(QueueSpec::new(name), |q, (x, rk)| q.bind(*x, *rk))
    };
    Topology {
        exchanges: vec![
            EXCHANGE_INGEST.into(),
            EXCHANGE_EVENTS.into(),
            EXCHANGE_NOTIFY.into(),
        ],
        dead_letter_exchange: EXCHANGE_DLX.into(),
        queues: vec![
            queue(QUEUE_INGEST, INGEST_BINDINGS),
            queue(QUEUE_ENGAGEMENT, ENGAGEMENT_BINDINGS),
            queue(QUEUE_NOTIFIER, NOTIFIER_BINDINGS),
            queue(QUEUE_NOTIFIER_INCIDENTS, NOTIFIER_INCIDENT_BINDINGS),
            queue(QUEUE_RUNBOOK, RUNBOOK_BINDINGS),
        ],
    }
}

/// Why the backends could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// RabbitMQ.
    #[error("bus: {0}")]
    Bus(#[from] BusError),
    /// Redis.
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

/// The bus and store a process runs on.
#[derive(Debug, Clone)]
pub struct Backends {
    /// Message bus.
    pub bus: Bus,
    /// State store.
    pub store: Store,
}

impl Backends {
    /// The embedded backends (`tocsin dev`, tests), topology declared.
    pub async fn embedded() -> Result<Self, BackendError> {
        let bus = Bus::memory();
        bus.declare(&topology()).await?;
        Ok(Self {
            bus,
            store: Store::Memory(MemoryStore::new()),
        })
    }

    /// RabbitMQ and Redis from the settings, topology declared. Retries the first connection
    /// with backoff, so a fleet starting before its broker does not crash-loop.
    pub async fn connect(settings: &Settings) -> Result<Self, BackendError> {
        tracing::info!(amqp = %settings.amqp_url_redacted(), "Connecting to RabbitMQ.");
        let mut amqp = AmqpConfig::new(settings.amqp_url.expose_secret());
        amqp.connection_name = format!("tocsin-{}", std::process::id());
        let bus = Bus::amqp(amqp).await?;
        bus.declare(&topology()).await?;
        let mut redis = RedisConfig::new(settings.redis_url.expose_secret());
        redis.namespace.clone_from(&settings.namespace);
        let store = Store::Redis(RedisStore::connect(redis).await?);
        store.ping().await?;
        Ok(Self { bus, store })
    }
}
