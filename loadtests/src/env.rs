//! The isolated backends of one run: a fresh RabbitMQ vhost and a fresh Redis key namespace on
//! the local servers, both removed when the [`Env`] is dropped (also on an error return).

use std::time::Duration;

use anyhow::{Context as _, bail};
use tocsin_bus::testing::TestVhost;
use tocsin_bus::{AmqpConfig, Bus};
use tocsin_runtime::Settings;
use tocsin_store::testing::{TestNamespace, isolated_redis, test_redis_url};
use tocsin_store::{RedisConfig, Store};

/// A run's vhost, namespace and the settings pointing at them.
pub struct Env {
    /// Settings of the workers: the vhost, the namespace, no HTTP listener.
    pub settings: Settings,
    /// A store on the namespace, for setup and verification.
    pub store: Store,
    /// The Redis URL (local, no password).
    redis_url: String,
    /// Deletes the namespace's keys on drop.
    namespace: TestNamespace,
    /// Deletes the vhost on drop.
    vhost: TestVhost,
}

impl Env {
    /// Creates the vhost and the namespace. Refuses anything but servers on 127.0.0.1.
    pub async fn create(prefetch: u16) -> anyhow::Result<Self> {
        let vhost = TestVhost::create()
            .await
            .context("creating a RabbitMQ vhost (is rabbitmqctl on PATH?)")?;
        local_only("AMQP", &vhost.url())?;
        let redis_url = test_redis_url();
        local_only("Redis", &redis_url)?;
        let (store, namespace) = isolated_redis().await.context("connecting to Redis")?;
        let settings = Settings {
            amqp_url: vhost.url().into(),
            redis_url: redis_url.clone().into(),
            namespace: namespace.namespace().to_owned(),
            ingest_addr: None,
            health_addr: None,
            prefetch,
            shutdown_grace: Duration::from_secs(5),
            ..Settings::default()
        };
        eprintln!(
            "tocsin-load: vhost {}, Redis namespace {} (both removed at the end)",
            vhost.name(),
            namespace.namespace()
        );
        Ok(Self {
            settings,
            store: Store::Redis(store),
            redis_url,
            namespace,
            vhost,
        })
    }

    /// The vhost's AMQP URL.
    pub fn amqp_url(&self) -> String {
        self.vhost.url()
    }

    /// A bus of its own on the vhost (one connection).
    pub async fn bus(&self, name: &str) -> anyhow::Result<Bus> {
        let config = AmqpConfig::new(self.vhost.url()).with_connection_name(name);
        Ok(Bus::amqp(config).await?)
    }

    /// The Redis key prefix of the run.
    pub fn namespace(&self) -> &str {
        self.namespace.namespace()
    }

    /// A Redis pool of its own on the run's Redis, sized like a service's
    /// (`Backends::connect` uses `RedisConfig::new`'s pool size).
    pub fn redis_pool(&self) -> anyhow::Result<deadpool_redis::Pool> {
        let size = RedisConfig::new(self.redis_url.as_str()).pool_size;
        deadpool_redis::Config::from_url(self.redis_url.as_str())
            .builder()
            .context("Redis URL")?
            .max_size(size)
            .runtime(deadpool_redis::Runtime::Tokio1)
            .build()
            .context("Redis pool")
    }
}

/// Loads stay on this machine: the URL's host must be 127.0.0.1.
fn local_only(what: &str, url: &str) -> anyhow::Result<()> {
    let authority = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host_port = authority
        .split(['/', '?'])
        .next()
        .unwrap_or_default()
        .rsplit('@')
        .next()
        .unwrap_or_default();
    if host_port == "127.0.0.1" || host_port.starts_with("127.0.0.1:") {
        Ok(())
    } else {
        bail!("{what} must be on 127.0.0.1 for a load test, got host {host_port:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::local_only;

    #[test]
    fn only_localhost_is_accepted() {
        assert!(local_only("x", "amqp://guest:guest@127.0.0.1:5672/v").is_ok());
        assert!(local_only("x", "redis://127.0.0.1:6379/0").is_ok());
        assert!(local_only("x", "redis://10.0.0.1:6379/0").is_err());
        assert!(local_only("x", "amqp://u:p@127.0.0.10:5672/v").is_err());
    }
}
