//! A notifier process killed (`SIGKILL`) between its call to the peer and its ack: the page
//! is redelivered to another notifier process, which resends it with the same idempotency key
//! and counts it as a possible duplicate. A peer that honours the key delivers it once; one
//! that does not sees it twice, and the receipt says so.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::procs::Proc;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use secrecy::ExposeSecret;
use tocsin_proto::Envelope;
use tocsin_proto::messages::{Event, NotifyCommand, SendPageV1};
use tocsin_proto::records::ChannelType;
use tocsin_proto::routing::QUEUE_ENGAGEMENT;
use tocsin_runtime::SystemClock;
use tocsin_runtime::publish::{self, Meta};
use tocsin_testkit::{Kind, TestBackends, wait_until};

const BIN: &str = env!("CARGO_BIN_EXE_tocsin");
const ACCOUNT: &str = "123456789012";

/// Requests of the peer: its first request is held forever (the sender never hears back).
#[derive(Default)]
struct Peer {
    keys: Vec<String>,
}

async fn receive(State(peer): State<Arc<Mutex<Peer>>>, headers: HeaderMap) -> StatusCode {
    let first = {
        let mut p = peer.lock().unwrap();
        let key = headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        p.keys.push(key);
        p.keys.len() == 1
    };
    if first {
        std::future::pending::<()>().await;
    }
    StatusCode::OK
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notifier_killed_mid_send_resends_once_with_the_same_key() -> anyhow::Result<()> {
    let b = TestBackends::new(Kind::Real).await?;
    let peer = Arc::new(Mutex::new(Peer::default()));
    let app = Router::new()
        .route("/hook", post(receive))
        .with_state(peer.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let notifier = || -> anyhow::Result<Proc> {
        let child = Command::new(BIN)
            .args(["run", "--role", "notifier"])
            .env("TOCSIN_AMQP_URL", b.settings.amqp_url.expose_secret())
            .env("TOCSIN_REDIS_URL", b.settings.redis_url.expose_secret())
            .env("TOCSIN_NAMESPACE", &b.settings.namespace)
            .env("TOCSIN_API_ADDR", "127.0.0.1:0")
            .env("TOCSIN_INGEST_ADDR", "off")
            // The claim of a send lives 2 × 1 s + 5 s: a crashed sender's page is taken over
            // within seconds.
            .env("TOCSIN_WEBHOOK_TIMEOUT_MS", "1000")
            .env("TOCSIN_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?;
        Ok(Proc(child))
    };

    let mut first = notifier()?;
    let id = uuid::Uuid::new_v4().to_string();
    let page = SendPageV1 {
        page_arn: format!("arn:aws:ssm-contacts:us-east-1:{ACCOUNT}:page/alice/{id}"),
        engagement_arn: format!("arn:aws:ssm-contacts:us-east-1:{ACCOUNT}:engagement/alice/e-1"),
        incident_id: String::new(),
        incident_arn: String::new(),
        contact_arn: format!("arn:aws:ssm-contacts:us-east-1:{ACCOUNT}:contact/alice"),
        contact_channel_arn: format!(
            "arn:aws:ssm-contacts:us-east-1:{ACCOUNT}:contact-channel/alice/c"
        ),
        channel_type: ChannelType::Webhook,
        address: url,
        subject: "Database outage".into(),
        content: "Primary db-1 stopped answering.".into(),
        accept_code: "472913".into(),
    };
    let ctx = b.context(Arc::new(SystemClock));
    let meta = Meta {
        account: ACCOUNT,
        idempotency_key: &format!("send:{}", page.page_arn),
        now: chrono::DateTime::UNIX_EPOCH,
    };
    publish::command(&ctx.bus, &meta, NotifyCommand::SendPage(page.clone())).await?;

    // The first process called the peer and waits for its answer: kill it there.
    wait_until(
        "the first call at the peer",
        Duration::from_secs(30),
        || async { (peer.lock().unwrap().keys.len() == 1).then_some(()) },
    )
    .await?;
    Command::new("kill")
        .args(["-KILL", &first.0.id().to_string()])
        .status()?;
    let _ = first.0.wait();

    let _second = notifier()?;
    let receipt = wait_until("the receipt", Duration::from_secs(60), || async {
        let d = ctx.bus.get(QUEUE_ENGAGEMENT).await.ok().flatten()?;
        let env: Envelope<Event> = Envelope::decode(&d.body).ok()?;
        let _ = d.ack().await;
        match env.payload {
            Event::PageDelivered(r) => Some(r),
            _ => None,
        }
    })
    .await?;

    let keys = peer.lock().unwrap().keys.clone();
    assert_eq!(
        keys.len(),
        2,
        "the page was sent again after the crash: {keys:?}"
    );
    let unique: BTreeSet<&String> = keys.iter().collect();
    assert_eq!(
        unique.len(),
        1,
        "with the same idempotency key, so the peer can drop it"
    );
    assert_eq!(keys[0], id);
    assert!(
        receipt
            .detail
            .contains("resent 1x after an unknown outcome"),
        "the possible duplicate is counted: {}",
        receipt.detail
    );
    // Exactly one receipt.
    assert!(ctx.bus.get(QUEUE_ENGAGEMENT).await?.is_none());
    Ok(())
}
