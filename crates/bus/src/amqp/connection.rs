//! The one RabbitMQ connection of a bus, and getting it back when it drops.
//!
//! A broker restart (or `rabbitmqctl close_all_connections`) must not crash a worker: every
//! operation goes through [`Shared::retrying`], which waits for a reconnect (exponential
//! backoff with jitter) and tries again until its deadline. Reconnects are serialised by the
//! link lock, so a burst of failing publishers opens one new connection, not one each.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, PoisonError};

use lapin::options::ConfirmSelectOptions;
use lapin::protocol::{AMQPErrorKind, AMQPSoftError};
use lapin::types::ShortString;
use lapin::uri::AMQPUri;
use lapin::{Channel, Connection, ConnectionProperties, ErrorKind};
use tokio::sync::Mutex;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::config::AmqpConfig;
use crate::BusError;
use crate::backoff::Backoff;

/// How one attempt at a broker operation failed.
#[derive(Debug)]
pub(super) enum Failure {
    /// The broker answered and retrying will not change it.
    Final(BusError),
    /// The connection or channel went away: reconnect and try again.
    Transient(String),
}

impl From<BusError> for Failure {
    fn from(error: BusError) -> Self {
        Failure::Final(error)
    }
}

/// Sorts a lapin error: a soft (channel-level) broker error is the answer, anything else
/// (I/O, closed channel or connection, forced close) is a lost link worth retrying.
pub(super) fn classify(error: &lapin::Error, kind: &'static str, name: &str) -> Failure {
    match error.kind() {
        ErrorKind::ProtocolError(amqp) => match amqp.kind() {
            AMQPErrorKind::Soft(AMQPSoftError::NOTFOUND) => Failure::Final(BusError::Unknown {
                kind,
                name: name.to_owned(),
            }),
            AMQPErrorKind::Soft(_) => Failure::Final(BusError::Protocol(error.to_string())),
            AMQPErrorKind::Hard(_) => Failure::Transient(error.to_string()),
        },
        _ => Failure::Transient(error.to_string()),
    }
}

/// A lost link, whatever the operation.
pub(super) fn transient(error: lapin::Error) -> Failure {
    Failure::Transient(error.to_string())
}

/// Whether the broker said "not found" (the channel is closed by it).
pub(super) fn is_not_found(error: &lapin::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::ProtocolError(amqp) if *amqp.kind() == AMQPErrorKind::Soft(AMQPSoftError::NOTFOUND)
    )
}

/// An AMQP short string (names, keys, ids are at most 255 bytes).
pub(super) fn short(value: &str) -> Result<ShortString, BusError> {
    ShortString::try_new(value)
        .map_err(|error| BusError::Protocol(format!("{error}: {:.40}…", value)))
}

/// The connection, and the publishing channel that lives on it.
#[derive(Default)]
struct Link {
    connection: Option<Arc<Connection>>,
    /// Confirm-mode channel shared by every publish.
    publisher: Option<Channel>,
}

/// Everything the bus handle, its consumers and its deliveries share.
pub(super) struct Shared {
    pub(super) config: AmqpConfig,
    uri: AMQPUri,
    link: Mutex<Link>,
    /// Cancelled by `Bus::close`: ends consumers and fails later operations.
    pub(super) closed: CancellationToken,
    /// Exchanges known to exist. A publish to a missing exchange closes its channel, so it is
    /// checked first on a throwaway channel rather than failing every publish in flight.
    known_exchanges: std::sync::Mutex<HashSet<String>>,
    /// Work queue → dead-letter exchange, as declared by this bus.
    dead_letter_exchanges: std::sync::Mutex<HashMap<String, String>>,
}

impl Shared {
    /// Validates the URL without echoing it (lapin's parse error would include the password).
    pub(super) fn new(config: AmqpConfig) -> Result<Self, BusError> {
        let uri: AMQPUri = config.url.parse().map_err(|_| {
            BusError::Protocol(format!("invalid AMQP URL {}", config.redacted_url()))
        })?;
        Ok(Self {
            config,
            uri,
            link: Mutex::new(Link::default()),
            closed: CancellationToken::new(),
            known_exchanges: std::sync::Mutex::default(),
            dead_letter_exchanges: std::sync::Mutex::default(),
        })
    }

    /// The broker user this bus connects as; every message it publishes carries it as the
    /// (broker-validated) `user_id`.
    pub(crate) fn user(&self) -> Option<&str> {
        Some(self.uri.authority.userinfo.username.as_str()).filter(|u| !u.is_empty())
    }

    pub(super) fn backoff(&self) -> Backoff {
        Backoff::new(self.config.reconnect_initial, self.config.reconnect_max)
    }

    /// The live connection, reconnecting (with backoff, until the bus closes) if needed.
    pub(super) async fn connection(&self) -> Result<Arc<Connection>, BusError> {
        let mut link = self.link.lock().await;
        self.ensure_connected(&mut link).await
    }

