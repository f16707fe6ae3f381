//! What every service binary does around its own work: read the config (exit 64 when invalid),
//! start logs, connect the backends (exit 69 when they stay unreachable), serve health probes,
//! run until SIGTERM, drain, flush the spans, exit.

use std::future::Future;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use tocsin_bus::Bus;
use tocsin_core::clock::Clock;
use tocsin_store::Store;
use tokio_util::sync::CancellationToken;

use crate::backends::Backends;
use crate::config::Settings;
use crate::health::{self, Health};
use crate::{SystemClock, shutdown, telemetry};

/// Everything a service needs, injected (tests build it with the embedded backends and a
/// manual clock).
#[derive(Clone)]
pub struct Context {
    /// Settings.
    pub settings: Arc<Settings>,
    /// Bus.
    pub bus: Bus,
    /// Store.
    pub store: Store,
    /// Clock.
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Context {
    /// A context on `backends` with the system clock.
    pub fn new(settings: Settings, backends: Backends) -> Self {
        crate::metrics::install();
        Self {
            settings: Arc::new(settings),
            bus: backends.bus,
            store: backends.store,
            clock: Arc::new(SystemClock),
        }
    }

    /// Records of the configured account.
    pub fn records(&self) -> crate::Records {
        crate::Records::new(self.store.clone(), self.settings.account_id.clone())
    }
}

/// Exit code for an invalid configuration (64, `EX_USAGE`, as linkerd uses).
pub const EXIT_CONFIG: u8 = 64;
/// Exit code when the backends cannot be reached (EX_UNAVAILABLE).
pub const EXIT_UNAVAILABLE: u8 = 69;

/// Loads the settings from `TOCSIN_CONFIG` (a TOML file, optional) and the environment.
pub fn load_settings() -> Result<Settings, crate::config::ConfigError> {
    let file = std::env::var_os("TOCSIN_CONFIG").map(PathBuf::from);
    Settings::load(file.as_deref())
}

/// The `main` of a service binary: `work` runs until the token is cancelled.
pub async fn main<F, Fut>(service: &'static str, work: F) -> ExitCode
where
    F: FnOnce(Context, CancellationToken) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let settings = match load_settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{service}: invalid configuration: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let telemetry = telemetry::init(&settings, service);
    let backends = match Backends::connect(&settings).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "Backends unreachable.");
            return ExitCode::from(EXIT_UNAVAILABLE);
        }
    };
    let shutdown = shutdown::on_signals();
    let ctx = Context::new(settings, backends);
    let health = Health::new(ctx.store.clone());
    if let Some(addr) = ctx.settings.health_addr {
        match health::serve(addr, health.router(), shutdown.clone()).await {
            Ok(local) => tracing::info!(%local, "Serving health probes."),
            Err(e) => {
                tracing::error!(error = %e, %addr, "Cannot bind the health address.");
                return ExitCode::from(EXIT_CONFIG);
            }
        }
    }
    let drain = {
        let (health, shutdown) = (health.clone(), shutdown.clone());
        async move {
            shutdown.cancelled().await;
            health.drain();
        }
    };
    tokio::spawn(drain);
    let bus = ctx.bus.clone();
    let result = work(ctx, shutdown).await;
    bus.close().await;
    let code = match result {
        Ok(()) => {
            tracing::info!(service, "Stopped.");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(service, error = %format!("{e:#}"), "Failed.");
            ExitCode::FAILURE
        }
    };
    // Last step of the graceful shutdown: export the spans still buffered (blocking I/O).
    if let Err(e) = tokio::task::spawn_blocking(move || telemetry.shutdown()).await {
        tracing::warn!(error = %e, "Could not flush the spans.");
    }
    code
}
