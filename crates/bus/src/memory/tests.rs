//! Memory-only details the shared suite cannot assert on RabbitMQ: the delivery-limit reason
//! header, and exact timing of retries under paused time.

use std::time::Duration;

use crate::{
    Bus, ConsumeOptions, HEADER_DLQ_REASON, HEADER_ORIGIN_QUEUE, OutgoingMessage, QueueSpec,
    REASON_DELIVERY_LIMIT, Topology,
};

fn topology(delivery_limit: u32) -> Topology {
    let mut queue = QueueSpec::new("work").bind("events", "#");
    queue.delivery_limit = delivery_limit;
    Topology {
        exchanges: vec!["events".into()],
        dead_letter_exchange: "dlx".into(),
        queues: vec![queue],
    }
}

#[tokio::test]
async fn over_delivered_messages_carry_the_limit_reason() {
    let bus = Bus::memory();
    bus.declare(&topology(0)).await.unwrap();
    bus.publish(OutgoingMessage::new("events", "a", "x"))
        .await
        .unwrap();
    let mut consumer = bus
        .consume("work", ConsumeOptions::default())
        .await
        .unwrap();
    let _crashed = consumer.next().await.unwrap();
    drop(consumer);
    let dead = bus.get("work.dlq").await.unwrap().unwrap();
    assert_eq!(dead.headers[HEADER_DLQ_REASON], REASON_DELIVERY_LIMIT);
    assert_eq!(dead.headers[HEADER_ORIGIN_QUEUE], "work");
    assert_eq!(dead.exchange, "dlx");
    assert_eq!(bus.message_count("work").await.unwrap(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_retry_waits_exactly_its_delay() {
    let bus = Bus::memory();
    bus.declare(&topology(20)).await.unwrap();
    bus.publish(OutgoingMessage::new("events", "a", "x"))
        .await
        .unwrap();
    let mut consumer = bus
        .consume("work", ConsumeOptions::default())
        .await
        .unwrap();
    consumer
        .next()
        .await
        .unwrap()
        .retry(Duration::from_secs(60), "later")
        .await
        .unwrap();
    assert_eq!(bus.message_count("work.retry").await.unwrap(), 1);
    let early = tokio::time::timeout(Duration::from_secs(59), consumer.next()).await;
    assert!(early.is_err(), "the retry came back before its delay");
    let again = tokio::time::timeout(Duration::from_secs(2), consumer.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.attempt(), 1);
    assert_eq!(bus.message_count("work.retry").await.unwrap(), 0);
}

#[tokio::test]
async fn a_closed_bus_refuses_settling() {
    let bus = Bus::memory();
    bus.declare(&topology(20)).await.unwrap();
    bus.publish(OutgoingMessage::new("events", "a", "x"))
        .await
        .unwrap();
    let delivery = bus.get("work").await.unwrap().unwrap();
    bus.close().await;
    assert!(matches!(delivery.ack().await, Err(crate::BusError::Closed)));
}
