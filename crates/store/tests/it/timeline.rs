//! Incident timelines: idempotent appends, ordered by time then id.

use tocsin_store::Store;

use crate::entry;

pub async fn timeline_is_idempotent_and_ordered(store: Store) -> anyhow::Result<()> {
    assert!(store.timeline("acme", "inc-1").await?.is_empty());
    let now = 1_760_000_000_123;
    for e in [
        entry("b", now),
        entry("a", now),
        entry("c", now - 1000),
        entry("d", now + 1),
    ] {
        assert!(store.append_timeline("acme", "inc-1", &e).await?);
    }
    // A replayed append changes nothing, even with another body or time.
    let replay = tocsin_store::TimelineEntry {
        time_ms: 0,
        data: "\"other\"".into(),
        ..entry("a", now)
    };
    assert!(!store.append_timeline("acme", "inc-1", &replay).await?);
    let timeline = store.timeline("acme", "inc-1").await?;
    assert_eq!(
        timeline,
        [
            entry("c", now - 1000),
            entry("a", now),
            entry("b", now),
            entry("d", now + 1)
        ]
    );
    assert!(store.timeline("acme", "inc-2").await?.is_empty());
    assert!(store.timeline("other", "inc-1").await?.is_empty());
    Ok(())
}

pub async fn batch_appends_are_idempotent_like_single_ones(store: Store) -> anyhow::Result<()> {
    let now = 1_760_000_000_123;
    assert!(
        store
            .append_timeline("acme", "inc-1", &entry("b", now))
            .await?
    );
    assert_eq!(store.append_timeline_batch("acme", "inc-1", &[]).await?, 0);
    // "b" is there already and "c" comes twice: each id is appended once, first body wins.
    let batch = [
        entry("c", now + 1),
        entry("b", now - 5),
        entry("a", now),
        tocsin_store::TimelineEntry {
            data: "\"other\"".into(),
            ..entry("c", now + 1)
        },
    ];
    assert_eq!(
        store.append_timeline_batch("acme", "inc-1", &batch).await?,
        2
    );
    assert_eq!(
        store.append_timeline_batch("acme", "inc-1", &batch).await?,
        0
    );
    assert_eq!(
        store.timeline("acme", "inc-1").await?,
        [entry("a", now), entry("b", now), entry("c", now + 1)]
    );
    assert!(store.timeline("other", "inc-1").await?.is_empty());
    Ok(())
}
