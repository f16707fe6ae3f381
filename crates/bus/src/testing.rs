//! Test support: a throwaway RabbitMQ vhost per test.
//!
//! Tests run in parallel (one process each under nextest) against one local broker; a vhost of
//! their own isolates their exchanges and queues, and lets a test drop every connection of
//! that vhost to simulate a broker restart without disturbing the others.
//!
//! The broker is driven with `rabbitmqctl` (it must be on `PATH` and allowed to talk to the
//! node). `TOCSIN_TEST_AMQP_BASE` overrides the scheme, credentials, host and port
//! (default `amqp://guest:guest@127.0.0.1:5672`).

use std::process::Stdio;

use uuid::Uuid;

use crate::{AmqpConfig, BusError};

/// Environment variable with the broker URL, without a vhost.
pub const ENV_AMQP_BASE: &str = "TOCSIN_TEST_AMQP_BASE";
const DEFAULT_AMQP_BASE: &str = "amqp://guest:guest@127.0.0.1:5672";

/// A uniquely named vhost, deleted on drop.
#[derive(Debug)]
pub struct TestVhost {
    name: String,
    base: String,
    /// Broker users created for this vhost, deleted with it.
    users: std::sync::Mutex<Vec<String>>,
}

impl TestVhost {
    /// Creates `tocsin-test-<uuid>` and grants the base URL's user all permissions on it.
    pub async fn create() -> Result<Self, BusError> {
        let base = std::env::var(ENV_AMQP_BASE).unwrap_or_else(|_| DEFAULT_AMQP_BASE.to_owned());
        let vhost = Self {
            name: format!("tocsin-test-{}", Uuid::new_v4().simple()),
            base,
            users: std::sync::Mutex::default(),
        };
        rabbitmqctl(&["add_vhost", &vhost.name]).await?;
        let user = vhost.user();
        rabbitmqctl(&[
            "set_permissions",
            "-p",
            &vhost.name,
            &user,
            ".*",
            ".*",
            ".*",
        ])
        .await?;
        Ok(vhost)
    }

    /// The vhost's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The AMQP URL of the vhost.
    pub fn url(&self) -> String {
        format!(
            "{}/{}",
            self.base.trim_end_matches('/'),
            percent_encode(&self.name)
        )
    }

    /// Bus settings for the vhost, with short timeouts fit for tests.
    pub fn config(&self) -> AmqpConfig {
        let mut config = AmqpConfig::new(self.url()).with_connection_name(self.name.clone());
        config.publish_timeout = std::time::Duration::from_secs(20);
        config.connect_timeout = std::time::Duration::from_secs(20);
        config
    }

    /// Creates a broker user of its own with all permissions on this vhost (a publisher
    /// that is not Tocsin) and returns its AMQP URL. The user is deleted with the vhost.
    pub async fn add_user(&self, label: &str) -> Result<String, BusError> {
        let name = format!("{label}-{}", Uuid::new_v4().simple());
        let password = Uuid::new_v4().simple().to_string();
        rabbitmqctl(&["add_user", &name, &password]).await?;
        self.users
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(name.clone());
        rabbitmqctl(&["set_permissions", "-p", &self.name, &name, ".*", ".*", ".*"]).await?;
        let host = self
            .base
            .split_once("://")
            .map_or(self.base.as_str(), |(_, rest)| rest);
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        Ok(format!(
            "amqp://{name}:{password}@{}/{}",
            host.trim_end_matches('/'),
            percent_encode(&self.name)
        ))
    }

    /// Closes every client connection of the vhost, as a broker restart would.
    pub async fn close_connections(&self) -> Result<(), BusError> {
        rabbitmqctl(&["close_all_connections", "--vhost", &self.name, "test"]).await
    }

    /// The user part of the base URL (`guest` if there is none).
    fn user(&self) -> String {
        let authority = self
            .base
            .split_once("://")
            .map_or(self.base.as_str(), |(_, rest)| rest);
        match authority.split_once('@') {
            Some((userinfo, _)) => userinfo.split(':').next().unwrap_or("guest").to_owned(),
            None => "guest".to_owned(),
        }
    }
}

impl Drop for TestVhost {
    fn drop(&mut self) {
        // Best effort: a leftover vhost is only clutter on a test broker.
        for user in self.users.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = std::process::Command::new("rabbitmqctl")
                .args(["delete_user", user])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = std::process::Command::new("rabbitmqctl")
            .args(["delete_vhost", &self.name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

async fn rabbitmqctl(args: &[&str]) -> Result<(), BusError> {
    let output = tokio::process::Command::new("rabbitmqctl")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|error| BusError::Unavailable(format!("cannot run rabbitmqctl: {error}")))?;
    if output.status.success() {
        return Ok(());
    }
    Err(BusError::Protocol(format!(
        "rabbitmqctl {} failed: {}",
        args.first().copied().unwrap_or_default(),
        String::from_utf8_lossy(&output.stderr).trim()
    )))
}

/// Percent-encodes everything but RFC 3986 unreserved characters (a vhost is a path segment).
fn percent_encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::percent_encode;

    #[test]
    fn vhosts_are_percent_encoded() {
        assert_eq!(percent_encode("tocsin-test-ab12"), "tocsin-test-ab12");
        assert_eq!(percent_encode("/"), "%2F");
        assert_eq!(percent_encode("a b"), "a%20b");
    }
}
