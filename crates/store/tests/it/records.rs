//! Versioned records: conditions, listing, deletion and fencing.

use tocsin_store::{Expect, Lease, Store, StoreError};

use crate::{LONG_TTL, SHORT_TTL, after_expiry};

fn assert_conflict<T: std::fmt::Debug>(
    result: Result<T, StoreError>,
    want_expected: Expect,
    want_found: Option<u64>,
) {
    match result {
        Err(StoreError::Conflict {
            expected, found, ..
        }) => {
            assert_eq!((expected, found), (want_expected, want_found));
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
}

fn assert_fenced<T: std::fmt::Debug>(result: Result<T, StoreError>, lease: &Lease) {
    match result {
        Err(StoreError::Fenced { name, token }) => {
            assert_eq!((name.as_str(), token), (lease.name.as_str(), lease.token))
        }
        other => panic!("expected fenced, got {other:?}"),
    }
}

pub async fn versions_and_conflicts(store: Store) -> anyhow::Result<()> {
    assert_eq!(store.get("acme", "service", "api").await?, None);
    assert_eq!(
        store
            .put("acme", "service", "api", "{\"v\":1}", Expect::Absent)
            .await?,
        1
    );
    assert_conflict(
        store
            .put("acme", "service", "api", "{}", Expect::Absent)
            .await,
        Expect::Absent,
        Some(1),
    );
    assert_eq!(
        store
            .put("acme", "service", "api", "{\"v\":2}", Expect::Version(1))
            .await?,
        2
    );
    assert_conflict(
        store
            .put("acme", "service", "api", "{}", Expect::Version(1))
            .await,
        Expect::Version(1),
        Some(2),
    );
    assert_conflict(
        store
            .put("acme", "service", "db", "{}", Expect::Version(3))
            .await,
        Expect::Version(3),
        None,
    );
    assert_eq!(
        store
            .put("acme", "service", "api", "{\"v\":3}", Expect::Any)
            .await?,
        3
    );
    let record = store
        .get("acme", "service", "api")
        .await?
        .expect("record exists");
    assert_eq!((record.version, record.data.as_str()), (3, "{\"v\":3}"));
    // Accounts and kinds are separate spaces.
    assert_eq!(store.get("other", "service", "api").await?, None);
    assert_eq!(store.get("acme", "team", "api").await?, None);
    Ok(())
}

pub async fn list_sorted_and_delete(store: Store) -> anyhow::Result<()> {
    for id in ["c", "a", "b"] {
        store
            .put("acme", "team", id, &format!("\"{id}\""), Expect::Absent)
            .await?;
    }
    store
        .put("acme", "team", "b", "\"b2\"", Expect::Version(1))
        .await?;
    store
        .put("acme", "service", "x", "\"x\"", Expect::Absent)
        .await?;
    let listed: Vec<_> = store
        .list("acme", "team")
        .await?
        .into_iter()
        .map(|(id, r)| (id, r.version, r.data))
        .collect();
    assert_eq!(
        listed,
        [
            ("a".into(), 1, "\"a\"".into()),
            ("b".into(), 2, "\"b2\"".into()),
            ("c".into(), 1, "\"c\"".into())
        ]
    );
    assert!(store.list("acme", "nothing").await?.is_empty());
    assert!(store.delete("acme", "team", "b").await?);
    assert!(!store.delete("acme", "team", "b").await?);
    let ids: Vec<_> = store
        .list("acme", "team")
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(ids, ["a", "c"]);
    assert_eq!(store.get("acme", "team", "b").await?, None);
    // A deleted record starts again at version 1.
    assert_eq!(
        store
            .put("acme", "team", "b", "\"b3\"", Expect::Absent)
            .await?,
        1
    );
    Ok(())
}

pub async fn fenced_put_after_release(store: Store) -> anyhow::Result<()> {
    let first = store
        .acquire_lease("acme", "inc-1", "worker-a", LONG_TTL)
        .await?
        .expect("lease is free");
    assert_eq!(
        store
            .put_fenced("incident", "inc-1", "\"a\"", Expect::Absent, &first)
            .await?,
        1
    );
    // Fencing does not bypass the version condition.
    assert_conflict(
        store
            .put_fenced("incident", "inc-1", "\"a\"", Expect::Absent, &first)
            .await,
        Expect::Absent,
        Some(1),
    );
    assert!(store.release_lease(&first).await?);
    assert_fenced(
        store
            .put_fenced("incident", "inc-1", "\"late\"", Expect::Any, &first)
            .await,
        &first,
    );
    let second = store
        .acquire_lease("acme", "inc-1", "worker-b", LONG_TTL)
        .await?
        .expect("lease is free");
    assert!(second.token > first.token);
    assert_fenced(
        store
            .put_fenced("incident", "inc-1", "\"stale\"", Expect::Any, &first)
            .await,
        &first,
    );
    // The current token under another owner's name is not the holder either.
    let impostor = Lease {
        owner: "worker-a".into(),
        ..second.clone()
    };
    assert_fenced(
        store
            .put_fenced("incident", "inc-1", "\"x\"", Expect::Any, &impostor)
            .await,
        &impostor,
    );
    assert_eq!(
        store
            .put_fenced("incident", "inc-1", "\"b\"", Expect::Version(1), &second)
            .await?,
        2
    );
    assert_eq!(
        store
            .get("acme", "incident", "inc-1")
            .await?
            .map(|r| r.data),
        Some("\"b\"".into())
    );
    Ok(())
}

pub async fn fenced_put_after_expiry(store: Store) -> anyhow::Result<()> {
    let first = store
        .acquire_lease("acme", "inc-1", "worker-a", SHORT_TTL)
        .await?
        .expect("lease is free");
    assert_eq!(
        store
            .put_fenced("incident", "inc-1", "\"a\"", Expect::Any, &first)
            .await?,
        1
    );
    let s = &store;
    let second = after_expiry(s, SHORT_TTL, move || async move {
        Ok(s.acquire_lease("acme", "inc-1", "worker-b", LONG_TTL)
            .await?)
    })
    .await?;
    assert!(second.token > first.token);
    assert_fenced(
        store
            .put_fenced("incident", "inc-1", "\"stale\"", Expect::Any, &first)
            .await,
        &first,
    );
    assert_eq!(
        store
            .put_fenced("incident", "inc-1", "\"b\"", Expect::Any, &second)
            .await?,
        2
    );
    Ok(())
}

/// A sweep page by page sees every record once when nothing changes, with bounded pages.
pub async fn list_pages_cover_every_record(store: Store) -> anyhow::Result<()> {
    for i in 0..1000 {
        store
            .put("acme", "thing", &format!("t-{i:04}"), "{}", Expect::Any)
            .await?;
    }
    store.put("other", "thing", "x", "{}", Expect::Any).await?;
    let mut seen = std::collections::BTreeSet::new();
    let (mut cursor, mut pages) = (0, 0);
    loop {
        let (next, page) = store.list_page("acme", "thing", cursor, 100).await?;
        // SSCAN's COUNT is a hint: pages stay near it, far below the whole set.
        assert!(page.len() <= 400, "page of {}", page.len());
        seen.extend(page.into_iter().map(|(id, _)| id));
        pages += 1;
        if next == 0 {
            break;
        }
        cursor = next;
        assert!(pages < 1000, "the sweep ends");
    }
    assert_eq!(seen.len(), 1000);
    assert!(pages > 1, "more than one page");
    assert!(
        !seen.contains("x"),
        "another account's records are not listed"
    );
    Ok(())
}
