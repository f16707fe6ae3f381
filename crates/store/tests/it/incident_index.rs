//! The incident indexes behind `ListIncidentRecords`: every write path keeps them, queries
//! combine them, pages continue where they stopped, and a store without them rebuilds them.

use std::time::Duration;

use tocsin_store::{
    CreateIncident, Expect, INCIDENT_KIND, IncidentCursor, IncidentQuery, Store, StoreError,
};

use crate::{LONG_TTL, entry};

const ACCOUNT: &str = "acme";

/// An incident record body as the wire shape writes it.
fn body(id: &str, second: i64, status: &str, impact: u8, by: &str) -> String {
    serde_json::json!({
        "arn": format!("arn:aws:ssm-incidents::123456789012:incident-record/p/{id}"),
        "creationTime": format!("2026-01-05T09:00:{second:02}.250Z"),
        "status": status,
        "impact": impact,
        "incidentRecordSource": { "createdBy": by, "source": "test" },
    })
    .to_string()
}

async fn create(store: &Store, id: &str, second: i64, impact: u8, by: &str) -> anyhow::Result<()> {
    store
        .create_incident(&CreateIncident {
            account: ACCOUNT.into(),
            incident_id: id.into(),
            dedupe: String::new(),
            idempotency_key: format!("alarm-{id}"),
            idempotency_ttl: LONG_TTL,
            record: body(id, second, "OPEN", impact, by),
            created_timeline: vec![entry(&format!("{id}-opened"), 1)],
            merged_timeline: entry(&format!("{id}-merged"), 2),
        })
        .await?;
    Ok(())
}

async fn ids(store: &Store, q: IncidentQuery) -> Result<Vec<String>, StoreError> {
    Ok(store
        .list_incidents(ACCOUNT, &IncidentQuery { limit: 100, ..q })
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect())
}

fn strings(v: &[&str]) -> Option<Vec<String>> {
    Some(v.iter().map(|s| s.to_string()).collect())
}

/// `2026-01-05T09:00:<second>.250Z` in ms.
fn ms(second: i64) -> i64 {
    1_767_603_600_000 + second * 1000 + 250
}

pub async fn filters_follow_every_write(store: Store) -> anyhow::Result<()> {
    create(&store, "a", 1, 1, "alice").await?;
    create(&store, "b", 2, 2, "bob").await?;
    create(&store, "c", 3, 1, "alice").await?;
    create(&store, "d", 4, 3, "bob").await?;
    assert_eq!(
        ids(&store, IncidentQuery::default()).await?,
        ["d", "c", "b", "a"]
    );
    let q = |impacts: &[i64]| IncidentQuery {
        impacts: Some(impacts.to_vec()),
        ..IncidentQuery::default()
    };
    assert_eq!(ids(&store, q(&[1])).await?, ["c", "a"]);
    assert_eq!(ids(&store, q(&[1, 3])).await?, ["d", "c", "a"]);

    // An update (UpdateIncidentRecord: a versioned put) moves it between indexes.
    let v = store
        .get(ACCOUNT, INCIDENT_KIND, "b")
        .await?
        .unwrap()
        .version;
    store
        .put(
            ACCOUNT,
            INCIDENT_KIND,
            "b",
            &body("b", 2, "OPEN", 1, "bob"),
            Expect::Version(v),
        )
        .await?;
    assert_eq!(ids(&store, q(&[1])).await?, ["c", "b", "a"]);
    assert_eq!(ids(&store, q(&[2])).await?, Vec::<String>::new());

    // Resolving moves it from OPEN to RESOLVED.
    let v = store
        .get(ACCOUNT, INCIDENT_KIND, "c")
        .await?
        .unwrap()
        .version;
    store
        .resolve_incident(
            ACCOUNT,
            "c",
            &body("c", 3, "RESOLVED", 1, "alice"),
            "",
            Expect::Version(v),
        )
        .await?;
    let status = |s: &[&str]| IncidentQuery {
        statuses: strings(s),
        ..IncidentQuery::default()
    };
    assert_eq!(ids(&store, status(&["OPEN"])).await?, ["d", "b", "a"]);
    assert_eq!(ids(&store, status(&["RESOLVED"])).await?, ["c"]);

    // Deleting (DeleteIncidentRecord, and a plain delete) takes it out of every index.
    assert!(store.delete_incident(ACCOUNT, "a", "").await?);
    assert!(store.delete(ACCOUNT, INCIDENT_KIND, "d").await?);
    assert_eq!(ids(&store, q(&[1, 2, 3])).await?, ["c", "b"]);

    // Filters combine: status AND impact AND creator AND a time range (inclusive bounds).
    create(&store, "e", 5, 1, "alice").await?;
    create(&store, "f", 6, 1, "bob").await?;
    let combined = IncidentQuery {
        statuses: strings(&["OPEN"]),
        impacts: Some(vec![1]),
        created_by: strings(&["alice", "bob"]),
        created_from_ms: Some(ms(2)),
        created_to_ms: Some(ms(5)),
        ..IncidentQuery::default()
    };
    assert_eq!(ids(&store, combined).await?, ["e", "b"]);
    let by_alice = IncidentQuery {
        created_by: strings(&["alice"]),
        ..IncidentQuery::default()
    };
    assert_eq!(ids(&store, by_alice).await?, ["e", "c"]);
    // Other accounts see nothing of it.
    let other = store
        .list_incidents(
            "other",
            &IncidentQuery {
                limit: 10,
                ..IncidentQuery::default()
            },
        )
        .await?;
    assert!(other.is_empty());
    Ok(())
}

