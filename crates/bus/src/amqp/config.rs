//! How to reach RabbitMQ and how long to wait for it.
//!
//! The URL carries the password, so it is never printed: [`AmqpConfig`]'s `Debug` and every log
//! line use [`redact`].

use std::fmt;
use std::time::Duration;

/// RabbitMQ connection settings.
#[derive(Clone)]
pub struct AmqpConfig {
    /// `amqp://user:password@host:port/vhost` (vhost percent-encoded; `%2f` is `/`).
    pub url: String,
    /// Shown in the broker's management view, to tell replicas apart.
    pub connection_name: String,
    /// How long a publish (and any other request: declare, consume, get, count, purge) may
    /// wait for the broker, reconnects included, before failing with `BusError::Unavailable`.
    pub publish_timeout: Duration,
    /// How long [`crate::AmqpBus::connect`] retries the first connection.
    pub connect_timeout: Duration,
    /// First reconnect delay; it doubles (with jitter) after each failed attempt.
    pub reconnect_initial: Duration,
    /// Longest reconnect delay.
    pub reconnect_max: Duration,
    /// Longest single connection attempt (TCP + AMQP handshake) before it is abandoned.
    pub attempt_timeout: Duration,
}

impl AmqpConfig {
    /// Settings with defaults: 30 s publish and connect timeouts, reconnects from 100 ms to 5 s.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            connection_name: "tocsin".to_owned(),
            publish_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(30),
            reconnect_initial: Duration::from_millis(100),
            reconnect_max: Duration::from_secs(5),
            attempt_timeout: Duration::from_secs(10),
        }
    }

    /// Sets the connection name shown by the broker.
    pub fn with_connection_name(mut self, name: impl Into<String>) -> Self {
        self.connection_name = name.into();
        self
    }

    /// The URL with its password replaced by `***`, fit for logs.
    pub fn redacted_url(&self) -> String {
        redact(&self.url)
    }
}

impl fmt::Debug for AmqpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AmqpConfig")
            .field("url", &self.redacted_url())
            .field("connection_name", &self.connection_name)
            .field("publish_timeout", &self.publish_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("reconnect_initial", &self.reconnect_initial)
            .field("reconnect_max", &self.reconnect_max)
            .field("attempt_timeout", &self.attempt_timeout)
            .finish()
    }
}

/// Replaces the password of `scheme://user:password@host/...` with `***`.
pub(crate) fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_owned();
    };
    let Some(colon) = rest[..at].find(':') else {
        return url.to_owned();
    };
    format!(
        "{}{}:***{}",
        &url[..scheme_end],
        &rest[..colon],
        &rest[at..]
    )
}

#[cfg(test)]
mod tests {
    use super::{AmqpConfig, redact};

    #[test]
    fn passwords_never_reach_logs() {
        assert_eq!(
            redact("amqp://guest:secret@127.0.0.1:5672/%2f"),
            "amqp://guest:***@127.0.0.1:5672/%2f"
        );
        assert_eq!(redact("amqp://u:p@ss:w@host/vh"), "amqp://u:***@host/vh");
        assert_eq!(redact("amqp://user@host/vh"), "amqp://user@host/vh");
        assert_eq!(redact("amqp://host:5672"), "amqp://host:5672");
        assert_eq!(redact("not a url"), "not a url");
        let debug = format!("{:?}", AmqpConfig::new("amqp://guest:hunter2@localhost"));
        assert!(!debug.contains("hunter2"), "{debug}");
    }
}
