//! The atomic create-or-merge of incidents, its idempotency and the dedupe invariant.

use std::time::Duration;

use tocsin_store::{
    Claim, CreateIncident, CreateKind, CreateOutcome, Expect, INCIDENT_KIND, Store, StoreError,
};

use crate::{LONG_TTL, SHORT_TTL, after_expiry, entry};

/// An alarm for `dedupe` that would create `incident_id`, under idempotency key `alarm`.
fn alarm(incident_id: &str, alarm: &str, dedupe: &str) -> CreateIncident {
    CreateIncident {
        account: "acme".into(),
        incident_id: incident_id.into(),
        dedupe: dedupe.into(),
        idempotency_key: alarm.into(),
        idempotency_ttl: LONG_TTL,
        record: format!(
            "{{\"id\":\"{incident_id}\",\"arn\":\"{}\",\"state\":\"open\"}}",
            arn(incident_id)
        ),
        created_timeline: vec![
            entry(&format!("{incident_id}-opened"), 1000),
            entry(&format!("{alarm}-alarm"), 1001),
        ],
        merged_timeline: entry(&format!("{alarm}-merged"), 2000),
    }
}

fn arn(incident_id: &str) -> String {
    format!("arn:aws:ssm-incidents::123456789012:incident-record/p/{incident_id}")
}

/// A merge answers the ARN of the incident merged into.
fn outcome(incident_id: &str, kind: CreateKind, replayed: bool) -> CreateOutcome {
    CreateOutcome {
        incident_id: incident_id.into(),
        kind,
        replayed,
        merged_arn: (kind == CreateKind::Merged).then(|| arn(incident_id)),
    }
}

/// A dedupe string as long as real ones get.
fn long_dedupe() -> String {
    format!("disk full on host-1 {}", "x".repeat(1000))
}

pub async fn create_merge_and_replay(store: Store) -> anyhow::Result<()> {
    let dedupe = long_dedupe();
    let first = alarm("inc-1", "alarm-1", &dedupe);
    assert_eq!(
        store.create_incident(&first).await?,
        outcome("inc-1", CreateKind::Created, false)
    );
    let record = store
        .get("acme", INCIDENT_KIND, "inc-1")
        .await?
        .expect("created");
    assert_eq!((record.version, record.data), (1, first.record.clone()));
    assert_eq!(
        store.open_incident_for("acme", &dedupe).await?,
        Some("inc-1".into())
    );
    assert_eq!(
        store.timeline("acme", "inc-1").await?,
        first.created_timeline
    );

    // A second alarm for the same open problem joins the first incident.
    let second = alarm("inc-2", "alarm-2", &dedupe);
    assert_eq!(
        store.create_incident(&second).await?,
        outcome("inc-1", CreateKind::Merged, false)
    );
    assert_eq!(store.get("acme", INCIDENT_KIND, "inc-2").await?, None);
    assert!(store.timeline("acme", "inc-2").await?.is_empty());
    let mut expected = first.created_timeline.clone();
    expected.push(second.merged_timeline.clone());
    assert_eq!(store.timeline("acme", "inc-1").await?, expected);

    // Redeliveries replay the recorded outcomes and write nothing.
    assert_eq!(
        store.create_incident(&first).await?,
        outcome("inc-1", CreateKind::Created, true)
    );
    assert_eq!(
        store.create_incident(&second).await?,
        outcome("inc-1", CreateKind::Merged, true)
    );
    assert_eq!(
        store
            .get("acme", INCIDENT_KIND, "inc-1")
            .await?
            .map(|r| r.version),
        Some(1)
    );
    assert_eq!(store.timeline("acme", "inc-1").await?, expected);
    assert_eq!(store.list("acme", INCIDENT_KIND).await?.len(), 1);
    // The outcome is an ordinary done claim.
    assert_eq!(
        store.claim("acme", "alarm-1", LONG_TTL).await?,
        Claim::Done("created:inc-1".into())
    );
    Ok(())
}

pub async fn no_dedupe_creates_distinct_incidents(store: Store) -> anyhow::Result<()> {
    assert_eq!(
        store
            .create_incident(&alarm("inc-1", "alarm-1", ""))
            .await?,
        outcome("inc-1", CreateKind::Created, false)
    );
    assert_eq!(
        store
            .create_incident(&alarm("inc-2", "alarm-2", ""))
            .await?,
        outcome("inc-2", CreateKind::Created, false)
    );
    assert_eq!(store.open_incident_for("acme", "").await?, None);
    assert_eq!(store.list("acme", INCIDENT_KIND).await?.len(), 2);
    Ok(())
}

