//! Topology declaration and the other queue/exchange requests, each on a throwaway channel.
//!
//! A failed passive declare or a missing queue makes the broker close the channel it came on;
//! a fresh channel per request keeps that from touching the shared publishing channel.

use std::collections::BTreeMap;

use lapin::options::{
    ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions, QueuePurgeOptions,
};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{Channel, ExchangeKind};

use super::connection::{Failure, Shared, classify, short, transient};
use super::headers::{key, text};
use crate::topology::{dlq_name, retry_name};
use crate::{QueueSpec, Topology};

impl Shared {
    /// A fresh channel on the live connection.
    pub(super) async fn scratch_channel(&self) -> Result<Channel, Failure> {
        let connection = self.connection().await?;
        connection.create_channel().await.map_err(transient)
    }

    /// Declares the whole topology. Every declaration is idempotent, so a retry after a lost
    /// connection simply starts over.
    pub(super) async fn declare_once(&self, topology: &Topology) -> Result<(), Failure> {
        let channel = self.scratch_channel().await?;
        for exchange in &topology.exchanges {
            declare_exchange(&channel, exchange, ExchangeKind::Topic).await?;
            self.remember_exchange(exchange, true);
        }
        let dlx = topology.dead_letter_exchange.as_str();
        declare_exchange(&channel, dlx, ExchangeKind::Direct).await?;
        self.remember_exchange(dlx, true);
        for queue in &topology.queues {
            declare_queues(&channel, queue, dlx).await?;
            self.set_dead_letter_exchange(&queue.name, dlx);
        }
        Ok(())
    }

    /// Fails with `Unknown` if `exchange` does not exist; remembered once seen.
    pub(super) async fn check_exchange(&self, exchange: &str) -> Result<(), Failure> {
        if exchange.is_empty() || self.knows_exchange(exchange) {
            return Ok(());
        }
        let channel = self.scratch_channel().await?;
        let options = ExchangeDeclareOptions {
            passive: true,
            ..ExchangeDeclareOptions::default()
        };
        channel
            .exchange_declare(
                short(exchange)?,
                ExchangeKind::Topic,
                options,
                FieldTable::default(),
            )
            .await
            .map_err(|error| classify(&error, "exchange", exchange))?;
        self.remember_exchange(exchange, true);
        Ok(())
    }

    /// Ready messages of `queue`, from a passive declare.
    pub(super) async fn message_count_once(&self, queue: &str) -> Result<u32, Failure> {
        let channel = self.scratch_channel().await?;
        let options = QueueDeclareOptions {
            passive: true,
            ..QueueDeclareOptions::default()
        };
        let declared = channel
            .queue_declare(short(queue)?, options, FieldTable::default())
            .await
            .map_err(|error| classify(&error, "queue", queue))?;
        Ok(declared.message_count())
    }

    pub(super) async fn purge_once(&self, queue: &str) -> Result<u32, Failure> {
        let channel = self.scratch_channel().await?;
        channel
            .queue_purge(short(queue)?, QueuePurgeOptions::default())
            .await
            .map_err(|error| classify(&error, "queue", queue))
    }
}

async fn declare_exchange(
    channel: &Channel,
    name: &str,
    kind: ExchangeKind,
) -> Result<(), Failure> {
    let options = ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    };
    channel
        .exchange_declare(short(name)?, kind, options, FieldTable::default())
        .await
        .map_err(|error| classify(&error, "exchange", name))
}

/// The work queue, its `.dlq` and its `.retry`, and their bindings.
async fn declare_queues(channel: &Channel, queue: &QueueSpec, dlx: &str) -> Result<(), Failure> {
    let name = queue.name.as_str();
    // Quorum work queues survive a node loss and count redeliveries (x-delivery-limit), so a
    // message that crashes its worker every time ends in the DLQ instead of looping forever.
    let work = table([
        ("x-queue-type", text("quorum")),
        ("x-dead-letter-exchange", text(dlx)),
        ("x-dead-letter-routing-key", text(name)),
        (
            "x-delivery-limit",
            AMQPValue::LongLongInt(i64::from(queue.delivery_limit)),
        ),
    ]);
    declare_queue(channel, name, work).await?;
    declare_queue(
        channel,
        &queue.dlq_name(),
        table([("x-queue-type", text("quorum"))]),
    )
    .await?;
    // The delay queue has no consumer: a message sits there until its per-message TTL
    // (`expiration`) runs out, then dead-letters through the default exchange back into the
    // work queue. Quorum queues support per-message TTL since RabbitMQ 3.10. As in classic
    // queues only the head expires, so a short delay queued behind a longer one waits for it.
    let retry = table([
        ("x-queue-type", text("quorum")),
        ("x-dead-letter-exchange", text("")),
        ("x-dead-letter-routing-key", text(name)),
    ]);
    declare_queue(channel, &retry_name(name), retry).await?;
    bind(channel, &dlq_name(name), dlx, name).await?;
    for (exchange, pattern) in &queue.bindings {
        bind(channel, name, exchange, pattern).await?;
    }
    Ok(())
}

fn table<const N: usize>(entries: [(&str, AMQPValue); N]) -> FieldTable {
    let map: BTreeMap<ShortString, AMQPValue> = entries
        .into_iter()
        .map(|(name, value)| (key(name), value))
        .collect();
    FieldTable::from(map)
}

async fn declare_queue(
    channel: &Channel,
    name: &str,
    arguments: FieldTable,
) -> Result<(), Failure> {
    let options = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    channel
        .queue_declare(short(name)?, options, arguments)
        .await
        .map(drop)
        .map_err(|error| classify(&error, "queue", name))
}

async fn bind(
    channel: &Channel,
    queue: &str,
    exchange: &str,
    pattern: &str,
) -> Result<(), Failure> {
    channel
        .queue_bind(
            short(queue)?,
            short(exchange)?,
            short(pattern)?,
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(|error| classify(&error, "exchange", exchange))
}
