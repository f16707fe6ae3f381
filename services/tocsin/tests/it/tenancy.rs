//! Accounts are tenants on the AMQP path too: a broker user mapped to an account
//! (`TOCSIN_AMQP_PUBLISHERS`) opens incidents there and only there; an unmapped publisher of
//! the vhost publishes for the vhost's account; nobody but Tocsin may claim an integration key.

use std::sync::Arc;

use tocsin_bus::{AmqpConfig, Bus, OutgoingMessage};
use tocsin_proto::records::{IncidentRecord, kinds};
use tocsin_proto::routing::{EXCHANGE_INGEST, QUEUE_INGEST};
use tocsin_runtime::Records;
use tocsin_testkit::{Kind, wait_until};

use crate::fleet::{DEADLINE, Fleet, MANIFEST};

const TEAM_B: &str = "210987654321";

async fn incidents(records: &Records) -> Vec<IncidentRecord> {
    records.list(kinds::INCIDENT).await.unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapped_broker_user_publishes_for_its_own_account_only() -> anyhow::Result<()> {
    let mut f = Fleet::new(Kind::Real).await?;
    let vhost = f.backends.vhost().expect("real backends have a vhost");
    let team_b_bus = Bus::amqp(AmqpConfig::new(vhost.add_user("team-b").await?)).await?;
    let stranger_bus = Bus::amqp(AmqpConfig::new(vhost.add_user("stranger").await?)).await?;
    let team_b_user = team_b_bus.user().expect("a broker user").to_owned();

    // The same plans exist in account B; its user is mapped to it.
    let m = tocsin::manifest::parse(
        &MANIFEST.replace("{receiver}", f.receiver.url("").trim_end_matches('/')),
    )?;
    let resolved = tocsin::manifest::resolve(&m, TEAM_B, &f.ctx.settings.region)?;
    let records_b = Records::new(f.ctx.store.clone(), TEAM_B.to_owned());
    tocsin::manifest::apply(&records_b, &resolved).await?;
    let mut settings = (*f.ctx.settings).clone();
    settings
        .amqp_publishers
        .insert(team_b_user, TEAM_B.to_owned());
    f.ctx.settings = Arc::new(settings);
    f.start();

    let native = |account: &str, dedupe: &str| {
        let plan = tocsin_proto::arn::response_plan(account, "db-outage");
        let body = serde_json::json!({ "responsePlanArn": plan, "dedupeString": dedupe });
        OutgoingMessage::new(
            EXCHANGE_INGEST,
            "native",
            serde_json::to_vec(&body).unwrap(),
        )
    };
    team_b_bus.publish(native(TEAM_B, "b-outage")).await?;
    stranger_bus
        .publish(native(f.records().account(), "a-outage"))
        .await?;
    // A publisher may not claim an integration key (only the HTTP endpoints set it).
    stranger_bus
        .publish(
            native(f.records().account(), "forged").with_header("x-tocsin-integration", "0123"),
        )
        .await?;

    let records_a = f.records();
    wait_until("one incident in each account", DEADLINE, || async {
        (incidents(&records_b).await.len() == 1 && incidents(&records_a).await.len() == 1)
            .then_some(())
    })
    .await?;
    let dlq = tocsin_bus::dlq_name(QUEUE_INGEST);
    let dead = wait_until("the forged alarm dead-lettered", DEADLINE, || async {
        f.ctx.bus.get(&dlq).await.ok().flatten()
    })
    .await?;
    let reason = dead
        .headers
        .get(tocsin_bus::HEADER_DLQ_REASON)
        .cloned()
        .unwrap_or_default();
    assert!(reason.contains("x-tocsin-integration"), "{reason}");
    dead.ack().await?;
    f.wait_drained(QUEUE_INGEST).await?;
    f.stop().await?;

    let b = incidents(&records_b).await;
    let a = incidents(&records_a).await;
    assert_eq!(b[0].dedupe_string, "b-outage");
    assert!(b[0].arn.contains(&format!(":{TEAM_B}:")), "{}", b[0].arn);
    assert_eq!(a.len(), 1, "account A sees only its own: {a:?}");
    assert_eq!(a[0].dedupe_string, "a-outage");
    team_b_bus.close().await;
    stranger_bus.close().await;
    Ok(())
}