    /// The confirm-mode publishing channel, reopened if its connection or it died.
    pub(super) async fn publisher(&self) -> Result<Channel, Failure> {
        let mut link = self.link.lock().await;
        let connection = self.ensure_connected(&mut link).await?;
        if let Some(channel) = &link.publisher
            && channel.status().connected()
        {
            return Ok(channel.clone());
        }
        let channel = connection.create_channel().await.map_err(transient)?;
        // Publisher confirms: the broker acks each message once it is safely enqueued.
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(transient)?;
        link.publisher = Some(channel.clone());
        Ok(channel)
    }

    async fn ensure_connected(&self, link: &mut Link) -> Result<Arc<Connection>, BusError> {
        if let Some(connection) = &link.connection
            && connection.status().connected()
        {
            return Ok(Arc::clone(connection));
        }
        if link.connection.take().is_some() {
            tracing::warn!(url = %self.config.redacted_url(), "Lost the RabbitMQ connection; reconnecting.");
        }
        link.publisher = None;
        let mut backoff = self.backoff();
        loop {
            let properties = ConnectionProperties::default()
                .with_connection_name(self.config.connection_name.as_str().into());
            let attempt = tokio::time::timeout(
                self.config.attempt_timeout,
                Connection::connect_uri(self.uri.clone(), properties),
            );
            let outcome = tokio::select! {
                biased;
                () = self.closed.cancelled() => return Err(BusError::Closed),
                outcome = attempt => outcome,
            };
            match outcome {
                Ok(Ok(connection)) => {
                    tracing::info!(url = %self.config.redacted_url(), "Connected to RabbitMQ.");
                    let connection = Arc::new(connection);
                    link.connection = Some(Arc::clone(&connection));
                    return Ok(connection);
                }
                Ok(Err(error)) => {
                    tracing::warn!(url = %self.config.redacted_url(), %error, "Connecting to RabbitMQ failed; retrying.");
                }
                Err(_) => {
                    tracing::warn!(url = %self.config.redacted_url(), "Connecting to RabbitMQ timed out; retrying.");
                }
            }
            tokio::select! {
                biased;
                () = self.closed.cancelled() => return Err(BusError::Closed),
                () = tokio::time::sleep(backoff.next_delay()) => {}
            }
        }
    }

    /// Runs `attempt` until it succeeds, fails for good, or `publish_timeout` passes; a lost
    /// link is waited out (reconnect, backoff) in between.
    pub(super) async fn retrying<T, F, Fut>(
        &self,
        what: &str,
        mut attempt: F,
    ) -> Result<T, BusError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let deadline = Instant::now() + self.config.publish_timeout;
        let mut backoff = self.backoff();
        let mut last_error = String::from("no answer from the broker");
        loop {
            if self.closed.is_cancelled() {
                return Err(BusError::Closed);
            }
            match tokio::time::timeout_at(deadline, attempt()).await {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(Failure::Final(error))) => return Err(error),
                Ok(Err(Failure::Transient(reason))) => {
                    tracing::debug!(operation = what, %reason, "Broker operation failed; retrying.");
                    last_error = reason;
                }
                Err(_) => break,
            }
            let wake = (Instant::now() + backoff.next_delay()).min(deadline);
            tokio::time::sleep_until(wake).await;
            if Instant::now() >= deadline {
                break;
            }
        }
        if self.closed.is_cancelled() {
            return Err(BusError::Closed);
        }
        Err(BusError::Unavailable(format!(
            "{what} did not succeed within {:?}: {last_error}",
            self.config.publish_timeout
        )))
    }

    /// Closes the connection; consumers and later operations see the bus as closed.
    pub(super) async fn close(&self) {
        self.closed.cancel();
        let mut link = self.link.lock().await;
        link.publisher = None;
        if let Some(connection) = link.connection.take()
            && connection.status().connected()
            && let Err(error) = connection.close(200, "bus closed".into()).await
        {
            tracing::debug!(%error, "Closing the RabbitMQ connection failed.");
        }
    }

    pub(super) fn knows_exchange(&self, name: &str) -> bool {
        let known = self
            .known_exchanges
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        known.contains(name)
    }

    pub(super) fn remember_exchange(&self, name: &str, exists: bool) {
        let mut known = self
            .known_exchanges
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if exists {
            known.insert(name.to_owned());
        } else {
            known.remove(name);
        }
    }

    pub(super) fn set_dead_letter_exchange(&self, queue: &str, exchange: &str) {
        let mut map = self
            .dead_letter_exchanges
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        map.insert(queue.to_owned(), exchange.to_owned());
    }

    pub(super) fn dead_letter_exchange(&self, queue: &str) -> Option<String> {
        let map = self
            .dead_letter_exchanges
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        map.get(queue).cloned()
    }
}
