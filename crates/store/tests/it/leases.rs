//! Leases: one holder at a time, fencing tokens that only grow.

use tocsin_store::{Lease, Store};

use crate::{LONG_TTL, SHORT_TTL, after_expiry};

pub async fn lease_exclusivity_and_tokens(store: Store) -> anyhow::Result<()> {
    let a = store
        .acquire_lease("acme", "poller", "a", LONG_TTL)
        .await?
        .expect("free");
    assert_eq!(
        (a.account.as_str(), a.name.as_str(), a.owner.as_str()),
        ("acme", "poller", "a")
    );
    assert_eq!(
        store.acquire_lease("acme", "poller", "b", LONG_TTL).await?,
        None
    );
    assert_eq!(
        store.acquire_lease("acme", "poller", "a", LONG_TTL).await?,
        None
    );
    assert!(
        store
            .acquire_lease("other", "poller", "b", LONG_TTL)
            .await?
            .is_some()
    );
    assert!(store.renew_lease(&a, LONG_TTL).await?);
    let impostor = Lease {
        owner: "b".into(),
        ..a.clone()
    };
    assert!(!store.release_lease(&impostor).await?);
    assert!(!store.renew_lease(&impostor, LONG_TTL).await?);
    assert!(store.release_lease(&a).await?);
    assert!(!store.release_lease(&a).await?);
    assert!(!store.renew_lease(&a, LONG_TTL).await?);
    let b = store
        .acquire_lease("acme", "poller", "b", LONG_TTL)
        .await?
        .expect("released");
    assert!(b.token > a.token);
    // The old holder's token cannot release or renew the new holder's lease.
    assert!(!store.release_lease(&a).await?);
    assert!(store.release_lease(&b).await?);
    let a2 = store
        .acquire_lease("acme", "poller", "a", LONG_TTL)
        .await?
        .expect("released");
    assert!(a2.token > b.token);
    Ok(())
}

pub async fn lease_expiry_and_renewal(store: Store) -> anyhow::Result<()> {
    let a = store
        .acquire_lease("acme", "poller", "a", SHORT_TTL)
        .await?
        .expect("free");
    let s = &store;
    let b = after_expiry(s, SHORT_TTL, move || async move {
        Ok(s.acquire_lease("acme", "poller", "b", LONG_TTL).await?)
    })
    .await?;
    assert!(b.token > a.token);
    assert!(!store.renew_lease(&a, LONG_TTL).await?);
    assert!(!store.release_lease(&a).await?);
    // Renewal keeps a lease past its first ttl.
    assert!(store.renew_lease(&b, LONG_TTL).await?);
    assert!(store.release_lease(&b).await?);
    Ok(())
}

pub async fn concurrent_acquire_has_one_winner(store: Store) -> anyhow::Result<()> {
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .acquire_lease("acme", "poller", &format!("w{i}"), LONG_TTL)
                    .await
            })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        winners += usize::from(task.await??.is_some());
    }
    assert_eq!(winners, 1);
    Ok(())
}
