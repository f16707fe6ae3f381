//! Backends for one test: embedded, or real and isolated.

use std::sync::Arc;

use tocsin_bus::testing::TestVhost;
use tocsin_bus::{AmqpBus, Bus};
use tocsin_core::clock::Clock;
use tocsin_runtime::{Backends, Context, Settings, topology};
use tocsin_store::Store;
use tocsin_store::testing::{TestNamespace, isolated_redis, test_redis_url};

/// Which backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// In-process bus and store.
    Memory,
    /// Local RabbitMQ (fresh vhost) and Redis (fresh namespace).
    Real,
}

/// Backends for one test; dropping it removes the vhost and the keys.
pub struct TestBackends {
    /// Which kind.
    pub kind: Kind,
    /// Bus (topology declared).
    pub bus: Bus,
    /// Store.
    pub store: Store,
    /// Settings pointing at these backends (for services and spawned binaries).
    pub settings: Settings,
    vhost: Option<Arc<TestVhost>>,
    _namespace: Option<TestNamespace>,
}

impl std::fmt::Debug for TestBackends {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestBackends")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl TestBackends {
    /// Backends of `kind`.
    pub async fn new(kind: Kind) -> anyhow::Result<Self> {
        tocsin_runtime::telemetry::init_for_tests();
        match kind {
            Kind::Memory => {
                let b = Backends::embedded().await?;
                Ok(Self {
                    kind,
                    bus: b.bus,
                    store: b.store,
                    settings: settings(&[])?,
                    vhost: None,
                    _namespace: None,
                })
            }
            Kind::Real => {
                let vhost = TestVhost::create().await?;
                let bus = Bus::Amqp(AmqpBus::connect(vhost.config()).await?);
                bus.declare(&topology()).await?;
                let (redis, ns) = isolated_redis().await?;
                let settings = settings(&[
                    ("amqp_url", vhost.url()),
                    ("redis_url", test_redis_url()),
                    ("namespace", ns.namespace().to_string()),
                ])?;
                Ok(Self {
                    kind,
                    bus,
                    store: Store::Redis(redis),
                    settings,
                    vhost: Some(Arc::new(vhost)),
                    _namespace: Some(ns),
                })
            }
        }
    }

    /// A service context on these backends.
    pub fn context(&self, clock: Arc<dyn Clock>) -> Context {
        let mut ctx = Context::new(
            self.settings.clone(),
            Backends {
                bus: self.bus.clone(),
                store: self.store.clone(),
            },
        );
        ctx.clock = clock;
        ctx
    }

    /// A second, independent connection to the same bus (a separate worker process).
    pub async fn another_bus(&self) -> anyhow::Result<Bus> {
        match &self.vhost {
            None => Ok(self.bus.clone()),
            Some(v) => Ok(Bus::Amqp(AmqpBus::connect(v.config()).await?)),
        }
    }

    /// The test vhost (real backends only).
    pub fn vhost(&self) -> Option<&TestVhost> {
        self.vhost.as_deref()
    }
}

fn settings(pairs: &[(&str, String)]) -> anyhow::Result<Settings> {
    crate::private::private_settings(pairs)
}
