//! Prometheus metrics. Names are constants here so dashboards and alerts have one source; the
//! `metrics` facade records them from anywhere, and every process renders them on `/metrics`
//! of its health listener (`TOCSIN_HEALTH_ADDR`; the API's and ingest's listeners too).
//!
//! One recorder per process, installed on first use. Histograms render as Prometheus
//! histograms with the buckets below, so they aggregate across replicas.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Alarms handled by ingest, by `outcome`: `created`, `merged`, `resolved`, `noted`,
/// `unrouted`.
pub const INGEST_ALARMS: &str = "tocsin_ingest_alarms_total";
/// Seconds from an engagement's start to its first acknowledgement, for root engagements:
/// the incident's time to first acknowledgement (AWS's `TimeToFirstAcknowledgement`).
pub const TIME_TO_FIRST_ACK: &str = "tocsin_time_to_first_acknowledgement_seconds";
/// Seconds between a timer's due time and its firing.
pub const TIMER_LATENESS: &str = "tocsin_engagement_timer_lateness_seconds";
/// Engagements the self-audit found stuck and repaired.
pub const AUDIT_REPAIRED: &str = "tocsin_engagement_audit_repaired_total";
/// Pages the engagement service created (first sends and retries).
pub const PAGES_CREATED: &str = "tocsin_pages_created_total";

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's recorder (once); `None` if another recorder was installed first.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(TIME_TO_FIRST_ACK.into()),
                    &[
                        15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
                    ],
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full(TIMER_LATENESS.into()),
                        &[0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0],
                    )
                });
            match builder.map(PrometheusBuilder::install_recorder) {
                Ok(Ok(handle)) => {
                    spawn_upkeep(handle.clone());
                    Some(handle)
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "No metrics recorder: another one is installed.");
                    None
                }
                Err(e) => {
                    tracing::warn!(error = %e, "No metrics recorder: bad bucket settings.");
                    None
                }
            }
        })
        .as_ref()
}

/// How often histogram samples are folded into their buckets.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Histogram samples wait in a buffer until folded into buckets; a process nobody scrapes
/// would keep them all. A small thread folds them regularly (it needs no async runtime).
fn spawn_upkeep(handle: PrometheusHandle) {
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_EVERY);
                handle.run_upkeep();
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "No metrics upkeep thread: histograms grow until scraped.");
    }
}

/// The metrics in the Prometheus text format.
pub fn render() -> String {
    install().map(PrometheusHandle::render).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_metrics_render_in_the_prometheus_format() {
        install();
        metrics::counter!(INGEST_ALARMS, "outcome" => "created").increment(2);
        metrics::histogram!(TIME_TO_FIRST_ACK).record(42.0);
        let text = render();
        assert!(
            text.contains(r#"tocsin_ingest_alarms_total{outcome="created"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"tocsin_time_to_first_acknowledgement_seconds_bucket{le="60"} 1"#),
            "{text}"
        );
    }
}
