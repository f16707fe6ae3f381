//! Behaviours both backends must share. Each takes a fresh bus with nothing declared.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::{bail, ensure};
use tocsin_bus::{
    Bus, BusError, ConsumeOptions, HEADER_ATTEMPT, HEADER_DLQ_REASON, HEADER_ORIGIN_QUEUE,
    HEADER_RETRY_REASON, OutgoingMessage, QueueSpec, Topology, dlq_name, retry_name,
};

use crate::support::{
    CRITICAL, DLX, EVENTS, INCIDENTS, PAGES, count_soon, event, get_soon, next, nothing_more,
    topology,
};

fn prefetch(n: u16) -> ConsumeOptions {
    ConsumeOptions {
        prefetch: n,
        tag: "suite".into(),
    }
}

pub async fn declaring_twice_is_a_no_op(bus: Bus) -> anyhow::Result<()> {
    bus.declare(&topology()).await?;
    bus.publish(event("incident.opened", "m1")).await?;
    bus.declare(&topology()).await?;
    for queue in [INCIDENTS, PAGES, CRITICAL] {
        let expected = u32::from(queue == INCIDENTS);
        ensure!(bus.message_count(queue).await? == expected, "{queue}");
        ensure!(bus.message_count(&dlq_name(queue)).await? == 0);
        ensure!(bus.message_count(&retry_name(queue)).await? == 0);
    }
    Ok(())
}

