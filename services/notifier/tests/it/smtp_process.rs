//! EMAIL to a real SMTP server process: CPython's `smtpd` DebuggingServer (Python 3.11 ships it),
//! started on a free port, prints every mail it accepts; the test reads the mail back from its
//! output — headers, body, accept code and the one-click acknowledge link.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use tocsin_notifier::Drivers;
use tocsin_proto::records::ChannelType;
use tocsin_testkit::{ManualClock, wait_until};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::{page, settings};

const END: &str = "------------ END MESSAGE ------------";

fn smtpd_available() -> bool {
    std::process::Command::new("python3")
        .args(["-W", "ignore", "-c", "import smtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_smtp_server_process_receives_the_page() -> anyhow::Result<()> {
    if !smtpd_available() {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 with the smtpd module (CPython ≤ 3.11) is needed in CI"
        );
        eprintln!("skipped: python3 has no smtpd module");
        return Ok(());
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut server = Command::new("python3")
        .args([
            "-u",
            "-W",
            "ignore",
            "-m",
            "smtpd",
            "-n",
            "-c",
            "DebuggingServer",
        ])
        .arg(format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    wait_until(
        "the SMTP server to listen",
        Duration::from_secs(20),
        || async {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .ok()
                .map(drop)
        },
    )
    .await?;

    let url = format!("smtp://127.0.0.1:{port}");
    let drivers = Drivers::from_settings(
        &settings(&[
            ("smtp_url", url.as_str()),
            ("smtp_from", "Tocsin Pager <pager@tocsin.test>"),
            ("public_url", "https://tocsin.example.com/"),
        ]),
        Arc::new(ManualClock::default()),
    );
    let p = page(ChannelType::Email, "alice@example.com");
    let detail = drivers
        .send(&p)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    assert!(detail.starts_with("SMTP relay accepted: 250"), "{detail}");

    let stdout = server.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut mail = Vec::new();
    let read = async {
        while let Some(line) = lines.next_line().await? {
            if line == END {
                return anyhow::Ok(());
            }
            mail.push(line);
        }
        anyhow::bail!("the server's output ended before the mail did")
    };
    tokio::time::timeout(Duration::from_secs(20), read).await??;
    let text = mail.join("\n");
    for needle in [
        "Subject: Database outage",
        "From: \"Tocsin Pager\" <pager@tocsin.test>",
        "To: alice@example.com",
        "Auto-Submitted: auto-generated",
        &format!("X-Tocsin-Page: {}", p.page_arn),
        &format!("Accept code: {}", p.accept_code),
        "Acknowledge: https://tocsin.example.com/",
    ] {
        assert!(text.contains(needle), "{needle:?} in:\n{text}");
    }
    server.kill().await?;
    Ok(())
}
