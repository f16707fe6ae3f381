//! Timer sets: due claims, visibility, claim numbers and exactly-once hand-out.

use std::{collections::HashSet, time::Duration};

use tocsin_store::Store;

/// Long enough that a claimed timer never re-fires during a test.
const HIDDEN: Duration = Duration::from_secs(3600);

pub async fn timer_claim_lifecycle(store: Store) -> anyhow::Result<()> {
    store
        .schedule_timer("esc", "eng-1", 1000, "{\"stage\":1}")
        .await?;
    assert_eq!(store.timer_count("esc").await?, 1);
    assert!(
        store
            .claim_due_timers("esc", 999, 10, HIDDEN)
            .await?
            .is_empty()
    );
    let first = store
        .claim_due_timers("esc", 1000, 10, Duration::from_secs(30))
        .await?;
    assert_eq!(first.len(), 1);
    let first = first[0].clone();
    assert_eq!(
        (
            first.set.as_str(),
            first.key.as_str(),
            first.due_ms,
            first.payload.as_str()
        ),
        ("esc", "eng-1", 1000, "{\"stage\":1}")
    );
    // Hidden while its claimer works on it.
    assert!(
        store
            .claim_due_timers("esc", 1000, 10, HIDDEN)
            .await?
            .is_empty()
    );
    assert!(
        store
            .claim_due_timers("esc", 30_999, 10, HIDDEN)
            .await?
            .is_empty()
    );
    // The claimer went silent: the timer fires again, under a newer claim.
    let again = store.claim_due_timers("esc", 31_000, 10, HIDDEN).await?;
    assert_eq!(again.len(), 1);
    let again = again[0].clone();
    assert_eq!((again.key.as_str(), again.due_ms), ("eng-1", 1000));
    assert!(again.claim > first.claim);
    assert!(!store.complete_timer(&first).await?);
    assert_eq!(store.timer_count("esc").await?, 1);
    assert!(store.complete_timer(&again).await?);
    assert_eq!(store.timer_count("esc").await?, 0);
    assert!(!store.complete_timer(&again).await?);
    Ok(())
}

pub async fn reschedule_invalidates_claim(store: Store) -> anyhow::Result<()> {
    store.schedule_timer("esc", "eng-1", 1000, "old").await?;
    let claimed = store
        .claim_due_timers("esc", 1000, 10, HIDDEN)
        .await?
        .remove(0);
    store.schedule_timer("esc", "eng-1", 5000, "new").await?;
    assert!(!store.complete_timer(&claimed).await?);
    assert_eq!(store.timer_count("esc").await?, 1);
    assert!(
        store
            .claim_due_timers("esc", 4999, 10, HIDDEN)
            .await?
            .is_empty()
    );
    let moved = store
        .claim_due_timers("esc", 5000, 10, HIDDEN)
        .await?
        .remove(0);
    assert_eq!((moved.due_ms, moved.payload.as_str()), (5000, "new"));
    assert!(store.complete_timer(&moved).await?);
    Ok(())
}

pub async fn cancel_removes_timer(store: Store) -> anyhow::Result<()> {
    assert!(!store.cancel_timer("esc", "eng-1").await?);
    store.schedule_timer("esc", "eng-1", 1000, "p").await?;
    let claimed = store
        .claim_due_timers("esc", 1000, 10, HIDDEN)
        .await?
        .remove(0);
    assert!(store.cancel_timer("esc", "eng-1").await?);
    assert!(!store.cancel_timer("esc", "eng-1").await?);
    assert_eq!(store.timer_count("esc").await?, 0);
    assert!(
        store
            .claim_due_timers("esc", i64::MAX / 2, 10, HIDDEN)
            .await?
            .is_empty()
    );
    assert!(!store.complete_timer(&claimed).await?);
    // Scheduled again under the same key: the claim from before the cancel still cannot
    // complete it.
    store.schedule_timer("esc", "eng-1", 1000, "p").await?;
    assert!(!store.complete_timer(&claimed).await?);
    assert_eq!(store.timer_count("esc").await?, 1);
    assert_eq!(store.timer_count("other").await?, 0);
    Ok(())
}

pub async fn claims_earliest_first_up_to_limit(store: Store) -> anyhow::Result<()> {
    for (key, due) in [
        ("e", 50),
        ("b", 20),
        ("c", 20),
        ("a", 30),
        ("d", 10),
        ("late", 1000),
    ] {
        store.schedule_timer("esc", key, due, key).await?;
    }
    let keys = |timers: Vec<tocsin_store::ClaimedTimer>| {
        timers.into_iter().map(|t| t.key).collect::<Vec<_>>()
    };
    assert_eq!(
        keys(store.claim_due_timers("esc", 100, 3, HIDDEN).await?),
        ["d", "b", "c"]
    );
    assert_eq!(
        keys(store.claim_due_timers("esc", 100, 3, HIDDEN).await?),
        ["a", "e"]
    );
    assert!(
        store
            .claim_due_timers("esc", 100, 3, HIDDEN)
            .await?
            .is_empty()
    );
    Ok(())
}

pub async fn concurrent_claimers_share_timers(store: Store) -> anyhow::Result<()> {
    for i in 0..500 {
        store
            .schedule_timer("esc", &format!("t{i:03}"), i, "p")
            .await?;
    }
    let claimers: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let batch = store.claim_due_timers("esc", 10_000, 7, HIDDEN).await?;
                    if batch.is_empty() {
                        return Ok::<_, tocsin_store::StoreError>(mine);
                    }
                    mine.extend(batch);
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for claimer in claimers {
        all.extend(claimer.await??);
    }
    assert_eq!(all.len(), 500);
    let unique: HashSet<_> = all.iter().map(|t| t.key.clone()).collect();
    assert_eq!(unique.len(), 500);
    for timer in &all {
        assert!(store.complete_timer(timer).await?);
    }
    assert_eq!(store.timer_count("esc").await?, 0);
    Ok(())
}