pub async fn resolve_frees_the_dedupe_string(store: Store) -> anyhow::Result<()> {
    store
        .create_incident(&alarm("inc-1", "alarm-1", "db down"))
        .await?;
    let resolved = "{\"id\":\"inc-1\",\"state\":\"resolved\"}";
    match store
        .resolve_incident("acme", "inc-1", resolved, "db down", Expect::Version(7))
        .await
    {
        Err(StoreError::Conflict { found: Some(1), .. }) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(
        store.open_incident_for("acme", "db down").await?,
        Some("inc-1".into())
    );
    assert_eq!(
        store
            .resolve_incident("acme", "inc-1", resolved, "db down", Expect::Version(1))
            .await?,
        2
    );
    assert_eq!(
        store
            .get("acme", INCIDENT_KIND, "inc-1")
            .await?
            .map(|r| r.data),
        Some(resolved.into())
    );
    assert_eq!(store.open_incident_for("acme", "db down").await?, None);

    // The next alarm opens a new incident, which a late write to the old one cannot free.
    let next = store
        .create_incident(&alarm("inc-2", "alarm-2", "db down"))
        .await?;
    assert_eq!(next, outcome("inc-2", CreateKind::Created, false));
    assert_eq!(
        store
            .resolve_incident("acme", "inc-1", resolved, "db down", Expect::Any)
            .await?,
        3
    );
    assert_eq!(
        store.open_incident_for("acme", "db down").await?,
        Some("inc-2".into())
    );
    Ok(())
}

pub async fn existing_incident_id_is_a_conflict(store: Store) -> anyhow::Result<()> {
    store
        .create_incident(&alarm("inc-1", "alarm-1", "a"))
        .await?;
    // Same incident id under a new idempotency key and dedupe string (a replay after the ttl).
    match store.create_incident(&alarm("inc-1", "alarm-9", "b")).await {
        Err(StoreError::Conflict {
            expected: Expect::Absent,
            found: Some(1),
            ..
        }) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(store.open_incident_for("acme", "b").await?, None);
    assert_eq!(store.claim("acme", "alarm-9", LONG_TTL).await?, Claim::New);
    Ok(())
}

pub async fn outcome_expires_with_its_ttl(store: Store) -> anyhow::Result<()> {
    let first = CreateIncident {
        idempotency_ttl: SHORT_TTL,
        ..alarm("inc-1", "alarm-1", "cpu")
    };
    store.create_incident(&first).await?;
    assert_eq!(
        store.create_incident(&first).await?,
        outcome("inc-1", CreateKind::Created, true)
    );
    let s = &store;
    after_expiry(s, SHORT_TTL, move || async move {
        Ok(
            (s.claim("acme", "alarm-1", Duration::from_secs(60)).await? == Claim::New)
                .then_some(()),
        )
    })
    .await?;
    // Forgotten, so it runs again: the open incident still holds the dedupe string.
    assert_eq!(
        store.create_incident(&first).await?,
        outcome("inc-1", CreateKind::Merged, false)
    );
    Ok(())
}

pub async fn concurrent_alarms_create_one_incident(store: Store) -> anyhow::Result<()> {
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .create_incident(&alarm(&format!("inc-{i}"), &format!("alarm-{i}"), "flood"))
                    .await
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await??);
    }
    let created: Vec<_> = outcomes
        .iter()
        .filter(|o| o.kind == CreateKind::Created)
        .collect();
    assert_eq!(created.len(), 1, "{outcomes:?}");
    let winner = created[0].incident_id.clone();
    assert!(
        outcomes
            .iter()
            .all(|o| o.incident_id == winner && !o.replayed)
    );
    assert_eq!(store.list("acme", INCIDENT_KIND).await?.len(), 1);
    assert_eq!(
        store.open_incident_for("acme", "flood").await?,
        Some(winner.clone())
    );
    // Two entries from the creation, one per merged alarm.
    assert_eq!(store.timeline("acme", &winner).await?.len(), 2 + 49);
    Ok(())
}
