//! `/healthz` (the process runs) and `/readyz` (it can do work: store answers, not draining),
//! for Kubernetes probes and load balancers, and `/metrics` for Prometheus. Each process serves them on its own address, so
//! several replicas can share a host.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use tocsin_store::Store;
use tokio_util::sync::CancellationToken;

/// Readiness shared between the health endpoint and the process.
#[derive(Debug, Clone)]
pub struct Health {
    store: Store,
    draining: Arc<AtomicBool>,
}

impl Health {
    /// Health of a process using `store`.
    pub fn new(store: Store) -> Self {
        crate::metrics::install();
        Self {
            store,
            draining: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Marks the process not ready (first step of a graceful shutdown).
    pub fn drain(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// The probe routes.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .route("/readyz", get(ready))
            .route("/metrics", get(|| async { crate::metrics::render() }))
            .with_state(self.clone())
    }
}

async fn ready(State(h): State<Health>) -> (StatusCode, &'static str) {
    if h.draining.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "draining");
    }
    match h.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "store unavailable"),
    }
}

/// Serves `router` on `addr` until `shutdown`; returns the bound address at once.
pub async fn serve(
    addr: SocketAddr,
    router: Router,
    shutdown: CancellationToken,
) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    tokio::spawn(async move {
        let result = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "HTTP server failed.");
        }
    });
    Ok(local)
}
