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
