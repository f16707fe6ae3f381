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

/// The account of an alarm published over AMQP comes from the broker-validated `user_id`: it
/// must survive a retry through the delay queue (the copy is republished by the service's own
/// user) and a publisher must not be able to forge it with the relay header.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_publishers_validated_user_survives_retries_and_cannot_be_forged() -> anyhow::Result<()>
{
    let vhost = tocsin_bus::testing::TestVhost::create().await?;
    let service = Bus::amqp(vhost.config()).await?;
    service.declare(&topology()).await?;
    let url = vhost.add_user("team-b").await?;
    let publisher = Bus::amqp(tocsin_bus::AmqpConfig::new(url)).await?;
    let team_b = publisher
        .user()
        .ok_or_else(|| anyhow::anyhow!("no user"))?
        .to_owned();
    ensure!(team_b.starts_with("team-b-"), "{team_b}");
    ensure!(service.user() != Some(team_b.as_str()));

    publisher
        .publish(event("incident.opened", "genuine"))
        .await?;
    publisher
        .publish(
            event("incident.opened", "forged")
                .with_header(tocsin_bus::HEADER_ORIGINAL_USER_ID, "team-a"),
        )
        .await?;

    let mut consumer = service.consume(INCIDENTS, options()).await?;
    let mut seen = std::collections::BTreeMap::new();
    while seen.len() < 2 {
        let delivery = next(&mut consumer).await?;
        ensure!(!delivery.from_tocsin());
        ensure!(
            delivery.user_id.as_deref() == Some(team_b.as_str()),
            "{:?}",
            delivery.user_id
        );
        ensure!(
            !delivery
                .headers
                .contains_key(tocsin_bus::HEADER_ORIGINAL_USER_ID)
        );
        let id = delivery.message_id.clone();
        if delivery.attempt() == 0 {
            // Retried once through `<queue>.retry`: republished under the service's user.
            delivery
                .retry(std::time::Duration::from_millis(10), "once more")
                .await?;
        } else {
            seen.insert(id, delivery.user_id.clone());
            delivery.ack().await?;
        }
    }
    ensure!(seen.values().all(|u| u.as_deref() == Some(team_b.as_str())));
    // What the service itself publishes is recognised as its own.
    service.publish(event("incident.opened", "own")).await?;
    let own = next(&mut consumer).await?;
    ensure!(own.from_tocsin(), "{:?}", own.user_id);
    own.ack().await?;
    publisher.close().await;
    service.close().await;
    Ok(())
}