pub async fn published_messages_are_consumed_and_acked(bus: Bus) -> anyhow::Result<()> {
    bus.declare(&topology()).await?;
    let message = event("incident.opened", "m1").with_header("traceparent", "00-abc-def-01");
    bus.publish(message).await?;
    let mut consumer = bus.consume(INCIDENTS, prefetch(4)).await?;
    let delivery = next(&mut consumer).await?;
    ensure!(delivery.queue == INCIDENTS);
    ensure!(delivery.exchange == EVENTS);
    ensure!(delivery.routing_key == "incident.opened");
    ensure!(delivery.body.as_ref() == br#"{"id":"m1"}"#);
    ensure!(delivery.message_id.as_deref() == Some("m1"));
    ensure!(delivery.headers.get("traceparent").map(String::as_str) == Some("00-abc-def-01"));
    ensure!(!delivery.redelivered);
    ensure!(delivery.attempt() == 0);
    delivery.ack().await?;
    drop(consumer);
    // Acked means gone for good: a dropped consumer has nothing left to return.
    count_soon(&bus, INCIDENTS, 0).await?;
    ensure!(bus.get(INCIDENTS).await?.is_none());
    Ok(())
}

pub async fn the_default_exchange_routes_by_queue_name(bus: Bus) -> anyhow::Result<()> {
    bus.declare(&topology()).await?;
    bus.publish(OutgoingMessage::new("", PAGES, "direct").with_message_id("d1"))
        .await?;
    let delivery = get_soon(&bus, PAGES).await?;
    ensure!(delivery.exchange.is_empty());
    ensure!(delivery.routing_key == PAGES);
    ensure!(delivery.message_id.as_deref() == Some("d1"));
    delivery.ack().await?;
    Ok(())
}

pub async fn topic_bindings_route_with_wildcards(bus: Bus) -> anyhow::Result<()> {
    bus.declare(&topology()).await?;
    // incident.* matches one word; page.# zero or more; #.critical any prefix.
    for (key, id) in [
        ("incident.opened", "a"),
        ("incident.opened.critical", "b"),
        ("page", "c"),
        ("page.sms.delivered", "d"),
        ("critical", "e"),
    ] {
        bus.publish(event(key, id)).await?;
    }
    for (queue, expected) in [
        (INCIDENTS, vec!["a"]),
        (PAGES, vec!["c", "d"]),
        (CRITICAL, vec!["b", "e"]),
    ] {
        let mut got = BTreeSet::new();
        while let Some(delivery) = bus.get(queue).await? {
            got.insert(delivery.message_id.clone().unwrap_or_default());
            delivery.ack().await?;
        }
        let expected: BTreeSet<String> = expected.into_iter().map(String::from).collect();
        ensure!(got == expected, "{queue}: {got:?} != {expected:?}");
    }
    Ok(())
}

pub async fn unroutable_and_unknown_targets_are_errors(bus: Bus) -> anyhow::Result<()> {
    bus.declare(&topology()).await?;
    match bus.publish(event("nobody.listens", "u1")).await {
        Err(BusError::Unroutable {
            exchange,
            routing_key,
        }) => {
            ensure!(exchange == EVENTS && routing_key == "nobody.listens");
        }
        other => bail!("expected Unroutable, got {other:?}"),
    }
    match bus
        .publish(OutgoingMessage::new("", "no-such-queue", "x"))
        .await
    {
        Err(BusError::Unroutable { .. }) => {}
        other => bail!("expected Unroutable, got {other:?}"),
    }
    match bus
        .publish(OutgoingMessage::new("no.such.exchange", "a", "x"))
        .await
    {
        Err(BusError::Unknown {
            kind: "exchange",
            name,
        }) => ensure!(name == "no.such.exchange"),
        other => bail!("expected Unknown exchange, got {other:?}"),
    }
    match bus.message_count("no-such-queue").await {
        Err(BusError::Unknown { kind: "queue", .. }) => {}
        other => bail!("expected Unknown queue, got {other:?}"),
    }
    // None of that broke the bus.
    bus.publish(event("incident.opened", "ok")).await?;
    count_soon(&bus, INCIDENTS, 1).await
}

pub async fn prefetch_bounds_unacked_deliveries(bus: Bus) -> anyhow::Result<()> {
    bus.declare(&topology()).await?;
    for i in 0..5 {
        bus.publish(event("incident.opened", &format!("p{i}")))
            .await?;
    }
    let mut consumer = bus.consume(INCIDENTS, prefetch(2)).await?;
    let first = next(&mut consumer).await?;
    let _second = next(&mut consumer).await?;
    nothing_more(&mut consumer).await?;
    first.ack().await?;
    let _third = next(&mut consumer).await?;
    nothing_more(&mut consumer).await?;
    Ok(())
}

pub async fn consumers_of_one_queue_share_its_messages(bus: Bus) -> anyhow::Result<()> {
    bus.declare(&topology()).await?;
    let mut a = bus.consume(INCIDENTS, prefetch(1)).await?;
    let mut b = bus.consume(INCIDENTS, prefetch(1)).await?;
    for i in 0..2 {
        bus.publish(event("incident.opened", &format!("s{i}")))
            .await?;
    }
    // With a prefetch of 1 each, both must hold one: neither can take both.
    let from_a = next(&mut a).await?;
    let from_b = next(&mut b).await?;
    ensure!(from_a.message_id != from_b.message_id);
    from_a.ack().await?;
    from_b.ack().await?;
    Ok(())
}

pub async fn a_crashed_consumer_s_deliveries_are_redelivered(bus: Bus) -> anyhow::Result<()> {
    bus.declare(&topology()).await?;
    bus.publish(event("incident.opened", "c1")).await?;
    let mut crashing = bus.consume(INCIDENTS, prefetch(4)).await?;
    let held = next(&mut crashing).await?;
    ensure!(!held.redelivered);
    drop(crashing);
    let mut survivor = bus.consume(INCIDENTS, prefetch(4)).await?;
    let again = next(&mut survivor).await?;
    ensure!(again.message_id.as_deref() == Some("c1"));
    ensure!(again.redelivered, "a redelivery must say so");
    // The crashed worker's handle is stale: settling it fails, and the message stays owned
    // by the survivor.
    ensure!(held.ack().await.is_err());
    again.ack().await?;
    nothing_more(&mut survivor).await
}

pub async fn retry_redelivers_after_the_delay_with_the_attempt_counted(
    bus: Bus,
) -> anyhow::Result<()> {
    bus.declare(&topology()).await?;
    let message = event("incident.opened", "r1").with_header("traceparent", "00-t");
    bus.publish(message).await?;
    let mut consumer = bus.consume(INCIDENTS, prefetch(4)).await?;
    let first = next(&mut consumer).await?;
    ensure!(first.attempt() == 0);
    let first_exchange = first.exchange.clone();
    first
        .retry(Duration::from_millis(300), "store timed out")
        .await?;
    let again = next(&mut consumer).await?;
    ensure!(again.message_id.as_deref() == Some("r1"));
    ensure!(again.body.as_ref() == br#"{"id":"r1"}"#);
    ensure!(again.attempt() == 1, "attempt {}", again.attempt());
    ensure!(again.headers.get(HEADER_ATTEMPT).map(String::as_str) == Some("1"));
    ensure!(again.headers.get(HEADER_RETRY_REASON).map(String::as_str) == Some("store timed out"));
    ensure!(again.headers.get(HEADER_ORIGIN_QUEUE).map(String::as_str) == Some(INCIDENTS));
    ensure!(again.headers.get("traceparent").map(String::as_str) == Some("00-t"));
    ensure!(!again.redelivered);
    // Handlers still see where it was published, not the delay queue's route back.
    ensure!(
        again.routing_key == "incident.opened",
        "routing key {}",
        again.routing_key
    );
    ensure!(
        again.exchange == first_exchange,
        "exchange {}",
        again.exchange
    );
    again.retry(Duration::from_millis(100), "again").await?;
    let third = next(&mut consumer).await?;
    ensure!(third.attempt() == 2);
    ensure!(
        third.routing_key == "incident.opened",
        "routing key after two retries {}",
        third.routing_key
    );
    third.ack().await?;
    ensure!(bus.message_count(&retry_name(INCIDENTS)).await? == 0);
    Ok(())
}

pub async fn dead_letter_lands_in_the_dlq_with_its_reason(bus: Bus) -> anyhow::Result<()> {
    bus.declare(&topology()).await?;
    bus.publish(event("incident.opened", "x1")).await?;
    let mut consumer = bus.consume(INCIDENTS, prefetch(4)).await?;
    next(&mut consumer)
        .await?
        .dead_letter("schema v9 unknown")
        .await?;
    let dead = get_soon(&bus, &dlq_name(INCIDENTS)).await?;
    // A dead letter shows where it was first published, so an operator can send it back.
    ensure!(dead.exchange == EVENTS, "exchange {}", dead.exchange);
    ensure!(
        dead.routing_key == "incident.opened",
        "routing key {}",
        dead.routing_key
    );
    ensure!(dead.message_id.as_deref() == Some("x1"));
    ensure!(dead.headers.get(HEADER_DLQ_REASON).map(String::as_str) == Some("schema v9 unknown"));
    ensure!(dead.headers.get(HEADER_ORIGIN_QUEUE).map(String::as_str) == Some(INCIDENTS));
    dead.ack().await?;
    nothing_more(&mut consumer).await?;
    ensure!(bus.message_count(INCIDENTS).await? == 0);
    Ok(())
}

pub async fn messages_returned_too_often_go_to_the_dlq(bus: Bus) -> anyhow::Result<()> {
    let limit = 2;
    let mut spec = QueueSpec::new("fragile").bind(EVENTS, "fragile.*");
    spec.delivery_limit = limit;
    let topology = Topology {
        exchanges: vec![EVENTS.into()],
        dead_letter_exchange: DLX.into(),
        queues: vec![spec],
    };
    bus.declare(&topology).await?;
    bus.publish(event("fragile.crash", "f1")).await?;
    // Each crash returns the message; past the limit the broker dead-letters it.
    let mut deliveries = 0;
    while let Some(delivery) = bus.get("fragile").await? {
        deliveries += 1;
        ensure!(deliveries <= limit + 1, "delivered {deliveries} times");
        drop(delivery);
        count_soon_either(&bus, "fragile").await?;
    }
    ensure!(deliveries == limit + 1, "delivered {deliveries} times");
    let dead = get_soon(&bus, "fragile.dlq").await?;
    ensure!(dead.message_id.as_deref() == Some("f1"));
    dead.ack().await?;
    Ok(())
}

/// Waits until the returned message is either back in `queue` or in its DLQ.
async fn count_soon_either(bus: &Bus, queue: &str) -> anyhow::Result<()> {
    let dlq = dlq_name(queue);
    let mut poll = tokio::time::interval(crate::support::POLL);
    tokio::time::timeout(crate::support::PATIENCE, async {
        loop {
            poll.tick().await;
            if bus.message_count(queue).await? + bus.message_count(&dlq).await? > 0 {
                return anyhow::Ok(());
            }
        }
    })
    .await?
}

pub async fn get_count_and_purge_inspect_a_queue(bus: Bus) -> anyhow::Result<()> {
    bus.declare(&topology()).await?;
    ensure!(bus.get(INCIDENTS).await?.is_none());
    for i in 0..3 {
        bus.publish(event("incident.opened", &format!("g{i}")))
            .await?;
    }
    count_soon(&bus, INCIDENTS, 3).await?;
    let first = bus
        .get(INCIDENTS)
        .await?
        .ok_or_else(|| anyhow::anyhow!("empty"))?;
    ensure!(first.message_id.as_deref() == Some("g0"));
    ensure!(
        bus.message_count(INCIDENTS).await? == 2,
        "a delivery awaiting its ack is not ready"
    );
    // Dropped unsettled: it goes back, marked redelivered.
    drop(first);
    count_soon(&bus, INCIDENTS, 3).await?;
    let mut redelivered = false;
    let mut seen = BTreeSet::new();
    while let Some(delivery) = bus.get(INCIDENTS).await? {
        if delivery.message_id.as_deref() == Some("g0") {
            redelivered = delivery.redelivered;
        }
        seen.insert(delivery.message_id.clone());
        if seen.len() == 2 {
            delivery.ack().await?;
            break;
        }
        delivery.ack().await?;
    }
    ensure!(redelivered, "g0 must come back redelivered");
    count_soon(&bus, INCIDENTS, 1).await?;
    ensure!(bus.purge(INCIDENTS).await? == 1);
    ensure!(bus.message_count(INCIDENTS).await? == 0);
    Ok(())
}

pub async fn a_closed_bus_ends_consumers_and_refuses_publishes(bus: Bus) -> anyhow::Result<()> {
    bus.declare(&topology()).await?;
    let mut consumer = bus.consume(INCIDENTS, prefetch(4)).await?;
    bus.close().await;
    ensure!(
        tokio::time::timeout(crate::support::PATIENCE, consumer.next())
            .await?
            .is_none()
    );
    match bus.publish(event("incident.opened", "late")).await {
        Err(BusError::Closed) => Ok(()),
        other => bail!("expected Closed, got {other:?}"),
    }
}
