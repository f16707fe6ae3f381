//! What only a real broker can do to us: drop the connection.
//!
//! `TestVhost::close_connections` makes RabbitMQ close every connection of the test's vhost,
//! which is what clients see when the broker restarts.

use std::collections::BTreeSet;

use anyhow::ensure;
use tocsin_bus::{Bus, ConsumeOptions};

use crate::support::{INCIDENTS, count_soon, event, next, topology};

fn options() -> ConsumeOptions {
    ConsumeOptions {
        prefetch: 10,
        tag: "reconnect".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumers_survive_a_lost_connection_and_lose_nothing() -> anyhow::Result<()> {
    let vhost = tocsin_bus::testing::TestVhost::create().await?;
    let bus = Bus::amqp(vhost.config()).await?;
    bus.declare(&topology()).await?;
    let mut consumer = bus.consume(INCIDENTS, options()).await?;
    for id in ["a", "b", "c"] {
        bus.publish(event("incident.opened", id)).await?;
    }
    let mut received = BTreeSet::new();
    let acked = next(&mut consumer).await?;
    received.insert(acked.message_id.clone());
    acked.ack().await?;
    // Two deliveries are still unacked when the connection goes.
    let stale = [next(&mut consumer).await?, next(&mut consumer).await?];

    vhost.close_connections().await?;

    for id in ["d", "e", "f"] {
        bus.publish(event("incident.opened", id)).await?;
    }
    // The unacked two come back (redelivered) and the new three arrive, on a new channel.
    while received.len() < 6 {
        let delivery = next(&mut consumer).await?;
        received.insert(delivery.message_id.clone());
        delivery.ack().await?;
    }
    let expected: BTreeSet<Option<String>> = ["a", "b", "c", "d", "e", "f"]
        .into_iter()
        .map(|id| Some(id.to_owned()))
        .collect();
    ensure!(received == expected, "{received:?}");
    // The old channel is gone, so its deliveries cannot be acked (the caller logs and moves on).
    for delivery in stale {
        ensure!(delivery.ack().await.is_err());
    }
    count_soon(&bus, INCIDENTS, 0).await?;
    bus.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_during_an_outage_succeeds_after_the_reconnect() -> anyhow::Result<()> {
    let vhost = tocsin_bus::testing::TestVhost::create().await?;
    let bus = Bus::amqp(vhost.config()).await?;
    bus.declare(&topology()).await?;
    bus.publish(event("incident.opened", "before")).await?;

    vhost.close_connections().await?;
    bus.publish(event("incident.opened", "during")).await?;

    count_soon(&bus, INCIDENTS, 2).await?;
    bus.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_retries_until_its_timeout() -> anyhow::Result<()> {
    // Nothing listens on port 1: every attempt fails fast, then the deadline ends it.
    let mut config = tocsin_bus::AmqpConfig::new("amqp://guest:secret-pw@127.0.0.1:1/%2f");
    config.connect_timeout = std::time::Duration::from_millis(700);
    let error = Bus::amqp(config)
        .await
        .err()
        .ok_or_else(|| anyhow::anyhow!("connected to nothing"))?;
    let text = error.to_string();
    ensure!(
        matches!(error, tocsin_bus::BusError::Unavailable(_)),
        "{text}"
    );
    ensure!(!text.contains("secret-pw"), "the password leaked: {text}");
    Ok(())
}
