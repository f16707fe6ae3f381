//! The bus behaviour suite, run against both backends.
//!
//! Every function in [`suite`] takes a fresh `Bus`; [`behaviours!`] turns each into two tests,
//! one on the in-process broker (paused time, so retry delays cost nothing) and one on the
//! local RabbitMQ in a vhost of its own. [`amqp_only`] covers what only a real broker has:
//! losing the connection.

mod amqp_only;
mod suite;
mod support;

macro_rules! behaviours {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(start_paused = true)]
                async fn $name() -> anyhow::Result<()> {
                    crate::suite::$name(tocsin_bus::Bus::memory()).await
                }
            )*
        }

        mod amqp {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() -> anyhow::Result<()> {
                    crate::support::with_rabbitmq(|bus| crate::suite::$name(bus)).await
                }
            )*
        }
    };
}

behaviours!(
    declaring_twice_is_a_no_op,
    published_messages_are_consumed_and_acked,
    the_default_exchange_routes_by_queue_name,
    topic_bindings_route_with_wildcards,
    unroutable_and_unknown_targets_are_errors,
    prefetch_bounds_unacked_deliveries,
    consumers_of_one_queue_share_its_messages,
    a_crashed_consumer_s_deliveries_are_redelivered,
    retry_redelivers_after_the_delay_with_the_attempt_counted,
    dead_letter_lands_in_the_dlq_with_its_reason,
    messages_returned_too_often_go_to_the_dlq,
    get_count_and_purge_inspect_a_queue,
    a_closed_bus_ends_consumers_and_refuses_publishes,
);
