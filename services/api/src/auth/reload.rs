//! Reloads the keys file on SIGHUP and when it changes (its size or modification time, looked
//! at every [`POLL`]). A file that no longer validates is reported and the keys in use stay:
//! a typo never locks everyone out.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tocsin_runtime::Settings;
use tokio_util::sync::CancellationToken;

use super::keys::{KeyRing, Keys};

/// How often the file's metadata is compared.
pub const POLL: Duration = Duration::from_secs(2);

/// What identifies a version of the file without reading it.
fn fingerprint(path: &Path) -> Option<(u64, SystemTime)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.len(), m.modified().ok()?))
}

/// Reloads `ring` from `settings` until `shutdown` (nothing to do without a keys file).
pub fn spawn(ring: KeyRing, settings: Arc<Settings>, shutdown: CancellationToken) {
    let Some(path) = settings.keys_file.clone() else {
        return;
    };
    // Taken now, not in the task: a change made right after this call is a change.
    let seen = fingerprint(&path);
    let hangup = hangup();
    tokio::spawn(async move { watch(ring, settings, path, seen, hangup, shutdown).await });
}

async fn watch(
    ring: KeyRing,
    settings: Arc<Settings>,
    path: PathBuf,
    mut seen: Option<(u64, SystemTime)>,
    mut hangup: Hangup,
    shutdown: CancellationToken,
) {
    let mut tick = tokio::time::interval(POLL);
    loop {
        let why = tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {
                let now = fingerprint(&path);
                if now == seen {
                    continue;
                }
                seen = now;
                "the file changed"
            }
            () = next_hangup(&mut hangup) => "SIGHUP",
        };
        match Keys::load(&settings) {
            Ok(keys) => {
                tracing::info!(keys = keys.len(), reason = why, "Access keys reloaded.");
                ring.replace(keys);
            }
            Err(e) => {
                tracing::error!(error = %e, reason = why, "Keys file rejected; the keys in use stay.");
            }
        }
    }
}

#[cfg(unix)]
type Hangup = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangup = ();

#[cfg(unix)]
fn hangup() -> Hangup {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok()
}

#[cfg(not(unix))]
fn hangup() -> Hangup {}

#[cfg(unix)]
async fn next_hangup(h: &mut Hangup) {
    match h {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn next_hangup(_: &mut Hangup) {
    std::future::pending().await
}
