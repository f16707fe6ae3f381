//! The real binaries as child processes: a handle that kills its process when dropped (so a
//! failing test leaves nothing running), a free loopback port, and the wait for an API to answer.

use std::process::Child;
use std::time::Duration;

use tocsin_testkit::wait_until;

/// A child process, killed and reaped on drop.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a loopback port")
        .port()
}

/// Waits until the API on `addr` answers its health probe.
pub async fn api_ready(addr: &str) -> anyhow::Result<()> {
    let url = format!("http://{addr}/healthz");
    wait_until("the API answers", Duration::from_secs(60), || {
        let url = url.clone();
        async move {
            let ok = reqwest::get(&url).await.ok()?.status().is_success();
            ok.then_some(())
        }
    })
    .await
}