pub async fn pages_continue_after_their_cursor(store: Store) -> anyhow::Result<()> {
    // Two incidents share a creation time: they list by id, descending.
    for (id, second) in [("p1", 1), ("p2", 2), ("p3a", 3), ("p3b", 3), ("p4", 4)] {
        create(&store, id, second, 2, "carol").await?;
    }
    let mut seen = Vec::new();
    let mut after: Option<IncidentCursor> = None;
    loop {
        let page = store
            .list_incidents(
                ACCOUNT,
                &IncidentQuery {
                    impacts: Some(vec![2]),
                    after: after.clone(),
                    limit: 2,
                    ..IncidentQuery::default()
                },
            )
            .await?;
        let Some(last) = page.last() else { break };
        after = Some(IncidentCursor {
            created_ms: last.created_ms,
            id: last.id.clone(),
        });
        assert_eq!(
            last.created_ms,
            ms(match last.id.as_str() {
                "p1" => 1,
                "p2" => 2,
                "p4" => 4,
                _ => 3,
            })
        );
        seen.extend(page.into_iter().map(|i| i.id));
    }
    assert_eq!(seen, ["p4", "p3b", "p3a", "p2", "p1"]);
    // Reindexing changes nothing.
    assert_eq!(store.reindex_incidents(ACCOUNT).await?, 5);
    assert_eq!(ids(&store, IncidentQuery::default()).await?, seen);
    Ok(())
}

/// A Redis store written before the indexes existed: the first listing builds them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_indexes_are_rebuilt_for_old_data() -> anyhow::Result<()> {
    let (redis_store, ns) = tocsin_store::testing::isolated_redis().await?;
    let store = Store::Redis(redis_store);
    for (id, second, impact) in [("o1", 1, 1), ("o2", 2, 2), ("o3", 3, 1)] {
        create(&store, id, second, impact, "dave").await?;
    }
    // Forget the indexes, as a store from before them would have none.
    let url = tocsin_store::testing::test_redis_url();
    let mut conn = redis::Client::open(url)?
        .get_multiplexed_async_connection()
        .await?;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}:*:ix:incident:*", ns.namespace()))
        .query_async(&mut conn)
        .await?;
    assert!(keys.len() >= 4, "{keys:?}");
    redis::cmd("DEL")
        .arg(&keys)
        .query_async::<()>(&mut conn)
        .await?;
    let impact_1 = IncidentQuery {
        impacts: Some(vec![1]),
        ..IncidentQuery::default()
    };
    tokio::time::timeout(Duration::from_secs(10), async {
        assert_eq!(ids(&store, impact_1).await?, ["o3", "o1"]);
        anyhow::Ok(())
    })
    .await??;
    Ok(())
}
